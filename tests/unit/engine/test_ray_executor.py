"""The Ray executor's parts that need no cluster (issue 19): sharding by content key, and the
bad inputs refused before a run starts. The cluster itself is exercised for real in
tests/integration/test_scale_out_ray.py."""

from __future__ import annotations

import socket
import time
from collections import Counter

import pytest

from assay.engine.executors.ray import RayExecutor, check_address, refuse_secrets, version_mismatches
from assay.engine.executors.sharding import shard_of
from assay.errors import ConfigError


def test_shards_follow_content_and_a_lost_worker_moves_only_its_own_keys():
    keys = [f"{i:064x}" for i in range(3000)]
    workers = ["w0", "w1", "w2"]
    owners = {k: shard_of(k, workers) for k in keys}
    assert owners == {k: shard_of(k, list(reversed(workers))) for k in keys}  # order-free
    counts = Counter(owners.values())
    assert min(counts.values()) > 850  # about a third each
    after = {k: shard_of(k, ["w0", "w2"]) for k in keys}
    assert all(after[k] == owners[k] for k in keys if owners[k] != "w1")
    with pytest.raises(ValueError):
        shard_of(keys[0], [])


@pytest.mark.parametrize("address", ["nonsense", "host:port", "ray://:10001"])
def test_a_malformed_address_is_refused(address):
    with pytest.raises(ConfigError, match="bad Ray address") as info:
        check_address(address)
    assert info.value.field == "--ray-address"


def test_an_unreachable_address_is_refused_in_seconds():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    began = time.monotonic()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ConfigError, match="cannot reach the Ray cluster"):
            RayExecutor(address=address, workers=1)._connect()
    assert time.monotonic() - began < 10


def test_version_mismatch_names_each_difference():
    driver = {"ray": "2.60.0", "python": "3.11", "assay": "0.1.0"}
    assert version_mismatches(driver, dict(driver)) == []
    wrong = version_mismatches(driver, {"ray": "2.59.0", "python": "3.12", "assay": "0.1.0"})
    assert wrong == ["ray 2.60.0 on the driver but 2.59.0 on the cluster", "python 3.11 on the driver but 3.12 on the cluster"]


def test_no_api_key_travels_in_a_payload():
    env = {"OPENAI_API_KEY": "sk-very-secret-123", "HOME": "/root"}
    refuse_secrets({"model": "openai:m@http://h/v1", "model_args": {"api_key_env": "OPENAI_API_KEY"}}, env)
    with pytest.raises(ConfigError, match="secret environment variable") as info:
        refuse_secrets({"model": "openai:m@http://h/v1", "model_args": {"body.api_key": "sk-very-secret-123"}}, env)
    assert info.value.field == "model_args.body.api_key"


def test_workers_must_be_positive():
    with pytest.raises(ConfigError, match="at least 1"):
        RayExecutor(workers=0)


def test_cli_refuses_bad_executor_flags_before_loading_anything(tmp_path, capsys):
    from assay.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["run", "smollm2", "arith-mc:n=2", "--workers", "2", "--out", str(tmp_path / "a")]) == 2
    assert "--executor ray" in capsys.readouterr().err
    assert main(["run", "smollm2", "arith-mc:n=2", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}",
                 "--out", str(tmp_path / "b"), "--no-cache"]) == 2
    assert "cannot reach the Ray cluster" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_a_loaded_model_object_is_refused():
    class Loaded:
        info = None

    with pytest.raises(ConfigError, match="not a loaded model"):
        RayExecutor(workers=1).start(Loaded())
