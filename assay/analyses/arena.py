"""Model arenas judged by an LLM: every model answers a task, then a judge compares answers
pairwise (both orders, ties allowed) in a round robin or a tournament, and the verdicts
become `Battle`s for ratings (`assay.stats.rating`) and audits (`judge_audit`).

Both halves go through the engine: the answers are an ordinary generation run per model,
and the judging is a run of the judge on "pair" samples whose solver asks both orders — so
every verdict is cached, a rerun resumes, and an unreadable verdict fails its pair (counted
in `failed`, left out of the battles) rather than counting as a loss.
Null models (`judge_audit.NULL_ANSWERS`) can join as contestants that give one fixed text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from assay.analyses.judge_audit import NULL_ANSWERS
from assay.analyses.tournaments import Match, TournamentFormat, round_robin, single_elimination, swiss
from assay.core.messages import ChatMessage
from assay.core.pairwise import Battle, Outcome
from assay.core.requests import Generate, GenerationParams
from assay.core.responses import Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.solver import PlannedSample, StepContext, StepFailed
from assay.core.task import Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.run import RunOptions, evaluate_async
from assay.errors import AssayError, ConfigError
from assay.scoring.judges.solver import JudgedCompletion, question_text
from assay.scoring.judges.templates import PAIRWISE, render_judge_prompt
from assay.scoring.judges.verdicts import UnreadableVerdict, parse_pairwise


@dataclass
class Answers:
    """Each model's answer text per item, and each item's question (and category)."""

    questions: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    by_model: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_null_models(self, names: Sequence[str]) -> None:
        for name in names:
            if name not in NULL_ANSWERS:
                raise ConfigError(f"unknown null model {name!r}", field="--null-model",
                                  hint="one of " + ", ".join(NULL_ANSWERS))
            self.by_model[name] = {item: NULL_ANSWERS[name] for item in self.questions}

    def to_dict(self) -> dict[str, Any]:
        return {"questions": self.questions, "categories": self.categories, "by_model": self.by_model}


async def collect_answers(models: Sequence[Any], task: Task, cache: ResponseCache, options: RunOptions,
                          answers: Answers | None = None) -> Answers:
    """Run each model (a loaded model, or a spec loaded and closed here) on the generation task."""
    from assay.models import load_model

    if task.kind is not TaskKind.GENERATE:
        raise ConfigError(f"task '{task.name}' is {task.kind.value}: an arena needs a generation task", field="--task")
    answers = answers or Answers()
    samples = {s.id: s for s in task.load()}
    for model in models:
        owned = isinstance(model, str)
        loaded = load_model(model) if owned else model
        name = model if owned else str(getattr(loaded, "spec", None) or loaded.info.name)
        try:
            run = await evaluate_async(loaded, [task], cache, options, model_spec=name)
        finally:
            if owned:
                loaded.close()
        texts: dict[str, str] = {}
        for rec in run.samples:
            if rec.error is None:
                texts[rec.sample_id] = rec.response if isinstance(rec.response, str) else str(rec.response)
            sample = samples.get(rec.sample_id)
            answers.questions.setdefault(rec.sample_id, rec.prompt if sample is None else
                                         question_text(PlannedSample(sample, rec.prompt, ())))
            answers.categories.setdefault(rec.sample_id, str(rec.metadata.get("category", "") or ""))
        answers.by_model[name] = texts
    return answers


class _PairScorer:
    """Keeps the two verdicts of a pair sample (as `extracted`); the metric is the first-
    listed model's score over both orders."""

    name = "arena_pair"
    metrics = ("first_model_score",)

    def __call__(self, sample: Sample, output: Output) -> Score:
        judgement = dict(getattr(output, "judgement", {}) or {})
        points = {"first": 1.0, "second": 0.0, "tie": 0.5}
        a_first, a_second = judgement["outcomes"]
        score = (points[a_first] + 1.0 - points[a_second]) / 2
        return Score({"first_model_score": score}, extracted=judgement)


