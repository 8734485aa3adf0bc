"""Scorer names to scorers: `scorer_from_name("regex", pattern=...)`.

Built-in scorers are listed by import path and imported only when asked for; plugins
register with `register_scorer` in their own module, or by an entry point in the
`assay.scorers` group. Nothing here branches on names.

Errors: an unknown name raises `UnknownNameError`; parameters the scorer does not take, or
values it rejects, raise `ConfigError` (with `field` set to the parameter), which the task
loader relocates to the line of the task file that asked for the scorer.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any, Callable

from assay.core.score import Scorer
from assay.errors import ConfigError, UnknownNameError

ScorerFactory = Callable[..., Scorer]

_BUILTIN: dict[str, str] = {
    "multiple_choice": "assay.scoring.multiple_choice:MultipleChoiceScorer",
    "exact_match": "assay.scoring.match:ExactMatch",
    "regex": "assay.scoring.match:RegexMatch",
    "number": "assay.scoring.numeric:NumberMatch",
    "f1": "assay.scoring.f1:TokenF1",
    "instructions": "assay.scoring.instructions:InstructionFollowing",
    "perplexity": "assay.scoring.perplexity:PerplexityScorer",
    "code": "assay.scoring.code:CodeExecution",
    "dpe": "assay.scoring.efficiency:EfficiencyScorer",
}
_REGISTERED: dict[str, ScorerFactory] = {}
_ENTRY_POINT_GROUP = "assay.scorers"


def register_scorer(name: str, factory: ScorerFactory | None = None) -> Any:
    """Make `name` build scorers with `factory`; usable as a decorator on a class or function."""

    def decorate(f: ScorerFactory) -> ScorerFactory:
        _REGISTERED[name] = f
        return f

    return decorate(factory) if factory is not None else decorate


def _plugin_names() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=_ENTRY_POINT_GROUP)}


def scorer_names() -> tuple[str, ...]:
    """Every name `scorer_from_name` accepts, sorted."""
    return tuple(sorted({*_BUILTIN, *_REGISTERED, *_plugin_names()}))


def _factory(name: str) -> ScorerFactory:
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), attr)
    plugins = _plugin_names()
    if name in plugins:
        return plugins[name].load()
    raise UnknownNameError("scorer", name, scorer_names())


def did_you_mean(name: str, known: Any) -> str | None:
    """A "did you mean 'x'?" hint when `name` looks like a misspelling of one of `known`."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _check_params(name: str, factory: ScorerFactory, params: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have no signature; let the call decide
        return
    accepted = signature.parameters
    if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        return
    for key in params:
        if key not in accepted:
            known = [k for k in accepted if k != "self"]
            hint = did_you_mean(key, known) or (
                f"'{name}' takes: {', '.join(known)}" if known else f"'{name}' takes no parameters"
            )
            raise ConfigError(f"scorer '{name}' has no parameter '{key}'", field=key, hint=hint)
    missing = [
        k for k, p in accepted.items()
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in params
    ]
    if missing:
        raise ConfigError(f"scorer '{name}' needs the parameter '{missing[0]}'", field=missing[0])


def scorer_from_name(name: str, **params: Any) -> Scorer:
    """Build the scorer registered as `name` with `params`."""
    factory = _factory(name)
    _check_params(name, factory, params)
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"scorer '{name}': {exc}") from None
