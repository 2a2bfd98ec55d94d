"""Reproducible BERTopic themes for open-text answers.

INTERFACE FIRST (implementation follows in the same module).

Public API
----------
- :func:`prepare_comments` flags non-answers and very short answers (``model_input``).
- :func:`load_codebook` reads a codebook YAML into :class:`CodebookTheme` objects.
- :func:`fit_themes` fits one pooled model and returns a :class:`ThemeFit`.
- :func:`non_answer_counts` counts non-answers per question, by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import vocab

if TYPE_CHECKING:  # heavy imports stay out of module import time
    from analysis.config import Themes
    from analysis.embeddings import LoadedModel


@dataclass(frozen=True)
class CodebookTheme:
    """One known theme from a codebook YAML (fixed id 1..99 and display name)."""

    id: int
    name: str
    description: str = ""
    seed_words: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass
class ThemeFit:
    """Everything one theme-model fit produced.

    Attributes
    ----------
    assignments
        One row per input row, same index and order as the ``comments`` passed to
        :func:`fit_themes`. Columns: ``topic`` (int; model-local id >= 0, -1 = left
        unassigned, -2 = non-answer), ``probability`` (float; cosine similarity of the
        comment to its theme centroid, NaN for -1/-2), ``codebook_id`` (Int64, NA for
        themes that match no codebook theme), ``model_input`` (bool), ``non_answer_kind``
        (str or NA), ``reassigned`` (bool: an outlier moved into a theme by outlier reduction).
    topics
        One row per theme (ids >= 0) plus rows for -1 and -2 (even if size 0). Columns:
        ``topic``, ``label`` (codebook name if any, else ``auto_label``), ``auto_label``
        (readable, e.g. "payment expenses / travel costs"), ``top_words`` (list[str], up to 10),
        ``size`` (int), ``codebook_id`` (Int64), ``codebook_name`` (str or NA). Sorted by topic.
    centroids
        Topic id (>= 0) -> mean L2-normalised embedding of its comments, re-normalised.
    topic_words
        Topic id (>= 0) -> {word: c-TF-IDF weight} for its top 30 words (for matching across cycles).
    representative_docs
        Topic id (>= 0) -> up to ``max_quotes`` row positions (0-based positions in ``assignments``)
        of comments closest to the centroid, most typical first.
    settings_used
        Resolved parameters (min_cluster_size, min_samples, min_df, n_neighbors, n_components,
        outlier_threshold, ngram_max, seed, model_sha256, n_documents, ...).
    stage_seconds
        Wall time per stage: "reduce" (kNN + UMAP), "cluster", "represent", "outliers", "total".
    non_answers
        Non-answer counts per question and kind (see :func:`non_answer_counts`).
    model
        The fitted BERTopic object (for ``topics_per_class`` etc.); not serialisable.
    """

    assignments: pd.DataFrame
    topics: pd.DataFrame
    centroids: dict[int, np.ndarray]
    topic_words: dict[int, dict[str, float]]
    representative_docs: dict[int, list[int]]
    settings_used: dict[str, Any]
    stage_seconds: dict[str, float]
    non_answers: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: Any = field(default=None, repr=False)


def prepare_comments(comments: pd.DataFrame, *, text_column: str = "text",
                     question_column: str | None = "question_id", min_words: int = 3) -> pd.DataFrame:
    """Flag non-answers and very short answers; adds ``model_input``, ``is_non_answer``, ``non_answer_kind``."""
    raise NotImplementedError


def load_codebook(path: str | Path) -> list[CodebookTheme]:
    """Read ``themes: [{id, name, description, seed_words, questions}]`` from YAML."""
    raise NotImplementedError


def fit_themes(comments: pd.DataFrame, embeddings: np.ndarray, settings: Themes, *, seed: int,
               codebook: list[CodebookTheme] | None = None, text_column: str = "text",
               question_column: str | None = "question_id",
               model: LoadedModel | None = None) -> ThemeFit:
    """Fit the pooled theme model; ``embeddings`` row i belongs to ``comments`` row i."""
    raise NotImplementedError


def non_answer_counts(prepared: pd.DataFrame, *, question_column: str | None = "question_id") -> pd.DataFrame:
    """Per question: n_comments, n_non_answer, share and counts by kind."""
    raise NotImplementedError
