"""Change over time, step 2: per-cell estimates, the standardised pool and two-wave / two-group differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.change.contract import (
    ALL_GROUPS,
    MISSING_GROUP,
    POOLED_GROUPS,
    _empty_results,
)
from analysis.core.errors import UserError
from analysis.stats.comparisons import compare_proportions
from analysis.stats.power import minimum_detectable_difference
from analysis.stats.proportions import is_suppressed, wilson_ci


# --------------------------------------------------------------------------- fair pooling
def standardise_pooled(cells: pd.DataFrame, *, mix: Mapping[str, float] | None = None,
                       latest_wave: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Replace the pooled ``"all"`` cells by the figure standardised to a fixed group mix.

    A crude pool moves when the mix of groups answering moves, even if no group
    changes (Simpson's paradox). Direct standardisation holds the mix fixed:
    ``p_std = sum_g m_g p_g``, with ``m_g`` the latest wave's share of answers by group
    (or ``mix``, e.g. config ``change.standard_group_mix``). Its variance is
    ``sum_g m_g^2 p_g (1 - p_g) / n_g`` from the stratum variances (``n_g`` the effective
    bases, so weights and dispersion carry through); it is carried as an effective base
    ``p (1 - p) / variance`` so that every interval, test and model downstream treats the
    standardised figure exactly like a weighted one. A wave without answers from a group
    is standardised over the other groups (their shares rescaled) and said. Hand-written
    because statsmodels has no directly standardised proportion (``StratifiedTable``
    pools odds ratios with Mantel-Haenszel weights, not a fixed population mix).

    Parameters
    ----------
    cells
        From :func:`count_cells` or :func:`cells_from_aggregate` (with the ``"all"`` rows).
    mix
        Group -> share (shares are rescaled to sum to 1). Every group in the data must be
        named, except :data:`MISSING_GROUP`, whose answers then count only in the crude pool.
    latest_wave
        Wave whose mix is the standard when ``mix`` is None; default each item's last wave.

    Returns
    -------
    (cells, crude, notes)
        ``cells`` with the ``"all"`` rows standardised (``standardised`` True,
        ``variance_method`` says how), the crude ``"all"`` rows as they were, and caveats.

    Raises
    ------
    UserError
        ``mix`` leaves out a group present in the data, or has no positive share.
    """
    out = cells.copy()
    out["standardised"] = False
    strata = out[~out["group"].isin(POOLED_GROUPS)]
    pooled = out["group"] == ALL_GROUPS
    crude = out[pooled].copy()
    if strata["group"].nunique() < 2 or not pooled.any():  # one group: nothing to standardise
        return out, crude.iloc[:0], []
    notes: list[str] = []
    if mix is not None:
        unknown = sorted(set(strata["group"]) - set(mix) - {MISSING_GROUP})
        if unknown:
            raise UserError(f"change.standard_group_mix has no share for group(s) {unknown}")
        if sum(v for v in mix.values() if v > 0) <= 0:
            raise UserError("change.standard_group_mix needs at least one positive share")
        if MISSING_GROUP in set(strata["group"]) and MISSING_GROUP not in mix:
            n_missing = int(strata.loc[strata["group"] == MISSING_GROUP, "base"].sum())
            notes.append(f"{n_missing} answer(s) without a group are outside the configured group mix: "
                         "they count in the crude figure for everyone only.")
    described: dict[str, str] = {}
    for item, sub in strata.groupby("item", sort=False):
        with_data = sub[sub["base"] > 0]
        if with_data.empty:
            continue
        if mix is None:
            wave = latest_wave if latest_wave in set(with_data["wave"]) else int(with_data["wave"].max())
            at = with_data[with_data["wave"] == wave]
            shares = dict(zip(at["group"], at["base"] / at["base"].sum(), strict=True))
            source = f"the {wave} mix of answers by group"
        else:
            shares = {g: float(v) for g, v in mix.items() if v > 0}
            source = "the configured group mix"
        for wave, cell in with_data.groupby("wave"):
            use = cell[cell["group"].isin(list(shares))]
            if use.empty:
                continue
            m = use["group"].map(shares).to_numpy(float)
            m = m / m.sum()
            p = use["p_hat"].to_numpy(float)
            n_eff = use["effective_n"].to_numpy(float)
            p_std = float(np.sum(m * p))
            var = float(np.sum(m ** 2 * p * (1 - p) / n_eff))
            # Every stratum at 0% or 100% has no sampling variance to add up: fall back
            # on Kish's effective n for the standardisation weights.
            n_std = p_std * (1 - p_std) / var if var > 0 and 0 < p_std < 1 else 1.0 / float(np.sum(m ** 2 / n_eff))
            row = out.index[pooled & (out["item"] == item) & (out["wave"] == wave)]
            absent = sorted(set(shares) - set(use["group"]))
            method = f", standardised to {source} (variance from the group variances"
            if "dispersion" in use.columns and (use["dispersion"].fillna(1.0) > 1).any():
                method += (f", each extra-binomial, dispersion {float(use['dispersion'].min()):.2f} to "
                           f"{float(use['dispersion'].max()):.2f}")
            method += ")"
            if absent:
                method += f"; no answers from {', '.join(absent)} in {wave}, the other groups reweighted"
            out.loc[row, "p_hat"] = p_std
            out.loc[row, "effective_n"] = n_std
            out.loc[row, "standardised"] = True
            out.loc[row, "variance_method"] = method
        described[item] = (f"{source} (" + ", ".join(f"{g} {100 * v / sum(shares.values()):.0f}%"
                                                     for g, v in shares.items()) + ")")
    for text in dict.fromkeys(described.values()):
        which = [i for i, t in described.items() if t == text]
        whose = "" if len(which) == len(described) else f" ({', '.join(which)})"
        notes.append(f"'Everyone'{whose} is standardised to {text}, so a change in who answered does not look "
                     "like a change in opinion; the crude pool is beside it (crude_* columns).")
    return out, crude, notes


