"""Reward-model and preference evaluation on (prompt, chosen, rejected) pairs: does a reward
rank the chosen answer above the rejected one?

Rewards, each computed through the engine (cached, resumable):
- the DPO implicit reward (Rafailov et al.; *DPO implicit reward generalization*):
  r(x, y) = β·(log π(y|x) − log π_ref(y|x)) from two causal LMs — the model under
  evaluation is π, `reference` is π_ref; the pair is right when r(chosen) > r(rejected);
- an LLM used as a pointwise judge (the model under evaluation rates both answers);
- an explicit sequence-classification reward model (`SequenceClassifierReward`, transformers).

Reported (RewardBench-style): accuracy with its interval (a tie counts ½), per category and
per split, and the gap between in-distribution and out-of-distribution splits with its
interval. The conversation is written as an HH-RLHF transcript ("Human: …\n\nAssistant:")
and each answer follows as the continuation, so every model scores the same text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.core.responses import Output
from assay.core.results import SampleRecord
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.solver import PlannedSample, StepContext, StepFailed
from assay.core.task import Task, TaskKind
from assay.errors import ConfigError
from assay.scoring.judges.lazy import LazyModel
from assay.scoring.judges.solver import JudgedCompletion
from assay.scoring.judges.templates import POINTWISE, render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_rating
from assay.stats.intervals import wilson

_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


@dataclass(frozen=True)
class PreferencePair:
    """A conversation (ending with the user's turn), the chosen and the rejected answer."""

    id: str
    conversation: tuple[ChatMessage, ...]
    chosen: str
    rejected: str
    category: str = ""
    split: str = ""

    @property
    def context(self) -> str:
        """The conversation as an HH-RLHF transcript, ending where the answer begins."""
        names = {"user": "Human", "assistant": "Assistant", "system": "System"}
        return "".join(f"\n\n{names[m.role]}: {m.content}" for m in self.conversation) + "\n\nAssistant:"


def _turns(raw: Any, where: str, file: Path, line: int | None) -> tuple[ChatMessage, ...]:
    if isinstance(raw, str):
        return (ChatMessage("user", raw),)
    if not isinstance(raw, list) or not raw:
        raise ConfigError("expected a prompt text or a list of turns", file=file, line=line, field=where)
    out = []
    for k, turn in enumerate(raw):
        role = _ROLES.get(str(turn.get("from", turn.get("role", ""))).lower()) if isinstance(turn, dict) else None
        text = turn.get("value", turn.get("content")) if isinstance(turn, dict) else None
        if role is None or not isinstance(text, str):
            raise ConfigError("a turn needs from/role (human, gpt, user, assistant, system) and value/content",
                              file=file, line=line, field=f"{where}[{k}]")
        out.append(ChatMessage(role, text))
    return tuple(out)


def _answer(raw: Any, where: str, file: Path, line: int | None) -> str:
    if isinstance(raw, dict):
        raw = raw.get("value", raw.get("content"))
    if not isinstance(raw, str):
        raise ConfigError("expected the answer text (or {from, value})", file=file, line=line, field=where)
    return raw


def read_preference_pairs(path: str | Path, *, split: str | None = None) -> list[PreferencePair]:
    """Pairs from LLaMA-Factory's JSON (`conversations`, `chosen`, `rejected`, as in
    `dpo_en_demo.json`) or JSON lines of `{id, prompt, chosen, rejected, category, split}`.
    `split` sets the split of pairs that name none. Errors name the file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the preference data: {exc.strerror}", file=path) from None
    rows: list[tuple[int | None, Any]]
    if path.suffix == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((n, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"not JSON: {exc.msg}", file=path, line=n) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not JSON: {exc.msg}", file=path, line=exc.lineno) from None
        if not isinstance(data, list):
            raise ConfigError("expected a list of pairs", file=path)
        rows = [(None, r) for r in data]
    pairs, seen = [], set()
    for k, (line, row) in enumerate(rows):
        where = "" if line is not None else f"[{k}]."
        if not isinstance(row, dict):
            raise ConfigError("a pair must be an object", file=path, line=line, field=where.rstrip(".") or None)
        for key in ("chosen", "rejected"):
            if key not in row:
                raise ConfigError(f"missing '{key}'", file=path, line=line, field=f"{where}{key}")
        prompt_key = "conversations" if "conversations" in row else "prompt"
        if prompt_key not in row:
            raise ConfigError("missing 'prompt' (or 'conversations')", file=path, line=line, field=f"{where}prompt")
        pair_id = str(row.get("id", f"pair-{k:04d}"))
        if pair_id in seen:
            raise ConfigError(f"duplicate id {pair_id!r}", file=path, line=line, field=f"{where}id")
        seen.add(pair_id)
        pairs.append(PreferencePair(
            pair_id, _turns(row[prompt_key], where + prompt_key, path, line),
            _answer(row["chosen"], where + "chosen", path, line), _answer(row["rejected"], where + "rejected", path, line),
            str(row.get("category", "") or ""), str(row.get("split", "") or split or "")))
    if not pairs:
        raise ConfigError("no preference pairs", file=path)
    return pairs


class _PreferenceScorer:
    """`pref_acc`: 1 when the reward ranks chosen above rejected, ½ on a tie, else 0;
    `reward_margin`: r(chosen) − r(rejected)."""

    name = "preference"
    metrics = ("pref_acc", "reward_margin")

    def __call__(self, sample: Sample, output: Output) -> Score:
        j = dict(getattr(output, "judgement", {}) or {})
        margin = float(j["chosen"]) - float(j["rejected"])
        acc = 1.0 if margin > 0 else 0.0 if margin < 0 else 0.5
        return Score({"pref_acc": acc, "reward_margin": margin}, extracted=j)


def _samples(pairs: Sequence[PreferencePair]) -> list[Sample]:
    return [Sample(id=p.id, input=p.context, target="chosen",
                   metadata={"chosen": p.chosen, "rejected": p.rejected, "context": p.context,
                             "question": "\n".join(m.content for m in p.conversation if m.role == "user"),
                             "category": p.category, "split": p.split}) for p in pairs]


def dpo_reward_task(pairs: Sequence[PreferencePair], reference: Any, *, beta: float = 0.1,
                    name: str = "dpo-implicit-reward") -> Task:
    """The run's model is the policy π; `reference` (a loaded model or a spec) is π_ref."""
    ref = LazyModel(reference) if isinstance(reference, str) else reference

    async def solve(planned: PlannedSample, ctx: StepContext) -> JudgedCompletion:
        meta = planned.sample.metadata
        requests = [Loglikelihood(meta["context"], " " + meta["chosen"]),
                    Loglikelihood(meta["context"], " " + meta["rejected"])]
        policy = await ctx.loglikelihood(requests)
        reference_model = ref.model if isinstance(ref, LazyModel) else ref
        base = await ctx.loglikelihood(requests, model=reference_model)
        rewards = [beta * (p.logprob - r.logprob) for p, r in zip(policy, base)]
        if not all(math.isfinite(x) for x in rewards):
            raise StepFailed("a log-likelihood is not finite: no implicit reward")
        return JudgedCompletion(texts=("",), judgement={
            "chosen": rewards[0], "rejected": rewards[1], "beta": beta,
            "logp": {"policy": [policy[0].logprob, policy[1].logprob], "reference": [base[0].logprob, base[1].logprob]}})

    return Task(name=name, version="1", kind=TaskKind.GENERATE, load=lambda: _samples(pairs), chat=False,
                scorers=(_PreferenceScorer(),), solver=solve, description="DPO implicit reward accuracy",
                source={"reference": str(getattr(reference, "spec", None) or getattr(getattr(reference, "info", None),
                                                                                   "name", reference)), "beta": beta})


def judge_reward_task(pairs: Sequence[PreferencePair], *, scale: int = 10, template: str = POINTWISE,
                      params: GenerationParams = GenerationParams(max_tokens=192),
                      name: str = "judge-reward") -> Task:
    """The run's model rates both answers on a rubric; its ratings are the rewards."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> JudgedCompletion:
        meta = planned.sample.metadata
        question = meta["question"]
        ratings, texts = [], []
        for answer in (meta["chosen"], meta["rejected"]):
            prompt = render_judge_prompt(template, question=question, answer=answer, reference="", scale=scale,
                                         skills=[])
            done = await ctx.generate(Generate(messages=(ChatMessage("user", prompt),), params=params))
            try:
                ratings.append(parse_rating(done.text, scale))
            except UnreadableVerdict as exc:
                raise StepFailed(f"judge: {exc}") from None
            texts.append(done.text)
        return JudgedCompletion(texts=tuple(texts), judgement={"chosen": ratings[0], "rejected": ratings[1]})

    return Task(name=name, version="1", kind=TaskKind.GENERATE, load=lambda: _samples(pairs), chat=False,
                scorers=(_PreferenceScorer(),), solver=solve, generation=params,
                description="LLM-as-judge reward accuracy")


@dataclass(frozen=True)
class Accuracy:
    """Preference accuracy of one group with its 95% interval (Wilson; ties count ½ and
    are split evenly between right and wrong for the interval)."""

    group: str
    n: int
    accuracy: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _accuracy(group: str, values: np.ndarray) -> Accuracy:
    if len(values) == 0:
        return Accuracy(group, 0, math.nan, math.nan, math.nan)
    ci = wilson(int(round(values.sum())), len(values))
    return Accuracy(group, len(values), float(values.mean()), ci.low, ci.high)


@dataclass(frozen=True)
class PreferenceReport:
    """Overall, per-category and per-split accuracy; the in- minus out-of-distribution gap
    (with a normal-approximation 95% interval on the difference of two independent means)."""

    overall: Accuracy
    by_category: list[Accuracy] = field(default_factory=list)
    by_split: list[Accuracy] = field(default_factory=list)
    gap: tuple[float, float, float] | None = None
    n_failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.to_dict(), "by_category": [a.to_dict() for a in self.by_category],
                "by_split": [a.to_dict() for a in self.by_split], "gap": self.gap, "n_failed": self.n_failed}


def preference_report(records: Sequence[SampleRecord], *, in_split: str = "id", out_split: str = "ood") -> PreferenceReport:
    """Accuracy of a preference run's records (failed ones counted apart, never as wrong)."""
    ok = [r for r in records if r.error is None and "pref_acc" in r.scores]
    values = np.array([r.scores["pref_acc"] for r in ok])

    def groups(key: str) -> list[Accuracy]:
        names = sorted({str(r.metadata.get(key, "") or "") for r in ok} - {""})
        return [_accuracy(n, np.array([r.scores["pref_acc"] for r in ok if r.metadata.get(key) == n])) for n in names]

    splits = groups("split")
    by_name: Mapping[str, Accuracy] = {a.group: a for a in splits}
    gap = None
    if in_split in by_name and out_split in by_name:
        a, b = by_name[in_split], by_name[out_split]
        va = np.array([r.scores["pref_acc"] for r in ok if r.metadata.get("split") == in_split])
        vb = np.array([r.scores["pref_acc"] for r in ok if r.metadata.get("split") == out_split])
        se = math.sqrt(va.var(ddof=1) / len(va) + vb.var(ddof=1) / len(vb)) if len(va) > 1 and len(vb) > 1 else math.nan
        diff = a.accuracy - b.accuracy
        gap = (diff, diff - 1.96 * se, diff + 1.96 * se)
    return PreferenceReport(_accuracy("", values), groups("category"), splits, gap, len(records) - len(ok))


class SequenceClassifierReward:
    """An explicit reward model: a transformers sequence-classification model whose single
    logit scores (conversation, answer). Used as `rewards(pairs)` → (chosen, rejected) arrays;
    not an engine adapter (a reward model answers none of the three request kinds)."""

    def __init__(self, model_id_or_path: str, *, batch_size: int = 8) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_id_or_path)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_id_or_path).eval()
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
            self.model.config.pad_token_id = self.tokenizer.pad_token_id
        self.batch_size = batch_size

    def score(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        with torch.no_grad():
            for k in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(list(texts[k:k + self.batch_size]), return_tensors="pt", padding=True,
                                       truncation=True)
                out.append(self.model(**batch).logits[:, 0].float().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def rewards(self, pairs: Sequence[PreferencePair]) -> tuple[np.ndarray, np.ndarray]:
        chosen = self.score([p.context + " " + p.chosen for p in pairs])
        rejected = self.score([p.context + " " + p.rejected for p in pairs])
        return chosen, rejected


def reward_records(pairs: Sequence[PreferencePair], chosen: np.ndarray, rejected: np.ndarray,
                   model: str) -> list[SampleRecord]:
    """Explicit rewards as records, so `preference_report` reads them like a run's."""
    out = []
    for p, c, r in zip(pairs, chosen, rejected):
        margin = float(c - r)
        acc = 1.0 if margin > 0 else 0.0 if margin < 0 else 0.5
        out.append(SampleRecord(run_id="", task="reward-model", task_version="1", model=model, format="", sample_id=p.id,
                                prompt=p.context, response=None, extracted={"chosen": float(c), "rejected": float(r)},
                                target="chosen", scores={"pref_acc": acc, "reward_margin": margin}, tokens_in=0,
                                tokens_out=0, latency_s=0.0, cached=False, error=None,
                                metadata={"category": p.category, "split": p.split}))
    return out
