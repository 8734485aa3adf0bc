"""The hostile-program battery: each attack is contained, and each test checks the
observable fact that proves it (the host file is absent, the listener saw nothing, no
process of the program is left, the host kept answering).

Runs the real sandbox (bubblewrap here; `make test` installs it). Keep the whole file under
~40 s: short time limits, one program per attack.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from assay.scoring.sandbox import Mechanism, Sandbox, SandboxLimits, Status

TIMEOUT = 3.0


@pytest.fixture(scope="module")
def box() -> Sandbox:
    sandbox = Sandbox(SandboxLimits(timeout_s=TIMEOUT, memory_mb=512, disk_mb=32, file_mb=8))
    assert sandbox.mechanism.isolates_network
    return sandbox


def _host_processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def test_the_strongest_mechanism_is_named(box: Sandbox) -> None:
    result = box.run("print('hello')")
    assert result.status is Status.PASSED and result.stdout == "hello\n"
    assert result.mechanism == box.mechanism.value == "bwrap"  # installed by `make test`


def test_fork_bomb_is_contained_and_the_host_stays_responsive(box: Sandbox) -> None:
    marker = f"forkbomb{uuid.uuid4().hex[:8]}"
    bomb = ("import os, sys\nsys.argv[0] = '%s'\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
            "        pass\n" % marker)
    lags: list[float] = []
    stop = threading.Event()

    def heartbeat() -> None:  # the host: a 50 ms tick and a process spawn must keep working
        while not stop.is_set():
            t = time.perf_counter()
            subprocess.run(["true"], check=True)
            time.sleep(0.05)
            lags.append(time.perf_counter() - t)

    beat = threading.Thread(target=heartbeat)
    beat.start()
    began = time.perf_counter()
    result = box.run(bomb)
    elapsed = time.perf_counter() - began
    stop.set()
    beat.join()
    assert result.status is Status.TIMEOUT
    assert elapsed <= TIMEOUT + 2.0
    assert lags and max(lags) < 2.0, f"the host stalled for {max(lags):.2f} s"
    time.sleep(0.2)
    assert not _host_processes_with(marker)


def test_memory_bomb_reports_memory(box: Sandbox) -> None:
    result = box.run("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))\n")
    assert result.status is Status.MEMORY, result
    assert "MemoryError" in result.message


def test_infinite_loop_times_out_within_the_limit(box: Sandbox) -> None:
    began = time.perf_counter()
    result = box.run("while True:\n    pass\n")
    assert result.status is Status.TIMEOUT
    assert time.perf_counter() - began <= TIMEOUT + 2.0


def test_writes_outside_the_work_dir_never_reach_the_host(box: Sandbox, tmp_path: Path) -> None:
    # /usr is visible in the sandbox, read-only; the checkout may sit under /tmp or /home, which
    # the sandbox hides (a write there fails as a missing directory): either way it must be refused.
    in_usr = Path("/usr/local") / f"assay-escape-{uuid.uuid4().hex[:8]}.txt"
    in_repo = Path(__file__).resolve().parent / f"escape-{uuid.uuid4().hex[:8]}.txt"
    in_tmp = tmp_path / "escape.txt"
    program = (f"import pathlib\nfor p in [{str(in_usr)!r}, {str(in_repo)!r}, {str(in_tmp)!r}]:\n    try:\n"
               "        pathlib.Path(p).write_text('pwned')\n        print('wrote', p)\n"
               "    except OSError as e:\n        print('refused', p, e)\n"
               "open('inside.txt', 'w').write('fine')\nprint(open('inside.txt').read())\n")
    result = box.run(program)
    assert result.status is Status.PASSED
    assert f"refused {in_usr}" in result.stdout and "Read-only file system" in result.stdout
    assert f"refused {in_repo}" in result.stdout and f"refused {in_tmp}" in result.stdout
    assert "fine" in result.stdout  # the work directory itself is writable
    assert not in_usr.exists() and not in_repo.exists() and not in_tmp.exists()  # /tmp inside is a throwaway tmpfs


def test_files_under_home_cannot_be_read(box: Sandbox) -> None:
    home = Path(os.path.expanduser("~"))
    secret_file = home / f".assay-sandbox-secret-{uuid.uuid4().hex[:8]}"
    secret = uuid.uuid4().hex
    secret_file.write_text(secret)
    try:
        result = box.run(f"try:\n    print(open({str(secret_file)!r}).read())\nexcept OSError as e:\n"
                         "    print('refused', type(e).__name__)\n")
    finally:
        secret_file.unlink()
    assert secret not in result.stdout
    assert "refused" in result.stdout


def test_no_tcp_connection_reaches_a_host_listener(box: Sandbox) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    program = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'x')\n"
               "    print('connected')\nexcept OSError as e:\n    print('refused', e)\n")
    result = box.run(program)
    try:
        listener.accept()
        seen = True
    except socket.timeout:
        seen = False
    finally:
        listener.close()
    assert not seen, "the listener saw a connection from the sandbox"
    assert "refused" in result.stdout


def test_parent_environment_secrets_are_not_visible(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = uuid.uuid4().hex
    monkeypatch.setenv("ASSAY_TEST_API_KEY", secret)
    result = box.run("import os\nprint(dict(os.environ))\nfor p in ('/proc/1/environ', '/proc/self/environ'):\n"
                     "    try:\n        print(open(p, 'rb').read())\n    except OSError as e:\n        print(e)\n")
    assert result.status is Status.PASSED
    assert secret not in result.stdout and "ASSAY_TEST_API_KEY" not in result.stdout


def test_a_double_forked_daemon_does_not_outlive_the_run(box: Sandbox) -> None:
    marker = f"98{uuid.uuid4().int % 10**7:07d}"
    daemon = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n    os._exit(0)\n"
              "time.sleep(0.3)\nprint('parent exits')\n")
    result = box.run(daemon)
    assert result.status is Status.PASSED and "parent exits" in result.stdout
    time.sleep(0.3)
    assert not _host_processes_with(f"sleep {marker}")


def test_killing_the_parent_process_group_hurts_only_the_program(box: Sandbox) -> None:
    program = ("import os, signal\nfor target in (lambda: os.killpg(os.getpgid(os.getppid()), 9),\n"
               "               lambda: os.kill(os.getppid(), 9), lambda: os.kill(-1, 9)):\n"
               "    try:\n        target()\n    except OSError:\n        pass\nimport time\ntime.sleep(5)\n")
    result = box.run(program)
    assert result.status in (Status.KILLED, Status.TIMEOUT, Status.SANDBOX_ERROR)
    assert os.getpgid(0) > 0  # this process (and its group) lives on
    assert box.run("print('still fine')").stdout == "still fine\n"


def test_filling_the_disk_fills_only_the_sandbox(box: Sandbox) -> None:
    before = shutil.disk_usage("/tmp").free
    program = ("import os\nn = 0\ntry:\n    while True:\n        with open(f'fill{n}.bin', 'wb') as f:\n"
               "            for _ in range(16):\n                f.write(b'x' * 1024 * 1024)\n        n += 1\n"
               "except OSError as e:\n    print('stopped', n, e)\n    raise\n")
    result = box.run(program)
    after = shutil.disk_usage("/tmp").free
    assert result.status is Status.FAILED
    assert "No space left" in result.stderr or "File too large" in result.stderr
    assert before - after < 16 * 1024 * 1024  # nothing landed on the host disk
