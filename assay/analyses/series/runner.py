"""Run every checkpoint of a series on the same tasks and link the runs as one series.

Each checkpoint's run is an ordinary run (its directory under `out/<series id>/<label>/`,
saved to the results store) whose manifest carries `series: {id, name, step, tokens, label,
shift}`. The series manifest `$ASSAY_HOME/series/<id>.json` lists the runs by step. A
checkpoint already in the manifest with the same task specs is not run again, and every
answer goes through the response cache, so re-evaluating a grown series costs only the new
checkpoints. A checkpoint that fails to load or run stops the series with an error naming it;
the runs completed before it stay stored and listed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from assay.analyses.series.spec import Checkpoint, Series, SeriesError
from assay.core.run import Run
from assay.core.task import Task

Say = Callable[[str], None]


def registry_dir() -> Path:
    """Where series manifests live: `$ASSAY_HOME/series`."""
    from assay.paths import assay_home

    path = assay_home() / "series"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class SeriesEntry:
    """One checkpoint's stored run."""

    step: int
    label: str
    model: str
    tokens: float | None
    run_id: str
    run_dir: str
    tasks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "label": self.label, "model": self.model, "tokens": self.tokens,
                "run_id": self.run_id, "run_dir": self.run_dir, "tasks": list(self.tasks)}


@dataclass(frozen=True)
class SeriesManifest:
    """A series' identity and its checkpoints' runs, in step order."""

    id: str
    name: str
    source: str
    shift: int | None
    entries: tuple[SeriesEntry, ...]
    meta: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "source": self.source, "shift": self.shift,
                "meta": self.meta, "checkpoints": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SeriesManifest":
        entries = tuple(SeriesEntry(int(e["step"]), str(e["label"]), str(e["model"]), e.get("tokens"),
                                    str(e["run_id"]), str(e["run_dir"]), tuple(e.get("tasks") or ()))
                        for e in data.get("checkpoints") or [])
        return cls(str(data["id"]), str(data.get("name", data["id"])), str(data.get("source", "")),
                   data.get("shift"), entries, dict(data.get("meta") or {}))


def _manifest_path(series_id: str, registry: Path | None) -> Path:
    return (registry or registry_dir()) / f"{series_id}.json"


def write_manifest(manifest: SeriesManifest, registry: Path | None = None) -> Path:
    """Write the series manifest atomically."""
    path = _manifest_path(manifest.id, registry)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest.to_dict(), fh, indent=1)
    os.replace(tmp, path)
    return path


def list_series(registry: Path | None = None) -> list[SeriesManifest]:
    """Every series manifest in the registry."""
    root = registry or registry_dir()
    out = []
    for p in sorted(root.glob("*.json")):
        try:
            out.append(SeriesManifest.from_dict(json.loads(p.read_text())))
        except (ValueError, KeyError):
            continue
    return out


