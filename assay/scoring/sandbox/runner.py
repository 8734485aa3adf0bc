"""Run one program under one mechanism: spawn it with its limits, wait for it or kill its
whole tree at the wall limit, and say what happened (`ExecutionResult`).

Every execution gets a fresh throwaway directory (a tmpfs under bwrap), its own process
group, and — when the parent is root — its own uid, so that at the end every process the
program started, detached or double-forked ones included, is killed by uid as well as by
the PID namespace closing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

from assay.scoring.sandbox.limits import SandboxLimits
from assay.scoring.sandbox.mechanisms import Mechanism, bwrap_command, clean_env, unshare_command
from assay.scoring.sandbox.result import ExecutionResult, classify

_UID_BASE = 210_000
_SETUP_TOOLS = ("bwrap:", "unshare:", "prlimit:", "nice:")


class UidPool:
    """Unprivileged uids for concurrent executions, unique within this process (and, by the
    pid in the base, unlikely to collide with another assay process on the machine). Only
    used when the parent is root: the kernel does not apply RLIMIT_NPROC to root."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: list[int] = []
        self._next = _UID_BASE + (os.getpid() % 20_000) * 64

    def acquire(self) -> int:
        with self._lock:
            if self._free:
                return self._free.pop()
            self._next += 1
            return self._next

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.append(uid)


UIDS = UidPool()


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as `uid` (kill(-1) from that uid reaches exactly those):
    the catch-all for a daemon that escaped the process group."""
    kill = shutil.which("kill") or "/bin/kill"
    subprocess.run([kill, "-9", "-1"], user=uid, group=uid, extra_groups=[], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _read(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return ""
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > limit else "")


def _status_records(path: Path) -> list[dict]:
    """bwrap writes one JSON document per event to its status fd, not separated."""
    text = _read(path, 1 << 16)
    records, decoder, i = [], json.JSONDecoder(), 0
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        try:
            obj, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        records.append(obj)
    return records


def execute(source: str, *, mechanism: Mechanism, python: str, limits: SandboxLimits = SandboxLimits(),
            files: Mapping[str, str] | None = None, argv: Sequence[str] = ("main.py",)) -> ExecutionResult:
    """Run `source` as main.py (with `files` beside it) under `mechanism` and `limits`."""
    root = geteuid() == 0
    uid = UIDS.acquire() if root else None
    scratch = Path(tempfile.mkdtemp(prefix="assay-sandbox-"))
    began = time.perf_counter()
    try:
        return _execute(source, mechanism, python, limits, dict(files or {}), list(argv), uid, scratch, began)
    except OSError as exc:
        return ExecutionResult(*_error(f"{type(exc).__name__}: {exc}"), wall_s=time.perf_counter() - began,
                               mechanism=mechanism.value, message=f"sandbox could not start: {exc}")
    finally:
        if uid is not None:
            kill_uid(uid)
            UIDS.release(uid)
        shutil.rmtree(scratch, ignore_errors=True)


def geteuid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _error(message: str) -> tuple:
    from assay.scoring.sandbox.result import Status

    return Status.SANDBOX_ERROR, None, "", message


def _execute(source: str, mechanism: Mechanism, python: str, limits: SandboxLimits, files: dict[str, str],
             argv: list[str], uid: int | None, scratch: Path, began: float) -> ExecutionResult:
    everything = {"main.py": source, **files}
    for name in everything:
        if "/" in name or name.startswith("."):
            raise ValueError(f"sandbox file names are plain names, got {name!r}")
    inputs = scratch / "in"
    inputs.mkdir()
    for name, text in everything.items():
        (inputs / name).write_text(text, encoding="utf-8")
    out_path, err_path, status_path = scratch / "stdout", scratch / "stderr", scratch / "status"
    opened: list[int] = []
    pass_fds: list[int] = []
    cwd = "/"
    if mechanism is Mechanism.BWRAP:
        status_fd = os.open(status_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        opened.append(status_fd)
        fds = {}
        for name in everything:
            fd = os.open(inputs / name, os.O_RDONLY)
            opened.append(fd)
            fds[name] = fd
        pass_fds = list(opened)
        inner = bwrap_command(python, argv, fds, limits.disk_mb, status_fd)
        env = clean_env("/tmp/work")
    else:
        work = scratch / "work"
        shutil.copytree(inputs, work)
        if uid is not None:
            os.chmod(scratch, 0o711)
            for path in (work, *work.iterdir()):
                os.chown(path, uid, uid)
        cwd = str(work)
        inner = unshare_command(python, argv) if mechanism is Mechanism.UNSHARE else [python, *argv]
        env = clean_env(str(work))
    command = ["prlimit", *limits.prlimit_args(), "--", "nice", "-n", "10", *inner]
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    timed_out = False
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd,
                                    pass_fds=pass_fds, process_group=0, close_fds=True, **ids)
            try:
                proc.wait(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)
                proc.wait()
            else:
                _kill_group(proc.pid)  # anything left in the group (a detached child) goes too
    finally:
        for fd in opened:
            os.close(fd)
    wall = time.perf_counter() - began
    if uid is not None:
        kill_uid(uid)
    limit = int(limits.output_kb) * 1024
    stdout, stderr = _read(out_path, limit), _read(err_path, limit)
    exit_code = proc.returncode
    setup_error = None
    started = True
    if mechanism is Mechanism.BWRAP:
        records = _status_records(status_path)
        started = any("child-pid" in r for r in records)
        codes = [r["exit-code"] for r in records if "exit-code" in r]
        if codes and not timed_out:
            exit_code = int(codes[-1])
        if "bwrap: execvp" in stderr[:500]:
            setup_error = stderr.strip().splitlines()[0]
    if not timed_out and exit_code != 0 and stderr.lstrip().startswith(_SETUP_TOOLS) and setup_error is None:
        first = stderr.strip().splitlines()[0]
        if mechanism is not Mechanism.BWRAP or not started:
            setup_error = first
    status, message = classify(exit_code, stderr, timed_out=timed_out, started=started, setup_error=setup_error)
    return ExecutionResult(status, None if timed_out else exit_code, stdout, stderr, wall, mechanism.value, message)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
