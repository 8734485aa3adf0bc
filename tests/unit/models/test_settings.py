"""Typed adapter settings: unknown keys with "did you mean", bad values with the type, good
values parsed once; the registry lists each adapter's settings. No model is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import ConfigError, UnknownNameError
from assay.models import ModelOptions, adapter_settings, adapters, load_model
from assay.models.hf.adapter import HFSettings
from assay.models.llamacpp import LlamaCppSettings
from assay.models.openai.settings import OpenAISettings, parse_openai_settings
from assay.models.settings import parse_settings
from assay.models.vllm import VLLMSettings


def test_every_adapter_declares_a_settings_model_that_forbids_unknown_keys() -> None:
    for prefix in adapters():
        settings = adapter_settings(prefix)
        assert settings is not None, prefix
        assert settings.model_config.get("extra") == "forbid"
    assert adapter_settings("openai") is OpenAISettings
    assert {"concurrency", "timeout_s", "body"} <= set(OpenAISettings.model_fields)
    assert OpenAISettings.model_fields["concurrency"].description


def test_unknown_adapter_prefix_for_settings() -> None:
    with pytest.raises(UnknownNameError):
        adapter_settings("nosuch")


def test_misspelled_key_says_did_you_mean_and_lists_what_the_adapter_takes() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_openai_settings({"concurency": "8"})
    error = caught.value
    assert error.field == "concurency"
    assert "did you mean 'concurrency'?" in str(error)
    for name in ("api_key_env", "timeout_s", "body.NAME"):
        assert name in str(error)


def test_unknown_key_without_a_close_match_still_lists_the_settings() -> None:
    with pytest.raises(ConfigError, match="the llamacpp adapter takes: chat_format, n_batch, n_ctx, n_threads") as caught:
        parse_settings(LlamaCppSettings, {"temperature": "0"}, "llamacpp")
    assert "did you mean" not in str(caught.value)


@pytest.mark.parametrize(("cls", "raw", "adapter", "message"), [
    (OpenAISettings, {"concurrency": "many"}, "openai", "concurrency: expected an integer, got 'many'"),
    (OpenAISettings, {"concurrency": "0"}, "openai", "concurrency: expected a value of at least 1, got '0'"),
    (OpenAISettings, {"stream": "maybe"}, "openai", "stream: expected true or false, got 'maybe'"),
    (OpenAISettings, {"timeout_s": "soon"}, "openai", "timeout_s: expected a number, got 'soon'"),
    (LlamaCppSettings, {"n_ctx": "2k"}, "llamacpp", "n_ctx: expected an integer, got '2k'"),
    (VLLMSettings, {"gpu_memory_utilization": "1.5"}, "vllm", "gpu_memory_utilization: expected a value of at most 1"),
])
def test_bad_value_names_the_field_and_the_expected_type(cls, raw, adapter, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        parse_settings(cls, raw, adapter)
    assert message in str(caught.value)
    assert caught.value.field == next(iter(raw))


def test_good_values_are_parsed_once_from_strings_or_typed_values() -> None:
    from_cli = parse_openai_settings({"concurrency": "8", "stream": "false", "timeout_s": "2.5",
                                      "body.repeat_penalty": "1.0", "body.stop_words": '["a"]', "body.mode": "fast"})
    assert from_cli.concurrency == 8 and from_cli.stream is False and from_cli.timeout_s == 2.5
    assert from_cli.body == {"repeat_penalty": 1.0, "stop_words": ["a"], "mode": "fast"}
    from_python = parse_openai_settings({"concurrency": 8, "stream": False, "body": {"top_k": 1}})
    assert from_python.concurrency == 8 and from_python.body == {"top_k": 1}
    assert parse_settings(LlamaCppSettings, {"n_ctx": "4096"}, "llamacpp").n_ctx == 4096
    assert parse_settings(HFSettings, {}, "hf").revision is None
    assert parse_settings(VLLMSettings, {"max_model_len": "1024"}, "vllm").model_dump(exclude_none=True) == {
        "tensor_parallel_size": 1, "max_model_len": 1024, "gpu_memory_utilization": 0.9, "dtype": "auto"}


def test_settings_are_checked_before_anything_is_loaded(tmp_path: Path) -> None:
    """A misspelled key fails at once, before a file is looked for or a server is contacted."""
    absent = tmp_path / "absent.gguf"
    with pytest.raises(ConfigError, match="did you mean 'n_ctx'"):
        load_model(f"llamacpp:{absent}", ModelOptions(extra={"n_cxt": "4096"}))
    with pytest.raises(ConfigError, match="gguf model setting 'revision' is unknown"):
        load_model(f"gguf:{absent}", ModelOptions(extra={"revision": "main"}))
    with pytest.raises(ConfigError, match="did you mean 'revision'"):
        load_model(f"hf:{tmp_path}", ModelOptions(extra={"revison": "main"}))
    with pytest.raises(ConfigError, match="did you mean 'timeout_s'"):
        load_model("openai:m@http://127.0.0.1:9/v1", ModelOptions(extra={"timeout": "2"}))


def test_assay_models_lists_every_adapter_setting() -> None:
    from assay.models.registry import setting_infos

    rows = {(r.adapter, r.name): r for r in setting_infos()}
    assert rows[("openai", "concurrency")].type == "int" and rows[("openai", "concurrency")].default == "4"
    assert ("llamacpp", "n_ctx") in rows and ("openai", "body.NAME") in rows
    assert all(r.description for r in rows.values())