def variance_method(cells: pd.DataFrame) -> pd.Series:
    """How each cell's variance is made, as a method suffix (empty for plain binomial)."""
    text = pd.Series("", index=cells.index, dtype=object)
    if "dispersion" in cells.columns:
        phi = cells["dispersion"].astype(float)
        over = phi.notna() & (phi > 1)
        text[over] = ", extra-binomial variance (x " + phi[over].round(2).astype(str) + \
            ": answers within an organisation are correlated; beta-binomial form)"
    if "weighted" in cells.columns:
        text[cells["weighted"].astype(bool)] = ", design-effect adjusted (Kish effective n)"
    if "variance_method" in cells.columns:
        given = cells["variance_method"].notna() & (cells["variance_method"].astype(str) != "")
        text[given] = cells.loc[given, "variance_method"]
    return text


# --------------------------------------------------------------------------- estimates
def estimate_cells(cells: pd.DataFrame, *, threshold: int, alpha: float = 0.05,
                   power: float = 0.8) -> pd.DataFrame:
    """% positive with a Wilson interval, design effect and minimum detectable difference.

    Parameters
    ----------
    cells
        From :func:`count_cells` or :func:`cells_from_aggregate` (optionally through
        :func:`standardise_pooled`).
    threshold
        Smallest publishable base (config ``suppression_threshold``).
    alpha, power
        Interval level (1 - alpha) and power for the minimum detectable difference.

    Returns
    -------
    pd.DataFrame
        ``cells`` plus ``pct, ci_low, ci_high`` (percent), ``deff`` and ``mdd_pp``,
        ``suppressed`` and ``secondary`` (a pooled cell hidden because one of its groups
        is), ``adjusted`` (the variance is not the plain binomial one: weights, dispersion
        or standardisation) and ``variance_method``. Values are kept; publishing
        functions blank them.
    """
    out = cells.copy()
    out["variance_method"] = variance_method(out)
    out["adjusted"] = out["variance_method"] != ""
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
    # group, so the pooled cell is hidden whenever one of its groups is. Answers without a
    # group are the exception: subtraction reveals the answers of people who gave no group,
    # which names no one, and hiding "everyone" for three blank answers would hide the headline.
    hidden_groups = out[~out["group"].isin([*POOLED_GROUPS, MISSING_GROUP]) & out["suppressed"]][
        ["item", "wave"]].drop_duplicates()
    pooled = out["group"].isin(POOLED_GROUPS)
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
    adjusted = _column(a, "adjusted", False) | _column(b, "adjusted", False)
    na, nb = a["effective_n"].to_numpy(float), b["effective_n"].to_numpy(float)
    res = compare_proportions(a["p_hat"].to_numpy(float) * na, na, b["p_hat"].to_numpy(float) * nb, nb,
                              alpha=alpha)
    suffix = np.where(_column(a, "variance_method", "") != "", _column(a, "variance_method", ""),
                      _column(b, "variance_method", ""))
    method = res["method"].to_numpy().astype(str) + suffix.astype(str)
    return pd.DataFrame({
        "item": np.asarray(items), "group": np.asarray(groups), "wave": np.asarray(waves),
        "comparison_wave": np.asarray(other_waves), "test": test,
        "estimate": 100 * res["estimate"].to_numpy(), "ci_low": 100 * res["ci_low"].to_numpy(),
        "ci_high": 100 * res["ci_high"].to_numpy(), "p_value": res["p_value"].to_numpy(),
        "n": a["base"].to_numpy() + b["base"].to_numpy(),
        "effective_n": np.where(adjusted, na + nb, np.nan),
        "dispersion": _column(a, "dispersion", np.nan),
        "method": method,
        "suppressed": a["suppressed"].to_numpy() | b["suppressed"].to_numpy(),
    })


