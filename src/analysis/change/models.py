"""Change over time, step 3: models across waves (logit trend, group x wave LRT, proportional odds, GEE)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.change.contract import (
    ALL_GROUPS,
    MAX_LOGIT_SE,
    MIN_REPEATED_FOR_EXCHANGEABLE,
)


# --------------------------------------------------------------------------- models
def _centre(waves: np.ndarray) -> tuple[np.ndarray, float]:
    centre = float(np.mean(np.unique(waves)))
    return waves.astype(float) - centre, centre


def _fit_glm(success: np.ndarray, failure: np.ndarray, design: np.ndarray):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(np.column_stack([success, failure]), design,
                            family=sm.families.Binomial()).fit()
        except Exception:  # perfect separation or a singular design: no estimate
            return None
    # A wave where everyone (or no one) answered positively pushes the estimate to
    # infinity; a huge standard error is the sign, and no estimate is the honest answer.
    if not np.all(np.isfinite(result.bse)) or np.max(np.abs(result.bse)) > MAX_LOGIT_SE:
        return None
    return result


def trend_logit(est: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Binomial GLM of positive on wave (as a number), per item x group.

    Cells are the data (successes and failures per wave), which is exactly the
    respondent-level logistic regression when there are no weights; with
    weights, effective counts make it design-effect adjusted.

    Returns
    -------
    pd.DataFrame
        ``trend_logit`` rows: estimate = odds ratio per unit of wave, Wald interval
        and p-value.
    """
    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    for (item, group), cells in est[est["effective_n"] > 0].groupby(["item", "group"], sort=False):
        waves = cells["wave"].to_numpy()
        row = {"item": item, "group": group, "wave": int(waves.max()), "comparison_wave": int(waves.min()),
               "test": "trend_logit", "n": int(cells["base"].sum()),
               "positives": int(cells["positives"].sum()),
               "method": "binomial GLM (logit), wave as a number"}
        weighted = bool(cells["weighted"].any())
        if weighted:
            row["effective_n"] = float(cells["effective_n"].sum())
            row["method"] += ", design-effect adjusted (Kish effective counts)"
        if len(np.unique(waves)) < 2:
            row["note"] = "only one wave with answers"
            rows.append(row)
            continue
        x, _ = _centre(waves)
        succ = (cells["p_hat"] * cells["effective_n"]).to_numpy(float)
        fail = cells["effective_n"].to_numpy(float) - succ
        result = _fit_glm(succ, fail, np.column_stack([np.ones_like(x), x]))
        if result is None:
            row["note"] = "not estimable: a wave where all or no answers were positive"
        else:
            beta, se = result.params[1], result.bse[1]
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=float(result.pvalues[1]))
        rows.append(row)
    return pd.DataFrame(rows)


def interaction_lrt(est: pd.DataFrame, groups: Sequence[str], *, alpha: float = 0.05) -> pd.DataFrame:
    """Does the trend differ between groups? Likelihood-ratio test of group x wave.

    Compares ``logit P = a_g + b wave`` with ``logit P = a_g + b_g wave`` on the
    group cells (groups with at least two waves). With two groups the estimate is
    the ratio of the second group's odds ratio per wave to the first group's.
    """
    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    for item, cells in est[(est["group"].isin(list(groups))) & (est["effective_n"] > 0)].groupby("item", sort=False):
        usable = [g for g in groups if cells.loc[cells["group"] == g, "wave"].nunique() >= 2]
        cells = cells[cells["group"].isin(usable)]
        row = {"item": item, "group": ALL_GROUPS, "test": "interaction_lrt",
               "wave": int(cells["wave"].max()) if len(cells) else pd.NA,
               "comparison_wave": int(cells["wave"].min()) if len(cells) else pd.NA,
               "n": int(cells["base"].sum()),
               "method": f"likelihood-ratio test of group x wave ({', '.join(usable)})"}
        if len(usable) < 2:
            row["note"] = "fewer than two groups with two or more waves"
            rows.append(row)
            continue
        x, _ = _centre(cells["wave"].to_numpy())
        dummies = np.column_stack([(cells["group"] == g).to_numpy(float) for g in usable[1:]])
        base = np.column_stack([np.ones_like(x), x, dummies])
        full = np.column_stack([base, dummies * x[:, None]])
        succ = (cells["p_hat"] * cells["effective_n"]).to_numpy(float)
        fail = cells["effective_n"].to_numpy(float) - succ
        reduced_fit, full_fit = _fit_glm(succ, fail, base), _fit_glm(succ, fail, full)
        if reduced_fit is None or full_fit is None:
            row["note"] = "model could not be estimated"
        else:
            lr = max(2 * (full_fit.llf - reduced_fit.llf), 0.0)
            df = len(usable) - 1
            row.update(p_value=float(stats.chi2.sf(lr, df)), statistic=lr)
            if df == 1:
                beta, se = full_fit.params[-1], full_fit.bse[-1]
                row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se))
                row["method"] += f"; estimate = odds ratio per wave, {usable[1]} / {usable[0]}"
        rows.append(row)
    return pd.DataFrame(rows)


