"""assay: evaluate language models with numbers you can trust.

    import assay
    run = assay.evaluate("smollm2", ["logic-mc"], limit=20)
    print(run.metrics["logic-mc"]["acc"])

The public surface is re-exported here (a test pins `__all__`, so it changes only on
purpose); everything else is an implementation detail.
"""

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
from assay.version import __version__
from assay.api import evaluate_series
from assay.analyses.series import load_series, predict_score
from assay.analyses.series.public import forecast_series, quality_of_series, show_series
from assay.stats.series import ability_curve, neighbour_tests, signal_quality, stability_gap
from assay.stats.scaling_law import fit_cod_curve, fit_passuntil_law

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
