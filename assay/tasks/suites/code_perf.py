"""The generated efficiency suite (`code-perf`) for Differential Performance Evaluation.

Each problem comes with reference solutions at known efficiency levels, slowest first
(e.g. O(n^3), O(n^2), O(n) for the maximum subarray sum), unit tests on small inputs, and a
performance-exercising input large enough to separate the levels by an order of magnitude
or more (Liu et al., "Evaluating Language Models for Efficient Code Generation": EvalPerf
selects such tasks and synthesises such inputs; here both are generated). Function names,
constants and inputs come from the item's seeded stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from assay.core.sample import Sample
from assay.tasks.suites._common import check_size, item_rng, sample_id

VERSION = "1"
FAMILY = "code-perf"


@dataclass(frozen=True)
class _PerfProblem:
    stem: str
    signature: str
    text: str
    levels: tuple[tuple[str, str], ...]
    """(complexity label, reference source with NAME for the function), slowest first."""
    small_inputs: list[tuple[Any, ...]]
    make_input: str
    """Source of `make_input()`, returning the argument tuple of the performance input."""


def _max_subarray(rng: random.Random) -> _PerfProblem:
    seed = rng.randrange(10**6)
    cubic = ("def NAME(xs):\n    best = xs[0]\n    for i in range(len(xs)):\n        for j in range(i, len(xs)):\n"
             "            s = 0\n            for k in range(i, j + 1):\n                s += xs[k]\n"
             "            if s > best:\n                best = s\n    return best\n")
    quadratic = ("def NAME(xs):\n    best = xs[0]\n    for i in range(len(xs)):\n        s = 0\n"
                 "        for j in range(i, len(xs)):\n            s += xs[j]\n            if s > best:\n"
                 "                best = s\n    return best\n")
    linear = ("def NAME(xs):\n    best = cur = xs[0]\n    for x in xs[1:]:\n        cur = max(x, cur + x)\n"
              "        best = max(best, cur)\n    return best\n")
    small = [([rng.randrange(-20, 20) for _ in range(rng.randrange(1, 9))],) for _ in range(5)]
    make = (f"def make_input():\n    import random\n    rng = random.Random({seed})\n"
            "    return ([rng.randrange(-1000, 1000) for _ in range(300)],)\n")
    return _PerfProblem("max_subarray", "NAME(xs: list[int]) -> int",
                        "return the largest sum of a non-empty contiguous slice of xs (xs is not empty)",
                        (("O(n^3)", cubic), ("O(n^2)", quadratic), ("O(n)", linear)), small, make)


def _pairs_with_sum(rng: random.Random) -> _PerfProblem:
    seed, target = rng.randrange(10**6), rng.randrange(-20, 21)
    quadratic = (f"def NAME(xs):\n    count = 0\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n"
                 f"            if xs[i] + xs[j] == {target}:\n                count += 1\n    return count\n")
    linear = (f"def NAME(xs):\n    seen = {{}}\n    count = 0\n    for x in xs:\n        count += seen.get({target} - x, 0)\n"
              "        seen[x] = seen.get(x, 0) + 1\n    return count\n")
    small = [([rng.randrange(-10, 10) for _ in range(rng.randrange(0, 10))],) for _ in range(5)]
    make = (f"def make_input():\n    import random\n    rng = random.Random({seed})\n"
            "    return ([rng.randrange(-5000, 5000) for _ in range(2500)],)\n")
    return _PerfProblem("pairs_with_sum", "NAME(xs: list[int]) -> int",
                        f"return the number of index pairs i < j with xs[i] + xs[j] == {target}",
                        (("O(n^2)", quadratic), ("O(n)", linear)), small, make)


def _sum_primes(rng: random.Random) -> _PerfProblem:
    limit = rng.randrange(40_000, 50_000)
    trial = ("def NAME(n):\n    total = 0\n    for k in range(2, n):\n        for d in range(2, k):\n"
             "            if d * d > k:\n                total += k\n                break\n"
             "            if k % d == 0:\n                break\n        else:\n            total += k\n"
             "    return total\n")
    sieve = ("def NAME(n):\n    if n < 3:\n        return 0\n    is_p = bytearray([1]) * n\n    is_p[0] = is_p[1] = 0\n"
             "    for i in range(2, int(n ** 0.5) + 1):\n        if is_p[i]:\n"
             "            is_p[i * i::i] = bytearray(len(range(i * i, n, i)))\n"
             "    return sum(i for i in range(n) if is_p[i])\n")
    small = [(n,) for n in (0, 2, 3, 10, rng.randrange(20, 200))]
    make = f"def make_input():\n    return ({limit},)\n"
    return _PerfProblem("sum_primes", "NAME(n: int) -> int", "return the sum of all primes p with p < n",
                        (("trial division", trial), ("sieve", sieve)), small, make)


def _lis_length(rng: random.Random) -> _PerfProblem:
    seed = rng.randrange(10**6)
    quadratic = ("def NAME(xs):\n    best = [1] * len(xs)\n    for i in range(len(xs)):\n        for j in range(i):\n"
                 "            if xs[j] < xs[i] and best[j] + 1 > best[i]:\n                best[i] = best[j] + 1\n"
                 "    return max(best, default=0)\n")
    nlogn = ("def NAME(xs):\n    import bisect\n    tails = []\n    for x in xs:\n"
             "        i = bisect.bisect_left(tails, x)\n        if i == len(tails):\n            tails.append(x)\n"
             "        else:\n            tails[i] = x\n    return len(tails)\n")
    small = [([rng.randrange(0, 15) for _ in range(rng.randrange(0, 10))],) for _ in range(5)]
    make = (f"def make_input():\n    import random\n    rng = random.Random({seed})\n"
            "    return ([rng.randrange(10**6) for _ in range(1500)],)\n")
    return _PerfProblem("lis_length", "NAME(xs: list[int]) -> int",
                        "return the length of the longest strictly increasing subsequence of xs",
                        (("O(n^2)", quadratic), ("O(n log n)", nlogn)), small, make)


def _fib_mod(rng: random.Random) -> _PerfProblem:
    mod = rng.choice((1_000_003, 998_244_353, 1_000_000_007, 65_521))
    n = rng.randrange(1_500_000, 2_000_000)
    loop = (f"def NAME(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, (a + b) % {mod}\n    return a\n")
    doubling = (f"def NAME(n):\n    def go(k):\n        if k == 0:\n            return 0, 1\n        a, b = go(k >> 1)\n"
                f"        c = a * ((2 * b - a) % {mod}) % {mod}\n        d = (a * a + b * b) % {mod}\n"
                f"        return (d, (c + d) % {mod}) if k & 1 else (c, d)\n    return go(n)[0]\n")
    small = [(k,) for k in (0, 1, 2, 10, rng.randrange(20, 90))]
    return _PerfProblem("fib_mod", "NAME(n: int) -> int",
                        f"return F(n) mod {mod}, where F(0) = 0, F(1) = 1 and F(k) = F(k-1) + F(k-2)",
                        (("O(n)", loop), ("O(log n)", doubling)), small, f"def make_input():\n    return ({n},)\n")


_TEMPLATES: tuple[Callable[[random.Random], _PerfProblem], ...] = (
    _max_subarray, _pairs_with_sum, _sum_primes, _lis_length, _fib_mod)


def _run(source: str, name: str, args: tuple[Any, ...]) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<reference {name}>", "exec"), namespace)  # our own generated reference
    return namespace[name](*args)


def generate(n: int, seed: int) -> list[Sample]:
    """`n` problems (the templates in turn), each with its levels, tests and perf input."""
    check_size(n)
    samples = []
    for index in range(n):
        rng = item_rng(FAMILY, seed, index)
        problem = _TEMPLATES[index % len(_TEMPLATES)](rng)
        name = f"{problem.stem}_{rng.randrange(100, 999)}"
        levels = [(label, src.replace("NAME", name)) for label, src in problem.levels]
        fastest = levels[-1][1]
        expected = [_run(fastest, name, args) for args in problem.small_inputs]
        for label, src in levels[:-1]:  # every level must agree with the fastest on the tests
            assert [_run(src, name, args) for args in problem.small_inputs] == expected, (name, label)
        tests = "\n".join(f"assert {name}({', '.join(map(repr, args))}) == {out!r}"
                          for args, out in zip(problem.small_inputs, expected)) + "\n"
        signature = problem.signature.replace("NAME", name)
        prompt = (f"Write an efficient Python function `{signature}`: {problem.text}.\n"
                  f"For example, {name}({', '.join(map(repr, problem.small_inputs[-1]))}) == {expected[-1]!r}.\n"
                  "It will be timed on large inputs. Reply with the function in a single ```python code block.")
        samples.append(Sample(
            id=sample_id("perf", index), input=prompt, target=fastest,
            metadata={"entry_point": name, "tests": tests, "reference": fastest,
                      "perf_levels": [{"label": label, "reference": src} for label, src in levels],
                      "perf_input": problem.make_input, "template": problem.stem,
                      "group": sample_id("perf", index)}))
    return samples


def make_task(opts: Any) -> Any:
    """The `code-perf` task from `CodeOptions` (n defaults to 10): DPE score and pass@1."""
    from assay.core.task import Task, TaskKind
    from assay.scoring.efficiency import EfficiencyScorer
    from assay.tasks.code_tasks import VERBATIM, _generation, _memo

    n = opts.n or 10
    return Task(name="code-perf", version=VERSION, kind=TaskKind.GENERATE,
                load=_memo(lambda: generate(n, opts.seed)),
                scorers=(EfficiencyScorer(timeout_s=opts.timeout_s, retries=opts.retries),), format=VERBATIM,
                generation=_generation(opts, True), chat=True, family=FAMILY,
                description="Generated efficiency problems with naive and optimal references (DPE).",
                source={"builtin": "code-perf", "n": n, "seed": opts.seed, "version": VERSION, "options": opts.given})
