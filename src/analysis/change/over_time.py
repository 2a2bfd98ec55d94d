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
group              comparison group; ``"all"`` holds the pooled analysis, standardised
                   to a fixed group mix when there are groups (crude pool in
                   ``crude_*``); ``"all, present in every wave"`` the like-for-like
                   pool of units (aggregate data with a unit id); ``"group not
                   recorded"`` answers with a blank group (in ``"all"``, never
                   compared); ``diff_groups`` rows name both groups (``"A vs B"``)
wave               the wave the row describes (latest wave for tests)
comparison_wave    the other wave of a difference, or the first wave of a trend
test               ``pct_positive`` (estimate in percent), ``diff_previous`` and
                   ``diff_baseline`` (percentage points, latest minus earlier),
                   ``diff_groups`` (percentage points, first group minus second,
                   latest wave), ``trend_logit`` (odds ratio per unit of wave),
                   ``interaction_lrt`` (ratio of the two groups' odds ratios per
                   wave when there are two groups), ``ordinal_trend`` (cumulative
                   odds ratio per unit of wave), ``gee_trend`` (odds ratio per
                   unit of wave, respondents as clusters), ``diff_step`` (percentage
                   points, each wave minus the one before; only where the linearity
                   check fails). Model checks that gate sentences, with a p-value and
                   no estimate (statistic in ``method``), never adjusted:
                   ``trend_linearity`` (step vs slope: linear trend against wave as a
                   factor) and ``proportional_odds`` (Brant test)
estimate           see ``test``
ci_low, ci_high    95% interval (or 1 - alpha) of this comparison alone, in the
                   units of ``estimate``
p_value            raw p-value of the test that inverts that interval (Newcombe's
                   score test for differences, Wald for odds ratios), so
                   ``p_value < alpha`` exactly when the interval excludes no change
p_adjusted         Bonferroni within the family, ``min(1, family_size x p_value)``:
                   the p the sentences print
ci_low_adj,        the matching simultaneous interval (level 1 - alpha /
ci_high_adj        family_size): the interval the sentences print
verdict            ``up``, ``down`` (``differs`` for an interaction without an
                   interval) or ``no evidence``: from the simultaneous interval, so
                   it claims a change exactly when ``p_adjusted < alpha``
claim              True on the rows the sentences can make a claim from; they are
                   the family (:mod:`analysis.change.verdicts`)
family_size        number of claims in the family (``m``)
p_holm, p_bh       Holm and Benjamini-Hochberg over the same family's claims, for
                   information (no interval matches them)
n                  people (answers) behind the row; for weighted data the
                   unweighted count
positives          people answering positively (unweighted count)
effective_n, deff  effective sample size and design effect where the variance is
                   not binomial: Kish (weighted data), base / dispersion (aggregate
                   data), or from the group variances (standardised ``"all"``)
mdd_pp             minimum detectable difference (percentage points) at the
                   configured power for a next wave of the same size
method             how the row was computed
family             multiple-comparison family of the item (config items' ``family``;
                   every claim of every item and group in it is one family)
suppressed         True when a base under the suppression threshold hides
                   the row; every number in it is then missing
