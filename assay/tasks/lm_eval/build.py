"""An lm-eval task config becomes an assay `Task` whose prompts are lm-eval's, byte for byte.

Every doc's context is built here, eagerly, the way lm-eval 0.4.x's `fewshot_context`
builds it in plain text (no chat template):

    description + shot_1 + ... + shot_k + doc_to_text(doc)
    shot = doc_to_text(shot) + target_delimiter + answer(shot) + fewshot_delimiter

(a shot whose target is empty is its text alone, as in lm-eval). The context is the
sample's input, used verbatim; few-shot examples are already in it, so the assay task
itself is zero-shot. Shots are drawn as lm-eval draws them: `first_n` takes the first k of
the pool; `default` draws with one `random.Random(1234)` (lm-eval's default
`fewshot_random_seed`) shared by the docs in order, `sample(pool, k)`, or `sample(pool,
k + 1)` minus the doc itself when the few-shot split is the test split. The pool is
`fewshot_split`, else the training, validation or test split, in that order.

Requests: multiple_choice asks `(context, target_delimiter + choice)` per option;
loglikelihood asks `(context, target)`; generate_until completes the context with
`generation_kwargs`; loglikelihood_rolling scores the text of `doc_to_target` alone (an
assay perplexity task). Building everything now means a broken template, a missing split or
an out-of-range target fails while tasks are resolved, before any model loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import jinja2

from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams, Loglikelihood
from assay.core.responses import ChoiceOutput, Output
from assay.core.sample import Sample
from assay.core.solver import PlannedSample, StepContext
from assay.core.task import Task, TaskKind
from assay.errors import TaskSpecError
from assay.scoring.perplexity import PerplexityScorer
from assay.tasks.lm_eval.config import TASK_KEYS, RawConfig, check_keys
from assay.tasks.lm_eval.data import Docs, load_splits
from assay.tasks.lm_eval.fewshot import ShotDrawer, fewshot_pool, split_docs
from assay.tasks.lm_eval.filters import DEFAULT_PIPELINE, FilterSpecError, build_pipeline
from assay.tasks.lm_eval.scoring import ChoiceScorer, ExactMatch, GenerateScorer, GreedyScorer
from assay.tasks.lm_eval.templates import (
    DocField, TemplateProblem, doc_to_choice, doc_to_target, doc_to_text, resolve_description,
)

OUTPUT_TYPES = ("multiple_choice", "loglikelihood", "generate_until", "loglikelihood_rolling")
_METRICS = {  # lm-eval's defaults (api/registry.py DEFAULT_METRIC_REGISTRY), which assay implements in full
    "multiple_choice": ("acc", "acc_norm"),
    "loglikelihood": ("perplexity", "acc"),
    "generate_until": ("exact_match",),
    "loglikelihood_rolling": ("word_perplexity", "byte_perplexity", "bits_per_byte"),
}
_AGGREGATIONS = {"perplexity": "perplexity", "word_perplexity": "weighted_perplexity",
                 "byte_perplexity": "weighted_perplexity", "bits_per_byte": "bits_per_byte"}
_KINDS = {"multiple_choice": TaskKind.MULTIPLE_CHOICE, "loglikelihood": TaskKind.MULTIPLE_CHOICE,
          "generate_until": TaskKind.GENERATE, "loglikelihood_rolling": TaskKind.PERPLEXITY}
_EXACT_MATCH_OPTIONS = ("ignore_case", "ignore_punctuation", "ignore_numbers", "regexes_to_ignore")
_GEN_KEYS = frozenset({"until", "max_gen_toks", "do_sample", "temperature", "top_p"})


@dataclass(frozen=True)
class _Fields:
    text: DocField
    target: DocField
    choice: DocField | None
    description: DocField | None


def _str_key(config: RawConfig, key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str):
        raise config.error(key, f"{key} must be text, got {type(value).__name__}")
    return value


def _compile(config: RawConfig, key: str, columns: Sequence[str], required: bool) -> DocField | None:
    value = config.get(key)
    if value is None:
        if required:
            raise config.error(key, f"{key} is required")
        return None
    if not isinstance(value, (str, int, list, dict)) or isinstance(value, bool):
        raise config.error(key, f"{key} must be a template, a column name, a list or an index; got {type(value).__name__}")
    try:
        return DocField.compile(key, value, columns)
    except jinja2.TemplateSyntaxError as exc:
        raise config.error(key, f"Jinja syntax error in {key} (template line {exc.lineno}): {exc.message}") from None


def _eval_docs(config: RawConfig, splits: Mapping[str, Docs]) -> tuple[str, Docs]:
    for key in ("test_split", "validation_split"):
        if config.get(key) is not None:
            return key, split_docs(config, splits, key)
    raise config.error("test_split", "the task needs test_split or validation_split (the docs it is evaluated on)")


def _json_like(value: Any) -> bool:
    """What the per-sample log can hold: JSON scalars, lists and mappings (not images or bytes)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_like(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _json_like(v) for k, v in value.items())


