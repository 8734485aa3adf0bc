"""Full-size coverage and false-positive simulations for assay.stats, printed as one table.

Each 95% interval should cover the true value 94-96% of the time; each test at alpha = 0.05
should flag a difference that is not there about 5% of the time (exact and conservative
tests at most 5%); a paired t test whose true difference is the minimum detectable
difference should reject ~80% of the time. Rows marked "illustration" run the wrong
method on purpose (ignoring clusters, rliable's unwidened interval at 3 runs) and are
expected to miss; rows marked "limit" show a known weak spot (CLT and BCa intervals for a
mean of heavily skewed scores at n=50 run about one point short). The unit tests
(tests/unit/stats) run small, seeded versions of the same simulations.

    .venv/bin/python benchmarks/stats_coverage.py                 # full size, ~2-4 min on 2 cores
    .venv/bin/python benchmarks/stats_coverage.py --scale 0.1     # a quick look
    .venv/bin/python benchmarks/stats_coverage.py --figure benchmarks/stats_coverage.svg
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import Enum

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import optimize
from scipy import stats as sps

from assay import stats as S


class Kind(str, Enum):
    COVERAGE = "coverage"
    FALSE_POSITIVE = "false-positive rate"
    POWER = "power"


class Expect(str, Enum):
    NOMINAL = "nominal"  # should sit at the target (94-96% / 4-6% / 77-83%), or on its safe side
    CONSERVATIVE = "conservative"  # guaranteed on the safe side of the target
    LIMIT = "limit"  # a method's documented weak spot (heavy skew at small n), shown on purpose
    ILLUSTRATION = "illustration"  # the wrong method, shown missing on purpose

MEASURES = {Kind.COVERAGE: "coverage", Kind.FALSE_POSITIVE: "false positives", Kind.POWER: "power"}
TARGET = {Kind.COVERAGE: 0.95, Kind.FALSE_POSITIVE: 0.05, Kind.POWER: 0.80}
NOMINAL_BAND = {Kind.COVERAGE: (0.94, 0.96), Kind.FALSE_POSITIVE: (0.04, 0.06), Kind.POWER: (0.77, 0.83)}


# ----------------------------------------------------------------------------- data makers

def clustered_binary(rng: np.random.Generator, n_clusters: int, size: int, mean: float, icc: float) -> np.ndarray:
    """0/1 scores; a cluster's items share a Beta success rate (beta-binomial ICC = icc)."""
    concentration = 1 / icc - 1
    rates = rng.beta(mean * concentration, (1 - mean) * concentration, size=n_clusters)
    return (rng.random((n_clusters, size)) < rates[:, None]).astype(float).ravel()


def mixture_iqm(means: np.ndarray, sds: np.ndarray) -> float:
    """Population IQM of the equal mixture of normal task distributions (exact)."""
    def cdf(v: float) -> float:
        return float(np.mean(sps.norm.cdf((v - means) / sds)))

    q1 = optimize.brentq(lambda v: cdf(v) - 0.25, -50, 50)
    q3 = optimize.brentq(lambda v: cdf(v) - 0.75, -50, 50)
    a, b = (q1 - means) / sds, (q3 - means) / sds
    partial = means * (sps.norm.cdf(b) - sps.norm.cdf(a)) - sds * (sps.norm.pdf(b) - sps.norm.pdf(a))
    return float(np.mean(partial) / 0.5)


# ----------------------------------------------------------------------------- the checks
# Each returns how many of `reps` replications "hit" (covered / rejected).

def binomial_coverage(interval: Callable[[int, int], S.Interval], n: int) -> Callable[[int, np.random.Generator], int]:
    """Each replication draws a true accuracy p ~ U(0.05, 0.95), then k ~ Binomial(n, p).
    At one fixed p the coverage of any binomial interval oscillates with p because k is
    discrete (Brown, Cai & DasGupta 2001, fig. 1-5); averaged over p it should be 95%."""
    def check(reps: int, rng: np.random.Generator) -> int:
        p = rng.uniform(0.05, 0.95, size=reps)
        k = rng.binomial(n, p)
        return sum(interval(int(ki), n).contains(pi) for ki, pi in zip(k, p, strict=True))
    return check


def mean_interval_coverage(interval: Callable[[np.ndarray, np.random.Generator], S.Interval],
                           draw: Callable[[np.random.Generator], np.ndarray], truth: float
                           ) -> Callable[[int, np.random.Generator], int]:
    def check(reps: int, rng: np.random.Generator) -> int:
        return sum(interval(draw(rng), rng).contains(truth) for _ in range(reps))
    return check


