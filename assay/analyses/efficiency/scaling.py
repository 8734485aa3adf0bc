"""Test-time scaling curves: accuracy against tokens, cost and energy for best-of-N, majority
vote and pass@N, from one pool of N_max samples per item.

Each item is asked once for N_max sampled answers (one `Generate` with n = N_max, so the
pool is one cached request and the whole curve costs N_max generations). Every point at
N < N_max is the expectation over N-subsets of that pool:

- pass@N: Chen et al.'s unbiased estimator 1 − C(N_max−c, N) / C(N_max, N) (exact);
- majority@N (self-consistency, Wang et al. 2023): the most frequent extracted answer of the
  subset wins (ties go to the answer seen first in the subset), averaged over `subsets`
  random N-subsets drawn from a seeded Generator (all of them when N = N_max);
- best-of-N: the subset's answer the verifier scores highest. `loglik` (the default where
  the task has no verifier of its own) asks the model for the mean token log-probability of
  each answer given its prompt — a cached second step, whose cost is counted in the curve;
  `oracle` uses the task's own scorer (an upper bound: it equals pass@N).

Costs scale with N: an N-sample answer uses the prompt once and N answers' tokens, CPU
time, joules and dollars (the pool's per-answer means). The Pareto front says which
(model, method, N) is cheapest at each accuracy (*Can 1B LLM Surpass 405B LLM?* compares
policies by exactly such compute-matched curves).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Sequence

import numpy as np

from assay.analyses.efficiency.prices import PriceTable
from assay.core.requests import Generate, Loglikelihood
from assay.core.responses import Completion, Output
from assay.core.run import Run
from assay.core.sample import Sample
from assay.core.solver import PlannedSample, StepContext
from assay.core.task import Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate
from assay.engine.usage_summary import energy_label
from assay.errors import ConfigError, ModelError
from assay.stats.intervals import Interval, IntervalMethod, mean_ci
from assay.stats.passk import pass_at_k


class Method(str, Enum):
    PASS = "pass@N"
    MAJORITY = "majority@N"
    BEST = "best-of-N"


class Verifier(str, Enum):
    LOGLIK = "loglik"
    ORACLE = "oracle"
    NONE = "none"


@dataclass(frozen=True)
class ScaleSettings:
    """What a scaling run asks: the Ns (the largest is the pool), the sampling temperature,
    the verifier for best-of-N, the Monte Carlo subsets per item, and the seed."""

    ns: tuple[int, ...] = (1, 2, 4, 8, 16)
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int | None = None
    verifier: Verifier = Verifier.LOGLIK
    subsets: int = 200
    seed: int = 0
    verifier_model: Any = None
    """A loaded model that scores the answers for best-of-N (a reward model read through its
    log-probabilities, or a stronger model); None: the model under evaluation scores its own."""

    @property
    def n_max(self) -> int:
        return max(self.ns)


@dataclass(frozen=True)
class ItemPool:
    """One item's N_max answers: whether each is right, its extracted answer, its verifier
    score, and the item's usage per answer (means over the pool)."""

    sample_id: str
    correct: np.ndarray
    answers: tuple[Any, ...]
    verifier: np.ndarray | None
    tokens_in: float
    tokens_out_per_answer: float
    seconds_per_answer: float
    energy_j_per_answer: float | None
    energy_kind: str | None
    verifier_tokens_per_answer: float = 0.0
    verifier_seconds_per_answer: float = 0.0
    verifier_energy_j_per_answer: float = 0.0


@dataclass(frozen=True)
class ScalePoint:
    """One (model, method, N) point: accuracy with its CI over items, and mean tokens,
    dollars and joules per item with theirs."""

    model: str
    method: Method
    n: int
    accuracy: Interval
    tokens: Interval
    energy_j: Interval | None
    energy_kind: str | None
    cost_usd: Interval | None
    pareto_cost: bool = False
    pareto_energy: bool = False
    pareto_tokens: bool = False

    def to_dict(self) -> dict[str, Any]:
        def iv(i: Interval | None) -> dict[str, float] | None:
            return None if i is None else {"value": i.estimate, "ci_low": i.low, "ci_high": i.high, "n": i.n}
        return {"model": self.model, "method": self.method.value, "n": self.n, "accuracy": iv(self.accuracy),
                "tokens": iv(self.tokens), "energy_j": iv(self.energy_j), "energy_kind": self.energy_kind,
                "cost_usd": iv(self.cost_usd), "pareto_cost": self.pareto_cost, "pareto_energy": self.pareto_energy,
                "pareto_tokens": self.pareto_tokens}


