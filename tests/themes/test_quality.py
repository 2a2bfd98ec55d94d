"""Theme quality metrics on small hand-made examples whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.themes import quality as q


def test_outlier_share_ignores_non_answers() -> None:
    assert q.outlier_share([0, 0, -1, -2, -2]) == pytest.approx(1 / 3)
    assert math.isnan(q.outlier_share([-2, -2]))


def test_topic_diversity_counts_repeated_words() -> None:
    assert q.topic_diversity({0: ["parking", "car"], 1: ["parking", "staff"]}) == pytest.approx(3 / 4)
    assert q.topic_diversity({0: ["a", "b"], 1: ["c", "d"], -1: ["a", "a"]}) == 1.0
    table = pd.DataFrame({"topic": [0, 1, -2], "top_words": [["x", "y"], ["y", "z"], []]})
    assert q.topic_diversity(table) == pytest.approx(3 / 4)


def test_npmi_is_one_for_words_always_together_and_minus_one_for_never() -> None:
    texts = ["car park full", "car park shut", "kind nurse", "kind nurse again", "nothing here"]
    scores = q.npmi_coherence(texts, {0: ["car", "park"], 1: ["car", "nurse"]}).set_index("topic")
    assert scores.loc[0, "npmi"] == pytest.approx(1.0)
    assert scores.loc[1, "npmi"] == pytest.approx(-1.0)
    assert scores.loc[0, "n_pairs"] == 1


def test_npmi_handles_bigrams_and_independence() -> None:
    # "car park" in 2 of 4 comments, "staff" in 2 of 4, together in 1: independent -> NPMI 0.
    texts = ["car park staff", "car park", "staff", "other"]
    scores = q.npmi_coherence(texts, {0: ["car park", "staff"]})
    assert scores.loc[0, "npmi"] == pytest.approx(0.0, abs=1e-12)


def test_agreement_perfect_despite_renamed_ids() -> None:
    topics = np.array([3, 3, 7, 7, 9, 9, -2])
    labels = np.array(["a", "a", "b", "b", "c", "c", "a"])
    scores = q.agreement(topics, labels)
    assert scores["nmi"] == pytest.approx(1.0)
    assert scores["ari"] == pytest.approx(1.0)
    assert scores["n"] == 6
    # Counting non-answers as a group of their own, the stray -2 now breaks perfection.
    assert q.agreement(topics, labels, include_non_answers=True)["ari"] < 1.0


def test_agreement_drops_missing_labels_and_scores_random_low() -> None:
    rng = np.random.default_rng(0)
    topics = rng.integers(0, 5, 2000)
    labels = pd.Series(rng.choice(list("abcde"), 2000)).mask(pd.Series(range(2000)) < 100)
    scores = q.agreement(topics, labels)
    assert scores["n"] == 1900
    assert abs(scores["ari"]) < 0.02 and scores["nmi"] < 0.02


def test_stability_of_identical_and_relabelled_runs() -> None:
    a = np.array([0, 0, 1, 1, -1, -2])
    b = np.array([5, 5, 2, 2, -1, -2])
    assert q.stability(a, b)["ari"] == pytest.approx(1.0)
    assert q.stability(a, np.array([0, 1, 0, 1, 0, -2]))["ari"] < 0.5
    with pytest.raises(ValueError):
        q.stability(a, b[:3])


def test_theme_precision_recall_by_majority_code() -> None:
    topics = [0, 0, 0, 0, 1, 1, -1, -2]
    labels = ["park", "park", "park", "staff", "staff", "staff", "park", "park"]
    table = q.theme_precision_recall(topics, labels).set_index("topic")
    assert table.loc[0, "majority_code"] == "park"
    assert table.loc[0, "precision"] == pytest.approx(3 / 4)
    # 4 "park" comments were modelled (one left unassigned); theme 0 holds 3.
    assert table.loc[0, "recall"] == pytest.approx(3 / 4)
    assert table.loc[1, "precision"] == 1.0
    assert table.loc[1, "recall"] == pytest.approx(2 / 3)
    assert -1 not in table.index


def test_dominant_code_rarest_and_first() -> None:
    onehot = pd.DataFrame({
        "Positive": ["1", "1", "", "1"],
        "Parking": ["", "1", "", ""],
        "Staff": ["1", "", "", ""],
    })
    # Column totals: Positive 3, Parking 1, Staff 1: the rarest code wins, ties by column order.
    assert q.dominant_code(onehot).tolist()[:2] == ["Staff", "Parking"]
    assert pd.isna(q.dominant_code(onehot).iloc[2])
    assert q.dominant_code(onehot).iloc[3] == "Positive"
    assert q.dominant_code(onehot, rule="first").tolist()[:2] == ["Positive", "Positive"]
    numeric = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 1.0]})
    assert q.dominant_code(numeric).tolist() == ["a", "b"]


def test_quality_summary_keys() -> None:
    topics = np.array([0, 0, 1, 1, -1, -2])
    texts = ["car park full", "car park shut", "kind nurse", "kind nurse", "odd", "nothing"]
    out = q.quality_summary(topics, texts, {0: ["car", "park"], 1: ["kind", "nurse"]},
                            labels=["p", "p", "s", "s", "p", None])
    assert out["n_documents"] == 5 and out["n_non_answers"] == 1 and out["n_themes"] == 2
    assert out["outlier_share"] == pytest.approx(0.2)
    assert out["diversity"] == 1.0
    assert out["coherence_npmi"] == pytest.approx(1.0)
    assert 0 < out["nmi"] <= 1 and out["n_labelled"] == 5
