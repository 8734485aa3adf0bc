"""BFCL's multi-turn categories (the `bfcl-eval` package, offline) on BFCL's own simulators.

An episode is one BFCL multi-turn item: several user turns over the same stateful backends
(a file system, a trading bot, travel booking, a vehicle, messaging, tickets, a math API).
Each tool call the agent makes is executed at once on the item's real simulator instances,
by BFCL's own `execute_multi_turn_func_call` (the function its inference harness uses), and
the result is the next observation. A reply in plain text ends the user turn (BFCL: a step
without function calls ends the turn) and the next user turn follows. Categories:
`base`, `miss_func` (a function is held out until a later turn, then announced, as BFCL
does), `miss_param` (a turn lacks a parameter; the right move is to ask) and
`long_context` (the backends hold long distracting state).

The score is BFCL's own `multi_turn_checker`: after each turn, the state of every simulator
instance must equal the state the ground-truth calls produce, and the ground truth's
execution results must all appear among the agent's. `progress` is BALROG-style: the share
of user turns the agent completed correctly (the checker run on each prefix of turns).

The simulators keep their instances in the module globals of BFCL's `multi_turn_utils`,
keyed by a model name and the item id; every episode and every check uses its own fresh
name and removes its instances afterwards, so episodes never share state.
"""

from __future__ import annotations

import itertools
import json
from functools import lru_cache
from typing import Any

from assay.envs.base import Action, Environment, StepResult
from assay.envs.bfcl import _checker, _openai_schema, _package_dir
from assay.envs.registry import register_env

MULTI_TURN_CATEGORIES = ("base", "miss_func", "miss_param", "long_context")
# BFCL's DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC, the message of a held-out function's turn.
_MORE_FUNCTIONS = "I have updated some more functions you can choose from. What about now?"
_NAMES = itertools.count()


def _category(category: str) -> str:
    name = category.removeprefix("multi_turn_")
    if name not in MULTI_TURN_CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(MULTI_TURN_CATEGORIES)}, not {category!r}")
    return name


@lru_cache(maxsize=None)
def _function_docs(class_name: str) -> tuple[dict, ...]:
    from bfcl_eval.constants.executable_backend_config import MULTI_TURN_FUNC_DOC_FILE_MAPPING

    path = _package_dir() / "data" / "multi_turn_func_doc" / MULTI_TURN_FUNC_DOC_FILE_MAPPING[class_name]
    return tuple(json.loads(line) for line in path.read_text().splitlines() if line.strip())


@lru_cache(maxsize=None)
def load_multi_turn_items(category: str) -> tuple[list[dict], dict[str, list]]:
    """The category's items, each with `function` (the docs offered from the start) and
    `missed_function` (turn index -> docs held out until then), and the ground truth per id
    (a list of turns, each a list of call strings). Mirrors BFCL's
    `populate_test_cases_with_predefined_functions`."""
    name = _category(category)
    data = _package_dir() / "data"
    items = []
    for line in (data / f"BFCL_v4_multi_turn_{name}.json").read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        docs = [doc for cls in item["involved_classes"] for doc in _function_docs(cls)]
        held: dict[str, list[dict]] = {}
        for turn, names in item.get("missed_function", {}).items():
            held[turn] = [d for d in docs if d["name"] in names]
            docs = [d for d in docs if d["name"] not in names]
        item["function"], item["missed_function"] = docs, held
        items.append(item)
    answers = {}
    for line in (data / "possible_answer" / f"BFCL_v4_multi_turn_{name}.json").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            answers[row["id"]] = row["ground_truth"]
    return items, answers


def _tool(doc: dict) -> dict:
    return {"type": "function", "function": {
        "name": doc["name"], "description": doc.get("description", ""),
        "parameters": _openai_schema(doc.get("parameters", {"type": "object", "properties": {}}))}}


def call_string(name: str, arguments: dict[str, Any]) -> str:
    """A tool call as the Python call text BFCL's executor evaluates: `cd(folder='docs')`.
    The name was checked against the offered tools and every value is a JSON value written
    with `repr`, so the text is a literal call of a known method."""
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"


def _utils():  # type: ignore[no-untyped-def]
    _checker()  # installs the model-config stub BFCL's modules import
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils

    return multi_turn_utils


def _forget(name: str) -> None:
    """Drop the simulator instances BFCL keeps in its module globals under `name`."""
    store = vars(_utils())
    for key in [k for k in store if k.startswith(name + "_") and k.endswith("_instance")]:
        del store[key]


