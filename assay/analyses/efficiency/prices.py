"""Price tables: what a model's answers cost, per million tokens (APIs) or per hour (own hardware).

A table is YAML, one entry per model, each saying its unit:

    gpt-4o-mini:
      unit: usd_per_million_tokens
      input: 0.15
      output: 0.60
    llamacpp:smollm2:
      unit: usd_per_hour        # the machine's hourly price; a request pays for its seconds
      hourly: 0.05

It is given per run (`--prices FILE`) or kept in `$ASSAY_HOME/prices.yaml`. A missing unit,
a negative or non-numeric price, a field that does not belong to the unit, or a model the
table does not list is a `ConfigError` naming the file, line and field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from assay.errors import ConfigError
from assay.paths import assay_home

PRICES_FILE = "prices.yaml"


class PriceUnit(str, Enum):
    PER_MILLION_TOKENS = "usd_per_million_tokens"
    PER_HOUR = "usd_per_hour"


_FIELDS = {PriceUnit.PER_MILLION_TOKENS: ("input", "output"), PriceUnit.PER_HOUR: ("hourly",)}


@dataclass(frozen=True)
class Price:
    """One model's price: `input`/`output` dollars per million tokens, or `hourly` dollars
    per hour of the machine (a request pays for its latency)."""

    model: str
    unit: PriceUnit
    input: float = 0.0
    output: float = 0.0
    hourly: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int, seconds: float) -> float:
        """Dollars for one request."""
        if self.unit is PriceUnit.PER_HOUR:
            return self.hourly * seconds / 3600.0
        return (self.input * tokens_in + self.output * tokens_out) / 1e6


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price]
    source: str = "<memory>"

    def for_model(self, model: str) -> Price:
        """The price of a run's model (its spec, e.g. `smollm2` or `openai:gpt-4o-mini@URL`;
        an entry may name the spec, or the part before `@`)."""
        for key in (model, model.split("@", 1)[0], model.split(":", 1)[-1].split("@", 1)[0]):
            if key in self.prices:
                return self.prices[key]
        raise ConfigError(f"the price table has no entry for model '{model}'", file=self.source, field=model,
                          hint=f"add '{model}:' with a unit; it lists: {', '.join(sorted(self.prices)) or '(nothing)'}")

    def check_models(self, models: Iterable[str]) -> None:
        for m in models:
            self.for_model(m)


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _number(value: Any, file: str, line: int | None, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"a price must be a number of dollars, got {value!r}", file=file, line=line, field=field)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"a price cannot be negative or infinite, got {value!r}", file=file, line=line, field=field)
    return float(value)


def parse_prices(text: str, source: str = "<string>") -> PriceTable:
    """A price table from YAML text (errors name `source`, the line and the field)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                          line=None if mark is None else mark.line + 1) from None
    if root is None:
        raise ConfigError("the price table is empty", file=source, hint="one entry per model: MODEL: {unit: ..., ...}")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("a price table maps model names to prices", file=source, line=_line(root))
    prices: dict[str, Price] = {}
    units = ", ".join(u.value for u in PriceUnit)
    for key_node, value_node in root.value:
        model = str(key_node.value)
        line = _line(key_node)
        if model in prices:
            raise ConfigError(f"model '{model}' is listed twice", file=source, line=line, field=model)
        if not isinstance(value_node, yaml.MappingNode):
            raise ConfigError("each model maps to {unit: ..., prices}", file=source, line=line, field=model)
        entry = {str(k.value): (yaml.safe_load(yaml.serialize(v)), _line(k)) for k, v in value_node.value}
        if "unit" not in entry:
            raise ConfigError(f"no unit for '{model}'", file=source, line=line, field=f"{model}.unit",
                              hint=f"unit: one of {units}")
        raw_unit, unit_line = entry.pop("unit")
        try:
            unit = PriceUnit(raw_unit)
        except ValueError:
            raise ConfigError(f"unknown unit {raw_unit!r}", file=source, line=unit_line, field=f"{model}.unit",
                              hint=f"one of {units}") from None
        wanted = _FIELDS[unit]
        for name, (_, field_line) in entry.items():
            if name not in wanted:
                raise ConfigError(f"'{name}' does not belong to unit {unit.value} (it takes {', '.join(wanted)})",
                                  file=source, line=field_line, field=f"{model}.{name}")
        missing = [w for w in wanted if w not in entry]
        if missing:
            raise ConfigError(f"unit {unit.value} needs {', '.join(missing)}", file=source, line=line,
                              field=f"{model}.{missing[0]}")
        values = {name: _number(entry[name][0], source, entry[name][1], f"{model}.{name}") for name in wanted}
        prices[model] = Price(model=model, unit=unit, **values)
    return PriceTable(prices, source)


def load_prices(path: str | Path | None = None) -> PriceTable | None:
    """The table at `path`, else `$ASSAY_HOME/prices.yaml` when it exists, else None."""
    if path is None:
        default = assay_home() / PRICES_FILE
        if not default.is_file():
            return None
        path = default
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the price table: {exc.strerror or exc}", file=p) from None
    return parse_prices(text, str(p))
