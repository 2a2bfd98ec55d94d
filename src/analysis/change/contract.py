"""The change-over-time results contract: group label, tests, the tidy results columns and shared constants."""

from __future__ import annotations

import pandas as pd

from analysis.core import vocab

#: Label of the pooled group. With comparison groups its figures are standardised to a fixed
#: group mix (the crude pool sits beside them in the ``crude_*`` columns).
ALL_GROUPS = "all"
#: Label of the like-for-like pool of units (e.g. organisations) present in every wave (aggregate data).
PANEL_GROUP = "all, present in every wave"
#: Group of answers whose group is blank: counted in "all", shown on its own, never compared.
MISSING_GROUP = "group not recorded"
#: Groups that pool others (never a comparison group).
POOLED_GROUPS = (ALL_GROUPS, PANEL_GROUP)
#: Tests whose p-values are adjusted for multiple comparisons.
TESTED = ("diff_previous", "diff_baseline", "diff_groups", "diff_step", "trend_logit", "interaction_lrt",
          "ordinal_trend", "gee_trend")
#: Model checks that gate sentences (not claims, so not adjusted): step vs slope, proportional odds.
CHECKS = ("trend_linearity", "proportional_odds")
#: Tests the sentences can turn into a claim ("up", "down", "differs"); with the trend the sentences
#: quote (``gee_trend`` where it was estimated, otherwise ``trend_logit``) they make the family.
CLAIM_TESTS = ("diff_previous", "diff_baseline", "diff_groups", "diff_step", "interaction_lrt")
#: Trend tests, in the order the sentences prefer them.
TREND_TESTS = ("gee_trend", "trend_logit")
#: Verdict words of the ``verdict`` column (one per row that has a test).
VERDICT_UP, VERDICT_DOWN, VERDICT_DIFFERS, VERDICT_NONE = "up", "down", "differs", "no evidence"
#: A clear change smaller than this (percentage points) is worded "small but clear".
SMALL_CHANGE_PP = 2.0
#: Columns of the tidy results table, in order.
RESULT_COLUMNS = (
    "item", "group", "wave", "comparison_wave", "test", "estimate", "ci_low", "ci_high",
    "p_value", "p_holm", "p_bh", "p_adjusted", "n", "positives", "effective_n", "deff",
    "mdd_pp", "method", "family", "suppressed", "note",
    "crude_estimate", "crude_ci_low", "crude_ci_high", "crude_p_value", "dispersion", "n_units",
    "ci_low_adj", "ci_high_adj", "verdict", "claim", "family_size",
)
_NUMERIC_RESULT = ("estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "p_adjusted",
                   "n", "positives", "effective_n", "deff", "mdd_pp",
                   "crude_estimate", "crude_ci_low", "crude_ci_high", "crude_p_value", "dispersion", "n_units",
                   "ci_low_adj", "ci_high_adj", "family_size")
#: Fewest people answering in several waves for an exchangeable GEE working correlation.
MIN_REPEATED_FOR_EXCHANGEABLE = 30
#: Standard error (logit scale) beyond which a model fit is treated as not estimable.
MAX_LOGIT_SE = 10.0
DONT_KNOW_NOTE = "Don't know and other missing answers are excluded from the base."

_LEVEL_CODE = {level.casefold(): code for code, level in enumerate(vocab.LIKERT_LEVELS, start=1)}
_MISSING_LABELS = {reason.casefold() for reason in vocab.MISSING_REASONS} | {"dont know", "don't know",
                                                                             "n/a", "na", ""}

def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
