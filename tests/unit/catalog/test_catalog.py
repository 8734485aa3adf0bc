"""The catalog's data location, errors, options, listing and scorers (no model)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult
from assay.core.sample import Sample
from assay.core.task import Continuation, NormUnit
from assay.errors import ConfigError
from assay.tasks.catalog import CATALOG, BenchmarkDataMissing, data_present, make_catalog_task
from assay.tasks.catalog._ifeval import UNSUPPORTED, checks_for, ifeval_checks
from assay.tasks.catalog._scorers import INVALID, AnswerFilter, LastWordScorer, ReferenceContrast
from assay.tasks.catalog._entries import _bbh, _gsm8k
from assay.core.task import ChoiceScoring

DATA = Path(__file__).parents[2] / "data" / "catalog"


@pytest.fixture
def offline(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.delenv("ASSAY_DATA", raising=False)


def test_missing_data_offline_names_task_file_and_remedy(offline, tmp_path):
    with pytest.raises(BenchmarkDataMissing) as info:
        make_catalog_task("mmlu", data=tmp_path)
    text = str(info.value)
    assert "'mmlu'" in text and str(tmp_path / "mmlu" / "test.jsonl") in text
    assert "hf:cais/mmlu/all (test)" in text and "--data-dir" in text


def test_missing_data_without_a_folder_points_at_assay_data(offline):
    with pytest.raises(BenchmarkDataMissing, match=r"\$ASSAY_DATA/gsm8k/test.jsonl"):
        make_catalog_task("gsm8k_cot")


def test_assay_data_environment_variable(monkeypatch):
    monkeypatch.setenv("ASSAY_DATA", str(DATA))
    task = make_catalog_task("boolq")
    assert task.source["data"] == str(DATA / "boolq" / "validation.jsonl") and len(task.load()) == 2


def test_resolve_finds_catalog_names_before_any_model(offline, tmp_path, monkeypatch):
    from assay.tasks.resolve import resolve_task

    monkeypatch.setenv("ASSAY_DATA", str(DATA))
    (task,) = resolve_task("arc_easy:n=1")
    assert task.family == "catalog" and len(task.load()) == 1
    monkeypatch.setenv("ASSAY_DATA", str(tmp_path))
    with pytest.raises(BenchmarkDataMissing):
        resolve_task("hellaswag")


def test_options_change_scoring_and_version():
    task = make_catalog_task("arc_easy", "calibrate=true,norm=bytes", data=DATA)
    assert task.choice_scoring.calibrate and task.choice_scoring.norm is NormUnit.BYTES
    assert task.version == "1.0+calibrated+norm-bytes"
    assert task.scorers[0].metrics == ("acc", "acc_norm", "acc_mutual_info")
    assert make_catalog_task("mmlu", "chat_template=true", data=DATA).version == "1.0+chat"
    assert make_catalog_task("mmlu", data=DATA).choice_scoring.continuation is Continuation.LETTER


@pytest.mark.parametrize("options", ["n=0", "calibrate=maybe", "norm=words", "shots=5", "chat=true"])
def test_bad_options(options):
    with pytest.raises(ConfigError, match="arc_easy"):
        make_catalog_task("arc_easy", options, data=DATA)


def test_generation_tasks_refuse_choice_options():
    with pytest.raises(ConfigError, match="generates its answers"):
        make_catalog_task("gsm8k_cot", "calibrate=true", data=DATA)


def test_data_present():
    assert data_present(CATALOG["mmlu"], DATA) is True
    assert data_present(CATALOG["mmlu"], DATA / "nowhere") is False


def test_assay_tasks_lists_the_catalog(capsys, monkeypatch):
    from assay.cli import main

    monkeypatch.setenv("COLUMNS", "250")
    assert main(["tasks", "--data-dir", str(DATA)]) == 0
    text = capsys.readouterr().out
    for name in ("mmlu", "gsm8k_cot", "ifeval", "bbh_web_of_lies"):
        assert name in text
    assert "14,042" in text and "CC-BY-SA-4.0" in text and "present" in text


# --- scorers ---------------------------------------------------------------------------


def completion(text: str) -> Completion:
    return Completion(texts=(text,))


def test_gsm8k_strict_and_flexible():
    (scorer,) = _gsm8k(ChoiceScoring())
    sample = Sample(id="g", input="Q", target="18")
    both = scorer(sample, completion("She sells 9 eggs. 9 * 2 = 18. The answer is 18."))
    assert both.values == {"exact_match_strict": 1.0, "exact_match_flexible": 1.0}
    flexible_only = scorer(sample, completion("9 * 2 = $18 per day"))
    assert flexible_only.values == {"exact_match_strict": 0.0, "exact_match_flexible": 1.0}
    assert flexible_only.extracted == {"strict": INVALID, "flexible": "$18"}
    assert scorer(Sample(id="g", input="Q", target="1,000"), completion("The answer is 1000.")).values["exact_match_strict"] == 1.0


def test_bbh_flexible_filters():
    (booleans,) = _bbh("boolean_expressions", ChoiceScoring())
    sample = Sample(id="b", input="Q", target="False")
    assert booleans(sample, completion("False")).values == {"exact_match_strict": 1.0, "exact_match_flexible": 1.0}
    assert booleans(sample, completion(" False")).values["exact_match_strict"] == 0.0  # lm-eval does not strip
    assert booleans(sample, completion("Let me see: the result is False.")).values["exact_match_flexible"] == 1.0
    (sports,) = _bbh("sports_understanding", ChoiceScoring())
    plausible = sports(Sample(id="s", input="Q", target="yes"), completion("This is plausible."))
    assert plausible.values == {"exact_match_strict": 0.0, "exact_match_flexible": 1.0}
    assert AnswerFilter("x", mapping=((r"\b(no)\b", "no"),)).extract("maybe") == INVALID


def test_truthfulqa_mc2_probability_mass():
    from assay.scoring.multiple_choice import TrueProbabilityMass

    sample = Sample(id="t", input="Q", target=0, choices=("a", "b", "c"), metadata={"labels": [1, 0, 1]})
    results = tuple(LoglikelihoodResult(math.log(p), False, 1) for p in (0.2, 0.5, 0.3))
    assert TrueProbabilityMass()(sample, ChoiceOutput(results)).values["mc2"] == pytest.approx(0.5)
    tiny = tuple(LoglikelihoodResult(lp, False, 1) for lp in (-2000.0, -2000.0 - math.log(3), -3000.0))
    assert TrueProbabilityMass()(sample, ChoiceOutput(tiny)).values["mc2"] == pytest.approx(0.75)  # no underflow


def test_lambada_accuracy_and_perplexity():
    sample = Sample(id="l", input="ctx", target=0, choices=("word",))
    scorer = LastWordScorer()
    score = scorer(sample, ChoiceOutput((LoglikelihoodResult(-1.5, True, 1),)))
    assert score.values == {"acc": 1.0, "perplexity": pytest.approx(math.exp(1.5)), "logprob": -1.5, "n_docs": 1.0}
    assert set(scorer.ratio_metrics) == {"perplexity"}


def test_wikitext_counts_the_original_page():
    from assay.core.responses import RollingLoglikelihoodResult
    from assay.tasks.catalog._scorers import OriginalCountsPerplexity

    sample = Sample(id="w", input="a-b c", target="", metadata={"words": 4, "bytes": 10})
    score = OriginalCountsPerplexity()(sample, RollingLoglikelihoodResult(-8.0, 3))
    assert score.values["word_perplexity"] == pytest.approx(math.exp(2.0))
    assert score.values["bits_per_byte"] == pytest.approx(0.8 / math.log(2))


def test_truthfulqa_gen_contrast():
    sample = Sample(id="t", input="Q", target=("Nothing happens.",),
                    metadata={"correct_answers": ["Nothing happens."], "incorrect_answers": ["You get sick."]})
    score = ReferenceContrast()(sample, completion(" Nothing happens."))
    assert score.values["f1_max"] == 1.0 and score.values["f1_acc"] == 1.0


def test_ifeval_mapping():
    assert checks_for("punctuation:no_comma", {}) == [{"type": "no_commas"}]
    assert checks_for("length_constraints:number_words", {"relation": "less than", "num_words": 100}) == [
        {"type": "max_words", "n": 99}]
    assert checks_for("keywords:frequency", {"relation": "less than", "frequency": 2, "keyword": "x"}) is None
    assert checks_for("keywords:forbidden_words", {"forbidden_words": ["a", "b"]}) == [
        {"type": "exclude_word", "word": "a"}, {"type": "exclude_word", "word": "b"}]
    for instruction in UNSUPPORTED:
        assert checks_for(instruction, {}) is None
    checks, unmapped = ifeval_checks(["startend:quotation", "combination:repeat_prompt"], [{}, {"prompt_to_repeat": "x"}])
    assert checks == [{"type": "quotation"}] and unmapped == ["combination:repeat_prompt"]


def test_ifeval_checks_run_on_real_items():
    from assay.scoring.instructions import InstructionFollowing

    task = make_catalog_task("ifeval", data=DATA)
    for sample in task.load():
        score = InstructionFollowing()(sample, completion("a reply, with a comma"))
        assert set(score.values) == {"prompt_strict", "instruction_strict"}


def test_catalog_scorers_pass_the_conformance_checks():
    from assay.core.responses import RollingLoglikelihoodResult
    from assay.scoring.multiple_choice import MultipleChoiceScorer, TrueProbabilityMass
    from assay.tasks.catalog._scorers import OriginalCountsPerplexity
    from assay.testing import check_scorer

    mc = Sample(id="m", input="q", target=1, choices=("a", "b"), metadata={"labels": [0, 1]})
    right = ChoiceOutput((LoglikelihoodResult(-3.0, False, 1), LoglikelihoodResult(-1.0, True, 1)))
    wrong = ChoiceOutput((LoglikelihoodResult(-1.0, True, 1), LoglikelihoodResult(-3.0, False, 1)))
    check_scorer(TrueProbabilityMass(), mc, right, wrong)
    check_scorer(MultipleChoiceScorer(norm="tokens", continuation="letter"), mc, right, wrong)
    calibrated = ChoiceOutput(right.results + wrong.results)
    check_scorer(MultipleChoiceScorer(calibrated=True), mc, calibrated, ChoiceOutput(wrong.results + right.results))
    (gsm,) = _gsm8k(ChoiceScoring())
    check_scorer(gsm, Sample(id="g", input="Q", target="18"), completion("The answer is 18."), completion("no"))
    tqa = Sample(id="t", input="Q", target=("Yes.",), metadata={"correct_answers": ["Yes."], "incorrect_answers": ["No."]})
    check_scorer(ReferenceContrast(), tqa, completion("Yes."), completion("No."))
    word = Sample(id="l", input="ctx", target=0, choices=("w",))
    check_scorer(LastWordScorer(), word, ChoiceOutput((LoglikelihoodResult(-0.5, True, 1),)),
                 ChoiceOutput((LoglikelihoodResult(-9.0, False, 1),)))
    page = Sample(id="w", input="a b", target="", metadata={"words": 2, "bytes": 3})
    check_scorer(OriginalCountsPerplexity(), page, RollingLoglikelihoodResult(-2.0, 2), RollingLoglikelihoodResult(-9.0, 2))


def test_every_catalog_scorer_records_json_parameters():
    import json

    from assay.engine.run import scorer_spec

    for name, entry in CATALOG.items():
        for scorer in entry.scorers(entry.choice_scoring):
            json.dumps(scorer_spec(scorer).params)  # a run writes them to its manifest