def _answer_text(target: Any, choices: list[str] | None) -> Any:
    """What a shot shows as its answer (lm-eval's build_qa_turn)."""
    if choices and isinstance(target, int) and not isinstance(target, bool):
        return choices[target]
    if isinstance(target, list):
        return target[0]
    return target


class _DocBuilder:
    """Turns each doc into (context, choices, target), as lm-eval would."""

    def __init__(self, config: RawConfig, fields: _Fields, drawer: ShotDrawer, output_type: str) -> None:
        self.config, self.fields, self.drawer, self.output_type = config, fields, drawer, output_type
        self.target_delimiter = _str_key(config, "target_delimiter", " ")
        self.fewshot_delimiter = _str_key(config, "fewshot_delimiter", "\n\n")
        self.has_choices = fields.choice is not None

    def _fail(self, key: str, where: str, exc: Exception) -> TaskSpecError:
        return self.config.error(key, f"{where}: {exc}")

    def _text(self, doc: Mapping[str, Any], where: str) -> str:
        try:
            text = doc_to_text(self.fields.text, doc, self.has_choices)
        except TemplateProblem as exc:
            raise self._fail("doc_to_text", where, exc) from None
        if not isinstance(text, str):
            raise self.config.error("doc_to_text", f"{where}: doc_to_text gave {text!r}, not text; multiple-input tasks "
                                    "(Winogrande style, where doc_to_text is an option index) are not supported")
        return text

    def _choices(self, doc: Mapping[str, Any], where: str) -> list[str] | None:
        if self.fields.choice is None:
            return None
        try:
            return doc_to_choice(self.fields.choice, doc)
        except TemplateProblem as exc:
            raise self._fail("doc_to_choice", where, exc) from None

    def _target(self, doc: Mapping[str, Any], where: str) -> Any:
        try:
            return doc_to_target(self.fields.target, doc, self.has_choices)
        except TemplateProblem as exc:
            raise self._fail("doc_to_target", where, exc) from None

    def _gold_index(self, target: Any, choices: list[str], where: str) -> int:
        if isinstance(target, bool) or not isinstance(target, (int, str)):
            raise self.config.error("doc_to_target", f"{where}: doc_to_target gave {target!r}; multiple_choice needs one "
                                    "option index or option text (several gold answers are not supported)")
        if isinstance(target, int):
            if not 0 <= target < len(choices):
                raise self.config.error("doc_to_target", f"{where}: doc_to_target {target} is out of range for "
                                        f"{len(choices)} choices (0 to {len(choices) - 1})")
            return target
        if target not in choices:
            raise self.config.error("doc_to_target", f"{where}: doc_to_target {target!r} is not one of the choices {choices}")
        return choices.index(target)

    def _shot(self, shot: Mapping[str, Any], where: str) -> str:
        text = self._text(shot, where)
        answer = _answer_text(self._target(shot, where), self._choices(shot, where))
        if answer is None or answer == "":
            return text
        if not isinstance(answer, str):
            raise self.config.error("doc_to_target", f"{where}: a few-shot answer must be text, got {answer!r}",
                                    hint="lm-eval fails here too; render it as text, e.g. doc_to_target: \"{{answer}}\"")
        return text + self.target_delimiter + answer + self.fewshot_delimiter

    def build(self, index: int, doc: Mapping[str, Any], split: str) -> Sample:
        where = f"{split} doc {index}"
        try:
            description = resolve_description(self.fields.description, doc)
        except TemplateProblem as exc:
            raise self._fail("description", where, exc) from None
        try:
            drawn = self.drawer.draw(doc)
        except ValueError as exc:
            raise self.config.error("num_fewshot", f"{where}: {exc}") from None
        shots = "".join(self._shot(s, f"few-shot doc for {where}") for s in drawn)
        context = str(description) + shots + self._text(doc, where)
        choices = self._choices(doc, where)
        target = self._target(doc, where)
        meta = {"doc_id": index, "split": split, "doc": {k: v for k, v in doc.items() if _json_like(v)}}
        if self.output_type == "multiple_choice":
            if choices is None:
                raise self.config.error("doc_to_choice", "output_type multiple_choice needs doc_to_choice")
            gold = self._gold_index(target, choices, where)
            return Sample(f"{index}", context, gold, tuple(choices), meta)
        if self.output_type == "loglikelihood_rolling":  # lm-eval scores doc_to_target alone
            if not isinstance(target, str):
                raise self.config.error("doc_to_target", f"{where}: loglikelihood_rolling scores doc_to_target's text, "
                                        f"got {target!r}")
            return Sample(f"{index}", target, "", None, meta)
        if self.output_type == "loglikelihood":
            if not isinstance(target, str):
                raise self.config.error("doc_to_target", f"{where}: loglikelihood needs a text target, got {target!r}")
            return Sample(f"{index}", context, 0, (target,), meta)
        # generate_until: lm-eval compares with choices[target] when doc_to_choice is set.
        if choices is not None:
            if not isinstance(target, int) or not 0 <= target < len(choices):
                raise self.config.error("doc_to_target", f"{where}: with doc_to_choice set, doc_to_target must be an "
                                        f"index below {len(choices)}, got {target!r}")
            return Sample(f"{index}", context, choices[target], None, meta)
        if isinstance(target, list):
            return Sample(f"{index}", context, tuple(str(t) for t in target), None, meta)
        return Sample(f"{index}", context, str(target), None, meta)