@dataclass
class ScaleCurve:
    """Points of every model and method, with the Pareto fronts marked, and the runs."""

    task: str
    settings: ScaleSettings
    points: list[ScalePoint] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        verifier_model = getattr(getattr(s.verifier_model, "info", None), "name", None)
        return {"task": self.task, "ns": list(s.ns), "temperature": s.temperature, "verifier": s.verifier.value,
                "verifier_model": verifier_model,
                "subsets": s.subsets, "seed": s.seed, "points": [p.to_dict() for p in self.points],
                "runs": {m: r.run_id for m, r in self.runs.items()}}


# --- the pool --------------------------------------------------------------------------

def pool_task(task: Task, settings: ScaleSettings) -> Task:
    """The task asking N_max sampled answers per item in one request (and, for the loglik
    verifier, their log-probabilities in a second cached step)."""
    if task.kind is not TaskKind.GENERATE:
        raise ConfigError(f"task '{task.name}' is {task.kind.value}: scaling curves need a generation task",
                          field="task", hint="e.g. arith-gen, word-problems-gen, or a YAML generation task")
    if settings.temperature <= 0:
        raise ConfigError("a pool of samples needs temperature > 0 (greedy answers are all the same)",
                          field="temperature")
    if not settings.ns or min(settings.ns) < 1:
        raise ConfigError(f"--n must list positive sample counts, got {list(settings.ns)}", field="n")
    gen = task.generation
    params = replace(gen, n=settings.n_max, temperature=settings.temperature, top_p=settings.top_p,
                     max_tokens=settings.max_tokens or gen.max_tokens)  # seed None: one per item (plan_sample)
    solver = _pool_with_loglik(settings.verifier_model) if settings.verifier is Verifier.LOGLIK else None
    return replace(task, name=f"{task.name}@pool{settings.n_max}", generation=params, solver=solver)


def _pool_with_loglik(verifier_model: Any = None) -> Any:
    """A solver. Step 1: the pool. Step 2: log P(answer | prompt) of each distinct answer by
    the verifier model (default: the model itself); its mean per token is the verifier's
    score, kept in the record's transcript. Both steps are cached."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> Output:
        request = planned.requests[0]
        assert isinstance(request, Generate)
        pool = await ctx.generate(request)
        distinct = sorted(set(pool.texts))
        if distinct:
            await ctx.loglikelihood([Loglikelihood(planned.prompt, t if t else " ") for t in distinct],
                                    model=verifier_model)
        return pool

    return solve


def _texts(response: Any) -> list[str]:
    if isinstance(response, list):
        return [str(t) for t in response]
    return [] if response is None else [str(response)]


def _verifier_scores(record_meta: dict[str, Any], texts: list[str]) -> tuple[np.ndarray | None, float, float, float]:
    """Mean token log-prob of each answer from the transcript's second step, and that
    step's tokens, seconds and joules per answer."""
    steps = record_meta.get("transcript") or []
    if len(steps) < 2:
        return None, 0.0, 0.0, 0.0
    step = steps[1]
    by_text: dict[str, float] = {}
    tokens = seconds = joules = 0.0
    for req, resp in zip(step["requests"], step["responses"]):
        n_tok = max(1, int(resp.get("n_tokens") or 1))
        by_text[req.get("continuation", "")] = float(resp["logprob"]) / n_tok
        usage = resp.get("usage") or {}
        tokens += float(usage.get("tokens_in") or 0)
        seconds += float(usage.get("latency_s") or 0.0)
        joules += float(usage.get("energy_j") or 0.0)
    n = max(1, len(texts))
    scores = np.array([by_text.get(t if t else " ", -math.inf) for t in texts], dtype=float)
    return scores, tokens / n, seconds / n, joules / n


