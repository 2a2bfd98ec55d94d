"""Power and minimum detectable differences for comparisons of two proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["minimum_detectable_difference", "power_two_proportions"]


def minimum_detectable_difference(
    p: np.ndarray | pd.Series | float,
    n_current: np.ndarray | pd.Series | float,
    n_next: np.ndarray | pd.Series | float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> np.ndarray:
    """Smallest change (percentage points) a next wave would detect with the given power.

    Uses Cohen's arcsine effect size ``h`` for a two-sided two-sample test,
    ``h = (z_{1-alpha/2} + z_power) * sqrt(1/n1 + 1/n2)``, turned back into
    percentage points around the current proportion. The larger of the
    upward and downward changes is reported, so any change at least this big,
    in either direction, has at least the stated power.

    Parameters
    ----------
    p
        Current proportion (0-1).
    n_current, n_next
        Current base and the expected next base (effective bases for weighted data).
    alpha, power
        Two-sided significance level and desired power.

    Returns
    -------
    np.ndarray
        Percentage points; NaN where a base is 0 or no change of that size is possible.
    """
    p = np.asarray(p, dtype=float)
    n1 = np.asarray(n_current, dtype=float)
    n2 = np.asarray(n_next, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        h = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * np.sqrt(1 / n1 + 1 / n2)
        phi = np.arcsin(np.sqrt(np.clip(p, 0, 1)))
        up_angle = phi + h / 2
        down_angle = phi - h / 2
        up = np.where(up_angle <= np.pi / 2, np.sin(up_angle) ** 2 - p, np.nan)
        down = np.where(down_angle >= 0, p - np.sin(down_angle) ** 2, np.nan)
        mdd = np.fmax(up, down)
    mdd = np.where((n1 > 0) & (n2 > 0) & np.isfinite(p), mdd, np.nan)
    return 100 * mdd


def power_two_proportions(p1: float | np.ndarray, p2: float | np.ndarray, n1: float | np.ndarray,
                          n2: float | np.ndarray, *, alpha: float = 0.05) -> np.ndarray:
    """Analytic power of the two-sided pooled two-proportion z-test.

    ``Phi((|p1 - p2| - z * sqrt(pbar qbar (1/n1 + 1/n2))) / sqrt(p1 q1 / n1 + p2 q2 / n2))``
    (Fleiss, Levin & Paik, *Statistical Methods for Rates and Proportions*, 3rd ed., 4.2),
    ignoring the negligible opposite tail.
    """
    p1, p2, n1, n2 = (np.asarray(x, dtype=float) for x in (p1, p2, n1, n2))
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    z = stats.norm.ppf(1 - alpha / 2)
    null_sd = np.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    alt_sd = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return stats.norm.cdf((np.abs(p1 - p2) - z * null_sd) / alt_sd)
