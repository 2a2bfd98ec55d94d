"""Change over time, step 4: one verdict per comparison, from one method, within a defined family.

The design (stated for the methods page by :func:`methods_text`):

* **The family.** Every comparison the plain-English sentences can turn into a
  claim is one test of the family: for every item of a family (config items'
  ``family``; one family when none is set) and every group, the change since the
  previous wave, the change since the baseline wave, the trend the sentences quote
  (GEE where it was estimated, otherwise the logistic trend), and, per item, the
  difference between groups and the difference in their trends (plus any other test
  in :data:`~analysis.change.contract.CLAIM_TESTS`). A single-item run is a family of
  that item's claims. Only comparisons that are published count (suppressed rows can
  make no claim). The size ``m`` is in the ``family_size`` column.
* **The adjustment and the interval are the same procedure.** Bonferroni: the
  adjusted p is ``min(1, m p)`` and the interval printed with a claim is the
  ``1 - alpha / m`` interval (``ci_low_adj``, ``ci_high_adj``), which covers all
  ``m`` true values at once with probability at least ``1 - alpha`` (simultaneous
  intervals). Holm would reject a little more often, but it has no interval that
  matches it, so a Holm verdict could contradict the interval beside it; Holm and
  Benjamini-Hochberg values over the same family stay in ``p_holm`` and ``p_bh``
  for information.
* **The p is the one that inverts the interval.** For differences in percentage
  points the interval is Newcombe's hybrid score interval and the p-value is the
  test that inverts it (:func:`analysis.stats.comparisons.newcombe_p_value`); for
  odds ratios (trends, the interaction with two groups) the interval and the p are
  both Wald on the log-odds scale (the likelihood-ratio p of the interaction stays
  in its note). So at every level the interval excludes no-change exactly when
  ``p`` is below that level: ``verdict`` says "up" or "down" if and only if
  ``ci_low_adj`` and ``ci_high_adj`` are on the same side of 0 (or 1), if and only
  if ``p_adjusted < alpha``.
* **Sensitivity analyses** (the proportional-odds trend, the trend the sentences
  do not quote) are read at the same threshold (``p_adjusted = min(1, m p)`` with
  the family's ``m``) but are not claims and do not enlarge the family. Model
  checks (:data:`~analysis.change.contract.CHECKS`) are not adjusted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from analysis.change.contract import (
    CHECKS,
    CLAIM_TESTS,
    SMALL_CHANGE_PP,
    TESTED,
    TREND_TESTS,
    VERDICT_DIFFERS,
    VERDICT_DOWN,
    VERDICT_NONE,
    VERDICT_UP,
)

#: Tests whose estimate is an odds ratio (interval and p on the log-odds scale).
RATIO_TESTS = ("trend_logit", "gee_trend", "ordinal_trend", "interaction_lrt")
_KEY = ["item", "group", "test", "wave", "comparison_wave"]

#: ``intervals_at(alpha)`` -> difference rows recomputed at level ``1 - alpha`` (``_KEY`` + ci columns).
IntervalsAt = Callable[[float], pd.DataFrame]


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (as ``statsmodels`` ``multipletests(method="holm")``).

    Written out because statsmodels' function runs a full garbage collection on every
    call, which made a simulation with hundreds of families spend most of its time there.
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def quoted_trends(results: pd.DataFrame) -> pd.Series:
    """True on the one trend row per item x group that the sentences quote.

    GEE where a ``gee_trend`` row has an estimate, otherwise ``trend_logit``.
    """
    is_trend = results["test"].isin(TREND_TESTS)
    has_estimate = results["estimate"].notna()
    quoted = pd.Series(False, index=results.index)
    for _, idx in results[is_trend].groupby(["item", "group"], sort=False).groups.items():
        rows = results.loc[idx]
        for test in TREND_TESTS:
            pick = rows.index[(rows["test"] == test).to_numpy() & has_estimate.loc[idx].to_numpy()]
            if len(pick):
                quoted.loc[pick[0]] = True
                break
        else:  # no estimable trend: the logistic row (if any) is the one the sentences mention
            pick = rows.index[rows["test"] == "trend_logit"]
            if len(pick):
                quoted.loc[pick[0]] = True
    return quoted


def repeats_previous(results: pd.DataFrame) -> pd.Series:
    """True on ``diff_baseline`` rows whose baseline is the previous wave (the same comparison twice)."""
    prev = results.loc[results["test"] == "diff_previous", ["item", "group", "wave", "comparison_wave"]]
    keys = set(prev.astype(object).itertuples(index=False, name=None))
    base = results["test"] == "diff_baseline"
    same = results.loc[base, ["item", "group", "wave", "comparison_wave"]].astype(object).apply(tuple, axis=1).isin(keys)
    return pd.Series(False, index=results.index) | same.reindex(results.index, fill_value=False)


def claim_rows(results: pd.DataFrame) -> pd.Series:
    """True on rows the sentences can turn into a claim (published, with a p-value).

    A change since the baseline that is also the change since the previous wave is one
    comparison, counted (and said) once.
    """
    kind = (results["test"].isin(CLAIM_TESTS) & ~repeats_previous(results)) | quoted_trends(results)
    return kind & results["p_value"].notna() & ~results["suppressed"].astype(bool)


def _wald_from_interval(est: np.ndarray, low: np.ndarray, high: np.ndarray, z: float, log: bool):
    """Centre and standard error implied by a Wald interval (on the log scale for odds ratios)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if log:
            est, low, high = np.log(est), np.log(low), np.log(high)
        se = (high - low) / (2 * z)
    return est, se