note               caveats (e.g. Don't know excluded, weighting changed)
crude_estimate,    the crude pool's estimate, 95% interval and p beside a
crude_ci_low,      standardised ``"all"`` row (``pct_positive``, ``diff_previous``,
crude_ci_high,     ``diff_baseline``, ``trend_logit``); missing elsewhere
crude_p_value
dispersion         extra-binomial variance factor of the cell (aggregate data:
                   1 + rho (sum n_i^2 / N - 1), rho the intra-organisation
                   correlation from the Pearson chi-squared; missing when binomial)
n_units            aggregate rows (e.g. organisations) summed into the cell
=================  ==========================================================

Wave numbers are used as numbers: a trend's odds ratio is per one unit of the
wave (per year when waves are years), so 2019, 2021, 2022 are spaced correctly.
Where the wording (``breaks``) or the weighting method changed, trends have a step at
that wave and the slope is estimated within the waves on each side.
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
    CHECKS,
    DONT_KNOW_NOTE,
    MAX_LOGIT_SE,
    MIN_REPEATED_FOR_EXCHANGEABLE,
    MISSING_GROUP,
    PANEL_GROUP,
    POOLED_GROUPS,
    RESULT_COLUMNS,
    TESTED,
)
from analysis.change.differences import (  # noqa: F401  (one module for callers)
    _difference_rows,
    _wave_pairs,
    attach_crude,
    estimate_cells,
    group_differences,
    pct_method,
    standardise_pooled,
    step_differences,
    wave_differences,
)
from analysis.change.gaps import (  # noqa: F401  (one module for callers)
    family_mdd,
    gap_records,
    gap_table,
    series_records,
)
from analysis.change.models import (  # noqa: F401  (one module for callers)
    _centre,
    _fit_glm,
    _with_pooled,
    brant_test,
    gee_trend,
    has_repeated_respondents,
    interaction_lrt,
    ordinal_trend,
    trend_linearity,
    trend_logit,
)
from analysis.change.outputs import (  # noqa: F401  (one module for callers)
    write_outputs,
)
from analysis.change.prepare import (  # noqa: F401  (one module for callers)
    AnswerScale,
    _numeric_waves,
    _require_columns,
    _score_and_label,
    cells_from_aggregate,
    classify_answers,
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
    ordinal_sentences,
    power_table,
    reader_table,
    wording_changes,
    wording_table,
)
from analysis.change.verdicts import (  # noqa: F401  (one module for callers)
    adjust_family,
    claim_rows,
    family_definition,
    methods_text,
    quoted_trends,
)
from analysis.stats.comparisons import FISHER_MIN_EXPECTED, compare_proportions  # noqa: F401
from analysis.stats.power import minimum_detectable_difference, power_two_proportions  # noqa: F401
from analysis.stats.proportions import is_suppressed

# --------------------------------------------------------------------------- assembly

def adjust_pvalues(results: pd.DataFrame, *, alpha: float = 0.05, intervals_at=None) -> pd.DataFrame:
    """The family's Bonferroni p, simultaneous intervals and one verdict per row.

    See :mod:`analysis.change.verdicts` (the family is every comparison the sentences
    can claim; ``p_adjusted`` = ``min(1, m p)`` and ``ci_low_adj``/``ci_high_adj`` are the
    matching ``1 - alpha / m`` intervals). ``p_holm`` and ``p_bh`` over the same family
    are kept for information. Suppressed rows and rows without a p-value take no part.
    """
    return adjust_family(results, alpha=alpha, intervals_at=intervals_at)


def _suppress_models(rows: pd.DataFrame, est: pd.DataFrame, threshold: int) -> pd.Series:
    """Which model rows may not be published.

    Models are fitted on every answer, including cells too small to show (suppression
    is for publication, not for analysis). A model row is hidden when its total base is
    under the threshold, or when its series has fewer than two publishable waves or no
    more publishable than hidden ones: a trend through one shown and one hidden wave
    is the hidden wave's difference in disguise.
    """
    small = pd.Series(is_suppressed(rows["n"].to_numpy(), threshold), index=rows.index) & (rows["n"] > 0)
    counts = est.assign(hidden=est["suppressed"].astype(bool)).groupby(["item", "group"])["hidden"].agg(["sum", "size"])
    group_counts = est[~est["group"].isin([ALL_GROUPS])].assign(hidden=lambda e: e["suppressed"].astype(bool)) \
        .groupby("item")["hidden"].agg(["sum", "size"])
    thin = []
    for idx in rows.index:
        key = (rows.at[idx, "item"], rows.at[idx, "group"])
        if rows.at[idx, "test"] == "interaction_lrt":
            hidden, size = group_counts.loc[key[0]] if key[0] in group_counts.index else (0, 0)
        else:
            hidden, size = counts.loc[key] if key in counts.index else (0, 0)
        shown = size - hidden
        thin.append(bool(hidden) and (shown < 2 or shown <= hidden))
    return small | pd.Series(thin, index=rows.index, dtype=bool)


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



