"""Token boundaries for the transformers adapter: BOS, padding, stop ids, context/continuation splits.

Tokenizers disagree on special tokens, so what the adapter needs is probed once and kept
here. Gemma's tokenizer adds `<bos>` and the model expects it; SmolLM2's adds nothing and
has no pad token of its own (its eos `<|im_end|>` pads). Text is always encoded without
the tokenizer's special tokens and the BOS, when the tokenizer would add one, is put back
explicitly, so every code path agrees on what the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class TokenSetup:
    """What the adapter needs to know about a tokenizer's special tokens.

    `prefix_id` is the token an empty context is scored from (BOS if the tokenizer has one,
    else EOS, as lm-evaluation-harness does); `stop_ids` are the ids that end generation.
    """

    tokenizer: Any
    adds_bos: bool
    bos_id: int | None
    pad_id: int
    prefix_id: int
    stop_ids: frozenset[int]

    @classmethod
    def probe(cls, tokenizer: Any, generation_config: Any = None) -> "TokenSetup":
        bos_id = tokenizer.bos_token_id
        with_special = tokenizer("a").input_ids
        without = tokenizer("a", add_special_tokens=False).input_ids
        adds_bos = bos_id is not None and len(with_special) > len(without) and with_special[0] == bos_id
        stop_ids = set(_as_list(tokenizer.eos_token_id))
        if generation_config is not None:
            stop_ids.update(_as_list(generation_config.eos_token_id))
        eos_id = tokenizer.eos_token_id
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_id
        if pad_id is None:
            raise ValueError("tokenizer has neither a pad nor an eos token")
        prefix_id = bos_id if bos_id is not None else eos_id
        return cls(tokenizer, adds_bos, bos_id, int(pad_id), int(prefix_id), frozenset(stop_ids))

    def encode(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Token ids of `text`, with BOS first when the tokenizer normally adds one."""
        ids = list(self.tokenizer(text, add_special_tokens=False).input_ids)
        return [self.bos_id] + ids if add_bos and self.adds_bos else ids  # type: ignore[list-item]

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """(context ids, continuation ids) whose concatenation is the tokenization of the
        whole text `context + continuation` (with BOS when the tokenizer adds one).

        As in lm-evaluation-harness, trailing whitespace of the context moves to the
        continuation ("Answer: " + "Paris" is scored as "Answer:" + " Paris"), because BPE
        vocabularies attach the space to the following word. The continuation is what
        remains of the whole text's tokens after the longest common prefix with the
        context's own tokens; if a token merges across the boundary it therefore counts
        as continuation, so the scored tokens are always the model's natural tokenization.
        An empty context is scored from `prefix_id`.
        """
        stripped = context.rstrip()
        if len(stripped) < len(context):
            continuation = context[len(stripped):] + continuation
            context = stripped
        ctx_ids = self.encode(context, add_bos=False) if context else []
        whole = self.encode(context + continuation, add_bos=False) if continuation else ctx_ids
        common = 0
        for a, b in zip(ctx_ids, whole):
            if a != b:
                break
            common += 1
        prefix = [self.bos_id] if self.adds_bos else []
        head = prefix + whole[:common]
        if not head:
            head = [self.prefix_id]
        return head, whole[common:]  # type: ignore[return-value]

    def decode(self, ids: list[int]) -> str:
        """Text of generated ids, without special tokens and without space clean-up."""
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return [int(value)]


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """Token rows as one left-padded batch: (input_ids, attention_mask), both long tensors.

    Left padding keeps every row's last token in the last column, where scoring reads the
    continuation and generation appends.
    """
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row):] = torch.tensor(list(row), dtype=torch.long)
        mask[i, width - len(row):] = 1
    return ids, mask
