"""Read a checkpoint series: a folder of checkpoints, a glob, or a YAML list.

    runs/pretrain/                      a folder whose step-N (checkpoint-N, ckpt-N) subfolders
        step-000100/ step-000200/ ...   are transformers directories; a series.yaml inside it
                                        (as benchmarks/train_series.py writes) wins
    'runs/pretrain/step-*'              a glob of such folders
    series.yaml                         name, optional shift step, and checkpoints:
                                          name: pretrain-1
                                          shift: 600            # a marked domain shift
                                          checkpoints:
                                            - {path: step-000100, step: 100, tokens: 204800}
                                            - {model: "hf:/abs/step-200", step: 200}

A checkpoint's `path` is relative to the YAML file; `model` is any model spec. Steps must
increase; every local checkpoint must be a transformers directory, and all of them must
share one tokenizer (a series compares one model's training, not different vocabularies).
Each problem is a `SeriesError` naming the checkpoint, and for YAML the file and line.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import ConfigError

_STEP_RE = re.compile(r"(?:step|checkpoint|ckpt|iter)[-_]?(\d+)", re.IGNORECASE)
_TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer.model", "merges.txt", "vocab.txt")
MANIFEST_NAMES = ("series.yaml", "series.yml")


class SeriesError(ConfigError):
    """A checkpoint series that cannot be read or run; the message names the checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its step, tokens seen (when known) and how to load it."""

    step: int
    model: str
    label: str
    tokens: float | None = None
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "model": self.model, "label": self.label, "tokens": self.tokens,
                "path": str(self.path) if self.path else None}


@dataclass(frozen=True)
class Series:
    """A training run's checkpoints in step order, with the step of a marked domain shift."""

    id: str
    name: str
    checkpoints: tuple[Checkpoint, ...]
    source: str
    shift: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> list[int]:
        return [c.step for c in self.checkpoints]


def is_series_spec(text: str) -> bool:
    """Whether a model argument names a series rather than one model: a YAML series file, a
    glob, or a folder of step-N checkpoints (or with a series.yaml)."""
    p = Path(text)
    if text.endswith((".yaml", ".yml")) and p.is_file():
        return True
    if any(ch in text for ch in "*?[") and not text.startswith(("hf:", "openai:", "gguf:", "llamacpp:", "vllm:")):
        return True
    if p.is_dir():
        return any((p / n).is_file() for n in MANIFEST_NAMES) or any(
            _STEP_RE.search(c.name) and c.is_dir() for c in p.iterdir())
    return False


def _series_id(name: str, anchor: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:40] or "series"
    return f"{slug}-{hashlib.sha256(anchor.encode()).hexdigest()[:6]}"


def _step_of(path: Path) -> int | None:
    found = _STEP_RE.findall(path.name)
    return int(found[-1]) if found else None


def _tokens_of(path: Path) -> float | None:
    state = path / "training_state.json"
    if state.is_file():
        try:
            return float(json.loads(state.read_text()).get("tokens"))
        except (ValueError, TypeError):
            return None
    return None


def _check_local(ckpt: Checkpoint, where: str) -> None:
    path = ckpt.path
    assert path is not None
    if not path.is_dir():
        raise SeriesError(f"checkpoint '{ckpt.label}' (step {ckpt.step}): {path} is not a folder", file=where)
    if not (path / "config.json").is_file():
        raise SeriesError(f"checkpoint '{ckpt.label}' (step {ckpt.step}): {path} has no config.json, "
                          "so it is not a transformers checkpoint", file=where,
                          hint="save checkpoints with model.save_pretrained(dir) and tokenizer.save_pretrained(dir)")


def _tokenizer_digest(path: Path) -> str | None:
    h = hashlib.sha256()
    seen = False
    for name in _TOKENIZER_FILES:
        f = path / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
            seen = True
    return h.hexdigest() if seen else None


def _check_series(series: Series, where: str) -> Series:
    if not series.checkpoints:
        raise SeriesError(f"series '{series.name}' has no checkpoints", file=where)
    previous: Checkpoint | None = None
    for c in series.checkpoints:
        if previous is not None and c.step <= previous.step:
            raise SeriesError(f"checkpoint '{c.label}' has step {c.step}, not above the previous checkpoint "
                              f"'{previous.label}' (step {previous.step}): steps must increase", file=where,
                              field="step")
        previous = c
    first: tuple[Checkpoint, str] | None = None
    for c in series.checkpoints:
        if c.path is None:
            continue
        _check_local(c, where)
        digest = _tokenizer_digest(c.path)
        if digest is None:
            continue
        if first is None:
            first = (c, digest)
        elif digest != first[1]:
            raise SeriesError(f"checkpoint '{c.label}' (step {c.step}) has a different tokenizer from "
                              f"'{first[0].label}' (step {first[0].step}): a series must share one tokenizer",
                              file=where)
    return series


