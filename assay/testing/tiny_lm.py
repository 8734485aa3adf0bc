"""Train tiny causal LMs from scratch on this machine and save a checkpoint series.

There is no checkpoint series of a training run on PyPI, so the training-run benchmark
(benchmarks/train_series.py) and the end-to-end series tests train one here: a Llama-style
model of a chosen width on two kinds of text, saving `step-NNNNNN/` transformers
directories plus a `series.yaml` that lists each checkpoint's step, tokens seen and the
step where the data changed domain.

- Domain A, the evaluated one: the built-in generated suites (arithmetic, word problems,
  logic puzzles, fiction passages) rendered as the harness prompts them, with the correct
  answer, from training seeds that never overlap an evaluation seed's items.
- Domain B, another domain: the King James Bible (public domain), from Debian's
  `bible-kjv-text` package through its `bible` command, or any text file given.

Phase 1 trains mostly on A. At `shift` the mix turns mostly to B, with a little of A
replayed, and the learning rate warms up again: the set-up in which De Lange et al. and the
continual pre-training papers see a *stability gap* (scores on the old domain drop, then
recover). Everything is seeded, and a run that is already on disk is reused.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

SUITE_TEXT_TASKS = ("arith-mc", "word-mc", "logic-mc", "fiction-mc")
TRAIN_SEED = 7_000  # evaluation uses small seeds; the item generators' seeds never meet this
EOS = "<|eos|>"


@dataclass(frozen=True)
class TrainPlan:
    """One training run: model shape, data mix, schedule and where to save checkpoints."""

    width: int
    steps: int
    checkpoints: tuple[int, ...]
    shift: int | None = None
    layers: int = 4
    heads: int = 4
    seq_len: int = 128
    batch: int = 16
    lr: float = 3e-3
    warmup: int = 20
    suite_share: float = 0.8
    """Share of sequences from the suites' text before the shift."""
    replay_share: float = 0.15
    """Share of sequences from the suites' text after the shift (replay)."""
    seed: int = 0
    vocab: int = 1024
    stop_at: int | None = None
    """Stop after this step (the schedule still assumes `steps`): a run cut short, as a
    real run's prefix is."""

    def name(self) -> str:
        return f"w{self.width}-s{self.seed}"


@dataclass
class Corpus:
    """Token ids of the two domains, packed with EOS between documents."""

    suites: list[int] = field(default_factory=list)
    other: list[int] = field(default_factory=list)


def suite_documents(n_per_task: int = 2000, seed: int = TRAIN_SEED) -> list[str]:
    """Prompts of the built-in multiple-choice suites with their correct answer, as the
    harness renders them: mostly cloze, a third with the options listed."""
    from assay.core.format import OptionStyle
    from assay.tasks.builtin import make_builtin

    rng = random.Random(seed)
    docs: list[str] = []
    for name in SUITE_TEXT_TASKS:
        for style in (OptionStyle.CLOZE, OptionStyle.LISTED):
            count = n_per_task if style is OptionStyle.CLOZE else n_per_task // 2
            task = make_builtin(name, n=count, seed=seed + (0 if style is OptionStyle.CLOZE else 1), style=style)
            for sample in task.load():
                answer = sample.choices[sample.target] if sample.choices else str(sample.target)
                prompt = task.format.render_prompt(sample.input, sample.choices, instruction=task.instruction)
                docs.append(prompt + task.format.answer_lead + answer)
    rng.shuffle(docs)
    return docs


def kjv_documents() -> list[str]:
    """The King James Bible, one document per chapter, from Debian's bible-kjv-text.

    Raises FileNotFoundError when the `bible` command is missing (apt-get install bible-kjv).
    """
    if shutil.which("bible") is None:
        raise FileNotFoundError("the 'bible' command (Debian package bible-kjv) is not installed")
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True).stdout
    chapters: dict[str, list[str]] = {}
    for line in out.splitlines():
        ref, _, text = line.partition(" ")
        if not text:
            continue
        chapters.setdefault(ref.split(":")[0], []).append(text.strip())
    return [" ".join(lines) for lines in chapters.values()]


def train_tokenizer(docs: Sequence[str], vocab: int, path: Path) -> None:
    """A byte-level BPE tokenizer of `vocab` tokens trained on `docs`, saved at `path` as a
    transformers tokenizer directory."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(docs, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=EOS)
    fast.model_max_length = 512
    fast.save_pretrained(str(path))


def _pack(tokenizer, docs: Sequence[str]) -> list[int]:
    ids: list[int] = []
    eos = tokenizer.convert_tokens_to_ids(EOS)
    for batch_start in range(0, len(docs), 256):
        for row in tokenizer(list(docs[batch_start:batch_start + 256]))["input_ids"]:
            ids.extend(row)
            ids.append(eos)
    return ids


def _lr(plan: TrainPlan, step: int) -> float:
    """Warm-up then cosine decay to 10% of the peak; the shift restarts both."""
    start, end = (0, plan.shift or plan.steps) if plan.shift is None or step < plan.shift else (plan.shift, plan.steps)
    t = step - start
    if t < plan.warmup:
        return plan.lr * (t + 1) / plan.warmup
    frac = (t - plan.warmup) / max(1, end - start - plan.warmup)
    return plan.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def build_model(plan: TrainPlan, vocab_size: int):
    """A Llama-style causal LM of the plan's width (tied embeddings)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(plan.seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=plan.width, intermediate_size=plan.width * 3,
                         num_hidden_layers=plan.layers, num_attention_heads=plan.heads,
                         num_key_value_heads=plan.heads, max_position_embeddings=512,
                         tie_word_embeddings=True, bos_token_id=None, eos_token_id=0, pad_token_id=0)
    return LlamaForCausalLM(config)


