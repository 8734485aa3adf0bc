"""Catalog entries to `Task`s: options after the name, data located (before any model loads),
samples built with the pinned prompts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assay.core.sample import Sample
from assay.core.task import ChoiceScoring, Continuation, NormUnit, Task, TaskKind
from assay.errors import ConfigError, UnknownNameError
from assay.tasks.catalog._data import data_dir, load_source_rows, local_file
from assay.tasks.catalog._entries import CATALOG, VERBATIM, CatalogEntry

OPTIONS_HINT = ("catalog tasks take n=INT (the first n items), shots=INT (MMLU), chat_template=true|false, calibrate=true|false, "
                "norm=chars|bytes|tokens (multiple choice) and chat=true|false (generation), e.g. mmlu:n=100,calibrate=true")
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


@dataclass(frozen=True)
class CatalogOptions:
    """What may follow a catalog task's name."""

    n: int | None = None
    shots: int = 0
    chat_template: bool | None = None
    calibrate: bool | None = None
    norm: NormUnit | None = None
    chat: bool | None = None


def parse_options(name: str, text: str) -> CatalogOptions:
    values: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            if key == "n":
                values["n"] = int(value)
                if values["n"] < 1:
                    raise ValueError
            elif key == "shots":
                values["shots"] = int(value)
                if values["shots"] < 0:
                    raise ValueError
            elif key in ("chat_template", "calibrate", "chat"):
                values[key] = _BOOL[value.lower()]
            elif key == "norm":
                values["norm"] = NormUnit(value)
            else:
                raise ValueError
        except (ValueError, KeyError):
            raise ConfigError(f"bad option '{part}' for catalog task '{name}'", field=f"{name}:{key}",
                              hint=OPTIONS_HINT) from None
    return CatalogOptions(**values)


def _choice_scoring(entry: CatalogEntry, options: CatalogOptions) -> ChoiceScoring:
    scoring = entry.choice_scoring
    changes = {k: getattr(options, k) for k in ("chat_template", "calibrate", "norm") if getattr(options, k) is not None}
    if changes and entry.kind is not TaskKind.MULTIPLE_CHOICE:
        raise ConfigError(f"catalog task '{entry.name}' generates its answers; {', '.join(changes)} "
                          "apply to multiple-choice tasks", field=entry.name, hint=OPTIONS_HINT)
    if changes and scoring.continuation is Continuation.BLANK and (changes.get("chat_template") or changes.get("calibrate")):
        raise ConfigError(f"catalog task '{entry.name}' scores the sentence after a blank; it takes no chat template "
                          "or calibration", field=entry.name)
    return replace(scoring, **changes)


def _version(entry: CatalogEntry, scoring: ChoiceScoring, chat: bool, shots: int = 0) -> str:
    """The pinned version, plus what the options changed (a different prompt or metric is a
    different version)."""
    extra = [f"{shots}shot"] if shots else []
    if scoring.chat_template:
        extra.append("chat")
    if scoring.calibrate:
        extra.append("calibrated")
    if scoring.norm is not entry.choice_scoring.norm:
        extra.append(f"norm-{scoring.norm.value}")
    if chat:
        extra.append("chat")
    return entry.version + "".join(f"+{e}" for e in extra)


def make_catalog_task(name: str, options: str | CatalogOptions = "", data: str | Path | None = None) -> Task:
    """The catalog task `name`, its data loaded now (a local copy under `data` or
    `$ASSAY_DATA`, else the Hub): a missing copy offline raises `BenchmarkDataMissing`."""
    if name not in CATALOG:
        raise UnknownNameError("catalog task", name, list(CATALOG))
    entry = CATALOG[name]
    opts = parse_options(name, options) if isinstance(options, str) else options
    if entry.needs is not None:
        raise ConfigError(f"catalog task '{name}' needs {entry.needs}, which this assay does not have yet",
                          field=name, hint="see docs/benchmarks.md; the data and prompt are defined and tested")
    scoring = _choice_scoring(entry, opts)
    chat = bool(opts.chat)
    if opts.chat is not None and entry.kind is not TaskKind.GENERATE:
        raise ConfigError(f"'chat' is for generation tasks; '{name}' scores options (use chat_template=true)",
                          field=f"{name}:chat", hint=OPTIONS_HINT)
    directory = data_dir(data)
    rows, origin = load_source_rows(name, entry.source, directory)
    shots: list[dict[str, Any]] = []
    source: dict[str, Any] = {"catalog": name, "data": origin, "hf": entry.source.label, "lm_eval": entry.lm_eval,
                              "choice_scoring": scoring.to_dict() if entry.kind is TaskKind.MULTIPLE_CHOICE else None}
    if opts.shots and (entry.with_shots is None or opts.shots > entry.max_shots):
        raise ConfigError(f"catalog task '{name}' takes " + (f"at most shots={entry.max_shots}" if entry.max_shots
                          else "no shots option (its few-shot examples are fixed)"), field=f"{name}:shots")
    if entry.fewshot_source is not None:
        shots, source["fewshot_data"] = load_source_rows(name, entry.fewshot_source, directory)
    if opts.shots:
        assert entry.shot_source is not None
        shots, source["fewshot_data"] = load_source_rows(name, entry.shot_source, directory)
        source["shots"] = opts.shots
    samples: list[Sample] = []
    skipped = 0
    for index, row in enumerate(rows):
        try:
            sample = (entry.with_shots(row, index, shots, opts.shots) if opts.shots and entry.with_shots
                      else entry.to_sample(row, index, shots))
        except ValueError as exc:
            raise ConfigError(f"catalog task '{name}': {exc}", field=f"{name}:shots") from None
        if sample is None:
            skipped += 1
        else:
            samples.append(sample)
    if skipped:
        source["skipped"] = skipped
    if opts.n is not None:
        samples = samples[: opts.n]
        source["n"] = opts.n
    if not samples:
        raise ConfigError(f"catalog task '{name}': no items in {origin}", field=name)
    frozen = tuple(samples)
    return Task(
        name=name,
        version=_version(entry, scoring, chat, opts.shots),
        kind=entry.kind,
        load=lambda: frozen,
        scorers=entry.scorers(scoring),
        format=VERBATIM,
        generation=entry.generation,
        instruction=entry.instruction,
        chat=chat,
        family="catalog",
        description=entry.title,
        source=source,
        choice_scoring=scoring,
    )


def data_present(entry: CatalogEntry, data: str | Path | None = None) -> bool | None:
    """True when a local copy is there, False when not, None when no data folder is set."""
    directory = data_dir(data)
    if directory is None:
        return None
    needed = [entry.source] + ([entry.fewshot_source] if entry.fewshot_source else [])
    return all(local_file(s, directory) is not None for s in needed)