def group_differences(est: pd.DataFrame, groups: Sequence[str], *, latest_wave: int | None = None,
                      alpha: float = 0.05) -> pd.DataFrame:
    """The reference group (the first) minus each other group, in the latest wave.

    With two groups this is the one contrast ``"A vs B"``; with more (staff, experts by
    experience and carers) every other group is compared with the reference (``"A vs B"``,
    ``"A vs C"``), never with each other, so the family grows by one claim per group and
    item. Newcombe's interval and the test that inverts it (:func:`_difference_rows`).
    """
    if len(groups) < 2:
        return _empty_results()
    first = groups[0]
    latest = est.groupby("item")["wave"].max() if latest_wave is None else None
    key = est.set_index(["item", "group", "wave"])
    rows_a, rows_b, items, waves, names = [], [], [], [], []
    for second in groups[1:]:
        for item in est["item"].unique():
            wave = latest_wave if latest_wave is not None else int(latest[item])
            ka, kb = (item, first, wave), (item, second, wave)
            if ka in key.index and kb in key.index:
                rows_a.append(ka)
                rows_b.append(kb)
                items.append(item)
                waves.append(wave)
                names.append(f"{first} vs {second}")
    if not items:
        return _empty_results()
    out = _difference_rows(key.loc[rows_a], key.loc[rows_b], "diff_groups", items, names, waves, waves, alpha)
    out["comparison_wave"] = pd.NA
    return out


def _column(frame: pd.DataFrame, name: str, default) -> np.ndarray:
    """A column as an array, or ``default`` everywhere when the cells do not have it."""
    if name in frame.columns:
        values = frame[name]
        return values.fillna(default).to_numpy() if values.dtype != bool else values.to_numpy()
    return np.full(len(frame), default, dtype=object if isinstance(default, str) else type(default))


def step_differences(est: pd.DataFrame, series: Sequence[tuple[str, str]], *,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Each wave against the one before (``diff_step`` rows), for the given item x group series.

    Used where a linear trend does not describe the change (the step-vs-slope check
    failed): the sentences then describe the steps between waves instead.
    """
    frames = []
    key = est.set_index(["item", "group", "wave"])
    for item, group in series:
        waves = sorted(est.loc[(est["item"] == item) & (est["group"] == group) & (est["base"] > 0), "wave"])
        if len(waves) < 2:
            continue
        later, earlier = waves[1:], waves[:-1]
        a = key.loc[[(item, group, w) for w in later]]
        b = key.loc[[(item, group, w) for w in earlier]]
        frames.append(_difference_rows(a, b, "diff_step", [item] * len(later), [group] * len(later), later,
                                       earlier, alpha))
    return pd.concat(frames, ignore_index=True) if frames else _empty_results()


def attach_crude(results: pd.DataFrame, crude: pd.DataFrame) -> pd.DataFrame:
    """Put the crude pool's estimate, interval and p beside the standardised ``"all"`` rows.

    ``crude`` holds result rows computed the same way from the crude ``"all"`` cells.
    """
    out = results.copy()
    for column in ("crude_estimate", "crude_ci_low", "crude_ci_high", "crude_p_value"):
        out[column] = np.nan
    if crude.empty:
        return out
    def key_of(frame: pd.DataFrame) -> pd.Series:
        waves = [pd.to_numeric(frame[c], errors="coerce").map(lambda v: "" if pd.isna(v) else str(int(v)))
                 for c in ("wave", "comparison_wave")]
        parts = [frame[c].map(str) for c in ("item", "group", "test")] + waves
        return pd.Series(["|".join(t) for t in zip(*parts, strict=True)], index=frame.index)

    lookup = crude.assign(_key=key_of(crude)).drop_duplicates("_key").set_index("_key")
    mine = key_of(out)
    found = mine.isin(lookup.index) & (out["group"] == ALL_GROUPS)
    for column, source in (("crude_estimate", "estimate"), ("crude_ci_low", "ci_low"),
                           ("crude_ci_high", "ci_high"), ("crude_p_value", "p_value")):
        out.loc[found, column] = pd.to_numeric(lookup.loc[mine[found], source], errors="coerce").to_numpy(float)
    return out


def pct_method(est: pd.DataFrame) -> pd.Series:
    """The ``method`` text of the ``pct_positive`` rows."""
    weighted = est["weighted"].astype(bool).to_numpy()
    extra = est["variance_method"].fillna("").astype(str)
    standardised = extra.str.contains("standardised").to_numpy()
    what = np.where(weighted, "weighted % positive", "% positive")
    how = np.where(standardised | (~weighted & (extra != "").to_numpy()), "; Wilson interval on the effective n" + extra,
                   np.where(weighted, "; Wilson interval on Kish effective n", "; Wilson score interval"))
    return pd.Series(np.char.add(what.astype(str), how.astype(str)), index=est.index, dtype=object)
