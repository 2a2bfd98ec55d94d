"""Reproducible BERTopic themes for open-text answers.

Longer than 500 lines: one BERTopic fit and everything it needs to be reproducible (exact-kNN UMAP,
scaled HDBSCAN settings, outlier reduction, placement of unsampled and very short answers, codebook
guidance) is one unit; splitting it would scatter the settings a fit records about itself.

Public API
----------
- :func:`prepare_comments` flags non-answers and very short answers (``model_input``).
- :func:`load_codebook` reads a codebook YAML into :class:`CodebookTheme` objects.
- :func:`fit_themes` fits one pooled model and returns a :class:`ThemeFit`.
- :func:`non_answer_counts` counts non-answers per question, by kind.
- :func:`resolve_settings` shows the size-scaled parameters a corpus will get.

One pooled model, the question kept as a class
-----------------------------------------------
All open questions of a cycle are themed by ONE model; the question is kept
beside each assignment (and BERTopic's ``topics_per_class`` can describe a theme
per question). We chose this over one model per question because:

1. The same subject comes up under every question: "staff attitude" is praise
   under "What works well?" and a request under "What should change?". A pooled
   model gives it one theme id, so prevalence can be compared between questions,
   groups and cycles without matching separately fitted models to each other.
   The direction (praise or request) is carried by the question, which the
   tables keep beside the theme.
2. Questions often have only a few hundred substantive answers. Density
   clustering (HDBSCAN) is unstable on small samples: pooling gives each theme
   more support, so fewer comments are left unassigned and a rerun with another
   seed finds the same themes.
3. One model means one set of labels for reviewers to check and one registry
   entry per theme.

When questions are about unrelated things (e.g. two different surveys), call
:func:`fit_themes` on each subset: the function does not depend on the pooling.

Method and defaults
-------------------
- Non-answers ("nothing", "N/A", blank, fewer than ``themes.min_words`` words)
  are never modelled; they get theme ``-2`` (:data:`analysis.core.vocab.NON_ANSWER_THEME_ID`)
  and are counted per question.
- Embeddings come in precomputed (:mod:`analysis.themes.embeddings`); BERTopic receives
  the loaded local encoder object and never loads a model by name.
- Dimension reduction: UMAP (cosine, ``min_dist=0``, fixed ``random_state``,
  hence single-threaded and deterministic) on an EXACT k-nearest-neighbour graph
  from scikit-learn, which is deterministic and skips UMAP's approximate
  nearest-neighbour search and its numba compilation (the largest start-up cost).
- Clustering: HDBSCAN; ``min_cluster_size`` scales with the corpus
  (:func:`scaled_min_cluster_size`) so that a few hundred or tens of thousands
  of comments both give tens of themes, not hundreds.
- Words: a CountVectorizer (English stop words, 1..``ngram_max``-grams) whose
  vocabulary keeps only words used in at least ``min_df`` comments (scaled with
  corpus size). This is counted over comments, not over BERTopic's per-theme
  documents, so a name or typo used once can never become a theme's label.
  c-TF-IDF uses ``reduce_frequent_words=True``; labels come from KeyBERTInspired
  followed by MaximalMarginalRelevance (both reuse the same local encoder).
- Outliers: HDBSCAN leaves unclear comments unassigned (-1). Each is then moved
  to the theme whose centroid it is most similar to, if the cosine similarity is
  at least ``themes.outlier_threshold`` (default 0.3; for all-MiniLM-L6-v2, two
  comments about the same subject typically score 0.4-0.7 and unrelated ones
  below 0.2, so 0.3 moves a comment only when it plainly shares the subject).
  The share still unassigned is reported.
- Codebook (optional): each known theme is embedded as "name. description.
  seed words" and used as a BERTopic zero-shot topic; comments at least
  ``codebook_min_similarity`` similar to a codebook theme take it (fixed name
  and id 1..99), the rest are clustered, so new themes are still found.
- Reproducibility: same comments, same embeddings, same settings and seed give
  identical assignments (tested).

Large corpora
-------------
- Above ``themes.fit_sample_size`` substantive comments (default 50,000) the
  model is fitted on a sample stratified by question (proportional allocation,
  seeded), and every other comment is placed in the theme whose centroid it is
  most similar to, if at least ``outlier_threshold`` (as outliers and very short
  answers are), in chunks (:func:`place_by_centroid`; :mod:`analysis.themes.distributed` runs
  the same function as Dask tasks). Fitting cost then stops growing with the
  corpus while placing grows linearly. Measured on real FFT comments (30,000,
  sample 10,000 vs full fit) in ``bench/results/bench_scale.json``.
- The kNN graph is exact up to ``themes.exact_knn_max_size`` comments and
  approximate (pynndescent, a UMAP dependency) beyond, where the exact search's
  O(n^2) cost would dominate.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.core.errors import ConfigError, UserError
from analysis.core.numerics import numerics_mode

if TYPE_CHECKING:  # heavy imports stay out of module import time
    from analysis.core.config import Themes
    from analysis.themes.embeddings import LoadedModel


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
        unassigned, -2 = non-answer, i.e. exactly the rows with ``is_non_answer``),
        ``probability`` (float; cosine similarity of the comment to its theme centroid,
        NaN for -1/-2), ``codebook_id`` (Int64, NA for themes that match no codebook
        theme), ``model_input`` (bool: the comment shaped the themes; False for
        non-answers and for "very short" answers, which are placed in the nearest
        theme afterwards, or -1, and for comments outside the fitted sample of a
        corpus larger than ``fit_sample_size``, placed the same way), ``non_answer_kind`` (str or NA), ``reassigned``
        (bool: left unassigned by HDBSCAN, then moved into a theme by outlier reduction).
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
        Wall time per stage: "reduce" (kNN + UMAP), "cluster", "represent", "outliers",
        "place" (very short and unsampled comments to the nearest centroid), "total".
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


#: UMAP optimisation epochs: umap-learn's own choice for large data; the layout only feeds clustering.
DEFAULT_UMAP_EPOCHS = 200
#: UMAP's starting layout. Not umap-learn's default "spectral": its eigen-solver gave a different
#: layout on every run from about 20,000 comments (same input and seed; up to 35 layout units
#: apart, so other themes), while "pca" gives the same layout every time.
UMAP_INIT = "pca"
#: Fewest substantive comments a model is fitted on; fewer is reported as a user error.
MIN_DOCUMENTS = 30
#: c-TF-IDF words kept per theme in :attr:`ThemeFit.topic_words`.
TOPIC_WORDS_KEPT = 30
_BLANK_KIND = "blank"
_SHORT_KIND = "very short"

#: Placeholders written by survey systems, not by respondents ("Did not answer" in FFT exports).
#: Checked in addition to :func:`analysis.core.text.classify_non_answer`, which covers what people write.
_SYSTEM_PLACEHOLDERS: dict[str, str] = dict.fromkeys(
    ["did not answer", "not answered", "no answer", "no answer given", "no response", "question skipped",
     "skipped", "no data", "not stated", "not provided"], "no comment")


class ThemeModelError(UserError):
    """The comments cannot be themed as asked (too few, wrong column, bad codebook)."""

    exit_code = 1


def _normalise_phrase(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _classify_non_answer(text: pd.Series, *, min_words: int) -> pd.DataFrame:
    from analysis.core.text import classify_non_answer

    out = classify_non_answer(text.fillna(""), min_words=min_words)
    return out[["is_non_answer", "non_answer_kind"]]


def prepare_comments(comments: pd.DataFrame, *, text_column: str = "text",
                     question_column: str | None = "question_id", min_words: int = 3) -> pd.DataFrame:
    """Flag which comments are substantive enough to model.

    Parameters
    ----------
    comments
        One row per answer. If it already carries ``is_non_answer`` and
        ``non_answer_kind`` (processed ``comments.parquet``) those are kept;
        otherwise they are computed (:func:`analysis.core.text.classify_non_answer`). Blank or missing text is always a non-answer of kind "blank".
    text_column, question_column
        Column names; ``question_column`` may be None or absent (one question).
    min_words
        Answers with fewer words are "very short" non-answers.

    Returns
    -------
    pd.DataFrame
        A copy with ``is_non_answer`` (bool), ``non_answer_kind`` (string or NA;
        "very short" also on real answers with fewer than ``min_words`` words),
        ``n_words`` (int) and ``model_input`` (bool: fitted by the model). Very
        short real answers are not fitted (too little text to shape a theme) but
        :func:`fit_themes` still places them in the nearest theme, or -1.
    """
    if text_column not in comments.columns:
        raise ThemeModelError(
            f"text column {text_column!r} not found; columns are: {', '.join(map(str, comments.columns))}"
        )
    out = comments.copy()
    text = out[text_column].astype("string")
    blank = text.isna() | (text.str.strip() == "")
    if {"is_non_answer", "non_answer_kind"} <= set(out.columns):
        flags = out[["is_non_answer", "non_answer_kind"]].copy()
        flags["is_non_answer"] = flags["is_non_answer"].astype("boolean").fillna(False).astype(bool)
        flags["non_answer_kind"] = flags["non_answer_kind"].astype("string")
    else:
        flags = _classify_non_answer(text, min_words=min_words)
    placeholder = text.fillna("").map(_normalise_phrase).map(_SYSTEM_PLACEHOLDERS).astype("string")
    is_non = flags["is_non_answer"].astype(bool) | blank | placeholder.notna()
    kind = (flags["non_answer_kind"].astype("string")
            .mask(placeholder.notna() & ~flags["is_non_answer"].astype(bool), placeholder)
            .mask(blank, _BLANK_KIND))
    if "n_words" not in out.columns:
        out["n_words"] = text.fillna("").str.split().str.len().fillna(0).astype(int).to_numpy()
    short = (~is_non) & ((kind == _SHORT_KIND).fillna(False) | (out["n_words"] < min_words))
    kind = kind.mask(short, _SHORT_KIND)
    out["is_non_answer"] = is_non.to_numpy()
    # A very short real answer ("Waiting time") is kept but flagged; its kind survives.
    out["non_answer_kind"] = kind.where(is_non | short).to_numpy()
    out["model_input"] = (~is_non & ~short).to_numpy()
    out[MODEL_TEXT] = model_text(text).to_numpy()
    return out


#: De-identification placeholders ("[EMAIL]") say nothing about a theme; left in, they pull
#: every comment that had an identifier towards one "[NAME] [EMAIL]" theme.
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|NHS_NUMBER|NI_NUMBER|HOSPITAL_NUMBER|POSTCODE|VEHICLE_REG|ADDRESS|URL|DOB|NAME)\]")
#: Column of prepared comments holding the text that is embedded and counted.
MODEL_TEXT = "model_text"


def model_text(text: pd.Series) -> pd.Series:
    """The text the model sees: de-identification placeholders removed, spaces tidied.

    Quotes shown to readers keep the placeholders; only embedding and word counts
    use this version.
    """
    cleaned = text.astype("string").fillna("").str.replace(_PLACEHOLDER, " ", regex=True)
    return cleaned.str.replace(r"\s+", " ", regex=True).str.strip()


def non_answer_counts(prepared: pd.DataFrame, *, question_column: str | None = "question_id") -> pd.DataFrame:
    """Count non-answers (and very short answers) per question and kind.

    Parameters
    ----------
    prepared
        Output of :func:`prepare_comments`.
    question_column
        None or absent: one row for all comments (question "all").

    Returns
    -------
    pd.DataFrame
        Long table: question, non_answer_kind, is_non_answer (False for "very
        short" real answers, which are placed in themes but not fitted), n (count),
        n_comments (all answers to that question), share (n / n_comments).
    """
    question = (prepared[question_column].astype("string").fillna("(missing)")
                if question_column and question_column in prepared.columns
                else pd.Series("all", index=prepared.index, dtype="string"))
    base = question.value_counts().rename("n_comments")
    flagged = prepared["non_answer_kind"].notna().to_numpy()
    kinds = pd.DataFrame({"question": question[flagged],
                          "non_answer_kind": prepared.loc[flagged, "non_answer_kind"].astype("string"),
                          "is_non_answer": prepared.loc[flagged, "is_non_answer"].astype(bool)})
    counts = (kinds.groupby(["question", "non_answer_kind", "is_non_answer"], dropna=False).size()
              .rename("n").reset_index())
    counts = counts.merge(base, left_on="question", right_index=True, how="left")
    counts["share"] = counts["n"] / counts["n_comments"]
    return counts.sort_values(["question", "n"], ascending=[True, False], ignore_index=True)


def load_codebook(path: str | Path) -> list[CodebookTheme]:
    """Read a codebook YAML.

    Parameters
    ----------
    path
        YAML with ``themes: [{id, name, description, seed_words, questions}]``
        (relative paths are taken from the repository root).

    Returns
    -------
    list[CodebookTheme]
        In file order.

    Raises
    ------
    ConfigError
        Missing file, bad YAML, ids outside 1..99 or repeated, missing names.
    """
    from analysis.core import paths
    from analysis.core.config import read_yaml

    path = paths.resolve(path)
    raw = read_yaml(path, "codebook")
    items = raw.get("themes") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigError(f"codebook {path.name}: expected a non-empty list under 'themes:'")
    themes: list[CodebookTheme] = []
    problems: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"themes[{i}]: expected a mapping with id and name")
            continue
        unknown = set(item) - {"id", "name", "description", "seed_words", "questions"}
        if unknown:
            problems.append(f"themes[{i}]: unknown key(s) {sorted(unknown)}")
        ident, name = item.get("id"), item.get("name")
        if not isinstance(ident, int) or isinstance(ident, bool) or not 1 <= ident <= 99:
            problems.append(f"themes[{i}].id: must be a whole number from 1 to 99, got {ident!r}")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"themes[{i}].name: required")
            continue
        seeds, questions = item.get("seed_words") or [], item.get("questions") or []
        if not isinstance(seeds, list) or not isinstance(questions, list):
            problems.append(f"themes[{i}]: seed_words and questions must be lists")
            continue
        themes.append(CodebookTheme(
            id=ident, name=name.strip(), description=str(item.get("description") or "").strip(),
            seed_words=tuple(str(w) for w in seeds), questions=tuple(str(q) for q in questions),
        ))
    ids = [t.id for t in themes]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"theme ids must be unique; repeated: {dupes}")
    if problems:
        raise ConfigError("\n".join([f"codebook {path.name}: {len(problems)} problem(s)",
                                     *[f"  - {p}" for p in problems]]))
    return themes


def codebook_prompt(theme: CodebookTheme) -> str:
    """The text embedded for a codebook theme: name, description and seed words."""
    parts = [theme.name.rstrip(".")]
    if theme.description:
        parts.append(theme.description.rstrip("."))
    if theme.seed_words:
        parts.append(", ".join(theme.seed_words))
    return ". ".join(parts)


# ---------------------------------------------------------------------------
# Size-scaled settings
# ---------------------------------------------------------------------------
def scaled_min_cluster_size(n_documents: int) -> int:
    """Smallest theme HDBSCAN may form, growing with the square root of the corpus.

    A fixed size (BERTopic's default 10) gives hundreds of themes on tens of
    thousands of comments; a share of n gives one theme per few dozen comments
    on small corpora. ``sqrt(n)`` scaling keeps the number of themes in the tens
    across corpus sizes: 10 up to ~400 comments, 37 at 5,000, 60 at 15,000.
    """
    return max(10, round(0.5 * n_documents ** 0.5))


def scaled_min_samples(min_cluster_size: int) -> int:
    """HDBSCAN's density smoothing: a quarter of the cluster size leaves fewer comments unassigned."""
    return max(2, round(min_cluster_size / 4))


def scaled_min_df(n_documents: int) -> int:
    """Comments a word or phrase must appear in to be used in theme labels (2 to 10)."""
    return int(min(10, max(2, round(n_documents / 1000))))


def resolve_settings(settings: Themes, n_documents: int, *, seed: int) -> dict[str, Any]:
    """The parameters a fit on ``n_documents`` comments will use (None settings resolved).

    ``n_documents`` is the number of comments the model is fitted on (the sample,
    when the corpus is larger than ``fit_sample_size``).
    """
    mcs = settings.min_cluster_size or scaled_min_cluster_size(n_documents)
    exact_max = getattr(settings, "exact_knn_max_size", None)
    return {
        "n_documents": n_documents,
        "seed": seed,
        "n_neighbors": min(settings.n_neighbors, max(2, n_documents - 1)),
        "n_components": settings.n_components,
        "min_dist": 0.0,
        "min_cluster_size": mcs,
        "min_samples": settings.min_samples or scaled_min_samples(mcs),
        "cluster_selection_method": "eom",
        "min_df": scaled_min_df(n_documents),
        "ngram_max": settings.ngram_max,
        "outlier_threshold": settings.outlier_threshold,
        "codebook_min_similarity": settings.codebook_min_similarity,
        "n_epochs": DEFAULT_UMAP_EPOCHS,
        "umap_init": UMAP_INIT,
        "knn": "exact" if exact_max is None or n_documents <= exact_max else "pynndescent",
        "candidate_words": 50,
        "mmr_diversity": 0.3,
        "representation": "KeyBERTInspired + MaximalMarginalRelevance",
    }


# ---------------------------------------------------------------------------
# Model parts
# ---------------------------------------------------------------------------
class ExactKnnUMAP:
    """UMAP on an exact cosine kNN graph, as a BERTopic ``umap_model``.

    Parameters
    ----------
    n_neighbors, n_components, min_dist, n_epochs, random_state
        As for ``umap.UMAP`` (``random_state`` forces single-threaded, reproducible layout).
    lazy
        True when BERTopic runs zero-shot: it calls ``fit_transform`` on all
        comments but clusters only ``transform(subset)`` of those not matched to
        a codebook theme, so the real work is done once, on that subset.
    exact_max
        Largest input for the exact kNN graph; above it, :func:`approximate_cosine_knn`.
        None = always exact.
    init
        UMAP's starting layout (:data:`UMAP_INIT`).
    """

    def __init__(self, n_neighbors: int = 15, n_components: int = 5, min_dist: float = 0.0,
                 n_epochs: int | None = None, random_state: int = 0, lazy: bool = False,
                 exact_max: int | None = None, init: str = UMAP_INIT) -> None:
        self.init = init
        self.exact_max = exact_max
        self.n_neighbors = n_neighbors
        self.n_epochs = n_epochs
        self.n_components = n_components
        self.min_dist = min_dist
        self.random_state = random_state
        self.lazy = lazy
        self.seconds: dict[str, float] = {"knn": 0.0, "umap": 0.0}
        self.embedding_: np.ndarray | None = None
        self._fitted_on: np.ndarray | None = None

    def _layout(self, X: np.ndarray) -> np.ndarray:
        import umap

        n = X.shape[0]
        k = min(self.n_neighbors, n - 1)
        start = time.perf_counter()
        if self.exact_max is None or n <= self.exact_max:
            idx, dist = exact_cosine_knn(X, k)
        else:
            idx, dist = approximate_cosine_knn(X, k, seed=self.random_state)
        self.seconds["knn"] += time.perf_counter() - start
        start = time.perf_counter()
        _enable_numba_cache()
        with warnings.catch_warnings():
            # "no search index: transform unavailable" and n_jobs-with-random_state notes.
            warnings.simplefilter("ignore")
            layout = umap.UMAP(
                n_neighbors=k, n_components=min(self.n_components, max(2, n - 2)), min_dist=self.min_dist,
                metric="cosine", random_state=self.random_state, n_jobs=1, n_epochs=self.n_epochs, init=self.init,
                precomputed_knn=(idx, dist, None),
            ).fit_transform(X)
        self.seconds["umap"] += time.perf_counter() - start
        return np.asarray(layout, dtype=np.float32)

    def fit(self, X: np.ndarray, y: Any = None) -> ExactKnnUMAP:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        self._fitted_on = X
        if self.lazy:
            return np.zeros((X.shape[0], self.n_components), dtype=np.float32)
        self.embedding_ = self._layout(X)
        return self.embedding_

    def transform(self, X: np.ndarray) -> np.ndarray:
        if X is self._fitted_on and self.embedding_ is not None:
            return self.embedding_
        if self.lazy:
            self.embedding_ = self._layout(X)
            self._fitted_on = X
            return self.embedding_
        raise NotImplementedError("ExactKnnUMAP places only the comments it was fitted on")


def exact_cosine_knn(X: np.ndarray, k: int, *, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by cosine distance, each point first in its own list.

    Brute force over row blocks (memory ``block x n``); exact, so the graph, and
    hence the UMAP layout, does not depend on an approximate search's randomness.
    Ties are broken by row order.

    Parameters
    ----------
    X
        L2-normalised rows.
    k
        Neighbours per point, including itself.

    Returns
    -------
    (indices, distances)
        int64 and float32 arrays of shape (n, k), nearest first.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        dist = 1.0 - X[lo:hi] @ X.T
        rows = np.arange(hi - lo)
        # The point itself comes first (UMAP expects it), even when an identical comment ties with it.
        dist[rows, rows + lo] = -1.0
        part = np.argpartition(dist, k - 1, axis=1)[:, :k]
        part_dist = np.take_along_axis(dist, part, axis=1)
        order = np.lexsort((part, part_dist), axis=1)
        indices[lo:hi] = np.take_along_axis(part, order, axis=1)
        distances[lo:hi] = np.maximum(np.take_along_axis(part_dist, order, axis=1), 0.0)
    return indices, distances


def approximate_cosine_knn(X: np.ndarray, k: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest neighbours by cosine distance (pynndescent), each point first.

    For fits too large for :func:`exact_cosine_knn`: NN-descent is roughly
    O(n log n) but compiles its numba kernels on first use in each process
    (about 30 s here), so it only pays off for large inputs.

    Parameters
    ----------
    X
        L2-normalised rows.
    k
        Neighbours per point, including itself.
    seed
        Random state of the search.

    Returns
    -------
    (indices, distances)
        int64 and float32 arrays of shape (n, k), nearest first.
    """
    from pynndescent import NNDescent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index = NNDescent(np.ascontiguousarray(X, dtype=np.float32), metric="cosine", n_neighbors=k,
                          random_state=seed, low_memory=True, compressed=True, verbose=False)
        indices, distances = index.neighbor_graph
    indices = np.asarray(indices, dtype=np.int64).copy()
    distances = np.maximum(np.asarray(distances, dtype=np.float32), 0.0)
    own = np.arange(len(indices))
    # UMAP expects each point first in its own list; NN-descent can put an identical comment first.
    for row in np.flatnonzero(indices[:, 0] != own):
        others = [j for j in indices[row] if j != row][: k - 1]
        dists = [d for j, d in zip(indices[row], distances[row], strict=True) if j != row][: k - 1]
        indices[row] = [row, *others]
        distances[row] = [0.0, *dists]
    return indices, distances


def stratified_sample(groups: pd.Series, size: int, *, seed: int) -> np.ndarray:
    """Positions of a seeded sample of ``size`` rows, allocated to groups in proportion to their size.

    Every group keeps at least one row (when ``size`` allows), so a small
    question is never dropped from the fit; rounding is by largest remainder.

    Parameters
    ----------
    groups
        Group of each row (e.g. the question); NA is a group of its own.
    size
        Rows wanted; the whole input when it has no more rows than that.
    seed
        Random state.

    Returns
    -------
    np.ndarray
        Sorted 0-based row positions.
    """
    n = len(groups)
    if size >= n:
        return np.arange(n)
    codes, _ = pd.factorize(groups.astype("string").fillna("(missing)"), sort=True)
    counts = np.bincount(codes)
    exact = size * counts / n
    quota = np.floor(exact).astype(int)
    quota = np.maximum(quota, np.minimum(counts, 1)) if size >= len(counts) else quota
    short = size - quota.sum()
    if short > 0:
        room = counts - quota
        order = np.argsort(-(exact - np.floor(exact)), kind="stable")
        for g in order[room[order] > 0][:short]:
            quota[g] += 1
    elif short < 0:  # the one-per-group floor overshot: take back from the largest groups
        for g in np.argsort(-quota, kind="stable")[: -short]:
            quota[g] -= 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(codes == g), size=int(q), replace=False)
              for g, q in enumerate(quota) if q > 0]
    return np.sort(np.concatenate(chosen))


def place_by_centroid(vectors: np.ndarray, centroid_matrix: np.ndarray, centroid_ids: np.ndarray,
                      threshold: float, *, chunk_size: int = 65536) -> np.ndarray:
    """Theme of each vector: the most similar centroid if at least ``threshold``, else -1.

    Processes ``chunk_size`` rows at a time so memory stays at one chunk of
    similarities, however many comments are placed. Ties go to the first centroid.

    Parameters
    ----------
    vectors
        L2-normalised rows.
    centroid_matrix, centroid_ids
        L2-normalised theme centroids (one row per theme) and their theme ids.
    threshold
        Cosine similarity needed to take a theme.

    Returns
    -------
    np.ndarray
        int64 theme ids (``vocab.OUTLIER_THEME_ID`` where no centroid is close enough).
    """
    out = np.full(len(vectors), vocab.OUTLIER_THEME_ID, dtype=np.int64)
    if len(centroid_ids) == 0:
        return out
    centres = np.asarray(centroid_matrix, dtype=np.float32).T
    ids = np.asarray(centroid_ids, dtype=np.int64)
    for lo in range(0, len(vectors), chunk_size):
        sims = np.asarray(vectors[lo:lo + chunk_size], dtype=np.float32) @ centres
        best = sims.argmax(axis=1)
        out[lo:lo + chunk_size] = np.where(sims[np.arange(len(best)), best] >= threshold, ids[best],
                                           vocab.OUTLIER_THEME_ID)
    return out


#: A function with the signature of :func:`place_by_centroid` (e.g. its Dask version in :mod:`analysis.themes.distributed`).
Placer = Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]

_NUMBA_CACHE_ENABLED = False


def _enable_numba_cache() -> None:
    """Let numba keep UMAP's compiled kernels on disk between processes.

    umap-learn compiles its graph and layout kernels on first use in every
    process (about 10 s here). Turning on numba's own cache for them (the
    documented ``Dispatcher.enable_caching``) loads them from ``__pycache__``
    next time. If no cache location is writable, numba compiles as before.
    """
    global _NUMBA_CACHE_ENABLED
    if _NUMBA_CACHE_ENABLED:
        return
    _NUMBA_CACHE_ENABLED = True
    try:
        import umap.layouts
        import umap.umap_
        import umap.utils
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # pragma: no cover - umap is a dependency
        return
    for module in (umap.umap_, umap.layouts, umap.utils):
        for obj in vars(module).values():
            if isinstance(obj, Dispatcher) and not obj.signatures:
                try:
                    obj.enable_caching()
                except Exception:  # noqa: BLE001 - e.g. read-only site-packages: compile instead
                    continue


def _timed_hdbscan(**kwargs: Any) -> Any:
    import hdbscan

    class TimedHDBSCAN(hdbscan.HDBSCAN):
        def fit(self, X: Any, y: Any = None, **fit_kw: Any) -> Any:
            start = time.perf_counter()
            result = super().fit(X, y, **fit_kw)
            self.seconds = getattr(self, "seconds", 0.0) + time.perf_counter() - start
            return result

    clusterer = TimedHDBSCAN(**kwargs)
    clusterer.seconds = 0.0
    return clusterer


def _vectorizer(docs: list[str], *, ngram_max: int, min_df: int) -> Any:
    """CountVectorizer whose vocabulary keeps terms used in >= ``min_df`` comments."""
    from sklearn.feature_extraction.text import CountVectorizer

    min_df = min(min_df, max(1, len(docs) // 2))
    probe = CountVectorizer(stop_words="english", ngram_range=(1, ngram_max), min_df=min_df)
    try:
        probe.fit(docs)
        vocabulary = sorted(probe.vocabulary_)
    except ValueError:  # nothing survives (tiny or all-stop-word corpus): fall back to every term
        probe = CountVectorizer(ngram_range=(1, ngram_max)).fit(docs)
        vocabulary = sorted(probe.vocabulary_)
    return CountVectorizer(stop_words="english", ngram_range=(1, ngram_max), vocabulary=vocabulary)


def auto_label(words: list[str], *, max_terms: int = 3) -> str:
    """A readable label from a theme's top words: up to three non-overlapping terms, " / "-joined.

    A term is skipped when it repeats a word already used ("staff" after
    "friendly staff"), so labels read "friendly staff / caring / helpful".
    """
    chosen: list[str] = []
    used: set[str] = set()
    for word in words:
        tokens = set(word.split())
        if not word or tokens <= used:
            continue
        if any(tokens & set(c.split()) for c in chosen) and len(tokens) == 1:
            continue
        chosen.append(word)
        used |= tokens
        if len(chosen) == max_terms:
            break
    return " / ".join(chosen) if chosen else "(no distinctive words)"


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


# ---------------------------------------------------------------------------
# The fit
# ---------------------------------------------------------------------------
def fit_themes(comments: pd.DataFrame, embeddings: np.ndarray, settings: Themes, *, seed: int,
               codebook: list[CodebookTheme] | None = None, text_column: str = "text",
               question_column: str | None = "question_id", model: LoadedModel | None = None,
               cache_dir: str | Path | None = None, placer: Placer | None = None) -> ThemeFit:
    """Fit the pooled theme model.

    Parameters
    ----------
    comments
        One row per answer (any index). Non-answers may be included: they are
        flagged by :func:`prepare_comments` (or its columns, if already present)
        and get theme -2 without being modelled.
    embeddings
        ``embeddings[i]`` is the L2-normalised embedding of row i of ``comments``
        (see :func:`analysis.themes.embeddings.embed_texts`); rows of non-answers are ignored.
    settings
        ``config.themes``.
    seed
        Random state for UMAP and representation sampling (``config.seed``).
    codebook
        Known themes (:func:`load_codebook`); they keep their names and ids.
    text_column, question_column
        Column names (``question_column`` may be None).
    model
        The loaded encoder that made ``embeddings``; loaded from
        ``settings.model_path`` (at ``settings.precision``) when None. Used for labels
        and codebook prompts only.
    cache_dir
        Embedding cache root (as for :func:`analysis.themes.embeddings.embed_texts`), also
        used for the words and codebook prompts embedded while labelling themes.
    placer
        Places comments that were not fitted (very short answers; comments outside
        the sample when the corpus exceeds ``settings.fit_sample_size``) in the
        nearest theme; None = :func:`place_by_centroid` in this process. Any placer
        must give the same result (:func:`analysis.themes.distributed.dask_placer` does).

    Returns
    -------
    ThemeFit

    Raises
    ------
    ThemeModelError
        Embeddings do not match the comments, or fewer than :data:`MIN_DOCUMENTS`
        substantive comments.
    """
    total_start = time.perf_counter()
    if len(embeddings) != len(comments):
        raise ThemeModelError(
            f"{len(embeddings)} embeddings for {len(comments)} comments: embed exactly the rows passed"
        )
    prepared = (comments if "model_input" in comments.columns
                else prepare_comments(comments, text_column=text_column, question_column=question_column,
                                      min_words=settings.min_words))
    all_vectors = _normalise_rows(np.asarray(embeddings, dtype=np.float32))
    substantive = prepared["model_input"].to_numpy(dtype=bool)
    positions = np.flatnonzero(substantive)
    sample_size = getattr(settings, "fit_sample_size", None)
    if sample_size is not None and len(positions) > sample_size:
        groups = (prepared[question_column].iloc[positions]
                  if question_column and question_column in prepared.columns
                  else pd.Series("all", index=prepared.index[positions]))
        positions = positions[stratified_sample(groups.reset_index(drop=True), sample_size, seed=seed)]
    mask = np.zeros(len(prepared), dtype=bool)
    mask[positions] = True
    source = MODEL_TEXT if MODEL_TEXT in prepared.columns else text_column
    docs = prepared[source].astype("string").fillna("").to_numpy(dtype=object)[mask].tolist()
    X = all_vectors[mask]
    n = len(docs)
    if n < MIN_DOCUMENTS:
        raise ThemeModelError(
            f"only {n} substantive comment(s) to theme (after setting aside "
            f"{int((~mask).sum())} non-answers and very short answers); at least {MIN_DOCUMENTS} "
            f"are needed for a theme model. Report them as quotes or code them by hand instead"
        )
    used = resolve_settings(settings, n, seed=seed)
    used["n_substantive"] = int(substantive.sum())
    used["fit_sample_size"] = sample_size
    used["sampled"] = bool(n < substantive.sum())

    from analysis.themes.embeddings import load_model

    loaded = model if model is not None else load_model(
        settings.model_path, n_threads=getattr(settings, "torch_threads", 2),
        precision=getattr(settings, "precision", "fp32"))
    used["precision"] = loaded.precision
    used["numerics"] = numerics_mode()
    used["model_sha256"] = loaded.sha256
    used["model_name"] = loaded.name
    encoder = _cached_encoder(loaded, cache_dir)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from bertopic import BERTopic
        from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
        from bertopic.vectorizers import ClassTfidfTransformer

    prompts = [codebook_prompt(t) for t in codebook] if codebook else None
    reducer = ExactKnnUMAP(n_neighbors=used["n_neighbors"], n_components=used["n_components"],
                           min_dist=used["min_dist"], n_epochs=used["n_epochs"], init=used["umap_init"],
                           random_state=seed,
                           lazy=bool(prompts), exact_max=getattr(settings, "exact_knn_max_size", None))
    clusterer = _timed_hdbscan(min_cluster_size=used["min_cluster_size"], min_samples=used["min_samples"],
                               metric="euclidean", cluster_selection_method=used["cluster_selection_method"],
                               prediction_data=False)
    vectorizer = _vectorizer(docs, ngram_max=used["ngram_max"], min_df=used["min_df"])
    ctfidf = ClassTfidfTransformer(reduce_frequent_words=True)
    topic_model = BERTopic(
        embedding_model=encoder, umap_model=reducer, hdbscan_model=clusterer,
        vectorizer_model=vectorizer, ctfidf_model=ctfidf, representation_model=None,
        zeroshot_topic_list=prompts, zeroshot_min_similarity=used["codebook_min_similarity"],
        top_n_words=10, calculate_probabilities=False, verbose=False,
    )
    fit_start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        topics, _ = topic_model.fit_transform(docs, embeddings=X)
    fit_seconds = time.perf_counter() - fit_start
    topics = np.asarray(topics, dtype=int)
    original = topics.copy()

    # Outliers -> nearest theme centroid above the threshold (BERTopic's "embeddings" strategy).
    start = time.perf_counter()
    if (topics == -1).any() and (topics >= 0).any():
        topic_model.topic_embeddings_ = _centroid_matrix(X, topics)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            topics = np.asarray(topic_model.reduce_outliers(
                docs, topics.tolist(), strategy="embeddings", embeddings=X,
                threshold=used["outlier_threshold"]), dtype=int)
    outlier_seconds = time.perf_counter() - start

    start = time.perf_counter()
    representation = [KeyBERTInspired(top_n_words=10, nr_repr_docs=5, nr_samples=500,
                                      nr_candidate_words=used["candidate_words"], random_state=seed),
                      MaximalMarginalRelevance(diversity=used["mmr_diversity"], top_n_words=10)]
    # BERTopic logs (with a time stamp, into the executed notebook) that custom topics should be the last
    # step: they are, and the topic vectors are set to our centroids just below.
    bertopic_logger = logging.getLogger("BERTopic")
    level = bertopic_logger.level
    bertopic_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            topic_model.update_topics(docs, topics=topics.tolist(), vectorizer_model=vectorizer,
                                      ctfidf_model=ctfidf, representation_model=representation, top_n_words=10)
    finally:
        bertopic_logger.setLevel(level)
    theme_ids = sorted(set(topics.tolist()) - {-1})
    centroids = dict(zip(theme_ids, _centroid_matrix(X, topics, outliers=False), strict=True))
    # Keep the model's topic vectors = our centroids (update_topics would use word embeddings).
    topic_model.topic_embeddings_ = _centroid_matrix(X, topics)
    represent_seconds = time.perf_counter() - start

    codebook_of = _codebook_ids(X, original, encoder, prompts, codebook, used["codebook_min_similarity"])
    codebook_of = {t: c for t, c in codebook_of.items() if t in centroids}
    start = time.perf_counter()
    full_topics, full_original = _place_all(prepared, positions, topics, original, all_vectors, centroids,
                                            used["outlier_threshold"], placer=placer)
    place_seconds = time.perf_counter() - start
    assignments = _assignments(prepared, full_topics, full_original, all_vectors, centroids, codebook_of,
                               fitted=mask)
    topic_table, topic_words = _topic_table(topic_model, theme_ids, codebook_of, codebook, assignments)
    representative = _representative_docs(prepared[text_column], positions, X, topics, centroids,
                                          settings.max_quotes)

    used["n_themes"] = len(centroids)
    used["outlier_share_before_reduction"] = float((original == -1).mean())
    used["outlier_share"] = float((topics == -1).mean())
    used["n_very_short_placed"] = int(((full_topics >= 0) & ~substantive & (full_topics != -2)).sum())
    used["n_unsampled_placed"] = int(((full_topics >= 0) & substantive & ~mask).sum())
    stage = {
        "knn": reducer.seconds["knn"], "umap": reducer.seconds["umap"],
        "reduce": reducer.seconds["knn"] + reducer.seconds["umap"],
        "cluster": float(clusterer.seconds),
    }
    stage["represent"] = max(0.0, fit_seconds - stage["reduce"] - stage["cluster"]) + represent_seconds
    stage["outliers"] = outlier_seconds
    stage["place"] = place_seconds
    stage["total"] = time.perf_counter() - total_start
    return ThemeFit(
        assignments=assignments, topics=topic_table, centroids=centroids, topic_words=topic_words,
        representative_docs=representative, settings_used=used, stage_seconds=stage,
        non_answers=non_answer_counts(prepared, question_column=question_column), model=topic_model,
    )


def _cached_encoder(loaded: LoadedModel, cache_dir: str | Path | None) -> Any:
    """The loaded encoder as a BERTopic backend that reuses the embedding cache.

    Labelling embeds thousands of candidate words and a few sample comments;
    routing them through :func:`analysis.themes.embeddings.embed_texts` means a rerun
    embeds none of them again.
    """
    from bertopic.backend import BaseEmbedder

    from analysis.themes.embeddings import embed_texts

    class CachedEncoder(BaseEmbedder):
        def __init__(self) -> None:
            super().__init__(embedding_model=None)
            self.memo: dict[str, np.ndarray] = {}

        # Loaded only if something is not in the cache yet.
        @property
        def embedding_model(self) -> Any:
            return loaded.model

        @embedding_model.setter
        def embedding_model(self, value: Any) -> None:
            pass

        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            documents = [str(d) for d in documents]
            missing = list(dict.fromkeys(d for d in documents if d not in self.memo))
            if missing:
                vectors, _ = embed_texts(missing, model=loaded, cache_dir=cache_dir)
                self.memo.update(zip(missing, vectors, strict=True))
            if not documents:
                return np.zeros((0, loaded.dimension), dtype=np.float32)
            return np.stack([self.memo[d] for d in documents])

    return CachedEncoder()


def _centroid_matrix(X: np.ndarray, topics: np.ndarray, *, outliers: bool = True) -> np.ndarray:
    """Normalised mean embedding per topic, in topic order (-1 first when present and wanted)."""
    ids = sorted(set(topics.tolist()))
    if not outliers:
        ids = [t for t in ids if t != -1]
    return _normalise_rows(np.stack([X[topics == t].mean(axis=0) for t in ids])) if ids else np.zeros((0, X.shape[1]))


def _codebook_ids(X: np.ndarray, original: np.ndarray, encoder: Any, prompts: list[str] | None,
                  codebook: list[CodebookTheme] | None, min_similarity: float) -> dict[int, int]:
    """Topic -> codebook id, for topics formed by zero-shot matching.

    A topic is a codebook theme when most of the comments BERTopic put in it
    (before outlier reduction) match that codebook theme at or above the
    zero-shot threshold. Clustered topics never qualify, because BERTopic
    clusters only the comments that matched no codebook theme.
    """
    if not prompts or not codebook:
        return {}
    sims = X @ encoder.embed(prompts).T
    best = sims.argmax(axis=1)
    matched = sims.max(axis=1) >= min_similarity
    result: dict[int, int] = {}
    for topic in sorted(set(original.tolist()) - {-1}):
        members = original == topic
        votes = pd.Series(best[members & matched]).value_counts()
        if len(votes) and votes.iloc[0] > members.sum() / 2:
            result[int(topic)] = codebook[int(votes.index[0])].id
    return result


def _place_all(prepared: pd.DataFrame, positions: np.ndarray, topics: np.ndarray, original: np.ndarray,
               vectors: np.ndarray, centroids: dict[int, np.ndarray], threshold: float,
               placer: Placer | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Themes for every input row: fitted rows as fitted, the rest placed, non-answers -2.

    A very short real answer ("Waiting time"), or a comment outside the fitted
    sample, takes the theme whose centroid it is most similar to, if at least
    ``threshold`` (the outlier threshold), else -1; it never shaped the themes.
    """
    n_rows = len(prepared)
    full = np.full(n_rows, vocab.NON_ANSWER_THEME_ID, dtype=int)
    full_original = full.copy()
    full[positions] = topics
    full_original[positions] = original
    fitted = np.zeros(n_rows, dtype=bool)
    fitted[positions] = True
    rest = np.flatnonzero(~prepared["is_non_answer"].to_numpy(dtype=bool) & ~fitted)
    if len(rest):
        ids = np.asarray(list(centroids), dtype=np.int64)
        matrix = (np.stack(list(centroids.values())).astype(np.float32) if centroids
                  else np.zeros((0, vectors.shape[1]), np.float32))
        place = placer or place_by_centroid
        full[rest] = np.asarray(place(vectors[rest], matrix, ids, threshold), dtype=int)
        full_original[rest] = vocab.OUTLIER_THEME_ID
    return full, full_original


def _assignments(prepared: pd.DataFrame, topics: np.ndarray, original: np.ndarray, vectors: np.ndarray,
                 centroids: dict[int, np.ndarray], codebook_of: dict[int, int],
                 fitted: np.ndarray | None = None) -> pd.DataFrame:
    prob = np.full(len(prepared), np.nan)
    for topic, centre in centroids.items():
        rows = topics == topic
        prob[rows] = vectors[rows] @ centre
    codebook_id = pd.array([codebook_of.get(int(t), pd.NA) for t in topics], dtype="Int64")
    return pd.DataFrame({
        "topic": topics, "probability": prob, "codebook_id": codebook_id,
        "model_input": (prepared["model_input"].to_numpy(dtype=bool) if fitted is None else fitted),
        "non_answer_kind": prepared["non_answer_kind"].astype("string").to_numpy(),
        "reassigned": (original == vocab.OUTLIER_THEME_ID) & (topics >= 0),
    }, index=prepared.index)


def _topic_table(topic_model: Any, theme_ids: list[int], codebook_of: dict[int, int],
                 codebook: list[CodebookTheme] | None, assignments: pd.DataFrame
                 ) -> tuple[pd.DataFrame, dict[int, dict[str, float]]]:
    names = {t.id: t.name for t in codebook or []}
    vocabulary = np.asarray(topic_model.vectorizer_model.get_feature_names_out())
    ctfidf = topic_model.c_tf_idf_
    offset = int(topic_model._outliers)
    rows: list[dict[str, Any]] = []
    topic_words: dict[int, dict[str, float]] = {}
    sizes = assignments["topic"].value_counts()
    for topic in theme_ids:
        words = [w for w, _ in (topic_model.get_topic(topic) or []) if w]
        weights = np.asarray(ctfidf[topic + offset].todense()).ravel()
        top = np.argsort(-weights, kind="stable")[:TOPIC_WORDS_KEPT]
        topic_words[int(topic)] = {str(vocabulary[i]): float(weights[i]) for i in top if weights[i] > 0}
        if not words:
            words = list(topic_words[int(topic)])[:10]
        cb = codebook_of.get(int(topic))
        label = auto_label(words)
        rows.append({"topic": int(topic), "label": names.get(cb, label) if cb else label, "auto_label": label,
                     "top_words": words[:10], "size": int(sizes.get(topic, 0)),
                     "codebook_id": cb if cb is not None else pd.NA,
                     "codebook_name": names.get(cb, pd.NA) if cb is not None else pd.NA})
    for special, label in ((vocab.OUTLIER_THEME_ID, vocab.OUTLIER_THEME_LABEL),
                           (vocab.NON_ANSWER_THEME_ID, vocab.NON_ANSWER_THEME_LABEL)):
        rows.append({"topic": special, "label": label, "auto_label": label, "top_words": [],
                     "size": int(sizes.get(special, 0)), "codebook_id": pd.NA, "codebook_name": pd.NA})
    table = pd.DataFrame(rows).sort_values("topic", ignore_index=True)
    table["codebook_id"] = table["codebook_id"].astype("Int64")
    table["codebook_name"] = table["codebook_name"].astype("string")
    table["label"] = table["label"].astype("string")
    table["auto_label"] = table["auto_label"].astype("string")
    return table, topic_words


def _representative_docs(text: pd.Series, positions: np.ndarray, X: np.ndarray,
                         topics: np.ndarray, centroids: dict[int, np.ndarray], k: int) -> dict[int, list[int]]:
    """Up to k distinct comments per theme closest to its centroid (row positions in ``assignments``)."""
    texts = text.astype("string").fillna("").to_numpy(dtype=object)
    out: dict[int, list[int]] = {}
    for topic, centre in centroids.items():
        rows = np.flatnonzero(topics == topic)
        order = rows[np.argsort(-(X[rows] @ centre), kind="stable")]
        chosen: list[int] = []
        seen: set[str] = set()
        for r in order:
            pos = int(positions[r])
            key = str(texts[pos]).strip().lower()
            if key in seen:
                continue
            seen.add(key)
            chosen.append(pos)
            if len(chosen) == k:
                break
        out[int(topic)] = chosen
    return out
