"""InstantModel: deterministic answers, stop sequences, and the per-call delay engine tests kill runs with."""

from __future__ import annotations

import time

from assay.core.requests import Generate, GenerationParams, Loglikelihood
from assay.testing import InstantModel


def test_delay_applies_once_per_batch_call() -> None:
    model = InstantModel(delay_s=0.05)
    started = time.perf_counter()
    model.loglikelihood([Loglikelihood("a", " b")] * 20)
    model.generate([Generate(prompt="a")] * 20)
    elapsed = time.perf_counter() - started
    assert 0.1 <= elapsed < 1.0


def test_no_delay_by_default() -> None:
    started = time.perf_counter()
    InstantModel().generate([Generate(prompt="a")] * 100)
    assert time.perf_counter() - started < 0.05


def test_reply_is_cut_at_the_first_stop_sequence() -> None:
    model = InstantModel(reply=lambda r: "one, two; three")
    got = model.generate([Generate(prompt="x", params=GenerationParams(stop=(";", ",")))])
    assert got[0].texts == ("one",)
    assert model.generate([Generate(prompt="x")])[0].texts == ("one, two; three",)
