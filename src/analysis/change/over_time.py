"""Change over time in survey outcomes: estimates, tests and plain-English findings.

The analysis works on two shapes of input:

* respondent-level answers (the processed ``responses.parquet`` contract, or any
  long CSV of respondent x wave x item answers), prepared by
  :func:`prepare_responses`; and
* aggregate tables of positives and bases per group and wave (for example
  published NHS Staff Survey results), prepared by :func:`cells_from_aggregate`.

Both become a table of *cells* (item x group x wave counts); every published
number is derived from the cells or, for models that need individual answers
(ordinal, GEE), from the respondent-level answers.

The tidy results table (:func:`analyse_change`) has one row per
item x group x test (x wave for ``pct_positive``). Its contract:

=================  ==========================================================
column             meaning
=================  ==========================================================
item               item id (the outcome column name when there is no item column)
group              comparison group; ``"all"`` holds the pooled analysis;
                   ``diff_groups`` rows name both groups (``"A vs B"``)
wave               the wave the row describes (latest wave for tests)
comparison_wave    the other wave of a difference, or the first wave of a trend
test               ``pct_positive`` (estimate in percent), ``diff_previous`` and
                   ``diff_baseline`` (percentage points, latest minus earlier),
                   ``diff_groups`` (percentage points, first group minus second,
                   latest wave), ``trend_logit`` (odds ratio per unit of wave),
                   ``interaction_lrt`` (ratio of the two groups' odds ratios per
                   wave when there are two groups), ``ordinal_trend`` (cumulative
                   odds ratio per unit of wave), ``gee_trend`` (odds ratio per
                   unit of wave, respondents as clusters)
estimate           see ``test``
ci_low, ci_high    95% interval (or 1 - alpha) in the units of ``estimate``
p_value            raw p-value
p_holm, p_bh       Holm (family-wise) and Benjamini-Hochberg (false discovery
                   rate) adjusted p-values across the items of a family, within
                   the same test and group
p_adjusted         = ``p_holm``: the one plain-English sentences use
n                  people (answers) behind the row; for weighted data the
                   unweighted count
positives          people answering positively (unweighted count)
effective_n, deff  Kish effective sample size and design effect (weighted data)
mdd_pp             minimum detectable difference (percentage points) at the
                   configured power for a next wave of the same size
method             how the row was computed
family             multiple-comparison family of the item
suppressed         True when a base under the suppression threshold hides
                   the row; every number in it is then missing
note               caveats (e.g. Don't know excluded, weighting changed)
=================  ==========================================================

Wave numbers are used as numbers: a trend's odds ratio is per one unit of the
wave (per year when waves are years), so 2019, 2021, 2022 are spaced correctly.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core import vocab
from analysis.core.errors import InputFileError
from analysis.stats.comparisons import FISHER_MIN_EXPECTED, compare_proportions  # noqa: F401
from analysis.stats.power import minimum_detectable_difference, power_two_proportions  # noqa: F401
from analysis.stats.proportions import is_suppressed, wilson_ci

#: Label of the pooled group.
ALL_GROUPS = "all"
#: Tests whose p-values are adjusted for multiple comparisons.
TESTED = ("diff_previous", "diff_baseline", "diff_groups", "trend_logit", "interaction_lrt",
          "ordinal_trend", "gee_trend")
#: Columns of the tidy results table, in order.
RESULT_COLUMNS = (
    "item", "group", "wave", "comparison_wave", "test", "estimate", "ci_low", "ci_high",
    "p_value", "p_holm", "p_bh", "p_adjusted", "n", "positives", "effective_n", "deff",
    "mdd_pp", "method", "family", "suppressed", "note",
)
_NUMERIC_RESULT = ("estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "p_adjusted",
                   "n", "positives", "effective_n", "deff", "mdd_pp")
#: Expected count under which Fisher's exact test replaces the z-test.
#: Fewest people answering in several waves for an exchangeable GEE working correlation.
MIN_REPEATED_FOR_EXCHANGEABLE = 30
#: Standard error (logit scale) beyond which a model fit is treated as not estimable.
MAX_LOGIT_SE = 10.0
DONT_KNOW_NOTE = "Don't know and other missing answers are excluded from the base."

_LEVEL_CODE = {level.casefold(): code for code, level in enumerate(vocab.LIKERT_LEVELS, start=1)}
_MISSING_LABELS = {reason.casefold() for reason in vocab.MISSING_REASONS} | {"dont know", "don't know",
                                                                             "n/a", "na", ""}


# --------------------------------------------------------------------------- inputs
def _require_columns(table: pd.DataFrame, columns: Mapping[str, str | None], source: str | Path) -> None:
    for role, column in columns.items():
        if column is not None and column not in table.columns:
            available = ", ".join(map(str, table.columns[:20]))
            raise InputFileError(source, f"the {role} column is missing (columns found: {available})",
                                 column=column)


def _numeric_waves(values: pd.Series, column: str, source: str | Path) -> pd.Series:
    waves = pd.to_numeric(values, errors="coerce")
    bad = waves.isna() & values.notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(source, f"wave must be a number; found {values.iloc[first]!r}",
                             row=first + 2, column=column)
    if waves.isna().any():
        first = int(np.flatnonzero(waves.isna().to_numpy())[0])
        raise InputFileError(source, "wave is blank", row=first + 2, column=column)
    if not np.allclose(waves, np.round(waves)):
        raise InputFileError(source, "wave must be a whole number (e.g. a year)", column=column)
    return waves.round().astype("int64")


def _score_and_label(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ordinal score (1..5 where the answer is on the Likert scale) and a comparable label."""
    numeric = pd.to_numeric(values, errors="coerce")
    text = values.astype("string").str.strip()
    folded = text.str.casefold()
    from_label = folded.map(_LEVEL_CODE)
    score = numeric.astype("Float64").fillna(pd.to_numeric(from_label, errors="coerce").astype("Float64"))
    # A label for comparing with the configured positive levels: the Likert label when
    # the answer is a code 1..5, otherwise the answer's own text.
    code_label = numeric.map(lambda v: vocab.LIKERT_LEVELS[int(v) - 1].casefold()
                             if pd.notna(v) and float(v).is_integer() and 1 <= v <= 5 else pd.NA)
    label = code_label.astype("string").fillna(folded)
    return score, label


