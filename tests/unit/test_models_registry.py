"""The model registry: names resolve or fail with the list of known names; no torch needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assay.errors import ConfigError, UnknownNameError
from assay.models import adapters, aliases, load_model, resolve_spec


def test_bundled_aliases_and_adapters_are_registered() -> None:
    assert {"smollm2", "gemma3-270m", "qwen2.5-coder-0.5b"} <= set(aliases())
    assert {"hf", "gguf"} <= set(adapters())
    assert all(alias.description for alias in aliases().values())


def test_unknown_alias_lists_known_names() -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_model("no-such-model")
    message = str(caught.value)
    assert "no-such-model" in message and "smollm2" in message and "gemma3-270m" in message
    assert "hf:..." in message and "gguf:..." in message


def test_unknown_prefix_lists_adapters() -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_model("nosuchadapter:whatever")
    assert "nosuchadapter" in str(caught.value)
    assert {"hf", "gguf"} <= set(caught.value.known)


def test_concrete_specs_pass_through() -> None:
    assert resolve_spec("gguf:/tmp/x.gguf") == "gguf:/tmp/x.gguf"


def test_smollm2_alias_points_into_its_package() -> None:
    spec = resolve_spec("smollm2")
    assert spec.startswith("gguf:") and spec.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_missing_files_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="GGUF file not found"):
        load_model(f"gguf:{tmp_path / 'absent.gguf'}")
    with pytest.raises(ConfigError, match="not found"):
        load_model(f"hf:{tmp_path / 'absent-dir'}")


def test_registry_does_not_import_torch() -> None:
    code = (
        "import sys; from assay.models import aliases, adapters, resolve_spec; "
        "aliases(); adapters(); resolve_spec('smollm2'); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False False", out.stderr
