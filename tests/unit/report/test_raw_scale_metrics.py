"""Perplexities are shown as numbers, never as percentages, and never averaged with accuracies."""

from __future__ import annotations

import math
from pathlib import Path

import assay
from assay.analyses.summaries import mean_of_task_scores
from assay.core.results import MetricSummary
from assay.report.display import metric_text
from assay.report.html import build_report
from assay.report.terminal import results_table
from assay.testing import InstantModel

PASSAGES = Path(__file__).resolve().parents[2] / "data" / "perplexity"


def test_metric_text_by_kind() -> None:
    acc = MetricSummary("acc", 0.3125, 16, 0.1, 0.1, 0.5, "wilson")
    ppl = MetricSummary("word_perplexity", 27.94, 10, 3.0, 16.33, 47.8, "delta")
    assert acc.is_proportion and not ppl.is_proportion
    assert metric_text(acc, acc.value) == "31.2" and metric_text(ppl, ppl.value) == "27.94"
    assert mean_of_task_scores([acc, ppl]) is None
    assert math.isclose(mean_of_task_scores([acc, acc]).value, 0.3125)


def test_a_perplexity_run_reads_as_numbers(tmp_path: Path) -> None:
    from rich.console import Console

    yaml = PASSAGES / "public_domain.yaml"
    run = assay.evaluate(InstantModel(), [str(yaml)], cache=None)
    console = Console(width=200, record=True)
    console.print(results_table(run))
    text = console.export_text()
    ppl = next(m for t in run.tasks.values() for n, m in t.metrics.items() if n == "word_perplexity")
    assert f"{ppl.value:.4g}" in text and f"{100 * ppl.value:.1f}" not in text
    html = build_report([run])
    assert f"{ppl.value:.4g}" in html
