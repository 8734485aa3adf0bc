"""Inter-judge agreement of a jury across a task: Fleiss' κ (statsmodels), on the judges'
verdicts each sample record keeps as `extracted`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from assay.core.results import SampleRecord


@dataclass(frozen=True)
class JuryAgreement:
    """Fleiss' κ over `n_items` items rated by all `n_judges` judges (the categories are the
    ratings, or the pairwise outcome per order), and the share of unanimous items."""

    kappa: float
    n_items: int
    n_judges: int
    unanimous: float

    def to_dict(self) -> dict[str, Any]:
        return {"fleiss_kappa": self.kappa, "n_items": self.n_items, "n_judges": self.n_judges,
                "unanimous": self.unanimous}


def _verdicts(record: SampleRecord) -> list[str] | None:
    judgement = record.extracted
    if not isinstance(judgement, dict):
        return None
    judges = judgement.get("judges") or {}
    out = []
    for name in sorted(judges):
        v = judges[name]
        out.append(f"{v['as_first']}/{v['as_second']}" if "as_first" in v else f"{float(v['rating']):g}")
    return out


def verdict_table(records: Sequence[SampleRecord]) -> list[list[str]]:
    """One row per judged sample (failed ones skipped), one verdict label per judge."""
    rows = [v for r in records if r.error is None and (v := _verdicts(r)) is not None]
    return [r for r in rows if len(r) == len(rows[0])] if rows else []


def fleiss(rows: Sequence[Sequence[str]]) -> JuryAgreement:
    """Fleiss' κ of a table of verdict labels (items × judges). NaN when every verdict is the
    same category (κ is undefined: agreement cannot be told from chance)."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa  # statsmodels is slow to import

    if not rows or len(rows[0]) < 2:
        raise ValueError("Fleiss' kappa needs at least one item rated by at least two judges")
    labels = sorted({x for row in rows for x in row})
    codes = np.array([[labels.index(x) for x in row] for row in rows])
    table, _ = aggregate_raters(codes, n_cat=len(labels))
    kappa = float(fleiss_kappa(table, method="fleiss")) if len(labels) > 1 else math.nan
    unanimous = float(np.mean([len(set(row)) == 1 for row in rows]))
    return JuryAgreement(kappa, len(rows), len(rows[0]), unanimous)


def jury_agreement(records: Sequence[SampleRecord]) -> JuryAgreement:
    """Fleiss' κ of a judged task's jury, from its sample records."""
    return fleiss(verdict_table(records))
