"""`load_task_file`: a YAML task file (see `spec.py`, docs/task-files.md) becomes a `Task`.

Rows become `Sample`s here: the input from a column or a Jinja2 template (StrictUndefined,
sandboxed), choices and a validated target, an id, and the row's other JSON-like columns
(scalars, lists, mappings; not images or bytes) as metadata. Every problem in the data is
a `DataError` naming the data file, the row's line and the column. Local data is read and checked when the task is loaded, so a bad row fails
before any model is started; a Hub dataset is fetched on the first `task.load()`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample, Target
from assay.core.score import Scorer
from assay.core.task import FewShot, Task, TaskKind
from assay.errors import ConfigError, DataError, UnknownNameError
from assay.scoring.registry import did_you_mean, scorer_from_name
from assay.tasks.loaders import Row, load_hf_rows, load_rows
from assay.tasks.spec import KeyPath, LoadedSpec, TaskSpec, dotted, read_task_spec

_DEFAULT_SCORERS = {TaskKind.MULTIPLE_CHOICE: "multiple_choice", TaskKind.GENERATE: "exact_match",
                    TaskKind.PERPLEXITY: "perplexity"}
_SCALARS = (str, int, float, bool, type(None))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mc_target_index(value: Any, choices: Sequence[str], target_is: str) -> int:
    """The index of the right option, from a target given as an index, a letter or the
    option's text. Raises ValueError saying what is wrong."""
    n = len(choices)
    if target_is == "index":
        index: Any = value
        if isinstance(value, str) and value.strip().isdigit():  # CSV holds text
            index = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            index = int(value)
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError(f"target {value!r} is not an option index (target_is: index)")
        if not 0 <= index < n:
            raise ValueError(f"answer index {index} is out of range for {n} choices (0 to {n - 1})")
        return index
    if target_is == "letter":
        letter = value.strip().upper() if isinstance(value, str) else None
        if letter is None or len(letter) != 1 or not "A" <= letter <= "Z":
            raise ValueError(f"target {value!r} is not a letter A-Z (target_is: letter)")
        if ord(letter) - 65 >= n:
            raise ValueError(f"answer letter {letter} is out of range for {n} choices (A to {chr(64 + n)})")
        return ord(letter) - 65
    text = str(value)
    for candidates in (list(choices), [c.strip() for c in choices]):
        if text in candidates or text.strip() in candidates:
            return candidates.index(text if text in candidates else text.strip())
    raise ValueError(f"target {text!r} is not one of the choices {list(choices)} (target_is: text)")


