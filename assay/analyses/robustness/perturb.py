"""Answer-preserving rewrites in the spirit of DyVal 2's meta probing agents.

MPA rewrites an item so that it probes the same ability with a different surface: the
answer must not change. Here the rewrites are rule-based so that preservation holds by
construction rather than by a judge model: shuffle the options (target follows its option),
add a distractor sentence that says nothing about the question, and rename the people of a
generated item consistently in the question and the options. The report is accuracy on the
originals vs the rewrites, paired by item.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from assay.analyses.robustness.option_order import permute_sample
from assay.core.sample import Sample
from assay.stats import PairedComparison, compare_paired

DISTRACTORS = (
    "The weather was mild that day.",
    "A clock on the wall ticked quietly.",
    "Someone had left a green umbrella by the door.",
    "The library closes at six on Fridays.",
    "A bird sang somewhere outside the window.",
    "The coffee in the kitchen had gone cold.",
)

NEW_NAMES = ("Ola", "Pia", "Quin", "Rex", "Sol", "Tia", "Uma", "Vic", "Wes", "Xan", "Yara", "Zed",
             "Abe", "Bea", "Cyd", "Dov")


def _rng(seed: int, sample: Sample, kind: str) -> random.Random:
    return random.Random(f"{kind}:{seed}:{sample.id}")


def shuffle_options(sample: Sample, seed: int = 0) -> Sample:
    """The options in a random order (seeded by sample id); the target follows its option."""
    if sample.choices is None:
        return sample
    perm = list(range(len(sample.choices)))
    _rng(seed, sample, "shuffle").shuffle(perm)
    return permute_sample(sample, perm)


def add_distractor(sample: Sample, seed: int = 0) -> Sample:
    """One irrelevant sentence put in front of the question."""
    if not isinstance(sample.input, str):
        return sample
    sentence = _rng(seed, sample, "distractor").choice(DISTRACTORS)
    return replace(sample, input=f"{sentence} {sample.input}")


def rename_entities(sample: Sample, names: Sequence[str], seed: int = 0) -> Sample:
    """Each of `names` found in the item renamed to a fresh name, in the question, the options
    and a string target alike (whole words, all at once, so no rename cascades)."""
    if not isinstance(sample.input, str):
        return sample
    text = sample.input + " " + " ".join(sample.choices or ())
    present = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
    if not present:
        return sample
    fresh = [n for n in NEW_NAMES if not re.search(rf"\b{re.escape(n)}\b", text)]
    _rng(seed, sample, "rename").shuffle(fresh)
    if len(fresh) < len(present):
        raise ValueError(f"sample {sample.id}: not enough fresh names to rename {present}")
    mapping = dict(zip(present, fresh))
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(present, key=len, reverse=True)) + r")\b")

    def sub(value: str) -> str:
        return pattern.sub(lambda m: mapping[m.group(1)], value)

    choices = None if sample.choices is None else tuple(sub(c) for c in sample.choices)
    target = sub(sample.target) if isinstance(sample.target, str) else sample.target
    metadata = {**sample.metadata, "renamed": mapping}
    return replace(sample, input=sub(sample.input), choices=choices, target=target, metadata=metadata)


@dataclass(frozen=True)
class PerturbationReport:
    perturbation: str
    original: float
    rewritten: float
    comparison: PairedComparison

    @property
    def drop(self) -> float:
        return self.original - self.rewritten

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {"perturbation": self.perturbation, "original": self.original, "rewritten": self.rewritten,
                "drop": self.drop, "ci_low": c.ci_low, "ci_high": c.ci_high, "p_value": c.p_value, "n": c.n}


def perturbation_report(name: str, original: Sequence[float], rewritten: Sequence[float]) -> PerturbationReport:
    """Accuracy on originals vs rewrites of the same items (paired, item order aligned)."""
    a, b = np.asarray(original, dtype=float), np.asarray(rewritten, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("original and rewritten scores must align item by item")
    return PerturbationReport(name, float(a.mean()), float(b.mean()), compare_paired(name, b, a))