def prepare_responses(
    responses: pd.DataFrame,
    *,
    item_column: str | None = "item_id",
    item_name: str = "outcome",
    group_column: str | None = "respondent_type",
    wave_column: str = "wave",
    value_column: str = "value",
    positive_column: str | None = "positive",
    positive_levels: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    id_column: str | None = "person_id",
    respondent_column: str | None = "respondent_id",
    weight_column: str | None = "weight",
    missing_reason_column: str | None = "missing_reason",
    source: str | Path = "responses",
) -> pd.DataFrame:
    """Put respondent-level answers into the canonical long shape used here.

    Parameters
    ----------
    responses
        One row per respondent x item (the processed ``responses`` contract, or a
        CSV with one outcome column, one row per respondent).
    item_column
        Column of item ids; None when the table holds one outcome, named ``item_name``.
    group_column
        Comparison groups (e.g. ``respondent_type``); None pools everyone as ``"all"``.
    wave_column
        Wave (a number, e.g. the year).
    value_column
        The answer: Likert code 1..5, a Likert label, or any category.
    positive_column
        Boolean column marking positive answers (used when ``positive_levels`` is None).
    positive_levels
        Answers counted as positive: a mapping item -> labels (the config's
        ``positive_levels()``), or one list for every item. Labels match Likert
        labels or codes ("Agree", "5"), case-insensitively. When neither this nor
        ``positive_column`` is available, Agree and Strongly agree are positive.
    id_column
        Persistent respondent id that may repeat across waves (for GEE); optional.
    respondent_column
        Id of one response; optional.
    weight_column
        Survey weights; optional, ignored when the column is absent or all missing.
    missing_reason_column
        Why an answer is missing; ``"Don't know"`` answers are counted and excluded.
    source
        File name used in error messages.

    Returns
    -------
    pd.DataFrame
        Columns ``item, group, wave, respondent, person, score, positive, weight,
        excluded, dont_know``. ``positive`` is 1.0/0.0, missing for excluded rows;
        ``score`` is the 1..5 Likert code where the answer is on the scale.

    Raises
    ------
    InputFileError
        A named column is missing, or a wave is not a number.
    """
    optional = {name: col for name, col in (("positive", positive_column), ("id", id_column),
                                            ("respondent", respondent_column),
                                            ("weight", weight_column),
                                            ("missing reason", missing_reason_column))}
    _require_columns(responses, {"item": item_column, "group": group_column, "wave": wave_column,
                                 "outcome": value_column}, source)
    present = {k: (v if v is not None and v in responses.columns else None) for k, v in optional.items()}
    if id_column is not None and present["id"] is None and id_column != "person_id":
        _require_columns(responses, {"id": id_column}, source)
    if weight_column is not None and present["weight"] is None and weight_column != "weight":
        _require_columns(responses, {"weight": weight_column}, source)

    n = len(responses)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["item"] = (responses[item_column].astype("string").to_numpy() if item_column
                   else np.repeat(item_name, n))
    out["item"] = out["item"].astype("string")
    out["group"] = (responses[group_column].astype("string").str.strip().to_numpy() if group_column
                    else np.repeat(ALL_GROUPS, n))
    out["group"] = out["group"].astype("string")
    out["wave"] = _numeric_waves(responses[wave_column].reset_index(drop=True), wave_column, source)
    out["respondent"] = (responses[present["respondent"]].astype("string").to_numpy()
                         if present["respondent"] else pd.Series(np.arange(n)).astype("string"))
    out["person"] = (responses[present["id"]].astype("string").to_numpy() if present["id"]
                     else pd.array([pd.NA] * n, dtype="string"))
    raw = responses[value_column].reset_index(drop=True)
    score, label = _score_and_label(raw)
    out["score"] = score.to_numpy(dtype=float, na_value=np.nan)

    reason = (responses[present["missing reason"]].astype("string").str.casefold().reset_index(drop=True)
              if present["missing reason"] else pd.Series(pd.NA, index=out.index, dtype="string"))
    dont_know = reason.isin(["don't know"]).fillna(False) | label.isin(["don't know", "dont know"]).fillna(False)
    excluded = raw.isna().to_numpy() | label.isin(list(_MISSING_LABELS)).fillna(False).to_numpy() \
        | reason.notna().to_numpy() | out["group"].isna().to_numpy()
    out["excluded"] = excluded
    out["dont_know"] = dont_know.to_numpy()
    # Outside the 1..5 scale a number carries no ordinal meaning.
    out.loc[~out["score"].between(1, 5), "score"] = np.nan

    if positive_levels is not None:
        if isinstance(positive_levels, Mapping):
            wanted = out["item"].map({k: {str(v).casefold() for v in vals}
                                      for k, vals in positive_levels.items()})
            if wanted.isna().any():
                missing = sorted(set(out.loc[wanted.isna(), "item"].dropna()))
                raise InputFileError(source, f"no positive definition for item(s) {missing}",
                                     column=item_column)
        else:
            levels = {str(v).casefold() for v in positive_levels}
            wanted = pd.Series([levels] * n)
        raw_text = raw.astype("string").str.strip().str.casefold()
        is_pos = np.array([(lab in want) or (txt in want) for lab, txt, want in
                           zip(label.fillna("").tolist(), raw_text.fillna("").tolist(), wanted, strict=False)])
        positive = is_pos.astype(float)
    elif present["positive"]:
        positive = pd.array(responses[present["positive"]].reset_index(drop=True), dtype="boolean")
        excluded = excluded | np.asarray(pd.isna(positive))
        out["excluded"] = excluded
        positive = positive.to_numpy(dtype=float, na_value=np.nan)
    else:
        positive = out["score"].isin([4.0, 5.0]).to_numpy(dtype=float)
    out["positive"] = np.where(out["excluded"], np.nan, positive)

    if present["weight"]:
        weight = pd.to_numeric(responses[present["weight"]], errors="coerce").reset_index(drop=True)
        if weight.notna().any():
            if (weight.dropna() <= 0).any():
                raise InputFileError(source, "weights must be positive", column=present["weight"])
            # A respondent without a weight counts as a typical respondent of the wave.
            weight = weight.fillna(weight.groupby(out["wave"]).transform("median")).fillna(1.0)
            out["weight"] = weight.astype(float).to_numpy()
        else:
            out["weight"] = np.nan
    else:
        out["weight"] = np.nan
    return out


