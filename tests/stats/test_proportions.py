"""Shared proportion helpers: Wilson intervals and small-number suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.proportions import is_suppressed, suppress, wilson_ci


def test_wilson_matches_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I: 81/263 -> 0.2553 to 0.3662
    low, high = wilson_ci(81, 263)
    assert round(float(low[()]), 4) == 0.2553 and round(float(high[()]), 4) == 0.3662


def test_wilson_edges_and_vectorised() -> None:
    low, high = wilson_ci(np.array([0, 10, 5]), np.array([10, 10, 0]))
    assert low[0] == 0 and high[0] > 0.25  # 0/10 still has a sensible upper bound
    assert high[1] == 1 and low[1] < 0.75
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_is_suppressed_rule() -> None:
    assert is_suppressed(pd.Series([0, 1, 9, 10, 11, None]), 10).tolist() == [False, True, True, False, False, True]


def test_suppress_blanks_values_but_keeps_labels() -> None:
    table = pd.DataFrame({"group": ["Staff", "Carers"], "n": [40, 6], "pct": [55.0, 83.3]})
    out = suppress(table, "n", 10)
    assert out.loc[0, "pct"] == 55.0 and out.loc[1, "group"] == "Carers"
    assert pd.isna(out.loc[1, "pct"]) and pd.isna(out.loc[1, "n"])
    assert out["suppressed"].tolist() == [False, True]
    assert table.loc[1, "n"] == 6, "the input is not modified"
