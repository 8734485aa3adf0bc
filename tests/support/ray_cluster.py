"""A real local Ray cluster for tests: a head node and one worker node, each its own `ray start
--block` process (in its own process group), stopped by PID at the end.

Small on purpose: 2 CPUs per node, no dashboard, usage stats off, a private temp dir (short:
Ray's socket paths must fit in 107 bytes), a 100 MB object store per node. Ray 2.60 enables
token authentication: the cluster gets a fresh token, and `client_env` is what a driver
needs in its environment to connect (the token never travels in a payload).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.llama_server import free_port

RAY = str(Path(sys.executable).with_name("ray"))


class RayCluster:
    """`with RayCluster() as cluster: cluster.address` — head + one worker node on 127.0.0.1."""

    def __init__(self, cpus_per_node: int = 2, worker_nodes: int = 1, client_env: dict[str, str] | None = None) -> None:
        self.cpus = cpus_per_node
        self.worker_nodes = worker_nodes
        self.port = free_port()
        self.temp = Path(tempfile.mkdtemp(prefix="rayt", dir="/tmp"))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.client_env = client_env or {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _start(self, args: list[str], log: str) -> None:
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **self.client_env}
        with open(self.temp / log, "wb") as out:
            self.processes.append(subprocess.Popen(
                [RAY, "start", "--block", "--num-cpus", str(self.cpus), "--object-store-memory", str(100 * 1024 ** 2),
                 "--node-ip-address", "127.0.0.1", "--disable-usage-stats", *args],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True))

    def nodes_alive(self) -> int:
        done = subprocess.run([RAY, "status", "--address", self.address], capture_output=True, text=True, timeout=30,
                              env={**os.environ, **self.client_env})
        if done.returncode != 0:
            return 0
        active = done.stdout.split("Active:", 1)[-1].split("Pending:", 1)[0]
        return sum(1 for line in active.splitlines() if "node_" in line)

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
            return True
        except OSError:
            return False

    def start(self, timeout_s: float = 90.0) -> "RayCluster":
        self._start(["--head", "--port", str(self.port), "--include-dashboard=false", "--temp-dir", str(self.temp)],
                    "head.log")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._listening():  # the head's GCS is up: nodes may join
            self._check_alive()
            time.sleep(0.2)
        if not self._listening():
            self.stop()
            raise RuntimeError(f"the Ray head did not start within {timeout_s:.0f} s")
        # The worker nodes join while the test goes on: a run that needs their CPUs waits for
        # them (Ray queues an actor until a node has room), so nothing waits here.
        for i in range(self.worker_nodes):
            self._start(["--address", self.address], f"worker{i}.log")
        return self

    def _check_alive(self) -> None:
        if any(p.poll() is not None for p in self.processes):
            logs = {p.name: p.read_text(errors="replace")[-2000:] for p in self.temp.glob("*.log")}
            self.stop()
            raise RuntimeError(f"a ray node exited early: {logs}")

    def stop(self) -> None:
        """SIGTERM to each node's process group (workers first), SIGKILL to what is left after 5 s."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in self.processes:
            try:  # the node's daemons share its process group: none outlives the test
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if process.poll() is None:
                process.wait(timeout=10)
        shutil.rmtree(self.temp, ignore_errors=True)

    def __enter__(self) -> "RayCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