def count_cells(answers: pd.DataFrame) -> pd.DataFrame:
    """Counts per item x group x wave, plus the pooled group ``"all"``.

    Parameters
    ----------
    answers
        Output of :func:`prepare_responses`.

    Returns
    -------
    pd.DataFrame
        ``item, group, wave, base, positives, n_dont_know, n_excluded, p_hat,
        effective_n, weighted``. ``p_hat`` is the weighted proportion when
        weights are present; ``effective_n`` is Kish's ``(sum w)^2 / sum w^2``.
    """
    frames = [answers]
    if set(answers["group"].dropna()) != {ALL_GROUPS}:
        frames.append(answers.assign(group=ALL_GROUPS))
    data = pd.concat(frames, ignore_index=True)
    weighted = bool(data["weight"].notna().any())
    data = data.assign(
        valid=~data["excluded"],
        w=np.where(data["excluded"], 0.0, data["weight"].fillna(1.0) if weighted else 1.0),
    )
    data["wy"] = data["w"] * data["positive"].fillna(0.0)
    data["w2"] = data["w"] ** 2
    data["pos"] = data["positive"].fillna(0.0)
    grouped = data.groupby(["item", "group", "wave"], sort=True, observed=True)
    cells = grouped.agg(base=("valid", "sum"), positives=("pos", "sum"), n_dont_know=("dont_know", "sum"),
                        n_excluded=("excluded", "sum"), sw=("w", "sum"), swy=("wy", "sum"),
                        sw2=("w2", "sum")).reset_index()
    cells["positives"] = cells["positives"].round().astype("int64")
    cells["base"] = cells["base"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        cells["p_hat"] = np.where(cells["sw"] > 0, cells["swy"] / cells["sw"], np.nan)
        cells["effective_n"] = np.where(cells["sw2"] > 0, cells["sw"] ** 2 / cells["sw2"], 0.0)
    cells["weighted"] = weighted
    return cells.drop(columns=["sw", "swy", "sw2"])


def cells_from_aggregate(
    table: pd.DataFrame,
    *,
    wave_column: str,
    base_column: str,
    positives_column: str | None = None,
    rate_column: str | None = None,
    group_column: str | None = None,
    item_column: str | None = None,
    item_name: str = "outcome",
    weighting_column: str | None = None,
    source: str | Path = "table",
) -> tuple[pd.DataFrame, list[str]]:
    """Counts per item x group x wave from an aggregate table (rows summed within cells).

    Parameters
    ----------
    table
        One row per unit (e.g. organisation) x wave, or already per group x wave.
    wave_column, base_column
        Wave (numeric) and the number of people answering.
    positives_column, rate_column
        Number answering positively, or the positive percentage (0-100); one is needed.
        From a rate, positives = rate x base / 100, rounded to whole people.
    group_column, item_column
        Optional comparison groups and item ids; otherwise everyone is ``"all"`` and the
        item is ``item_name``.
    weighting_column
        Optional column describing how each row was weighted; when its values differ
        between waves a caveat is returned.
    source
        File name for error messages.

    Returns
    -------
    (cells, notes)
        Cells as in :func:`count_cells` (unweighted: ``effective_n`` = ``base``) and a
        list of plain-English caveats.
    """
    if (positives_column is None) == (rate_column is None):
        raise InputFileError(source, "give exactly one of a positives column or a rate column",
                             column=positives_column or rate_column)
    _require_columns(table, {"wave": wave_column, "base": base_column, "positives": positives_column,
                             "rate": rate_column, "group": group_column, "item": item_column,
                             "weighting": weighting_column}, source)
    data = table.reset_index(drop=True)
    wave = _numeric_waves(data[wave_column], wave_column, source)
    base = pd.to_numeric(data[base_column], errors="coerce")
    value_column = positives_column or rate_column
    value = pd.to_numeric(data[value_column], errors="coerce")
    for column, series, raw in ((base_column, base, data[base_column]), (value_column, value, data[value_column])):
        bad = series.isna() & raw.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFileError(source, f"expected a number, found {raw.iloc[row]!r}", row=row + 2,
                                 column=column)
    positives = value if positives_column else value * base / 100.0
    if rate_column and ((value < 0) | (value > 100)).any():
        raise InputFileError(source, "a rate must be a percentage between 0 and 100", column=rate_column)
    if ((positives < 0) | (positives > base + 1e-6)).any():
        raise InputFileError(source, "positives must lie between 0 and the base", column=value_column)
    frame = pd.DataFrame({
        "item": data[item_column].astype("string") if item_column else pd.Series([item_name] * len(data), dtype="string"),
        "group": data[group_column].astype("string").str.strip() if group_column else pd.Series([ALL_GROUPS] * len(data), dtype="string"),
        "wave": wave, "base": base, "positives": positives,
    })
    usable = frame["base"].notna() & frame["positives"].notna() & frame["group"].notna()
    notes: list[str] = []
    dropped = int((~usable).sum())
    if dropped:
        notes.append(f"{dropped} row(s) without a base or a positive count were left out.")
    frame = frame[usable]
    parts = [frame]
    if group_column:
        parts.append(frame.assign(group=ALL_GROUPS))
    cells = (pd.concat(parts, ignore_index=True)
             .groupby(["item", "group", "wave"], sort=True).agg(base=("base", "sum"), positives=("positives", "sum"))
             .reset_index())
    cells["positives"] = cells["positives"].round().astype("int64")
    cells["base"] = cells["base"].round().astype("int64")
    cells["n_dont_know"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["n_excluded"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["p_hat"] = np.where(cells["base"] > 0, cells["positives"] / cells["base"].where(cells["base"] > 0, 1), np.nan)
    cells["effective_n"] = cells["base"].astype(float)
    cells["weighted"] = False
    if rate_column:
        notes.append("Positives were derived from published percentages x base, rounded to whole people.")
    if weighting_column:
        methods = (data.loc[usable.to_numpy(), [weighting_column]].assign(wave=wave[usable])
                   .groupby("wave")[weighting_column].agg(lambda s: ", ".join(sorted(map(str, s.dropna().unique())))))
        if methods.nunique() > 1:
            detail = "; ".join(f"{w}: {m}" for w, m in methods.items())
            notes.append(f"The weighting method differs between waves ({detail}), so part of any "
                         "change may reflect the method rather than opinion.")
    return cells, notes


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


# --------------------------------------------------------------------------- assembly
def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})


def adjust_pvalues(results: pd.DataFrame) -> pd.DataFrame:
    """Holm and Benjamini-Hochberg p-values across items within family x test x group.

    ``p_adjusted`` is the Holm value: it controls the chance of *any* false
    finding in the family, the safer reading for plain-English claims.
    Suppressed rows and rows without a p-value take no part.
    """
    from statsmodels.stats.multitest import multipletests

    out = results.copy()
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    eligible = out["test"].isin(TESTED) & out["p_value"].notna() & ~out["suppressed"].astype(bool)
    for _, idx in out[eligible].groupby(["family", "test", "group"], sort=False).groups.items():
        p = out.loc[idx, "p_value"].to_numpy(float)
        out.loc[idx, "p_holm"] = multipletests(p, method="holm")[1]
        out.loc[idx, "p_bh"] = multipletests(p, method="fdr_bh")[1]
    out["p_adjusted"] = out["p_holm"]
    return out


def _suppress_models(rows: pd.DataFrame, est: pd.DataFrame, threshold: int) -> pd.Series:
    """A model row is hidden when its total base is under the threshold."""
    return pd.Series(is_suppressed(rows["n"].to_numpy(), threshold), index=rows.index) & (rows["n"] > 0)


@dataclass
class ChangeAnalysis:
    """Everything :func:`analyse_change` found.

    Attributes
    ----------
    results
        The tidy results table (contract in the module docstring); suppressed rows blanked.
    cells
        Unsuppressed cell estimates, for internal use only (never publish).
    notes
        Plain-English caveats that apply to the whole analysis.
    groups
        Comparison groups (excluding ``"all"``).
    """

    results: pd.DataFrame
    cells: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def analyse_change(
    cells: pd.DataFrame,
    answers: pd.DataFrame | None = None,
    *,
    threshold: int = 10,
    baseline_wave: int | None = None,
    latest_wave: int | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    families: Mapping[str, str] | None = None,
    group_order: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    use_gee: bool | None = None,
) -> ChangeAnalysis:
    """Run every change-over-time estimate and test and return the tidy table.

    Parameters
    ----------
    cells
        From :func:`count_cells` or :func:`cells_from_aggregate`.
    answers
        Respondent-level answers (:func:`prepare_responses`); needed for the ordinal
        and GEE models, which are skipped for aggregate data.
    threshold
        Suppression threshold (config ``suppression_threshold``).
    baseline_wave
        Configured baseline wave (config ``change.baseline_wave``); default the first wave.
    latest_wave
        Latest wave (config ``latest_wave``); default the last wave with data per series.
    alpha, power
        Significance level / interval level and power for the minimum detectable difference.
    families
        Item -> multiple-comparison family (config items' ``family``); default one family.
    group_order
        Order of the comparison groups (the first is the reference in group contrasts).
    notes
        Caveats to carry into the output (e.g. from :func:`cells_from_aggregate`).
    use_gee
        Force GEE on or off; default on when persistent ids repeat across waves.

    Returns
    -------
    ChangeAnalysis
    """
    est = estimate_cells(cells, threshold=threshold, alpha=alpha, power=power)
    # Models see only publishable cells: a trend fitted through a hidden cell, next to
    # the shown cells, would let a reader work the hidden cell out.
    shown = est[~est["suppressed"]]
    hidden = set(est.loc[est["suppressed"], ["item", "group", "wave"]].astype(object).itertuples(index=False, name=None))
    present = [g for g in est["group"].unique() if g != ALL_GROUPS]
    groups = [g for g in (group_order or []) if g in present] + sorted(g for g in present if g not in (group_order or []))
    if baseline_wave is None:
        baseline_wave = int(est["wave"].min())
    all_notes = list(notes)
    if answers is not None:
        all_notes.insert(0, DONT_KNOW_NOTE)

    pct = est.assign(test="pct_positive", estimate=est["pct"], n=est["base"],
                     effective_n=np.where(est["weighted"], est["effective_n"], np.nan),
                     deff=np.where(est["weighted"], est["deff"], np.nan),
                     method=np.where(est["weighted"], "weighted % positive; Wilson interval on Kish effective n",
                                     "% positive; Wilson score interval"))
    dk = est["n_dont_know"]
    pct["note"] = np.where(dk.notna() & (dk.fillna(0) > 0),
                           "base excludes " + dk.astype("string").fillna("0") + " Don't know answer(s)", pd.NA)
    pct.loc[pct["secondary"].to_numpy(), "note"] = ("hidden because a group in it has too few answers "
                                                  "(it could otherwise be worked out by subtraction)")
    parts = [pct[[c for c in RESULT_COLUMNS if c in pct.columns]],
             wave_differences(est, latest_wave=latest_wave, baseline_wave=baseline_wave, alpha=alpha),
             group_differences(est, groups, latest_wave=latest_wave, alpha=alpha),
             trend_logit(shown, alpha=alpha)]
    if len(groups) >= 2:
        parts.append(interaction_lrt(shown, groups, alpha=alpha))
    if answers is not None and answers["score"].notna().any():
        parts.append(ordinal_trend(answers, alpha=alpha, hidden=hidden))
    elif answers is None:
        all_notes.append("The full-scale (ordinal) and repeated-respondent (GEE) models need "
                         "respondent-level data and were not run on aggregate data.")
    if answers is not None and (use_gee if use_gee is not None else has_repeated_respondents(answers)):
        parts.append(gee_trend(answers, alpha=alpha, hidden=hidden))
        all_notes.append("Some people answered in more than one wave; trends are also estimated "
                         "by GEE with people as clusters (gee_trend), which the sentences use.")
    parts = [p for p in parts if len(p)]
    results = pd.concat([p.astype(object) for p in parts], ignore_index=True)
    for column in RESULT_COLUMNS:
        if column not in results.columns:
            results[column] = pd.NA
    results = results[list(RESULT_COLUMNS)].copy()
    for column in _NUMERIC_RESULT:
        results[column] = pd.to_numeric(results[column], errors="coerce").astype(float)
    results["suppressed"] = results["suppressed"].astype("boolean")
    model_rows = results["suppressed"].isna()
    results.loc[model_rows, "suppressed"] = _suppress_models(results[model_rows], est, threshold)
    results["suppressed"] = results["suppressed"].astype(bool)
    results["family"] = results["item"].map(dict(families or {})).fillna("all items")
    left_out = (est[est["suppressed"]].groupby(["item", "group"])["wave"]
                .agg(lambda w: ", ".join(str(v) for v in sorted(w))))
    is_model = results["test"].isin(["trend_logit", "gee_trend", "ordinal_trend"])
    for idx in results.index[is_model]:
        waves = left_out.get((results.at[idx, "item"], results.at[idx, "group"]))
        if waves:
            extra = f"{waves} left out (fewer than {threshold} answers)"
            current = results.at[idx, "note"]
            results.at[idx, "note"] = extra if pd.isna(current) or not current else f"{current}; {extra}"
    weighted_notes = [n for n in notes if "weighting method differs" in n]
    if weighted_notes:
        is_test = results["test"] != "pct_positive"
        results.loc[is_test, "note"] = results.loc[is_test, "note"].fillna("").astype(str).str.cat(
            ["weighting method differs between waves"] * int(is_test.sum()), sep="; ").str.strip("; ")
    results = adjust_pvalues(results)
    results.loc[results["suppressed"], list(_NUMERIC_RESULT)] = np.nan
    results["note"] = results["note"].astype("string")
    for column in ("item", "group", "test", "method", "family"):
        results[column] = results[column].astype("string")
    for column in ("wave", "comparison_wave"):
        results[column] = pd.to_numeric(results[column], errors="coerce").astype("Int64")
    order = {t: i for i, t in enumerate(["pct_positive", "diff_previous", "diff_baseline", "diff_groups",
                                         "trend_logit", "gee_trend", "ordinal_trend", "interaction_lrt"])}
    results = results.sort_values(["item", "test", "group", "wave"],
                                  key=lambda s: s.map(order) if s.name == "test" else s,
                                  kind="stable").reset_index(drop=True)
    return ChangeAnalysis(results=results, cells=est, notes=all_notes, groups=groups)


# --------------------------------------------------------------------------- sentences
def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _pp(value: float, digits: int = 0) -> str:
    text = f"{value:+.{digits}f}" if round(value, digits) != 0 else "0"
    return f"{text} point" if text.lstrip("+-") == "1" else f"{text} points"


def _num(value: float, digits: int) -> str:
    """A signed-safe number: never '-0'."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _dp(low: float, high: float, unit: float = 1.0) -> int:
    """Decimals needed so that a narrow interval does not print as '30 to 30'."""
    width = abs(high - low) / unit
    return 0 if width >= 2 else 1 if width >= 0.2 else 2


def _per(row: pd.Series) -> str:
    years = all(1900 <= int(w) <= 2200 for w in (row["wave"], row["comparison_wave"]) if pd.notna(w))
    return "per year" if years else "per wave unit"


def _diff_clause(row: pd.Series, alpha: float, threshold: int, wording_changed: bool) -> str:
    since = f"since {row['comparison_wave']}"
    if row["suppressed"]:
        return (f"The change {since} is not shown because fewer than {threshold} people "
                "answered in one of the waves.")
    if pd.isna(row["estimate"]):
        return f"The change {since} could not be estimated."
    p = row["p_adjusted"] if pd.notna(row["p_adjusted"]) else row["p_value"]
    d = _dp(row["ci_low"], row["ci_high"])
    interval = f"95% CI {_num(row['ci_low'], d)} to {_num(row['ci_high'], d)} points; adjusted {_fmt_p(p)}"
    caveat = " The question wording changed in between, so compare with care." if wording_changed else ""
    if p < alpha:
        direction = "up" if row["estimate"] > 0 else "down"
        size = abs(round(row["estimate"]))
        unit = "percentage point" if size == 1 else "percentage points"
        return f"This is {direction} {size} {unit} {since} ({interval}).{caveat}"
    return (f"There is no evidence of a change {since} ({_pp(row['estimate'], d)}; the true change could be "
            f"anywhere from {_num(row['ci_low'], d)} to {_num(row['ci_high'], d)} points; adjusted {_fmt_p(p)}).{caveat}")


def _trend_clause(row: pd.Series, alpha: float, threshold: int, subject: str = "a positive answer") -> str:
    span = f"{row['comparison_wave']}-{row['wave']}"
    if row["suppressed"]:
        return f"The trend over {span} is not shown because fewer than {threshold} people answered."
    if pd.isna(row["estimate"]):
        return ""
    p = row["p_adjusted"] if pd.notna(row["p_adjusted"]) else row["p_value"]
    what = "respondents as clusters" if row["test"] == "gee_trend" else "all waves"
    note = str(row["note"]) if pd.notna(row["note"]) else ""
    if "left out" in note:
        what += "; " + next(part for part in note.split("; ") if "left out" in part)
    d = 2 + _dp(row["ci_low"], row["ci_high"], unit=0.01)
    interval = (f"odds ratio {_per(row)} {row['estimate']:.{d}f}, 95% CI {row['ci_low']:.{d}f} to "
                f"{row['ci_high']:.{d}f}; adjusted {_fmt_p(p)}; {what}")
    if p < alpha:
        direction = "rose" if row["estimate"] > 1 else "fell"
        return f"Over {span} the odds of {subject} {direction} ({interval})."
    return f"Over {span} there is no evidence of a trend ({interval})."


def change_sentences(
    results: pd.DataFrame,
    *,
    threshold: int,
    alpha: float = 0.05,
    item_labels: Mapping[str, str] | None = None,
    wording_changes: Mapping[str, Sequence[int]] | None = None,
    outcome_phrase: str = "answered positively",
) -> pd.DataFrame:
    """One plain-English paragraph per item x group, from the tidy results table.

    Uses the Holm-adjusted p-values. A test that finds nothing is reported as
    "no evidence of a change", never "no change". Suppressed cells yield a sentence
    with no numbers.

    Parameters
    ----------
    results
        ``ChangeAnalysis.results``.
    threshold
        Suppression threshold (only quoted, never used to re-derive numbers).
    alpha
        Significance level for the adjusted p-values.
    item_labels
        Item id -> short label for the prose.
    wording_changes
        Item id -> waves in which the wording changed (from the question bank).
    outcome_phrase
        What the percentage counts, e.g. "answered positively" or, for an aggregate
        measure, "reported feeling burnt out".

    Returns
    -------
    pd.DataFrame
        ``item, group, sentence``.
    """
    labels = dict(item_labels or {})
    changes = {k: list(v) for k, v in (wording_changes or {}).items()}
    rows = []
    for (item, group), sub in results[results["group"].isin(
            results.loc[results["test"] == "pct_positive", "group"].unique())].groupby(["item", "group"], sort=False):
        label = labels.get(item, item)
        who = "everyone" if group == ALL_GROUPS else group
        pct = sub[sub["test"] == "pct_positive"].sort_values("wave")
        if pct.empty:
            continue
        latest = pct.iloc[-1]
        if latest["suppressed"]:
            text = f"{label} ({who}): fewer than {threshold} people answered in {latest['wave']}, so no figures are shown."
        else:
            d = _dp(latest["ci_low"], latest["ci_high"])
            text = (f"{label} ({who}): {latest['estimate']:.{d}f}% {outcome_phrase} in {latest['wave']} "
                    f"(95% CI {latest['ci_low']:.{d}f}% to {latest['ci_high']:.{d}f}%; n = {latest['n']:,.0f}).")
        for test in ("diff_previous", "diff_baseline"):
            for _, row in sub[sub["test"] == test].iterrows():
                changed = any(row["comparison_wave"] < w <= row["wave"] for w in changes.get(item, []))
                text += " " + _diff_clause(row, alpha, threshold, changed)
        trend = sub[sub["test"] == "gee_trend"]
        if trend.empty or trend["estimate"].isna().all():
            trend = sub[sub["test"] == "trend_logit"]
        for _, row in trend.iterrows():
            clause = _trend_clause(row, alpha, threshold,
                                   "a positive answer" if outcome_phrase == "answered positively"
                                   else f"this outcome ({outcome_phrase})")
            text += (" " + clause) if clause else ""
        rows.append({"item": item, "group": group, "sentence": text})
    for _, row in results[results["test"] == "interaction_lrt"].iterrows():
        label = labels.get(row["item"], row["item"])
        groups_text = row["method"].split("(", 1)[-1].split(")", 1)[0]
        if row["suppressed"] or pd.isna(row["p_value"]):
            continue
        p = row["p_adjusted"]
        if p < alpha:
            text = (f"{label}: the trend differs between groups ({groups_text}; likelihood-ratio test, "
                    f"adjusted {_fmt_p(p)}).")
        else:
            text = (f"{label}: there is no evidence that the trend differs between groups ({groups_text}; "
                    f"likelihood-ratio test, adjusted {_fmt_p(p)}).")
        rows.append({"item": row["item"], "group": "interaction", "sentence": text})
    for _, row in results[results["test"] == "diff_groups"].iterrows():
        label = labels.get(row["item"], row["item"])
        first, _, second = str(row["group"]).partition(" vs ")
        if row["suppressed"] or pd.isna(row["estimate"]):
            text = (f"{label}: {first} and {second} cannot be compared in {row['wave']} because fewer than "
                    f"{threshold} people answered in one group.")
        else:
            p = row["p_adjusted"]
            interval = f"95% CI {_num(row['ci_low'], 0)} to {_num(row['ci_high'], 0)} points; adjusted {_fmt_p(p)}"
            if p < alpha:
                more = first if row["estimate"] > 0 else second
                text = (f"{label}: in {row['wave']}, {more} {outcome_phrase} {abs(row['estimate']):.0f} "
                        f"percentage points more often ({first} minus {second}, {interval}).")
            else:
                text = (f"{label}: in {row['wave']} there is no evidence of a difference between {first} and "
                        f"{second} ({_pp(row['estimate'])}, {interval}).")
        rows.append({"item": row["item"], "group": str(row["group"]), "sentence": text})
    return pd.DataFrame(rows, columns=["item", "group", "sentence"])


def wording_table(items: Sequence) -> pd.DataFrame:
    """Question wording by wave and the positive definition, from config question-bank items.

    Parameters
    ----------
    items
        ``config.question_bank.items`` (objects with ``id, short_label, wording, positive``).

    Returns
    -------
    pd.DataFrame
        ``item, short_label, from_wave, wording, positive, wording_changed``.
    """
    rows = []
    for item in items:
        waves = sorted(item.wording)
        for i, wave in enumerate(waves):
            rows.append({"item": item.id, "short_label": item.short_label, "from_wave": wave,
                         "wording": item.wording[wave], "positive": " or ".join(item.positive),
                         "wording_changed": i > 0})
    return pd.DataFrame(rows)


def wording_changes(items: Sequence) -> dict[str, list[int]]:
    """Item id -> waves from which a new wording applied (first wording excluded)."""
    return {item.id: sorted(item.wording)[1:] for item in items}


def power_table(results: pd.DataFrame) -> pd.DataFrame:
    """Latest-wave minimum detectable differences per item x group (unsuppressed rows)."""
    pct = results[results["test"] == "pct_positive"]
    latest = pct.loc[pct.groupby(["item", "group"])["wave"].idxmax()]
    return latest[["item", "group", "wave", "n", "effective_n", "estimate", "mdd_pp", "suppressed"]].rename(
        columns={"estimate": "pct_positive"}).reset_index(drop=True)


def format_results(results: pd.DataFrame, tests: Sequence[str], *, item_labels: Mapping[str, str] | None = None,
                   threshold: int = 10) -> pd.DataFrame:
    """A readable table of some tests (text cells, suppressed rows say so) for notebooks and reports.

    Parameters
    ----------
    results
        ``ChangeAnalysis.results``.
    tests
        Which ``test`` values to show.
    item_labels
        Item id -> label.
    threshold
        Suppression threshold, quoted for hidden rows.

    Returns
    -------
    pd.DataFrame
        Question, Group, Test, Wave, Compared with, Estimate, 95% CI, p, adjusted p (Holm), n.
    """
    labels = dict(item_labels or {})
    sub = results[results["test"].isin(list(tests))]
    units = {"pct_positive": "%", "diff_previous": " pts", "diff_baseline": " pts", "diff_groups": " pts"}
    rows = []
    for _, r in sub.iterrows():
        unit = units.get(r["test"], "")
        digits = 1 if unit else 3
        hidden = bool(r["suppressed"])
        est = (f"fewer than {threshold} answers" if hidden else "" if pd.isna(r["estimate"])
               else f"{r['estimate']:.{digits}f}{unit}")
        ci = ("" if hidden or pd.isna(r["ci_low"]) else f"{r['ci_low']:.{digits}f} to {r['ci_high']:.{digits}f}")
        rows.append({"Question": labels.get(r["item"], r["item"]), "Group": r["group"], "Test": r["test"],
                     "Wave": r["wave"], "Compared with": r["comparison_wave"], "Estimate": est, "95% CI": ci,
                     "p": "" if pd.isna(r["p_value"]) else f"{r['p_value']:.3g}",
                     "adjusted p (Holm)": "" if pd.isna(r["p_adjusted"]) else f"{r['p_adjusted']:.3g}",
                     "n": "" if pd.isna(r["n"]) else f"{r['n']:,.0f}"})
    return pd.DataFrame(rows)


def headline_metrics(results: pd.DataFrame, sentences: pd.DataFrame, notes: Sequence[str] = ()) -> dict:
    """Per item and group: latest % positive, interval, changes with adjusted p; plus the sentences.

    The report's executive summary reads these (via :func:`analysis.core.recording.record`).
    Suppressed values are None.
    """
    def value(row: pd.DataFrame, column: str):
        return None if row.empty or pd.isna(row[column].iloc[0]) else float(row[column].iloc[0])

    items: dict = {}
    pct = results[results["test"] == "pct_positive"]
    for (item, group), sub in pct.groupby(["item", "group"], sort=False):
        latest = sub[sub["wave"] == sub["wave"].max()]
        entry = {"wave": int(latest["wave"].iloc[0]), "pct_positive": value(latest, "estimate"),
                 "ci_low": value(latest, "ci_low"), "ci_high": value(latest, "ci_high"), "n": value(latest, "n"),
                 "suppressed": bool(latest["suppressed"].iloc[0]), "mdd_pp": value(latest, "mdd_pp")}
        for test in ("diff_previous", "diff_baseline", "trend_logit", "gee_trend"):
            row = results[(results["item"] == item) & (results["group"] == group) & (results["test"] == test)]
            if not row.empty:
                entry[test] = {"estimate": value(row, "estimate"), "ci_low": value(row, "ci_low"),
                               "ci_high": value(row, "ci_high"), "p_value": value(row, "p_value"),
                               "p_adjusted": value(row, "p_adjusted"),
                               "comparison_wave": None if pd.isna(row["comparison_wave"].iloc[0])
                               else int(row["comparison_wave"].iloc[0]),
                               "suppressed": bool(row["suppressed"].iloc[0])}
        items.setdefault(item, {})[group] = entry
    return {"items": items, "sentences": sentences.to_dict(orient="records"), "notes": list(notes),
            "p_adjusted_method": "Holm (family-wise, across the items of a family)",
            "gee_used": bool((results["test"] == "gee_trend").any())}


# --------------------------------------------------------------------------- output
def write_outputs(analysis: ChangeAnalysis, sentences: pd.DataFrame, out_dir: str | Path, *,
                  stem: str = "results", sentences_name: str = "sentences.md",
                  title: str = "Change over time") -> dict[str, Path]:
    """Write the results table (CSV + Parquet) and the sentences (Markdown).

    Returns
    -------
    dict
        ``{"csv": ..., "parquet": ..., "sentences": ...}`` paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": out / f"{stem}.csv", "parquet": out / f"{stem}.parquet", "sentences": out / sentences_name}
    analysis.results.to_csv(written["csv"], index=False)
    analysis.results.to_parquet(written["parquet"], index=False)
    lines = [f"# {title}", ""]
    lines += [f"- {note}" for note in analysis.notes]
    lines += ["- Adjusted p-values are Holm-adjusted across the items of a family.", ""]
    for item, sub in sentences.groupby("item", sort=False):
        lines += [f"## {item}", ""] + [f"- {s}" for s in sub["sentence"]] + [""]
    written["sentences"].write_text("\n".join(lines), encoding="utf-8")
    return written
