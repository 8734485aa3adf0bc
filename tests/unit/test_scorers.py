"""Scorers against hand-computed cases: acc/acc_norm, exact match, numbers, F1, regex, registry."""

from __future__ import annotations

import math

import pytest

from assay.core import ChoiceOutput, Completion, LoglikelihoodResult, Sample
from assay.errors import ConfigError, UnknownNameError
from assay.scoring import (
    ExactMatch,
    MultipleChoiceScorer,
    NumberMatch,
    RegexMatch,
    TokenF1,
    answer_span,
    extract_number,
    normalize_answer,
    scorer_from_name,
    scorer_names,
    token_f1,
)


def choice_output(*logprobs: float, error: str | None = None) -> ChoiceOutput:
    return ChoiceOutput(tuple(LoglikelihoodResult(lp, False, 1, error=error) for lp in logprobs))


def mc(choices: tuple[str, ...], target: int) -> Sample:
    return Sample(id="s", input="q", target=target, choices=choices)


def gen(target, choices=None) -> Sample:  # type: ignore[no-untyped-def]
    return Sample(id="g", input="q", target=target, choices=choices)


def said(text: str) -> Completion:
    return Completion((text,))


# --- multiple choice ------------------------------------------------------------------


def test_acc_and_acc_norm_disagree_on_a_long_option():
    # "a" (1 byte) at -2.0 beats "abcdefgh" (8 bytes) at -8.0 on the sum, but per byte
    # -2.0/1 = -2.0 loses to -8.0/8 = -1.0.
    score = MultipleChoiceScorer()(mc(("a", "abcdefgh"), target=1), choice_output(-2.0, -8.0))
    assert score.values == {"acc": 0.0, "acc_norm": 1.0}
    assert score.extracted == 0
    assert "acc chose A" in score.explanation and "acc_norm chose B" in score.explanation


def test_acc_norm_divides_by_utf8_bytes_not_characters():
    # "éé" is 2 characters but 4 bytes. Per byte: -3.6/4 = -0.9 > -3.0/3 = -1.0, so option 0;
    # per character it would be -1.8 < -1.0, option 1.
    score = MultipleChoiceScorer()(mc(("éé", "abc"), target=0), choice_output(-3.6, -3.0))
    assert score.values == {"acc": 0.0, "acc_norm": 1.0}


def test_ties_go_to_the_lowest_index():
    scorer = MultipleChoiceScorer()
    assert scorer(mc(("x", "y", "z"), 0), choice_output(-1.0, -1.0, -1.0)).values == {"acc": 1.0, "acc_norm": 1.0}
    assert scorer(mc(("x", "y", "z"), 1), choice_output(-1.0, -1.0, -1.0)).values == {"acc": 0.0, "acc_norm": 0.0}


def test_failed_output_gives_nan_and_the_error():
    score = MultipleChoiceScorer()(mc(("x", "y"), 0), choice_output(-1.0, -2.0, error="timeout"))
    assert all(math.isnan(v) for v in score.values.values())
    assert set(score.values) == {"acc", "acc_norm"}
    assert score.explanation == "timeout" and score.extracted is None


def test_mismatched_result_count_is_a_bug_not_a_score():
    with pytest.raises(ValueError, match="2 log-likelihoods for 3 choices"):
        MultipleChoiceScorer()(mc(("x", "y", "z"), 0), choice_output(-1.0, -2.0))


# --- exact match ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("The  Eiffel Tower!", "eiffel tower"),
        ("  a cat, an owl & the dog. ", "cat owl dog"),
        ("Théâtre—“quoted”", "théâtrequoted"),
        ("", ""),
    ],
)
def test_normalize_answer_is_squad_style(text, normalised):
    assert normalize_answer(text) == normalised


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Answer: Paris\nBecause it is the capital.", "Paris"),
        ("\n\n  Paris  \nmore", "Paris"),
        ("The answer is Paris.", "Paris."),
        ("final answer:\n42", "42"),
        ("Answer the phone", "Answer the phone"),
    ],
)
def test_answer_span(text, span):
    assert answer_span(text) == span


def test_exact_match_normalises_and_takes_the_first_line():
    scorer = ExactMatch()
    assert scorer(gen("Paris"), said("Answer: the paris.\nIt is in France.")).values == {"exact_match": 1.0}
    assert scorer(gen("Paris"), said("Lyon")).values == {"exact_match": 0.0}
    assert scorer(gen(("NYC", "New York City")), said("new york city")).values == {"exact_match": 1.0}


def test_exact_match_without_normalisation_is_case_sensitive():
    scorer = ExactMatch(normalize=False)
    assert scorer(gen("Paris"), said("  Paris ")).values == {"exact_match": 1.0}
    assert scorer(gen("Paris"), said("paris")).values == {"exact_match": 0.0}


def test_exact_match_accepts_text_or_letter_for_an_index_target():
    sample = gen(1, choices=("red", "blue"))
    assert ExactMatch()(sample, said("Blue")).values["exact_match"] == 1.0
    assert ExactMatch()(sample, said("B")).values["exact_match"] == 1.0
    assert ExactMatch()(sample, said("A")).values["exact_match"] == 0.0


