"""The `dpe` scorer: check a solution's correctness, then profile it on the problem's
performance input in the sandbox and score the efficiency level it matches (`assay.scoring.dpe`).

Cost is CPU time, measured inside the sandbox with `time.process_time` around the call
alone (interpreter start-up and input construction excluded), autoranged so one
measurement lasts at least `MIN_MEASURE_S`, and repeated until three in a row agree within
10% (at most `MAX_REPEATS`); the median of those is the cost. CPU time, unlike wall time,
is barely moved by other processes competing for the cores. EvalPerf counts CPU
instructions with hardware counters instead; where `perf` counters are unavailable (this
machine's VM reports "<not supported>"), CPU time is the fallback the issue allows.

A problem's references are profiled once (per scorer) and must keep their order; the
profiling time limit follows EvalPerf: max(4 s, 4 x the slowest reference).
"""

from __future__ import annotations

import json
import math
import statistics
import threading
from typing import Any, Mapping, Sequence

from assay.core.responses import Completion, Output
from assay.core.sample import Sample
from assay.core.score import Score
from assay.errors import DataError
from assay.scoring.code import CodeExecution
from assay.scoring.dpe import LevelMatch, match_level

MARK = "@@assay-dpe@@"
MIN_MEASURE_S = 0.02
MAX_REPEATS = 9
STABLE = 0.10

_HARNESS = """
import copy as _copy, json as _json, time as _time
{solution}

{make_input}

def _measure(fn, args, inner):
    copies = [_copy.deepcopy(args) for _ in range(inner)]
    start = _time.process_time()
    for a in copies:
        fn(*a)
    return (_time.process_time() - start) / inner

_fn = {entry}
_args = make_input()
_inner = 1
while True:
    _t = _measure(_fn, _args, _inner)
    if _t * _inner >= {min_s} or _inner >= 4096:
        break
    _inner *= 4
_runs = [_t]
while len(_runs) < {repeats}:
    _last = _runs[-3:]
    if len(_last) == 3 and max(_last) <= (1 + {stable}) * min(_last):
        break
    _runs.append(_measure(_fn, _args, _inner))
print({mark!r} + _json.dumps({{"runs": _runs, "inner": _inner}}))
"""


def profile_program(solution: str, entry: str, make_input: str) -> str:
    """The program that times `entry` (defined by `solution`) on `make_input()`."""
    return _HARNESS.format(solution=solution, make_input=make_input, entry=entry, min_s=MIN_MEASURE_S,
                           repeats=MAX_REPEATS, stable=STABLE, mark=MARK)


def stable_cost(runs: Sequence[float]) -> float:
    """The median of the last three measurements (all of them when fewer)."""
    return float(statistics.median(runs[-3:]))


def parse_profile(stdout: str) -> float | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            data = json.loads(line[len(MARK):])
            return stable_cost(data["runs"])
    return None


class EfficiencyScorer(CodeExecution):
    """Scorer `dpe`: `pass@1` (correctness on the tests) and `dpe` (the efficiency score in
    [0, 1] of a passing solution; NaN for one that fails, as EvalPerf scores correct
    solutions only), plus `dpe_level`, the matched level's index."""

    name = "dpe"

    def __init__(self, timeout_s: float = 10.0, memory_mb: int = 2048, retries: int = 0,
                 unsafe: bool = False, mechanism: str | None = None, concurrency: int | None = 1) -> None:
        # One profile at a time by default: concurrent profiles would compete for the cores.
        super().__init__(k=(1,), timeout_s=timeout_s, memory_mb=memory_mb, retries=retries, unsafe=unsafe,
                         mechanism=mechanism, concurrency=concurrency)
        self.metrics = ("pass@1", "dpe", "dpe_level")
        self._levels: dict[str, tuple[list[float], list[str]]] = {}
        self._level_lock = threading.Lock()

    def profile(self, solution: str, entry: str, make_input: str, timeout_s: float) -> tuple[float | None, str]:
        """(cost in CPU seconds per call, or None, and why not)."""
        from assay.scoring.sandbox import SandboxLimits

        limits = SandboxLimits(timeout_s=timeout_s, memory_mb=self.memory_mb)
        result = self.sandbox.run(profile_program(solution, entry, make_input), limits=limits)
        if not result.passed:
            return None, f"profiling {result.status.value}: {result.message}"
        cost = parse_profile(result.stdout)
        return (cost, "") if cost is not None and cost > 0 else (None, "the profile printed no measurement")

    def reference_levels(self, sample: Sample) -> tuple[list[float], list[str]]:
        """Each reference level's cost on this machine (slowest first), profiled once."""
        with self._level_lock:
            if sample.id in self._levels:
                return self._levels[sample.id]
            meta: Mapping[str, Any] = sample.metadata
            levels = meta.get("perf_levels")
            if not isinstance(levels, (list, tuple)) or not levels or "perf_input" not in meta:
                raise DataError(f"sample {sample.id}: DPE needs 'perf_levels' and 'perf_input'", field="perf_levels")
            costs, labels = [], []
            for level in levels:
                cost, why = self.profile(level["reference"], meta["entry_point"], meta["perf_input"], 120.0)
                if cost is None:
                    raise DataError(f"sample {sample.id}: reference '{level['label']}' could not be profiled: {why}",
                                    field="perf_levels")
                costs.append(cost)
                labels.append(str(level["label"]))
            self._levels[sample.id] = (costs, labels)
            return costs, labels

    def match_references(self, sample: Sample) -> list[LevelMatch]:
        """Each reference scored as if it were a solution: it should land on its own level."""
        costs, labels = self.reference_levels(sample)
        return [match_level(c, costs, labels) for c in costs]

    def __call__(self, sample: Sample, output: Output) -> Score:
        if not isinstance(output, Completion):
            raise TypeError("the dpe scorer reads generated text")
        status, message, code = self.run_answers(sample, [output.text])[0]
        if status in ("sandbox_error", "test_error"):
            return Score({"pass@1": math.nan, "dpe": math.nan, "dpe_level": math.nan}, code, f"{status} 1 — {message}")
        if status != "passed":
            return Score({"pass@1": 0.0, "dpe": math.nan, "dpe_level": math.nan}, code, f"{status} 1 — {message}")
        costs, labels = self.reference_levels(sample)
        meta = sample.metadata
        limit = max(4.0, 4.0 * costs[0] * MAX_REPEATS) + 2.0  # EvalPerf's max(4 s, 4x reference), per measurement
        cost, why = self.profile(code, str(meta["entry_point"]), str(meta["perf_input"]), limit)
        if cost is None:
            match = LevelMatch(0, len(costs), 0.0, why)
        else:
            match = match_level(cost, costs, labels)
        shown = "n/a" if cost is None else f"{cost * 1000:.3f} ms"
        refs = ", ".join(f"{label} {c * 1000:.3f} ms" for label, c in zip(labels, costs))
        return Score({"pass@1": 1.0, "dpe": match.score, "dpe_level": float(match.level)}, code,
                     f"passed 1 — cost {shown}: matches {match.label} (references: {refs})")