def t_interval(x: np.ndarray, rng: np.random.Generator) -> S.Interval:
    return S.mean_ci(x)


def bca_interval(x: np.ndarray, rng: np.random.Generator) -> S.Interval:
    return S.bootstrap_ci(x, n_resamples=2000, rng=rng)


def f1_like(rng: np.random.Generator) -> np.ndarray:
    """Bounded, U-shaped per-item scores like F1 or ROUGE (Beta(0.6, 0.4), mean 0.6)."""
    return rng.beta(0.6, 0.4, size=50)


def exponential(rng: np.random.Generator) -> np.ndarray:
    """Heavily skewed scores (skewness 2), e.g. latency or cost per item; mean 1."""
    return rng.exponential(size=50)


CLUSTERS, SIZE, ICC, MEAN = 40, 10, 0.3, 0.6


def clustered_strong_icc(reps: int, rng: np.random.Generator) -> int:
    codes = np.repeat(np.arange(CLUSTERS), SIZE)
    return sum(
        S.clustered_mean_ci(clustered_binary(rng, CLUSTERS, SIZE, MEAN, ICC), codes, bounds=(0, 1)).contains(MEAN)
        for _ in range(reps)
    )


def naive_wilson_strong_icc(reps: int, rng: np.random.Generator) -> int:
    hits = 0
    for _ in range(reps):
        y = clustered_binary(rng, CLUSTERS, SIZE, MEAN, ICC)
        hits += S.wilson(int(y.sum()), y.size).contains(MEAN)
    return hits


def summarize_clustered(reps: int, rng: np.random.Generator) -> int:
    """The engine's entry point on the same data, with string passage ids."""
    ids = [f"passage-{g}" for g in range(CLUSTERS) for _ in range(SIZE)]
    hits = 0
    for _ in range(reps):
        s = S.summarize("acc", clustered_binary(rng, CLUSTERS, SIZE, MEAN, ICC), clusters=ids)
        hits += s.ci_low <= MEAN <= s.ci_high
    return hits


TASK_MEANS, TASK_SDS = np.linspace(0, 2, 20), np.linspace(0.3, 1.0, 20)


def iqm_stratified(runs: int, widen: bool = True) -> Callable[[int, np.random.Generator], int]:
    def check(reps: int, rng: np.random.Generator) -> int:
        truth = mixture_iqm(TASK_MEANS, TASK_SDS)
        return sum(
            S.stratified_bootstrap_ci(rng.normal(TASK_MEANS, TASK_SDS, size=(runs, 20)), S.iqm, n_resamples=2000,
                                      rng=rng, widen_for_few_runs=widen).contains(truth)
            for _ in range(reps)
        )
    return check


def probability_of_improvement_ci(reps: int, rng: np.random.Generator) -> int:
    shift = np.linspace(-0.5, 1.0, 20)
    truth = float(np.mean(sps.norm.cdf(shift / math.sqrt(2))))  # X_m ~ N(shift_m, 1), Y_m ~ N(0, 1)
    return sum(
        S.probability_of_improvement_ci(rng.normal(shift, 1, size=(10, 20)), rng.normal(0, 1, size=(10, 20)),
                                        n_resamples=2000, rng=rng).contains(truth)
        for _ in range(reps)
    )


def paired_t_ci(reps: int, rng: np.random.Generator) -> int:
    hits = 0
    for _ in range(reps):
        difficulty = rng.normal(0, 1, 50)
        a, b = difficulty + 0.1 + rng.normal(0, 0.5, 50), difficulty + rng.normal(0, 0.5, 50)
        hits += S.paired_difference_ci(a, b).contains(0.1)
    return hits


