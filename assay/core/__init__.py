"""The nouns of assay. This package imports nothing else of assay."""

from assay.core.format import Casing, OptionEnumerator, PromptFormat
from assay.core.messages import ChatMessage
from assay.core.requests import Generate, GenerationParams, Loglikelihood, LoglikelihoodRolling, Request, RequestKind
from assay.core.responses import (ChoiceOutput, Completion, LoglikelihoodResult, Output, Response,
                                  RollingLoglikelihoodResult, Usage)
from assay.core.results import MetricSummary, Results, SampleRecord
from assay.core.sample import Sample, Target
from assay.core.run import Run, ScorerSpec, TaskResult
from assay.core.score import Score, Scorer
from assay.core.solver import PlannedSample, Solver, StepContext, StepFailed
from assay.core.task import FewShot, Task, TaskKind

__all__ = [
    "Casing", "ChatMessage", "ChoiceOutput", "Completion", "FewShot", "Generate",
    "GenerationParams", "Loglikelihood", "LoglikelihoodResult", "LoglikelihoodRolling", "MetricSummary",
    "OptionEnumerator", "Output", "PlannedSample", "PromptFormat", "Request", "RequestKind", "Response",
    "Results", "RollingLoglikelihoodResult", "Run", "Sample", "SampleRecord", "Score", "Scorer", "ScorerSpec", "Solver", "StepContext",
    "StepFailed", "Target", "Task", "TaskKind", "TaskResult", "Usage",
]
