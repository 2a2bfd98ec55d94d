"""One theme pipeline: answers placed in the book, candidates discovered among the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core import vocab
from analysis.core.config import Themes
from analysis.themes.book import BookFile, BookTheme, ThemeBook, ThemeBookError
from analysis.themes.model import prepare_comments
from analysis.themes.pipeline import theme_answers

SHA = "ef" * 32
AXES = {"parking": 0, "staff": 1, "food": 2, "noise": 3}


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def corpus() -> tuple[pd.DataFrame, np.ndarray]:
    """Answers about four subjects on four axes of a toy space, plus non-answers."""
    rng = np.random.default_rng(0)
    rows, vectors = [], []
    for subject, axis in AXES.items():
        for i in range(40):
            rows.append({"comment_id": f"{subject}{i}", "respondent_id": f"r{subject}{i}",
                         "question_id": "q", "wave": 2025, "text": f"the {subject} was a real problem this time {i}"})
            v = np.zeros(6)
            v[axis] = 1.0
            vectors.append(unit(v + rng.normal(scale=0.15, size=6)))
    for i, text in enumerate(["nothing", "n/a", "no comment"]):
        rows.append({"comment_id": f"na{i}", "respondent_id": f"na{i}", "question_id": "q", "wave": 2025,
                     "text": text})
        vectors.append(unit(np.ones(6)))
    prepared = prepare_comments(pd.DataFrame(rows), min_words=3)
    return prepared, np.stack(vectors)


def book(**meta) -> ThemeBook:
    e = np.eye(6)
    themes = [BookTheme(id=1, name="Parking", source="codebook"),
              BookTheme(id=100, name="Staff attitude", source="model", first_seen="2024"),
              BookTheme(id=101, name="Rude staff", source="model", status="merged", merged_into=100),
              BookTheme(id=102, name="Canteen", source="model", status="excluded")]
    centroids = {1: e[0], 100: e[1], 101: unit(e[1] + 0.3 * e[4]), 102: e[2]}
    return ThemeBook(meta=BookFile(book_version=3, programme="t", embedding_model_sha256=SHA, themes=themes, **meta),
                     centroids=centroids)


def test_answers_are_placed_in_the_book_merged_and_excluded_as_it_says():
    prepared, X = corpus()
    run = theme_answers(prepared, X, book(), Themes(), seed=1, cycle="2025", model_sha256=SHA, discover=False)
    a = run.assignments.set_index("comment_id")
    subject = a.index.str.extract(r"^([a-z]+)", expand=False)
    by_subject = a.groupby(subject.to_numpy())["theme_id"].agg(lambda s: s.mode().iloc[0])
    assert by_subject["parking"] == 1 and by_subject["staff"] == 100 and by_subject["food"] == 102
    assert by_subject["noise"] == vocab.OUTLIER_THEME_ID  # no book theme fits; discovery is off
    assert set(a.loc[a.index.str.startswith("na"), "theme_id"]) == {vocab.NON_ANSWER_THEME_ID}
    assert not (a["theme_id"] == 101).any()  # merged: counted under 100
    assert a.loc[subject.to_numpy() == "food", "excluded"].all()
    themes = run.themes.set_index("theme_id")
    assert 101 not in themes.index and themes.loc[100, "merged_from"] == "101"
    assert themes.loc[102, "excluded"] and themes.loc[1, "size"] >= 35
    assert (a.loc[a["theme_id"] > 0, "probability"] >= 0.5).all()


def test_a_book_from_another_encoder_is_refused():
    prepared, X = corpus()
    with pytest.raises(ThemeBookError, match="another|different"):
        theme_answers(prepared, X, book(), Themes(), seed=1, cycle="2025", model_sha256="0" * 64, discover=False)


def test_the_same_book_and_answers_give_the_same_themes_whatever_the_rounding_noise():
    prepared, X = corpus()
    noisy = X + np.random.default_rng(5).normal(scale=1e-7, size=X.shape)
    one = theme_answers(prepared, X, book(), Themes(), seed=1, cycle="2025", model_sha256=SHA, discover=False)
    two = theme_answers(prepared, noisy, book(), Themes(), seed=2, cycle="2025", model_sha256=SHA, discover=False)
    assert one.assignments["theme_id"].tolist() == two.assignments["theme_id"].tolist()


@pytest.mark.slow
def test_answers_no_theme_fits_become_candidates_and_nothing_else_is_refitted():
    """The real encoder and BERTopic on the synthetic corpus; the book knows two of six subjects."""
    from analysis.themes.embeddings import embed_texts, load_model
    from tests.themes.test_model import make_corpus

    frame = make_corpus().reset_index()
    frame["respondent_id"] = frame["comment_id"]
    frame["wave"] = 2025
    prepared = prepare_comments(frame, min_words=3)
    model = load_model()
    X, _ = embed_texts(prepared["model_text"].fillna("").astype(str).tolist(), model=model, cache_dir=None)
    subjects = prepared["subject"]
    known = [s for s in subjects.dropna().unique()][:2]
    centroids = {}
    themes = []
    for i, s in enumerate(known):
        c = X[(subjects == s).to_numpy()].mean(axis=0)
        centroids[100 + i] = c / np.linalg.norm(c)
        themes.append(BookTheme(id=100 + i, name=s.title(), source="model", first_seen="2024"))
    known_book = ThemeBook(meta=BookFile(book_version=1, programme="t", embedding_model_sha256=model.sha256,
                                         themes=themes), centroids=centroids)
    run = theme_answers(prepared, X, known_book, Themes(), seed=3, cycle="2025", model_sha256=model.sha256)
    a = run.assignments
    for i, s in enumerate(known):
        rows = (subjects == s).to_numpy()
        assert (a.loc[rows, "theme_id"] == 100 + i).mean() > 0.9 and not a.loc[rows, "candidate"].any()
    others = subjects.notna().to_numpy() & ~subjects.isin(known).to_numpy()
    assert a.loc[others, "candidate"].mean() > 0.8  # the other subjects were discovered as candidates
    assert run.candidates is not None and min(t.id for t in run.candidates.themes) >= 102
    assert set(run.themes.loc[run.themes["status"] == "candidate", "theme_id"]) == {t.id for t in run.candidates.themes}
