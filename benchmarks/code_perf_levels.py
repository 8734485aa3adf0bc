"""Do the efficiency suite's reference solutions land on their own levels on this machine?

    .venv/bin/python benchmarks/code_perf_levels.py [--n 10] [--seed 0]

For each generated `code-perf` problem: each reference's CPU time per call on the
performance input (profiled in the sandbox, repeated until stable), the smallest ratio
between adjacent levels, and the level each reference matches when scored as a solution
(DPE, `assay.scoring.dpe`). A second profile of the references checks the levels are stable
run to run. CPU time is used because `perf stat -e instructions` is not supported here.
"""

from __future__ import annotations

import argparse
import os
import time

from assay.scoring.dpe import match_level, separation
from assay.scoring.efficiency import EfficiencyScorer
from assay.tasks.suites import code_perf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()} (shared machine: taken under load)")
    first, second = EfficiencyScorer(), EfficiencyScorer()
    right = total = stable = 0
    began = time.perf_counter()
    for sample in code_perf.generate(args.n, args.seed):
        costs, labels = first.reference_levels(sample)
        again, _ = second.reference_levels(sample)
        matched = [match_level(c, costs, labels).level for c in costs]
        rematched = [match_level(c, costs, labels).level for c in again]
        right += sum(m == i + 1 for i, m in enumerate(matched))
        stable += sum(m == i + 1 for i, m in enumerate(rematched))
        total += len(costs)
        shown = ", ".join(f"{label} {1000 * c:.3f} ms" for label, c in zip(labels, costs))
        print(f"{sample.id} {sample.metadata['template']:15} {shown} | separation x{separation(costs):.0f} | "
              f"levels {matched} | second profile {rematched}")
    print(f"references on their own level: {right}/{total}; on a second profile: {stable}/{total} "
          f"({time.perf_counter() - began:.0f} s, load average {os.getloadavg()})")


if __name__ == "__main__":
    main()