def _delimited_solver(delimiter: str):  # type: ignore[no-untyped-def]
    """A one-step solver asking (context, delimiter + option) for every option, for a
    delimiter the verbatim format's answer lead cannot express (empty, or not whitespace)."""

    async def solve(planned: PlannedSample, ctx: StepContext) -> Output:
        choices = planned.sample.choices or ()
        requests = [Loglikelihood(planned.prompt, delimiter + c) for c in choices]
        return ChoiceOutput(tuple(await ctx.loglikelihood(requests)))

    solve.__name__ = "lm_eval_loglikelihood"
    return solve


def _metric_names(config: RawConfig, output_type: str) -> tuple[tuple[str, ...], ExactMatch]:
    supported = _METRICS[output_type]
    entries = config.get("metric_list")
    if entries is None:
        return supported, ExactMatch()
    if not isinstance(entries, list) or not entries:
        raise config.error("metric_list", "metric_list must be a list of {metric: NAME, ...}")
    names: list[str] = []
    match = ExactMatch()
    for i, entry in enumerate(entries):
        field_name = f"metric_list[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("metric"), str):
            raise config.error("metric_list", "each metric_list entry needs 'metric: NAME'", field_name=field_name)
        name = entry["metric"]
        if name not in supported:
            hint = f"supported for {output_type}: {', '.join(supported)}"
            raise config.error("metric_list", f"metric '{name}' is not supported for output_type {output_type}",
                               field_name=f"{field_name}.metric", hint=hint)
        aggregation = entry.get("aggregation", _AGGREGATIONS.get(name, "mean"))
        if aggregation != _AGGREGATIONS.get(name, "mean"):
            raise config.error("metric_list", f"aggregation '{aggregation}' is not supported for {name} "
                               f"(only lm-eval's default, {_AGGREGATIONS.get(name, 'mean')})",
                               field_name=f"{field_name}.aggregation")
        options = {k: v for k, v in entry.items() if k not in ("metric", "aggregation", "higher_is_better")}
        bad = set(options) - (set(_EXACT_MATCH_OPTIONS) if name == "exact_match" else set())
        if bad:
            raise config.error("metric_list", f"metric '{name}' does not take '{sorted(bad)[0]}'",
                               field_name=f"{field_name}.{sorted(bad)[0]}")
        if name == "exact_match":
            regexes = options.get("regexes_to_ignore") or ()
            match = ExactMatch(bool(options.get("ignore_case", False)), bool(options.get("ignore_punctuation", False)),
                               bool(options.get("ignore_numbers", False)), tuple(regexes))
        names.append(name)
    return tuple(names), match


def _generation(config: RawConfig, fewshot_delimiter: str) -> GenerationParams:
    kwargs = config.get("generation_kwargs")
    if kwargs is None:
        return GenerationParams(max_tokens=256, temperature=0.0, stop=(fewshot_delimiter,))
    if not isinstance(kwargs, dict):
        raise config.error("generation_kwargs", "generation_kwargs must be a mapping")
    unknown = set(kwargs) - _GEN_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise config.error("generation_kwargs", f"generation_kwargs.{key} is not supported",
                           field_name=f"generation_kwargs.{key}", hint="supported: " + ", ".join(sorted(_GEN_KEYS)))
    until = kwargs.get("until", [fewshot_delimiter])
    until = [until] if isinstance(until, str) else list(until)
    do_sample = bool(kwargs.get("do_sample", False))
    temperature = float(kwargs.get("temperature", 1.0 if do_sample else 0.0))
    return GenerationParams(
        max_tokens=int(kwargs.get("max_gen_toks", 256)),
        temperature=temperature if do_sample else 0.0,
        top_p=float(kwargs.get("top_p", 1.0)),
        stop=tuple(str(u) for u in until),
    )


