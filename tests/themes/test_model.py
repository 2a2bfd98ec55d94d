"""The theme engine: preparation, determinism, non-answers, codebook themes.

The synthetic corpus (:func:`make_corpus`, also used by test_themes_cli) is built
from phrase lists: six known subjects, each written many ways, plus the usual
mess: non-answers, blanks, very short answers, a phone number and a name.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from analysis.core import vocab
from analysis.core.config import Themes
from analysis.core.errors import ConfigError
from analysis.themes import embeddings as emb
from analysis.themes.model import (
    CodebookTheme,
    ThemeFit,
    ThemeModelError,
    auto_label,
    exact_cosine_knn,
    fit_themes,
    load_codebook,
    prepare_comments,
    scaled_min_cluster_size,
)
from tests.conftest import FFT_CSV

QDC_XLSX = FFT_CSV.parent / "qdc_framework.xlsx"
SEED = 11

SUBJECTS: dict[str, tuple[list[str], list[str]]] = {
    "parking": (
        ["the car park", "parking at the hospital", "the parking charges", "finding a parking space",
         "the disabled parking bays", "the pay and display parking machines"],
        ["was a nightmare", "cost far too much for patients", "needs sorting out urgently",
         "made us late for the appointment", "was full every single time", "is a disgrace for visitors",
         "took forty minutes", "was impossible with a wheelchair"],
    ),
    "waiting": (
        ["the wait in the emergency department", "waiting for my appointment", "the delay before being seen",
         "the waiting time for the referral", "sitting in the waiting room", "waiting for the results"],
        ["took over four hours", "was far too long", "went on for months", "left my mother exhausted",
         "meant we were there all night", "needs to be much shorter", "was longer than we were told",
         "felt endless"],
    ),
    "kind_staff": (
        ["the nurses", "every member of staff", "the doctor", "the healthcare assistants",
         "the reception team", "the midwives"],
        ["were kind and caring", "treated me with dignity and respect", "were friendly and reassuring",
         "were compassionate and gentle", "made my dad feel safe", "could not have been kinder",
         "were polite and warm", "really cared about us"],
    ),
    "food": (
        ["the food on the ward", "the hospital meals", "the menu", "the sandwiches and drinks",
         "breakfast on the ward", "the hot dinners"],
        ["were cold and tasteless", "had no vegetarian choice", "arrived late and were not very nice",
         "were surprisingly good", "need more healthy options", "were stale", "lacked any variety",
         "were too salty to eat"],
    ),
    "information": (
        ["nobody explaining my treatment", "the information about my medication",
         "the letter about my discharge", "being told about my scan results", "the care plan we were given",
         "updates from the doctors"],
        ["left me confused", "was contradictory", "came far too late", "was clear and helpful",
         "needs to be in plain English", "never happened at all", "kept us informed",
         "was missing important details"],
    ),
    "cleanliness": (
        ["the toilets on the ward", "the bathroom", "the floors in the waiting area", "the bed sheets",
         "the hand gel dispensers", "the bins on the corridor"],
        ["were dirty", "were not cleaned for two days", "were spotless", "smelt awful",
         "were stained and grubby", "were empty or overflowing", "need cleaning more often",
         "were filthy and unhygienic"],
    ),
}
OPENERS = ["", "Honestly, ", "I felt that ", "Overall ", "Sadly "]
CLOSERS = ["", ".", ".", "!", " on both visits.", ", thank you."]
NON_ANSWERS = ["Nothing", "N/A", "nothing really", "No comment", "don't know", "-", "None.", "Did not answer"]
VERY_SHORT = ["Parking!", "Long waits", "Cold food", "Dirty toilets", "Lovely nurses"]


def make_corpus(per_subject: int = 60, seed: int = 7) -> pd.DataFrame:
    """Comments with a known subject, question, group and date; messy rows included."""
    rng = random.Random(seed)
    rows = []
    for subject, (heads, tails) in SUBJECTS.items():
        combos = list(itertools.product(heads, tails))
        rng.shuffle(combos)
        for head, tail in combos[:per_subject]:
            text = f"{rng.choice(OPENERS)}{head} {tail}{rng.choice(CLOSERS)}".strip()
            rows.append({"text": text[0].upper() + text[1:], "subject": subject})
    # A phone number and a name inside real comments, as respondents write them.
    rows[0]["text"] += " Ring me on 07700 900123 if you want to discuss."
    rows[1]["text"] += " Sister Mary Doyle was wonderful."
    for text in NON_ANSWERS * 4:
        rows.append({"text": text, "subject": None})
    for text in VERY_SHORT:
        rows.append({"text": text, "subject": None})
    rows += [{"text": "", "subject": None}, {"text": None, "subject": None}, {"text": "   ", "subject": None}]
    rng.shuffle(rows)
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame["question_id"] = [rng.choice(["works_well", "should_change"]) for _ in range(n)]
    frame["borough"] = [rng.choice(["Brent", "Ealing", "Harrow"]) for _ in range(n)]
    frame["date"] = [f"{rng.randint(1, 28):02d}/{rng.choice([1, 4, 7, 10]):02d}/202{rng.randint(3, 4)}"
                     for _ in range(n)]
    frame.index = [f"c{i:04d}" for i in range(n)]
    frame.index.name = "comment_id"
    return frame



@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, np.ndarray, emb.LoadedModel, Path]:
    frame = make_corpus()
    cache = tmp_path_factory.mktemp("embcache")
    model = emb.load_model()
    vectors, _ = emb.embed_texts(frame["text"].fillna("").tolist(), model=model, cache_dir=cache)
    return frame, vectors, model, cache


@pytest.fixture(scope="module")
def fitted(corpus) -> tuple[ThemeFit, ThemeFit]:
    frame, vectors, model, cache = corpus
    settings = Themes()
    first = fit_themes(frame, vectors, settings, seed=SEED, model=model, cache_dir=cache)
    second = fit_themes(frame, vectors, settings, seed=SEED, model=model, cache_dir=cache)
    return first, second


def test_prepare_flags_non_answers_blanks_and_very_short() -> None:
    frame = pd.DataFrame({"text": ["Nothing.", "N/A", "", None, "Did not answer", "Waiting time",
                                   "The nurses were very kind to me"],
                          "question_id": ["q1"] * 7})
    out = prepare_comments(frame, min_words=3)
    assert out["is_non_answer"].tolist() == [True, True, True, True, True, False, False]
    assert out.loc[2, "non_answer_kind"] == "blank" and out.loc[3, "non_answer_kind"] == "blank"
    assert out.loc[4, "non_answer_kind"] == "no comment"
    assert out.loc[5, "non_answer_kind"] == "very short"
    assert pd.isna(out.loc[6, "non_answer_kind"])
    assert out["model_input"].tolist() == [False] * 6 + [True]
    assert "model_input" not in frame.columns  # input untouched


def test_prepare_respects_processed_flags() -> None:
    frame = pd.DataFrame({"text": ["nothing at all to say here", "Parking was awful again today"],
                          "is_non_answer": [True, False], "non_answer_kind": ["nothing", pd.NA]})
    out = prepare_comments(frame, min_words=3)
    assert out["model_input"].tolist() == [False, True]
    assert out.loc[0, "non_answer_kind"] == "nothing"


def test_missing_text_column_is_a_user_error() -> None:
    with pytest.raises(ThemeModelError, match="text column 'comment' not found"):
        prepare_comments(pd.DataFrame({"text": ["a"]}), text_column="comment")


@pytest.mark.slow
def test_assignments_cover_every_row_in_order(fitted, corpus) -> None:
    fit, _ = fitted
    frame = corpus[0]
    a = fit.assignments
    assert a.index.equals(frame.index)
    assert {"topic", "probability", "codebook_id", "model_input", "non_answer_kind", "reassigned"} <= set(a.columns)
    assert a["codebook_id"].dtype == "Int64"
    themed = a["topic"] >= 0
    assert a.loc[themed, "probability"].between(-1, 1).all()
    assert a.loc[~themed, "probability"].isna().all()


@pytest.mark.slow
def test_non_answers_get_minus_two_and_never_form_a_theme(fitted, corpus) -> None:
    fit, _ = fitted
    frame = corpus[0]
    a = fit.assignments
    prepared = prepare_comments(frame)
    assert (a.loc[prepared["is_non_answer"], "topic"] == vocab.NON_ANSWER_THEME_ID).all()
    assert (a.loc[~prepared["is_non_answer"], "topic"] != vocab.NON_ANSWER_THEME_ID).all()
    blanks = frame["text"].fillna("").str.strip() == ""
    assert (a.loc[blanks, "non_answer_kind"] == "blank").all()
    # No theme's label or key words are made of non-answer phrases.
    words = {w for ws in fit.topics.loc[fit.topics["topic"] >= 0, "top_words"] for w in ws}
    assert not words & {"nothing", "comment", "answer", "know"}
    row = fit.topics.set_index("topic").loc[vocab.NON_ANSWER_THEME_ID]
    assert row["label"] == vocab.NON_ANSWER_THEME_LABEL and row["size"] == int(prepared["is_non_answer"].sum())
    counts = fit.non_answers
    assert set(counts["question"]) == {"works_well", "should_change"}
    assert counts.loc[counts["is_non_answer"], "n"].sum() == int(prepared["is_non_answer"].sum())


@pytest.mark.slow
def test_themes_recover_the_known_subjects(fitted, corpus) -> None:
    fit, _ = fitted
    frame = corpus[0]
    known = frame["subject"].notna()
    topics = fit.assignments.loc[known, "topic"]
    assert 4 <= fit.settings_used["n_themes"] <= 15
    assert adjusted_rand_score(frame.loc[known, "subject"], topics) > 0.6
    assert fit.settings_used["outlier_share"] < 0.1
    parking = fit.assignments.loc[frame["subject"] == "parking", "topic"].mode()[0]
    label = fit.topics.set_index("topic").loc[parking, "auto_label"]
    assert "park" in label


@pytest.mark.slow
def test_very_short_answers_are_placed_not_fitted(fitted, corpus) -> None:
    fit, _ = fitted
    frame = corpus[0]
    short = fit.assignments["non_answer_kind"] == "very short"
    assert short.sum() >= 5
    assert not fit.assignments.loc[short, "model_input"].any()
    parking_theme = fit.assignments.loc[frame["subject"] == "parking", "topic"].mode()[0]
    assert fit.assignments.loc[frame["text"] == "Parking!", "topic"].iloc[0] in (parking_theme, -1)


@pytest.mark.slow
def test_same_seed_gives_identical_results(fitted) -> None:
    first, second = fitted
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.topics, second.topics)
    assert first.representative_docs == second.representative_docs


@pytest.mark.slow
def test_fit_outputs_are_consistent(fitted) -> None:
    fit, _ = fitted
    themes = sorted(t for t in fit.topics["topic"] if t >= 0)
    assert sorted(fit.centroids) == themes == sorted(fit.representative_docs) == sorted(fit.topic_words)
    for centre in fit.centroids.values():
        assert np.linalg.norm(centre) == pytest.approx(1.0, abs=1e-5)
    sizes = fit.assignments["topic"].value_counts()
    for row in fit.topics.itertuples():
        assert row.size == sizes.get(row.topic, 0)
        if row.topic >= 0:
            assert 1 <= len(row.top_words) <= 10 and row.auto_label
            assert all(fit.assignments.iloc[p]["topic"] == row.topic for p in fit.representative_docs[row.topic])
    used = fit.settings_used
    assert used["min_cluster_size"] == scaled_min_cluster_size(used["n_documents"])
    assert used["model_sha256"] == emb.PUBLISHED_SHA256
    assert {"reduce", "cluster", "represent", "total"} <= set(fit.stage_seconds)


@pytest.mark.slow
def test_codebook_themes_keep_names_and_ids(corpus, tmp_path: Path) -> None:
    frame, vectors, model, cache = corpus
    book = tmp_path / "codebook.yaml"
    book.write_text(yaml.safe_dump({"themes": [
        {"id": 7, "name": "Car parking", "description": "Finding a parking space and parking charges",
         "seed_words": ["car park", "parking space", "parking charges"], "questions": ["should_change"]},
        {"id": 12, "name": "Hospital food", "description": "Meals, drinks and menu choice on the ward",
         "seed_words": ["food", "meals", "menu", "drink"]},
    ]}), encoding="utf-8")
    codebook = load_codebook(book)
    assert codebook[0] == CodebookTheme(7, "Car parking", "Finding a parking space and parking charges",
                                        ("car park", "parking space", "parking charges"), ("should_change",))
    fit = fit_themes(frame, vectors, Themes(), seed=SEED, codebook=codebook, model=model, cache_dir=cache)
    topics = fit.topics.set_index("topic")
    coded = topics[topics["codebook_id"].notna()]
    assert set(coded["codebook_id"]) == {7, 12}
    assert (coded["label"] == coded["codebook_name"]).all()
    assert set(coded["codebook_name"]) == {"Car parking", "Hospital food"}
    parking_rows = fit.assignments[frame["subject"] == "parking"]
    assert (parking_rows["codebook_id"] == 7).mean() > 0.8
    # New themes are still found beside the codebook ones.
    assert topics.loc[topics.index >= 0, "codebook_id"].isna().sum() >= 2


def test_load_codebook_reports_every_problem(tmp_path: Path) -> None:
    book = tmp_path / "bad.yaml"
    book.write_text(yaml.safe_dump({"themes": [
        {"id": 1, "name": "A"}, {"id": 1, "name": "B"}, {"id": 150, "name": "C"}, {"id": 3},
        {"id": 4, "name": "D", "colour": "red"}]}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_codebook(book)
    message = str(info.value)
    assert "repeated: [1]" in message and "1 to 99" in message and "themes[3].name" in message
    assert "unknown key(s) ['colour']" in message
    with pytest.raises(ConfigError, match="not found"):
        load_codebook(tmp_path / "missing.yaml")


@pytest.mark.slow
def test_too_few_comments_is_a_clear_error(corpus) -> None:
    frame, vectors, model, _ = corpus
    small = frame.iloc[:20]
    with pytest.raises(ThemeModelError, match="at least 30"):
        fit_themes(small, vectors[:20], Themes(), seed=1, model=model)
    with pytest.raises(ThemeModelError, match="embeddings for"):
        fit_themes(frame, vectors[:5], Themes(), seed=1, model=model)


def test_exact_knn_matches_sklearn_brute_force() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    idx, dist = exact_cosine_knn(X, 10, block=64)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=10, metric="cosine", algorithm="brute").fit(X).kneighbors(X)
    assert (idx[:, 0] == np.arange(300)).all()
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, atol=1e-5)


def test_auto_label_avoids_repeating_words() -> None:
    assert auto_label(["friendly staff", "staff", "caring", "helpful", "kind"]) == "friendly staff / caring / helpful"
    assert auto_label(["parking", "car parking", "spaces"]) == "parking / car parking / spaces"
    assert auto_label([]) == "(no distinctive words)"


def _framework_codebook(tmp_path: Path) -> Path:
    framework = pd.read_excel(QDC_XLSX, sheet_name="MVP framework details")
    themes = []
    for _, row in framework.iterrows():
        name = str(row["Sub-category"]).strip()
        if name in ("Labelling not possible", "Not assigned"):
            continue
        description = " ".join(str(row["Sub-category description"]).split())
        themes.append({"id": len(themes) + 1, "name": name, "description": description[:300]})
    path = tmp_path / "qdc.yaml"
    path.write_text(yaml.safe_dump({"themes": themes}, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.shared
@pytest.mark.slow
def test_codebook_from_the_published_framework_on_real_comments(corpus, tmp_path: Path) -> None:
    if not (QDC_XLSX.is_file() and FFT_CSV.is_file()):
        pytest.skip("shared FFT data and QDC framework not available (../shared)")
    _, _, model, cache = corpus
    codebook = load_codebook(_framework_codebook(tmp_path))
    assert len(codebook) >= 25 and codebook[0].name == "Positive experience & gratitude"
    real = pd.read_csv(FFT_CSV, dtype=str, keep_default_na=False).sample(500, random_state=3)
    real = real.rename(columns={"FFT answer": "text", "FFT question": "question_id"})
    prepared = prepare_comments(real)
    vectors = np.zeros((len(real), 384), dtype=np.float32)
    keep = ~prepared["is_non_answer"].to_numpy()
    vectors[keep], _ = emb.embed_texts(prepared.loc[keep, "text"].tolist(), model=model, cache_dir=cache)
    fit = fit_themes(prepared, vectors, Themes(), seed=SEED, codebook=codebook, model=model, cache_dir=cache)
    coded = fit.topics[fit.topics["codebook_id"].notna()]
    names = {t.id: t.name for t in codebook}
    assert len(coded) >= 1
    for row in coded.itertuples():
        assert 1 <= row.codebook_id <= 99 and row.label == names[row.codebook_id]


def test_place_by_centroid_uses_the_threshold_in_chunks() -> None:
    from analysis.themes.model import place_by_centroid

    centres = np.eye(3, dtype=np.float32)
    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0.1, 0.1, -0.99], [0, 0, 1]], dtype=np.float32)
    placed = place_by_centroid(vectors, centres, np.array([4, 7, 9]), 0.5, chunk_size=3)
    np.testing.assert_array_equal(placed, [4, 7, -1, 9])
    assert (place_by_centroid(vectors, np.zeros((0, 3)), np.array([], int), 0.5) == -1).all()


@pytest.mark.slow
def test_approximate_knn_is_close_to_exact_and_puts_each_point_first() -> None:
    from analysis.themes.model import approximate_cosine_knn

    rng = np.random.default_rng(0)
    # Clustered, like comment embeddings (NN-descent's recall on structureless noise is lower).
    centres = rng.normal(size=(30, 32))
    X = (centres[rng.integers(0, 30, 3000)] + 0.4 * rng.normal(size=(3000, 32))).astype(np.float32)
    X[1] = X[0]  # an identical pair: each must still come first in its own list
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    idx, dist = approximate_cosine_knn(X, 10, seed=1)
    exact, _ = exact_cosine_knn(X, 10)
    assert (idx[:, 0] == np.arange(len(X))).all() and (dist[:, 0] == 0).all()
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, exact, strict=True)])
    assert recall > 0.9
    assert (np.diff(dist, axis=1) >= -1e-6).all()
