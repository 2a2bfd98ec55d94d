"""Reach: activities, channels, representation against a benchmark, equality monitoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core import vocab
from analysis.reach import representation as reach


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
    assert out.loc["Event", "suppressed"] and pd.isna(out.loc["Event", "respondents"])
    # Zero is publishable: "nobody used it" reveals no one.
    assert out.loc["Interview", "respondents"] == 0 and not out.loc["Interview", "suppressed"]
    # 40 respondents - 30 by survey would give the hidden 4 at events with the 6 not recorded, so the
    # next smallest non-zero count ("Not recorded", 6) is hidden too; the survey count stays.
    assert out.loc["Not recorded", "suppressed"] and pd.isna(out.loc["Not recorded", "respondents"])
    assert out.loc["Survey", "respondents"] == 30 and out.loc["Survey", "pct"] == pytest.approx(100 * 30 / 40)


def test_responses_by_channel_publishes_percentages_of_known_channels():
    respondents = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(60)],
                                "channel": ["Survey"] * 30 + ["Event"] * 14 + ["Interview"] * 12 + [None] * 4})
    out = reach.responses_by_channel(respondents, threshold=5).set_index("channel")
    # "Not recorded" (4) is hidden, and the next smallest (Interview, 12) with it: 60 - 30 - 14 = 16 only.
    assert out.loc[["Not recorded", "Interview"], "suppressed"].all()
    assert out.loc["Survey", "pct"] == pytest.approx(100 * 30 / 60)
    assert pd.isna(out.loc["Not recorded", "pct"])


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
    assert by_borough.attrs["not_stated"] is None  # 2 did not state: too few to print beside the table
    assert "too few to show" in reach.base_note(by_borough, "Borough")
    harrow = by_borough.set_index("borough").loc["Harrow"]
    assert harrow["suppressed"] and pd.isna(harrow["respondents"]) and pd.isna(harrow["ratio"])
    # 4 of 107 against 40% of the population: hidden numbers, but clearly a group we barely heard from.
    assert harrow["under_represented"]
    flagged = reach.under_represented_groups({"borough": by_borough})
    assert flagged.loc[0, "group"] == "Harrow" and flagged.loc[0, "suppressed"]
    sentence = reach.representation_sentences(flagged, ratio_threshold=0.8, threshold=10)[0]
    assert sentence == ("Harrow (borough): fewer than 10 respondents against 40% of the population, "
                        "far fewer than expected.")
    by_age = reach.representation(resp, population, "age_band", threshold=10, ratio_threshold=0.8)
    assert by_age.attrs["base"] == 50 + 50 + 4 + 2
    assert by_age.attrs["not_stated"] is None  # 3


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
    # 3 small cells, and together only 6 people: the base minus the shown cells would say so, so the
    # next smallest cell (Brent / 65-74, 30) is hidden as well.
    hidden = cross.loc[cross["suppressed"], ["borough", "age_band"]].apply(" / ".join, axis=1)
    assert set(hidden) == {"Ealing / 65-74", "Harrow / 25-34", "Harrow / 65-74", "Brent / 65-74"}
    assert reach.cross_is_publishable(cross, min_share_published=1 / 3)
    assert not reach.cross_is_publishable(cross, min_share_published=0.5)
    flagged = reach.under_represented_groups({"borough x age band": cross})
    assert set(flagged["group"]) == {"Harrow / 25-34", "Harrow / 65-74", "Ealing / 65-74"}
    by_borough = reach.representation(resp, population, "borough", threshold=10, ratio_threshold=0.8)
    assert bool(by_borough.set_index("borough").loc["Harrow", "under_represented"])
    nested = reach.under_represented_groups({"borough": by_borough, "borough x age band": cross})
    # Harrow's cells repeat Harrow's own shortfall and are left out; Ealing's older people are a specific gap.
    assert list(nested["group"]) == ["Harrow", "Ealing / 65-74"]
    sentences = reach.representation_sentences(nested, ratio_threshold=0.8)
    assert "(borough × age band)" in sentences[1]


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


def test_a_gap_within_a_flagged_group_is_still_named():
    """Asian residents of Harrow: a deeper gap inside an overall shortfall is reported, not hidden."""
    population = pd.DataFrame({
        "borough": ["Brent", "Brent", "Harrow", "Harrow"],
        "age_band": ["35-44"] * 4,
        "ethnicity": ["Asian or Asian British", "White"] * 2,
        "population": [30000, 30000, 45000, 15000],
    })
    rows = ([("Brent", "Asian or Asian British")] * 90 + [("Brent", "White")] * 100
            + [("Harrow", "Asian or Asian British")] * 12 + [("Harrow", "White")] * 98)
    resp = pd.DataFrame(rows, columns=["borough", "ethnicity"]).assign(
        respondent_id=[f"R{i}" for i in range(len(rows))], age_band="35-44")
    single = reach.representation(resp, population, "ethnicity", threshold=10, ratio_threshold=0.8)
    cross = reach.representation(resp, population, ["borough", "ethnicity"], threshold=10, ratio_threshold=0.8)
    assert bool(single.set_index("ethnicity").loc["Asian or Asian British", "under_represented"])
    cell = cross.set_index(["borough", "ethnicity"]).loc[("Harrow", "Asian or Asian British")]
    assert cell["under_represented"] and cell["beyond_parts"]
    flagged = reach.under_represented_groups({"ethnicity": single, "borough x ethnicity": cross})
    assert "Harrow / Asian or Asian British" in set(flagged["group"])
    assert "Brent / Asian or Asian British" not in set(flagged["group"])


@pytest.mark.slow
def test_notebook_04_on_the_example_finds_the_planted_gaps(tmp_path):
    """Run notebook 04 on the cleaned example with the true themes as assignments.

    The example generator plants under-representation (README: Hillingdon, Hounslow,
    16-24 year olds, Asian residents of Harrow) and an actions log referencing codebook ids.
    """
    import json

    import yaml

    from analysis.clean.pipeline import run_cleaning, write_processed
    from analysis.core import paths
    from analysis.core.config import load_config
    from analysis.reach import actions as act
    from analysis.report import runner

    truth_file = paths.EXAMPLE_RAW_DIR / "ground_truth_themes.csv"
    if not truth_file.is_file():
        pytest.skip("the bundled example data is absent (python -m analysis make-example)")
    data = yaml.safe_load(paths.EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["inputs"] = [dict(f, path=str(paths.resolve(f["path"]))) for f in data["inputs"]]
    data["outputs"] = {"processed_dir": str(tmp_path / "processed"), "reports_dir": str(tmp_path / "reports")}
    data["themes"]["codebook"] = str(paths.resolve(data["themes"]["codebook"]))
    config_path = tmp_path / "example.yaml"
    config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = load_config(config_path)
    processed = config.processed_path()
    write_processed(run_cleaning(config), processed)

    # Theme assignments as notebook 02 writes them, from the generator's ground truth.
    respondents = pd.read_parquet(processed / "respondents.parquet")
    comments = pd.read_parquet(processed / "comments.parquet")
    file_of = {f.name: Path(f.path).name for f in config.inputs}
    truth = pd.read_csv(truth_file)
    keyed = comments.merge(respondents[["respondent_id", "source_file", "source_row"]], on="respondent_id")
    keyed = keyed.assign(file=keyed["source_file"].map(file_of), row=keyed["source_row"])
    assigned = keyed.merge(truth[["file", "row", "question_id", "theme_id", "theme"]],
                           on=["file", "row", "question_id"], how="inner")
    assert len(assigned) > 0.9 * len(comments)
    assignments = pd.DataFrame({"comment_id": assigned["comment_id"], "question_id": assigned["question_id"],
                                "theme_id": assigned["theme_id"].astype("int64"),
                                "theme_label": assigned["theme"].astype("string")})
    assignments.to_parquet(processed / "theme_assignments.parquet", index=False)

    out = runner.run_cycle(config_path, tmp_path / "report",
                           notebooks=[str(paths.NOTEBOOKS_DIR / "04_reach_and_actions.ipynb")],
                           progress=lambda _: None)
    rec = json.loads((out / "results" / "04_reach_and_actions.json").read_text())

    flagged = {(r["dimension"], r["group"]) for r in rec["under_represented"]}
    for planted in [("borough", "Hillingdon"), ("borough", "Hounslow"), ("age_band", "16-24"),
                    ("borough x ethnicity", "Harrow / Asian or Asian British")]:
        assert planted in flagged, planted
    assert ("borough", "Kensington and Chelsea") not in flagged  # over-represented by design
    assert rec["respondents"] == int(((respondents["dataset"] == "engagement_survey")
                                      & (respondents["wave"] == config.latest_wave)).sum())

    # Leading themes without an action: the top themes of the latest wave minus those in the actions log.
    latest = comments.loc[comments["wave"] == config.latest_wave, "comment_id"]
    latest_truth = assignments.loc[assignments["comment_id"].isin(latest) & (assignments["theme_id"] > 0)]
    people = latest_truth.merge(comments[["comment_id", "respondent_id"]], on="comment_id")
    top = people.groupby("theme_id")["respondent_id"].nunique().sort_values(ascending=False, kind="stable")
    log = act.actions_as_of(act.clean_actions(pd.read_parquet(processed / "actions.parquet")), config.latest_wave)
    expected = {int(t) for t in top.head(10).index if int(t) not in set(log["theme_id"].dropna().astype(int))}
    assert {t["theme_id"] for t in rec["themes_without_action"]} == expected
    assert len(rec["leading_themes"]) == 10
    assert sum(rec["actions_by_status"].values()) == rec["actions_total"] == log["action_id"].nunique()
    assert (out / "tables" / "you_said_we_did.csv").is_file()
    reader = (out / "04_reach_and_actions.html").read_text(encoding="utf-8")
    assert "Harrow / Asian or Asian British" in reader and "<caption>" in reader
