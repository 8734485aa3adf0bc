"""Secrets never leave a manifest: keys that name them, flags that pass them, values that look like them."""

from __future__ import annotations

from assay.store.scrub import REDACTED, scrub, scrub_results, scrub_text


def test_secret_keys_are_redacted_at_any_depth_but_counts_stay() -> None:
    data = {"api_key": "abc", "OPENAI_API_KEY": "x", "nested": {"Password": "p", "db": {"auth_token": ["a"]}},
            "max_tokens": 64, "tokens_in": 3, "use_secret_manager": True, "token": None, "seed": 1}
    out = scrub(data)
    assert out["api_key"] == out["OPENAI_API_KEY"] == out["nested"]["Password"] == REDACTED
    assert out["nested"]["db"]["auth_token"] == REDACTED
    assert out["max_tokens"] == 64 and out["tokens_in"] == 3 and out["use_secret_manager"] is True
    assert out["token"] is None and out["seed"] == 1
    assert data["api_key"] == "abc"  # a copy: the input is untouched


def test_command_lines_lose_the_values_of_secret_flags() -> None:
    argv = ["assay", "run", "m", "--api-key", "k1", "--token=k2", "--limit", "5", "-p", "x"]
    assert scrub(argv) == ["assay", "run", "m", "--api-key", REDACTED, f"--token={REDACTED}", "--limit", "5", "-p", "x"]


def test_credential_shaped_strings_are_redacted_anywhere() -> None:
    text = "key sk-abcdefghijklmnop123 and hf_ABCDEFGHIJKLMNOPQRSTU, Bearer abc.def-123456 postgresql://me:pw@h/db"
    out = scrub_text(text)
    for secret in ("sk-abcdefghijklmnop123", "hf_ABCDEFGHIJKLMNOPQRSTU", "abc.def-123456", ":pw@"):
        assert secret not in out
    assert "postgresql://me:" + REDACTED + "@h/db" in out
    assert scrub_text("plain words, skills and 12 tokens") == "plain words, skills and 12 tokens"


def test_results_scrub_keeps_task_and_metric_names() -> None:
    results = {"run_id": "r", "model": "m",
               "tasks": {"keyword-task": {"metrics": {"token_f1": {"value": 0.5}}, "source": {"hf_token": "t"}}},
               "manifest": {"api_key": "s", "tasks": {"keyword-task": {"n": 3}}}}
    out = scrub_results(results)
    assert out["tasks"]["keyword-task"]["metrics"] == {"token_f1": {"value": 0.5}}
    assert out["tasks"]["keyword-task"]["source"]["hf_token"] == REDACTED
    assert out["manifest"]["api_key"] == REDACTED and out["manifest"]["tasks"] == {"keyword-task": {"n": 3}}


def test_a_run_is_scrubbed_like_its_dict_form() -> None:
    from assay.core.run import Run

    data = {"run_id": "r", "model": "m",
            "tasks": {"keyword-match": {"scorers": [{"name": "judge", "params": {"api_key": "sk-" + "x" * 20}}],
                                        "metrics": {"token_f1": {"value": 0.5, "n": 2}}}},
            "manifest": {"command": ["assay", "run", "--api-key", "hunter2"], "seed": 0}}
    run = scrub_results(Run.from_dict(data))
    assert isinstance(run, Run) and run.to_dict() == Run.from_dict(scrub_results(data)).to_dict()
    assert run.manifest["command"][-1] == REDACTED and run.manifest["seed"] == 0
    assert run.tasks["keyword-match"].scorers[0].params["api_key"] == REDACTED
    assert run.tasks["keyword-match"].metrics["token_f1"].value == 0.5
