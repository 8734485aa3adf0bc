"""Instruction-following checks and the `InstructionFollowing` scorer."""

from __future__ import annotations

import pytest

from assay.core.responses import ChoiceOutput, Completion
from assay.core.sample import Sample
from assay.core.score import Scorer
from assay.errors import DataError
from assay.scoring.instructions import CHECKS, InstructionFollowing, run_checks

# type, params, a text that complies, a text that does not
CASES = [
    ("min_words", {"n": 5}, "one two three four five", "one two three four"),
    ("max_words", {"n": 4}, "it's a short one", "this one is far too long"),
    ("include_keywords", {"keywords": ["river", "Light"]}, "The RIVER caught the light.", "The river was dark."),
    ("exclude_word", {"word": "very"}, "Every day is fine.", "It was Very fine."),
    ("keyword_frequency", {"word": "stone", "n": 2}, "Stone on stone.", "One stone, some stones."),
    ("lowercase", {}, "all quiet here.", "All quiet here."),
    ("uppercase", {}, "ALL QUIET, 2 TIMES.", "ALL QUIEt."),
    ("bullet_points", {"n": 2}, "Intro\n* first\n- second", "* first\n**bold** line\nplain"),
    ("paragraphs", {"n": 2}, "First part.\n\n  \nSecond part.\n", "One block\nstill one block."),
    ("end_with", {"phrase": "That is all."}, '"Some words. that is all."  ', "That is all. More."),
    ("start_with", {"phrase": "Yes"}, '  "Yes, indeed."', "Yesterday was fine."),
    ("json_keys", {"keys": ["title", "summary"]}, '```json\n{"title": "a", "summary": "b"}\n```',
     '{"title": "a"}'),
    ("no_commas", {}, "No commas here.", "One, two."),
    ("quotation", {}, ' "Wrapped answer." ', 'Not "wrapped".'),
    ("title", {}, "<<Night Market>>\nStalls glow.", "<< >> no title"),
]


def test_every_check_has_a_case_and_a_docstring():
    assert {c[0] for c in CASES} == set(CHECKS)
    assert all(fn.__doc__ for fn in CHECKS.values())


@pytest.mark.parametrize("kind,params,good,bad", CASES, ids=[c[0] for c in CASES])
def test_check_accepts_good_and_rejects_bad(kind, params, good, bad):
    assert CHECKS[kind](good, **params) is True
    assert CHECKS[kind](bad, **params) is False


def test_casing_checks_need_letters():
    assert not CHECKS["lowercase"]("123 !")
    assert not CHECKS["uppercase"]("")


def test_json_rejects_non_objects_and_garbage():
    assert not CHECKS["json_keys"]('["title", "summary"]', keys=["title"])
    assert not CHECKS["json_keys"]("title: a", keys=["title"])


def sample(checks, sid="instr-00001") -> Sample:
    return Sample(sid, "Write a poem.", "", None, {"checks": checks})


def test_scorer_metrics_on_a_hand_made_case():
    scorer = InstructionFollowing()
    assert isinstance(scorer, Scorer)
    assert scorer.name == "instructions" and scorer.metrics == ("prompt_strict", "instruction_strict")
    checks = [{"type": "lowercase"}, {"type": "max_words", "n": 5}, {"type": "include_keywords", "keywords": ["moon"]},
              {"type": "no_commas"}]
    score = scorer(sample(checks), Completion(texts=("the moon, the sea and the sky",)))
    # lowercase passes, 7 words > 5 fails, keyword passes, a comma fails
    assert score.values == {"prompt_strict": 0.0, "instruction_strict": 0.5}
    assert [v["passed"] for v in score.extracted] == [True, False, True, False]
    assert "max_words" in score.explanation and "no_commas" in score.explanation

    full = scorer(sample(checks), Completion(texts=("the moon is up",)))
    assert full.values == {"prompt_strict": 1.0, "instruction_strict": 1.0}


def test_unknown_check_type_is_a_data_error_naming_sample_and_field():
    with pytest.raises(DataError) as info:
        InstructionFollowing()(sample([{"type": "lowercase"}, {"type": "rhymes"}], sid="instr-00042"),
                               Completion(texts=("x",)))
    assert "instr-00042" in str(info.value) and "rhymes" in str(info.value)
    assert info.value.field == "metadata.checks[1].type"


@pytest.mark.parametrize("checks", [None, [], [{"n": 3}], [{"type": "max_words"}], [{"type": "lowercase", "x": 1}]])
def test_malformed_checks_are_data_errors(checks):
    with pytest.raises(DataError, match="instr-00001"):
        run_checks(checks, "text", "instr-00001")


def test_scorer_wants_generated_text():
    with pytest.raises(TypeError):
        InstructionFollowing()(sample([{"type": "lowercase"}]), ChoiceOutput(results=()))