def null_pair(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    difficulty = rng.normal(0, 1, n)
    return difficulty + rng.normal(0, 1, n), difficulty + rng.normal(0, 1, n)


def mcnemar_null(reps: int, rng: np.random.Generator) -> int:
    hits = 0
    for _ in range(reps):
        p = rng.uniform(0.2, 0.9, size=200)
        hits += S.mcnemar_exact(rng.random(200) < p, rng.random(200) < p).p_value < 0.05
    return hits


def permutation_null(reps: int, rng: np.random.Generator) -> int:
    return sum(S.paired_permutation_test(*null_pair(rng, 40), n_resamples=999, rng=rng).p_value < 0.05
               for _ in range(reps))


def bootstrap_null_skewed(reps: int, rng: np.random.Generator) -> int:
    return sum(S.paired_bootstrap_test(rng.exponential(size=25), rng.exponential(size=25), n_resamples=999,
                                       rng=rng).p_value < 0.05 for _ in range(reps))


def compare_paired_binary_null(reps: int, rng: np.random.Generator) -> int:
    hits = 0
    for _ in range(reps):
        p = rng.uniform(0.2, 0.9, size=200)
        a, b = (rng.random(200) < p).astype(float), (rng.random(200) < p).astype(float)
        hits += S.compare_paired("acc", a, b).p_value < 0.05
    return hits


G_NULL, M_NULL = 30, 8


def clustered_null_diffs(rng: np.random.Generator) -> np.ndarray:
    """Per-item differences that swing together within a passage, mean zero."""
    return np.repeat(rng.normal(0, 1, G_NULL), M_NULL) + rng.normal(0, 0.5, G_NULL * M_NULL)


def cluster_permutation_null(reps: int, rng: np.random.Generator) -> int:
    codes, zeros = np.repeat(np.arange(G_NULL), M_NULL), np.zeros(G_NULL * M_NULL)
    return sum(S.paired_permutation_test(clustered_null_diffs(rng), zeros, codes, n_resamples=999, rng=rng).p_value
               < 0.05 for _ in range(reps))


def cluster_bootstrap_null(reps: int, rng: np.random.Generator) -> int:
    codes, zeros = np.repeat(np.arange(G_NULL), M_NULL), np.zeros(G_NULL * M_NULL)
    return sum(S.paired_bootstrap_test(clustered_null_diffs(rng), zeros, codes, n_resamples=999, rng=rng).p_value
               < 0.05 for _ in range(reps))


def item_permutation_clustered_null(reps: int, rng: np.random.Generator) -> int:
    zeros = np.zeros(G_NULL * M_NULL)
    return sum(S.paired_permutation_test(clustered_null_diffs(rng), zeros, n_resamples=999, rng=rng).p_value < 0.05
               for _ in range(reps))


def holm_family_wise(reps: int, rng: np.random.Generator) -> int:
    return sum(S.holm(row).reject.any() for row in rng.uniform(size=(reps, 20)))


def bh_false_discoveries(reps: int, rng: np.random.Generator) -> float:
    """Returns the summed false discovery proportion (15 null tasks, 5 with a real effect)."""
    total = 0.0
    for _ in range(reps):
        z = rng.normal(size=20)
        z[:5] += 3.0
        p = 2 * sps.norm.sf(np.abs(z))
        reject = S.benjamini_hochberg(p).reject
        total += reject[5:].sum() / max(1, reject.sum())
    return total


def power_at_mdd(reps: int, rng: np.random.Generator) -> int:
    n, sd = 30, 0.4
    mdd = S.minimum_detectable_difference(n, sd**2)
    return int(np.sum(sps.ttest_1samp(rng.normal(mdd, sd, size=(reps, n)), 0.0, axis=1).pvalue < 0.05))


@dataclass(frozen=True)
class Check:
    name: str
    setting: str
    kind: Kind
    expect: Expect
    reps: int
    run: Callable[[int, np.random.Generator], float]


CHECKS = [
    Check("Wilson", "0/1, n=30, p ~ U(0.05, 0.95)", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          binomial_coverage(S.wilson, 30)),
    Check("Wilson", "0/1, n=100, p ~ U(0.05, 0.95)", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          binomial_coverage(S.wilson, 100)),
    Check("Clopper-Pearson", "0/1, n=100, p ~ U(0.05, 0.95)", Kind.COVERAGE, Expect.CONSERVATIVE, 10_000,
          binomial_coverage(S.clopper_pearson, 100)),
    Check("t interval (mean)", "F1-like Beta(0.6, 0.4) scores, n=50", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          mean_interval_coverage(t_interval, f1_like, 0.6)),
    Check("BCa bootstrap (mean)", "F1-like Beta(0.6, 0.4), n=50, B=2000", Kind.COVERAGE, Expect.NOMINAL, 2_000,
          mean_interval_coverage(bca_interval, f1_like, 0.6)),
    Check("t interval (mean)", "exponential (skew 2), n=50", Kind.COVERAGE, Expect.LIMIT, 10_000,
          mean_interval_coverage(t_interval, exponential, 1.0)),
    Check("BCa bootstrap (mean)", "exponential (skew 2), n=50, B=2000", Kind.COVERAGE, Expect.LIMIT, 2_000,
          mean_interval_coverage(bca_interval, exponential, 1.0)),
    Check("clustered CR1, t(G-1)", "0/1, 40 clusters x 10, ICC 0.3", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          clustered_strong_icc),
    Check("summarize(clusters=...)", "same data, engine entry point", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          summarize_clustered),
    Check("naive Wilson, ignoring clusters", "same data", Kind.COVERAGE, Expect.ILLUSTRATION, 10_000,
          naive_wilson_strong_icc),
    Check("IQM stratified bootstrap", "10 runs x 20 tasks, percentile, B=2000", Kind.COVERAGE, Expect.NOMINAL,
          2_000, iqm_stratified(10)),
    Check("IQM stratified bootstrap", "3 runs x 20 tasks, percentile, B=2000", Kind.COVERAGE, Expect.NOMINAL,
          2_000, iqm_stratified(3)),
    Check("IQM, rliable's unwidened percentile", "3 runs x 20 tasks, B=2000", Kind.COVERAGE, Expect.ILLUSTRATION,
          2_000, iqm_stratified(3, widen=False)),
    Check("P(X > Y) stratified bootstrap", "10 vs 10 runs x 20 tasks, B=2000", Kind.COVERAGE, Expect.NOMINAL,
          2_000, probability_of_improvement_ci),
    Check("paired difference t interval", "n=50, shared item difficulty", Kind.COVERAGE, Expect.NOMINAL, 10_000,
          paired_t_ci),
    Check("McNemar exact", "0/1, n=200, equal skill", Kind.FALSE_POSITIVE, Expect.CONSERVATIVE, 10_000, mcnemar_null),
    Check("compare_paired (binary)", "same, engine/CLI entry point", Kind.FALSE_POSITIVE, Expect.CONSERVATIVE, 10_000,
          compare_paired_binary_null),
    Check("paired permutation", "n=40, B=999, equal skill", Kind.FALSE_POSITIVE, Expect.NOMINAL, 10_000,
          permutation_null),
    Check("paired bootstrap-t", "exponential, n=25, B=999", Kind.FALSE_POSITIVE, Expect.NOMINAL, 10_000,
          bootstrap_null_skewed),
    Check("cluster permutation", "30 clusters x 8, correlated diffs", Kind.FALSE_POSITIVE, Expect.NOMINAL, 10_000,
          cluster_permutation_null),
    Check("cluster bootstrap-t", "30 clusters x 8, correlated diffs", Kind.FALSE_POSITIVE, Expect.NOMINAL, 10_000,
          cluster_bootstrap_null),
    Check("item permutation, ignoring clusters", "same data", Kind.FALSE_POSITIVE, Expect.ILLUSTRATION, 2_000,
          item_permutation_clustered_null),
    Check("Holm (family-wise error)", "20 tasks, all null", Kind.FALSE_POSITIVE, Expect.CONSERVATIVE, 10_000,
          holm_family_wise),
    Check("Benjamini-Hochberg (FDR)", "20 tasks, 15 null + 5 real", Kind.FALSE_POSITIVE, Expect.CONSERVATIVE, 10_000,
          bh_false_discoveries),
    Check("paired t at the MDD", "n=30, power target 80%", Kind.POWER, Expect.NOMINAL, 10_000, power_at_mdd),
]


@dataclass(frozen=True)
class Outcome:
    check: Check
    reps: int
    rate: float
    seconds: float

    @property
    def mc_error(self) -> float:
        """Two Monte Carlo standard errors at the target rate."""
        target = TARGET[self.check.kind]
        return 2 * math.sqrt(target * (1 - target) / self.reps)

    @property
    def verdict(self) -> str:
        kind, expect, rate = self.check.kind, self.check.expect, self.rate
        slack = self.mc_error  # small-rep runs (--scale) get a band as wide as their noise
        low = min(NOMINAL_BAND[kind][0], TARGET[kind] - slack)
        high = max(NOMINAL_BAND[kind][1], TARGET[kind] + slack)
        in_band = low <= rate <= high
        # the safe side: wider intervals, fewer false positives
        safe = rate > high if kind is Kind.COVERAGE else (rate < low if kind is Kind.FALSE_POSITIVE else False)
        if expect is Expect.ILLUSTRATION:
            return "unexpectedly ok" if in_band or safe else "misses, as expected"
        if in_band:
            return "ok"
        if safe:
            return "ok (conservative)"
        return "short (known limit)" if expect is Expect.LIMIT else "OFF"


def run_check(index: int, scale: float, seed: int) -> tuple[int, float, float]:
    """Run CHECKS[index] in a worker; returns (reps, rate, seconds), which pickle."""
    check = CHECKS[index]
    reps = max(50, int(check.reps * scale))
    rng = np.random.default_rng([seed, index])
    began = time.perf_counter()
    hits = check.run(reps, rng)
    return reps, float(hits) / reps, time.perf_counter() - began


def table(outcomes: list[Outcome]) -> Table:
    t = Table(title="assay.stats: coverage of 95% intervals, false-positive rates at alpha = 0.05, power at the MDD")
    for col, justify in [("method", "left"), ("setting", "left"), ("measures", "left"), ("reps", "right"),
                         ("observed", "right"), ("target", "right"), ("±2 MC s.e.", "right"), ("verdict", "left")]:
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for o in outcomes:
        style = {"OFF": "red", "misses, as expected": "yellow", "short (known limit)": "yellow"}.get(o.verdict, "green")
        measures = MEASURES[o.check.kind]
        if o.check.name.startswith(("Holm", "Benjamini")):
            measures = "FWER" if o.check.name.startswith("Holm") else "FDR"
        t.add_row(o.check.name, o.check.setting, measures, f"{o.reps:,}", f"{o.rate:.2%}",
                  f"{TARGET[o.check.kind]:.0%}", f"{o.mc_error:.2%}", f"[{style}]{o.verdict}[/]")
    return t


def svg_figure(outcomes: list[Outcome]) -> str:
    """A dot plot (no plotting library needed): each row's observed rate, the target line and
    the nominal band, on a per-measure scale."""
    scales = {Kind.COVERAGE: (0.6, 1.0), Kind.FALSE_POSITIVE: (0.0, 0.5), Kind.POWER: (0.6, 1.0)}
    left, width, row_h, top = 420, 360, 22, 40
    height = top + row_h * len(outcomes) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" height="{height}" '
             'font-family="sans-serif" font-size="12">',
             '<text x="10" y="20" font-weight="bold">assay.stats: simulated coverage / false-positive rate / '
             'power vs target (band = nominal range)</text>']
    for i, o in enumerate(outcomes):
        lo, hi = scales[o.check.kind]
        def x(v: float, lo: float = lo, hi: float = hi) -> float:
            return left + width * (min(max(v, lo), hi) - lo) / (hi - lo)
        y = top + i * row_h
        band_lo, band_hi = NOMINAL_BAND[o.check.kind]
        colour = {"OFF": "#c0392b", "misses, as expected": "#d68910", "short (known limit)": "#d68910"}.get(
            o.verdict, "#1e8449")
        parts += [
            f'<text x="10" y="{y + 4}">{o.check.name} — {o.check.setting}</text>',
            f'<line x1="{left}" x2="{left + width}" y1="{y}" y2="{y}" stroke="#ddd"/>',
            f'<rect x="{x(band_lo):.1f}" y="{y - 7}" width="{x(band_hi) - x(band_lo):.1f}" height="14" '
            'fill="#d5f5e3"/>',
            f'<line x1="{x(TARGET[o.check.kind]):.1f}" x2="{x(TARGET[o.check.kind]):.1f}" y1="{y - 8}" y2="{y + 8}" '
            'stroke="#555"/>',
            f'<circle cx="{x(o.rate):.1f}" cy="{y}" r="5" fill="{colour}"/>',
            f'<text x="{left + width + 10}" y="{y + 4}">{o.rate:.2%} ({o.check.kind.value}, {lo:g} to {hi:g})</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every row's replications (default 1)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--figure", help="also write an SVG dot plot to this path")
    args = parser.parse_args()
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_check, i, args.scale, args.seed) for i in range(len(CHECKS))]
        outcomes = [Outcome(check, *f.result()) for check, f in zip(CHECKS, futures, strict=True)]
    console = Console(width=200)
    console.print(table(outcomes))
    slowest = sorted(outcomes, key=lambda o: -o.seconds)[:3]
    console.print(f"{len(outcomes)} checks in {time.perf_counter() - began:.0f} s on {args.workers} workers "
                  f"(seed {args.seed}); slowest: " + ", ".join(f"{o.check.name} {o.seconds:.0f} s" for o in slowest))
    if args.figure:
        with open(args.figure, "w", encoding="utf-8") as fh:
            fh.write(svg_figure(outcomes))
        console.print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