def load_manifest(series_id: str, registry: Path | None = None) -> SeriesManifest:
    """The manifest of `series_id` (or a unique prefix of it)."""
    path = _manifest_path(series_id, registry)
    if not path.is_file():
        matches = [m for m in list_series(registry) if m.id.startswith(series_id)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(m.id for m in list_series(registry)) or "none yet"
        raise SeriesError(f"no series '{series_id}'" + (" (ambiguous prefix)" if matches else "")
                          + f"; known series: {known}", field="SERIES_ID",
                          hint="`assay run SERIES TASKS` evaluates a series and prints its id")
    return SeriesManifest.from_dict(json.loads(path.read_text()))


def _task_key(tasks: Sequence[Task]) -> tuple[str, ...]:
    return tuple(f"{t.name}@{t.version}" for t in tasks)


async def run_series_async(series: Series, tasks: Sequence[Task], *, out: str | Path = "runs", limit: int | None = None,
                           seed: int = 0, cache: Any = None, store: str | Path | bool | None = True,
                           batch_size: int | None = None, show_progress: bool = False, console: Any = None,
                           on_message: Say | None = None, registry: Path | None = None,
                           load: Callable[[Checkpoint], Any] | None = None) -> SeriesManifest:
    """Evaluate each checkpoint of `series` on `tasks` (see the module doc) and return the
    series manifest. `cache` is a `ResponseCache` (None: memory only); `load` builds a
    checkpoint's model (default: `load_model(checkpoint.model)`)."""
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate_async
    from assay.models import ModelOptions, load_model

    say = on_message or (lambda _m: None)
    key = _task_key(tasks)
    try:
        previous = {e.step: e for e in load_manifest(series.id, registry).entries}
    except SeriesError:
        previous = {}
    done: list[SeriesEntry] = []
    response_cache = cache if cache is not None else ResponseCache(None)
    base = Path(out) / series.id

    def save() -> SeriesManifest:
        kept = {e.step: e for e in previous.values()}
        kept.update({e.step: e for e in done})
        manifest = SeriesManifest(series.id, series.name, series.source, series.shift,
                                  tuple(kept[s] for s in sorted(kept)), dict(series.meta))
        write_manifest(manifest, registry)
        return manifest

    for i, ckpt in enumerate(series.checkpoints, 1):
        old = previous.get(ckpt.step)
        if old is not None and old.tasks == key and old.model == ckpt.model and Path(old.run_dir).is_dir():
            say(f"[{i}/{len(series.checkpoints)}] step {ckpt.step}: already evaluated (run {old.run_id})")
            done.append(old)
            continue
        say(f"[{i}/{len(series.checkpoints)}] step {ckpt.step}: {ckpt.label}")
        try:
            model = load(ckpt) if load else load_model(ckpt.model, ModelOptions(batch_size=batch_size))
        except Exception as exc:  # noqa: BLE001 - any load failure names the checkpoint
            save()
            raise SeriesError(f"checkpoint '{ckpt.label}' (step {ckpt.step}) failed to load: {exc}; the "
                              f"{len(done)} runs before it are stored in series {series.id}",
                              field="SERIES") from exc
        try:
            run = await evaluate_async(
                model, list(tasks), response_cache,
                RunOptions(limit=limit, seed=seed, show_progress=show_progress), model_spec=ckpt.model,
                console=console,
                manifest_extra={"series": {"id": series.id, "name": series.name, "step": ckpt.step,
                                           "tokens": ckpt.tokens, "label": ckpt.label, "shift": series.shift}},
            )
        except Exception as exc:  # noqa: BLE001
            save()
            raise SeriesError(f"checkpoint '{ckpt.label}' (step {ckpt.step}) failed: {exc}; the "
                              f"{len(done)} runs before it are stored in series {series.id}",
                              field="SERIES") from exc
        finally:
            if load is None:
                model.close()
        run_dir = run.save(base / ckpt.label)
        _store(run_dir, store, say)
        done.append(SeriesEntry(ckpt.step, ckpt.label, ckpt.model, ckpt.tokens, run.run_id, str(run_dir.resolve()), key))
        save()
    if cache is None:
        response_cache.close()
    return save()


def _store(run_dir: Path, store: str | Path | bool | None, say: Say) -> None:
    if store in (None, False):
        return
    try:
        from assay.store import save_run_dir

        save_run_dir(run_dir, None if store is True else store)
    except Exception as exc:  # noqa: BLE001 - the run's files are written; the store only warns
        say(f"warning: run {run_dir} not saved to the results store ({exc})")


def load_series_runs(manifest: SeriesManifest, store: str | Path | None = None) -> list[tuple[SeriesEntry, Run]]:
    """Each checkpoint's run, in step order: from its run directory, else from the store."""
    from assay.store import load_run

    out = []
    for e in manifest.entries:
        try:
            run = load_run(e.run_dir if Path(e.run_dir).is_dir() else e.run_id, store)
        except Exception as exc:  # noqa: BLE001
            raise SeriesError(f"checkpoint '{e.label}' (step {e.step}) of series {manifest.id}: its run "
                              f"{e.run_id} cannot be read ({exc})", field="SERIES_ID") from exc
        out.append((e, run))
    return out
