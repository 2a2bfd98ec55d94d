"""Model checks that gate sentences: GEE estimability and weights, proportional odds, step vs slope, breaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.change import models
from analysis.change import over_time as change
from tests.change.support import result_row as _row


def _answers(rng: np.random.Generator, *, waves=(2022, 2023, 2024, 2025), n: int = 150,
             p_positive=lambda wave, group: 0.6, groups=("Staff", "Expert by experience"),
             pool: int = 120, weights: bool = False) -> pd.DataFrame:
    """Prepared answers (the ``prepare_responses`` shape) with people recurring across waves."""
    rows = []
    for wave in waves:
        for group in groups:
            people = rng.choice(pool, size=min(n, pool), replace=False)
            for i, person in enumerate(people):
                y = float(rng.random() < p_positive(wave, group))
                rows.append({"item": "q", "group": group, "wave": wave, "respondent": f"{wave}-{group}-{i}",
                             "person": f"{group[:3]}{person:04d}", "score": 4.0 if y else 2.0,
                             "positive": y, "weight": float(rng.gamma(4, 0.25)) if weights else np.nan,
                             "excluded": False, "dont_know": False})
    return pd.DataFrame(rows).astype({"item": "string", "group": "string", "respondent": "string",
                                      "person": "string"})


# --------------------------------------------------------------------------- GEE gating
def test_gee_is_not_estimated_for_an_all_positive_group_and_the_sentence_says_nothing_false():
    answers = _answers(np.random.default_rng(1), p_positive=lambda w, g: 1.0 if g == "Expert by experience" else 0.6)
    gee = models.gee_trend(answers)
    ebe = _row(gee, group="Expert by experience")
    assert pd.isna(ebe["estimate"]) and models.NOT_ESTIMABLE in ebe["note"]
    assert pd.notna(_row(gee, group="Staff")["estimate"])
    res = change.analyse_change(change.count_cells(answers), answers, threshold=10).results
    sentence = _row(change.change_sentences(res, threshold=10), group="Expert by experience")["sentence"]
    assert "odds ratio" not in sentence and "trend" not in sentence


def test_gee_uses_the_survey_weights_where_the_glm_did():
    rng = np.random.default_rng(2)
    answers = _answers(rng, weights=True, p_positive=lambda w, g: 0.5 + 0.05 * (w - 2022))
    res = change.analyse_change(change.count_cells(answers), answers, threshold=10).results
    gee = _row(res, group="Staff", test="gee_trend")
    glm = _row(res, group="Staff", test="trend_logit")
    assert "weighted (survey weights" in gee["method"] and "design-effect adjusted" in glm["method"]
    # Weighted fits of the same data: the same population odds ratio, not the unweighted one.
    sub = answers[answers["group"] == "Staff"]
    unweighted = models.gee_trend(sub.assign(weight=np.nan))
    weighted_est = float(gee["estimate"])
    assert weighted_est == pytest.approx(float(glm["estimate"]), rel=0.02)
    assert weighted_est != pytest.approx(float(_row(unweighted, group="Staff")["estimate"]), rel=1e-6)


def test_pooled_gee_adjusts_for_group_so_a_change_in_mix_is_not_a_trend():
    rng = np.random.default_rng(3)
    rows = []
    for wave, share in zip((2022, 2023, 2024, 2025), (0.2, 0.35, 0.5, 0.65), strict=True):
        for i in range(1000):
            group = "Expert by experience" if rng.random() < share else "Staff"
            y = float(rng.random() < (0.5 if group == "Expert by experience" else 0.85))
            rows.append({"item": "q", "group": group, "wave": wave, "respondent": f"{wave}-{i}", "person": pd.NA,
                         "score": 4.0 if y else 2.0, "positive": y, "weight": np.nan, "excluded": False,
                         "dont_know": False})
    answers = pd.DataFrame(rows).astype({"person": "string", "respondent": "string", "group": "string"})
    pooled = _row(models.gee_trend(answers), group="all")
    assert "group as a covariate" in pooled["method"]
    assert pooled["ci_low"] < 1 < pooled["ci_high"]


# --------------------------------------------------------------------------- proportional odds
def _scale_answers(rng: np.random.Generator, probs: dict[int, list[float]], n: int = 400) -> pd.DataFrame:
    rows = []
    for wave, p in probs.items():
        scores = rng.choice([1, 2, 3, 4, 5], size=n, p=p)
        for i, s in enumerate(scores):
            rows.append({"item": "q", "group": "all", "wave": wave, "respondent": f"{wave}-{i}", "person": pd.NA,
                         "score": float(s), "positive": float(s >= 4), "weight": np.nan, "excluded": False,
                         "dont_know": False})
    return pd.DataFrame(rows).astype({"person": "string", "respondent": "string", "group": "string"})


def test_brant_test_rejects_polarised_answers_and_the_ordinal_sentence_stops():
    # Answers move to both ends of the scale: the cumulative odds go up at the top and down at the bottom.
    polarised = _scale_answers(np.random.default_rng(4), {
        2023: [0.05, 0.15, 0.60, 0.15, 0.05], 2024: [0.15, 0.15, 0.40, 0.15, 0.15],
        2025: [0.25, 0.15, 0.20, 0.15, 0.25]})
    rows = models.ordinal_trend(polarised, checks=True)
    check = _row(rows, test="proportional_odds")
    assert check["p_value"] < 0.001
    assert "proportional odds rejected" in _row(rows, test="ordinal_trend")["note"]
    res = change.analyse_change(change.count_cells(polarised), polarised, threshold=10).results
    sentence = _row(change.ordinal_sentences(res), group="all")["sentence"]
    assert "not used as a check" in sentence and "odds ratio" not in sentence


def test_brant_test_accepts_a_proportional_shift():
    from scipy.special import expit

    cuts = np.array([-2.0, -0.8, 0.4, 1.6])
    probs = {}
    for wave, shift in ((2023, 0.0), (2024, 0.3), (2025, 0.6)):
        above = expit(shift - cuts)  # P(score > k) under proportional odds
        probs[wave] = list(-np.diff(np.concatenate([[1.0], above, [0.0]])))
    answers = _scale_answers(np.random.default_rng(5), probs, n=600)
    rows = models.ordinal_trend(answers, checks=True)
    assert _row(rows, test="proportional_odds")["p_value"] > 0.05
    assert _row(rows, test="ordinal_trend")["estimate"] > 1
    res = change.analyse_change(change.count_cells(answers), answers, threshold=10).results
    sentence = _row(change.ordinal_sentences(res), group="all")["sentence"]
    assert "moved up the scale" in sentence and "proportional odds not rejected" in sentence


def test_brant_statistic_is_zero_when_every_cut_has_the_same_slope():
    # Two waves, and the same log-odds ratio at every cut by construction (counts from exact PO probabilities).
    from scipy.special import expit

    cuts = np.array([-1.0, 0.0, 1.0])
    score, wave = [], []
    for w, shift in ((0, 0.0), (1, 0.5)):
        above = expit(shift - cuts)
        p = -np.diff(np.concatenate([[1.0], above, [0.0]]))
        counts = np.round(p * 100000).astype(int)
        for level, c in enumerate(counts, start=1):
            score += [level] * c
            wave += [w] * c
    chi2, df, p_value = models.brant_test(np.array(score), np.array(wave, dtype=float)[:, None])
    assert df == 2 and chi2 < 0.05 and p_value > 0.95


# --------------------------------------------------------------------------- step vs slope, breaks
def _cells(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["item", "group", "wave", "positives", "base"])
    return change.cells_from_aggregate(table, wave_column="wave", base_column="base", positives_column="positives",
                                       group_column="group", item_column="item")[0]


def test_linearity_check_separates_steps_from_slopes_and_breaks_absorb_a_known_step():
    steady = _cells([("q", "A", w, int(1000 * p), 1000) for w, p in zip((1, 2, 3, 4), (0.5, 0.55, 0.6, 0.65),
                                                                        strict=True)])
    step = _cells([("q", "A", w, int(1000 * p), 1000) for w, p in zip((1, 2, 3, 4), (0.5, 0.5, 0.7, 0.7),
                                                                      strict=True)])
    est_steady, est_step = (change.estimate_cells(c, threshold=10) for c in (steady, step))
    assert _row(models.trend_linearity(est_steady), group="A")["p_value"] > 0.5
    assert _row(models.trend_linearity(est_step), group="A")["p_value"] < 1e-6
    # With the wording change at wave 3 declared, the two flat segments need no slope at all.
    broken = _row(models.trend_logit(est_step, breaks={"q": [3]}), group="A")
    assert broken["estimate"] == pytest.approx(1.0, abs=1e-6) and "a step at 3" in broken["method"]
    assert _row(models.trend_linearity(est_step, breaks={"q": [3]}), group="A")["p_value"] > 0.5
    two_waves = _cells([("q", "A", 1, 50, 100), ("q", "A", 2, 60, 100)])
    assert "too few waves" in _row(models.trend_linearity(change.estimate_cells(two_waves, threshold=10)),
                                   group="A")["note"]
    no_slope = _row(models.trend_logit(change.estimate_cells(two_waves, threshold=10), breaks={"q": [2]}),
                    group="A")
    assert pd.isna(no_slope["estimate"]) and "wording or method changed" in no_slope["note"]
