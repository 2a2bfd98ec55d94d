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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.change.contract import (  # noqa: F401
    _LEVEL_CODE,
    _MISSING_LABELS,
    _NUMERIC_RESULT,
    ALL_GROUPS,
    DONT_KNOW_NOTE,
    MAX_LOGIT_SE,
    MIN_REPEATED_FOR_EXCHANGEABLE,
    RESULT_COLUMNS,
    TESTED,
)
from analysis.change.differences import (  # noqa: F401  (one module for callers)
    _difference_rows,
    _wave_pairs,
    estimate_cells,
    group_differences,
    wave_differences,
)
from analysis.change.models import (  # noqa: F401  (one module for callers)
    _centre,
    _fit_glm,
    _with_pooled,
    gee_trend,
    has_repeated_respondents,
    interaction_lrt,
    ordinal_trend,
    trend_logit,
)
from analysis.change.outputs import (  # noqa: F401  (one module for callers)
    write_outputs,
)
from analysis.change.prepare import (  # noqa: F401  (one module for callers)
    _numeric_waves,
    _require_columns,
    _score_and_label,
    cells_from_aggregate,
    count_cells,
    prepare_responses,
)
from analysis.change.sentences import (  # noqa: F401  (one module for callers)
    _diff_clause,
    _dp,
    _fmt_p,
    _num,
    _per,
    _pp,
    _trend_clause,
    change_sentences,
    format_results,
    headline_metrics,
    power_table,
    wording_changes,
    wording_table,
)
from analysis.stats.comparisons import FISHER_MIN_EXPECTED, compare_proportions  # noqa: F401
from analysis.stats.power import minimum_detectable_difference, power_two_proportions  # noqa: F401
from analysis.stats.proportions import is_suppressed

# --------------------------------------------------------------------------- assembly

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