def _without_small_missing_group(cells: pd.DataFrame, answers: pd.DataFrame | None,
                                 threshold: int) -> tuple[pd.DataFrame, pd.DataFrame | None, str | None]:
    """Cells and answers without the no-group answers of any item and wave where they are 1 to threshold-1.

    Published "everyone" minus the published named groups equals the answers with no group: where
    those are too few to publish, they are left out of that item and wave (and said so, without the
    number), so that no count under the threshold can be recovered by subtraction.
    """
    missing = cells["group"].eq(MISSING_GROUP) & cells["base"].between(1, threshold - 1)
    if not missing.any() or answers is None:
        # Aggregate rows carry no respondents to leave out; their blank groups are the publisher's own.
        return cells, answers, None
    dropped = cells.loc[missing, ["item", "wave"]]
    key = pd.MultiIndex.from_frame(answers[["item", "wave"]].astype(object))
    small = key.isin(list(dropped.astype(object).itertuples(index=False, name=None)))
    answers = answers[~(small & answers["group"].eq(MISSING_GROUP).to_numpy())]
    waves = ", ".join(str(w) for w in sorted(dropped["wave"].unique()))
    note = (f"In {waves}, fewer than {threshold} answers to some questions had no group recorded; "
            "they are left out of everyone there, so that their number cannot be worked out.")
    # Recounted, so that the pooled cells ("everyone") leave them out too.
    return count_cells(answers), answers, note

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
    standard_mix: Mapping[str, float] | None = None,
    breaks: Mapping[str, Sequence[int]] | None = None,
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
    standard_mix
        Group -> share for the standardised ``"all"`` figure (config
        ``change.standard_group_mix``); default the latest wave's mix of answers.
    breaks
        Item -> waves from which the question wording changed (:func:`wording_changes`);
        trends get a step there. Weighting-method changes flagged by
        :func:`cells_from_aggregate` are breaks too.

    Returns
    -------
    ChangeAnalysis
    """
    # Answers with no group recorded count in "everyone", unless too few to publish in an item and wave:
    # "everyone" minus the named groups would then give their number away, so they are left out there.
    cells, answers, small_missing_note = _without_small_missing_group(cells, answers, threshold)
    # Fair pooling: "all" is standardised to a fixed group mix; the crude pool goes beside it.
    cells, crude_cells, pooling_notes = standardise_pooled(cells, mix=standard_mix, latest_wave=latest_wave)
    est = estimate_cells(cells, threshold=threshold, alpha=alpha, power=power)
    # Models use every answer, including cells too small to publish: suppression is for
    # publication (tables, sentences, figures), never for analysis (_suppress_models).
    present = [g for g in est["group"].unique() if g not in (*POOLED_GROUPS, MISSING_GROUP)]
    groups = [g for g in (group_order or []) if g in present] + sorted(g for g in present if g not in (group_order or []))
    if baseline_wave is None:
        baseline_wave = int(est["wave"].min())
    all_notes = list(notes)
    if answers is not None:
        all_notes.insert(0, DONT_KNOW_NOTE)
        blank = int((answers["group"] == MISSING_GROUP).sum())
        if blank:
            counted = f"{blank} answer(s)" if blank >= threshold else f"Fewer than {threshold} answers"
            all_notes.append(f"{counted} had no group: they count in everyone and are shown as "
                             f"'{MISSING_GROUP}', never compared.")
    if small_missing_note:
        all_notes.append(small_missing_note)
    all_notes += pooling_notes

    pct = est.assign(test="pct_positive", estimate=est["pct"], n=est["base"],
                     effective_n=np.where(est["adjusted"], est["effective_n"], np.nan),
                     deff=np.where(est["adjusted"], est["deff"], np.nan), method=pct_method(est))
    dk = est["n_dont_know"]
    pct["note"] = np.where(dk.notna() & (dk.fillna(0) > 0),
                           "base excludes " + dk.astype("string").fillna("0") + " Don't know answer(s)", pd.NA)
    if "excluded_detail" in est.columns:  # every kind of answer left out of the base, counted
        detail = est["excluded_detail"].astype("string")
        pct["note"] = np.where(detail.notna(), "base excludes " + detail.fillna(""), pct["note"])
    pct.loc[pct["secondary"].to_numpy(), "note"] = ("hidden because a group in it has too few answers "
                                                  "(it could otherwise be worked out by subtraction)")
    # Step or slope: where a line does not describe the waves, the steps between them are tested.
    linearity = trend_linearity(est, alpha=alpha, breaks=breaks)
    stepped = ([] if linearity.empty else list(linearity.loc[linearity["p_value"].fillna(1.0) < alpha,
                                                             ["item", "group"]].itertuples(index=False, name=None)))

    def differences(level_alpha: float) -> list[pd.DataFrame]:
        # One definition of the difference rows, called again at the family's level by
        # adjust_pvalues so that the simultaneous intervals come from the same method.
        return [wave_differences(est, latest_wave=latest_wave, baseline_wave=baseline_wave, alpha=level_alpha),
                group_differences(est, groups, latest_wave=latest_wave, alpha=level_alpha),
                step_differences(est, stepped, alpha=level_alpha)]

    parts = [pct[[c for c in RESULT_COLUMNS if c in pct.columns]], *differences(alpha),
             trend_logit(est, alpha=alpha, breaks=breaks), linearity]
    if len(groups) >= 2:
        parts.append(interaction_lrt(est, groups, alpha=alpha))
    if answers is not None and answers["score"].notna().any():
        parts.append(ordinal_trend(answers, alpha=alpha, breaks=breaks, checks=True))
    elif answers is None:
        all_notes.append("The full-scale (ordinal) and repeated-respondent (GEE) models need "
                         "respondent-level data and were not run on aggregate data.")
    if answers is not None and (use_gee if use_gee is not None else has_repeated_respondents(answers)):
        parts.append(gee_trend(answers, alpha=alpha, breaks=breaks))
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
    if len(crude_cells):
        crude_est = estimate_cells(pd.concat([crude_cells, cells[cells["group"] != ALL_GROUPS]], ignore_index=True),
                                   threshold=threshold, alpha=alpha, power=power)
        crude_est = crude_est[crude_est["group"] == ALL_GROUPS]
        results = attach_crude(results, pd.concat([
            crude_est.assign(test="pct_positive", estimate=crude_est["pct"], comparison_wave=pd.NA),
            wave_differences(crude_est, latest_wave=latest_wave, baseline_wave=baseline_wave, alpha=alpha),
            trend_logit(crude_est, alpha=alpha, breaks=breaks)], ignore_index=True))
    results["suppressed"] = results["suppressed"].astype("boolean")
    model_rows = results["suppressed"].isna()
    results.loc[model_rows, "suppressed"] = _suppress_models(results[model_rows], est, threshold)
    results["suppressed"] = results["suppressed"].astype(bool)
    results["family"] = results["item"].map(dict(families or {})).fillna("all items")
    hidden_waves = (est[est["suppressed"]].groupby(["item", "group"])["wave"]
                    .agg(lambda w: ", ".join(str(v) for v in sorted(w))))
    is_model = results["test"].isin(["trend_logit", "gee_trend", "ordinal_trend", *CHECKS])
    for idx in results.index[is_model]:
        waves = hidden_waves.get((results.at[idx, "item"], results.at[idx, "group"]))
        if waves:
            # The model's totals minus the shown cells would reveal the hidden cell's counts.
            results.loc[idx, ["n", "positives", "effective_n"]] = np.nan
            extra = (f"includes {waves}, whose figures are not shown (fewer than {threshold} answers); "
                     "total n not shown")
            current = results.at[idx, "note"]
            results.at[idx, "note"] = extra if pd.isna(current) or not current else f"{current}; {extra}"
    weighted_notes = [n for n in notes if "weighting method differs" in n]
    if weighted_notes:
        is_test = results["test"] != "pct_positive"
        results.loc[is_test, "note"] = results.loc[is_test, "note"].fillna("").astype(str).str.cat(
            ["weighting method differs between waves"] * int(is_test.sum()), sep="; ").str.strip("; ")
    results = adjust_pvalues(results, alpha=alpha,
                             intervals_at=lambda a: pd.concat([d for d in differences(a) if len(d)], ignore_index=True))
    results.loc[results["suppressed"], list(_NUMERIC_RESULT)] = np.nan
    results["note"] = results["note"].astype("string")
    for column in ("item", "group", "test", "method", "family", "verdict"):
        results[column] = results[column].astype("string")
    results["claim"] = results["claim"].fillna(False).astype(bool)
    for column in ("wave", "comparison_wave"):
        results[column] = pd.to_numeric(results[column], errors="coerce").astype("Int64")
    order = {t: i for i, t in enumerate(["pct_positive", "diff_previous", "diff_baseline", "diff_step", "diff_groups",
                                         "trend_logit", "trend_linearity", "gee_trend", "ordinal_trend",
                                         "proportional_odds", "interaction_lrt"])}
    results = results.sort_values(["item", "test", "group", "wave"],
                                  key=lambda s: s.map(order) if s.name == "test" else s,
                                  kind="stable").reset_index(drop=True)
    return ChangeAnalysis(results=results, cells=est, notes=all_notes, groups=groups)
