"""`Sandbox`: run untrusted programs with limits, bounded concurrency and retries.

    box = Sandbox(SandboxLimits(timeout_s=5, memory_mb=512))
    box.mechanism                       # Mechanism.BWRAP here: which isolation runs
    box.run("print(1)").status          # Status.PASSED
    box.run_many(programs)              # at most `concurrency` at once (default: cores)

Retries separate flaky infrastructure from wrong code: a program that does not pass is run
again up to `retries` times; if a later attempt passes, the result is `passed` with
`flaky=True`, and `flaky_rate` reports how often that happened.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Mapping, Sequence

from assay.errors import ConfigError
from assay.scoring.sandbox.limits import SandboxLimits
from assay.scoring.sandbox.mechanisms import Mechanism, resolve
from assay.scoring.sandbox.result import ExecutionResult, Status
from assay.scoring.sandbox.runner import execute
from dataclasses import replace

Program = str | tuple[str, Mapping[str, str]]
"""A program's source, or (source, extra files beside it)."""


class Sandbox:
    """A configured sandbox. The mechanism is chosen (and checked to work) when it is made:
    the strongest this machine offers, or the one asked for; without network isolation it
    refuses unless `unsafe=True` — it never falls back silently."""

    def __init__(self, limits: SandboxLimits = SandboxLimits(), *, mechanism: Mechanism | str | None = None,
                 unsafe: bool = False, concurrency: int | None = None, retries: int = 0) -> None:
        if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
            raise ConfigError(f"sandbox concurrency must be >= 1, got {concurrency!r}", field="concurrency")
        if not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"sandbox retries must be >= 0, got {retries!r}", field="retries")
        self.limits = limits
        self.unsafe = unsafe
        self.concurrency = concurrency or os.cpu_count() or 1
        self.retries = retries
        self.mechanism, self.python = resolve(mechanism, unsafe)

    def run(self, source: str, files: Mapping[str, str] | None = None,
            limits: SandboxLimits | None = None) -> ExecutionResult:
        """Run `source` as main.py (with `files` beside it), retrying a non-pass."""
        chosen = limits or self.limits
        attempts: list[ExecutionResult] = []
        for _ in range(self.retries + 1):
            result = execute(source, mechanism=self.mechanism, python=self.python, limits=chosen, files=files)
            attempts.append(result)
            if result.passed:
                break
        last = attempts[-1]
        flaky = last.passed and len(attempts) > 1
        if not last.passed and any(a.status.is_answer_fault for a in attempts):
            # A sandbox error in some attempt must not hide the program's own verdict.
            last = next(a for a in reversed(attempts) if a.status.is_answer_fault)
        return replace(last, attempts=len(attempts), flaky=flaky)

    def run_many(self, programs: Sequence[Program], *, on_done: Callable[[int], None] | None = None,
                 limits: SandboxLimits | None = None) -> list[ExecutionResult]:
        """Run each program (at most `concurrency` at once); results in input order.
        `on_done(i)` is called as each finishes (for a progress bar)."""

        def one(i: int) -> ExecutionResult:
            program = programs[i]
            source, files = (program, None) if isinstance(program, str) else program
            result = self.run(source, files, limits)
            if on_done is not None:
                on_done(i)
            return result

        if self.concurrency == 1 or len(programs) <= 1:
            return [one(i) for i in range(len(programs))]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="assay-sandbox") as pool:
            return list(pool.map(one, range(len(programs))))


def flaky_rate(results: Sequence[ExecutionResult]) -> float:
    """Share of executions that failed and then passed on a retry (NaN for none)."""
    return sum(r.flaky for r in results) / len(results) if results else float("nan")


def run_program(source: str, *, timeout_s: float = 10.0, memory_mb: int = 1024, mechanism: Mechanism | str | None = None,
                unsafe: bool = False, retries: int = 0, files: Mapping[str, str] | None = None) -> ExecutionResult:
    """Run one program in a fresh sandbox: what `assay sandbox run` does."""
    box = Sandbox(SandboxLimits(timeout_s=timeout_s, memory_mb=memory_mb), mechanism=mechanism, unsafe=unsafe,
                  retries=retries)
    return box.run(source, files)


__all__ = ["Sandbox", "flaky_rate", "run_program", "Status"]
