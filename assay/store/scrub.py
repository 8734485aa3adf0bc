"""Remove secrets (API keys, tokens, passwords) from manifests before they are stored or shown.

A run's manifest records its command line and settings, and adapters may later record
their options and environment there: an API key must never reach the store, a report or a
dashboard page. The rule (applied on the way into the store *and* again on the way out to a
page, so an old store or a hand-edited run directory cannot leak one):

- a mapping value whose key matches /key|token|secret|password/i (or `auth`, `credential`)
  is replaced by `REDACTED` when it is a string or a container; numbers and booleans stay
  (`max_tokens: 64` or `tokens_in: 12` are not secrets);
- in a command line, the value after such a flag (`--api-key X`, `--api-key=X`) is replaced;
- any string that looks like a well-known credential (`sk-…`, `hf_…`, `Bearer …`,
  `ghp_…`, a URL's `user:password@`) is replaced wherever it appears.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:  # pragma: no cover - typing only
    from assay.core.run import Run

REDACTED = "[redacted]"

SECRET_KEY = re.compile(r"key|token|secret|password|passwd|auth|credential", re.IGNORECASE)
_SECRET_VALUE = re.compile(
    r"(?:\bsk-[A-Za-z0-9_\-]{12,}|\bhf_[A-Za-z0-9]{16,}|\bgh[pousr]_[A-Za-z0-9]{16,}"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}|\bBearer\s+[A-Za-z0-9._\-]{8,})"
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)[^/\s@]+@", re.IGNORECASE)
_FLAG = re.compile(r"^--?([A-Za-z0-9_\-]+)(=.*)?$")


def is_secret_key(name: str) -> bool:
    return bool(SECRET_KEY.search(name))


def scrub_text(text: str) -> str:
    """Replace credential-looking substrings of a free-text value."""
    text = _SECRET_VALUE.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", text)


def _scrub_argv(argv: list[Any]) -> list[Any]:
    out: list[Any] = []
    hide_next = False
    for item in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        if isinstance(item, str):
            flag = _FLAG.match(item)
            if flag and is_secret_key(flag.group(1)):
                if flag.group(2) is None:
                    hide_next = True
                    out.append(item)
                else:
                    out.append(item.split("=", 1)[0] + "=" + REDACTED)
                continue
        out.append(scrub(item))
    return out


def scrub(value: Any) -> Any:
    """A copy of `value` (JSON-like: dicts, lists, scalars) with secrets replaced by REDACTED."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if is_secret_key(str(key)) and not isinstance(item, (bool, int, float)) and item is not None:
                out[key] = REDACTED
            else:
                out[key] = scrub(item)
        return out
    if isinstance(value, (list, tuple)):
        return _scrub_argv(list(value))
    if isinstance(value, str):
        return scrub_text(value)
    return value


@overload
def scrub_results(results: "Run") -> "Run": ...
@overload
def scrub_results(results: dict[str, Any]) -> dict[str, Any]: ...


def scrub_results(results: "Run | dict[str, Any]") -> "Run | dict[str, Any]":
    """A copy of a run (a `Run`, or its `results.json` dict form) with its manifest and task
    settings scrubbed; a `Run` keeps its samples.

    Task and metric *names* are data, not settings (a task may be called `keyword-match`),
    so the `tasks` mapping and each task's `metrics` are walked by structure, not by key."""
    if not isinstance(results, dict):
        from assay.core.run import Run

        return Run.from_dict(scrub_results(results.to_dict()), results.samples, path=results.path)
    out = {key: value if key == "tasks" else scrub({key: value})[key] for key, value in results.items()}
    tasks = results.get("tasks")
    if isinstance(tasks, dict):
        out["tasks"] = {
            name: {k: v if k == "metrics" else scrub({k: v})[k] for k, v in info.items()}
            if isinstance(info, dict) else info
            for name, info in tasks.items()
        }
    manifest = results.get("manifest")
    if isinstance(manifest, dict) and isinstance(manifest.get("tasks"), dict):
        out["manifest"] = {**scrub({k: v for k, v in manifest.items() if k != "tasks"}),
                           "tasks": {name: scrub(info) for name, info in manifest["tasks"].items()}}
    return out
