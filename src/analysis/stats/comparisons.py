"""Two-proportion comparisons: difference, Newcombe interval and test (z or Fisher's exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["FISHER_MIN_EXPECTED", "compare_proportions"]

#: Below this expected count in any cell, Fisher's exact test replaces the z-test.
FISHER_MIN_EXPECTED = 5.0


def compare_proportions(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, *, alpha: float = 0.05,
) -> pd.DataFrame:
    """Difference ``x1/n1 - x2/n2`` with a Newcombe interval and a test, vectorised.

    The interval is Newcombe's hybrid score interval (1998, method 10) from
    statsmodels. The test is the pooled two-proportion z-test, or Fisher's
    exact test when an expected count is under 5. Effective (weighted) counts
    may be passed: the z-test on effective bases is the design-effect adjusted
    test; Fisher's test then uses counts rounded to whole people.

    Returns
    -------
    pd.DataFrame
        ``estimate, ci_low, ci_high`` (proportions), ``p_value``, ``method``.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    ok = (n1 > 0) & (n2 > 0)
    s1, s2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    p1, p2 = x1 / s1, x2 / s2
    low, high = confint_proportions_2indep(x1, s1, x2, s2, method="newcomb", compare="diff", alpha=alpha)
    pooled = (x1 + x2) / (s1 + s2)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / s1 + 1 / s2))
        z = np.where(se > 0, (p1 - p2) / se, 0.0)
    p_value = 2 * stats.norm.sf(np.abs(z))
    expected = np.minimum.reduce([s1 * pooled, s1 * (1 - pooled), s2 * pooled, s2 * (1 - pooled)])
    use_fisher = ok & (expected < FISHER_MIN_EXPECTED)
    method = np.where(use_fisher, "Fisher's exact test", "two-proportion z-test").astype(object)
    for i in np.flatnonzero(use_fisher):
        a, b = round(x1[i]), round(x2[i])
        table = [[a, round(n1[i]) - a], [b, round(n2[i]) - b]]
        p_value[i] = stats.fisher_exact(table, alternative="two-sided").pvalue
    nan = np.where(ok, 1.0, np.nan)
    return pd.DataFrame({"estimate": (p1 - p2) * nan, "ci_low": np.asarray(low) * nan,
                         "ci_high": np.asarray(high) * nan, "p_value": p_value * nan, "method": method})
