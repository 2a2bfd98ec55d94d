"""Power and minimum detectable differences against R's power.prop.test (committed fixture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats.power import minimum_detectable_difference, power_two_proportions

#: Written by tests/fixtures/r/power_prop_test.R (R 4.2.2); the tests never run R.
R_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "r" / "power_prop_test.csv"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(R_FIXTURE)


def test_fixture_covers_the_extremes(reference):
    assert {0.02, 1.0} <= set(reference["p"]) and reference["n"].min() <= 33
    assert reference["r_version"].str.startswith("R version").all()


def test_minimum_detectable_difference_agrees_with_r_to_one_percent(reference):
    for (alpha, power), grid in reference.groupby(["sig_level", "power"]):
        mine = minimum_detectable_difference(grid["p"], grid["n"], grid["n"], alpha=alpha, power=power) / 100
        expected = np.fmax(grid["up"], grid["down"]).to_numpy()
        # Both sides agree on where no change can reach the power.
        assert (np.isnan(mine) == np.isnan(expected)).all()
        ok = ~np.isnan(expected)
        np.testing.assert_allclose(mine[ok], expected[ok], rtol=0.01)


def test_all_positive_with_33_answers_needs_a_fall_of_about_21_points(reference):
    row = reference[(reference["p"] == 1) & (reference["n"] == 33) & (reference["power"] == 0.8)
                    & (reference["sig_level"] == 0.05)].iloc[0]
    mdd = float(minimum_detectable_difference(1.0, 33, 33)[()])
    assert mdd == pytest.approx(100 * row["down"], rel=0.01)
    assert mdd == pytest.approx(20.6, abs=0.05)  # the arcsine shortcut gave 11.4


def test_power_formula_is_power_prop_test_at_the_detectable_difference(reference):
    grid = reference[reference["up"].notna()]
    power = power_two_proportions(grid["p"], grid["p"] + grid["up"], grid["n"], grid["n"], alpha=grid["sig_level"])
    np.testing.assert_allclose(power, grid["power"], atol=1e-6)


def test_no_base_or_impossible_changes_give_nan():
    out = minimum_detectable_difference([0.5, 0.5, np.nan], [0, 100, 100], [100, 0, 100])
    assert np.isnan(out).all()
    # Equal proportions at the bounds: nothing can differ, so the power is the test's size.
    assert power_two_proportions(1.0, 1.0, 50, 50)[()] == pytest.approx(0.025)