def adjust_family(results: pd.DataFrame, *, alpha: float = 0.05,
                  intervals_at: IntervalsAt | None = None) -> pd.DataFrame:
    """Family sizes, Bonferroni p, simultaneous intervals and the verdict of every tested row.

    Parameters
    ----------
    results
        Tidy results with ``family`` set and nominal (``1 - alpha``) intervals.
    alpha
        Family-wise error rate.
    intervals_at
        Recomputes the difference rows at another level (so that Newcombe's
        asymmetric interval is exact at ``1 - alpha / m``); rows it does not return
        are rescaled as Wald intervals.

    Returns
    -------
    pd.DataFrame
        ``results`` with ``claim, family_size, p_value`` (for odds ratios, the Wald p of
        the interval), ``p_adjusted, p_holm, p_bh, ci_low_adj, ci_high_adj, verdict``.
    """
    out = results.copy()
    for column in ("p_holm", "p_bh", "p_adjusted", "ci_low_adj", "ci_high_adj", "family_size"):
        out[column] = np.nan
    out["verdict"] = pd.Series(pd.NA, index=out.index, dtype="string")
    z = stats.norm.isf(alpha / 2)
    ratio = out["test"].isin(RATIO_TESTS) & out["estimate"].notna() & out["ci_low"].notna()
    if ratio.any():
        # The p that matches the odds-ratio interval: Wald on the log scale (the interaction's
        # likelihood-ratio p, which could disagree with its interval, moves to the note).
        centre, se = _wald_from_interval(out.loc[ratio, "estimate"].to_numpy(float),
                                         out.loc[ratio, "ci_low"].to_numpy(float),
                                         out.loc[ratio, "ci_high"].to_numpy(float), z, log=True)
        wald_p = np.where(se > 0, 2 * stats.norm.sf(np.abs(centre) / np.where(se > 0, se, 1.0)), np.nan)
        lrt = ratio & (out["test"] == "interaction_lrt") & out["p_value"].notna()
        if lrt.any():
            extra = "likelihood-ratio p = " + out.loc[lrt, "p_value"].map(lambda v: f"{v:.3g}")
            current = out.loc[lrt, "note"].astype("string")
            out.loc[lrt, "note"] = (current.fillna("") + "; " + extra).str.lstrip("; ")
        out.loc[ratio, "p_value"] = wald_p
    out["claim"] = claim_rows(out)
    tested = (out["test"].isin(TESTED) & ~out["test"].isin(CHECKS) & out["p_value"].notna()
              & ~out["suppressed"].astype(bool))
    rows = out[tested]
    if rows.empty:
        return out
    # Vectorised over families (a simulation may hold hundreds): codes, sizes, then one assignment.
    codes, _ = pd.factorize(rows["family"].astype(object).fillna("all items"))
    claims = rows["claim"].to_numpy(bool)
    m = np.maximum(np.bincount(codes, weights=claims.astype(float), minlength=codes.max() + 1), 1.0)[codes]
    p = rows["p_value"].to_numpy(float)
    holm, bh = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for block in np.split(order, bounds):
        block = block[claims[block]]
        if len(block):
            holm[block] = holm_adjust(p[block])
            bh[block] = stats.false_discovery_control(p[block], method="bh")
    low_adj, high_adj = _adjusted_intervals(rows, alpha / m, z, intervals_at)
    out.loc[rows.index, "family_size"] = m
    out.loc[rows.index, "p_adjusted"] = np.minimum(1.0, m * p)
    out.loc[rows.index, "p_holm"] = holm
    out.loc[rows.index, "p_bh"] = bh
    out.loc[rows.index, "ci_low_adj"] = low_adj
    out.loc[rows.index, "ci_high_adj"] = high_adj
    _verdicts(out, tested, alpha)
    return out


