"""The isolation mechanisms this machine may offer, the command that runs a program under
each, and the probe that picks the strongest one that works.

- `bwrap` (bubblewrap): new user, network, PID, IPC, UTS and mount namespaces; the whole
  filesystem read-only, `/tmp` a size-limited tmpfs holding the work directory, `$HOME`,
  `/root` and `/home` hidden; dies with its parent.
- `unshare` (util-linux): new user, network and PID namespaces; the filesystem is
  protected only by Unix permissions (the program runs as an unprivileged user), the work
  directory is a fresh host directory.
- `none`: limits, a process group and a clean environment only — no network isolation,
  so it runs only with `unsafe=True`.

Under every mechanism, when the parent runs as root, the program runs as a uid of its
own, so RLIMIT_NPROC binds (the kernel exempts root) and every process left at the end
can be killed by uid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from enum import Enum
from pathlib import Path

from assay.errors import AssayError

WORK_DIR = "/tmp/work"
"""Where the program runs inside a bwrap sandbox."""


class Mechanism(str, Enum):
    BWRAP = "bwrap"
    UNSHARE = "unshare"
    NONE = "none"

    @property
    def isolates_network(self) -> bool:
        return self is not Mechanism.NONE


class SandboxUnavailableError(AssayError):
    """No mechanism that isolates the network works here, and `unsafe` was not given; or the
    mechanism asked for is not available."""


def clean_env(home: str) -> dict[str, str]:
    """The whole environment a program sees: nothing of the parent's (no tokens, no keys)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": "0"}


def _hidden_dirs() -> list[str]:
    home = os.environ.get("HOME", "")
    dirs = ["/root", "/home"]
    if home and home not in ("/", "/tmp") and not any(home.startswith(d + "/") or home == d for d in dirs):
        dirs.append(home)
    return [d for d in dirs if os.path.isdir(d)]


def bwrap_command(python: str, argv: list[str], files: dict[str, int], disk_mb: int, status_fd: int) -> list[str]:
    """bubblewrap's command line. `files` maps a name in the work directory to a readable fd
    whose content bwrap copies there."""
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
           "--dev", "/dev", "--proc", "/proc", "--size", str(int(disk_mb) * 1024 * 1024), "--tmpfs", "/tmp"]
    for hidden in _hidden_dirs():
        cmd += ["--tmpfs", hidden]
    cmd += ["--dir", WORK_DIR, "--chdir", WORK_DIR, "--json-status-fd", str(status_fd), "--clearenv"]
    for key, value in clean_env(WORK_DIR).items():
        cmd += ["--setenv", key, value]
    for name, fd in files.items():
        cmd += ["--file", str(fd), f"{WORK_DIR}/{name}"]
    return cmd + ["--", python, *argv]


def unshare_command(python: str, argv: list[str]) -> list[str]:
    return ["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
            "--ipc", "--uts", "--", python, *argv]


def python_candidates() -> list[str]:
    """Interpreters to try, the running one first: a sandbox user may not be able to read a
    private interpreter (pyenv under /root), while the system one is readable by all."""
    seen: list[str] = []
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if candidate and os.path.exists(candidate) and candidate not in seen:
            seen.append(candidate)
    return seen


_probe_lock = threading.Lock()
_probed: dict[Mechanism, str | None] = {}


def probe(mechanism: Mechanism) -> str | None:
    """The interpreter that runs under `mechanism` here, or None if the mechanism does not
    work (missing tool, namespaces refused). Probed once per process."""
    from assay.scoring.sandbox.runner import execute  # the probe is a real execution
    from assay.scoring.sandbox.limits import SandboxLimits

    with _probe_lock:
        if mechanism in _probed:
            return _probed[mechanism]
        found: str | None = None
        tool = {Mechanism.BWRAP: "bwrap", Mechanism.UNSHARE: "unshare", Mechanism.NONE: "prlimit"}[mechanism]
        if shutil.which(tool) and shutil.which("prlimit"):
            for python in python_candidates():
                result = execute("import sys\nprint('ok')\n", mechanism=mechanism, python=python,
                                 limits=SandboxLimits(timeout_s=20, memory_mb=2048))
                if result.status.value == "passed" and result.stdout.strip() == "ok":
                    found = python
                    break
        _probed[mechanism] = found
        return found


def detect(unsafe: bool = False) -> tuple[Mechanism, str]:
    """The strongest working mechanism and its interpreter. Refuses (raises
    `SandboxUnavailableError`) when nothing isolates the network unless `unsafe`."""
    for mechanism in (Mechanism.BWRAP, Mechanism.UNSHARE):
        python = probe(mechanism)
        if python is not None:
            return mechanism, python
    if not unsafe:
        raise SandboxUnavailableError(
            "no sandbox that isolates the network works on this machine (tried bubblewrap and unshare); "
            "install bubblewrap (apt-get install bubblewrap) or pass --unsafe / unsafe=True to run untrusted "
            "code without network isolation")
    python = probe(Mechanism.NONE)
    if python is None:
        raise SandboxUnavailableError("even the unsafe runner (prlimit + python) does not work here")
    return Mechanism.NONE, python


def resolve(mechanism: Mechanism | str | None, unsafe: bool) -> tuple[Mechanism, str]:
    """The mechanism asked for (checked to work), or the strongest that works."""
    if mechanism is None or mechanism == "auto":
        return detect(unsafe)
    mech = Mechanism(mechanism)
    if not mech.isolates_network and not unsafe:
        raise SandboxUnavailableError("mechanism 'none' does not isolate the network; it runs only with --unsafe")
    python = probe(mech)
    if python is None:
        raise SandboxUnavailableError(f"sandbox mechanism '{mech.value}' does not work on this machine")
    return mech, python


def readable_path(path: Path) -> bool:
    return os.access(path, os.R_OK)
