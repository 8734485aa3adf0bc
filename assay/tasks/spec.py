"""The YAML task-file format as pydantic models, and its parsing with located errors.

Every key has one meaning: `fields` maps roles to column names and nothing else; a Jinja2
`template` (a separate key) builds the input text when one column is not enough, and is
then the prompt verbatim; `format` overrides fields of the `PromptFormat`. Unknown
keys are rejected (`extra="forbid"`), so a typo fails loudly with a "did you mean" hint.
Errors name the file, the line of the offending key (found by composing the YAML into
nodes, which keep their positions) and the field path. See docs/task-files.md.
"""

from __future__ import annotations

import difflib
import re
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assay.core.format import Casing, OptionEnumerator, PromptFormat
from assay.core.task import ChoiceScoring, Continuation, NormUnit, TaskKind
from assay.errors import TaskSpecError

DATA_SUFFIXES = (".jsonl", ".csv", ".parquet", ".json")


def _check_suffix(path: str | None) -> str | None:
    if path is not None and not path.lower().endswith(DATA_SUFFIXES):
        raise ValueError(f"cannot tell the format of {path!r} from its extension: use {', '.join(DATA_SUFFIXES)}")
    return path


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HFDataset(_Spec):
    """A Hugging Face Hub dataset: `datasets.load_dataset(name, config, split=split)`."""

    name: str
    config: Optional[str] = None
    split: str = "test"


class DatasetSpec(_Spec):
    """Where the rows come from: a local file (`path`, relative to the task file) or `hf`."""

    path: Optional[str] = None
    hf: Optional[HFDataset] = None

    @field_validator("path")
    @classmethod
    def _known_suffix(cls, value: str | None) -> str | None:
        return _check_suffix(value)

    @model_validator(mode="after")
    def _one_source(self) -> "DatasetSpec":
        if (self.path is None) == (self.hf is None):
            raise ValueError("give exactly one of 'path' (a local file) or 'hf' (a Hub dataset)")
        return self


class FieldMap(_Spec):
    """Which column plays which role. Values are column names, never templates or literals.

    `choices` is one column holding a list of options, or a list of columns holding one
    option each. `target` may be left out only by a generate task whose scorers need no
    reference answer (instruction checks).
    """

    input: Optional[str] = None
    target: Optional[str] = None
    choices: Union[str, list[str], None] = None
    id: Optional[str] = None


class FewShotSpec(_Spec):
    """`k` solved examples per prompt, drawn with `seed` from the task's own rows (never the
    item itself), from another split of the Hub dataset (`split`), or from a file (`path`)."""

    k: int = Field(default=0, ge=0)
    seed: int = 1234
    split: Optional[str] = None
    path: Optional[str] = None

    @field_validator("path")
    @classmethod
    def _known_suffix(cls, value: str | None) -> str | None:
        return _check_suffix(value)

    @model_validator(mode="after")
    def _one_pool(self) -> "FewShotSpec":
        if self.split is not None and self.path is not None:
            raise ValueError("give at most one of 'split' or 'path' for the few-shot pool")
        return self


class ScorerSpec(_Spec):
    """A scorer by registry name, with keyword parameters for its constructor."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class GenerationSpec(_Spec):
    """Sampling settings for `kind: generate` (temperature 0 is greedy)."""

    max_tokens: int = Field(default=256, gt=0)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    stop: list[str] = Field(default_factory=list)
    seed: Optional[int] = None


class JudgeSpec(_Spec):
    """A judged task's `judge:` block (`assay.scoring.judges.JudgeConfig`): the judge model
    spec(s) (`model: qwen2.5-coder-0.5b`, or a list for a jury), `mode: pointwise | pairwise |
    reference`, the rating `scale`, FLASK-style `skills`, a replacement Jinja2 `template`,
    the pairwise `baseline` (a model spec) or `baseline_field` (a column holding the baseline
    answer), `aggregate: mean | majority`, the judges' `max_tokens`, and `keep_scorers` (also
    run the task's own scorers)."""

    model: Union[str, list[str]]
    mode: Literal["pointwise", "pairwise", "reference"] = "pointwise"
    scale: int = Field(default=10, ge=2, le=100)
    skills: list[str] = Field(default_factory=list)
    template: Optional[str] = None
    baseline: Optional[str] = None
    baseline_field: Optional[str] = None
    aggregate: Literal["mean", "majority"] = "mean"
    max_tokens: int = Field(default=192, gt=0)
    keep_scorers: bool = False

    @property
    def models(self) -> list[str]:
        return [self.model] if isinstance(self.model, str) else list(self.model)


