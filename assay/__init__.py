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
from assay.errors import AssayError, ConfigError, PermanentModelError
from assay.core.pairwise import Battle, Outcome
from assay.models import load_model
from assay.scoring.judges import JudgeConfig, JudgeMode, judged_task
from assay.stats.passk import pass_at_k
from assay.stats.rating import bradley_terry, elo_online
from assay.version import __version__

__all__ = [
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
