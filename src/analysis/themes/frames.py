"""Small shared pieces of the theme stage's reader tables: theme info, masks, cell sizes, words.

Used by :mod:`analysis.themes.tables` and by the modules it re-exports (figures, ground-truth
scoring, the channel table), so that none of them has to import another half-built module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.core import vocab

#: A missing cell value counts as its own group when cells are sized.
NOT_RECORDED = "Not recorded"


def _key_words(value: Any, n: int = 6) -> str:
    if isinstance(value, str):
        words = [w.strip() for w in value.split(";") if w.strip()]
    elif value is None or (not hasattr(value, "__len__") and pd.isna(value)):
        words = []
    else:
        words = [str(w) for w in list(value)]
    return ", ".join(words[:n])


def _theme_info(themes: pd.DataFrame) -> pd.DataFrame:
    t = themes.copy()
    t["theme_id"] = t["theme_id"].astype("int64")
    defaults = {"reviewed": False, "reviewer": pd.NA, "reviewed_on": pd.NA, "excluded": False,
                "split_note": pd.NA, "merged_from": pd.NA, "status": pd.NA, "top_words": "", "stance": pd.NA}
    for col, default in defaults.items():
        if col not in t.columns:
            t[col] = default
    t["key_words"] = t["top_words"].map(_key_words)
    t["reviewed"] = t["reviewed"].fillna(False).astype(bool)
    return t.set_index("theme_id")


def _non_answer(frame: pd.DataFrame) -> pd.Series:
    """Non-answers: theme -2 once themed; before that, the ``is_non_answer`` flag."""
    if "theme_id" in frame.columns:
        return frame["theme_id"] == vocab.NON_ANSWER_THEME_ID
    return frame["is_non_answer"].fillna(False).astype(bool)


def _substantive(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["theme_id"] != vocab.NON_ANSWER_THEME_ID]


def _excluded(frame: pd.DataFrame) -> pd.Series:
    if "excluded" in frame.columns:
        return frame["excluded"].fillna(False).astype(bool)
    return pd.Series(False, index=frame.index)


def group_heatmap_matrix(by_group: pd.DataFrame) -> pd.DataFrame:
    """Theme label x group matrix of percentages (NaN where suppressed), for a heatmap."""
    matrix = by_group.pivot_table(index="label", columns="group", values="pct", aggfunc="first", dropna=False)
    return matrix.astype(float)


def cell_sizes(frame: pd.DataFrame, cell_columns: Sequence[str], *,
               respondent_column: str = "respondent_id") -> pd.Series:
    """Respondents in each row's cell (the combination of ``cell_columns``; missing is its own value)."""
    keys = frame.loc[:, list(cell_columns)].astype("string").fillna(NOT_RECORDED)
    ids = frame[respondent_column]
    grouped = pd.concat([keys, ids], axis=1).groupby(list(cell_columns), dropna=False)[respondent_column]
    return grouped.transform("nunique").astype("int64")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"
