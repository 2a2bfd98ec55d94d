"""Themes of documents by channel (interviews, written submissions, event notes) beside the survey share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.present.disclosure import DisclosureRule, as_rule, publish_counts
from analysis.themes.frames import _excluded, _substantive, _theme_info

# --------------------------------------------------------------------------- documents by channel
#: How a share of a channel's documents is said when the channel has fewer documents than the threshold.
CHANNEL_BANDS: tuple[tuple[float, str], ...] = ((2 / 3, "most"), (1 / 3, "some"), (0.0, "a few"))


def _channel_words(k: int, n: int, channel: str) -> str:
    if k == 0:
        return f"no {channel}"
    word = next(label for bound, label in CHANNEL_BANDS if k / n >= bound)
    return f"{word} {channel}"


def _channel_counts(k: int, n: int, channel: str, rule: DisclosureRule) -> str:
    """"12 of 15 interviews" as the disclosure rule prints counts (hidden under the threshold, rounded by HES)."""
    shown, total = publish_counts([k, n], [0 < k < rule.threshold, False], rule)
    if pd.isna(shown):
        return f"fewer than {rule.threshold} of {int(total)} {channel}"
    return f"{int(shown)} of {int(total)} {channel}"


def channel_table(themed: pd.DataFrame, themes: pd.DataFrame, *, document_question: str,
                  survey_questions: Sequence[str], threshold: int | DisclosureRule,
                  channel_column: str = "channel", document_column: str = "document_id",
                  respondent_column: str = "respondent_id") -> pd.DataFrame:
    """Each theme by source: how many documents of each channel raise it, and the survey share.

    Documents (interview notes, written submissions, event notes) are counted as documents,
    one per document however many of its passages raise the theme. A channel with at least
    the threshold of documents shows counts ("12 of 15 interviews"), hidden like any count of
    people when under the threshold; a smaller channel shows words only ("most interviews":
    at least two thirds, "some": at least a third, "a few": fewer, "no"), so that no count
    under the threshold is published. The survey column is the share of survey respondents
    with a substantive answer to any of ``survey_questions`` (latest wave of each) who raised
    the theme, hidden under the threshold.

    Returns
    -------
    pd.DataFrame
        ``theme_id, label, candidate`` (a theme not yet accepted into the theme book), one text
        column per channel, ``survey_pct`` (0..1, NA when hidden),
        ``survey_n`` (Int64), ordered by the number of documents raising the theme.
    """
    rule = as_rule(threshold)
    info = _theme_info(themes)
    docs = themed[(themed["question_id"] == document_question) & (themed["theme_id"] > 0) & ~_excluded(themed)]
    all_docs = themed[themed["question_id"] == document_question]
    survey = themed[themed["question_id"].isin(list(survey_questions))]
    survey = survey[survey["wave"] == survey.groupby("question_id")["wave"].transform("max")]
    survey_sub = _substantive(survey)
    base = survey_sub[respondent_column].nunique()
    survey_counts = survey_sub.groupby("theme_id")[respondent_column].nunique()
    ids = sorted(set(docs["theme_id"].astype(int)))
    totals = all_docs.groupby(channel_column)[document_column].nunique()
    names = {c: str(c).lower() + ("" if str(c).lower().endswith("s") else "s") for c in totals.index}
    rows = []
    for tid in ids:
        if tid not in info.index or bool(info.at[tid, "excluded"]):
            continue
        row: dict[str, Any] = {"theme_id": tid, "label": str(info.at[tid, "label"]),
                               "candidate": info.at[tid, "status"] == "candidate"}
        raised = docs[docs["theme_id"] == tid].groupby(channel_column)[document_column].nunique()
        order_key = 0
        for channel, n in totals.items():
            k = int(raised.get(channel, 0))
            order_key += k
            row[str(channel)] = (_channel_counts(k, int(n), names[channel], rule) if n >= rule.threshold
                                 else _channel_words(k, int(n), names[channel]))
        n_survey = int(survey_counts.get(tid, 0))
        hidden = n_survey < rule.threshold or base < rule.threshold
        # Through the disclosure layer, so that a rounding rule (HES 2018) rounds the count and the share.
        shown, shown_base = publish_counts([n_survey, base], [hidden, hidden], rule)
        row["survey_n"] = shown
        row["survey_pct"] = pd.NA if hidden else shown / shown_base
        row["_order"] = order_key
        rows.append(row)
    columns = ["theme_id", "label", "candidate", *[str(c) for c in totals.index], "survey_n", "survey_pct"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=columns)
    out = out.sort_values(["_order", "theme_id"], ascending=[False, True]).drop(columns="_order")
    out["survey_n"] = out["survey_n"].astype("Int64")
    out["survey_pct"] = out["survey_pct"].astype("Float64")
    return out.loc[:, columns].reset_index(drop=True)


def channel_sentences(table: pd.DataFrame, *, max_themes: int = 5) -> list[str]:
    """Plain sentences for the leading document themes: "'Out-of-hours support' was raised in most interviews ..."."""
    out = []
    channels = [c for c in table.columns if c not in ("theme_id", "label", "candidate", "survey_n", "survey_pct")]
    for r in table.head(max_themes).itertuples(index=False):
        values = dict(zip(table.columns, r, strict=True))
        parts = [str(values[c]) for c in channels if not str(values[c]).startswith("no ")]
        survey = ("" if pd.isna(values["survey_pct"]) else
                  f", and by {100 * float(values['survey_pct']):.0f}% of survey respondents")
        mark = " (a new candidate theme, not yet reviewed)" if values.get("candidate") else ""
        out.append(f"'{values['label']}'{mark} was raised in {', '.join(parts) or 'no document'}{survey}.")
    return out
