"""Calibration of the change tests by seeded simulation.

Each simulated dataset is one "item" in a single cells table, so the public
:func:`analysis.change.over_time.analyse_change` runs once over hundreds of datasets.
Raw (unadjusted) p-values are used: every simulated item is its own experiment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.change import over_time as change

ALPHA = 0.05


def _simulate(rng: np.random.Generator, n_sets: int, probs: list[float], bases: list[int]) -> pd.DataFrame:
    rows = []
    for k in range(n_sets):
        for wave, (p, n) in enumerate(zip(probs, bases, strict=False), start=2020):
            rows.append({"item": f"sim{k:04d}", "wave": wave, "positives": int(rng.binomial(n, p)), "base": n})
    cells, _ = change.cells_from_aggregate(pd.DataFrame(rows), wave_column="wave", base_column="base",
                                           positives_column="positives", item_column="item")
    return cells


def _rejection_rate(results: pd.DataFrame, test: str) -> float:
    p = results.loc[results["test"] == test, "p_value"].dropna()
    assert len(p) > 0
    return float((p < ALPHA).mean())


@pytest.fixture(scope="module")
def null_results() -> pd.DataFrame:
    rng = np.random.default_rng(20251123)
    cells = _simulate(rng, 600, probs=[0.75] * 5, bases=[180, 150, 210, 160, 190])
    return change.analyse_change(cells, threshold=10, baseline_wave=2020).results


@pytest.mark.parametrize("test", ["diff_previous", "diff_baseline", "trend_logit"])
def test_false_positive_rate_without_true_change(null_results, test):
    rate = _rejection_rate(null_results, test)
    assert 0.03 <= rate <= 0.07, f"{test}: false-positive rate {rate:.3f}"


def test_small_samples_switch_to_fisher_and_stay_conservative():
    rng = np.random.default_rng(7)
    cells = _simulate(rng, 500, probs=[0.9, 0.9], bases=[20, 25])
    res = change.analyse_change(cells, threshold=10).results
    diffs = res[res["test"] == "diff_previous"]
    assert diffs["method"].str.startswith("Fisher").mean() > 0.9
    assert _rejection_rate(res, "diff_previous") <= 0.07


def test_design_effect_adjustment_keeps_the_level_with_weights():
    rng = np.random.default_rng(99)
    n, sets, p = 150, 400, 0.7
    rows = []
    for k in range(sets):
        for wave in (2024, 2025):
            # Weights unrelated to the answer: Kish's design effect is the right correction.
            w = rng.lognormal(0, 0.8, n)
            y = rng.random(n) < p
            rows.append(pd.DataFrame({"item": f"sim{k:04d}", "group": "all", "wave": wave, "respondent": np.arange(n).astype(str),
                                      "person": pd.NA, "score": np.nan, "excluded": False, "dont_know": False,
                                      "positive": y.astype(float), "weight": w}))
    answers = pd.concat(rows, ignore_index=True)
    cells = change.count_cells(answers)
    res = change.analyse_change(cells, threshold=10).results
    adjusted = _rejection_rate(res, "diff_previous")
    # The same comparisons ignoring the design effect (weighted % on the raw n) reject too often.
    est = change.estimate_cells(cells, threshold=10).sort_values(["item", "wave"])
    a, b = est[est["wave"] == 2025], est[est["wave"] == 2024]
    naive = change.compare_proportions(a["p_hat"].to_numpy() * n, np.full(len(a), n),
                                       b["p_hat"].to_numpy() * n, np.full(len(b), n))
    naive_rate = float((naive["p_value"] < ALPHA).mean())
    assert 0.03 <= adjusted <= 0.07, f"design-effect adjusted rate {adjusted:.3f}"
    assert naive_rate > adjusted + 0.03, f"naive {naive_rate:.3f} vs adjusted {adjusted:.3f}"


def test_power_with_planted_change_matches_analytic_power():
    rng = np.random.default_rng(2025)
    p1, p2, n1, n2 = 0.70, 0.80, 200, 220
    cells = _simulate(rng, 1000, probs=[p1, p2], bases=[n1, n2])
    simulated = _rejection_rate(change.analyse_change(cells, threshold=10).results, "diff_previous")
    analytic = float(change.power_two_proportions(p1, p2, n1, n2, alpha=ALPHA))
    assert simulated == pytest.approx(analytic, abs=0.04), f"simulated {simulated:.3f}, analytic {analytic:.3f}"


def test_minimum_detectable_difference_has_the_stated_power_in_simulation():
    rng = np.random.default_rng(31)
    p, n = 0.86, 180
    mdd = float(change.minimum_detectable_difference(p, n, n)[()]) / 100
    cells = _simulate(rng, 1000, probs=[p, p - mdd], bases=[n, n])
    simulated = _rejection_rate(change.analyse_change(cells, threshold=10).results, "diff_previous")
    assert simulated == pytest.approx(0.80, abs=0.04), f"simulated power {simulated:.3f} at MDD {100 * mdd:.1f} pp"
