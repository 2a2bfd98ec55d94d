"""One theme pipeline: assign answers to the theme book, discover candidates among the rest.

Used by notebook 02 and by ``python -m analysis themes`` alike, so both count,
name and label themes the same way. Steps (see :mod:`analysis.themes.book` for
the assignment rule):

1. every answer that is not a non-answer is compared with the book's centroids
   and takes a theme if one fits (codebook themes first);
2. the substantive answers no book theme fits are the only ones a model is
   fitted on (:func:`analysis.themes.model.fit_themes`, with the codebook's themes
   that the book does not hold yet as guides); its themes are **candidates**:
   counted and shown as "new, not yet reviewed" and written to the review folder,
   never into the book;
3. answers of merged themes count under the theme they were merged into; answers
   of excluded themes are counted as "excluded by reviewer".

Without a book (a programme's first cycle) every theme is a candidate, and the
analyst accepts the ones to keep (``python -m analysis review-accept``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.core.config import Themes
from analysis.themes.book import (
    CANDIDATE,
    BookFile,
    BookTheme,
    ThemeBook,
    ThemeBookError,
    assign_to_book,
    counted_ids,
    themes_frame,
)
from analysis.themes.model import MIN_DOCUMENTS, CodebookTheme, ThemeFit, fit_themes

#: Key words kept per theme (c-TF-IDF over this cycle's answers).
KEY_WORDS = 10


@dataclass
class ThemedAnswers:
    """What one run of the pipeline produced.

    Attributes
    ----------
    assignments
        The input rows (same index) plus ``theme_id`` (int: counted id after merges, a
        candidate id, -1 none fits, -2 non-answer), ``book_theme_id`` (Int64: the book theme
        whose centroid the answer took), ``similarity`` (float), ``candidate`` (bool),
        ``excluded`` (bool: its theme was excluded by a reviewer).
    themes
        One row per theme that counts this run (book themes that are not merged or retired,
        and candidates): ``theme_id, label, auto_label, description, stance, source,
        status`` (the book's ``active`` or ``excluded``, or ``candidate``), ``top_words`` (list), ``size``,
        ``reviewed, reviewer, reviewed_on, excluded, split_requested, split_note, merged_from``.
    book_table
        Every theme of the book (:func:`analysis.themes.book.themes_frame`).
    candidates
        The candidates as a book of their own (centroids included), for the review folder;
        None when nothing was discovered.
    discovery
        The fit that found the candidates, or None.
    """

    assignments: pd.DataFrame
    themes: pd.DataFrame
    book_table: pd.DataFrame
    candidates: ThemeBook | None
    discovery: ThemeFit | None
    settings: dict[str, Any] = field(default_factory=dict)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    X = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def key_words(texts: pd.Series, theme_ids: pd.Series, *, ngram_max: int = 2, top_n: int = KEY_WORDS
              ) -> dict[int, list[str]]:
    """Each theme's distinctive words: class-based TF-IDF (BERTopic's) over its answers this run."""
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    ids = sorted(int(t) for t in set(theme_ids.dropna().astype(int)) if t >= 0)
    if not ids:
        return {}
    docs = [" ".join(texts[theme_ids == t].astype(str)) for t in ids]
    try:
        counts = CountVectorizer(stop_words="english", ngram_range=(1, ngram_max)).fit(docs)
    except ValueError:  # only stop words
        return {t: [] for t in ids}
    matrix = counts.transform(docs)
    weights = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(matrix).toarray()
    vocabulary = np.asarray(counts.get_feature_names_out())
    out: dict[int, list[str]] = {}
    for row, t in enumerate(ids):
        order = np.argsort(-weights[row], kind="stable")[:top_n]
        out[t] = [str(vocabulary[i]) for i in order if weights[row, i] > 0]
    return out


def _candidates(fit: ThemeFit, vectors: np.ndarray, positions: np.ndarray, first_id: int,
                taken_codebook: set[int], codebook: Sequence[CodebookTheme] | None, cycle: str,
                namer: Callable[[int, np.ndarray], tuple[str, str]]) -> tuple[dict[int, int], list[BookTheme], dict[int, np.ndarray]]:
    """Candidate themes from a discovery fit: topic -> candidate id, entries, centroids.

    Codebook themes the fit matched keep their codebook id (unless the book holds it
    already); other topics are numbered from ``first_id`` up, largest first, so the
    numbering does not depend on the model's own topic numbers.
    """
    names = {t.id: t for t in codebook or []}
    topics = fit.topics[fit.topics["topic"] >= 0]
    sizes = fit.assignments["topic"].value_counts()
    order = sorted(topics.itertuples(), key=lambda r: (-int(sizes.get(r.topic, 0)), list(r.top_words)))
    mapping: dict[int, int] = {}
    entries: list[BookTheme] = []
    centroids: dict[int, np.ndarray] = {}
    next_id = first_id
    for r in order:
        cb = None if pd.isna(r.codebook_id) else int(r.codebook_id)
        if cb is not None and cb not in taken_codebook and cb not in mapping.values():
            new_id, source = cb, "codebook"
        else:
            new_id, source = next_id, "model"
            next_id += 1
        mapping[int(r.topic)] = new_id
        members = positions[fit.assignments["topic"].to_numpy() == r.topic]
        centre = vectors[members].mean(axis=0)
        centre = centre / (np.linalg.norm(centre) or 1.0)
        centroids[new_id] = centre
        if source == "codebook":
            name, description = names[cb].name, names[cb].description
        else:
            name, description = namer(new_id, members)
        entries.append(BookTheme(id=new_id, name=name[:80], description=description[:300], source=source,
                                 first_seen=cycle, key_words=[str(w) for w in list(r.top_words)[:KEY_WORDS]]))
    return mapping, entries, centroids


def theme_answers(prepared: pd.DataFrame, embeddings: np.ndarray, book: ThemeBook | None, settings: Themes, *,
                  seed: int, cycle: str, model_sha256: str, codebook: Sequence[CodebookTheme] | None = None,
                  text_column: str = "text", cache_dir: str | Path | None = None,
                  namer: Callable[[int, np.ndarray], tuple[str, str]] | None = None,
                  question_kinds: Mapping[str, str] | None = None,
                  discover: bool = True) -> ThemedAnswers:
    """Assign answers to the book and discover candidate themes among the rest.

    Parameters
    ----------
    prepared
        From :func:`analysis.themes.model.prepare_comments` (``is_non_answer``,
        ``model_input``, ``model_text`` ...).
    embeddings
        One row per row of ``prepared`` (any norm; normalised here).
    book
        The programme's theme book, or None for a first cycle.
    settings, seed
        ``config.themes`` and ``config.seed`` (discovery only: assignment has no randomness).
    cycle
        This cycle (``first_seen`` of candidates).
    model_sha256
        The encoder that made ``embeddings``; must be the book's.
    codebook
        The codebook, whose themes not yet in the book guide discovery.
    namer
        ``(candidate_id, row positions) -> (name, description)`` for discovered model themes;
        None names them with :func:`analysis.themes.naming.theme_name` (noun phrases of their most
        central answers, contrasted with every other theme's centre).
    question_kinds
        Question id -> "praise", "suggestion" or "open" (``OpenQuestion.kind``), for each theme's
        stance (:func:`analysis.themes.naming.theme_stance`); None counts every question as open.
    discover
        Fit a model on the unfitted answers (False: they stay unassigned).

    Raises
    ------
    analysis.themes.book.ThemeBookError
        The book's centroids come from another encoder.
    """
    if book is not None and book.meta.embedding_model_sha256 != model_sha256:
        raise ThemeBookError(
            f"theme book {book.path.name if book.path else ''}: its centroids were made with encoder "
            f"{book.meta.embedding_model_sha256[:12]} but this run's encoder is {model_sha256[:12]}; "
            "themes embedded by different models cannot be compared. Use the book's encoder "
            "(themes.model_path) or start a new book")
    vectors = _normalise(embeddings)
    non_answer = prepared["is_non_answer"].fillna(False).to_numpy(dtype=bool)
    out = prepared.copy()
    if book is not None:
        taken = assign_to_book(vectors, book, ~non_answer)
        out["book_theme_id"] = taken["book_theme_id"].to_numpy()
        out["similarity"] = taken["similarity"].to_numpy()
        counted = counted_ids(book, out["book_theme_id"])
    else:
        out["book_theme_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["similarity"] = np.nan
        counted = pd.Series(pd.array([pd.NA] * len(out), dtype="Int64"), index=out.index)
    theme_id = np.where(non_answer, vocab.NON_ANSWER_THEME_ID, vocab.OUTLIER_THEME_ID).astype(np.int64)
    has = counted.notna().to_numpy()
    theme_id[has] = counted[has].astype("int64").to_numpy()
    candidate = np.zeros(len(out), dtype=bool)
    # Closeness to the centre of the theme an answer counts in (quotes are the most typical answers).
    probability = np.where(has, out["similarity"].to_numpy(dtype=float), np.nan)

    fit, cand_book = None, None
    residual = ~non_answer & ~has
    residual_fitted = residual & prepared["model_input"].to_numpy(dtype=bool)
    used: dict[str, Any] = {"assign_threshold": book.meta.assign_threshold if book else None,
                            "codebook_margin": book.meta.codebook_margin if book else None,
                            "n_assigned_to_book": int(has.sum()), "n_residual": int(residual.sum())}
    if discover and residual_fitted.sum() >= MIN_DOCUMENTS:
        positions = np.flatnonzero(residual)
        in_book = set(book.ids()) if book else set()
        guides = [t for t in codebook or [] if t.id not in in_book] or None
        fit = fit_themes(prepared.iloc[positions], vectors[positions], settings, seed=seed, codebook=guides,
                         text_column=text_column, cache_dir=cache_dir)
        first = book.next_id() if book else 100
        others = np.stack(list(book.centroids.values())) if book and book.centroids else None
        mapping, entries, centroids = _candidates(fit, vectors, positions, first, in_book, codebook, cycle,
                                                  namer or _default_namer(out, vectors, others, text_column))
        topics = fit.assignments["topic"].to_numpy()
        found = topics >= 0
        theme_id[positions[found]] = [mapping[int(t)] for t in topics[found]]
        candidate[positions[found]] = True
        probability[positions[found]] = fit.assignments["probability"].to_numpy(dtype=float)[found]
        if entries:
            meta = BookFile(book_version=1, programme=book.meta.programme if book else cycle,
                            embedding_model_sha256=model_sha256,
                            assign_threshold=book.meta.assign_threshold if book else 0.5,
                            themes=sorted(entries, key=lambda e: e.id))
            cand_book = ThemeBook(meta=meta, centroids=centroids)
        used["discovery"] = fit.settings_used
    out["theme_id"] = theme_id
    out["candidate"] = candidate
    out["probability"] = probability

    book_table = themes_frame(book)
    themes = _counted_themes(book_table, cand_book, out, text_column=text_column,
                             ngram_max=settings.ngram_max)
    themes = _with_stance(themes, out, question_kinds or {}, text_column=text_column)
    excluded_ids = set(themes.loc[themes["excluded"], "theme_id"].astype(int))
    out["excluded"] = out["theme_id"].isin(sorted(excluded_ids))
    return ThemedAnswers(assignments=out, themes=themes, book_table=book_table, candidates=cand_book,
                         discovery=fit, settings=used)


def _counted_themes(book_table: pd.DataFrame, candidates: ThemeBook | None, assignments: pd.DataFrame, *,
                    text_column: str, ngram_max: int) -> pd.DataFrame:
    """The themes table the report counts with (one row per theme that can hold answers)."""
    book_rows = book_table.rename(columns={"book_status": "status"})
    rows = book_rows[book_rows["status"].isin(["active", "excluded"])].copy()
    merged = book_rows[book_rows["status"] == "merged"]
    sources = merged.groupby("merged_into")["theme_id"].apply(lambda s: "; ".join(map(str, sorted(s))))
    rows["merged_from"] = rows["theme_id"].map(sources).fillna("").astype("string")
    if candidates is not None:
        cand = themes_frame(candidates).rename(columns={"book_status": "status"})
        cand["status"] = CANDIDATE
        cand["merged_from"] = ""
        rows = pd.concat([rows, cand], ignore_index=True)
    texts = assignments["model_text"] if "model_text" in assignments.columns else assignments[text_column]
    words = key_words(texts.astype(str), assignments["theme_id"], ngram_max=ngram_max)
    sizes = assignments["theme_id"].value_counts()
    rows["auto_label"] = rows["label"]
    rows["top_words"] = rows["theme_id"].map(lambda t: words.get(int(t), []))
    rows["size"] = rows["theme_id"].map(sizes).fillna(0).astype("int64")
    rows["reviewed"] = rows["reviewer"].notna()
    rows["excluded"] = rows["status"].eq("excluded").fillna(False).astype(bool)
    rows["split_requested"] = rows["split_note"].notna()
    rows["merged_from"] = rows["merged_from"].astype("string")
    return rows.sort_values("theme_id").reset_index(drop=True)


def _default_namer(prepared: pd.DataFrame, vectors: np.ndarray, book_centroids: np.ndarray | None,
                   text_column: str) -> Callable[[int, np.ndarray], tuple[str, str]]:
    """Name a candidate from its most central answers (:func:`analysis.themes.naming.theme_name`)."""
    from analysis.themes.naming import theme_name

    texts = prepared[text_column].astype("string").fillna("").to_numpy(dtype=object)

    def namer(_candidate_id: int, rows: np.ndarray) -> tuple[str, str]:
        centre = vectors[rows].mean(axis=0)
        centre = centre / (np.linalg.norm(centre) or 1.0)
        named = theme_name(list(texts[rows]), vectors[rows], centre, others=book_centroids)
        # Not named.description: it quotes an answer, and a candidate's entry may be committed to the book.
        phrases = [p for p in named.key_phrases if p.lower() != named.name.lower()][:3]
        return named.name, ("People mention " + ", ".join(phrases) + ".") if phrases else ""

    return namer


def _with_stance(themes: pd.DataFrame, answers: pd.DataFrame, question_kinds: Mapping[str, str], *,
                 text_column: str) -> pd.DataFrame:
    """Each theme's stance: the book's where a reviewer set one, else computed from its answers this run."""
    from analysis.themes.naming import comment_sentiment, suggestion_cue, theme_stance

    out = themes.copy()
    members = answers[answers["theme_id"] > 0]
    if members.empty:
        out["stance_source"] = pd.Series(pd.NA, index=out.index, dtype="string")
        return out
    texts = members[text_column].astype("string")
    scores = comment_sentiment(texts)
    cues = suggestion_cue(texts)
    kinds = members["question_id"].map(lambda q: question_kinds.get(str(q), "open"))
    computed = {}
    for tid, rows in members.groupby("theme_id").groups.items():
        computed[int(tid)] = theme_stance(scores.loc[rows], kinds.loc[rows], suggests=cues.loc[rows])
    book_stance = out["stance"].astype("string")
    out["stance_source"] = np.where(book_stance.notna(), "book", np.where(
        out["theme_id"].isin(list(computed)), "computed", pd.NA))
    out["stance"] = book_stance.fillna(out["theme_id"].map(computed).astype("string"))
    out["stance_source"] = out["stance_source"].astype("string")
    return out
