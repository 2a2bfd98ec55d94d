"""The change-over-time results contract: group label, tests, the tidy results columns and shared constants."""

from __future__ import annotations

import pandas as pd

from analysis.core import vocab

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
