"""Per-sample efficiency measures of a run's records, and their per-task medians and p90s.

What a record carries (tokens, latency, and in `metadata` the TTFT/TPOT, CPU seconds,
joules and peak memory the meters attached) becomes one flat row of measures; each task's
rows become medians and 90th percentiles with distribution-free intervals, kept in
`results.json` (the manifest's `efficiency`) and the store. Energy totals keep their label:
`measured`, `estimated`, or `unavailable` when any sample's counter could not be read.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from assay.core.results import SampleRecord
from assay.stats.quantiles import quantile_ci

MEASURES = ("ttft_s", "tpot_s", "latency_s", "tokens_in", "tokens_out", "tokens_per_s", "cpu_s", "energy_j",
            "peak_rss_mb")
"""The measures summarised per task, in display order."""


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def sample_measures(record: SampleRecord) -> dict[str, Any]:
    """One record's measures (None where not measured). `tokens_per_s` is output tokens over
    the request's latency: decode throughput as the user sees it, prompt time included."""
    meta = record.metadata
    latency = _num(record.latency_s)
    return {
        "ttft_s": _num(meta.get("ttft_s")), "tpot_s": _num(meta.get("tpot_s")),
        "latency_s": latency, "tokens_in": float(record.tokens_in), "tokens_out": float(record.tokens_out),
        "tokens_per_s": record.tokens_out / latency if latency and record.tokens_out else None,
        "cpu_s": _num(meta.get("cpu_s")), "energy_j": _num(meta.get("energy_j")),
        "peak_rss_mb": _num(meta.get("peak_rss_mb")),
        "energy_kind": meta.get("energy_kind"), "energy_source": meta.get("energy_source"),
    }


def energy_label(kinds: Sequence[str | None]) -> str | None:
    """One label for a set of samples: `unavailable` if any counter was lost, `estimated` if
    any figure is an estimate, `measured` only if all are; None when nothing was metered."""
    seen = {k for k in kinds if k is not None}
    if not seen:
        return None
    for label in ("unavailable", "estimated"):
        if label in seen:
            return label
    return "measured"


def summarize_usage(records: Sequence[SampleRecord]) -> dict[str, Any]:
    """Medians and p90s (with 95% order-statistic intervals) of each measure over a task's
    answered samples, plus total energy with its label."""
    rows = [sample_measures(r) for r in records if r.error is None]
    out: dict[str, Any] = {"n": len(rows), "n_cached": sum(1 for r in records if r.error is None and r.cached)}
    for name in MEASURES:
        values = [row[name] for row in rows if row[name] is not None]
        if not values:
            continue
        out[name] = {"n": len(values), "median": quantile_ci(values, 0.5).to_dict(),
                     "p90": quantile_ci(values, 0.9).to_dict()}
    label = energy_label([row["energy_kind"] for row in rows])
    if label is not None:
        energies = [row["energy_j"] for row in rows]
        out["energy_kind"] = label
        out["energy_source"] = next((row["energy_source"] for row in rows if row["energy_source"]), None)
        out["energy_total_j"] = None if label == "unavailable" else sum(e for e in energies if e is not None)
    return out