def _adjusted_intervals(rows: pd.DataFrame, level_alpha: np.ndarray, z: float,
                        intervals_at: IntervalsAt | None) -> tuple[np.ndarray, np.ndarray]:
    """The ``1 - level_alpha`` interval of every row (NaN where the row has no interval)."""
    low_adj, high_adj = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    est = rows["estimate"].to_numpy(float)
    low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    has_ci = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
    ratio = rows["test"].isin(RATIO_TESTS).to_numpy()
    diff = has_ci & ~ratio
    if diff.any() and intervals_at is not None:
        keys = rows[_KEY].astype({"item": object, "group": object, "test": object}).assign(
            comparison_wave=pd.to_numeric(rows["comparison_wave"], errors="coerce").fillna(-1).astype("int64"),
            wave=pd.to_numeric(rows["wave"], errors="coerce").fillna(-1).astype("int64"),
            _pos=np.arange(len(rows)))
        for level in np.unique(level_alpha[diff]):
            fresh = intervals_at(float(level))
            fresh = fresh[_KEY + ["ci_low", "ci_high"]].astype({"item": object, "group": object, "test": object}).assign(
                comparison_wave=pd.to_numeric(fresh["comparison_wave"], errors="coerce").fillna(-1).astype("int64"),
                wave=pd.to_numeric(fresh["wave"], errors="coerce").fillna(-1).astype("int64"))
            want = keys[diff & (level_alpha == level)]
            merged = want.merge(fresh, on=_KEY, how="left", validate="many_to_one")
            pos = merged["_pos"].to_numpy()
            low_adj[pos] = merged["ci_low"].to_numpy(float)
            high_adj[pos] = merged["ci_high"].to_numpy(float)
    # Anything not recomputed (odds ratios, differences from other methods): a Wald interval
    # widened to the family level, on the log scale for odds ratios.
    todo = has_ci & ~np.isfinite(low_adj)
    scale = stats.norm.isf(level_alpha / 2) / z
    with np.errstate(invalid="ignore", divide="ignore"):
        log_est, log_low, log_high = np.log(est), np.log(low), np.log(high)
        ratio_low = np.exp(log_est - (log_est - log_low) * scale)
        ratio_high = np.exp(log_est + (log_high - log_est) * scale)
    lin_low, lin_high = est - (est - low) * scale, est + (high - est) * scale
    low_adj = np.where(todo, np.where(ratio, ratio_low, lin_low), low_adj)
    high_adj = np.where(todo, np.where(ratio, ratio_high, lin_high), high_adj)
    return low_adj, high_adj


def _verdicts(out: pd.DataFrame, tested: pd.Series, alpha: float) -> None:
    rows = out[tested]
    null = np.where(rows["test"].isin(RATIO_TESTS), 1.0, 0.0)
    low, high = rows["ci_low_adj"].to_numpy(float), rows["ci_high_adj"].to_numpy(float)
    has_ci = np.isfinite(low) & np.isfinite(high)
    verdict = np.where(low > null, VERDICT_UP, np.where(high < null, VERDICT_DOWN, VERDICT_NONE))
    # Without an interval (an interaction over several groups) the adjusted p decides.
    verdict = np.where(has_ci, verdict,
                       np.where(rows["p_adjusted"].to_numpy(float) < alpha, VERDICT_DIFFERS, VERDICT_NONE))
    out.loc[rows.index, "verdict"] = verdict


def family_definition(results: pd.DataFrame) -> list[str]:
    """One line per family: its name, size and what it holds."""
    lines = []
    claims = results[results["claim"].fillna(False).astype(bool)]
    for family, sub in claims.groupby("family", sort=False):
        kinds = sorted(set(sub["test"].map(lambda t: "trend" if t in TREND_TESTS else t)))
        lines.append(f"{family}: {len(sub)} comparisons ({sub['item'].nunique()} item(s) x "
                     f"{sub['group'].nunique()} group(s) or group contrast(s); kinds: {', '.join(kinds)})")
    return lines


def methods_text(results: pd.DataFrame | None = None, *, alpha: float = 0.05) -> str:
    """Methods-page paragraph: the interval method, the test, the family and the adjustment.

    With ``results`` the families and their sizes are stated.
    """
    level = f"{100 * (1 - alpha):g}%"
    text = (
        "Changes and differences in percentage points have Newcombe's hybrid score interval (Newcombe 1998, "
        "method 10), and their p-value is the score test that inverts that interval, so an interval excludes "
        "no change exactly when its p-value is below the interval's level. Trends and the difference in trends "
        "between groups are odds ratios from logistic models (GEE with people as clusters where the same "
        "people answered in several waves), with Wald intervals and the Wald p-value that matches them. "
        "Multiple comparisons are allowed for over a defined family: every comparison the plain-English "
        "statements can make (for every question of a family and every group: the change since the previous "
        "wave, the change since the baseline wave and the trend, or, where a straight line does not describe "
        "the waves, the change between consecutive waves; and, per question, the difference between groups and "
        "the difference in their trends), including runs with a single question. Within a family "
        f"of m comparisons we use Bonferroni's correction: the adjusted p-value is m x p, and the interval "
        f"printed with a statement is the simultaneous {level} interval (each at level 1 - {alpha:g}/m), which "
        f"covers all m true values at once with probability at least {level}. A statement says a figure rose, "
        "fell or differs if and only if that interval excludes no change, which is the same as an adjusted "
        f"p-value below {alpha:g}; otherwise it says there is no evidence of a change, which is not evidence that "
        f"nothing changed. Clear changes smaller than {SMALL_CHANGE_PP:g} percentage points are called small but "
        "clear. "
        "Sensitivity analyses (the proportional-odds model, the trend not quoted) are read at the same "
        "threshold but are not statements. Percentages themselves have Wilson score intervals at the "
        f"{level} level, not adjusted."
    )
    if results is not None and "claim" in results.columns:
        lines = family_definition(results)
        if lines:
            text += " Families in this report: " + "; ".join(lines) + "."
    return text
