"""check_model and check_scorer: they pass what conforms and name the check a broken plugin fails."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, Sequence

import pytest

from assay.core import ChoiceOutput, Completion, LoglikelihoodResult, RollingLoglikelihoodResult, Sample
from assay.core.requests import Generate, Loglikelihood
from assay.core.score import Score
from assay.models.base import Capabilities
from assay.scoring import scorer_from_name, scorer_names
from assay.testing import InstantModel, check_model, check_scorer


def test_instant_model_conforms() -> None:
    check_model(InstantModel())


def test_check_model_works_inside_a_running_event_loop() -> None:
    async def main() -> None:
        check_model(InstantModel())

    asyncio.run(main())


class AsyncInstant:
    """InstantModel behind the async protocol, as an API adapter would be."""

    def __init__(self, inner: InstantModel | None = None) -> None:
        self.inner = inner or InstantModel(name="async-instant")
        self.info, self.capabilities, self.max_concurrency = self.inner.info, self.inner.capabilities, 4

    async def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        await asyncio.sleep(0)
        return self.inner.loglikelihood(requests)

    async def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        await asyncio.sleep(0)
        return self.inner.generate(requests)

    async def loglikelihood_rolling(self, requests):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        return self.inner.loglikelihood_rolling(requests)

    def close(self) -> None:
        pass


def test_async_model_conforms() -> None:
    check_model(AsyncInstant())


class Reversing(InstantModel):
    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        return super().loglikelihood(requests)[::-1]


class Positive(InstantModel):
    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        return [dataclasses.replace(r, logprob=0.5) for r in super().loglikelihood(requests)]


class NoTokens(InstantModel):
    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        return [dataclasses.replace(r, n_tokens=0) for r in super().loglikelihood(requests)]


class GreedyIsInt(InstantModel):
    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        return [dataclasses.replace(r, is_greedy=1) for r in super().loglikelihood(requests)]


class DropsOne(InstantModel):
    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        return super().generate(requests)[1:]


class EmptyIsNotEmpty(InstantModel):
    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        return super().loglikelihood(requests) or [LoglikelihoodResult(-1.0, False, 1)]


class IgnoresStop(InstantModel):
    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        return [Completion(texts=("one two three four",), finish_reason="stop") for _ in requests]


class Random(InstantModel):
    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        self._n = getattr(self, "_n", 0) + 1
        return [Completion(texts=(f"answer {self._n}",), finish_reason="stop") for _ in requests]


class ShiftingKey(InstantModel):
    def generate(self, requests: Sequence[Generate]) -> list[Completion]:
        self.info = dataclasses.replace(self.info, identity={"calls": len(self.calls)})
        return super().generate(requests)


class ScoresWithoutCapability(InstantModel):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.capabilities = Capabilities(loglikelihood=False, generate=True)

    def loglikelihood(self, requests: Sequence[Loglikelihood]) -> list[LoglikelihoodResult]:
        raise AssertionError("not called: the model says it cannot score")


@pytest.mark.parametrize("broken, check", [
    (Reversing(), "loglikelihood_in_order"),
    (Positive(), "logprob_range"),
    (NoTokens(), "n_tokens"),
    (GreedyIsInt(), "is_greedy_bool"),
    (DropsOne(), "generate_one_response_per_request"),
    (EmptyIsNotEmpty(), "loglikelihood_empty"),
    (IgnoresStop(), "stop_sequences"),
    (Random(), "greedy_deterministic"),
    (ShiftingKey(), "cache_key_stable"),
    (InstantModel(fail_if=lambda r: True), "loglikelihood_no_error"),
])
def test_a_broken_model_fails_the_check_it_breaks(broken: InstantModel, check: str) -> None:
    with pytest.raises(AssertionError, match=rf"^check_model: {check}: 'instant': "):
        check_model(broken)


def test_capabilities_are_respected() -> None:
    check_model(ScoresWithoutCapability())


def test_untyped_info_is_named() -> None:
    class NoInfo:
        info = {"name": "x"}

    with pytest.raises(AssertionError, match="check_model: info: .*ModelInfo"):
        check_model(NoInfo())


# --- scorers ----------------------------------------------------------------------------

def _right_case(name: str) -> tuple[Any, Sample, Any]:
    """Every built-in scorer with a sample and an output it should mark right."""
    said = lambda text: Completion((text,), finish_reason="stop")  # noqa: E731
    cases = {
        "multiple_choice": ({}, Sample(id="m", input="2+2?", target=1, choices=("3", "4", "5")),
                            ChoiceOutput(tuple(LoglikelihoodResult(lp, False, 1) for lp in (-3.0, -0.5, -4.0)))),
        "exact_match": ({}, Sample(id="e", input="Capital of France?", target="Paris"), said("Paris")),
        "regex": ({"pattern": r"answer is (\w+)"}, Sample(id="r", input="?", target="Paris"),
                  said("The answer is Paris")),
        "number": ({}, Sample(id="n", input="2+3?", target="5"), said("5")),
        "f1": ({}, Sample(id="f", input="?", target="the red fox"), said("the red fox")),
        "instructions": ({}, Sample(id="i", input="Write two words.", target=None,
                                    metadata={"checks": [{"type": "max_words", "n": 3}]}), said("two words")),
        "perplexity": ({}, Sample(id="p", input="We the People", target=""), RollingLoglikelihoodResult(-9.0, 3)),
        "code": ({}, Sample(id="c", input="Write add.", target=None,
                            metadata={"prompt": 'def add(a, b):\n    """Return a + b."""\n', "entry_point": "add",
                                      "test": "def check(f):\n    assert f(2, 3) == 5\n",
                                      "canonical_solution": "    return a + b\n"}),
                 said("```python\ndef add(a, b):\n    return a + b\n```")),
    }
    params, sample, output = cases[name]
    return scorer_from_name(name, **params), sample, output


# `dpe` is left out on purpose: its `dpe` and `dpe_level` are defined only for a passing answer
# (NaN otherwise) and `dpe_level` is an ordinal level, not a [0, 1] score; profiling takes
# seconds. tests/integration/test_code_scoring.py checks it on its references instead.
@pytest.mark.parametrize("name", [n for n in scorer_names() if n != "dpe"])
def test_every_builtin_scorer_conforms(name: str) -> None:
    scorer, sample, output = _right_case(name)
    check_scorer(scorer, sample, output)
    if not getattr(scorer, "ratio_metrics", None):  # perplexity has no "right": its values are not in [0, 1]
        assert max(scorer(sample, output).values.values()) == 1.0  # the case is right, so the checks saw a right output


class _Broken:
    name = "broken"
    metrics = ("acc", "acc_norm")

    def __call__(self, sample: Sample, output: Any) -> Score:
        return Score({"acc": 1.0})


class _OutOfRange(_Broken):
    def __call__(self, sample: Sample, output: Any) -> Score:
        return Score({"acc": 2.0, "acc_norm": float("nan")})


class _Flaky(_Broken):
    n = 0

    def __call__(self, sample: Sample, output: Any) -> Score:
        self.n += 1
        return Score({"acc": float(self.n % 2), "acc_norm": 0.0})


@pytest.mark.parametrize("scorer, check", [
    (_Broken(), "metrics_produced"), (_OutOfRange(), "values_in_unit_range"), (_Flaky(), "deterministic"),
])
def test_a_broken_scorer_fails_the_check_it_breaks(scorer: Any, check: str) -> None:
    with pytest.raises(AssertionError, match=rf"^check_scorer: {check}: 'broken': "):
        check_scorer(scorer, Sample(id="s", input="q", target="a"), Completion(("a",)))


def test_a_scorer_without_a_name_fails() -> None:
    nameless = _Broken()
    nameless.name = ""
    with pytest.raises(AssertionError, match="check_scorer: name: "):
        check_scorer(nameless, Sample(id="s", input="q", target="a"), Completion(("a",)))
