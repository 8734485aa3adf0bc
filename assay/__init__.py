"""assay: evaluate language models with numbers you can trust.

    import assay
    run = assay.evaluate("smollm2", ["logic-mc"], limit=20)
    print(run.metrics["logic-mc"]["acc"])

The public surface is re-exported here (a test pins `__all__`, so it changes only on
purpose); everything else is an implementation detail.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from assay.version import __version__

if TYPE_CHECKING:  # type checkers and IDEs see the real names; at run time they load on first use
    from assay.analyses.arena import run_arena
    from assay.analyses.efficiency.prices import load_prices
    from assay.analyses.efficiency.runner import efficiency_of, scale_curve
    from assay.analyses.efficiency.scaling import ScaleSettings
    from assay.analyses.judge_audit import audit_judge
    from assay.analyses.integrity import (
        OverlapConfig, clean_subset_score, integrity_rows, run_guessing, run_rewrite_gap, scan_overlap, score_membership,
    )
    from assay.stats.detection import calibrate_on_clean, detection_report
    from assay.api import evaluate, evaluate_async, load_run
    from assay.agents import AgentConfig, Budget, make_env_task
    from assay.agents.metrics import pass_hat_k, summarize_episodes
    from assay.envs import Action, Environment, MultiAgentEnvironment, StepResult, ToolError, register_env, tool_schema
    from assay.analyses.adaptive import Estimator, Strategy, simulate_subset
    from assay.analyses.diagnose import diagnose_runs
    from assay.analyses.difficulty import DifficultyPredictor
    from assay.stats.passuntil import pass_rate_haldane, pass_rate_pooled
    from assay.analyses.irt_calibration import calibrate as calibrate_items, load_calibration, save_calibration
    from assay.analyses.irt_data import ResponseMatrix, matrix_from_runs, read_response_csv
    from assay.api import evaluate_adaptive, evaluate_adaptive_async
    from assay.stats.irt import IRTModel, fit_irt
    from assay.core import (
        ChatMessage,
        ChoiceOutput,
        Completion,
        FewShot,
        Generate,
        GenerationParams,
        Loglikelihood,
        LoglikelihoodResult,
        MetricSummary,
        PlannedSample,
        PromptFormat,
        Run,
        Sample,
        SampleRecord,
        Score,
        Scorer,
        Solver,
        StepContext,
        StepFailed,
        Task,
        TaskKind,
        TaskResult,
    )
    from assay.engine.cache import ResponseCache
    from assay.engine.executors import RayExecutor
    from assay.store.verify import verify_runs
    from assay.errors import AssayError, ConfigError, PermanentModelError
    from assay.core.pairwise import Battle, Outcome
    from assay.models import load_model
    from assay.scoring.judges import JudgeConfig, JudgeMode, judged_task
    from assay.stats.passk import pass_at_k, pass_at_k_ci
    from assay.scoring.sandbox import ExecutionResult, Sandbox, SandboxLimits, run_program
    from assay.tasks.code_tasks import load_mbpp, make_code_task
    from assay.stats.rating import bradley_terry, elo_online
    from assay.api import evaluate_series
    from assay.analyses.series import load_series, predict_score
    from assay.analyses.series.public import forecast_series, quality_of_series, show_series
    from assay.stats.series import ability_curve, neighbour_tests, signal_quality, stability_gap
    from assay.stats.scaling_law import fit_cod_curve, fit_passuntil_law

# Each public name and where it lives. `import assay` stays fast (no scipy, torch or
# analyses until a name is used): the CLI and the web app import only what they run.
_EXPORTS: dict[str, tuple[str, str]] = {
    "ability_curve": ("assay.stats.series", "ability_curve"),
    "Action": ("assay.envs", "Action"),
    "AgentConfig": ("assay.agents", "AgentConfig"),
    "AssayError": ("assay.errors", "AssayError"),
    "audit_judge": ("assay.analyses.judge_audit", "audit_judge"),
    "Battle": ("assay.core.pairwise", "Battle"),
    "bradley_terry": ("assay.stats.rating", "bradley_terry"),
    "Budget": ("assay.agents", "Budget"),
    "calibrate_items": ("assay.analyses.irt_calibration", "calibrate"),
    "calibrate_on_clean": ("assay.stats.detection", "calibrate_on_clean"),
    "ChatMessage": ("assay.core", "ChatMessage"),
    "ChoiceOutput": ("assay.core", "ChoiceOutput"),
    "clean_subset_score": ("assay.analyses.integrity", "clean_subset_score"),
    "Completion": ("assay.core", "Completion"),
    "ConfigError": ("assay.errors", "ConfigError"),
    "detection_report": ("assay.stats.detection", "detection_report"),
    "diagnose_runs": ("assay.analyses.diagnose", "diagnose_runs"),
    "DifficultyPredictor": ("assay.analyses.difficulty", "DifficultyPredictor"),
    "efficiency_of": ("assay.analyses.efficiency.runner", "efficiency_of"),
    "elo_online": ("assay.stats.rating", "elo_online"),
    "Environment": ("assay.envs", "Environment"),
    "Estimator": ("assay.analyses.adaptive", "Estimator"),
    "evaluate": ("assay.api", "evaluate"),
    "evaluate_adaptive": ("assay.api", "evaluate_adaptive"),
    "evaluate_adaptive_async": ("assay.api", "evaluate_adaptive_async"),
    "evaluate_async": ("assay.api", "evaluate_async"),
    "evaluate_series": ("assay.api", "evaluate_series"),
    "ExecutionResult": ("assay.scoring.sandbox", "ExecutionResult"),
    "FewShot": ("assay.core", "FewShot"),
    "fit_cod_curve": ("assay.stats.scaling_law", "fit_cod_curve"),
    "fit_irt": ("assay.stats.irt", "fit_irt"),
    "fit_passuntil_law": ("assay.stats.scaling_law", "fit_passuntil_law"),
    "forecast_series": ("assay.analyses.series.public", "forecast_series"),
    "Generate": ("assay.core", "Generate"),
    "GenerationParams": ("assay.core", "GenerationParams"),
    "integrity_rows": ("assay.analyses.integrity", "integrity_rows"),
    "IRTModel": ("assay.stats.irt", "IRTModel"),
    "JudgeConfig": ("assay.scoring.judges", "JudgeConfig"),
    "judged_task": ("assay.scoring.judges", "judged_task"),
    "JudgeMode": ("assay.scoring.judges", "JudgeMode"),
    "load_calibration": ("assay.analyses.irt_calibration", "load_calibration"),
    "load_mbpp": ("assay.tasks.code_tasks", "load_mbpp"),
    "load_model": ("assay.models", "load_model"),
    "load_prices": ("assay.analyses.efficiency.prices", "load_prices"),
    "load_run": ("assay.api", "load_run"),
    "load_series": ("assay.analyses.series", "load_series"),
    "Loglikelihood": ("assay.core", "Loglikelihood"),
    "LoglikelihoodResult": ("assay.core", "LoglikelihoodResult"),
    "make_code_task": ("assay.tasks.code_tasks", "make_code_task"),
    "make_env_task": ("assay.agents", "make_env_task"),
    "matrix_from_runs": ("assay.analyses.irt_data", "matrix_from_runs"),
    "MetricSummary": ("assay.core", "MetricSummary"),
    "MultiAgentEnvironment": ("assay.envs", "MultiAgentEnvironment"),
    "neighbour_tests": ("assay.stats.series", "neighbour_tests"),
    "Outcome": ("assay.core.pairwise", "Outcome"),
    "OverlapConfig": ("assay.analyses.integrity", "OverlapConfig"),
    "pass_at_k": ("assay.stats.passk", "pass_at_k"),
    "pass_at_k_ci": ("assay.stats.passk", "pass_at_k_ci"),
    "pass_hat_k": ("assay.agents.metrics", "pass_hat_k"),
    "pass_rate_haldane": ("assay.stats.passuntil", "pass_rate_haldane"),
    "pass_rate_pooled": ("assay.stats.passuntil", "pass_rate_pooled"),
    "PermanentModelError": ("assay.errors", "PermanentModelError"),
    "PlannedSample": ("assay.core", "PlannedSample"),
    "predict_score": ("assay.analyses.series", "predict_score"),
    "PromptFormat": ("assay.core", "PromptFormat"),
    "quality_of_series": ("assay.analyses.series.public", "quality_of_series"),
    "RayExecutor": ("assay.engine.executors", "RayExecutor"),
    "read_response_csv": ("assay.analyses.irt_data", "read_response_csv"),
    "register_env": ("assay.envs", "register_env"),
    "ResponseCache": ("assay.engine.cache", "ResponseCache"),
    "ResponseMatrix": ("assay.analyses.irt_data", "ResponseMatrix"),
    "Run": ("assay.core", "Run"),
    "run_arena": ("assay.analyses.arena", "run_arena"),
    "run_guessing": ("assay.analyses.integrity", "run_guessing"),
    "run_program": ("assay.scoring.sandbox", "run_program"),
    "run_rewrite_gap": ("assay.analyses.integrity", "run_rewrite_gap"),
    "Sample": ("assay.core", "Sample"),
    "SampleRecord": ("assay.core", "SampleRecord"),
    "Sandbox": ("assay.scoring.sandbox", "Sandbox"),
    "SandboxLimits": ("assay.scoring.sandbox", "SandboxLimits"),
    "save_calibration": ("assay.analyses.irt_calibration", "save_calibration"),
    "scale_curve": ("assay.analyses.efficiency.runner", "scale_curve"),
    "ScaleSettings": ("assay.analyses.efficiency.scaling", "ScaleSettings"),
    "scan_overlap": ("assay.analyses.integrity", "scan_overlap"),
    "Score": ("assay.core", "Score"),
    "score_membership": ("assay.analyses.integrity", "score_membership"),
    "Scorer": ("assay.core", "Scorer"),
    "show_series": ("assay.analyses.series.public", "show_series"),
    "signal_quality": ("assay.stats.series", "signal_quality"),
    "simulate_subset": ("assay.analyses.adaptive", "simulate_subset"),
    "Solver": ("assay.core", "Solver"),
    "stability_gap": ("assay.stats.series", "stability_gap"),
    "StepContext": ("assay.core", "StepContext"),
    "StepFailed": ("assay.core", "StepFailed"),
    "StepResult": ("assay.envs", "StepResult"),
    "Strategy": ("assay.analyses.adaptive", "Strategy"),
    "summarize_episodes": ("assay.agents.metrics", "summarize_episodes"),
    "Task": ("assay.core", "Task"),
    "TaskKind": ("assay.core", "TaskKind"),
    "TaskResult": ("assay.core", "TaskResult"),
    "tool_schema": ("assay.envs", "tool_schema"),
    "ToolError": ("assay.envs", "ToolError"),
    "verify_runs": ("assay.store.verify", "verify_runs"),
}


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use and keep it (PEP 562)."""
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'assay' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "ability_curve",
    "evaluate_series",
    "fit_cod_curve",
    "fit_passuntil_law",
    "forecast_series",
    "load_series",
    "neighbour_tests",
    "predict_score",
    "quality_of_series",
    "show_series",
    "signal_quality",
    "stability_gap",
    "RayExecutor",
    "verify_runs",
    "Action",
    "AgentConfig",
    "Budget",
    "Environment",
    "MultiAgentEnvironment",
    "StepResult",
    "ToolError",
    "make_env_task",
    "pass_hat_k",
    "register_env",
    "summarize_episodes",
    "tool_schema",
    "Estimator",
    "IRTModel",
    "ResponseMatrix",
    "Strategy",
    "calibrate_items",
    "evaluate_adaptive",
    "evaluate_adaptive_async",
    "fit_irt",
    "load_calibration",
    "matrix_from_runs",
    "read_response_csv",
    "save_calibration",
    "simulate_subset",
    "DifficultyPredictor",
    "diagnose_runs",
    "pass_rate_haldane",
    "pass_rate_pooled",
    "OverlapConfig",
    "calibrate_on_clean",
    "clean_subset_score",
    "detection_report",
    "integrity_rows",
    "run_guessing",
    "run_rewrite_gap",
    "scan_overlap",
    "score_membership",
    "ScaleSettings",
    "efficiency_of",
    "load_prices",
    "pass_at_k",
    "pass_at_k_ci",
    "ExecutionResult",
    "Sandbox",
    "SandboxLimits",
    "run_program",
    "load_mbpp",
    "make_code_task",
    "scale_curve",
    "run_arena",
    "judged_task",
    "elo_online",
    "bradley_terry",
    "audit_judge",
    "Outcome",
    "JudgeMode",
    "JudgeConfig",
    "Battle",
    "AssayError",
    "ChatMessage",
    "ChoiceOutput",
    "Completion",
    "ConfigError",
    "FewShot",
    "Generate",
    "GenerationParams",
    "Loglikelihood",
    "LoglikelihoodResult",
    "MetricSummary",
    "PermanentModelError",
    "PlannedSample",
    "PromptFormat",
    "ResponseCache",
    "Run",
    "Sample",
    "SampleRecord",
    "Score",
    "Scorer",
    "Solver",
    "StepContext",
    "StepFailed",
    "Task",
    "TaskKind",
    "TaskResult",
    "__version__",
    "evaluate",
    "evaluate_async",
    "load_model",
    "load_run",
]