def _with_pooled(answers: pd.DataFrame, hidden: set[tuple] | None = None) -> pd.DataFrame:
    """Valid answers per group plus the pooled group, without suppressed cells."""
    valid = answers[~answers["excluded"]]
    if set(valid["group"].dropna()) != {ALL_GROUPS}:
        valid = pd.concat([valid, valid.assign(group=ALL_GROUPS)], ignore_index=True)
    if hidden:
        keys = pd.MultiIndex.from_frame(valid[["item", "group", "wave"]].astype(object))
        valid = valid[~keys.isin(list(hidden))]
    return valid


def ordinal_trend(answers: pd.DataFrame, *, alpha: float = 0.05,
                  hidden: set[tuple] | None = None) -> pd.DataFrame:
    """Proportional-odds model of the full Likert scale on wave, per item x group.

    A sensitivity analysis for the dichotomised trend: it uses every level of
    the scale. Unweighted (statsmodels ``OrderedModel``, logit link). ``hidden`` holds
    (item, group, wave) cells left out because they are suppressed.

    Returns
    -------
    pd.DataFrame
        ``ordinal_trend`` rows: estimate = cumulative odds ratio per unit of wave
        (above 1: answers move up the scale over time).
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    data = _with_pooled(answers, hidden).dropna(subset=["score"])
    for (item, group), sub in data.groupby(["item", "group"], sort=False):
        waves = sub["wave"].to_numpy()
        row = {"item": item, "group": group, "test": "ordinal_trend", "wave": int(waves.max()),
               "comparison_wave": int(waves.min()), "n": len(sub),
               "method": "proportional-odds model (OrderedModel, logit), wave as a number, unweighted"}
        if len(np.unique(waves)) < 2 or sub["score"].nunique() < 2:
            row["note"] = "needs two waves and two answer levels"
            rows.append(row)
            continue
        x, _ = _centre(waves)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = OrderedModel(sub["score"].astype(int).to_numpy(), x[:, None], distr="logit").fit(
                    method="bfgs", disp=False, maxiter=200)
                beta, se, p = float(fit.params[0]), float(fit.bse[0]), float(fit.pvalues[0])
            except Exception:  # singular information matrix etc.
                beta = se = p = np.nan
        if np.isfinite(se):
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=p)
        else:
            row["note"] = "model could not be estimated"
        rows.append(row)
    return pd.DataFrame(rows)


def has_repeated_respondents(answers: pd.DataFrame) -> bool:
    """True when some persistent id answers the same item in more than one wave."""
    valid = answers[~answers["excluded"] & answers["person"].notna()]
    if valid.empty:
        return False
    return bool((valid.groupby(["item", "person"])["wave"].nunique() > 1).any())


def gee_trend(answers: pd.DataFrame, *, alpha: float = 0.05,
              hidden: set[tuple] | None = None) -> pd.DataFrame:
    """Logistic GEE of positive on wave with respondents as clusters (exchangeable).

    People without a persistent id are their own cluster. Robust (sandwich)
    standard errors allow for the same person answering in several waves.
    Unweighted. ``hidden`` holds (item, group, wave) cells left out because they
    are suppressed.
    """
    import statsmodels.api as sm

    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    data = _with_pooled(answers, hidden)
    for (item, group), sub in data.groupby(["item", "group"], sort=False):
        waves = sub["wave"].to_numpy()
        cluster = sub["person"].fillna("row:" + sub["respondent"].astype("string"))
        row = {"item": item, "group": group, "test": "gee_trend", "wave": int(waves.max()),
               "comparison_wave": int(waves.min()), "n": len(sub), "positives": int(sub["positive"].sum()),
               "method": "logistic GEE, exchangeable, respondents as clusters, robust SE, unweighted",
               "note": f"{int(cluster.duplicated().sum())} repeat answers from people seen in more than one wave"}
        if len(np.unique(waves)) < 2:
            rows.append(row)
            continue
        x, _ = _centre(waves)
        codes = pd.factorize(cluster)[0]
        order = np.argsort(codes, kind="stable")
        repeated = int((np.bincount(codes) > 1).sum())
        # With a handful of repeated people the exchangeable correlation is estimated from
        # a few pairs and can swing towards 1, making the fit rest on those few people;
        # independence working correlation with robust SEs is then the stable choice.
        exchangeable = repeated >= MIN_REPEATED_FOR_EXCHANGEABLE
        if not exchangeable:
            row["method"] = row["method"].replace(
                "exchangeable", f"independence working correlation (fewer than "
                f"{MIN_REPEATED_FOR_EXCHANGEABLE} repeated people)")
        cov_struct = sm.cov_struct.Exchangeable() if exchangeable else sm.cov_struct.Independence()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = sm.GEE(sub["positive"].to_numpy(float)[order], np.column_stack([np.ones_like(x), x])[order],
                             groups=codes[order], family=sm.families.Binomial(),
                             cov_struct=cov_struct).fit()
                beta, se, p = float(fit.params[1]), float(fit.bse[1]), float(fit.pvalues[1])
            except Exception:  # non-convergence: report no estimate rather than a wrong one
                beta = se = p = np.nan
        if np.isfinite(se) and se > 0:
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=p)
        else:
            row["note"] = "model could not be estimated"
        rows.append(row)
    return pd.DataFrame(rows)