class FormatSpec(_Spec):
    """Overrides of the prompt format (`assay.core.format.PromptFormat`), one key per field;
    a key left out keeps the default. `show_choices: true` lists the options (the listed
    style), `false` leaves them out (cloze)."""

    question_label: Optional[str] = None
    choices_label: Optional[str] = None
    answer_label: Optional[str] = None
    label_separator: Optional[str] = None
    field_separator: Optional[str] = None
    option_separator: Optional[str] = None
    option_enumerator: Optional[OptionEnumerator] = None
    casing: Optional[Casing] = None
    shot_separator: Optional[str] = None
    show_choices: Optional[bool] = None
    verbatim: Optional[bool] = None

    def given(self) -> dict[str, Any]:
        """The keys the file sets (to something other than null), with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set if getattr(self, name) is not None}

    def apply(self, base: PromptFormat) -> PromptFormat:
        return replace(base, **self.given())


class ChoiceScoringSpec(_Spec):
    """How a multiple-choice task's options are asked and scored (`assay.core.task.ChoiceScoring`):
    `continuation: text|letter`, `chat_template: true` (through the model's chat template),
    `norm: chars|bytes|tokens` (the unit of acc_norm), `calibrate: true` (also acc_mutual_info,
    one extra request per option) with `neutral_context` (default "", lm-eval's)."""

    continuation: Continuation = Continuation.TEXT
    chat_template: bool = False
    norm: NormUnit = NormUnit.BYTES
    calibrate: bool = False
    neutral_context: str = ""

    def build(self) -> ChoiceScoring:
        return ChoiceScoring(self.continuation, self.chat_template, self.norm, self.calibrate, self.neutral_context)


VERBATIM_KEYS = frozenset({"verbatim", "shot_separator"})
"""The format keys that still mean something when the input is the prompt verbatim."""


class TaskSpec(_Spec):
    """One YAML task file."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    version: str = "1"
    description: str = ""
    kind: TaskKind
    dataset: DatasetSpec
    fields: FieldMap
    template: Optional[str] = None
    target_is: Optional[Literal["index", "text", "letter"]] = None
    fewshot: FewShotSpec = FewShotSpec()
    scorers: Optional[list[ScorerSpec]] = None
    generation: Optional[GenerationSpec] = None
    instruction: str = ""
    chat: bool = True
    format: FormatSpec = FormatSpec()
    multiple_choice: ChoiceScoringSpec = ChoiceScoringSpec()
    judge: Optional[JudgeSpec] = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # `version: 2` and `version: 1.1` are numbers to YAML; they mean the text. (`1.10`
        # is the float 1.1 before we see it: docs/task-files.md says to quote such versions.)
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("scorers", mode="before")
    @classmethod
    def _scorer_names(cls, value: Any) -> Any:
        # A bare name is shorthand for {name: ...}: one form after parsing.
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def mc_target(self) -> str:
        """How a multiple-choice target names the right option (default: by index)."""
        return self.target_is or "index"


KeyPath = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class KeyLines:
    """Line numbers (1-based) of the keys and items of a composed YAML document."""

    root: yaml.Node | None

    def line_of(self, path: KeyPath) -> int | None:
        """The line of the deepest node along `path` that exists (a key's own line for a
        mapping entry), so a missing key points at its parent."""
        node, line = self.root, None if self.root is None else self.root.start_mark.line + 1
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line + 1, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


@dataclass(frozen=True)
class LoadedSpec:
    """A validated task spec with where it came from."""

    spec: TaskSpec
    file: Path
    lines: KeyLines
    text: str

    def error(self, message: str, path: KeyPath, hint: str | None = None) -> TaskSpecError:
        return TaskSpecError(message, file=self.file, line=self.lines.line_of(path), field=dotted(path), hint=hint)


def dotted(path: KeyPath) -> str:
    """('scorers', 0, 'name') -> 'scorers[0].name'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    model: type[BaseModel] | None = TaskSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        model = _submodel(field.annotation)
    return model


def _clean_loc(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """The part of a pydantic location that walks the input: keys and indexes present in
    it, plus a missing key that names a field. Union-member tags ('str', 'list[str]') that
    pydantic inserts are dropped."""
    path: list[Union[str, int]] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            path.append(part)
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            path.append(part)
            data = data[part]
        elif isinstance(data, dict) and part in getattr(_model_at(tuple(path)), "model_fields", {}):
            path.append(part)
            data = None
    return tuple(path)


def _hint(kind: str, path: KeyPath) -> str | None:
    if kind != "extra_forbidden" or not path or not isinstance(path[-1], str):
        return None
    model = _model_at(path[:-1])
    if model is None:
        return None
    close = difflib.get_close_matches(path[-1], list(model.model_fields), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed keys here: " + ", ".join(model.model_fields)


def _describe(path: KeyPath, error: dict[str, Any]) -> tuple[str, str | None]:
    """A message and an optional hint for one pydantic error at `path`."""
    kind = error["type"]
    if kind == "extra_forbidden" and path:
        return f"unknown key '{path[-1]}'", _hint(kind, path)
    if kind == "missing" and path:
        return f"missing required key '{path[-1]}'", None
    return str(error["msg"]).removeprefix("Value error, "), None


def _translate(exc: ValidationError, file: Path, lines: KeyLines, data: Any) -> TaskSpecError:
    """The first problem as a located `TaskSpecError`; up to five more listed in its message."""
    located: list[tuple[KeyPath, dict[str, Any]]] = []
    for error in exc.errors():
        path = _clean_loc(tuple(error["loc"]), data)
        if all(path != seen for seen, _ in located):  # a union reports one problem per member
            located.append((path, error))
    # Where a union reports both "not a string" at `choices` and "not a string" at
    # `choices[0]`, the deeper one says what is wrong.
    deepest = [(p, e) for p, e in located if not any(len(q) > len(p) and q[: len(p)] == p for q, _ in located)]
    # A missing key is often the misspelt one reported as unknown: report that one first.
    located = sorted(deepest or located, key=lambda pe: (pe[1]["type"] == "missing", lines.line_of(pe[0]) or 0))
    path, first = located[0]
    message, hint = _describe(path, first)
    for other_path, other in located[1:6]:
        other_message, other_hint = _describe(other_path, other)
        message += f"\n  also {file}:{lines.line_of(other_path)}, field '{dotted(other_path)}': {other_message}"
        message += f" ({other_hint})" if other_hint else ""
    if len(located) > 6:
        message += f"\n  ... and {len(located) - 6} more"
    return TaskSpecError(message, file=file, line=lines.line_of(path), field=dotted(path) or None, hint=hint)


def _check_duplicates(node: yaml.Node, file: Path) -> None:
    """Reject a key given twice in one mapping (PyYAML would silently keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            name = getattr(key, "value", None)
            line = key.start_mark.line + 1
            if isinstance(name, str) and name in seen:
                raise TaskSpecError(f"key '{name}' is given twice (first on line {seen[name]})", file=file, line=line, field=name)
            if isinstance(name, str):
                seen[name] = line
            _check_duplicates(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(item, file)


_KEY_LINE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w\-]*)\s*:")


def _key_near(text: str, line: int | None) -> str | None:
    """The key on the line of a syntax error, or on the closest line above it: the parser
    failed, so this is a best guess at which entry is broken."""
    if line is None:
        return None
    lines = text.splitlines()
    for number in range(min(line, len(lines)), 0, -1):
        found = _KEY_LINE.match(lines[number - 1])
        if found:
            return found.group(1)
    return None


def parse_task_spec(text: str, file: str | Path = "<string>") -> LoadedSpec:
    """Parse and validate a task file's text; every problem is a located `TaskSpecError`."""
    file = Path(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if "end of stream" in problem or "<stream end>" in problem:
            # An unclosed quote or bracket fails at the end of the file; where it opened is the news.
            mark = getattr(exc, "context_mark", None) or mark
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        line = None if mark is None else mark.line + 1
        raise TaskSpecError(message, file=file, line=line, field=_key_near(text, line)) from None
    lines = KeyLines(root)
    if not isinstance(data, dict):
        raise TaskSpecError(
            "a task file is a YAML mapping of keys (name, kind, dataset, fields, ...)",
            file=file, line=lines.line_of(()),
        )
    if root is not None:
        _check_duplicates(root, file)
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, file, lines, data) from None
    loaded = LoadedSpec(spec, file, lines, text)
    _cross_check(loaded)
    return loaded


def _cross_check(loaded: LoadedSpec) -> None:
    """Rules that tie keys together, each reported at the key that breaks it."""
    spec = loaded.spec
    if spec.fields.input is not None and spec.template is not None:
        raise loaded.error(
            "give either 'fields.input' (a column) or 'template' (Jinja2 text), not both",
            ("template",), hint="drop 'fields.input'; the template can use that column as {{ column }}",
        )
    if spec.fields.input is None and spec.template is None:
        raise loaded.error("the input text needs 'fields.input' (a column) or 'template' (Jinja2 text)", ("fields",))
    if spec.kind is TaskKind.PERPLEXITY:
        _check_perplexity(loaded)
    mc = spec.kind is TaskKind.MULTIPLE_CHOICE
    if mc and spec.fields.target is None:
        raise loaded.error("a multiple_choice task needs 'fields.target'", ("fields",))
    if mc and spec.fields.choices is None:
        raise loaded.error("a multiple_choice task needs 'fields.choices'", ("fields",))
    if not mc and spec.fields.choices is not None:
        raise loaded.error(
            "'fields.choices' is for kind multiple_choice", ("fields", "choices"),
            hint="a generate task shows options through its template",
        )
    if not mc and spec.target_is is not None:
        raise loaded.error("'target_is' is for kind multiple_choice; a generate task's target is text", ("target_is",))
    if mc and spec.generation is not None:
        raise loaded.error("'generation' settings apply only to kind generate", ("generation",))
    _check_format(loaded)
    _check_choice_scoring(loaded)
    if spec.judge is not None:
        _check_judge(loaded)
    if spec.fewshot.split is not None and spec.dataset.hf is None:
        raise loaded.error(
            "'fewshot.split' needs a Hub dataset ('dataset.hf')", ("fewshot", "split"),
            hint="for a local few-shot pool use 'fewshot.path'",
        )


def _check_judge(loaded: LoadedSpec) -> None:
    """A judge reads generated answers; pairwise needs one baseline source."""
    judge = loaded.spec.judge
    assert judge is not None
    if loaded.spec.kind is not TaskKind.GENERATE:
        raise loaded.error("a 'judge' block needs kind generate (judges read generated answers)", ("judge",))
    if not judge.models:
        raise loaded.error("name at least one judge model", ("judge", "model"))
    if judge.mode == "pairwise" and (judge.baseline is None) == (judge.baseline_field is None):
        raise loaded.error("pairwise judging needs exactly one of 'baseline' (a model spec) or 'baseline_field'",
                           ("judge", "mode"), hint="baseline_field: the column with the reference model's answer")
    if judge.mode != "pairwise" and (judge.baseline or judge.baseline_field):
        raise loaded.error("'baseline' is for mode pairwise", ("judge", "baseline" if judge.baseline else "baseline_field"))


def _check_perplexity(loaded: LoadedSpec) -> None:
    """A perplexity task scores each row's text column as it is: nothing may change it."""
    spec = loaded.spec
    if spec.template is not None:
        raise loaded.error("a perplexity task scores a column's text as it is, not a template", ("template",),
                           hint="put the text in a column and name it in 'fields.input'")
    unused = [(("fields", "target"), spec.fields.target is not None),
              (("fields", "choices"), spec.fields.choices is not None),
              (("generation",), spec.generation is not None),
              (("fewshot", "k"), spec.fewshot.k > 0),
              (("instruction",), bool(spec.instruction)),
              (("format",), bool(spec.format.given()))]
    for path, given in unused:
        if given:
            raise loaded.error(f"'{'.'.join(path)}' does not apply to kind perplexity: the text in 'fields.input' "
                               "is scored exactly as it is", path, hint=f"drop '{'.'.join(path)}'")


def _check_format(loaded: LoadedSpec) -> None:
    """`format` keys that could not change the prompt are errors, not silent no-ops."""
    spec, given = loaded.spec, loaded.spec.format.given()
    if given and spec.kind is TaskKind.GENERATE and spec.chat:
        raise loaded.error(
            "'format' lays out a text prompt, but this generate task sends its input as a chat message",
            ("format",), hint="set 'chat: false' to send the formatted text, or drop 'format'",
        )
    if spec.template is not None and given.get("verbatim") is False:
        raise loaded.error("a template is the prompt as written; 'verbatim: false' cannot apply to it",
                           ("format", "verbatim"), hint="drop 'verbatim', or use 'fields.input' instead of 'template'")
    if spec.template is not None or given.get("verbatim"):
        stray = sorted(set(given) - VERBATIM_KEYS, key=lambda k: loaded.lines.line_of(("format", k)) or 0)
        if stray:
            why = "the template is the prompt" if spec.template is not None else "'verbatim: true' uses the input as the prompt"
            raise loaded.error(
                f"format key '{stray[0]}' has no effect: {why}, with no labels or listed options added",
                ("format", stray[0]), hint="write labels and options into the template itself; only "
                "'shot_separator' applies (between few-shot examples)",
            )


def _check_choice_scoring(loaded: LoadedSpec) -> None:
    """`multiple_choice` options that could not apply are errors."""
    spec = loaded.spec
    given = sorted(spec.multiple_choice.model_fields_set, key=lambda k: loaded.lines.line_of(("multiple_choice", k)) or 0)
    if given and spec.kind is not TaskKind.MULTIPLE_CHOICE:
        raise loaded.error("'multiple_choice' options are for kind multiple_choice", ("multiple_choice", given[0]))
    if spec.multiple_choice.continuation is Continuation.LETTER and spec.format.given().get("show_choices") is False:
        raise loaded.error(
            "'continuation: letter' scores the options' letters, which need the options listed",
            ("format", "show_choices"), hint="drop 'show_choices: false' (letters list the options)",
        )
    if "neutral_context" in given and not spec.multiple_choice.calibrate:
        raise loaded.error("'neutral_context' is used only with 'calibrate: true'", ("multiple_choice", "neutral_context"))


def read_task_spec(path: str | Path) -> LoadedSpec:
    """Read and validate the YAML task file at `path`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskSpecError("no such task file", file=path) from None
    except UnicodeDecodeError as exc:
        raise TaskSpecError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    return parse_task_spec(text, path)
