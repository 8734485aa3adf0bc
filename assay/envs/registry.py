"""Environments by name: built-ins register themselves, a user's class with `@register_env`."""

from __future__ import annotations

from typing import Callable, TypeVar

from assay.envs.base import Environment, MultiAgentEnvironment

E = TypeVar("E", bound=type)

_REGISTRY: dict[str, type] = {}


def register_env(name: str) -> Callable[[E], E]:
    """Class decorator: make an `Environment` or `MultiAgentEnvironment` runnable as `env:NAME`."""

    def wrap(cls: E) -> E:
        if not (issubclass(cls, Environment) or issubclass(cls, MultiAgentEnvironment)):
            raise TypeError(f"{cls.__name__} is not an Environment or MultiAgentEnvironment")
        cls.name = name  # type: ignore[attr-defined]
        _REGISTRY[name] = cls
        return cls

    return wrap


def _load_builtins() -> None:
    # Imported for their @register_env side effect, on first lookup only.
    from assay.envs import (  # noqa: F401
        bfcl, bfcl_multi_turn, conversation, games, mtbench, rag, swarm, textarena_games, textarena_solo, tools)


def env_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def env_class(name: str) -> type:
    """The environment class registered under `name` (KeyError if none)."""
    _load_builtins()
    return _REGISTRY[name]
