"""The robustness analyses' engine calls: build task variants, evaluate them, and hand the
scores to the pure modules. Every variant is a `dataclasses.replace` of the task evaluated
by the unchanged `assay.engine.run.evaluate`, so the cache, resume and records work as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from assay.analyses.robustness.bandit import BanditResult, Direction, Oracle, thompson_search
from assay.analyses.robustness.consistency import ConsistencyReport, consistency
from assay.analyses.robustness.instructions_grid import InstructionGrid, instruction_grid
from assay.analyses.robustness.option_order import OrderReport, order_report, permute_sample
from assay.analyses.robustness.perturb import (
    PerturbationReport, add_distractor, perturbation_report, rename_entities, shuffle_options,
)
from assay.analyses.robustness.spread import FORMAT_TASK_SEP, FormatSpread, spread_from_records
from assay.analyses.robustness.versions import VersionReport, version_matrix, version_metrics
from assay.core.format import OptionStyle, PromptFormat
from assay.core.results import SampleRecord
from assay.core.run import Run
from assay.core.sample import Sample
from assay.core.task import Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.models.base import Model
from assay.tasks.builtin import make_builtin
from assay.tasks.suites.logic import _NAMES as LOGIC_NAMES

QUIET = RunOptions(show_progress=False)


def format_variants(task: Task, formats: Sequence[PromptFormat]) -> list[Task]:
    """One task per format, named TASK@FORMAT_ID."""
    return [replace(task, format=f, name=f"{task.name}{FORMAT_TASK_SEP}{f.id}") for f in formats]


def with_listed_options(task: Task) -> Task:
    """The task with its options listed in the prompt. Option order can only matter when the
    model sees the options: in the cloze layout (the default) each option is scored on its
    own, and a permutation changes nothing. A verbatim template is left as written."""
    if task.kind is not TaskKind.MULTIPLE_CHOICE or task.format.verbatim:
        return task
    return replace(task, format=task.format.with_style(OptionStyle.LISTED))


def with_samples(task: Task, name: str, samples: Sequence[Sample], **changes: object) -> Task:
    """`task` renamed, loading exactly `samples` (plus any other field changes)."""
    frozen = tuple(samples)
    return replace(task, name=name, load=lambda: frozen, **changes)  # type: ignore[arg-type]


def _limited(task: Task, options: RunOptions) -> list[Sample]:
    samples = list(task.load())
    return samples if options.limit is None else samples[: options.limit]


def run_format_spread(model: Model, tasks: Sequence[Task], formats: Sequence[PromptFormat],
                      cache: ResponseCache, options: RunOptions = QUIET) -> tuple[Run, list[FormatSpread]]:
    """Evaluate every task under every format; the run and each task's spread (first metric)."""
    variants = [v for t in tasks for v in format_variants(t, formats)]
    run = evaluate(model, variants, cache, options)
    return run, spreads_of_run(run)


def score_matrix(run: Run, metric: str = "acc") -> tuple[list[str], np.ndarray]:
    """(variants x items) scores from a run whose tasks share the same sample ids."""
    names = list(run.tasks)
    by_task = [{r.sample_id: r.scores.get(metric, np.nan) for r in run.rows(name)} for name in names]
    ids = sorted(set.intersection(*(set(m) for m in by_task)))
    return names, np.array([[m[i] for i in ids] for m in by_task], dtype=float)


def lazy_format_oracle(model: Model, task: Task, formats: Sequence[PromptFormat], cache: ResponseCache,
                       options: RunOptions = QUIET) -> tuple[Oracle, int, list[int]]:
    """An oracle that evaluates only the (format, items) the bandit asks for; also returns the
    item count and a list whose length counts the model calls made (cache misses included)."""
    samples = _limited(task, options)
    variants = format_variants(task, formats)
    calls: list[int] = []

    def oracle(arm: int, items: Sequence[int]) -> list[float]:
        chosen = [samples[i] for i in items]
        sub = with_samples(variants[arm], variants[arm].name, chosen)
        run = evaluate(model, [sub], cache, replace(options, limit=None, show_progress=False))
        calls.extend([1] * len(chosen))
        got = {r.sample_id: r.scores.get(task.metric_names[0], np.nan) for r in run.rows(sub.name)}
        return [got[s.id] for s in chosen]

    return oracle, len(samples), calls