def prepare_tokenizer(root: Path, vocab: int = 1024, other_text: Callable[[], list[str]] = kjv_documents) -> Path:
    """The shared tokenizer of every run under `root` (trained once): one tokenizer for the
    whole series, as a real training run has."""
    path = root / "tokenizer"
    if not (path / "tokenizer.json").exists():
        docs = suite_documents(400) + other_text()[:300]
        train_tokenizer(docs, vocab, path)
    return path


def train_series(plan: TrainPlan, root: Path, *, other_text: Callable[[], list[str]] = kjv_documents,
                 n_per_task: int = 2000, log: Callable[[str], None] = print) -> Path:
    """Train `plan` and save its checkpoints under `root/<plan.name()>/step-NNNNNN/`, with a
    `series.yaml` manifest. A run whose manifest is already there is returned as it is."""
    import torch
    from transformers import AutoTokenizer

    out = root / plan.name()
    manifest = out / "series.yaml"
    if manifest.exists():
        return out
    tok_dir = prepare_tokenizer(root, plan.vocab, other_text)
    tokenizer = AutoTokenizer.from_pretrained(str(tok_dir))
    corpus = Corpus(_pack(tokenizer, suite_documents(n_per_task)), _pack(tokenizer, other_text()))
    model = build_model(plan, len(tokenizer))
    params = sum(p.numel() for p in model.parameters())
    log(f"[{plan.name()}] {params / 1e6:.2f} M parameters; {len(corpus.suites):,} suite tokens, "
        f"{len(corpus.other):,} other tokens")
    opt = torch.optim.AdamW(model.parameters(), lr=plan.lr, weight_decay=0.1, betas=(0.9, 0.95))
    rng = random.Random(plan.seed)
    suites_t = torch.tensor(corpus.suites)
    other_t = torch.tensor(corpus.other)
    saved: list[dict[str, object]] = []
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(plan.checkpoints)
    started = time.perf_counter()
    if 0 in wanted:
        saved.append(_save(model, tokenizer, out, 0, 0, plan))
    model.train()
    for step in range(1, (plan.stop_at or plan.steps) + 1):
        share = plan.suite_share if plan.shift is None or step <= plan.shift else plan.replay_share
        rows = []
        for _ in range(plan.batch):
            source = suites_t if rng.random() < share else other_t
            at = rng.randrange(0, len(source) - plan.seq_len - 1)
            rows.append(source[at:at + plan.seq_len])
        batch = torch.stack(rows)
        for group in opt.param_groups:
            group["lr"] = _lr(plan, step - 1)
        loss = model(input_ids=batch, labels=batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step in wanted:
            log(f"[{plan.name()}] step {step}/{plan.steps} loss {loss.item():.3f} "
                f"lr {_lr(plan, step - 1):.2e} {time.perf_counter() - started:.0f} s")
        if step in wanted:
            model.eval()
            saved.append(_save(model, tokenizer, out, step, step * plan.batch * plan.seq_len, plan))
            model.train()
    write_manifest(out, plan, params, saved, round(time.perf_counter() - started, 1))
    return out


def write_manifest(out: Path, plan: TrainPlan, params: int, saved: list[dict[str, object]],
                   seconds: float | None) -> Path:
    """The run's series.yaml: its checkpoints with step and tokens, and the shift step."""
    import yaml

    meta = {"name": plan.name(), "shift": plan.shift if plan.shift is not None and any(
        int(c["step"]) > plan.shift for c in saved) else None, "parameters": params, "plan": asdict(plan),
            "train_seconds": seconds, "checkpoints": saved}
    path = out / "series.yaml"
    path.write_text(yaml.safe_dump(meta, sort_keys=False))
    return path


def close_cut_run(plan: TrainPlan, root: Path) -> Path:
    """Write the manifest of a run whose training was stopped at `plan.stop_at` from outside
    (the checkpoints it saved up to then), so it is reused like a finished run."""
    import json as _json

    from transformers import AutoConfig

    out = root / plan.name()
    saved = []
    for d in sorted(out.glob("step-*")):
        state = _json.loads((d / "training_state.json").read_text())
        if plan.stop_at is None or state["step"] <= plan.stop_at:
            saved.append({"path": d.name, "step": state["step"], "tokens": state["tokens"]})
    config = AutoConfig.from_pretrained(str(out / saved[-1]["path"]))
    model = build_model(plan, config.vocab_size)
    return write_manifest(out, plan, sum(p.numel() for p in model.parameters()), saved, None)


def _save(model, tokenizer, out: Path, step: int, tokens: int, plan: TrainPlan) -> dict[str, object]:
    path = out / f"step-{step:06d}"
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    (path / "training_state.json").write_text(json.dumps({"step": step, "tokens": tokens}))
    return {"path": path.name, "step": step, "tokens": tokens}