def item_pools(run: Run, task: Task, samples: Sequence[Sample]) -> list[ItemPool]:
    """Score every answer of every item's pool with the task's scorers."""
    by_id = {s.id: s for s in samples}
    pools = []
    for record in run.samples:
        if record.error is not None or record.sample_id not in by_id:
            continue
        texts = _texts(record.response)
        if not texts:
            continue
        sample = by_id[record.sample_id]
        correct, answers = [], []
        for text in texts:
            values: dict[str, float] = {}
            extracted: Any = None
            for scorer in task.scorers:
                score = scorer(sample, Completion((text,)))
                values.update({k: float(v) for k, v in score.values.items()})
                if extracted is None and score.extracted is not None:
                    extracted = score.extracted
            primary = task.metric_names[0] if task.metric_names else next(iter(values))
            correct.append(float(values.get(primary, 0.0)))
            answers.append(extracted if extracted is not None else text.strip())
        verifier, v_tokens, v_seconds, v_joules = _verifier_scores(record.metadata, texts)
        n = len(texts)
        energy = record.metadata.get("energy_j")
        pools.append(ItemPool(
            sample_id=record.sample_id, correct=np.array(correct, dtype=float), answers=tuple(answers),
            verifier=verifier, tokens_in=float(record.tokens_in), tokens_out_per_answer=record.tokens_out / n,
            seconds_per_answer=record.latency_s / n,
            energy_j_per_answer=None if energy is None else float(energy) / n,
            energy_kind=record.metadata.get("energy_kind"),
            verifier_tokens_per_answer=v_tokens, verifier_seconds_per_answer=v_seconds,
            verifier_energy_j_per_answer=v_joules))
    return pools


# --- expectations over N-subsets -------------------------------------------------------

