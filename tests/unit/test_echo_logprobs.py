"""Echo log-probs: the continuation span, scoring, and the aligned/shifted probe, on payloads
captured from llama-cpp-python 0.3.36's server with SmolLM2 (whose echo is shifted)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assay.models.openai.echo_logprobs import Alignment, EchoError, continuation_span, probe_alignment, score_echo

PROMPT = "The capital of France is"
PARIS = -0.264419287443161

# max_tokens=1, logprobs=1 completion of PROMPT.
GENERATED: dict[str, Any] = {
    "text": " Paris", "index": 0, "finish_reason": "length",
    "logprobs": {"text_offset": [24], "token_logprobs": [PARIS], "tokens": [" Paris"], "top_logprobs": [{" Paris": PARIS}]},
}

# max_tokens=1, logprobs=3, echo=true of PROMPT + " Paris". Value i is log P(token_{i+1} | ...)
# read under token i's name: the shifted layout.
ECHO_SHIFTED: dict[str, Any] = {
    "text": "The capital of France is Paris.", "index": 0, "finish_reason": "length",
    "logprobs": {
        "text_offset": [0, 3, 11, 14, 21, 24],
        "token_logprobs": [None, -9.599955558776855, -10.462464332580566, -11.225584030151367, -11.794837951660156, -8.452631950378418],
        "tokens": ["The", " capital", " of", " France", " is", " Paris"],
        "top_logprobs": [
            None,
            {" of": -0.4120810329914093, " city": -2.308260202407837, "ized": -2.7738821506500244, " capital": -9.599955558776855},
            {" the": -1.987992525100708, " France": -2.5210812091827393, " Spain": -3.5532877445220947, " of": -10.462464332580566},
            {" is": -0.43200764060020447, ",": -2.480707883834839, " lies": -2.545313596725464, " France": -11.225584030151367},
            {" Paris": -0.264419287443161, " the": -2.8043324947357178, " London": -4.400745868682861, " is": -11.794837951660156},
            {".": -0.3762276768684387, ",": -1.6338226795196533, " and": -3.0135185718536377, " Paris": -8.452631950378418},
        ],
    },
}


def _aligned_echo() -> dict[str, Any]:
    """The same answer as an aligned server would give it: entry i describes token i. The
    distribution for " capital" is not in the capture, so its value stays None."""
    shifted = ECHO_SHIFTED["logprobs"]
    tops: list[dict[str, float] | None] = [None] + shifted["top_logprobs"][:-1]
    values = [None if top is None else top[tok] for top, tok in zip(tops, shifted["tokens"])]
    choice = copy.deepcopy(ECHO_SHIFTED)
    choice["logprobs"]["token_logprobs"] = values
    choice["logprobs"]["top_logprobs"] = tops
    return choice


def _with_values(choice: dict[str, Any], values: list[float | None], tops: list[Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(choice)
    out["logprobs"]["token_logprobs"] = values
    if tops is not None:
        out["logprobs"]["top_logprobs"] = tops
    return out


OFFSETS = ECHO_SHIFTED["logprobs"]["text_offset"]


class TestContinuationSpan:
    def test_tokens_ending_past_the_context(self) -> None:
        assert continuation_span(OFFSETS, len(PROMPT), len(PROMPT + " Paris")) == (5, 6)

    def test_token_straddling_the_boundary_counts_as_continuation(self) -> None:
        # context "...France i" ends inside " is" (chars 21..24): " is" is continuation.
        assert continuation_span(OFFSETS, 23, 30) == (4, 6)

    def test_tokens_past_the_full_text_are_generated_and_excluded(self) -> None:
        # an echo that also lists the generated "." at offset 30
        offsets = OFFSETS + [30]
        assert continuation_span(offsets, len(PROMPT), 30) == (5, 6)

    def test_multi_token_continuation(self) -> None:
        assert continuation_span(OFFSETS, len("The capital of"), 30) == (3, 6)

    def test_empty_continuation_is_an_empty_span(self) -> None:
        start, end = continuation_span(OFFSETS, len(PROMPT), len(PROMPT))
        assert start == end == 5

    def test_no_tokens(self) -> None:
        assert continuation_span([], 0, 5) == (0, 0)


class TestScoreEcho:
    def test_aligned_single_token(self) -> None:
        score = score_echo(_aligned_echo(), PROMPT, " Paris")
        assert score.logprob == pytest.approx(PARIS)
        assert score.n_tokens == 1
        assert score.is_greedy

    def test_trailing_space_of_the_context_moves_to_the_continuation(self) -> None:
        a = score_echo(_aligned_echo(), PROMPT + " ", "Paris")
        b = score_echo(_aligned_echo(), PROMPT, " Paris")
        assert a == b

    def test_sums_a_multi_token_continuation(self) -> None:
        choice = _aligned_echo()
        values = choice["logprobs"]["token_logprobs"]
        score = score_echo(choice, "The capital of", " France is Paris")
        assert score.n_tokens == 3
        assert score.logprob == pytest.approx(values[3] + values[4] + values[5])
        # " France" (-2.52) is not the argmax after "of" (" the", -1.99)
        assert not score.is_greedy

    def test_greedy_when_every_token_is_the_argmax(self) -> None:
        score = score_echo(_aligned_echo(), "The capital of France", " is Paris")
        assert score.n_tokens == 2
        assert score.logprob == pytest.approx(-0.43200764060020447 + PARIS)
        assert score.is_greedy

    def test_not_greedy_from_top_logprobs(self) -> None:
        # under the shifted payload " Paris" reads -8.45 while "." has -0.38
        score = score_echo(ECHO_SHIFTED, PROMPT, " Paris")
        assert score.logprob == pytest.approx(-8.452631950378418)
        assert not score.is_greedy

    def test_missing_top_logprobs_leave_greedy_true(self) -> None:
        choice = _aligned_echo()
        del choice["logprobs"]["top_logprobs"]
        score = score_echo(choice, PROMPT, " Paris")
        assert score.logprob == pytest.approx(PARIS)
        assert score.is_greedy

    def test_generated_tokens_after_the_text_are_not_scored(self) -> None:
        choice = _aligned_echo()
        lp = choice["logprobs"]
        lp["tokens"].append(".")
        lp["text_offset"].append(30)
        lp["token_logprobs"].append(-0.3762276768684387)
        lp["top_logprobs"].append({".": -0.3762276768684387})
        score = score_echo(choice, PROMPT, " Paris")
        assert score.n_tokens == 1
        assert score.logprob == pytest.approx(PARIS)

    def test_empty_continuation_raises(self) -> None:
        with pytest.raises(EchoError, match="no echoed token"):
            score_echo(_aligned_echo(), PROMPT, "")

    def test_none_inside_the_span_names_the_first_token(self) -> None:
        with pytest.raises(EchoError, match=r"token 0 \('The'\).*first token"):
            score_echo(_aligned_echo(), "", PROMPT)

    def test_non_finite_value_raises(self) -> None:
        values = list(_aligned_echo()["logprobs"]["token_logprobs"])
        values[5] = float("-inf")
        with pytest.raises(EchoError, match=r"token 5 \(' Paris'\)"):
            score_echo(_with_values(_aligned_echo(), values), PROMPT, " Paris")

    def test_no_logprobs_is_a_clear_error(self) -> None:
        choice = {"text": "The capital of France is Paris", "index": 0, "logprobs": None}
        with pytest.raises(EchoError, match="no prompt log-probs"):
            score_echo(choice, PROMPT, " Paris")

    def test_lists_of_different_lengths(self) -> None:
        choice = _aligned_echo()
        choice["logprobs"]["tokens"].pop()
        with pytest.raises(EchoError, match="different lengths"):
            score_echo(choice, PROMPT, " Paris")


class TestProbeAlignment:
    def test_captured_smollm2_payload_is_shifted(self) -> None:
        assert probe_alignment(GENERATED, ECHO_SHIFTED, PROMPT) is Alignment.SHIFTED

    def test_aligned_payload(self) -> None:
        assert probe_alignment(GENERATED, _aligned_echo(), PROMPT) is Alignment.ALIGNED

    def test_aligned_wins_when_both_readings_match(self) -> None:
        values = list(ECHO_SHIFTED["logprobs"]["token_logprobs"])
        values[5] = PARIS
        assert probe_alignment(GENERATED, _with_values(ECHO_SHIFTED, values), PROMPT) is Alignment.ALIGNED

    def test_neither_reading_matches(self) -> None:
        tops = copy.deepcopy(ECHO_SHIFTED["logprobs"]["top_logprobs"])
        tops[4][" Paris"] = -3.0
        choice = _with_values(ECHO_SHIFTED, ECHO_SHIFTED["logprobs"]["token_logprobs"], tops)
        assert probe_alignment(GENERATED, choice, PROMPT) is None

    def test_shifted_reading_missing_the_token(self) -> None:
        tops = copy.deepcopy(ECHO_SHIFTED["logprobs"]["top_logprobs"])
        del tops[4][" Paris"]
        choice = _with_values(ECHO_SHIFTED, ECHO_SHIFTED["logprobs"]["token_logprobs"], tops)
        assert probe_alignment(GENERATED, choice, PROMPT) is None

    def test_tolerance(self) -> None:
        values = list(_aligned_echo()["logprobs"]["token_logprobs"])
        values[5] = PARIS - 0.05
        choice = _with_values(_aligned_echo(), values)
        assert probe_alignment(GENERATED, choice, PROMPT) is None
        assert probe_alignment(GENERATED, choice, PROMPT, tolerance=0.1) is Alignment.ALIGNED

    def test_generated_without_a_value_or_text(self) -> None:
        no_value = copy.deepcopy(GENERATED)
        no_value["logprobs"]["token_logprobs"] = [None]
        assert probe_alignment(no_value, ECHO_SHIFTED, PROMPT) is None
        no_text = dict(GENERATED, text="")
        assert probe_alignment(no_text, ECHO_SHIFTED, PROMPT) is None

    def test_generated_without_logprobs_is_a_clear_error(self) -> None:
        choice = {k: v for k, v in GENERATED.items() if k != "logprobs"}
        with pytest.raises(EchoError, match="no prompt log-probs"):
            probe_alignment(choice, ECHO_SHIFTED, PROMPT)

    def test_echo_without_logprobs_is_a_clear_error(self) -> None:
        # the aligned reading's EchoError is swallowed, the shifted reading's is not
        choice = {"text": "The capital of France is Paris.", "index": 0, "logprobs": None}
        with pytest.raises(EchoError, match="no prompt log-probs"):
            probe_alignment(GENERATED, choice, PROMPT)
