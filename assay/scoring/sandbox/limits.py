"""The resource limits of one sandboxed execution, and the `prlimit` arguments that set them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from assay.errors import ConfigError


@dataclass(frozen=True)
class SandboxLimits:
    """Limits applied to every process of an execution.

    - `timeout_s`: wall-clock limit; the whole process tree is killed when it passes.
    - `cpu_s`: CPU seconds per process (RLIMIT_CPU); defaults to the wall limit + 1 s.
    - `memory_mb`: address space per process (RLIMIT_AS). EvalPerf uses 4 GB.
    - `processes`: processes of the sandbox user at once (RLIMIT_NPROC): stops fork bombs.
    - `file_mb`: largest file a process may write (RLIMIT_FSIZE).
    - `disk_mb`: size of the writable scratch filesystem (bwrap's tmpfs), so filling the
      disk fills only that.
    - `output_kb`: how much of stdout and stderr is kept.
    """

    timeout_s: float = 10.0
    cpu_s: float | None = None
    memory_mb: int = 1024
    processes: int = 64
    file_mb: int = 16
    disk_mb: int = 64
    output_kb: int = 256

    def __post_init__(self) -> None:
        for name in ("timeout_s", "memory_mb", "processes", "file_mb", "disk_mb", "output_kb"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"sandbox limit {name} must be a positive number, got {value!r}", field=name)
        if self.cpu_s is not None and not self.cpu_s > 0:
            raise ConfigError(f"sandbox limit cpu_s must be positive, got {self.cpu_s!r}", field="cpu_s")

    @property
    def cpu_limit_s(self) -> int:
        return int(math.ceil(self.cpu_s if self.cpu_s is not None else self.timeout_s + 1))

    def prlimit_args(self) -> list[str]:
        """util-linux `prlimit` options (soft:hard); the hard CPU limit is one second past
        the soft one, so SIGXCPU comes first and SIGKILL only if it is ignored."""
        cpu = self.cpu_limit_s
        memory = int(self.memory_mb) * 1024 * 1024
        fsize = int(self.file_mb) * 1024 * 1024
        return [f"--cpu={cpu}:{cpu + 1}", f"--as={memory}:{memory}", f"--nproc={int(self.processes)}:{int(self.processes)}",
                f"--fsize={fsize}:{fsize}", "--core=0:0"]
