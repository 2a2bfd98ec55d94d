"""Drafting a cycle config from a folder of exports: detection, matching, and a YAML that validates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.clean import draft_config as dc
from analysis.clean.draft_yaml import count_todo_lines, render_config
from analysis.core import paths
from analysis.core.config import Vocabularies, load_config
from analysis.core.errors import ConfigError

BANK, BANK_RAW = dc.load_question_bank(paths.EXAMPLE_CONFIG)


def _draft(folder: Path, *, bank: bool = True, cycle: str | None = None) -> tuple[dc.Draft, str, Path]:
    draft = dc.draft_config(folder, bank=BANK if bank else None, bank_raw=BANK_RAW if bank else None,
                            bank_source="config/example.yaml" if bank else None, cycle=cycle)
    text = render_config(draft)
    out = folder.parent / f"{draft.cycle}.yaml"
    out.write_text(text, encoding="utf-8")
    return draft, text, out


@pytest.fixture(scope="module")
def example_draft(tmp_path_factory: pytest.TempPathFactory) -> tuple[dc.Draft, str, Path]:
    folder = tmp_path_factory.mktemp("init") / "example"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, folder)
    return _draft(folder)


# --------------------------------------------------------------------------- the example
@pytest.mark.parametrize("hand_written", ["example.yaml", "example-2024.yaml"])
def test_init_on_the_example_maps_every_column_the_hand_written_config_maps(example_draft, hand_written) -> None:
    _, _, out = example_draft
    drafted = load_config(out)  # validates, files included
    by_file = {(Path(f.path).name, f.sheet): f for f in drafted.inputs}
    for spec in load_config(paths.CONFIG_DIR / hand_written).inputs:
        got = by_file.get((Path(spec.path).name, spec.sheet))
        assert got is not None, f"{spec.name} was not drafted"
        assert got.dataset == spec.dataset, spec.name
        assert dict(got.columns) == dict(spec.columns), spec.name
        assert got.encoding == "auto" and got.delimiter is None


def test_example_draft_takes_waves_and_vocabularies_from_the_data(example_draft) -> None:
    draft, text, out = example_draft
    drafted, hand = load_config(out), load_config(paths.EXAMPLE_CONFIG)
    # Mistyped dates (a 1925, a year ahead) must not become the baseline or the latest wave.
    assert (drafted.latest_wave, drafted.change.baseline_wave) == (hand.latest_wave, hand.change.baseline_wave)
    assert draft.areas is None and draft.respondent_types is None  # the example fits the default vocabularies
    assert "vocabularies:" not in text.replace("# vocabularies:", "")
    for kind in ("geography", "respondent_types"):  # the defaults, which the example writes out
        assert getattr(drafted.vocabularies, kind) == getattr(Vocabularies(), kind)
    assert drafted.vocabularies.geography.allowed_values() == hand.vocabularies.geography.allowed_values()
    assert drafted.question_bank == hand.question_bank
    assert drafted.synthetic_example is False and drafted.deidentification.demo_key is None


def test_example_draft_marks_only_weak_evidence_for_checking(example_draft) -> None:
    draft, text, _ = example_draft
    todo = [line for line in text.splitlines() if "TODO" in line and not line.startswith("#")]
    assert count_todo_lines(text) == len(todo)
    for line in todo:
        key = line.split(":", 1)[0].strip()
        if key.startswith('"'):
            # A column matched by its question number only ("Q3" = the 3rd question of the bank).
            assert yaml.safe_load(key) in {f"Q{n}" for n in range(1, 7)}, line
            assert "question number" in line
        else:
            assert key in {"title", "organisation", "staff_names"}, line
    exact = [m for i in draft.inputs for m in i.matches if m.score == 1.0]
    assert exact and not any(m.needs_check for m in exact)


def test_example_draft_lists_what_it_could_not_use(example_draft) -> None:
    draft, text, _ = example_draft
    unknown = {i.table.path.name for i in draft.inputs if not i.dataset}
    # The generator's answer keys are not exports of any dataset: named with their columns, not drafted.
    assert unknown == {p.name for p in paths.EXAMPLE_RAW_DIR.glob("ground_truth_*.csv")}
    assert '"generating_p_positive"' in text and "README.md (not a CSV, TXT or XLSX file)" in text
    for item in draft.inputs:
        if item.dataset:
            assert item.unmapped == [], item.table.label


# --------------------------------------------------------------------------- detection
def test_encodings_delimiters_and_header_rows_are_detected(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    rows = ["Ref;Date;I am responding as;Borough;Comments on café services",
            "E1;03/04/2025;Résident;Brent;Très bien, £5 parking",
            "E2;04/04/2025;Carer;Harrow;Too far"]
    (folder / "a_cp1252.txt").write_bytes("\r\n".join(["Engagement export", "", *rows]).encode("cp1252"))
    quoted = [",".join(f'"{cell}"' if "," in cell else cell for cell in r.split(";")) for r in rows]
    (folder / "b_bom.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(quoted).encode())
    (folder / "c_tab.tsv").write_text("\n".join(r.replace(";", "\t") for r in rows), encoding="utf-8")
    tables, skipped = dc.find_tables(folder)
    assert skipped == []
    a, b, c = tables
    assert (a.encoding, a.delimiter, a.header_row) == ("cp1252", ";", 3)
    assert (b.encoding, b.delimiter, b.header_row) == ("UTF-8 with a byte-order mark", ",", 1)
    assert (c.encoding, c.delimiter, c.header_row) == ("UTF-8", "\t", 1)
    for table in tables:
        assert list(table.frame.columns)[-1] == "Comments on café services"
        assert table.frame.filter(like="responding").iloc[0, 0] == "Résident"
    _, text, out = _draft(folder)
    config = load_config(out)
    assert [f.delimiter for f in config.inputs] == [";", None, "\t"]
    assert [f.columns["I am responding as"] for f in config.inputs] == ["respondent_type"] * 3
    # The reader expects headers on row 1: the title lines above them are a TODO, said once for that file.
    assert sum("TODO: the headers are on row 3" in line for line in text.splitlines()) == 1


def test_every_sheet_of_a_workbook_is_read(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    survey = pd.DataFrame({"Response ID": ["R1", "R2"], "Submitted": ["01/02/2025", "02/02/2025"],
                           "You are": ["Staff", "Patient"], "Q1": ["Agree", "SA"]})
    notes = pd.DataFrame({"Field": ["Q1"], "Meaning": ["improvements"]})
    with pd.ExcelWriter(folder / "book.xlsx") as writer:
        pd.DataFrame({"x": ["Exported 3 Feb 2025"]}).to_excel(writer, sheet_name="Cover", index=False, header=False)
        notes.to_excel(writer, sheet_name="Notes", index=False)
        survey.to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Blank", index=False)
    draft, text, out = _draft(folder)
    labels = {i.table.sheet: i.dataset for i in draft.inputs}
    assert labels == {"Notes": None, "Data": "involvement_survey"}
    assert ("book.xlsx, sheet 'Blank'", "the sheet is empty") in draft.skipped
    assert ("book.xlsx, sheet 'Cover'", "the file has a header but no data rows") in draft.skipped
    spec = load_config(out).inputs[0]
    assert spec.sheet == "Data" and spec.columns["Q1"] == "item.real_improvements"


# --------------------------------------------------------------------------- matching
@pytest.mark.parametrize(("header", "target", "method"), [
    ("Date Completed", "submitted_at", "usual header"),
    ("  EMAIL (optional) ", "email", "usual header"),
    ("Ethnicty", "ethnicity", "header text close to"),
    ("Your Involvement member ID", "person_ref", "header contains"),
    ("q_told_outcome", "item.told_outcome", "question id"),
    ("Q5 I was told what happened as a result of my input", "item.told_outcome", "question wording"),
    ("I was told what happened after my input", "item.told_outcome", "question wording similarity"),
    ("Q2", "item.personal_impact", "question number"),
])
def test_header_candidates(header, target, method) -> None:
    fields = ("respondent_ref", "person_ref", "submitted_at", "ethnicity", "email")
    best = dc.header_candidates(header, fields, BANK)[0]
    assert (best.target, best.method.startswith(method)) == (target, True)


def test_column_contents_can_veto_a_header_match() -> None:
    # "Q1" of free text is not the first Likert item; "Q7" of Likert codes is not an open question.
    frame = pd.DataFrame({"Response ID": ["R1", "R2", "R3"], "Submitted": ["01/02/2025"] * 3,
                          "You are": ["Staff"] * 3, "Q1": ["It was good", "Too slow", "Kind staff"],
                          "Q7": ["4", "5", "Agree"]})
    table = dc.Table(Path("x.csv"), None, "UTF-8", ",", 1, frame)
    proposal = dc.propose_mapping(table, BANK)
    assert proposal.dataset == "involvement_survey"
    assert {m.header for m in proposal.matches} == {"Response ID", "Submitted", "You are"}
    assert proposal.unmapped == ["Q1", "Q7"]


def test_each_target_is_used_once_and_the_best_header_wins() -> None:
    frame = pd.DataFrame({"Date": ["01/02/2025"], "Date submitted": ["01/02/2025"], "ID": ["1"],
                          "Respondent ID": ["1"], "You are": ["Staff"]})
    proposal = dc.propose_mapping(dc.Table(Path("x.csv"), None, "UTF-8", ",", 1, frame), BANK)
    targets = [m.target for m in proposal.matches]
    assert len(targets) == len(set(targets))
    assert {m.header: m.target for m in proposal.matches}["Date"] == "submitted_at"  # column order breaks the tie
    assert proposal.unmapped == ["Date submitted", "Respondent ID"] or proposal.unmapped == ["Date submitted", "ID"]


# --------------------------------------------------------------------------- unknown and hostile exports
def test_an_unknown_export_names_the_columns_it_could_not_map(tmp_path) -> None:
    folder = tmp_path / "ward_feedback"
    folder.mkdir()
    pd.DataFrame({"Ward": ["5B", "7A"], "Visit date": ["01/02/2025", "03/02/2025"], "Rating (1-10)": ["7", "2"],
                  "Free-text feedback": ["Lovely nurses", "Long wait"], "Bed number": ["12", "3"]}).to_csv(
        folder / "ward_export.csv", index=False)
    pd.DataFrame({"Activity ID": ["A1"], "Date": ["01/02/2025"], "Type": ["Webinar"], "Borough": ["Brent"],
                  "Participants": ["12"], "Facilitator": ["PR"]}).to_csv(folder / "log.csv", index=False)
    draft, text, out = _draft(folder)
    ward = next(i for i in draft.inputs if i.table.path.name == "ward_export.csv")
    assert ward.dataset is None
    assert {"Ward", "Rating (1-10)", "Free-text feedback", "Bed number"} <= set(ward.unmapped)
    assert '"Bed number"' in text and '"Free-text feedback"' in text
    log = load_config(out).inputs
    assert [f.dataset for f in log] == ["activities"]
    assert '#   "Facilitator"' in text  # an unmapped column of a drafted file is listed under it


def test_a_nearly_recognised_export_is_proposed_but_not_added(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    pd.DataFrame({"Response ID": ["R1"], "Submitted": ["01/02/2025"], "Borough": ["Brent"], "Age": ["35-44"],
                  "Gender": ["Woman"], "Colour": ["red"]}).to_csv(folder / "survey.csv", index=False)
    pd.DataFrame({"Action ID": ["Y1"], "Theme ID": ["3"], "You said": ["x"], "We did": ["y"],
                  "Status": ["Done"]}).to_csv(folder / "actions.csv", index=False)
    draft, text, out = _draft(folder)
    survey = next(i for i in draft.inputs if i.table.path.name == "survey.csv")
    assert survey.dataset is None and survey.guess in dc.SURVEYS and "respondent_type" in survey.missing_required
    assert "TODO if it is one: survey.csv looks like" in text and '"Colour"' in text
    assert [f.name for f in load_config(out).inputs] == ["actions"]


def test_hostile_headers_cannot_break_the_yaml(tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    evil = 'Notes": x\n#evil\u2028 # ] {'
    frame = pd.DataFrame({"Action ID": ["Y1"], "Theme ID": ["3"], "You said": ["x"], "We did": ["y"],
                          "Status": ["Done"], evil: ["z"], "Reason: cycle": ["r"]})
    frame.to_csv(folder / "actions.csv", index=False)
    _, text, out = _draft(folder)
    config = load_config(out)
    assert set(config.inputs[0].columns) >= {"Action ID", "Status"}
    assert all(not line.startswith("#evil") for line in text.splitlines())
    assert "\u2028" not in text.split("inputs:")[1].split("question_bank:")[0].replace("\\u2028", "")
    assert set(config.model_dump()) == set(load_config(paths.EXAMPLE_CONFIG).model_dump())  # no smuggled keys


# --------------------------------------------------------------------------- vocabularies and the bank
def test_another_area_gets_a_drafted_vocabulary(tmp_path) -> None:
    folder = tmp_path / "gm-2025"
    folder.mkdir()
    boroughs = ["Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport", "Tameside",
                "Trafford", "Wigan"]
    n = 60
    pd.DataFrame({"Ref": [f"E{i}" for i in range(n)], "Date": ["01/03/2025"] * n,
                  "I am responding as": ["Patient", "Carer", "Volunteer"] * (n // 3),
                  "Borough": [boroughs[i % 10] if i % 12 else "Prefer not to say" for i in range(n)],
                  "What should change?": ["More buses"] * n}).to_csv(folder / "survey.csv", index=False)
    draft, text, out = _draft(folder)
    assert draft.cycle == "gm-2025"
    assert draft.areas == sorted(boroughs, key=str.casefold)
    assert draft.respondent_types == ["Carer", "Patient", "Volunteer"]
    config = load_config(out)
    assert config.vocabularies.geography.values == draft.areas
    assert config.vocabularies.respondent_types.values == ["Carer", "Patient", "Volunteer"]
    assert "# TODO: the areas" in text and "# TODO: the respondent types" in text
    assert "0% of 55 area answers are in the default geography" in text  # refusals are not answers


def test_without_a_question_bank_questions_are_listed_not_guessed(tmp_path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, folder, ignore=shutil.ignore_patterns("*.xlsx", "ground_truth*"))
    draft, text, out = _draft(folder, bank=False)
    config = load_config(out)
    assert config.question_bank.items == [] and "question_bank:   # TODO" in text
    survey = next(i for i in draft.inputs if i.table.path.name == "involvement_survey_2024_2025.csv")
    assert survey.dataset == "involvement_survey"
    assert "q_real_improvements" in survey.unmapped and "q_make_better" in survey.unmapped


def test_load_question_bank(tmp_path) -> None:
    bank, raw = dc.load_question_bank(paths.EXAMPLE_CONFIG)
    assert [q.id for q in bank.items][:2] == ["real_improvements", "personal_impact"] and raw["items"]
    only = tmp_path / "bank.yaml"
    only.write_text(yaml.safe_dump({"open_questions": [{"id": "why", "short_label": "Why", "wording": {2025: "Why?"}}]}))
    assert dc.load_question_bank(only)[0].items == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"items": [{"id": "x", "short_label": "X", "wording": "not a mapping"}]}))
    with pytest.raises(ConfigError, match="bad.yaml, items.0.wording"):
        dc.load_question_bank(bad)
    with pytest.raises(ConfigError, match="expected a cycle config"):
        only.write_text("just: text\n")
        dc.load_question_bank(only)
    with pytest.raises(ConfigError, match="not found"):
        dc.load_question_bank(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("name", "expected"), [("example", "example"), ("Survey 2025", "survey-2025"),
                                                ("..", "cycle"), ("NWL_Exports (final)", "nwl_exports-final")])
def test_cycle_id_from_the_folder_name(name, expected) -> None:
    assert dc.cycle_id(Path(name)) == expected
