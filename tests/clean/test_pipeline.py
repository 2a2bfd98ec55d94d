"""The cleaning stage on small, deliberately messy exports: nothing lost, everything explained."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import pipeline as clean
from analysis.core import paths
from analysis.core.config import load_config
from analysis.core.errors import InputFileError, ReconciliationError
from analysis.present import deidentify
from tests.conftest import write_config

SURVEY_CSV = """\ufeffResp,Member,Date,Type,Borough,Age,Ethnicity,Name,Email,Improved,Impact,Better
R1,M1,03/04/2023,Staff,ealing,34,White British,,,Agree,SA,"More feedback please, email me at jo.bloggs@nhs.net"
R2,M2,2023-05-06,EbE,H&F,70,Indian,Sam Patel,sam@example.org,4,Don't know,Sam Patel here - call 07700 900123
R3,,45047,Patient,Hillingdom,,Prefer not to say,,,Agreee?,Strongly disagree,nothing
R4,M4,31/02/2023,Staff,Brent,25-34,Black African,,,Agree,Agree,fine
R5,M5,12/06/2023,Visitor,Brent,25-34,White,,,Agree,Agree,more notice
R1,M1,03/04/2023,Staff,ealing,34,White British,,,Agree,SA,"More feedback please, email me at jo.bloggs@nhs.net"
R6,M2,20/07/2023,Expert by experience,Narnia,45-54,Mixed,,,Strongly agree,N/A,Priya Raman was brilliant
,M7,20/07/2023,Staff,Brent,45-54,Mixed,,,Agree,Agree,
R8,M8,01/01/1925,Staff,Brent,45-54,Mixed,,,Agree,Agree,
"""
ACTIVITIES_CSV = """Activity ID,Date,Type,Borough,Audience,Participants,Notes
A1,12/03/2025,Community event,Brent,Residents,25,Led by Tom Hughes
A2,2025-03-20,Webinar,Ealing,Carers,approx 20,
A3,20/03/2025,Interview,Ealing,Carer,1,
A3,21/03/2025,Interview,Ealing,Carer,1,corrected date
"""
ACTIONS_CSV = """Action ID,Theme ID,You said,We did,Status,Reason
X1,1,Tell us what happened,Quarterly newsletter,Completed,
X2,two,Pay expenses faster,Moved to weekly payments,Done,
X3,3,Meet in the evening,Cannot staff evenings,Not feasible,Budget
X4,4,Use plain English,Glossary,Maybe,
"""
POPULATION_CSV = """Borough,Age band,Ethnic group,Population
Brent,25-34,White,1000
Ealing,25-34,Asian or Asian British,800
Ealling,25-34,White,-5
"""


@pytest.fixture
def small_cycle(tmp_path, example_config_dict):
    (tmp_path / "survey.csv").write_text(SURVEY_CSV, encoding="utf-8")
    (tmp_path / "activities.csv").write_text(ACTIVITIES_CSV, encoding="utf-8")
    (tmp_path / "actions.csv").write_text(ACTIONS_CSV, encoding="utf-8")
    (tmp_path / "population.csv").write_text(POPULATION_CSV, encoding="utf-8")
    data = dict(example_config_dict)
    data["latest_wave"] = 2025
    data["inputs"] = [
        {"name": "survey", "dataset": "involvement_survey", "path": str(tmp_path / "survey.csv"),
         "columns": {"Resp": "respondent_ref", "Member": "person_ref", "Date": "submitted_at", "Type": "respondent_type",
                     "Borough": "borough", "Age": "age_band", "Ethnicity": "ethnicity", "Name": "name", "Email": "email",
                     "Improved": "item.real_improvements", "Impact": "item.personal_impact", "Better": "open.make_better"}},
        {"name": "activities", "dataset": "activities", "path": str(tmp_path / "activities.csv"),
         "columns": {"Activity ID": "activity_ref", "Date": "date", "Type": "activity_type", "Borough": "borough",
                     "Audience": "audience", "Participants": "participants", "Notes": "description"}},
        {"name": "actions", "dataset": "actions", "path": str(tmp_path / "actions.csv"),
         "columns": {"Action ID": "action_ref", "Theme ID": "theme_id", "You said": "you_said", "We did": "we_did",
                     "Status": "status", "Reason": "reason"}},
        {"name": "population", "dataset": "population", "path": str(tmp_path / "population.csv"),
         "columns": {"Borough": "borough", "Age band": "age_band", "Ethnic group": "ethnicity", "Population": "population"}},
    ]
    data["themes"] = {}
    data["outputs"] = {"processed_dir": str(tmp_path / "processed"), "reports_dir": str(tmp_path / "reports"),
                       "interim_dir": str(tmp_path / "interim")}
    # Hand-written inputs are not the generator's example data: no demo key, a key file instead.
    (tmp_path / "pseudonym.key").write_text("small-cycle-test-key\n", encoding="utf-8")
    data["synthetic_example"] = False
    data["deidentification"] = dict(data["deidentification"], demo_key=None, key_file=str(tmp_path / "pseudonym.key"))
    return load_config(write_config(tmp_path, data))


@pytest.mark.slow
def test_every_row_is_accounted_for(small_cycle) -> None:
    result = clean.run_cleaning(small_cycle)
    rec = result.reconciliation.set_index("source_file")
    assert rec["balanced"].all()
    # survey: 9 rows; 1 exact duplicate; rejected: blank ref, 31/02, 1925, Visitor; R6 is M2's resubmission
    assert rec.loc["survey"].to_dict() == {"rows_read": 9, "rows_kept": 3, "rows_rejected": 4, "duplicates_removed": 2,
                                           "balanced": True}
    assert rec.loc["activities"].tolist()[:4] == [4, 2, 1, 1]
    assert rec.loc["actions"].tolist()[:4] == [4, 2, 2, 0]
    assert rec.loc["population"].tolist()[:4] == [3, 2, 1, 0]


def test_ledger_names_file_row_column_and_reason(small_cycle) -> None:
    rejected = clean.run_cleaning(small_cycle).rejected
    def reasons(row: int) -> str:
        return " | ".join(rejected.loc[(rejected.source_file == "survey") & (rejected.source_row == row), "reason"])
    assert "date" in reasons(5)          # 31/02/2023
    assert "respondent type" in reasons(6)  # Visitor
    assert "blank" in reasons(9)          # missing respondent ref
    assert "range" in reasons(10)         # 1925
    unknown_likert = rejected[(rejected.source_row == 4) & (rejected.column == "Improved")]
    assert unknown_likert["outcome"].tolist() == ["value set missing"]
    assert unknown_likert["value"].tolist() == ["Agreee?"]
    # R6's borough "Narnia": logged values pass the de-identifier (the model may take it for a name).
    narnia = rejected[(rejected.source_row == 8) & (rejected.column == "Borough")]
    assert narnia["outcome"].tolist() == ["value set missing"]
    assert narnia["value"].tolist() == [deidentify.redact_value("Narnia")]
    activity = rejected[rejected.source_file == "activities"]
    assert activity["value"].tolist() == ["approx 20"]


def test_standardised_values(small_cycle) -> None:
    tables = clean.run_cleaning(small_cycle).tables
    resp = tables["respondents"].set_index("source_row")
    assert resp.loc[2, "borough"] == "Ealing" and resp.loc[2, "age_band"] == "25-34"
    assert resp.loc[4, "borough"] == "Hillingdon"
    assert resp.loc[4, "respondent_type"] == "Expert by experience"
    assert str(resp.loc[4, "submitted_at"].date()) == "2023-05-01"  # Excel serial 45047
    assert resp.loc[8, "borough"] is pd.NA or pd.isna(resp.loc[8, "borough"])  # Narnia: set missing
    responses = tables["responses"]
    # R6 (M2's resubmission, kept) answered "N/A": missing with its reason, never counted as negative
    na = responses[(responses.item_id == "personal_impact") & responses.missing_reason.eq("Not applicable")]
    assert len(na) == 1 and na["positive"].isna().all() and na["value"].isna().all()
    sa = responses[(responses.item_id == "personal_impact") & responses.value.eq(5)]
    assert sa["positive"].all()
    assert tables["population"]["population"].sum() == 1800
    assert set(tables["actions"]["status"]) == {"Done", "Not possible"}


def test_resubmission_keeps_latest(small_cycle) -> None:
    result = clean.run_cleaning(small_cycle)
    dups = result.duplicates
    resub = dups[dups["rule"].str.contains("resubmission")]
    assert resub[["source_row", "kept_source_row"]].values.tolist() == [[3, 8]]
    exact = dups[dups["rule"].str.contains("exact")]
    assert exact[["source_row", "kept_source_row"]].values.tolist() == [[7, 2]]


def test_free_text_is_deidentified_and_identifiers_dropped(small_cycle) -> None:
    result = clean.run_cleaning(small_cycle)
    comments = result.tables["comments"]
    text = " ".join(comments["text"])
    assert "[EMAIL]" in text and "jo.bloggs" not in text
    assert "[NAME]" in text and "Priya" not in text and "Raman" not in text
    assert not re.search(r"07700", text)
    assert "Tom Hughes" not in " ".join(result.tables["activities"]["description"].dropna())
    for table in result.tables.values():
        assert not {"name", "email", "phone", "address", "postcode"} & set(table.columns)
        assert not table.astype(str).apply(lambda c: c.str.contains("sam@example.org")).any().any()
    assert result.redactions.query("type == 'EMAIL'")["count"].sum() >= 1


def test_non_answers_flagged_not_deleted(small_cycle) -> None:
    comments = clean.run_cleaning(small_cycle).tables["comments"]
    nothing = comments[comments["text"].str.lower() == "nothing"]
    assert len(nothing) == 1 and nothing["is_non_answer"].all()


def test_pseudonymised_ids_are_stable_and_keyed(small_cycle) -> None:
    frames = clean.read_inputs(small_cycle)
    a = clean.clean_cycle(small_cycle, frames, "key-one").tables["respondents"]
    b = clean.clean_cycle(small_cycle, frames, "key-one").tables["respondents"]
    c = clean.clean_cycle(small_cycle, frames, "key-two").tables["respondents"]
    assert a["respondent_id"].tolist() == b["respondent_id"].tolist()
    assert set(a["respondent_id"]).isdisjoint(c["respondent_id"])
    assert not a["respondent_id"].str.contains("R1").any()


def test_processed_files_are_byte_identical_on_rerun(small_cycle, tmp_path) -> None:
    first = clean.write_processed(clean.run_cleaning(small_cycle), tmp_path / "one")
    second = clean.write_processed(clean.run_cleaning(small_cycle), tmp_path / "two")
    for a, b in zip(first, second, strict=False):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_missing_column_names_file_and_column(small_cycle, tmp_path) -> None:
    (tmp_path / "survey.csv").write_text(SURVEY_CSV.replace("Borough", "Area"), encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        clean.run_cleaning(small_cycle)
    assert "survey.csv" in str(err.value) and "'Borough'" in str(err.value)


def test_all_rows_invalid_still_reconciles(small_cycle, tmp_path) -> None:
    lines = SURVEY_CSV.splitlines()
    bad = [lines[0]] + [re.sub(r",(Staff|EbE|Patient|Expert by experience),", ",Visitor,", line) for line in lines[1:]]
    (tmp_path / "survey.csv").write_text("\n".join(bad) + "\n", encoding="utf-8")
    result = clean.run_cleaning(small_cycle)
    rec = result.reconciliation.set_index("source_file").loc["survey"]
    assert rec["rows_kept"] == 0 and rec["balanced"]
    assert "respondents" not in result.tables or result.tables["respondents"].empty


def test_reconcile_refuses_an_imbalance() -> None:
    empty = pd.DataFrame(columns=clean.LEDGER_COLUMNS)
    with pytest.raises(ReconciliationError, match="a.csv: read 3"):
        clean.reconcile({"a.csv": 3}, {"a.csv": {2, 3}}, empty, pd.DataFrame(columns=clean.DUPLICATE_COLUMNS))


# Identifiers typed into categorical fields: every one of them is echoed by the ledger unless redacted.
PLANTED = {
    "Borough": "jo.bloggs@gmail.com",
    "Age": "07700 900123",
    "Ethnicity": "my name is Sam Patel NHS no 943 476 5919",
    "Type": "ring 020 7946 0958",
}
PLANTED_FRAGMENTS = ("jo.bloggs", "gmail", "07700", "900123", "943 476 5919", "Sam Patel", "Patel", "7946")


def test_rejects_ledger_and_problems_log_never_echo_identifiers(small_cycle, tmp_path) -> None:
    survey = small_cycle.input_path(next(s for s in small_cycle.inputs if s.name == "survey"))
    with survey.open("a", encoding="utf-8") as handle:
        handle.write(f"R20,M20,03/04/2023,Staff,{PLANTED['Borough']},{PLANTED['Age']},\"{PLANTED['Ethnicity']}\","
                     ",,Agree,Agree,fine\n")
        handle.write(f"R21,M21,03/04/2023,{PLANTED['Type']},Brent,25-34,White,,,Agree,Agree,fine\n")
    result = clean.run_cleaning(small_cycle)
    ledger = result.rejected
    # The planted cells are still accounted for: row, column and rule kept, value redacted.
    planted_rows = ledger[ledger.source_row.isin([11, 12])]
    assert set(zip(planted_rows.source_row, planted_rows.column, strict=True)) >= {
        (11, "Borough"), (11, "Age"), (11, "Ethnicity"), (12, "Type")}
    assert planted_rows["reason"].str.len().gt(0).all()
    assert set(planted_rows["value"]) >= {"[EMAIL]", "[PHONE]", "ring [PHONE]"}
    assert "[NHS_NUMBER]" in " ".join(planted_rows["value"])
    written = clean.write_processed(result, tmp_path / "out")
    rejected_csv = next(p for p in written if p.name == "rejected.csv").read_text(encoding="utf-8")
    problems = "\n".join(clean.validate_inputs(small_cycle))
    for where, text in (("ledger", ledger.to_csv()), ("rejected.csv", rejected_csv), ("problems log", problems)):
        for fragment in PLANTED_FRAGMENTS:
            assert fragment not in text, (where, fragment)
    assert "file survey.csv, row 11, column 'Borough'" in problems


def test_validate_lists_problems_with_location(small_cycle) -> None:
    problems = clean.validate_inputs(small_cycle)
    assert any(p.startswith("file survey.csv, row 5, column 'Date'") for p in problems)
    assert any("approx 20" in p for p in problems)


@pytest.mark.slow
def test_example_cleaning_matches_generator_ground_truth(example_copy) -> None:
    """Every row the generator planted as invalid or duplicate is rejected or removed, and no other."""
    config_path, data = example_copy
    config = load_config(config_path)
    result = clean.run_cleaning(config)
    names = {f["name"]: Path(f["path"]).name for f in data["inputs"]}
    truth = pd.read_csv(paths.EXAMPLE_RAW_DIR / "ground_truth_mess.csv").drop_duplicates(["file", "row"])
    rejected = result.rejected[result.rejected["outcome"] == clean.ROW_REJECTED]
    got_invalid = {(names[f], int(r)) for f, r in zip(rejected["source_file"], rejected["source_row"], strict=False)}
    want_invalid = {(f, int(r)) for f, r in truth.loc[truth["row_status"] == "invalid", ["file", "row"]].values}
    assert got_invalid == want_invalid
    got_dups = {(names[f], int(r)) for f, r in zip(result.duplicates["source_file"], result.duplicates["source_row"], strict=False)}
    want_dups = {(f, int(r)) for f, r in truth.loc[truth["row_status"].isin(["exact_duplicate", "superseded_resubmission"]),
                                                    ["file", "row"]].values}
    assert got_dups == want_dups
    assert result.reconciliation["balanced"].all()
    # every value-level problem the generator planted on a kept row is in the ledger as "value set missing"
    value_kinds = {"unknown Likert value", "unknown borough"}
    planted = truth_all = pd.read_csv(paths.EXAMPLE_RAW_DIR / "ground_truth_mess.csv")
    planted = truth_all[(truth_all["row_status"] == "kept") & truth_all["kind"].isin(value_kinds)]
    logged = result.rejected[result.rejected["outcome"] == clean.VALUE_SET_MISSING]
    logged_keys = {(names[f], int(r), c) for f, r, c in logged[["source_file", "source_row", "column"]].values}
    assert {(f, int(r), c) for f, r, c in planted[["file", "row", "column"]].values} <= logged_keys


# --- the co-production ladder and the case-study log ----------------------------------------------------
LADDER_ACTIVITIES_CSV = """Activity ID,Date,Type,Borough,Participants,Notes,Level,From start
L1,12/03/2025,Event,Brent,25,,Co-produce,Yes
L2,13/03/2025,Webinar,Ealing,12,, consult ,n
L3,14/03/2025,Event,Brent,8,,,maybe
L4,15/03/2025,Event,Brent,8,,CO PRODUCE,
"""
CASES_CSV = """Case,Title,Themes,Said,Changed,Consent,Quote
C1,One number to call,"17; 19",Families repeat their story,Tom Hughes rang every family,Yes,Someone rang us first
C2,Respite,19,No respite,Bid resubmitted,No,Do not use my name
C3,Unclear,21,x,y,perhaps,z
C4,Bad themes,7a,x,y,Yes,z
"""


def _ladder_cycle(tmp_path, example_config_dict, activities_csv: str, *, cases: bool = False):
    (tmp_path / "activities.csv").write_text(activities_csv, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(CASES_CSV, encoding="utf-8")
    data = dict(example_config_dict)
    data["latest_wave"] = 2025
    data["inputs"] = [{"name": "activities", "dataset": "activities", "path": str(tmp_path / "activities.csv"),
                       "columns": {"Activity ID": "activity_ref", "Date": "date", "Type": "activity_type",
                                   "Borough": "borough", "Participants": "participants", "Notes": "description",
                                   "Level": "involvement_level", "From start": "involved_from_start"}}]
    if cases:
        data["inputs"].append({"name": "cases", "dataset": "case_studies", "path": str(tmp_path / "cases.csv"),
                               "columns": {"Case": "case_ref", "Title": "title", "Themes": "theme_ids",
                                           "Said": "what_people_said", "Changed": "what_changed", "Consent": "consent",
                                           "Quote": "quote"}})
    data["themes"] = {}
    (tmp_path / "pseudonym.key").write_text("ladder-test-key\n", encoding="utf-8")
    data["synthetic_example"] = False
    data["deidentification"] = dict(data["deidentification"], demo_key=None, key_file=str(tmp_path / "pseudonym.key"))
    return load_config(write_config(tmp_path, data))


def test_activities_record_their_rung_and_from_start(tmp_path, example_config_dict) -> None:
    config = _ladder_cycle(tmp_path, example_config_dict, LADDER_ACTIVITIES_CSV)
    result = clean.run_cleaning(config)
    acts = result.tables["activities"].set_index("activity_id")
    assert acts.loc[["L1", "L2", "L4"], "involvement_level"].tolist() == ["co-produce", "consult", "co-produce"]
    assert pd.isna(acts.loc["L3", "involvement_level"])  # blank: not recorded, no problem
    assert acts["involved_from_start"].dtype == "boolean"
    assert acts.loc["L1", "involved_from_start"] and not acts.loc["L2", "involved_from_start"]
    assert pd.isna(acts.loc["L3", "involved_from_start"]) and pd.isna(acts.loc["L4", "involved_from_start"])
    unclear = result.rejected[result.rejected["column"] == "From start"]
    assert unclear[["source_row", "value", "outcome"]].values.tolist() == [[4, "maybe", clean.VALUE_SET_MISSING]]


def test_an_unknown_level_stops_cleaning_naming_file_row_and_value(tmp_path, example_config_dict) -> None:
    bad = LADDER_ACTIVITIES_CSV + "L5,16/03/2025,Event,Brent,8,,co-design,Yes\nL6,17/03/2025,Event,Brent,8,,partner,No\n"
    config = _ladder_cycle(tmp_path, example_config_dict, bad)
    with pytest.raises(InputFileError) as err:
        clean.run_cleaning(config)
    message = str(err.value)
    assert message.startswith("file activities.csv, row 6, column 'Level': unknown involvement level 'co-design'")
    assert "reach.ladder (inform, consult, involve, collaborate, co-produce)" in message
    assert "1 more row(s) have unknown levels (rows 7)" in message
    assert err.value.exit_code == 1


def test_a_level_of_the_configured_ladder_is_accepted(tmp_path, example_config_dict) -> None:
    example_config_dict["reach"] = {"ladder": ["inform", "consult", "co-design", "co-produce"]}
    csv = LADDER_ACTIVITIES_CSV + "L5,16/03/2025,Event,Brent,8,,Co-Design,Yes\n"
    result = clean.run_cleaning(_ladder_cycle(tmp_path, example_config_dict, csv))
    assert "co-design" in set(result.tables["activities"]["involvement_level"].dropna())


def test_case_studies_are_cleaned_deidentified_and_consent_is_never_guessed(tmp_path, example_config_dict) -> None:
    config = _ladder_cycle(tmp_path, example_config_dict, LADDER_ACTIVITIES_CSV, cases=True)
    result = clean.run_cleaning(config)
    cases = result.tables["case_studies"].set_index("case_id")
    assert list(cases.index) == ["C1", "C2", "C3"]  # C4's theme ids are not numbers: rejected with a reason
    assert cases.loc["C1", "theme_ids"] == "17;19"
    assert cases.loc["C1", "consent"] and not cases.loc["C2", "consent"] and pd.isna(cases.loc["C3", "consent"])
    assert "Tom Hughes" not in cases.loc["C1", "what_changed"] and "[NAME]" in cases.loc["C1", "what_changed"]
    ledger = result.rejected[result.rejected["source_file"] == "cases"]
    assert set(zip(ledger["source_row"], ledger["outcome"], strict=True)) == {
        (4, clean.VALUE_SET_MISSING), (5, clean.ROW_REJECTED)}
    assert result.reconciliation.set_index("source_file").loc["cases", "balanced"]


def test_validate_reports_an_unknown_level_as_a_problem(tmp_path, example_config_dict) -> None:
    bad = LADDER_ACTIVITIES_CSV + "L5,16/03/2025,Event,Brent,8,,co-design,Yes\n"
    problems = clean.validate_inputs(_ladder_cycle(tmp_path, example_config_dict, bad))
    assert any(p.startswith("file activities.csv, row 6, column 'Level': unknown involvement level") for p in problems)
