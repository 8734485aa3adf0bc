"""Subset estimation (issue 13): response CSVs, calibration files, item selection, intervals.

Runs on the real MATH-500 response matrix (benchmarks/data/irt, MIT, cBMM project) cut to a
small corner so the whole module stays within a few seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assay.analyses.adaptive import (
    AdaptiveSelector,
    Estimator,
    Strategy,
    calibration_abilities,
    check_estimators,
    design_for,
    run_adaptive,
    select_anchors,
    simulate_subset,
)
from assay.analyses.irt_calibration import (
    calibrate,
    check_calibration_items,
    load_calibration,
    save_calibration,
)
from assay.analyses.irt_data import ResponseMatrix, read_response_csv, write_response_csv
from assay.errors import ConfigError

MATH500 = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "irt" / "math500_responses.csv"


@pytest.fixture(scope="module")
def math500() -> ResponseMatrix:
    return read_response_csv(MATH500)


@pytest.fixture(scope="module")
def small_cal(math500):
    # 80 rows x 120 items to calibrate; the last 20 rows are held out
    sub = ResponseMatrix(math500.values[:80, :120], math500.rows[:80], math500.items[:120])
    return calibrate(sub, "2pl", n_boot=6, rng=1)


def test_math500_matrix_reads_as_documented(math500) -> None:
    assert math500.values.shape == (100, 500)
    assert math500.items[0] == "item000" and math500.rows[0].endswith("_shot")
    acc = math500.accuracy()
    assert acc.min() < 0.01 and acc.max() > 0.9


@pytest.mark.parametrize("body, line, where, message", [
    ("row,i1,i2\nm1,1,0\nm2,1\n", 3, "m2", "ragged row"),
    ("row,i1,i2\nm1,1,0\nm2,1,yes\n", 3, "i2", "'yes'"),
    ("row,i1,i2\nm1,1,0\n", None, None, "at least 2"),
    ("row,i1,i1\nm1,1,0\nm2,0,0\n", 1, None, "repeated"),
])
def test_malformed_csv_names_file_line_and_item(tmp_path, body, line, where, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        read_response_csv(path)
    text = str(err.value)
    assert "bad.csv" in text and message in text
    if line is not None:
        assert f"bad.csv:{line}" in text
    if where is not None:
        assert where in text


def test_csv_accepts_minus_one_and_blanks(tmp_path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("row,a,b,c\nm1,1,-1,\nm2,-1,1,1\n")
    m = read_response_csv(path)
    assert np.isnan(m.values[0, 2]) and m.values[0, 1] == 0 and m.values[1, 2] == 1
    again = read_response_csv(write_response_csv(m, tmp_path / "out.csv"))
    assert np.array_equal(np.isnan(again.values), np.isnan(m.values))


def test_calibration_file_round_trips(small_cal, tmp_path) -> None:
    path = save_calibration(small_cal, tmp_path / "items.json")
    back = load_calibration(path)
    assert back.items == small_cal.items
    assert np.allclose(back.params.b, small_cal.params.b) and np.allclose(back.params.se_b, small_cal.params.se_b,
                                                                          equal_nan=True)
    assert len(back.bootstrap) == 6 and np.array_equal(back.bootstrap_rows[0], small_cal.bootstrap_rows[0])


def test_wrong_calibration_files_are_refused(small_cal, tmp_path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="not an assay IRT calibration"):
        load_calibration(tmp_path / "x.json")
    with pytest.raises(ConfigError) as err:
        check_calibration_items(small_cal, small_cal.items[:-3], source="data.csv")
    assert "data.csv" in str(err.value) and small_cal.items[-1] in str(err.value)
    tagged = ResponseMatrix(small_cal.matrix.values, small_cal.matrix.rows, small_cal.items, "logic-mc", "3")
    cal = calibrate(ResponseMatrix(tagged.values[:, :10], tagged.rows, tagged.items[:10], "logic-mc", "3"), n_boot=0)
    with pytest.raises(ConfigError, match="not 'arith-mc'"):
        check_calibration_items(cal, tagged.items, source="items.json", task="arith-mc")
    with pytest.raises(ConfigError, match="version '3'"):
        check_calibration_items(cal, tagged.items, source="items.json", task="logic-mc", task_version="4")


def test_adaptive_selection_is_deterministic_given_the_answers(small_cal, math500) -> None:
    truth = math500.values[90, :120]
    seqs = []
    for _ in range(2):
        asked: list[int] = []
        sel = AdaptiveSelector(small_cal.params, small_cal.fit.quadrature, seed=5)

        def answer(j: int) -> float:
            asked.append(j)
            return truth[j]

        run_adaptive(sel, answer, 12)
        seqs.append(asked)
    assert seqs[0] == seqs[1] and len(set(seqs[0])) == 12
    # exposure control: other seeds do not all open with the same item
    firsts = {AdaptiveSelector(small_cal.params, small_cal.fit.quadrature, seed=s).next_item(np.full(120, np.nan))
              for s in range(8)}
    assert len(firsts) > 1


def test_adaptive_stops_at_the_target_standard_error(small_cal, math500) -> None:
    sel = AdaptiveSelector(small_cal.params, small_cal.fit.quadrature)
    row = run_adaptive(sel, lambda j: math500.values[85, j], max_items=60, target_se=0.45)
    from assay.stats.irt_scoring import estimate_ability

    n = int((~np.isnan(row)).sum())
    assert n < 60 and estimate_ability(small_cal.params, row, small_cal.fit.quadrature).theta_se <= 0.45


def test_anchors_cover_the_items_with_weights_summing_to_one(small_cal) -> None:
    design = select_anchors(small_cal.params, calibration_abilities(small_cal.params, small_cal.matrix.values,
                                                                    small_cal.fit.quadrature), 10)
    assert len(set(design.items.tolist())) == len(design.items) <= 10
    assert design.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_held_out_rows_are_estimated_within_their_intervals(small_cal, math500, strategy) -> None:
    check = check_estimators(small_cal, strategy, 24)
    design = design_for(small_cal, strategy, 24)
    covered, errors = [], []
    for i in range(80, 100):
        full = math500.values[i, :120]
        est = simulate_subset(small_cal, full, strategy, 24, check=check, design=design, estimator=Estimator.GPIRT,
                              seed=i)
        assert 0 <= est.ci_low <= est.accuracy <= est.ci_high <= 1 and len(est.items_used) == 24
        covered.append(est.ci_low <= full.mean() <= est.ci_high)
        errors.append(abs(est.accuracy - full.mean()))
    assert np.mean(covered) >= 0.8
    assert np.mean(errors) < 0.08