def _pipelines(config: RawConfig) -> tuple[Any, ...]:
    entries = config.get("filter_list")
    if entries is None:
        return (DEFAULT_PIPELINE,)
    if not isinstance(entries, list) or not entries:
        raise config.error("filter_list", "filter_list must be a list of {name: ..., filter: [...]}")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "name" not in entry or not isinstance(entry.get("filter"), list):
            raise config.error("filter_list", "each filter_list entry needs 'name' and a 'filter' list", field_name=f"filter_list[{i}]")
        try:
            out.append(build_pipeline(str(entry["name"]), entry["filter"]))
        except FilterSpecError as exc:
            raise config.error("filter_list", str(exc), field_name=f"filter_list[{i}].filter") from None
    return tuple(out)


def build_task(config: RawConfig) -> Task:
    """The assay task for one lm-eval task config (includes already merged)."""
    check_keys(config, TASK_KEYS)
    name = config.get("task")
    if not isinstance(name, str) or not name:
        raise config.error("task", "task must be the task's name (text)")
    output_type = config.get("output_type", "generate_until")
    if output_type not in OUTPUT_TYPES:
        raise config.error("output_type", f"unknown output_type '{output_type}'", hint="one of " + ", ".join(OUTPUT_TYPES))
    if config.get("repeats", 1) != 1:
        raise config.error("repeats", "repeats other than 1 is not supported", hint="remove repeats (majority_vote over one answer is that answer)")
    num_fewshot = config.get("num_fewshot") or 0
    if not isinstance(num_fewshot, int) or num_fewshot < 0:
        raise config.error("num_fewshot", f"num_fewshot must be a whole number >= 0, got {num_fewshot!r}")

    metrics, match = _metric_names(config, output_type)
    pipelines = _pipelines(config)
    fewshot_delimiter = _str_key(config, "fewshot_delimiter", "\n\n")
    generation = _generation(config, fewshot_delimiter) if output_type == "generate_until" else GenerationParams()

    splits = load_splits(config)
    split_key, docs = _eval_docs(config, splits)
    columns = list(dict.fromkeys(k for doc in docs for k in doc))
    fields = _Fields(
        text=_compile(config, "doc_to_text", columns, required=True),  # type: ignore[arg-type]
        target=_compile(config, "doc_to_target", columns, required=True),  # type: ignore[arg-type]
        choice=_compile(config, "doc_to_choice", columns, required=output_type == "multiple_choice"),
        description=_compile(config, "description", columns, required=False),
    )
    drawer = ShotDrawer(config, fewshot_pool(config, splits), num_fewshot)
    builder = _DocBuilder(config, fields, drawer, output_type)
    split_name = str(config.get(split_key))
    samples = tuple(builder.build(i, doc, split_name) for i, doc in enumerate(docs))

    # Log-likelihood continuations are delimiter + text. A whitespace delimiter is the verbatim
    # format's answer lead, so the plain one-step solver asks exactly that; any other (empty
    # for output_type loglikelihood) needs a solver that writes the continuation itself.
    solver = None
    fmt = PromptFormat(verbatim=True)
    if output_type in ("multiple_choice", "loglikelihood"):
        delimiter = builder.target_delimiter if output_type == "multiple_choice" else ""
        if delimiter and not delimiter.strip():
            fmt = PromptFormat(verbatim=True, label_separator=":" + delimiter)
        else:
            solver = _delimited_solver(delimiter)
    scorers: tuple[Any, ...] = {
        "multiple_choice": lambda: (ChoiceScorer(metrics),),
        "loglikelihood": lambda: (GreedyScorer(metrics),),
        "loglikelihood_rolling": lambda: (PerplexityScorer(metrics),),
        "generate_until": lambda: (GenerateScorer(pipelines, match),),
    }[output_type]()
    metadata = config.get("metadata") or {}
    version = metadata.get("version") if isinstance(metadata, dict) else None
    digest = hashlib.sha256()
    for file in sorted({entry.file for entry in config.entries.values()} | {config.file}):
        digest.update(file.read_bytes())  # the file and every file it includes
    return Task(
        name=name,
        version=f"lm-eval-{version}" if version is not None else "lm-eval",
        kind=_KINDS[output_type],
        load=lambda: samples,
        scorers=scorers,
        format=fmt,
        generation=generation,
        chat=False,
        family="lm-eval",
        description=f"lm-eval task {name} ({output_type}, {num_fewshot}-shot)",
        source={"file": str(config.file), "sha256": digest.hexdigest(), "lm_eval": True,
                "output_type": output_type, "num_fewshot": num_fewshot, "split": split_name},
        solver=solver,
    )