def _subsets(n_max: int, n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    if n >= n_max:
        return np.arange(n_max)[None, :]
    if n == 1:  # every singleton: exact, and majority@1 = best-of-1 = pass@1
        return np.arange(n_max)[:, None]
    return np.array([rng.choice(n_max, size=n, replace=False) for _ in range(count)])


def majority_accuracy(pool: ItemPool, n: int, subsets: int, rng: np.random.Generator) -> float:
    """Expected accuracy of the majority answer of an N-subset (ties: first seen in the subset)."""
    right = {a: c for a, c in zip(pool.answers, pool.correct)}
    hits = []
    for idx in _subsets(len(pool.correct), n, subsets, rng):
        votes = Counter(pool.answers[i] for i in idx)
        top = max(votes.values())
        winner = next(pool.answers[i] for i in idx if votes[pool.answers[i]] == top)
        hits.append(right[winner])
    return float(np.mean(hits))


def best_of_accuracy(pool: ItemPool, n: int, subsets: int, rng: np.random.Generator,
                     verifier: Verifier) -> float:
    """Expected accuracy of the verifier's favourite in an N-subset."""
    if verifier is Verifier.ORACLE:
        return pass_at_k(len(pool.correct), int(pool.correct.sum()), n)
    if pool.verifier is None:
        return math.nan
    hits = [pool.correct[idx[int(np.argmax(pool.verifier[idx]))]]
            for idx in _subsets(len(pool.correct), n, subsets, rng)]
    return float(np.mean(hits))


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> list[bool]:
    """Which points no other point dominates (costs no more and scores no less, better in
    one): the cheapest way to each accuracy. NaN points are never on the front."""
    flags = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        if not (math.isfinite(x) and math.isfinite(y)):
            flags.append(False)
            continue
        dominated = any(math.isfinite(x2) and math.isfinite(y2) and x2 <= x and y2 >= y and (x2 < x or y2 > y)
                        for j, (x2, y2) in enumerate(zip(xs, ys)) if j != i)
        flags.append(not dominated)
    return flags


def curve_points(model: str, pools: Sequence[ItemPool], settings: ScaleSettings,
                 prices: PriceTable | None = None) -> list[ScalePoint]:
    """Every method at every N for one model's pools."""
    if not pools:
        return []
    rng = np.random.default_rng(settings.seed)
    price = prices.for_model(model) if prices is not None else None
    methods = [Method.PASS, Method.MAJORITY]
    if settings.verifier is not Verifier.NONE:
        methods.append(Method.BEST)
    label = energy_label([p.energy_kind for p in pools])
    points = []
    for n in sorted(set(settings.ns)):
        if n > settings.n_max:
            continue
        verify = [(p.verifier_tokens_per_answer, p.verifier_seconds_per_answer, p.verifier_energy_j_per_answer)
                  for p in pools]
        for method in methods:
            extra = method is Method.BEST and settings.verifier is Verifier.LOGLIK
            tokens = [p.tokens_in + n * p.tokens_out_per_answer + (n * v[0] if extra else 0.0)
                      for p, v in zip(pools, verify)]
            seconds = [n * (p.seconds_per_answer + (v[1] if extra else 0.0)) for p, v in zip(pools, verify)]
            energy: Interval | None = None
            if label in ("measured", "estimated") and all(p.energy_j_per_answer is not None for p in pools):
                energy = mean_ci([n * (p.energy_j_per_answer + (v[2] if extra else 0.0))  # type: ignore[operator]
                                  for p, v in zip(pools, verify)])
            cost = None
            if price is not None:
                cost = mean_ci([price.cost(int(p.tokens_in), int(round(t - p.tokens_in)), s)
                                for p, t, s in zip(pools, tokens, seconds)])
            if method is Method.PASS:
                acc = [pass_at_k(len(p.correct), int(p.correct.sum()), n) for p in pools]
            elif method is Method.MAJORITY:
                acc = [majority_accuracy(p, n, settings.subsets, rng) for p in pools]
            else:
                acc = [best_of_accuracy(p, n, settings.subsets, rng, settings.verifier) for p in pools]
            finite = [a for a in acc if math.isfinite(a)]
            acc_ci = _clipped(mean_ci(finite)) if finite else _nan_interval()
            points.append(ScalePoint(model, method, n, acc_ci, mean_ci(tokens), energy,
                                     label if energy is not None else ("unavailable" if label else None), cost))
    return points


def _clipped(ci: Interval) -> Interval:
    """An accuracy's t interval over few items can leave [0, 1]; an accuracy cannot."""
    return replace(ci, low=max(0.0, ci.low), high=min(1.0, ci.high)) if math.isfinite(ci.low) else ci


def _nan_interval() -> Interval:
    return Interval(math.nan, math.nan, math.nan, math.nan, IntervalMethod.NONE, 0.95, 0)


def mark_pareto(points: list[ScalePoint]) -> list[ScalePoint]:
    """The points with their Pareto flags against tokens, dollars and joules. pass@N needs
    an oracle to pick the right answer, so it is drawn but never on a front."""
    deployable = [i for i, p in enumerate(points) if p.method is not Method.PASS]
    out = list(points)
    for axis, attr in (("tokens", "pareto_tokens"), ("cost_usd", "pareto_cost"), ("energy_j", "pareto_energy")):
        xs = [getattr(points[i], axis).estimate if getattr(points[i], axis) is not None else math.nan
              for i in deployable]
        ys = [points[i].accuracy.estimate for i in deployable]
        for i, flag in zip(deployable, pareto_front(xs, ys)):
            out[i] = replace(out[i], **{attr: flag})
    return out


# --- the whole thing -------------------------------------------------------------------

def scale(models: Sequence[Any], task: Task, cache: ResponseCache, settings: ScaleSettings = ScaleSettings(), *,
          limit: int | None = None, prices: PriceTable | None = None, show_progress: bool = False,
          model_specs: Sequence[str] | None = None) -> ScaleCurve:
    """Run the N_max pool of every model on `task` and build the curves with Pareto fronts.

    `models` are loaded model objects (`model_specs` names them in the curve and the price
    table). Every request is cached, so a rerun (or a larger `subsets`) costs nothing."""
    specs = list(model_specs or [m.info.name for m in models])
    if prices is not None:
        prices.check_models(specs)  # before any generation
    pooled = pool_task(task, settings)
    samples = list(task.load())
    if limit is not None:
        samples = samples[:limit]
    curve = ScaleCurve(task=task.name, settings=settings)
    points: list[ScalePoint] = []
    for model, spec in zip(models, specs):
        run = evaluate(model, [pooled], cache, RunOptions(limit=limit, seed=settings.seed, show_progress=show_progress),
                       model_spec=spec)
        curve.runs[spec] = run
        pools = item_pools(run, task, samples)
        short = [p for p in pools if len(p.correct) < settings.n_max]
        if short:
            raise ModelError(f"{spec} returned {len(short[0].correct)} answers for item {short[0].sample_id} where "
                             f"{settings.n_max} were asked (n={settings.n_max}): this backend ignores n, so there "
                             "is no pool to draw the curve from")
        points.extend(curve_points(spec, pools, settings, prices))
    curve.points = mark_pareto(points)
    return curve
