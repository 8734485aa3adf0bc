"""Typed adapter settings: each adapter declares a pydantic model, and raw values are parsed once.

`ModelOptions.extra` carries what the user gave: strings from the CLI's
`--model-arg KEY=VALUE`, or typed values from Python. An adapter turns them into its
settings object with `parse_settings` and reads only that object afterwards. An unknown
key is an error that says "did you mean …" and lists what the adapter takes; a bad value
names the setting and the type it expects.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from assay.errors import ConfigError


class AdapterSettings(BaseModel):
    """Base of every adapter's settings: unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def setting_names(cls) -> list[str]:
        """The keys a user may give (`--model-arg KEY=VALUE`), as they are written."""
        return sorted(cls.model_fields)


S = TypeVar("S", bound=AdapterSettings)


class ModelSettingError(ConfigError):
    """A model setting (`--model-arg`) that is unknown or whose value does not parse."""

    def __init__(self, adapter: str, message: str, *, field: str, hint: str | None = None) -> None:
        self.adapter = adapter
        super().__init__(message, field=field, hint=hint)

    def _render(self) -> str:
        # The field opens the message itself ("concurrency: expected an integer, ..."),
        # so the generic "field 'x': " prefix would only repeat it.
        text = f"{self.adapter} model setting {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint when `name` looks like a misspelling of one of `known`."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def parse_settings(cls: type[S], raw: Mapping[str, Any], adapter: str, *, names: list[str] | None = None) -> S:
    """`raw` (strings or typed values) validated into `cls`, or a `ModelSettingError`.

    `names` is what the error lists as accepted (default: the fields of `cls`); an adapter
    that pre-processes keys (openai's `body.NAME`) passes its own spelling.
    """
    accepted = names if names is not None else cls.setting_names()
    for key in raw:
        if key not in cls.model_fields:
            guess = did_you_mean(str(key), accepted)
            takes = f"the {adapter} adapter takes: {', '.join(accepted) or '(no settings)'}"
            raise ModelSettingError(adapter, f"'{key}' is unknown", field=str(key),
                                    hint=f"{guess} {takes}" if guess else takes)
    try:
        return cls.model_validate(dict(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "?"
        value = error.get("input")
        raise ModelSettingError(adapter, f"{field}: {_expected(error)}, got {value!r}", field=field) from None


_EXPECTED = {
    "int_parsing": "expected an integer", "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number", "float_type": "expected a number",
    "bool_parsing": "expected true or false", "bool_type": "expected true or false",
    "string_type": "expected a string", "dict_type": "expected a mapping",
}


def _expected(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type"))
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind == "greater_than_equal":
        return f"expected a value of at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"expected a value above {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"expected a value of at most {ctx.get('le')}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}"
    return f"expected a valid value ({error.get('msg')})"