def run_option_order(model: Model, task: Task, permutations: Mapping[str, Sequence[int]],
                     cache: ResponseCache, options: RunOptions = QUIET) -> OrderReport:
    """Accuracy under each named permutation (applied to items with that many options) and
    the position bias over all of them. The options are listed in the prompt (see
    `with_listed_options`)."""
    task = with_listed_options(task)
    samples = _limited(task, options)
    k = max(len(s.choices or ()) for s in samples)
    samples = [s for s in samples if len(s.choices or ()) == k]
    variants = [with_samples(task, f"{task.name}@order-{name}", [permute_sample(s, p) for s in samples])
                for name, p in permutations.items()]
    run = evaluate(model, variants, cache, replace(options, limit=None))
    runs = {}
    for name, variant in zip(permutations, variants):
        ok = [r for r in run.rows(variant.name) if r.extracted is not None]
        runs[name] = ([int(r.extracted) for r in ok], [int(r.target) for r in ok])
    return order_report(runs, k)


def run_consistency(model: Model, task: Task, m: int, temperature: float, cache: ResponseCache,
                    options: RunOptions = QUIET) -> ConsistencyReport:
    """The task's generations sampled m times (seeds 0..m-1) at `temperature`."""
    if temperature <= 0 or m < 2:
        raise ValueError("consistency needs temperature > 0 and m >= 2")
    samples = _limited(task, options)
    variants = [with_samples(task, f"{task.name}@sample-{j}", samples,
                             generation=replace(task.generation, temperature=temperature, seed=j))
                for j in range(m)]
    run = evaluate(model, variants, cache, replace(options, limit=None))
    metric = task.metric_names[0]
    per = [{r.sample_id: r for r in run.rows(v.name)} for v in variants]
    ids = [s.id for s in samples if all(s.id in p and p[s.id].error is None for p in per)]
    answers = [[_hashable(p[i].extracted) for p in per] for i in ids]
    correct = [[float(p[i].scores.get(metric, 0.0)) for p in per] for i in ids]
    return consistency(answers, correct)


def _hashable(value: object) -> object:
    return value if isinstance(value, (str, int, float, type(None))) else repr(value)


def run_versions(model: Model, suite: str, n: int, seeds: Sequence[int], cache: ResponseCache,
                 options: RunOptions = QUIET) -> VersionReport:
    """A built-in suite generated once per seed; item i of every seed is version of item i
    (same generator slot: same difficulty level), matched by sample id."""
    tasks = [replace(make_builtin(suite, n, s), name=f"{suite}@v{j}") for j, s in enumerate(seeds)]
    run = evaluate(model, tasks, cache, options)
    metric = tasks[0].metric_names[0]
    per = [{r.sample_id: r.scores.get(metric, float("nan")) for r in run.rows(t.name)} for t in tasks]
    _, matrix = version_matrix(per)
    return version_metrics(matrix)


PERTURBATIONS: dict[str, Callable[[Sample, int], Sample]] = {
    "shuffle-options": shuffle_options,
    "distractor": add_distractor,
}


def run_perturbations(model: Model, task: Task, kinds: Sequence[str], cache: ResponseCache,
                      options: RunOptions = QUIET, seed: int = 0,
                      names: Sequence[str] = LOGIC_NAMES) -> list[PerturbationReport]:
    """Accuracy on the task's items vs each rewrite (`rename` renames `names`: by default the
    people of the logic puzzles). With `shuffle-options`, every variant lists its options in
    the prompt (see `with_listed_options`), the original included, so they compare alike."""
    if "shuffle-options" in kinds:
        task = with_listed_options(task)
    samples = _limited(task, options)
    rewrites: dict[str, list[Sample]] = {}
    for kind in kinds:
        if kind == "rename":
            rewrites[kind] = [rename_entities(s, names, seed) for s in samples]
        elif kind in PERTURBATIONS:
            rewrites[kind] = [PERTURBATIONS[kind](s, seed) for s in samples]
        else:
            raise ValueError(f"unknown perturbation {kind!r}; known: rename, {', '.join(PERTURBATIONS)}")
    variants = [with_samples(task, f"{task.name}@orig", samples)]
    variants += [with_samples(task, f"{task.name}@{k}", v) for k, v in rewrites.items()]
    run = evaluate(model, variants, cache, replace(options, limit=None))
    metric = task.metric_names[0]
    per = [{r.sample_id: r.scores.get(metric, float("nan")) for r in run.rows(v.name)} for v in variants]
    ids = [s.id for s in samples]
    base = [per[0][i] for i in ids]
    return [perturbation_report(k, base, [p[i] for i in ids]) for k, p in zip(rewrites, per[1:])]


MC_INSTRUCTIONS: dict[str, str] = {
    "answer": "Answer the following multiple-choice question.",
    "choose": "Choose the correct option.",
    "careful": "Read the question and every option carefully, then select the one correct answer.",
    "expert": "You are an expert problem solver. Pick the single best answer from the choices below.",
}
"""The grid's default instruction variants: each asks for the same thing (pick the right
option), so any score difference is the wording's. They replace the task's own instruction
and suit multiple-choice tasks only."""


