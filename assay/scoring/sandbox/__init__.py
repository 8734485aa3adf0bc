"""A sandbox for untrusted code: no network, a read-only filesystem outside a throwaway work
directory, CPU/wall/memory/process/file-size limits, a clean environment, and the whole
process tree killed at the end. See docs/code.md for what it does and does not protect
against.

- `mechanisms`: bubblewrap, unshare or (unsafe) none, and the probe that picks one.
- `runner`: one execution; `sandbox`: `Sandbox` with concurrency and retries.
- `result`: `Status` and `ExecutionResult`.
"""

from assay.scoring.sandbox.limits import SandboxLimits
from assay.scoring.sandbox.mechanisms import Mechanism, SandboxUnavailableError
from assay.scoring.sandbox.result import ExecutionResult, Status
from assay.scoring.sandbox.sandbox import Sandbox, flaky_rate, run_program

__all__ = ["ExecutionResult", "Mechanism", "Sandbox", "SandboxLimits", "SandboxUnavailableError", "Status",
           "flaky_rate", "run_program"]
