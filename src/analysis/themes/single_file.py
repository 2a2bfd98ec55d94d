"""Theme one file of comments (``python -m analysis themes``) with the cycle's own pipeline.

The command is for a quick look at any export (an FFT download, a survey's free
text): it runs exactly what notebook 02 runs — the same preparation, the theme
book when one is given (:func:`analysis.themes.pipeline.theme_answers`), the same
tables with the same prevalence definition (respondents, one per row unless an id
column says otherwise, out of those with a substantive answer) and the same
disclosure rule, and the same quote policy (:func:`analysis.themes.tables.select_quotes`,
never from a group under the threshold). Only the input differs: one file, one
question, optional group and period columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.core.config import Themes
from analysis.present.disclosure import DisclosureRule, publish_counts
from analysis.themes import tables as tt
from analysis.themes.book import ThemeBook
from analysis.themes.model import CodebookTheme, prepare_comments
from analysis.themes.pipeline import ThemedAnswers, theme_answers

#: The one question of a single file.
QUESTION_ID = "comments"
GROUP = "group"
PERIOD = "period"


@dataclass
class SingleFileThemes:
    """Everything ``python -m analysis themes`` writes, before it is written."""

    run: ThemedAnswers
    tables: dict[str, pd.DataFrame]
    quotes: pd.DataFrame
    quality: dict[str, Any]
    assignments: pd.DataFrame
    embedding: dict[str, Any] = field(default_factory=dict)


def comments_frame(frame: pd.DataFrame, *, text_column: str, id_column: str | None = None,
                   group_column: str | None = None, period: pd.Series | None = None) -> pd.DataFrame:
    """One comment per row in the shape the theme stage expects (one question, one wave)."""
    rows = np.arange(2, len(frame) + 2)
    source_row = frame["source_row"].to_numpy() if "source_row" in frame.columns else rows
    ids = frame[id_column].astype("string").fillna("") if id_column else pd.Series(source_row).astype("string")
    out = pd.DataFrame({
        "comment_id": [f"row-{r}" for r in source_row],
        # A row is a respondent unless an id column groups rows (several comments by one person).
        "respondent_id": ids.to_numpy(),
        "question_id": QUESTION_ID,
        "wave": 0,
        "text": frame[text_column].astype("string").to_numpy(),
    })
    if group_column:
        out[GROUP] = frame[group_column].astype("string").fillna("not stated").to_numpy()
    if period is not None:
        out[PERIOD] = period.astype("string").fillna("no date").to_numpy()
    return out


def prepare_single_file(comments: pd.DataFrame, *, min_words: int) -> pd.DataFrame:
    """De-identify and prepare the comments of :func:`comments_frame` (embed its ``model_text``).

    A raw export is not de-identified: it is redacted first, with the cleaning stage's rules,
    so that no quote, key word or name made from the text can carry an identifier.
    """
    from analysis.present.deidentify import redact_series

    redacted = comments.assign(text=redact_series(comments["text"])[0])
    return prepare_comments(redacted, text_column="text", question_column="question_id", min_words=min_words)


def theme_single_file(prepared: pd.DataFrame, vectors: np.ndarray, *, settings: Themes, seed: int,
                      model_sha256: str, rule: DisclosureRule, book: ThemeBook | None = None,
                      codebook: list[CodebookTheme] | None = None, cache_dir: str | Path | None = None,
                      labels: pd.Series | None = None, max_quotes: int = 3) -> SingleFileThemes:
    """Theme the comments of :func:`prepare_single_file` and build the published tables.

    Parameters
    ----------
    prepared
        From :func:`prepare_single_file`.
    vectors
        One embedding per row, of ``prepared["model_text"]``.
    rule
        The disclosure rule (threshold) for every table and quote.
    labels
        Human codes per row, to score the themes against (optional).
    """
    from analysis.themes.quality import quality_summary

    run = theme_answers(prepared, vectors, book, settings, seed=seed, cycle="single file",
                        model_sha256=model_sha256, codebook=codebook, cache_dir=cache_dir)
    themed = run.assignments
    groups = tuple(c for c in (GROUP, PERIOD) if c in themed.columns)
    linked = tt.theme_tables(themed, run.themes, question_id=QUESTION_ID, group_columns=groups, threshold=rule)
    # Kinds of non-answer, with the primary rule: a kind given by fewer than the threshold is not counted out.
    kinds = tt.non_answer_kinds(themed, question_id=QUESTION_ID)
    small = kinds["n"] < rule.threshold
    shown = publish_counts(kinds["n"], small, rule).to_numpy()
    linked["non_answers"] = kinds.assign(n=pd.array(shown, dtype="Float64").astype("Int64"),
                                         share_of_answers=kinds["share_of_answers"].mask(small))
    quotes = tt.select_quotes(themed, threshold=rule, max_quotes=max_quotes, cell_columns=groups,
                              scope_columns=("question_id",))
    top_words = {int(r.theme_id): list(r.top_words) for r in run.themes.itertuples()}
    quality = quality_summary(themed["theme_id"].to_numpy(), themed["text"].astype(str).tolist(), top_words,
                              labels=None if labels is None else labels.to_numpy(), ngram_max=settings.ngram_max)
    quality["n_candidates"] = int((run.themes["status"] == "candidate").sum())
    labels_of = dict(zip(run.themes["theme_id"].astype(int), run.themes["label"].astype(str), strict=True))
    labels_of |= {vocab.OUTLIER_THEME_ID: vocab.OUTLIER_THEME_LABEL,
                  vocab.NON_ANSWER_THEME_ID: vocab.NON_ANSWER_THEME_LABEL}
    assignments = pd.DataFrame({
        "row": [int(c.split("-", 1)[1]) for c in themed["comment_id"]],
        "theme_id": themed["theme_id"].astype("int64").to_numpy(),
        "theme_label": themed["theme_id"].map(labels_of).astype("string").to_numpy(),
        "candidate": themed["candidate"].to_numpy(),
        "non_answer_kind": themed["non_answer_kind"].astype("string").to_numpy(),
        "similarity": themed["probability"].round(4).to_numpy(),
    })
    return SingleFileThemes(run=run, tables=linked, quotes=quotes, quality=quality, assignments=assignments)