def instruction_scores(model: Model, tasks: Sequence[Task], instructions: Mapping[str, str],
                       cache: ResponseCache, options: RunOptions = QUIET) -> np.ndarray:
    """(tasks x instructions): `model`'s first-metric score on each task with its instruction
    replaced by each text (variants named TASK@NAME)."""
    variants = [replace(t, instruction=text, name=f"{t.name}@{key}")
                for t in tasks for key, text in instructions.items()]
    run = evaluate(model, variants, cache, options)
    values = [run.tasks[v.name].metrics[v.metric_names[0]].value for v in variants]
    return np.array(values, dtype=float).reshape(len(tasks), len(instructions))


def run_instruction_grid(models: Mapping[str, Model], tasks: Sequence[Task], instructions: Mapping[str, str],
                         cache: ResponseCache, options: RunOptions = QUIET, top_k: int = 1) -> InstructionGrid:
    """Every model on every task under every instruction; the MM-BigBench metrics."""
    scores = np.stack([instruction_scores(m, tasks, instructions, cache, options) for m in models.values()], axis=1)
    return _grid(scores, list(models), instructions, tasks, top_k)


def _grid(scores: np.ndarray, models: Sequence[str], instructions: Mapping[str, str], tasks: Sequence[Task],
          top_k: int) -> InstructionGrid:
    # A relative gain over a mean of 0 (every model scored 0 under an instruction) is
    # undefined: it stays NaN, shown as "—", without numpy's divide warning on the terminal.
    with np.errstate(divide="ignore", invalid="ignore"):
        return instruction_grid(scores, models, list(instructions), [t.name for t in tasks], top_k)


def run_instruction_grid_loading(specs: Sequence[str], load: Callable[[str], Model], tasks: Sequence[Task],
                                 instructions: Mapping[str, str], cache: ResponseCache,
                                 options: RunOptions = QUIET, top_k: int = 1) -> tuple[np.ndarray, InstructionGrid]:
    """`run_instruction_grid` with one model in memory at a time: each spec is loaded once,
    evaluated on the whole grid and closed before the next. Returns the raw scores
    (tasks x models x instructions) with the metrics."""
    per_model = []
    for spec in specs:
        model = load(spec)
        try:
            per_model.append(instruction_scores(model, tasks, instructions, cache, options))
        finally:
            model.close()
    scores = np.stack(per_model, axis=1)
    return scores, _grid(scores, specs, instructions, tasks, top_k)


def spreads_of_run(run: Run) -> list[FormatSpread]:
    """Each base task's spread over the formats a run evaluated (its first metric)."""
    by_base: dict[str, list[SampleRecord]] = {}
    metric: dict[str, str] = {}
    for name, task in run.tasks.items():
        if task.primary_metric is None:
            continue
        by_base.setdefault(task.base_name, []).extend(run.rows(name))
        metric.setdefault(task.base_name, task.primary_metric)
    return [s for base, recs in by_base.items() for s in spread_from_records(recs, metric[base])]


def bandit_search(model: Model, task: Task, formats: Sequence[PromptFormat], budget: int, cache: ResponseCache,
                  options: RunOptions = QUIET, batch_size: int = 4, seed: int = 0) -> tuple[BanditResult, BanditResult, int]:
    """FormatSpread's search with real model calls only for what it asks: (best, worst,
    model calls made); half the budget each. Exhaustive would be len(formats) x items."""
    oracle, n_items, calls = lazy_format_oracle(model, task, formats, cache, options)
    half = budget // 2
    best = thompson_search(oracle, len(formats), n_items, half, batch_size, Direction.BEST, seed)
    worst = thompson_search(oracle, len(formats), n_items, budget - half, batch_size, Direction.WORST, seed + 1)
    return best, worst, len(calls)


@dataclass(frozen=True)
class FormatSearch:
    """A bandit format search: the best and worst formats found, the model calls spent, and
    what evaluating every format on every item would have cost."""

    best: BanditResult
    worst: BanditResult
    calls: int
    n_items: int
    exhaustive_calls: int


def search_formats(model: Model, task: Task, formats: Sequence[PromptFormat], cache: ResponseCache,
                   options: RunOptions = QUIET, budget: int | None = None, seed: int = 0) -> FormatSearch:
    """`bandit_search` with its accounting; the budget defaults to half of exhaustive
    (formats x items), the point where the search starts to pay."""
    n_items = len(_limited(task, options))
    exhaustive = len(formats) * n_items
    best, worst, calls = bandit_search(model, task, formats, budget or exhaustive // 2, cache, options, seed=seed)
    return FormatSearch(best, worst, calls, n_items, exhaustive)
