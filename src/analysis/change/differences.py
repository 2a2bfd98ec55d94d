"""Change over time, step 2: per-cell estimates and two-wave / two-group differences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.change.contract import (
    ALL_GROUPS,
    _empty_results,
)
from analysis.stats.comparisons import compare_proportions
from analysis.stats.power import minimum_detectable_difference
from analysis.stats.proportions import is_suppressed, wilson_ci


# --------------------------------------------------------------------------- estimates
def estimate_cells(cells: pd.DataFrame, *, threshold: int, alpha: float = 0.05,
                   power: float = 0.8) -> pd.DataFrame:
    """% positive with a Wilson interval, design effect and minimum detectable difference.

    Parameters
    ----------
    cells
        From :func:`count_cells` or :func:`cells_from_aggregate`.
    threshold
        Smallest publishable base (config ``suppression_threshold``).
    alpha, power
        Interval level (1 - alpha) and power for the minimum detectable difference.

    Returns
    -------
    pd.DataFrame
        ``cells`` plus ``pct, ci_low, ci_high`` (percent), ``deff`` and ``mdd_pp``,
        ``suppressed`` and ``secondary`` (a pooled cell hidden because one of its groups
        is). Values are kept; publishing functions blank them.
    """
    out = cells.copy()
    neff = out["effective_n"].astype(float)
    p = out["p_hat"].astype(float)
    low, high = wilson_ci(p * neff, neff, alpha=alpha)
    out["pct"] = 100 * p
    out["ci_low"] = 100 * low
    out["ci_high"] = 100 * high
    with np.errstate(invalid="ignore", divide="ignore"):
        out["deff"] = np.where(neff > 0, out["base"] / neff, np.nan)
    out["mdd_pp"] = minimum_detectable_difference(p, neff, neff, alpha=alpha, power=power)
    out["suppressed"] = is_suppressed(out["base"].to_numpy(), threshold)
    # Secondary suppression: a pooled cell minus the shown groups would reveal a hidden
    # group, so the pooled cell is hidden whenever one of its groups is.
    hidden_groups = out[(out["group"] != ALL_GROUPS) & out["suppressed"]][["item", "wave"]].drop_duplicates()
    pooled = out["group"] == ALL_GROUPS
    key = pd.MultiIndex.from_frame(out[["item", "wave"]].astype(object))
    out["secondary"] = pooled.to_numpy() & key.isin(list(hidden_groups.itertuples(index=False, name=None))) \
        & ~out["suppressed"].to_numpy()
    out["suppressed"] = out["suppressed"] | out["secondary"]
    return out


def _wave_pairs(est: pd.DataFrame, latest: int | None, baseline: int | None) -> pd.DataFrame:
    """Latest, previous and baseline wave of each item x group series with data."""
    rows = []
    for (item, group), series in est[est["base"] > 0].groupby(["item", "group"], sort=False):
        waves = sorted(series["wave"].unique())
        last = latest if latest is not None else waves[-1]
        if last not in waves:
            continue
        earlier = [w for w in waves if w < last]
        rows.append({"item": item, "group": group, "wave": last,
                     "previous": earlier[-1] if earlier else pd.NA,
                     "baseline": baseline if baseline in earlier else pd.NA})
    return pd.DataFrame(rows, columns=["item", "group", "wave", "previous", "baseline"])


def wave_differences(est: pd.DataFrame, *, latest_wave: int | None = None,
                     baseline_wave: int | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Latest wave against the previous and the baseline wave, per item x group.

    Parameters
    ----------
    est
        From :func:`estimate_cells`.
    latest_wave
        Wave to compare from; default the last wave with data in each series.
    baseline_wave
        Configured baseline; no baseline rows where it is absent or is the latest wave.
    alpha
        1 - interval level.

    Returns
    -------
    pd.DataFrame
        Result rows (``diff_previous``, ``diff_baseline``), estimate in percentage points.
    """
    pairs = _wave_pairs(est, latest_wave, baseline_wave)
    key = est.set_index(["item", "group", "wave"])
    frames = []
    for test, column in (("diff_previous", "previous"), ("diff_baseline", "baseline")):
        sub = pairs.dropna(subset=[column])
        if sub.empty:
            continue
        a = key.loc[list(zip(sub["item"], sub["group"], sub["wave"], strict=False))]
        b = key.loc[list(zip(sub["item"], sub["group"], sub[column].astype(int), strict=False))]
        frames.append(_difference_rows(a, b, test, sub["item"], sub["group"], sub["wave"],
                                       sub[column].astype(int), alpha))
    return pd.concat(frames, ignore_index=True) if frames else _empty_results()


def _difference_rows(a: pd.DataFrame, b: pd.DataFrame, test: str, items, groups, waves, other_waves,
                     alpha: float) -> pd.DataFrame:
    weighted = a["weighted"].to_numpy() | b["weighted"].to_numpy()
    na, nb = a["effective_n"].to_numpy(float), b["effective_n"].to_numpy(float)
    res = compare_proportions(a["p_hat"].to_numpy(float) * na, na, b["p_hat"].to_numpy(float) * nb, nb,
                              alpha=alpha)
    method = np.where(weighted, res["method"] + ", design-effect adjusted (Kish effective n); "
                      "Newcombe interval", res["method"] + "; Newcombe hybrid score interval")
    return pd.DataFrame({
        "item": np.asarray(items), "group": np.asarray(groups), "wave": np.asarray(waves),
        "comparison_wave": np.asarray(other_waves), "test": test,
        "estimate": 100 * res["estimate"].to_numpy(), "ci_low": 100 * res["ci_low"].to_numpy(),
        "ci_high": 100 * res["ci_high"].to_numpy(), "p_value": res["p_value"].to_numpy(),
        "n": a["base"].to_numpy() + b["base"].to_numpy(),
        "effective_n": np.where(weighted, na + nb, np.nan),
        "method": method,
        "suppressed": a["suppressed"].to_numpy() | b["suppressed"].to_numpy(),
    })


def group_differences(est: pd.DataFrame, groups: Sequence[str], *, latest_wave: int | None = None,
                      alpha: float = 0.05) -> pd.DataFrame:
    """First group minus second group in the latest wave (only for exactly two groups)."""
    if len(groups) != 2:
        return _empty_results()
    first, second = groups
    latest = est.groupby("item")["wave"].max() if latest_wave is None else None
    key = est.set_index(["item", "group", "wave"])
    rows_a, rows_b, items, waves = [], [], [], []
    for item in est["item"].unique():
        wave = latest_wave if latest_wave is not None else int(latest[item])
        ka, kb = (item, first, wave), (item, second, wave)
        if ka in key.index and kb in key.index:
            rows_a.append(ka)
            rows_b.append(kb)
            items.append(item)
            waves.append(wave)
    if not items:
        return _empty_results()
    out = _difference_rows(key.loc[rows_a], key.loc[rows_b], "diff_groups", items,
                           [f"{first} vs {second}"] * len(items), waves, waves, alpha)
    out["comparison_wave"] = pd.NA
    return out
