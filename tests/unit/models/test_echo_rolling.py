"""Whole-text log-likelihood from an echoed completion (openai adapter), model-free."""

from __future__ import annotations

from typing import Any

import pytest

from assay.models.openai.echo_logprobs import EchoError, score_echo_text

TEXT = "The capital of France is"


def _choice(tokens: list[str], offsets: list[int], values: list[float | None], generated: str = ".") -> dict[str, Any]:
    return {"text": TEXT + generated, "logprobs": {"tokens": tokens, "text_offset": offsets, "token_logprobs": values,
                                                   "top_logprobs": [None] * len(tokens)}}


def test_a_server_that_adds_bos_scores_every_text_token() -> None:
    # <bos> (zero width at 0), five text tokens, then the one generated token past the text
    choice = _choice(["<bos>", "The", " capital", " of", " France", " is", "."], [0, 0, 3, 11, 14, 21, 24],
                     [None, -3.0, -9.6, -0.4, -2.5, -0.4, -0.3])
    score = score_echo_text(choice, TEXT)
    assert score.n_tokens == 5 and score.logprob == pytest.approx(-3.0 - 9.6 - 0.4 - 2.5 - 0.4)


def test_a_server_without_bos_cannot_score_the_first_token() -> None:
    choice = _choice(["The", " capital", " of", " France", " is", "."], [0, 3, 11, 14, 21, 24],
                     [None, -9.6, -0.4, -2.5, -0.4, -0.3])
    with pytest.raises(EchoError, match="first token"):
        score_echo_text(choice, TEXT)


def test_no_tokens_is_an_error() -> None:
    with pytest.raises(EchoError):
        score_echo_text(_choice([], [], []), TEXT)