def _pair_solver(template: str, params: GenerationParams):  # type: ignore[no-untyped-def]
    async def solve(planned: PlannedSample, ctx: StepContext) -> JudgedCompletion:
        meta = planned.sample.metadata
        outcomes, texts = [], []
        for a, b in ((meta["answer_a"], meta["answer_b"]), (meta["answer_b"], meta["answer_a"])):
            prompt = render_judge_prompt(template, question=str(planned.sample.input), answer_a=a, answer_b=b,
                                         reference="")
            done = await ctx.generate(Generate(messages=(ChatMessage("user", prompt),), params=params))
            try:
                outcomes.append(parse_pairwise(done.text).value)
            except UnreadableVerdict as exc:
                raise StepFailed(f"judge: {exc}") from None
            texts.append(done.text)
        return JudgedCompletion(texts=tuple(texts), judgement={"outcomes": outcomes})

    return solve


def pair_task(answers: Answers, matches: Sequence[Match], *, template: str = PAIRWISE,
              params: GenerationParams = GenerationParams(max_tokens=192), name: str = "arena-pairs") -> Task:
    """A task whose samples are matches: the judge (the run's model) reads both answers in
    both orders."""
    samples = []
    for item, a, b in matches:
        try:
            answer_a, answer_b = answers.by_model[a][item], answers.by_model[b][item]
        except KeyError:
            continue  # a model failed this item: no match
        samples.append(Sample(id=f"{item}::{a}::{b}", input=answers.questions[item], target="",
                              metadata={"item": item, "model_a": a, "model_b": b, "answer_a": answer_a,
                                        "answer_b": answer_b, "category": answers.categories.get(item, "")}))
    return Task(name=name, version="1", kind=TaskKind.GENERATE, load=lambda: samples, scorers=(_PairScorer(),),
                solver=_pair_solver(template, params), generation=params)


def battles_of(records: Sequence[Any], judge: str) -> tuple[list[Battle], list[str]]:
    """Two battles per judged pair (one per order), and the failed pairs' messages."""
    battles, failed = [], []
    for rec in records:
        if rec.error is not None:
            failed.append(f"{rec.sample_id}: {rec.error}")
            continue
        m = rec.metadata
        a, b = m["model_a"], m["model_b"]
        la, lb = len(m["answer_a"]), len(m["answer_b"])
        first, second = rec.extracted["outcomes"]
        battles.append(Battle(m["item"], a, b, Outcome(first), judge, la, lb, str(m.get("category", ""))))
        battles.append(Battle(m["item"], b, a, Outcome(second), judge, lb, la, str(m.get("category", ""))))
    return battles, failed