def _json_like(value: Any) -> bool:
    """Scalars, and lists/dicts of them: what metadata (and the per-sample log) can hold."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


def _column_hint(name: str, row: dict[str, Any]) -> str:
    return did_you_mean(name, row) or "columns here: " + ", ".join(map(str, row))


def _text(value: Any, what: str) -> str:
    if value is None or not isinstance(value, _SCALARS) or isinstance(value, bool):
        raise ValueError(f"{what} must be text, got {type(value).__name__}: {value!r}")
    return str(value)


@dataclass(frozen=True)
class _RowReader:
    """Turns rows of one source into Samples under a task spec."""

    spec: TaskSpec
    template: jinja2.Template | None
    template_columns: frozenset[str]
    template_where: str

    @property
    def used_columns(self) -> frozenset[str]:
        """Columns that feed the input, choices, target or id (the rest become metadata)."""
        f = self.spec.fields
        choices = [f.choices] if isinstance(f.choices, str) else list(f.choices or [])
        named = {f.input, f.target, f.id, *choices} - {None}
        return frozenset(named) | self.template_columns  # type: ignore[arg-type]

    def samples(self, rows: Sequence[Row], source: str, id_prefix: str) -> tuple[Sample, ...]:
        out: list[Sample] = []
        first_line: dict[str, int] = {}
        id_col = self.spec.fields.id
        for position, (line, row) in enumerate(rows):
            sample = self._sample(row, source, line, f"{id_prefix}-{position}")
            if sample.id in first_line:
                raise DataError(
                    f"id {sample.id!r} repeats the row on line {first_line[sample.id]}",
                    file=source, line=line, field=id_col,
                )
            first_line[sample.id] = line
            out.append(sample)
        return tuple(out)

    def _get(self, row: dict[str, Any], column: str, source: str, line: int) -> Any:
        if column not in row:
            raise DataError(f"the row has no column '{column}'", file=source, line=line, field=column, hint=_column_hint(column, row))
        if row[column] is None:
            raise DataError(f"column '{column}' is empty", file=source, line=line, field=column)
        return row[column]

    def _sample(self, row: dict[str, Any], source: str, line: int, default_id: str) -> Sample:
        spec, fields = self.spec, self.spec.fields

        def bad(column: str | None, exc: Exception) -> DataError:
            return DataError(str(exc), file=source, line=line, field=column)

        sample_id = default_id
        if fields.id is not None:
            try:
                sample_id = _text(self._get(row, fields.id, source, line), "the id")
            except ValueError as exc:
                raise bad(fields.id, exc) from None
        text = self._input(row, source, line)
        choices: tuple[str, ...] | None = None
        if fields.target is None:  # allowed only for scorers that need no reference answer
            return Sample(id=sample_id, input=text, target="", metadata=self._metadata(row))
        raw_target = self._get(row, fields.target, source, line)
        target: Target
        if spec.kind is TaskKind.MULTIPLE_CHOICE:
            choices = self._choices(row, source, line)
            try:
                target = mc_target_index(raw_target, choices, spec.mc_target)
            except ValueError as exc:
                raise bad(fields.target, exc) from None
        else:
            try:
                target = self._generate_target(raw_target)
            except ValueError as exc:
                raise bad(fields.target, exc) from None
        return Sample(id=sample_id, input=text, target=target, choices=choices, metadata=self._metadata(row))

    def _metadata(self, row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in self.used_columns and _json_like(v)}

    def _input(self, row: dict[str, Any], source: str, line: int) -> str:
        if self.template is None:
            column = self.spec.fields.input
            assert column is not None  # the spec requires input or template
            try:
                return _text(self._get(row, column, source, line), f"column '{column}'")
            except ValueError as exc:
                raise DataError(str(exc), file=source, line=line, field=column) from None
        try:
            return self.template.render({"row": row, **row}).strip()
        except jinja2.UndefinedError as exc:
            found = re.search(r"'([^']+)' is undefined", str(exc))
            column = found.group(1) if found else None
            raise DataError(
                f"the template ({self.template_where}) uses "
                + (f"column '{column}', which this row does not have" if column else f"a missing value: {exc}"),
                file=source, line=line, field=column or "template",
                hint=_column_hint(column, row) if column else None,
            ) from None
        except jinja2.TemplateError as exc:
            raise DataError(f"the template ({self.template_where}) failed: {exc}", file=source, line=line, field="template") from None

    def _choices(self, row: dict[str, Any], source: str, line: int) -> tuple[str, ...]:
        spec_choices = self.spec.fields.choices
        if isinstance(spec_choices, str):
            value = self._get(row, spec_choices, source, line)
            if isinstance(value, str) and value.lstrip().startswith("["):
                try:  # a CSV cell can hold the list as a JSON array
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass
            if not isinstance(value, (list, tuple)):
                raise DataError(
                    f"column '{spec_choices}' must hold a list of options, got {type(value).__name__}",
                    file=source, line=line, field=spec_choices,
                    hint="in CSV write the list as a JSON array, or list one column per option in 'fields.choices'",
                )
            items = [(spec_choices, v) for v in value]
        else:
            items = [(c, self._get(row, c, source, line)) for c in spec_choices or []]
        choices = []
        for column, item in items:
            try:
                choices.append(_text(item, "each option"))
            except ValueError as exc:
                raise DataError(str(exc), file=source, line=line, field=column) from None
        if len(choices) < 2:
            raise DataError(f"a multiple-choice row needs at least 2 options, got {len(choices)}", file=source, line=line, field=self._choices_field)
        return tuple(choices)

    @property
    def _choices_field(self) -> str:
        c = self.spec.fields.choices
        return c if isinstance(c, str) else "choices"

    @staticmethod
    def _generate_target(value: Any) -> Target:
        if isinstance(value, (list, tuple)):
            answers = tuple(_text(v, "each acceptable answer") for v in value)
            if not answers:
                raise ValueError("the list of acceptable answers is empty")
            return answers
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return _text(value, "the target")


@dataclass
class LoadOnce:
    """Calls `make` on first use and keeps the result: `Task.load` must be deterministic,
    and reading a file or the Hub once is enough."""

    make: Callable[[], tuple[Sample, ...]]
    _value: tuple[Sample, ...] | None = field(default=None, repr=False)

    def __call__(self) -> tuple[Sample, ...]:
        if self._value is None:
            self._value = self.make()
        return self._value


def _template(loaded: LoadedSpec) -> tuple[jinja2.Template | None, frozenset[str]]:
    source = loaded.spec.template
    if source is None:
        return None, frozenset()
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        parsed = env.parse(source)
        template = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise loaded.error(f"template syntax error (template line {exc.lineno}): {exc.message}", ("template",)) from None
    return template, frozenset(jinja2.meta.find_undeclared_variables(parsed))


def _choice_params(spec: TaskSpec, params: dict[str, Any], name: str = "multiple_choice") -> dict[str, Any]:
    """The multiple-choice scorer's parameters: the task's `multiple_choice` options (what was
    scored, the unit of acc_norm, calibration), then any the file gives the scorer itself."""
    if spec.kind is not TaskKind.MULTIPLE_CHOICE or name != "multiple_choice":
        return dict(params)
    options = spec.multiple_choice
    return {"norm": options.norm, "continuation": options.continuation, "calibrated": options.calibrate, **params}


def _scorers(loaded: LoadedSpec) -> tuple[Scorer, ...]:
    spec = loaded.spec
    if spec.scorers is None:
        if spec.fields.target is None and spec.kind is not TaskKind.PERPLEXITY:
            raise loaded.error(
                "'fields.target' is needed by the default scorer", ("fields",),
                hint="name the answer column, or list scorers that need no reference answer",
            )
        return (scorer_from_name(_DEFAULT_SCORERS[spec.kind], **_choice_params(spec, {})),)
    built: list[Scorer] = []
    for i, item in enumerate(spec.scorers):
        where: KeyPath = ("scorers", i)
        try:
            scorer = scorer_from_name(item.name, **_choice_params(spec, item.params, item.name))
        except UnknownNameError as exc:
            hint = did_you_mean(item.name, exc.known) or "known scorers: " + ", ".join(sorted(exc.known))
            raise loaded.error(f"unknown scorer '{item.name}'", where, hint=hint) from None
        except ConfigError as exc:
            path = where + (("params", exc.field) if exc.field else ())
            raise loaded.error(exc.message, path, hint=exc.hint) from None
        kinds = getattr(scorer, "kinds", None)
        if kinds is not None and spec.kind not in kinds:
            raise loaded.error(
                f"scorer '{item.name}' does not score kind {spec.kind.value} tasks",
                where, hint=f"the default for {spec.kind.value} is '{_DEFAULT_SCORERS[spec.kind]}'",
            )
        clash = next(((m, other.name) for other in built for m in scorer.metrics if m in other.metrics), None)
        if clash is not None:
            raise loaded.error(
                f"scorers '{clash[1]}' and '{item.name}' both produce the metric '{clash[0]}'; one would hide the other",
                where, hint="keep one of them, or run the other in a second task file",
            )
        if spec.fields.target is None and getattr(scorer, "uses_target", False):
            raise loaded.error(
                f"scorer '{item.name}' compares with a reference answer, but 'fields.target' is not set",
                where, hint="name the answer column in 'fields.target'",
            )
        built.append(scorer)
    return tuple(built)


def _local_file(loaded: LoadedSpec, relative: str, where: KeyPath) -> Path:
    path = (loaded.file.parent / relative).resolve()
    if not path.is_file():
        raise loaded.error(f"data file not found: {path}", where, hint="paths are relative to the task file")
    return path


def _hub_samples(loaded: LoadedSpec, reader: _RowReader, split: str, where: KeyPath, id_prefix: str) -> LoadOnce:
    """Samples of one Hub split, fetched on first use; fetch errors point at `where`."""
    hf = loaded.spec.dataset.hf
    assert hf is not None
    label = f"hf:{hf.name}" + (f"/{hf.config}" if hf.config else "") + f":{split}"

    def fetch() -> tuple[Sample, ...]:
        try:
            rows = load_hf_rows(hf.name, hf.config, split)
        except ConfigError as exc:
            raise ConfigError(
                exc.message, file=loaded.file, line=loaded.lines.line_of(where), field=dotted(where), hint=exc.hint
            ) from None
        return reader.samples(rows, label, id_prefix)

    return LoadOnce(fetch)


def prompt_format(spec: TaskSpec) -> PromptFormat:
    """The task's prompt format: the default, with the file's `format` keys applied; a
    template makes it verbatim (the rendered template is the prompt, wrapped in nothing)."""
    fmt = spec.format.apply(PromptFormat())
    return replace(fmt, verbatim=True) if spec.template is not None else fmt


def _judged(loaded: LoadedSpec, task: Task) -> Task:
    """The task with its `judge:` block applied; judge models load on their first request."""
    from assay.scoring.judges import Aggregate, JudgeConfig, JudgeMode, LazyModel, judged_task
    from assay.scoring.judges.templates import check_template

    judge = loaded.spec.judge
    assert judge is not None
    if judge.template is not None:
        try:
            check_template(judge.template)
        except jinja2.TemplateSyntaxError as exc:
            raise loaded.error(f"the judge template does not parse: {exc.message}", ("judge", "template")) from None
    config = JudgeConfig(
        judges=tuple(LazyModel(m) for m in judge.models), mode=JudgeMode(judge.mode), scale=judge.scale,
        skills=tuple(judge.skills), template=judge.template,
        baseline=LazyModel(judge.baseline) if judge.baseline else None, baseline_field=judge.baseline_field,
        aggregate=Aggregate(judge.aggregate), params=GenerationParams(max_tokens=judge.max_tokens))
    return judged_task(task, config, keep_scorers=judge.keep_scorers)


def load_task_file(path: str | Path) -> Task:
    """Read, validate and build the task described by the YAML file at `path`."""
    loaded = read_task_spec(path)
    spec = loaded.spec
    template, columns = _template(loaded)
    where = f"{loaded.file}:{loaded.lines.line_of(('template',))}"
    reader = _RowReader(spec, template, columns, where)
    scorers = _scorers(loaded)
    source: dict[str, Any] = {"file": str(loaded.file), "sha256": hashlib.sha256(loaded.text.encode("utf-8")).hexdigest()}

    if spec.dataset.path is not None:
        data = _local_file(loaded, spec.dataset.path, ("dataset", "path"))
        source.update(data=str(data), data_sha256=file_sha256(data))
        load = LoadOnce(lambda: reader.samples(load_rows(data), str(data), spec.name))
    else:
        assert spec.dataset.hf is not None
        hf = spec.dataset.hf
        source.update(data=f"hf:{hf.name}", config=hf.config, split=hf.split)
        load = _hub_samples(loaded, reader, hf.split, ("dataset", "hf"), spec.name)

    pool: LoadOnce | None = None
    if spec.fewshot.path is not None:
        shots = _local_file(loaded, spec.fewshot.path, ("fewshot", "path"))
        source.update(fewshot_data=str(shots), fewshot_sha256=file_sha256(shots))
        pool = LoadOnce(lambda: reader.samples(load_rows(shots), str(shots), f"{spec.name}-fewshot"))
    elif spec.fewshot.split is not None:
        source.update(fewshot_split=spec.fewshot.split)
        pool = _hub_samples(loaded, reader, spec.fewshot.split, ("fewshot", "split"), f"{spec.name}-fewshot")

    gen = spec.generation
    generation = GenerationParams() if gen is None else GenerationParams(
        max_tokens=gen.max_tokens, temperature=gen.temperature, top_p=gen.top_p, stop=tuple(gen.stop), seed=gen.seed
    )
    task = Task(
        name=spec.name,
        version=spec.version,
        kind=spec.kind,
        format=prompt_format(spec),
        load=load,
        scorers=scorers,
        fewshot=FewShot(k=spec.fewshot.k, seed=spec.fewshot.seed),
        fewshot_pool=pool,
        generation=generation,
        instruction=spec.instruction,
        chat=spec.chat,
        family="file",
        description=spec.description,
        source=source,
        choice_scoring=spec.multiple_choice.build(),
    )
    if spec.judge is not None:
        task = _judged(loaded, task)
    if spec.dataset.path is not None:  # check local data now, before any model is loaded
        task.load()
        if pool is not None:
            pool()
    return task
