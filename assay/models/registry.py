"""Model specs to models: adapters register a prefix ("hf", "gguf", ...), aliases a name.

A spec is `ALIAS` or `PREFIX:REST` (e.g. `hf:HuggingFaceTB/SmolLM2-135M`, `gguf:/path/m.gguf`).
Adding an adapter means registering it in its own module; nothing here branches on names.
An adapter registers its settings model too (`adapter_settings`), so the CLI can list them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_core import PydanticUndefined
from typing import Callable

from pydantic import BaseModel

from assay.errors import UnknownNameError
from assay.models.base import Model, ModelOptions, ProgressCallback

AdapterFactory = Callable[[str, ModelOptions, ProgressCallback], Model]


@dataclass(frozen=True)
class Alias:
    name: str
    spec_factory: Callable[[ProgressCallback], str]
    """Returns the concrete spec (e.g. `gguf:/site-packages/.../x.gguf`); may do work
    such as assembling a chunked file, reporting through the callback."""
    description: str


_ADAPTERS: dict[str, tuple[AdapterFactory, str]] = {}
_SETTINGS: dict[str, type[BaseModel]] = {}
_ALIASES: dict[str, Alias] = {}


def register_adapter(prefix: str, description: str,
                     settings: type[BaseModel] | None = None) -> Callable[[AdapterFactory], AdapterFactory]:
    """Register `factory` for specs `PREFIX:REST`; `settings` is the pydantic model its
    `ModelOptions.extra` is parsed into (see `assay.models.settings`)."""

    def decorate(factory: AdapterFactory) -> AdapterFactory:
        _ADAPTERS[prefix] = (factory, description)
        if settings is not None:
            _SETTINGS[prefix] = settings
        return factory

    return decorate


def register_alias(alias: Alias) -> None:
    _ALIASES[alias.name] = alias


def adapters() -> dict[str, str]:
    _load_builtin_modules()
    return {prefix: desc for prefix, (_, desc) in _ADAPTERS.items()}


def adapter_settings(prefix: str) -> type[BaseModel] | None:
    """The settings model of the adapter `prefix` (its fields are the `--model-arg` keys,
    with types, defaults and descriptions), or None when it takes no settings."""
    _load_builtin_modules()
    if prefix not in _ADAPTERS:
        raise UnknownNameError("model adapter", prefix, list(_ADAPTERS))
    return _SETTINGS.get(prefix)


@dataclass(frozen=True)
class SettingInfo:
    """One `--model-arg` key an adapter takes: its type, default and meaning."""

    adapter: str
    name: str
    type: str
    default: str
    description: str


def setting_infos() -> list[SettingInfo]:
    """Every adapter's settings, for `assay models` and the docs."""
    _load_builtin_modules()
    rows = []
    for prefix in _ADAPTERS:
        model = _SETTINGS.get(prefix)
        for name, field in (model.model_fields.items() if model is not None else ()):
            kind = getattr(field.annotation, "__name__", None) or str(field.annotation).replace("typing.", "")
            default = "" if field.is_required() or field.default in (None, PydanticUndefined) else repr(field.default)
            shown = "body.NAME" if name == "body" else name
            if name == "body":
                kind, default = "JSON or text", ""
            rows.append(SettingInfo(prefix, shown, kind, default, field.description or ""))
    return rows


def aliases() -> dict[str, Alias]:
    _load_builtin_modules()
    return dict(_ALIASES)


def _silent(_: str) -> None:
    return None


def resolve_spec(spec: str, progress: ProgressCallback = _silent) -> str:
    """An alias becomes its concrete `prefix:rest` spec; anything else is returned as is."""
    _load_builtin_modules()
    if spec in _ALIASES:
        return _ALIASES[spec].spec_factory(progress)
    if ":" not in spec:
        raise UnknownNameError("model", spec, list(_ALIASES) + [f"{p}:..." for p in _ADAPTERS])
    return spec


def load_model(spec: str, options: ModelOptions | None = None, progress: ProgressCallback = _silent) -> Model:
    """Build the model a spec names (alias or `prefix:rest`)."""
    concrete = resolve_spec(spec, progress)
    prefix, _, rest = concrete.partition(":")
    if prefix not in _ADAPTERS:
        raise UnknownNameError("model adapter", prefix, list(_ADAPTERS))
    factory, _ = _ADAPTERS[prefix]
    return factory(rest, options or ModelOptions(), progress)


def _load_builtin_modules() -> None:
    # Importing registers: each adapter module decorates its own factory. Heavy vendor
    # libraries (torch, transformers) are imported only inside the factories.
    import assay.models.bundled  # noqa: F401
    import assay.models.hf.adapter  # noqa: F401
    import assay.models.llamacpp  # noqa: F401
    import assay.models.openai.adapter  # noqa: F401
    import assay.models.vllm  # noqa: F401
