"""The public Python API: `assay.evaluate`, `evaluate_async`, `load_run`, `Run` (issue 21).

`__all__` is pinned: the public surface changes only on purpose (update this list then).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import assay
from assay.core import Completion
from tests.support.aio import run as run_async
from assay.testing.instant import InstantModel

PUBLIC = [
    "AssayError", "ChatMessage", "ChoiceOutput", "Completion", "ConfigError", "FewShot", "Generate",
    "GenerationParams", "Loglikelihood", "LoglikelihoodResult", "MetricSummary", "PermanentModelError",
    "PlannedSample", "PromptFormat", "ResponseCache", "Run", "Sample", "SampleRecord", "Score", "Scorer", "Solver",
    "StepContext", "StepFailed", "Task", "TaskKind", "TaskResult", "__version__", "evaluate", "evaluate_async",
    "load_model", "load_run",
    # IRT, adaptive testing (issue 13)
    "Estimator", "IRTModel", "ResponseMatrix", "Strategy", "calibrate_items", "evaluate_adaptive",
    "evaluate_adaptive_async", "fit_irt", "load_calibration", "matrix_from_runs", "read_response_csv",
    "save_calibration", "simulate_subset", "DifficultyPredictor", "diagnose_runs", "pass_rate_haldane",
    "pass_rate_pooled",
    # agents, environments, games (issue 18)
    "Action", "AgentConfig", "Budget", "Environment", "MultiAgentEnvironment", "StepResult", "ToolError",
    "make_env_task", "pass_hat_k", "register_env", "summarize_episodes", "tool_schema",
    # judges, arenas, ratings (issue 14)
    "Battle", "JudgeConfig", "JudgeMode", "Outcome", "audit_judge", "bradley_terry", "elo_online", "judged_task",
    "run_arena",
    # efficiency, cost, energy, test-time scaling (issue 16)
    "ScaleSettings", "efficiency_of", "load_prices", "pass_at_k", "scale_curve",
    # code: sandbox, pass@k, HumanEval, DPE (issue 17)
    "ExecutionResult", "Sandbox", "SandboxLimits", "load_mbpp", "make_code_task", "pass_at_k_ci", "run_program",
    # integrity: contamination audits (issue 15)
    "OverlapConfig", "calibrate_on_clean", "clean_subset_score", "detection_report", "integrity_rows", "run_guessing",
    "run_rewrite_gap", "scan_overlap", "score_membership",
    # scale-out: Ray executor, identity check (issue 19)
    "RayExecutor", "verify_runs",
    # training-run evaluation: series, curves, stability gap, signal quality, prediction (issue 20)
    "ability_curve", "evaluate_series", "fit_cod_curve", "fit_passuntil_law", "forecast_series", "load_series",
    "neighbour_tests", "predict_score", "quality_of_series", "show_series", "signal_quality", "stability_gap",
]


def test_public_names_are_pinned() -> None:
    assert sorted(assay.__all__) == sorted(PUBLIC)
    for name in assay.__all__:
        assert hasattr(assay, name), name


def test_evaluate_in_one_line_with_specs_and_objects(tmp_path: Path) -> None:
    quiz = tmp_path / "quiz.jsonl"
    quiz.write_text("\n".join(json.dumps({"question": f"{i}+1?", "choices": [str(i + 1), str(i + 2)], "answer": 0})
                              for i in range(6)) + "\n")
    run = assay.evaluate(InstantModel(), ["logic-mc", str(quiz)], limit=5, cache=tmp_path / "c.sqlite")
    assert isinstance(run, assay.Run)
    assert set(run.metrics) == {"logic-mc", "quiz"}
    acc = run.metrics["logic-mc"]["acc"]
    assert isinstance(acc, assay.MetricSummary) and acc.n == 5 and acc.ci_low <= acc.value <= acc.ci_high
    assert len(run.samples) == 10 and all(isinstance(s, assay.SampleRecord) for s in run.samples)
    frame = run.to_frame()
    assert len(frame) == 10 and "score.acc" in frame.columns
    assert run.tasks["logic-mc"].scorers[0].name == "multiple_choice"  # the scorer spec is recorded


def test_generation_parameters_and_scorer_params_are_recorded(tmp_path: Path) -> None:
    run = assay.evaluate(InstantModel(), "arith-gen:n=3", cache=None)
    task = run.tasks["arith-gen"]
    assert task.generation is not None and task.generation["max_tokens"] > 0
    assert task.scorers and all(isinstance(s.params, dict) for s in task.scorers)


def test_save_load_and_compare(tmp_path: Path) -> None:
    a = assay.evaluate(InstantModel(name="a"), "arith-mc:n=30", cache=None)
    b = assay.evaluate(InstantModel(name="b"), "arith-mc:n=30", cache=None)
    a.save(tmp_path / "a")
    loaded = assay.load_run(tmp_path / "a")
    assert isinstance(loaded, assay.Run) and loaded.run_id == a.run_id
    assert [s.scores for s in loaded.samples] == [s.scores for s in a.samples]
    assert loaded.metrics["arith-mc"]["acc"].value == pytest.approx(a.metrics["arith-mc"]["acc"].value)
    comparison = a.compare(b)
    (row,) = comparison.tasks
    assert row.task == "arith-mc" and row.metric == "acc"


def test_evaluate_async_in_an_event_loop() -> None:
    async def main() -> assay.Run:
        return await assay.evaluate_async(InstantModel(), ["arith-mc:n=4"], cache=None)

    run = run_async(main())
    assert len(run.samples) == 4


def test_unknown_task_fails_before_the_model_loads() -> None:
    with pytest.raises(assay.AssayError, match="no-such-suite"):
        assay.evaluate("smollm2", ["no-such-suite"], cache=None)


def test_scorers_rebuild_from_the_recorded_specs(tmp_path: Path) -> None:
    """results.json keeps each task's scorer specs: rebuilding them from the saved run gives
    the same scores on the saved samples' outputs."""
    from assay.core import ChoiceOutput, LoglikelihoodResult
    from assay.scoring.registry import scorer_from_name
    from assay.tasks.resolve import resolve_tasks

    suites = ["arith-mc:n=6", "arith-gen:n=6", "instructions:n=6", "word-gen:n=6", "fiction-qa:n=6"]
    run = assay.evaluate(InstantModel(), suites, cache=None)
    run.save(tmp_path / "run")
    loaded = assay.load_run(tmp_path / "run")
    for task in resolve_tasks(suites):
        specs = loaded.tasks[task.name].scorers
        assert [s.name for s in specs] == [s.name for s in task.scorers]
        rebuilt = [scorer_from_name(s.name, **s.params) for s in specs]
        for sample, record in zip(task.load(), loaded.rows(task.name)):
            if sample.choices is not None:
                output = ChoiceOutput(tuple(LoglikelihoodResult(x, False, 1) for x in record.response))
            else:
                output = Completion(texts=(record.response,))
            values = {}
            for scorer in rebuilt:
                values.update(scorer(sample, output).values)
            assert values == pytest.approx(record.scores), (task.name, sample.id)


def test_a_group_spec_expands_to_all_its_tasks() -> None:
    from assay.api import resolve_task_args
    from assay.tasks.builtin import SUITE_GROUPS

    names = [t.name for t in resolve_task_args(["quick", "arith-mc:n=3"])]
    assert names[: len(SUITE_GROUPS["quick"])] == list(SUITE_GROUPS["quick"])
    assert names[-1] == "arith-mc" and len(names) == len(SUITE_GROUPS["quick"]) + 1


def test_formats_keep_each_task_style_and_refuse_templates(tmp_path: Path) -> None:
    from assay.api import resolve_task_args

    listed = resolve_task_args(["arith-mc:n=3,style=listed", "arith-mc:n=3"], formats=3)
    styles = {t.name.split("@")[0] + ("/listed" if t.format.show_choices else "/cloze") for t in listed}
    assert len(listed) == 6 and sum(t.format.show_choices for t in listed) == 3, styles
    template_task = Path(__file__).resolve().parents[1] / "data" / "task_files" / "arithmetic.yaml"
    with pytest.raises(assay.ConfigError, match="verbatim"):
        resolve_task_args([str(template_task)], formats=2)