def test_exact_match_failed_output():
    score = ExactMatch()(gen("x"), Completion((), error="HTTP 500"))
    assert math.isnan(score.values["exact_match"]) and score.explanation == "HTTP 500"


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234", 1234),
        ("-12", -12),
        ("3.50", 3.5),
        ("$12", 12),
        ("12 apples", 12),
        ("The answer is 42.", 42),
        ("First 3 then 5 then 7", 7),  # the last number by default
        ("The answer is 8, since 8 = 2 * 4", 8),  # the first after "answer is"
        ("step 1: 6 * 7 = 42\n#### 42\nthanks, 99", 42),  # GSM8K marker wins over the last number
        ("Answer: 12 apples and 3 pears", 12),
        ("The total is -$1,234.50.", -1234.5),
        ("5-3=2", 2),  # a hyphen between digits is not a minus sign
        ("50% of them", 50),
        ("1,2,3", 3),
        ("no digits here", None),
        ("version v2", None),
        ("\\boxed{17} and 3 more", 17),
    ],
)
def test_extract_number(text, number):
    found = extract_number(text)
    assert found == number and type(found) is type(number)


def test_number_match_compares_numerically():
    scorer = NumberMatch()
    assert scorer(gen("1,234"), said("So we get 1234.0000001")).values == {"exact_match": 1.0}
    assert scorer(gen("#### 72"), said("She sold 72 clips.")).extracted == 72
    assert scorer(gen(0.3), said("0.1 + 0.2 = 0.30000000000000004")).values == {"exact_match": 1.0}
    assert scorer(gen(5), said("It is 6")).values == {"exact_match": 0.0}
    miss = scorer(gen(5), said("I don't know"))
    assert miss.values == {"exact_match": 0.0} and miss.extracted is None


def test_number_match_rejects_a_target_without_a_number():
    with pytest.raises(ValueError, match="holds no number"):
        NumberMatch()(gen("seven"), said("7"))


# --- F1 -------------------------------------------------------------------------------


def test_token_f1_values():
    # pred tokens [cat, sat, on, mat], gold [cat, sat]: P = 2/4, R = 2/2, F1 = 2/3.
    assert token_f1("The cat sat on the mat.", "a cat sat") == pytest.approx(2 / 3)
    # pred [blue, green], gold [green, green, blue]: overlap 2, P = 1, R = 2/3, F1 = 0.8.
    assert token_f1("blue green", "green green blue") == pytest.approx(0.8)
    assert token_f1("dog", "cat") == 0.0
    assert token_f1("the", "a") == 1.0  # both empty after normalisation
    assert token_f1("the", "cat") == 0.0


def test_token_f1_scorer_takes_the_best_target():
    score = TokenF1()(gen(("Barack Obama", "Obama")), said("Answer: President Obama"))
    # vs "barack obama": P = 1/2, R = 1/2 -> 0.5; vs "obama": P = 1/2, R = 1 -> 2/3.
    assert score.values["f1"] == pytest.approx(2 / 3)
    assert score.extracted == "President Obama"


# --- regex and the registry -----------------------------------------------------------


def test_regex_match_extracts_a_group():
    scorer = RegexMatch(r"answer is \(?([A-D])\)?")
    sample = gen(2, choices=("w", "x", "y", "z"))
    assert scorer(sample, said("I think the answer is (C).")).values == {"exact_match": 1.0}
    assert scorer(sample, said("the answer is (C)")).extracted == "C"
    no = scorer(sample, said("no idea"))
    assert no.values == {"exact_match": 0.0} and no.extracted is None


def test_regex_match_checks_its_pattern_early():
    with pytest.raises(ValueError, match="group 1 does not exist"):
        RegexMatch(r"\d+")
    with pytest.raises(ValueError, match="invalid regular expression"):
        RegexMatch(r"(unclosed")
    assert RegexMatch(r"\d+", group=0)(gen("12"), said("x 12 y")).values == {"exact_match": 1.0}


def test_registry_builds_every_builtin_scorer():
    assert {"multiple_choice", "exact_match", "number", "f1", "regex", "instructions"} <= set(scorer_names())
    assert isinstance(scorer_from_name("multiple_choice"), MultipleChoiceScorer)
    assert scorer_from_name("exact_match", normalize=False).normalize is False
    assert isinstance(scorer_from_name("number"), NumberMatch)
    assert isinstance(scorer_from_name("f1"), TokenF1)
    assert scorer_from_name("regex", pattern=r"(\d+)").metrics == ("exact_match",)


def test_registry_instructions_is_lazy():
    pytest.importorskip("assay.scoring.instructions")
    scorer = scorer_from_name("instructions")
    assert scorer.name and scorer.metrics


def test_registry_errors():
    with pytest.raises(UnknownNameError, match="unknown scorer 'exact'"):
        scorer_from_name("exact")
    with pytest.raises(ConfigError, match="no parameter 'patern'") as info:
        scorer_from_name("regex", patern="x")
    assert info.value.hint == "did you mean 'pattern'?"
    with pytest.raises(ConfigError, match="needs the parameter 'pattern'"):
        scorer_from_name("regex")
    with pytest.raises(ConfigError, match="invalid regular expression"):
        scorer_from_name("regex", pattern="(")


@pytest.mark.parametrize("name", ["multiple_choice", "exact_match", "number", "f1"])
def test_every_scorer_follows_the_protocol(name):
    from assay.core import Scorer

    scorer = scorer_from_name(name)
    assert isinstance(scorer, Scorer)
    assert scorer.name == name and scorer.metrics
