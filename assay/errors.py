"""The exception tree of assay: what can go wrong, and how the CLI reports it.

    AssayError                      every error assay raises on purpose
    ├── ConfigError                 bad user input: names the file, line and field
    │   ├── TaskSpecError           a YAML task file that does not validate
    │   └── DataError               a dataset row that is missing a field or malformed
    ├── UnknownNameError            an unknown model alias, adapter, task or scorer
    ├── MissingDependencyError      an optional package is absent (carries an install hint)
    ├── ModelError                  a model failed to load or to answer
    │   └── PermanentModelError     an answer that no retry can change: stops the run at once
    └── CacheWriteError             the response cache could not be written (disk full, read-only)

A failed *request* is not an exception: it is data (`Completion.error`), so a run finishes
and reports it, and a rerun retries it. The exception is a *permanent* failure
(`PermanentModelError`: authentication, unknown model, a backend that cannot do what the task
needs, a request longer than the context): every other request would fail the same way, so
the run stops at its first occurrence with that one message. The CLI prints `AssayError`s as one message without a traceback and exits
non-zero.
"""

from __future__ import annotations

from pathlib import Path


class AssayError(Exception):
    """Base of every error assay raises on purpose."""


class ConfigError(AssayError):
    """Bad user input, located as precisely as we can: file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line is not None else ""))
        if self.field:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class TaskSpecError(ConfigError):
    """A task file (YAML) that does not parse or validate."""


class DataError(ConfigError):
    """A data row that lacks a field the task needs, or has the wrong type."""


class UnknownNameError(AssayError):
    """An unknown model alias, adapter, task or scorer; lists what is known."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        shown = ", ".join(sorted(self.known)) or "(none)"
        super().__init__(f"unknown {kind} '{name}'; known: {shown}")


class MissingDependencyError(AssayError):
    """An optional dependency is not installed; the message says what to install."""

    def __init__(self, package: str, purpose: str, extra: str | None = None) -> None:
        how = f"pip install 'assay-eval[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{purpose} needs the package '{package}': {how}")


class ModelError(AssayError):
    """A model could not be loaded or could not answer at all."""


class PermanentModelError(ModelError):
    """A failure no retry can change. Adapters raise it (rather than returning an error
    response) for: authentication refused (401/403), an unknown model (404), a backend that
    cannot do what the task needs, and a request longer than the model's context. The engine
    stops the run at the first one; the CLI prints it and exits with status 2."""

    def __init__(self, message: str, *, reason: str = "permanent", hint: str | None = None) -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(message + (f"\n  hint: {hint}" if hint else ""))


class CacheWriteError(AssayError):
    """Writing to the response cache failed (disk full, read-only file, ...). Raised by the
    next cache call after the background write that failed; answers already committed are kept."""