@register_env("bfcl-multi-turn")
class BFCLMultiTurn(Environment):
    """One BFCL multi-turn item per episode (`category=base|miss_func|miss_param|long_context`;
    the seed picks the item)."""

    description = ("BFCL multi-turn (bfcl-eval, offline): calls run on BFCL's simulators, scored by its "
                   "state and response checks")
    instructions = ("You help a user over several turns by calling the functions offered. In each turn, call "
                    "the functions the request needs, one call per message, and read each result. When the "
                    "request is done (or cannot be done, or a detail is missing), reply in plain text without "
                    "a function call: that ends the turn and the user speaks again.")
    default_max_turns = 40
    metrics = ("state_valid", "turns_passed")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.category = _category(str(params.get("category", "base")))
        self.items, self.answers = load_multi_turn_items(self.category)
        self.tools = ()
        self.name_ = ""

    def reset(self, seed: int) -> str:
        if self.name_:
            _forget(self.name_)
        self.item = self.items[seed % len(self.items)]
        self.truth = self.answers[self.item["id"]]
        self.checkpoints = tuple(f"turn {i + 1}" for i in range(len(self.truth)))
        self.long = "long_context" in self.item["id"]
        self.name_ = f"assay_mt_{next(_NAMES)}"
        self.docs = list(self.item["function"])
        self.tools = tuple(_tool(d) for d in self.docs)
        self.turn = 0
        self.calls: list[list[str]] = [[]]
        self.valid: bool | None = None
        self.passed = 0
        self.error = ""
        self._execute([])  # builds the instances from the item's initial state
        return self._turn_message(0)

    def _turn_message(self, turn: int) -> str:
        held = self.item["missed_function"].get(str(turn))
        if held:
            self.docs += held
            self.tools = tuple(_tool(d) for d in self.docs)
            listed = "\n".join(json.dumps(_tool(d)["function"], sort_keys=True) for d in held)
            return f"{listed}\n{_MORE_FUNCTIONS}"
        return "\n".join(m["content"] for m in self.item["question"][turn] if m.get("role") == "user")

    def _execute(self, calls: list[str]) -> list[str]:
        results, _ = _utils().execute_multi_turn_func_call(
            calls, self.item.get("initial_config", {}), self.item["involved_classes"], self.name_, self.item["id"],
            long_context=self.long, is_evaL_run=False)
        return results

    def step(self, action: Action) -> StepResult:
        if action.is_tool_call:
            call = call_string(action.tool or "", dict(action.arguments))
            self.calls[self.turn].append(call)
            (result,) = self._execute([call])
            return StepResult(str(result))
        self.turn += 1
        if self.turn < len(self.item["question"]):
            self.calls.append([])
            return StepResult(self._turn_message(self.turn), info={"checkpoint": f"turn {self.turn}"})
        self._check()
        return StepResult("", reward=float(bool(self.valid)), done=True,
                          info={"outcome": "solved" if self.valid else "wrong_answer", "checker": self.error,
                                "checkpoint": f"turn {self.turn}"})

    def _check_prefix(self, turns: int) -> dict[str, Any]:
        from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

        name = f"{self.name_}_check{turns}"
        decoded = [[[c] for c in calls] for calls in self.calls[:turns]]
        try:
            return multi_turn_checker(decoded, self.truth[:turns], self.item, self.category, name)
        finally:
            _forget(name)

    def _check(self) -> None:
        """BFCL's verdict on the whole item, and how many leading turns pass its checks."""
        done = self.turn if self.turn < len(self.item["question"]) else len(self.truth)
        self.passed, failure = 0, None
        for turns in range(1, done + 1):
            result = self._check_prefix(turns)
            if not result["valid"]:
                failure = result
                break
            self.passed = turns
        self.valid = self.passed == len(self.truth)
        if failure is not None:
            self.error = f"turn {self.passed + 1}: {failure.get('error_type')}: {failure.get('error_message')}"[:300]
        elif not self.valid:  # BFCL: a force-terminated entry fails whole
            self.error = f"force-terminated after {done} of {len(self.truth)} turns"
        _forget(self.name_)

    def progress(self) -> float:
        truth = getattr(self, "truth", None)
        return self.passed / len(truth) if truth else float("nan")

    def episode_metrics(self) -> dict[str, float]:
        if self.valid is None:  # stopped before the last turn: checked as far as it got
            self._check()
        return {"state_valid": float(bool(self.valid)), "turns_passed": float(self.passed)}
