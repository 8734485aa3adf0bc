"""The `code` scorer: extract the program from each generated answer, run it against the
problem's tests in the sandbox, and report pass@k.

A problem's tests and context live in the sample's metadata, in either of the two common
layouts:

- HumanEval: `prompt` (the signature and docstring the model completes), `entry_point`,
  `test` (defines `check(candidate)`), `canonical_solution` (the body after `prompt`);
- MBPP: `test_list` (assert lines), optional `test_setup_code`, `code` (a reference).

A bare `tests` string (run after the program) also works. Several answers per sample
(`n` > 1) give the unbiased pass@k (`assay.stats.passk`) for each k <= n.

What counts: `passed` and the program's own faults (failed, timeout, memory, killed, and an
answer that is empty, not Python, or ambiguous) are verdicts; a sandbox error, or tests
that fail on the problem's own reference solution (`test_error`), are not, so the answer
is left out (NaN) rather than counted wrong.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from assay.core.responses import Completion, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.errors import ConfigError, DataError
from assay.scoring.code_extract import ExtractStatus, extract_code, _syntax_error
from assay.stats.passk import pass_at_k

TEST_ERROR = "test_error"
NOT_COUNTED = {"sandbox_error", TEST_ERROR}
FLAKY_NOTE = " (passed on a retry: flaky)"


@dataclass(frozen=True)
class CodeProblem:
    """What a program is checked against: `prefix` (code before the answer), the test code
    run after it, the function the tests call, and a reference program if the data has one."""

    id: str
    prefix: str
    tests: str
    entry_point: str | None
    reference: str | None
    """A reference answer in the form an answer takes (a body after `prefix`, or a whole program)."""

    @classmethod
    def from_sample(cls, sample: Sample) -> "CodeProblem":
        meta: Mapping[str, Any] = sample.metadata
        entry = meta.get("entry_point")
        prefix = str(meta.get("prompt", "")) if isinstance(meta.get("prompt"), str) else ""
        setup = str(meta.get("test_setup_code") or "")
        if isinstance(meta.get("test"), str) and meta["test"].strip():
            if not entry:
                raise DataError(f"sample {sample.id}: a HumanEval-style 'test' needs 'entry_point'", field="entry_point")
            tests = f"{meta['test']}\n\ncheck({entry})\n"
        elif isinstance(meta.get("tests"), str) and meta["tests"].strip():
            tests = meta["tests"]
        elif isinstance(meta.get("test_list"), (list, tuple)) and meta["test_list"]:
            tests = "\n".join(str(t) for t in meta["test_list"]) + "\n"
        else:
            raise DataError(f"sample {sample.id}: no tests; give 'test' + 'entry_point' (HumanEval), 'test_list' "
                            "(MBPP) or 'tests' in the data", field="tests")
        reference = None
        if isinstance(meta.get("canonical_solution"), str):
            reference = meta["canonical_solution"]  # the body that follows `prompt`
        elif isinstance(meta.get("code"), str):
            reference = meta["code"]
        elif isinstance(meta.get("reference"), str):
            reference = meta["reference"]
        return cls(sample.id, setup + ("\n" if setup else "") + prefix, tests, entry, reference)

    def program(self, code: str) -> str:
        """The file that runs: the context, the answer, then the tests. A full definition
        of the entry point follows the context (whose stub it replaces, keeping its imports
        and helpers); a bare body continues it."""
        joiner = "\n\n" if self.entry_point and _defines(code, self.entry_point) else ""
        return f"{self.prefix}{joiner}{code}\n\n\n{self.tests}"


def _defines(code: str, name: str) -> bool:
    from assay.scoring.code_extract import _defines as defines

    return defines(code, name)


class CodeExecution:
    """Scorer `code`: pass@k of a sample's generated programs run against its tests.

    `k`: the pass@k values reported (each needs n >= k answers per sample). `timeout_s`,
    `memory_mb`: sandbox limits per execution (EvalPerf uses 4 GB of address space).
    `retries`: re-run a non-passing program this many times (flaky infrastructure shows as
    a later pass). `check_tests`: run the problem's reference solution once first, so that
    tests that fail on their own reference are reported, not blamed on the model.
    `unsafe`: allow a sandbox without network isolation when no other works.
    """

    name = "code"

    def __init__(self, k: Sequence[int] | int = (1,), timeout_s: float = 10.0, memory_mb: int = 1024,
                 retries: int = 0, check_tests: bool = True, unsafe: bool = False,
                 mechanism: str | None = None, concurrency: int | None = None) -> None:
        ks = (k,) if isinstance(k, int) else tuple(k)
        if not ks or any(not isinstance(x, int) or x < 1 for x in ks):
            raise ConfigError(f"k must be positive integers, got {k!r}", field="k")
        self.ks = tuple(sorted(set(ks)))
        self.k = list(self.ks)  # kept under the parameter's name, so a run's scorer spec can rebuild it
        self.metrics = tuple(f"pass@{x}" for x in self.ks) + (("flaky",) if retries > 0 else ())
        """`flaky`: the share of a sample's answers that failed and then passed on a retry."""
        self.timeout_s, self.memory_mb, self.retries = timeout_s, memory_mb, retries
        self.check_tests, self.unsafe, self.mechanism, self.concurrency = check_tests, unsafe, mechanism, concurrency
        self._sandbox: Any = None
        self._lock = threading.Lock()
        self._reference_verdicts: dict[str, str | None] = {}
        self.results: list[tuple[str, str]] = []
        """(sample id, status) of every execution, for overhead and flaky-rate reports."""

    @property
    def sandbox(self) -> Any:
        with self._lock:
            if self._sandbox is None:
                from assay.scoring.sandbox import Sandbox, SandboxLimits

                self._sandbox = Sandbox(SandboxLimits(timeout_s=self.timeout_s, memory_mb=self.memory_mb),
                                        mechanism=self.mechanism, unsafe=self.unsafe,
                                        concurrency=self.concurrency, retries=self.retries)
            return self._sandbox

    def test_problem(self, problem: CodeProblem) -> str | None:
        """Why the problem's tests are unusable (None when they are fine): they do not parse,
        or they fail on the reference solution. Checked once per problem."""
        if problem.id in self._reference_verdicts:
            return self._reference_verdicts[problem.id]
        verdict = None
        error = _syntax_error(problem.tests)
        if error is not None:
            verdict = f"the test code is {error}"
        elif self.check_tests and problem.reference is not None:
            result = self.sandbox.run(problem.program(problem.reference))
            if result.status.value == "sandbox_error":
                return None  # the machine's fault: do not remember it as the tests'
            if not result.passed:
                verdict = f"the tests fail on the reference solution ({result.status.value}: {result.message})"
        self._reference_verdicts[problem.id] = verdict
        return verdict

    def run_answers(self, sample: Sample, answers: Sequence[str]) -> list[tuple[str, str, str]]:
        """(status, message, extracted code) of each answer; a pass after a failed attempt
        has " (passed on a retry: flaky)" in its message."""
        problem = CodeProblem.from_sample(sample)
        broken = self.test_problem(problem)
        if broken is not None:
            return [(TEST_ERROR, broken, "") for _ in answers]
        out: list[tuple[str, str, str] | None] = [None] * len(answers)
        to_run: list[tuple[int, str]] = []
        for i, answer in enumerate(answers):
            found = extract_code(answer, problem.entry_point, problem.prefix)
            if found.status is not ExtractStatus.OK:
                out[i] = (found.status.value, found.message, found.code)
            else:
                to_run.append((i, found.code))
        results = self.sandbox.run_many([problem.program(code) for _, code in to_run])
        for (i, code), result in zip(to_run, results):
            message = result.message + (FLAKY_NOTE if result.flaky else "")
            out[i] = (result.status.value, message, code)
        done = [o for o in out if o is not None]
        with self._lock:
            self.results.extend((sample.id, status) for status, _, _ in done)
        return done

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError("the code scorer reads generated text")
        answers = list(output.texts) or [""]
        runs = self.run_answers(sample, answers)
        counted = [r for r in runs if r[0] not in NOT_COUNTED]
        n, c = len(counted), sum(r[0] == "passed" for r in counted)
        values = {f"pass@{k}": (pass_at_k(n, c, k) if n >= k else math.nan) for k in self.ks}
        if self.retries > 0:
            values["flaky"] = sum(FLAKY_NOTE in r[1] for r in runs) / len(runs)
        tally = Counter(r[0] for r in runs)
        first_bad = next((r for r in runs if r[0] != "passed"), None)
        note = ", ".join(f"{status} {count}" for status, count in sorted(tally.items()))
        if first_bad is not None and first_bad[1]:
            note += f" — {first_bad[0]}: {first_bad[1]}"
        return Score(values, extracted=runs[0][2] if len(runs) == 1 else [r[2] for r in runs], explanation=note)