@dataclass
class ArenaResult:
    """What an arena run produced: the battles, the answers they compared, the judge, the
    tournament format, matches played and pairs whose verdict could not be read."""

    judge: str
    format: TournamentFormat
    battles: list[Battle]
    answers: Answers
    matches: int
    failed: list[str] = field(default_factory=list)

    def save(self, directory: str | Path) -> Path:
        """Write `battles.jsonl`, `answers.json` and `arena.json` to `directory`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "battles.jsonl").write_text("".join(json.dumps(b.to_dict()) + "\n" for b in self.battles))
        (out / "answers.json").write_text(json.dumps(self.answers.to_dict(), indent=1))
        (out / "arena.json").write_text(json.dumps({"judge": self.judge, "format": self.format.value,
                                                    "matches": self.matches, "failed": self.failed}, indent=1))
        return out


def read_battles(path: str | Path) -> list[Battle]:
    """Battles from a `battles.jsonl` file (or an arena directory holding one); a bad line is
    a ConfigError naming the file, line and field."""
    path = Path(path)
    if path.is_dir():
        path = path / "battles.jsonl"
    if not path.exists():
        raise ConfigError("no such battles file", file=path, hint="give an `assay arena run --out` directory")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Battle.from_dict(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not JSON: {exc.msg}", file=path, line=n) from None
        except KeyError as exc:
            raise ConfigError(f"missing {exc.args[0]!r}", file=path, line=n, field=str(exc.args[0])) from None
        except ValueError as exc:
            raise ConfigError(str(exc), file=path, line=n, field="outcome") from None
    if not out:
        raise ConfigError("the battles file is empty", file=path)
    return out


async def judge_matches(judge: Any, answers: Answers, matches: Sequence[Match], cache: ResponseCache,
                        options: RunOptions, *, judge_name: str, template: str = PAIRWISE,
                        params: GenerationParams = GenerationParams(max_tokens=192)) -> tuple[list[Battle], list[str]]:
    """Judge a batch of matches (both orders each) with `judge` through the engine."""
    task = pair_task(answers, matches, template=template, params=params)
    run = await evaluate_async(judge, [task], cache, options, model_spec=judge_name)
    return battles_of(run.samples, judge_name)


def run_arena(models: Sequence[Any], task: Task | str, judge: Any, cache: ResponseCache, *,
              options: RunOptions = RunOptions(show_progress=False),
              tournament: TournamentFormat = TournamentFormat.ROUND_ROBIN,
              null_models: Sequence[str] = (), template: str = PAIRWISE, seed: int = 0,
              judge_params: GenerationParams = GenerationParams(max_tokens=192)) -> ArenaResult:
    """Answers from every model (loaded objects or specs) to `task` (a Task or a task name),
    then matches judged by `judge` (a
    loaded model or a spec) in the chosen tournament format, with a Jinja2 `template` (the
    fields of `templates.PAIRWISE`) and the judge's generation settings `judge_params`. Synchronous: each tournament
    round is one engine run of the judge (works from a notebook too, via `run_sync`)."""
    from assay.engine.run import run_sync
    from assay.models import load_model

    if len(models) + len(null_models) < 2:
        raise ConfigError("an arena needs at least two contestants", field="MODELS")
    if isinstance(task, str):
        from assay.tasks.resolve import resolve_tasks

        resolved = resolve_tasks([task])
        if len(resolved) != 1:
            raise ConfigError(f"'{task}' names {len(resolved)} tasks; an arena runs on one", field="--task")
        task = resolved[0]
    answers = run_sync(collect_answers(models, task, cache, options))
    answers.add_null_models(null_models)
    owned = isinstance(judge, str)
    judge_model = load_model(judge) if owned else judge
    name = judge if owned else str(getattr(judge, "spec", None) or judge.info.name)
    contestants = list(answers.by_model)
    items = sorted(answers.questions)
    if not items:
        raise AssayError(f"task '{task.name}' produced no items to compare")
    failed: list[str] = []

    def play(matches: Sequence[Match]) -> list[Battle]:
        battles, bad = run_sync(judge_matches(judge_model, answers, matches, cache, options, judge_name=name,
                                              template=template, params=judge_params))
        failed.extend(bad)
        return battles

    try:
        if tournament is TournamentFormat.ROUND_ROBIN:
            result = round_robin(contestants, items, play)
        elif tournament is TournamentFormat.SINGLE_ELIMINATION:
            result = single_elimination(contestants, items, _tolerant(play), seed=seed)
        else:
            result = swiss(contestants, items, _tolerant(play), seed=seed)
    finally:
        if owned:
            judge_model.close()
    return ArenaResult(name, tournament, rated_battles(result.battles), answers, result.matches, failed)


def _tolerant(play: Any) -> Any:
    """A failed match (unreadable verdict) counts as a tie for advancing in the bracket, never
    as a battle in the ratings."""
    def wrapped(matches: Sequence[Match]) -> list[Battle]:
        battles = play(matches)
        seen = {(b.item, frozenset((b.first, b.second))) for b in battles}
        filler = [Battle(i, a, b, Outcome.TIE, "", metadata={"failed": True}) for i, a, b in matches
                  if (i, frozenset((a, b))) not in seen]
        return battles + filler

    return wrapped


def rated_battles(battles: Sequence[Battle]) -> list[Battle]:
    """The battles that count for ratings (not the stand-ins for failed matches)."""
    return [b for b in battles if not b.metadata.get("failed")]


def summary_by_model(battles: Sequence[Battle]) -> Mapping[str, float]:
    """Each model's mean score over its battles (ties ½)."""
    totals: dict[str, list[float]] = {}
    for b in battles:
        for m in (b.first, b.second):
            totals.setdefault(m, []).append(b.score_of(m))
    return {m: sum(v) / len(v) for m, v in totals.items()}
