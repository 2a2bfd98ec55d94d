"""Change over time, step 3: models across waves and the checks that gate them.

Logit trend, step-vs-slope check, group x wave LRT, proportional odds with its Brant
test, and GEE. Every trend can be broken where the question wording or the survey
method changed (``breaks``): the model then has a step at that wave and the slope is
estimated within the waves on each side. Models of the pooled group ``"all"`` on
respondent-level answers include the group as a covariate, so that a change in who
answered is not read as a trend (the same fair pooling as the standardised cells).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.change.contract import (
    ALL_GROUPS,
    MAX_LOGIT_SE,
    MIN_REPEATED_FOR_EXCHANGEABLE,
    POOLED_GROUPS,
)

NOT_ESTIMABLE = "not estimable: a wave where all or no answers were positive"


# --------------------------------------------------------------------------- design
def _centre(waves: np.ndarray) -> tuple[np.ndarray, float]:
    centre = float(np.mean(np.unique(waves)))
    return waves.astype(float) - centre, centre


def _item_breaks(item, waves: np.ndarray, breaks: Mapping[str, Sequence[int]] | None,
                 cells: pd.DataFrame | None = None) -> list[int]:
    """Waves inside this series from which a new wording or method applies."""
    found = set((breaks or {}).get(item, ()))
    if cells is not None and "series_break" in cells.columns:
        found |= set(cells.loc[cells["series_break"].fillna(False).astype(bool), "wave"].astype(int))
    lo, hi = np.min(waves), np.max(waves)
    return sorted(int(b) for b in found if lo < b <= hi)


def _trend_design(waves: np.ndarray, cuts: Sequence[int]) -> np.ndarray:
    """Intercept, centred wave and one step per break (1 from the break's wave on)."""
    x, _ = _centre(waves)
    columns = [np.ones_like(x), x] + [(waves >= b).astype(float) for b in cuts]
    return np.column_stack(columns)


def _slope_estimable(waves: np.ndarray, cuts: Sequence[int]) -> bool:
    """A slope needs two distinct waves within one segment between breaks."""
    segment = np.searchsorted(np.asarray(cuts), waves, side="right")
    return any(len(np.unique(waves[segment == s])) >= 2 for s in np.unique(segment))


def _break_text(cuts: Sequence[int]) -> str:
    return (f"; a step at {', '.join(map(str, cuts))} (question wording or method changed), slope within the "
            "waves on each side") if cuts else ""


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


def _counts(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    succ = (cells["p_hat"] * cells["effective_n"]).to_numpy(float)
    return succ, cells["effective_n"].to_numpy(float) - succ


def _variance_text(cells: pd.DataFrame) -> str:
    if "variance_method" in cells.columns and cells["variance_method"].fillna("").astype(str).ne("").any():
        return str(cells["variance_method"].fillna("").astype(str).max()).replace(" (Kish effective n)",
                                                                                   " (Kish effective counts)")
    if bool(cells["weighted"].any()):
        return ", design-effect adjusted (Kish effective counts)"
    return ""


def _with_result_columns(rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame that always has the estimate columns (all missing when nothing was estimable)."""
    frame = pd.DataFrame(rows)
    for column in ("estimate", "ci_low", "ci_high", "p_value"):
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


# --------------------------------------------------------------------------- cell models
def trend_logit(est: pd.DataFrame, *, alpha: float = 0.05,
                breaks: Mapping[str, Sequence[int]] | None = None) -> pd.DataFrame:
    """Binomial GLM of positive on wave (as a number), per item x group.

    Cells are the data (successes and failures per wave), which is exactly the
    respondent-level logistic regression when there are no weights; with weights,
    dispersion or standardisation, effective counts carry the larger variance (for
    aggregate data this is the quasi-likelihood fit with each cell's variance factor fixed). ``breaks`` (item -> waves where the wording or method changed; cells
    flagged ``series_break`` count too) add a step at each break.

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
        cuts = _item_breaks(item, waves, breaks, cells)
        row = {"item": item, "group": group, "wave": int(waves.max()), "comparison_wave": int(waves.min()),
               "test": "trend_logit", "n": int(cells["base"].sum()),
               "positives": int(cells["positives"].sum()),
               "method": "binomial GLM (logit), wave as a number" + _variance_text(cells) + _break_text(cuts)}
        if "dispersion" in cells.columns and cells["dispersion"].notna().any():
            row["dispersion"] = float(cells["dispersion"].max())
        if bool(cells.get("adjusted", cells["weighted"]).any()):
            row["effective_n"] = float(cells["effective_n"].sum())
        if len(np.unique(waves)) < 2:
            row["note"] = "only one wave with answers"
            rows.append(row)
            continue
        if not _slope_estimable(waves, cuts):
            row["note"] = "no trend: the wording or method changed between every pair of waves"
            rows.append(row)
            continue
        succ, fail = _counts(cells)
        result = _fit_glm(succ, fail, _trend_design(waves, cuts))
        if result is None:
            row["note"] = NOT_ESTIMABLE
        else:
            beta, se = result.params[1], result.bse[1]
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=float(result.pvalues[1]))
        rows.append(row)
    return _with_result_columns(rows)


def trend_linearity(est: pd.DataFrame, *, alpha: float = 0.05,
                    breaks: Mapping[str, Sequence[int]] | None = None) -> pd.DataFrame:
    """Step or slope? The linear trend against wave as a factor, per item x group.

    The wave-as-factor model fits every wave exactly; the residual deviance of the
    linear trend (with its breaks) is the likelihood-ratio statistic for "the waves do
    not lie on a line" on ``waves - 2 - breaks`` df. With an extra-binomial dispersion the
    deviance is already on effective counts (divided by the dispersion) and is referred to
    an F distribution with the dispersion's residual df (the quasi-likelihood F test);
    otherwise to chi-squared. When it rejects at ``alpha`` a linear trend does not describe
    the change, and the sentences describe the steps between waves instead.

    Returns
    -------
    pd.DataFrame
        ``trend_linearity`` rows: ``p_value`` of the check (no estimate); the statistic is
        in ``method``. A model check, not a claim: never adjusted.
    """
    rows = []
    for (item, group), cells in est[est["effective_n"] > 0].groupby(["item", "group"], sort=False):
        waves = cells["wave"].to_numpy()
        cuts = _item_breaks(item, waves, breaks, cells)
        df = len(np.unique(waves)) - 2 - len(cuts)
        row = {"item": item, "group": group, "wave": int(waves.max()), "comparison_wave": int(waves.min()),
               "test": "trend_linearity", "n": int(cells["base"].sum()),
               "method": "step vs slope: linear trend against wave as a factor" + _break_text(cuts)}
        if df < 1 or not _slope_estimable(waves, cuts):
            row["note"] = "too few waves to tell a step from a slope"
            rows.append(row)
            continue
        succ, fail = _counts(cells)
        result = _fit_glm(succ, fail, _trend_design(waves, cuts))
        if result is None:
            row["note"] = NOT_ESTIMABLE
            rows.append(row)
            continue
        deviance = max(float(result.deviance), 0.0)
        phi_df = cells["dispersion_df"].max() if "dispersion_df" in cells.columns else np.nan
        if pd.notna(phi_df) and phi_df >= 1:
            f = deviance / df
            row["p_value"] = float(stats.f.sf(f, df, phi_df))
            row["method"] += (f"; quasi-likelihood F = {f:.1f} on {df} and {phi_df:.0f} df "
                              "(deviance / dispersion)")
        else:
            row["p_value"] = float(stats.chi2.sf(deviance, df))
            row["method"] += f"; residual deviance {deviance:.1f} on {df} df (chi-squared)"
        row["dispersion"] = float(cells["dispersion"].max()) if "dispersion" in cells.columns else np.nan
        row["note"] = ("the change is not a steady trend: steps between waves are described"
                       if row["p_value"] < alpha else "consistent with a steady trend")
        rows.append(row)
    return _with_result_columns(rows)


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
        succ, fail = _counts(cells)
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


# --------------------------------------------------------------------------- respondent models
def _with_pooled(answers: pd.DataFrame, hidden: set[tuple] | None = None) -> pd.DataFrame:
    """Valid answers per group plus the pooled group, without suppressed cells.

    The pooled rows keep their group in ``stratum`` (models of ``"all"`` adjust for it).
    """
    valid = answers[~answers["excluded"]].assign(stratum=lambda a: a["group"])
    if set(valid["group"].dropna()) != {ALL_GROUPS}:
        valid = pd.concat([valid, valid.assign(group=ALL_GROUPS)], ignore_index=True)
    if hidden:
        keys = pd.MultiIndex.from_frame(valid[["item", "group", "wave"]].astype(object))
        valid = valid[~keys.isin(list(hidden))]
    return valid


def _strata_columns(sub: pd.DataFrame, group) -> tuple[np.ndarray, str]:
    """Group dummies for the pooled group's models (none for a single group)."""
    if group not in POOLED_GROUPS or "stratum" not in sub.columns:
        return np.empty((len(sub), 0)), ""
    levels = sorted(set(sub["stratum"].dropna()))
    if len(levels) < 2:
        return np.empty((len(sub), 0)), ""
    dummies = np.column_stack([(sub["stratum"] == g).to_numpy(float) for g in levels[1:]])
    return dummies, "; group as a covariate (the trend within groups, so a change in who answered is not a trend)"


def brant_test(score: np.ndarray, exog: np.ndarray) -> tuple[float, int, float] | None:
    """Brant's (1990) Wald test of proportional odds: one slope for every cut of the scale.

    Fits one binary logit per cut ``score > c`` and tests that their slopes are equal,
    using Brant's covariance of the separate fits (the same statistic as R's
    ``brant::brant`` omnibus test). Written out because statsmodels has no Brant test and
    the nominal-test alternative (partial proportional odds) is not in statsmodels.

    Parameters
    ----------
    score
        Ordinal answers (integers).
    exog
        Covariates without a constant (n x p).

    Returns
    -------
    (chi2, df, p) or None
        None when fewer than three answer levels are used or a cut cannot be fitted.
    """
    import statsmodels.api as sm

    levels = np.unique(score)
    if len(levels) < 3:
        return None
    X = np.column_stack([np.ones(len(score)), exog])
    p = exog.shape[1]
    fits, probs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cut in levels[:-1]:
            y = (score > cut).astype(float)
            try:
                fit = sm.GLM(y, X, family=sm.families.Binomial()).fit()
            except Exception:
                return None
            if not np.all(np.isfinite(fit.bse)) or np.max(fit.bse) > MAX_LOGIT_SE:
                return None
            fits.append(fit.params)
            probs.append(fit.fittedvalues)
    k = len(fits)
    info_inv = [np.linalg.inv(X.T @ (X * (pi * (1 - pi))[:, None])) for pi in probs]
    big = np.zeros((k * (p + 1), k * (p + 1)))
    for j in range(k):
        for m in range(j, k):
            # Cov(y_j, y_m) for cuts j < m: P(score > cut_m) (1 - P(score > cut_j)).
            w = probs[m] * (1 - probs[j])
            block = info_inv[j] @ (X.T @ (X * w[:, None])) @ info_inv[m]
            big[j * (p + 1):(j + 1) * (p + 1), m * (p + 1):(m + 1) * (p + 1)] = block
            big[m * (p + 1):(m + 1) * (p + 1), j * (p + 1):(j + 1) * (p + 1)] = block.T
    slopes = np.concatenate([f[1:] for f in fits])
    keep = np.concatenate([np.arange(j * (p + 1) + 1, (j + 1) * (p + 1)) for j in range(k)])
    cov = big[np.ix_(keep, keep)]
    contrast = np.zeros(((k - 1) * p, k * p))
    for j in range(1, k):
        contrast[(j - 1) * p:j * p, :p] = np.eye(p)
        contrast[(j - 1) * p:j * p, j * p:(j + 1) * p] = -np.eye(p)
    diff = contrast @ slopes
    try:
        chi2 = float(diff @ np.linalg.solve(contrast @ cov @ contrast.T, diff))
    except np.linalg.LinAlgError:
        return None
    df = (k - 1) * p
    return chi2, df, float(stats.chi2.sf(chi2, df))


def ordinal_trend(answers: pd.DataFrame, *, alpha: float = 0.05, hidden: set[tuple] | None = None,
                  breaks: Mapping[str, Sequence[int]] | None = None, checks: bool = False) -> pd.DataFrame:
    """Proportional-odds model of the full Likert scale on wave, per item x group.

    A sensitivity analysis for the dichotomised trend: it uses every level of
    the scale. Unweighted (statsmodels ``OrderedModel``, logit link). ``hidden`` holds
    (item, group, wave) cells left out. The model assumes proportional odds (one odds ratio
    for every cut of the scale); Brant's test checks it, and where it fails the ordinal
    row's note says so and it is not a check on the trend (the sentences do not quote it).

    Parameters
    ----------
    checks
        Also return the ``proportional_odds`` rows (Brant test: ``p_value``, statistic in
        ``method``).

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
        cuts = _item_breaks(item, waves, breaks)
        strata, strata_text = _strata_columns(sub, group)
        row = {"item": item, "group": group, "test": "ordinal_trend", "wave": int(waves.max()),
               "comparison_wave": int(waves.min()), "n": len(sub),
               "method": ("proportional-odds model (OrderedModel, logit), wave as a number, unweighted"
                          + _break_text(cuts) + strata_text)}
        check = {"item": item, "group": group, "test": "proportional_odds", "wave": int(waves.max()),
                 "comparison_wave": int(waves.min()), "n": len(sub),
                 "method": "Brant test of proportional odds (one odds ratio for every cut of the scale)"}
        if len(np.unique(waves)) < 2 or sub["score"].nunique() < 2 or not _slope_estimable(waves, cuts):
            row["note"] = "needs two waves and two answer levels"
            check["note"] = row["note"]
            rows += [row, check] if checks else [row]
            continue
        exog = np.column_stack([_trend_design(waves, cuts)[:, 1:], strata])
        score = sub["score"].astype(int).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = OrderedModel(score, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=200)
                beta, se, p = float(fit.params[0]), float(fit.bse[0]), float(fit.pvalues[0])
            except Exception:  # singular information matrix etc.
                beta = se = p = np.nan
        if np.isfinite(se) and se <= MAX_LOGIT_SE:
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=p)
        else:
            row["note"] = "model could not be estimated"
        brant = brant_test(score, exog)
        if brant is None:
            check["note"] = "fewer than three answer levels, or a cut of the scale could not be fitted"
        else:
            chi2, df, p_po = brant
            check["p_value"] = p_po
            check["method"] += f"; chi-squared {chi2:.1f} on {df} df"
            verdict = ("proportional odds rejected (Brant test p " + ("< 0.001" if p_po < 0.001 else f"= {p_po:.3f}")
                       + "): the answer levels did not move together, so this model is not a check on the trend"
                       if p_po < alpha else "proportional odds not rejected (Brant test)")
            check["note"] = verdict
            row["note"] = verdict if pd.isna(row.get("note")) else f"{row['note']}; {verdict}"
        rows += [row, check] if checks else [row]
    return pd.DataFrame(rows)


def has_repeated_respondents(answers: pd.DataFrame) -> bool:
    """True when some persistent id answers the same item in more than one wave."""
    valid = answers[~answers["excluded"] & answers["person"].notna()]
    if valid.empty:
        return False
    return bool((valid.groupby(["item", "person"])["wave"].nunique() > 1).any())


def gee_trend(answers: pd.DataFrame, *, alpha: float = 0.05, hidden: set[tuple] | None = None,
              breaks: Mapping[str, Sequence[int]] | None = None) -> pd.DataFrame:
    """Logistic GEE of positive on wave with respondents as clusters (exchangeable).

    People without a persistent id are their own cluster. Robust (sandwich)
    standard errors allow for the same person answering in several waves. The same
    safeguards as the logistic trend: no estimate where a wave has all or no positive
    answers (the GLM on the same cells is not estimable) or a standard error is huge;
    survey weights are used where present (statsmodels GEE takes case weights), and if
    the weighted fit fails no GEE estimate is given, so the weighted GLM is quoted.
    ``hidden`` holds (item, group, wave) cells left out.
    """
    import statsmodels.api as sm

    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    data = _with_pooled(answers, hidden)
    for (item, group), sub in data.groupby(["item", "group"], sort=False):
        waves = sub["wave"].to_numpy()
        cuts = _item_breaks(item, waves, breaks)
        cluster = sub["person"].fillna("row:" + sub["respondent"].astype("string"))
        weights = sub["weight"].to_numpy(float) if sub["weight"].notna().any() else None
        strata, strata_text = _strata_columns(sub, group)
        row = {"item": item, "group": group, "test": "gee_trend", "wave": int(waves.max()),
               "comparison_wave": int(waves.min()), "n": len(sub), "positives": int(sub["positive"].sum()),
               "method": ("logistic GEE, exchangeable, respondents as clusters, robust SE, "
                          + ("weighted (survey weights as case weights)" if weights is not None else "unweighted")
                          + _break_text(cuts) + strata_text),
               "note": f"{int(cluster.duplicated().sum())} repeat answers from people seen in more than one wave"}
        if len(np.unique(waves)) < 2 or not _slope_estimable(waves, cuts):
            rows.append(row)
            continue
        per_wave = sub.groupby("wave")["positive"].agg(["sum", "size"])
        if _fit_glm(per_wave["sum"].to_numpy(float), (per_wave["size"] - per_wave["sum"]).to_numpy(float),
                    _trend_design(per_wave.index.to_numpy(), cuts)) is None:
            row["note"] = NOT_ESTIMABLE + "; " + row["note"]
            rows.append(row)
            continue
        design = np.column_stack([_trend_design(waves, cuts), strata])
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
                fit = sm.GEE(sub["positive"].to_numpy(float)[order], design[order],
                             groups=codes[order], family=sm.families.Binomial(), cov_struct=cov_struct,
                             weights=None if weights is None else (weights / weights.mean())[order]).fit()
                beta, se, p = float(fit.params[1]), float(fit.bse[1]), float(fit.pvalues[1])
            except Exception:  # non-convergence: report no estimate rather than a wrong one
                beta = se = p = np.nan
        if np.isfinite(se) and 0 < se <= MAX_LOGIT_SE:
            row.update(estimate=np.exp(beta), ci_low=np.exp(beta - z * se), ci_high=np.exp(beta + z * se),
                       p_value=p)
        elif weights is not None:
            row["note"] = ("GEE could not be estimated with the survey weights; the weighted logistic trend "
                           "(trend_logit) is quoted instead")
        else:
            row["note"] = "model could not be estimated"
        rows.append(row)
    return pd.DataFrame(rows)
