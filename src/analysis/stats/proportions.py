"""Proportions, their intervals, and small-number suppression.

Shared by every analysis that publishes a percentage (themes, change over
time, reach) so that one interval method and one suppression rule apply
everywhere. :func:`suppress` and :func:`is_suppressed` are the primary rule only
(a base of 1..threshold-1 is blanked); tables that are published pass through the
disclosure layer, :mod:`analysis.present.disclosure`, which adds secondary
suppression within and across the linked tables of a report, the HES 2018 rule
and the quote policy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint


def wilson_ci(
    positives: np.ndarray | pd.Series | float,
    base: np.ndarray | pd.Series | float,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, vectorised.

    Parameters
    ----------
    positives, base
        Counts (weighted counts are allowed; pass the effective base for weighted data).
    alpha
        1 - confidence level.

    Returns
    -------
    (low, high)
        Proportions in [0, 1]; NaN where ``base`` is 0.
    """
    pos = np.asarray(positives, dtype=float)
    n = np.asarray(base, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    safe_pos = np.where(n > 0, pos, 0.0)
    low, high = proportion_confint(safe_pos, safe_n, alpha=alpha, method="wilson")
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def is_suppressed(base: pd.Series | np.ndarray | int, threshold: int) -> np.ndarray:
    """True where a count is too small to publish (``0 < base < threshold``, or missing).

    Zero is not suppressed: "nobody" reveals nothing about an individual.
    """
    n = pd.to_numeric(pd.Series(np.atleast_1d(base)), errors="coerce")
    return ((n > 0) & (n < threshold) | n.isna()).to_numpy()


def suppress(
    table: pd.DataFrame,
    base_column: str,
    threshold: int,
    value_columns: list[str] | None = None,
) -> pd.DataFrame:
    """Blank out every value in rows whose base is under the threshold.

    Parameters
    ----------
    table
        Any published table.
    base_column
        Column holding the number of people behind each row.
    threshold
        Smallest base that may be published.
    value_columns
        Columns to blank; all numeric columns (including the base) by default.

    Returns
    -------
    pd.DataFrame
        A copy with the values set to missing and a boolean ``suppressed`` column.
    """
    out = table.copy()
    mask = is_suppressed(out[base_column], threshold)
    cols = value_columns if value_columns is not None else list(
        out.select_dtypes(include="number").columns
    )
    for col in cols:
        out[col] = out[col].astype("Float64") if pd.api.types.is_numeric_dtype(out[col]) else out[col]
        out.loc[mask, col] = pd.NA
    out["suppressed"] = mask
    return out
