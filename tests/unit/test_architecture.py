"""The layer arrows of ARCHITECTURE.md, enforced by import-linter (contracts in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_layers_import_one_way() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_subpackage_is_under_a_contract() -> None:
    """A new subpackage (say `assay/envs/`) must take its place in the layers or get a contract of
    its own; otherwise it could import anything unnoticed."""
    contracts = _contracts()
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    sources = {m for c in contracts if c["type"] == "forbidden" for m in c["source_modules"]}
    packages = {f"assay.{p.parent.name}" for p in (ROOT / "assay").glob("*/__init__.py")}
    assert packages - set(layers) - sources == set()
    assert layers[0] == "assay.cli" and layers[-1] == "assay.core"
    assert {"assay.core", "assay.stats", "assay.testing"} <= sources


def test_only_the_two_lazy_imports_of_run_are_exempt() -> None:
    allowed = {"assay.core.run -> assay.store.rundir", "assay.core.run -> assay.analyses.compare"}
    for contract in _contracts():
        assert set(contract.get("ignore_imports", [])) <= allowed, contract["name"]


def test_importing_assay_does_not_import_torch() -> None:
    code = "import sys, assay.cli, assay.models, assay.engine.run, assay.testing; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