def _from_folder(root: Path) -> Series:
    for name in MANIFEST_NAMES:
        if (root / name).is_file():
            return _from_yaml(root / name)
    subdirs = [p for p in sorted(root.iterdir()) if p.is_dir() and _step_of(p) is not None]
    if not subdirs:
        raise SeriesError(f"no checkpoint in {root}: expected step-N (or checkpoint-N) subfolders holding "
                          "transformers weights, or a series.yaml", file=str(root))
    loadable = [p for p in subdirs if (p / "config.json").is_file()]
    if not loadable:
        raise SeriesError(f"no loadable checkpoint in {root}: none of {', '.join(p.name for p in subdirs[:5])}"
                          f"{' ...' if len(subdirs) > 5 else ''} holds a config.json", file=str(root))
    ckpts = sorted((Checkpoint(_step_of(p) or 0, f"hf:{p.resolve()}", p.name, _tokens_of(p), p.resolve())
                    for p in subdirs), key=lambda c: c.step)
    return _check_series(Series(_series_id(root.resolve().name, str(root.resolve())), root.resolve().name,
                                tuple(ckpts), str(root)), str(root))


def _from_glob(pattern: str) -> Series:
    matches = [Path(p) for p in sorted(globlib.glob(pattern)) if Path(p).is_dir()]
    if not matches:
        raise SeriesError(f"the pattern '{pattern}' matches no checkpoint folder", field="SERIES")
    unnumbered = [p for p in matches if _step_of(p) is None]
    if unnumbered:
        raise SeriesError(f"checkpoint '{unnumbered[0]}' has no step number in its name (step-N, checkpoint-N)",
                          field="SERIES", hint="list the checkpoints with their steps in a series YAML file")
    ckpts = sorted((Checkpoint(_step_of(p) or 0, f"hf:{p.resolve()}", p.name, _tokens_of(p), p.resolve())
                    for p in matches), key=lambda c: c.step)
    dup = next((c for c, n in zip(ckpts[1:], ckpts) if c.step == n.step), None)
    if dup is not None:
        raise SeriesError(f"checkpoint '{dup.label}' repeats step {dup.step}", field="SERIES")
    parent = Path(ckpts[0].path or ".").parent
    return _check_series(Series(_series_id(parent.name, pattern), parent.name, tuple(ckpts), pattern), pattern)


def _from_yaml(path: Path) -> Series:
    import yaml

    try:
        node = yaml.compose(path.read_text())
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SeriesError(f"not valid YAML: {exc}", file=str(path)) from exc
    entries_node = None
    if isinstance(data, list):
        entries, meta_doc = data, {}
        entries_node = node
    elif isinstance(data, dict) and isinstance(data.get("checkpoints"), list):
        entries, meta_doc = data["checkpoints"], data
        entries_node = next((v for k, v in node.value if k.value == "checkpoints"), None)
    else:
        raise SeriesError("a series file is a list of checkpoints or a mapping with 'checkpoints:'",
                          file=str(path), field="checkpoints")
    ckpts = []
    for i, entry in enumerate(entries):
        line = entries_node.value[i].start_mark.line + 1 if entries_node is not None else None
        if not isinstance(entry, dict):
            raise SeriesError(f"checkpoint {i + 1} is not a mapping", file=str(path), line=line)
        if "step" not in entry or isinstance(entry["step"], bool) or not isinstance(entry["step"], int):
            raise SeriesError(f"checkpoint {i + 1} needs an integer 'step'", file=str(path), line=line, field="step")
        local = None
        if entry.get("path"):
            local = (path.parent / str(entry["path"])).resolve()
            model = f"hf:{local}"
        elif entry.get("model"):
            model = str(entry["model"])
            if model.startswith("hf:") and Path(model[3:]).exists():
                local = Path(model[3:]).resolve()
        else:
            raise SeriesError(f"checkpoint {i + 1} needs 'path' (a transformers folder) or 'model' (a model spec)",
                              file=str(path), line=line, field="path")
        tokens = entry.get("tokens")
        label = str(entry.get("label") or (local.name if local else model))
        ckpts.append(Checkpoint(int(entry["step"]), model, label, float(tokens) if tokens is not None else None, local))
    name = str(meta_doc.get("name") or (path.parent.name if path.stem == "series" else path.stem))
    shift = meta_doc.get("shift")
    if shift is not None and (isinstance(shift, bool) or not isinstance(shift, int)):
        raise SeriesError("'shift' is the step of a domain shift, an integer", file=str(path), field="shift")
    sid = str(meta_doc.get("id") or _series_id(name, str(path.resolve())))
    meta = {k: v for k, v in meta_doc.items() if k in ("parameters", "plan", "description")}
    return _check_series(Series(sid, name, tuple(ckpts), str(path), shift, meta), str(path))


def load_series(spec: str | Path, shift: int | None = None) -> Series:
    """The series a folder, glob or YAML file names (see the module doc); `shift` marks a
    domain-shift step when the spec does not."""
    text = str(spec)
    p = Path(text)
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        series = _from_yaml(p)
    elif p.is_dir():
        series = _from_folder(p)
    elif any(ch in text for ch in "*?["):
        series = _from_glob(text)
    else:
        raise SeriesError(f"'{text}' is not a series: give a folder of step-N checkpoints, a glob, or a YAML file",
                          field="SERIES")
    if shift is not None:
        from dataclasses import replace

        series = replace(series, shift=shift)
    return series
