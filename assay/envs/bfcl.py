"""BFCL function-calling items (the `bfcl-eval` package, offline), scored by BFCL's own AST checker.

The single-turn AST categories: `simple_python`, `multiple`, `parallel`, `parallel_multiple`
(and the `live_` versions). An episode is one item: its question is the observation, its
functions are the tools (BFCL's JSON-schema dialect mapped to the OpenAI one: type "dict" is
"object", "float" is "number", "tuple" is "array"; dots in names become underscores, as
BFCL's own OpenAI handler does). Every tool call the agent makes is recorded and answered
"ok"; when the agent replies in text (or runs out of turns), the calls are checked against
the item's possible answers by `bfcl_eval.eval_checker.ast_eval.ast_checker`, the checker
the BFCL leaderboard uses.

`bfcl-eval` is installed without its dependencies (they pin numpy 1.26 and a dozen API
SDKs); its checker imports a model-config module that pulls all of them in, so that one
module is replaced by a stub that says "no name conversion" before the checker is imported.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from functools import lru_cache
from pathlib import Path
from typing import Any

from assay.envs.base import Action, Environment, StepResult
from assay.envs.registry import register_env

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
              "live_parallel", "live_parallel_multiple")
_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}


def _package_dir() -> Path:
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the BFCL environment needs `pip install --no-deps bfcl-eval==2026.3.23`")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=None)
def load_items(category: str) -> tuple[list[dict], dict[str, list]]:
    """The category's items and their possible answers, from the package's data files."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    data = _package_dir() / "data"
    items = [json.loads(line) for line in (data / f"BFCL_v4_{category}.json").read_text().splitlines() if line.strip()]
    answers = {}
    for line in (data / "possible_answer" / f"BFCL_v4_{category}.json").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            answers[row["id"]] = row["ground_truth"]
    return items, answers


def _openai_schema(node: Any) -> Any:
    """BFCL's parameter schema in the JSON-schema types OpenAI accepts."""
    if isinstance(node, dict):
        out = {k: _openai_schema(v) for k, v in node.items()}
        if isinstance(out.get("type"), str):
            out["type"] = _TYPES.get(out["type"], out["type"])
        return out
    if isinstance(node, list):
        return [_openai_schema(v) for v in node]
    return node


def _checker():  # type: ignore[no-untyped-def]
    """BFCL's `ast_checker`, imported with its model-config module stubbed (see the module docstring)."""
    name = "bfcl_eval.constants.model_config"
    if name not in sys.modules:
        stub = types.ModuleType(name)

        class _Config:
            underscore_to_dot = False

        class _Mapping(dict):
            def __missing__(self, key: str) -> _Config:
                return _Config()

        stub.MODEL_CONFIG_MAPPING = _Mapping()  # type: ignore[attr-defined]
        sys.modules[name] = stub
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    return ast_checker, Language


@register_env("bfcl")
class BFCL(Environment):
    """One BFCL item per episode (`category=`; the seed picks the item)."""

    description = "BFCL function calling (bfcl-eval, offline): single-turn AST categories, BFCL's AST checker"
    instructions = ("Answer the user's request by calling the right function(s) with the right arguments. "
                    "Call every function needed, one call per message; when done, reply 'done'.")
    checkpoints = ("called", "checked")
    metrics = ("ast_valid",)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.category = str(params.get("category", "simple_python"))
        self.items, self.answers = load_items(self.category)
        self.tools = ()

    def reset(self, seed: int) -> str:
        self.item = self.items[seed % len(self.items)]
        self.names = {f["name"].replace(".", "_"): f["name"] for f in self.item["function"]}
        self.tools = tuple({"type": "function", "function": {
            "name": f["name"].replace(".", "_"), "description": f.get("description", ""),
            "parameters": _openai_schema(f.get("parameters", {"type": "object", "properties": {}}))}}
            for f in self.item["function"])
        self.calls: list[dict[str, Any]] = []
        self.valid: bool | None = None
        self.error = ""
        turns = self.item["question"][0]
        return "\n".join(m["content"] for m in turns if m.get("role") == "user")

    def step(self, action: Action) -> StepResult:
        if action.is_tool_call:
            self.calls.append({self.names.get(action.tool or "", action.tool): dict(action.arguments)})
            return StepResult("ok", info={"checkpoint": "called"})
        return self._check()

    def _check(self) -> StepResult:
        ast_checker, language = _checker()
        result = ast_checker(self.item["function"], self.calls, self.answers[self.item["id"]], language.PYTHON,
                             self.category, "assay")
        self.valid = bool(result["valid"])
        self.error = "; ".join(str(e) for e in result.get("error", []))[:300]
        return StepResult("", reward=float(self.valid), done=True,
                          info={"outcome": "solved" if self.valid else "wrong_answer", "checker": self.error})

    def progress(self) -> float:
        return (float(bool(self.calls)) + float(bool(self.valid))) / 2

    def episode_metrics(self) -> dict[str, float]:
        if self.valid is None and self.calls:  # stopped by the budget: check what was called
            self._check()
        return {"ast_valid": float(bool(self.valid))}
