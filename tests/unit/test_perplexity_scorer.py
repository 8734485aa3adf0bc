"""The perplexity scorer and a perplexity task end to end with the instant model: lm-eval's
formulas on hand-computed numbers, ratio-of-sums summaries, cache, and capability refusal."""

from __future__ import annotations

import math

import pytest

from assay.core import RollingLoglikelihoodResult, Sample, Task, TaskKind
from assay.core.requests import LoglikelihoodRolling
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.errors import PermanentModelError
from assay.models.base import Capabilities
from assay.scoring.perplexity import PerplexityScorer, count_bytes, count_words
from assay.scoring.registry import scorer_from_name
from assay.testing import check_scorer
from assay.testing.instant import InstantModel

DOCS = ("We the People of the United States,", "in Order to form a more perfect Union,", " establish Justice ")


def test_counts_follow_lm_eval() -> None:
    # lm-eval: len(re.split(r"\s+", doc)) and len(doc.encode("utf-8"))
    assert count_words("We the People") == 3
    assert count_words(" establish Justice ") == 4  # leading and trailing whitespace each add an empty piece
    assert count_words("") == 1
    assert count_bytes("naïve") == 6


def test_lm_eval_formulas_on_hand_computed_numbers() -> None:
    """Two documents: logprobs -20 and -50 nats, 4 and 6 words, 18 and 30 bytes. lm-eval:
    word_perplexity = exp(-(−20−50)/(4+6)) = exp(7); byte_perplexity = exp(70/48);
    bits_per_byte = 70/48/ln 2."""
    from assay.engine.run import summarize_records
    from assay.core.results import SampleRecord

    scorer = PerplexityScorer()
    texts = ("a b c d" + " " * 11, "e f g h i j" + "x" * 19)  # 18 and 30 bytes
    assert [count_words(t) for t in texts] == [5, 6]  # the trailing spaces add one empty word
    texts = ("a b c " + "d" * 12, "e f g h i j" + "x" * 19)
    assert [count_words(t) for t in texts] == [4, 6] and [count_bytes(t) for t in texts] == [18, 30]
    outputs = (RollingLoglikelihoodResult(-20.0, 5), RollingLoglikelihoodResult(-50.0, 9))
    records = []
    for i, (text, out) in enumerate(zip(texts, outputs)):
        score = scorer(Sample(id=str(i), input=text, target=""), out)
        records.append(SampleRecord("r", "t", "1", "m", "f", str(i), text, out.logprob, None, "", dict(score.values),
                                    0, 0, 0.0, False))
    assert records[0].scores["word_perplexity"] == pytest.approx(math.exp(5.0))  # per document: exp(20/4)
    task = Task(name="t", version="1", kind=TaskKind.PERPLEXITY, load=lambda: (), scorers=(scorer,))
    summary = summarize_records(task, records)
    assert summary["word_perplexity"].value == pytest.approx(math.exp(7.0))
    assert summary["byte_perplexity"].value == pytest.approx(math.exp(70 / 48))
    assert summary["bits_per_byte"].value == pytest.approx(70 / 48 / math.log(2))
    assert summary["token_perplexity"].value == pytest.approx(math.exp(70 / 14))
    assert summary["word_perplexity"].method == "delta"


def test_scorer_registry_subset_and_errors() -> None:
    scorer = scorer_from_name("perplexity", metrics=["bits_per_byte"])
    assert scorer.metrics == ("bits_per_byte",) and set(scorer.ratio_metrics) == {"bits_per_byte"}
    with pytest.raises(Exception, match="acc"):
        scorer_from_name("perplexity", metrics=["acc"])
    failed = PerplexityScorer()(Sample(id="x", input="t", target=""), RollingLoglikelihoodResult(math.nan, 0, error="boom"))
    assert all(math.isnan(v) for v in failed.values.values())
    with pytest.raises(TypeError):
        PerplexityScorer()(Sample(id="x", input="t", target=""), object())  # type: ignore[arg-type]


def _task() -> Task:
    samples = [Sample(id=f"d{i}", input=text, target="") for i, text in enumerate(DOCS)]
    return Task(name="ppl", version="1", kind=TaskKind.PERPLEXITY, load=lambda: samples, scorers=(PerplexityScorer(),))


def test_perplexity_task_runs_caches_and_summarises(tmp_path) -> None:
    model = InstantModel()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    run = evaluate(model, [_task()], cache, RunOptions(show_progress=False))
    records = run.samples
    assert [type(r) for r in model.calls] == [LoglikelihoodRolling] * 3
    assert [r.prompt for r in records] == list(DOCS) and all(r.error is None for r in records)
    lp = sum(r.scores["logprob"] for r in records)
    words = sum(r.scores["n_words"] for r in records)
    metrics = run.tasks["ppl"].metrics
    assert metrics["word_perplexity"].value == pytest.approx(math.exp(-lp / words))
    assert metrics["word_perplexity"].ci_low < metrics["word_perplexity"].value < metrics["word_perplexity"].ci_high
    again = InstantModel()
    rerun = evaluate(again, [_task()], cache, RunOptions(show_progress=False))
    assert again.calls == [] and all(r.cached for r in rerun.samples)
    assert rerun.tasks["ppl"].metrics["word_perplexity"].value == metrics["word_perplexity"].value
    cache.close()


def test_a_failed_document_is_excluded_and_counted(tmp_path) -> None:
    model = InstantModel(fail_if=lambda r: getattr(r, "text", "") == DOCS[1])
    run = evaluate(model, [_task()], ResponseCache(None), RunOptions(show_progress=False))
    m = run.tasks["ppl"].metrics["bits_per_byte"]
    assert m.n == 2 and m.n_failed == 1 and math.isfinite(m.value)


def test_a_model_that_cannot_score_texts_is_refused_before_any_request() -> None:
    model = InstantModel()
    model.capabilities = Capabilities(loglikelihood=True, generate=True)  # rolling off (the default)
    with pytest.raises(PermanentModelError, match="perplexity"):
        evaluate(model, [_task()], ResponseCache(None), RunOptions(show_progress=False))
    assert model.calls == []


def test_check_scorer_accepts_it() -> None:
    sample = Sample(id="s", input="We the People", target="")
    check_scorer(PerplexityScorer(), sample, RollingLoglikelihoodResult(-9.0, 3))
