"""What one sandboxed execution ended as: a status, its output, and why.

The statuses are distinct on purpose: a wrong program (`failed`), one that ran too long
(`timeout`), ran out of memory (`memory`) or died by a signal (`killed`) is the model's
fault; a `sandbox_error` (the sandbox could not start, or broke) is the machine's, and
code scoring never counts it as a wrong answer.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    KILLED = "killed"
    SANDBOX_ERROR = "sandbox_error"

    @property
    def is_answer_fault(self) -> bool:
        """True when the status says something about the program, not the machine."""
        return self is not Status.SANDBOX_ERROR


@dataclass(frozen=True)
class ExecutionResult:
    """One execution. `message` explains a non-passing status (the test's assertion, the
    limit hit, the signal); `attempts` counts runs including retries; `flaky` is True when
    an earlier attempt did not pass and a later one did."""

    status: Status
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float
    mechanism: str
    message: str = ""
    attempts: int = 1
    flaky: bool = False

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "exit_code": self.exit_code, "stdout": self.stdout,
                "stderr": self.stderr, "wall_s": round(self.wall_s, 6), "mechanism": self.mechanism,
                "message": self.message, "attempts": self.attempts, "flaky": self.flaky}


_MEMORY_MARKS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def classify(exit_code: int | None, stderr: str, *, timed_out: bool, started: bool,
             setup_error: str | None = None) -> tuple[Status, str]:
    """The status and explanation of an execution from what the runner saw.

    `exit_code` follows the shell convention the sandboxes report (128 + signal for a
    process killed by a signal; a negative code is Popen's own for the sandbox process).
    `started` is False when the sandbox never ran the program (its own setup failed).
    """
    if setup_error is not None or not started:
        return Status.SANDBOX_ERROR, setup_error or last_line(stderr) or "the sandbox did not start the program"
    if timed_out:
        return Status.TIMEOUT, "wall-clock time limit reached; the process tree was killed"
    tail = last_line(stderr)
    if exit_code == 0:
        return Status.PASSED, ""
    if exit_code is None:
        return Status.SANDBOX_ERROR, "no exit status"
    if any(mark in tail for mark in _MEMORY_MARKS) or (exit_code != 0 and "MemoryError" in stderr[-2000:]):
        return Status.MEMORY, tail or "memory limit reached"
    signo = -exit_code if exit_code < 0 else exit_code - 128 if exit_code > 128 else 0
    if signo == signal.SIGXCPU:
        return Status.TIMEOUT, "CPU time limit reached (SIGXCPU)"
    if signo == signal.SIGXFSZ:
        return Status.FAILED, "file size limit reached (SIGXFSZ)"
    if signo > 0 and signo < signal.NSIG:
        name = signal.Signals(signo).name if signo in signal.Signals._value2member_map_ else str(signo)
        return Status.KILLED, f"killed by {name}"
    return Status.FAILED, failure_message(stderr) or f"exit code {exit_code}"


def failure_message(stderr: str) -> str:
    """The exception line of a traceback, with the source line that raised it when the
    exception says nothing itself (a bare `assert` gives just "AssertionError")."""
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    tail = lines[-1].strip()
    if ":" in tail or len(lines) < 2:
        return tail
    source = [ln.strip() for ln in lines[:-1] if ln.startswith("    ") and not ln.strip().startswith(("File ", "^", "~"))]
    return f"{tail} at: {source[-1][:200]}" if source else tail
