"""Reach: activities, channels, representation against a benchmark, equality monitoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import reach, vocab


def _respondents(counts: dict[tuple[str, str], int], extra: list[dict] | None = None) -> pd.DataFrame:
    rows = []
    i = 0
    for (borough, age), n in counts.items():
        for _ in range(n):
            i += 1
            rows.append({"respondent_id": f"R{i:04d}", "borough": borough, "age_band": age,
                         "ethnicity": "White" if i % 3 else "Asian or Asian British",
                         "gender": "Woman" if i % 2 else "Man", "disability": "No",
                         "carer_status": "Yes" if i % 4 == 0 else "No",
                         "channel": "Survey" if i % 5 else "Event"})
    for e in extra or []:
        i += 1
        rows.append({"respondent_id": f"R{i:04d}", **e})
    return pd.DataFrame(rows).convert_dtypes()


@pytest.fixture
def population() -> pd.DataFrame:
    return pd.DataFrame({
        "borough": ["Brent", "Brent", "Ealing", "Ealing", "Harrow", "Harrow"],
        "age_band": ["25-34", "65-74"] * 3,
        "ethnicity": ["White"] * 6,
        "population": [20000, 10000, 20000, 10000, 25000, 15000],
    })


def test_activity_summary_counts_activities_and_participants_and_keeps_unknowns():
    activities = pd.DataFrame({
        "activity_id": ["A1", "A2", "A3", "A4"],
        "activity_type": ["Event", "Event", "Webinar", None],
        "participants": [12, None, 30, 5],
        "month": ["2025-01", "2025-01", "2025-02", "2025-02"],
    })
    out = reach.activity_summary(activities, "activity_type")
    event = out.set_index("activity_type").loc["Event"]
    assert event["activities"] == 2
    assert event["participants"] == 12
    assert event["participants_unknown"] == 1
    assert "Not recorded" in set(out["activity_type"])
    assert out["activities"].sum() == 4


def test_responses_by_channel_lists_every_channel_and_suppresses_small_counts():
    respondents = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(40)],
                                "channel": ["Survey"] * 30 + ["Event"] * 4 + [None] * 6})
    out = reach.responses_by_channel(respondents, threshold=5).set_index("channel")
    assert list(out.index[:4]) == list(vocab.CHANNELS)
    assert out.loc["Survey", "respondents"] == 30
    assert out.loc["Event", "suppressed"] and pd.isna(out.loc["Event", "respondents"])
    # Zero is publishable: "nobody used it" reveals no one.
    assert out.loc["Interview", "respondents"] == 0 and not out.loc["Interview", "suppressed"]
    assert out.loc["Not recorded", "respondents"] == 6
    assert out.loc["Survey", "pct"] == pytest.approx(100 * 30 / 34)


def test_representation_flags_a_clear_shortfall_and_not_a_noisy_one(population):
    # Harrow is 40% of the population but only 10% of 300 respondents: clearly under-represented.
    resp = _respondents({("Brent", "25-34"): 100, ("Brent", "65-74"): 60, ("Ealing", "25-34"): 70,
                         ("Ealing", "65-74"): 40, ("Harrow", "25-34"): 20, ("Harrow", "65-74"): 10})
    out = reach.representation(resp, population, "borough", threshold=10, ratio_threshold=0.8).set_index("borough")
    assert out.attrs["base"] == 300
    assert out.loc["Harrow", "respondent_share"] == pytest.approx(30 / 300)
    assert out.loc["Harrow", "population_share"] == pytest.approx(0.4)
    assert out.loc["Harrow", "ratio"] == pytest.approx(0.25)
    assert out.loc["Harrow", "ratio_high"] < 1
    assert bool(out.loc["Harrow", "under_represented"])
    assert not out.loc["Brent", "under_represented"]
    # The ratio interval comes from the Wilson bounds on the respondent share.
    assert out.loc["Harrow", "ratio_low"] == pytest.approx(out.loc["Harrow", "ci_low"] / 0.4)


def test_representation_does_not_flag_when_interval_includes_one(population):
    # Small sample: Harrow at 30% vs 40% gives a ratio of 0.75 < 0.8 but the interval crosses 1.
    resp = _respondents({("Brent", "25-34"): 12, ("Ealing", "25-34"): 16, ("Harrow", "25-34"): 12})
    out = reach.representation(resp, population, "borough", threshold=10, ratio_threshold=0.8).set_index("borough")
    assert out.loc["Harrow", "ratio"] == pytest.approx((12 / 40) / 0.4)
    assert out.loc["Harrow", "ratio"] < 0.8
    assert out.loc["Harrow", "ratio_high"] > 1
    assert not out.loc["Harrow", "under_represented"]


def test_representation_excludes_not_stated_and_outside_area_and_suppresses_small_groups(population):
    resp = _respondents(
        {("Brent", "25-34"): 50, ("Ealing", "25-34"): 50, ("Harrow", "65-74"): 4},
        extra=[{"borough": vocab.BOROUGH_OTHER, "age_band": "25-34"}] * 7
        + [{"borough": "Brent", "age_band": vocab.NOT_STATED}] * 3
        + [{"borough": pd.NA, "age_band": "25-34"}] * 2,
    )
    by_borough = reach.representation(resp, population, "borough", threshold=10, ratio_threshold=0.8)
    assert by_borough.attrs["base"] == 50 + 3 + 50 + 4  # outside-area and missing borough left out
    assert by_borough.attrs["not_stated"] == 2
    harrow = by_borough.set_index("borough").loc["Harrow"]
    assert harrow["suppressed"] and pd.isna(harrow["respondents"]) and pd.isna(harrow["ratio"])
    assert not harrow["under_represented"]  # never flag a handful of people
    by_age = reach.representation(resp, population, "age_band", threshold=10, ratio_threshold=0.8)
    assert by_age.attrs["base"] == 50 + 50 + 4 + 2
    assert by_age.attrs["not_stated"] == 3


def test_zero_respondents_is_shown_and_flagged(population):
    resp = _respondents({("Brent", "25-34"): 80, ("Ealing", "25-34"): 70})
    out = reach.representation(resp, population, "borough", threshold=10, ratio_threshold=0.8).set_index("borough")
    assert out.loc["Harrow", "respondents"] == 0
    assert not out.loc["Harrow", "suppressed"]
    assert out.loc["Harrow", "under_represented"]
    flagged = reach.under_represented_groups({"borough": out.reset_index()})
    assert list(flagged["group"]) == ["Harrow"]
    sentences = reach.representation_sentences(flagged, ratio_threshold=0.8)
    assert sentences[0].startswith("Harrow (borough): 0% of respondents against 40% of the population")


def test_cross_representation_and_publishability(population):
    resp = _respondents({("Brent", "25-34"): 40, ("Brent", "65-74"): 30, ("Ealing", "25-34"): 35,
                         ("Ealing", "65-74"): 3, ("Harrow", "25-34"): 2, ("Harrow", "65-74"): 1})
    cross = reach.representation(resp, population, ["borough", "age_band"], threshold=10, ratio_threshold=0.8)
    assert len(cross) == 6
    assert int(cross["suppressed"].sum()) == 3
    assert reach.cross_is_publishable(cross, min_share_published=0.5)
    assert not reach.cross_is_publishable(cross, min_share_published=0.6)
    flagged = reach.under_represented_groups({"borough x age band": cross})
    assert all(" / " in g for g in flagged["group"])


def test_no_flag_sentence_quotes_threshold():
    empty = reach.under_represented_groups({})
    assert empty.empty
    assert "80%" in reach.representation_sentences(empty, ratio_threshold=0.8)[0]


def test_equality_summary_applies_secondary_suppression():
    resp = pd.DataFrame({
        "respondent_id": [f"R{i}" for i in range(60)],
        "gender": ["Woman"] * 30 + ["Man"] * 22 + ["Non-binary or other"] * 3 + [None] * 5,
        "disability": ["Yes"] * 15 + ["No"] * 45,
    })
    out = reach.equality_summary(resp, threshold=10, fields=["gender", "disability", "age_band"])
    gender = out.loc[out["field"] == "gender"].set_index("category")
    # Non-binary (3) and Not stated (5) are both primary-suppressed.
    assert gender.loc["Non-binary or other", "suppressed"] and gender.loc[vocab.NOT_STATED, "suppressed"]
    assert gender.loc["Woman", "respondents"] == 30
    assert gender.loc["Woman", "pct"] == pytest.approx(50.0)
    disability = out.loc[out["field"] == "disability"].set_index("category")
    assert not disability["suppressed"].any()
    assert disability.loc[vocab.NOT_STATED, "respondents"] == 0
    assert "age_band" not in set(out["field"])

    resp2 = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(50)],
                          "gender": ["Woman"] * 30 + ["Man"] * 16 + ["Non-binary or other"] * 4})
    g2 = reach.equality_summary(resp2, threshold=10, fields=["gender"]).set_index("category")
    # One small cell alone could be recovered from the total: the next smallest (Man, 16) is hidden too.
    assert g2.loc["Non-binary or other", "suppressed"]
    assert g2.loc["Man", "suppressed"] and pd.isna(g2.loc["Man", "respondents"])
    assert not g2.loc["Woman", "suppressed"]


def test_reach_totals():
    activities = pd.DataFrame({"activity_id": ["A1", "A2", "A2"], "participants": [10, 5, 5],
                               "borough": ["Brent", "Ealing", "Ealing"]})
    resp = pd.DataFrame({"respondent_id": ["R1", "R2", "R2"]})
    totals = reach.reach_totals(activities, resp)
    assert totals == {"activities": 2, "participants": 20, "respondents": 2, "boroughs_with_activity": 2}
    assert np.isfinite(totals["participants"])
