"""Human review that sticks: sheet -> analyst decisions -> applied on the next run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.core import vocab
from analysis.core.errors import InputFileError
from analysis.themes.review import (
    EXAMPLE_COLUMNS,
    SHEET_COLUMNS,
    TEMPLATE_COLUMNS,
    apply_decisions,
    decision_summary,
    decisions_path,
    load_decisions,
    read_decisions,
    review_sheet,
    review_sheet_path,
    reviewed_mark,
    split_vanished,
    validate_decisions,
    write_decisions_template,
    write_review_sheet,
)
from analysis.themes.tables import EXCLUDED_ROW_LABEL, theme_table

THEME_IDS = [3, 100, 101, 102, 103]
SIZES = {3: 30, 100: 25, 101: 20, 102: 12, 103: 11}


def _themes() -> pd.DataFrame:
    return pd.DataFrame({
        "theme_id": THEME_IDS,
        "auto_label": ["Feedback on what happened", "travel / expenses", "meetings / times",
                       "parking / car park", "jargon / acronyms"],
        "top_words": [["feedback", "told"], ["travel", "expenses", "paid"], ["meetings", "evening"],
                      ["parking", "car"], ["jargon", "acronyms"]],
        "size": [SIZES[t] for t in THEME_IDS],
        "status": ["continuing", "new", "new", "new", "new"],
    })


def _assignments() -> pd.DataFrame:
    rows = []
    k = 0
    for tid, n in SIZES.items():
        for _ in range(n):
            rows.append({"comment_id": f"c{k}", "respondent_id": f"r{k}", "question_id": "make_better",
                         "theme_id": tid})
            k += 1
    for tid, n in ((vocab.OUTLIER_THEME_ID, 7), (vocab.NON_ANSWER_THEME_ID, 9)):
        for _ in range(n):
            rows.append({"comment_id": f"c{k}", "respondent_id": f"r{k}", "question_id": "make_better",
                         "theme_id": tid})
            k += 1
    return pd.DataFrame(rows)


def _quotes() -> pd.DataFrame:
    return pd.DataFrame({
        "theme_id": [100, 100, 101],
        "quote": ["Paying for my own bus fare to every meeting adds up quickly for me",
                  "Expenses took three months to come through after I claimed them",
                  "Meetings at ten in the morning clash with work, evenings would help"],
    })


def _edit(path: Path, edits: dict[int, dict[str, str]]) -> None:
    """What an analyst does in Excel: fill analyst columns on some rows, save as CSV."""
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for tid, values in edits.items():
        row = sheet.index[sheet["theme_id"] == str(tid)][0]
        for col, value in values.items():
            sheet.loc[row, col] = value
    sheet.to_csv(path, index=False, encoding="utf-8-sig")


def test_round_trip_rename_merge_exclude_split(tmp_path):
    themes, assignments = _themes(), _assignments()
    decisions_file = decisions_path("c2025", tmp_path / "reviews")
    # Run 1: no decisions yet -> sheet written as output, template written as analyst input.
    sheet = review_sheet(themes, _quotes(), read_decisions(decisions_file))
    out = write_review_sheet(sheet, review_sheet_path(tmp_path / "report", "c2025"))
    assert out.name == "theme_review_c2025.csv" and out.parent.name == "tables"
    assert list(pd.read_csv(out, encoding="utf-8-sig").columns) == list(SHEET_COLUMNS)
    assert write_decisions_template(sheet, decisions_file) is True
    template = pd.read_csv(decisions_file, encoding="utf-8-sig")
    assert list(template.columns) == list(TEMPLATE_COLUMNS)
    assert not set(EXAMPLE_COLUMNS) & set(template.columns)  # no quotes in a committed file

    # Analyst review.
    _edit(decisions_file, {
        100: {"label": "Travel costs and expenses", "reviewer": "AB", "reviewed_on": "2025-11-20"},
        102: {"merge_into": "100", "reviewer": "AB", "reviewed_on": "2025-11-20"},
        103: {"exclude": "yes", "reviewer": "AB", "reviewed_on": "2025-11-20"},
        101: {"split_note": "Split: meeting times vs meeting venues", "reviewer": "CD"},
    })
    # A rerun never overwrites the analyst's file.
    assert write_decisions_template(sheet, decisions_file) is False

    # Run 2: decisions applied before counting.
    decisions = load_decisions(decisions_file, themes["theme_id"])
    assert decision_summary(decisions) == {"renamed": 1, "merged": 1, "excluded": 1, "split_requested": 1,
                                           "reviewed_rows": 4}
    result = apply_decisions(assignments, themes, decisions)
    t = result.themes.set_index("theme_id")
    assert 102 not in t.index
    assert t.loc[100, "label"] == "Travel costs and expenses" and bool(t.loc[100, "reviewed"])
    assert t.loc[100, "size"] == SIZES[100] + SIZES[102] and t.loc[100, "merged_from"] == "102"
    assert t.loc[3, "label"] == "Feedback on what happened" and not bool(t.loc[3, "reviewed"])
    assert bool(t.loc[101, "split_requested"]) and t.loc[101, "reviewer"] == "CD"
    assert bool(t.loc[103, "excluded"])
    moved = result.assignments[result.assignments["original_theme_id"] == 102]
    assert (moved["theme_id"] == 100).all() and len(moved) == SIZES[102]
    assert result.assignments["excluded"].sum() == SIZES[103]

    # The reported table reflects every decision.
    table = theme_table(result.assignments, result.themes, question_id="make_better", threshold=10)
    rows = table.set_index("label")
    assert rows.loc["Travel costs and expenses", "n"] == SIZES[100] + SIZES[102]
    assert "parking / car park" not in rows.index and "jargon / acronyms" not in rows.index
    # The excluded row (11 people) is hidden too: with it shown, base minus the visible rows would
    # give the 7 unassigned answers away (secondary suppression, analysis.present.disclosure).
    assert pd.isna(rows.loc[EXCLUDED_ROW_LABEL, "n"]) and bool(rows.loc[EXCLUDED_ROW_LABEL, "suppressed"])
    assert bool(rows.loc["Travel costs and expenses", "reviewed"])
    # the base still counts excluded and unassigned answers, not non-answers
    assert (table["base"] == sum(SIZES.values()) + 7).all()
    marks = reviewed_mark(result.themes)
    assert marks[result.themes["theme_id"] == 100].iloc[0] == "✓ AB 2025-11-20"
    assert marks[result.themes["theme_id"] == 3].iloc[0] == ""

    # The next review sheet shows the decisions in force.
    sheet2 = review_sheet(themes, _quotes(), decisions).set_index("theme_id")
    assert sheet2.loc[102, "merge_into"] == "100" and sheet2.loc[103, "exclude"] == "yes"
    assert sheet2.loc[100, "label"] == "Travel costs and expenses"
    assert sheet2.loc[100, "example_1"].startswith("Paying for my own bus fare")
    assert pd.isna(sheet2.loc[3, "example_1"])


def test_excel_windows_1252_file_and_blank_lines_are_read(tmp_path):
    path = tmp_path / "c.csv"
    text = "theme_id,label,reviewer,reviewed_on\r\n100,Café meetings,AB,2025-11-20\r\n,,,\r\n101,,,\r\n"
    path.write_bytes(text.encode("cp1252"))
    decisions = read_decisions(path)
    assert list(decisions["theme_id"]) == [100]  # the untouched row 101 is no decision
    assert decisions.loc[0, "label"] == "Café meetings" and decisions.loc[0, "row"] == 2


def test_missing_decisions_file_means_no_decisions(tmp_path):
    decisions = read_decisions(tmp_path / "none.csv")
    assert decisions.empty
    result = apply_decisions(_assignments(), _themes(), decisions)
    assert list(result.themes["label"]) == list(_themes()["auto_label"])
    assert not result.themes["reviewed"].any() and not result.assignments["excluded"].any()


BASE = "theme_id,label,merge_into,split_note,exclude,reviewer,reviewed_on\n"


@pytest.mark.parametrize(
    ("body", "row", "column", "message"),
    [
        ("100,Travel,,,,AB,2025-11-20\n", 1, "lable", "unknown column 'lable'"),
        ("100,,10x,,,AB,\n", 2, "merge_into", "'10x' is not a theme id"),
        ("100,,100.0,,,AB,\n", 2, "merge_into", "not a theme id"),
        ("10o,,,,,AB,\n", 2, "theme_id", "not a whole number"),
        ("100,,,,maybe,AB,\n", 2, "exclude", "'yes' or blank"),
        ("100,Travel,,,,,\n", 2, "reviewer", "reviewer's initials"),
        ("100,Travel,,,,AB,20/11/2025\n", 2, "reviewed_on", "YYYY-MM-DD"),
        ("100,Travel,,,,AB,\n100,Other,,,,AB,\n", 3, "theme_id", "listed twice (also on row 2)"),
        ("102,,100,,yes,AB,\n", 2, "exclude", "both merged and excluded"),
        ("102,Parking,100,,,AB,\n", 2, "label", "takes the label"),
        ("999,Ghost,,,,AB,\n", 2, "theme_id", "theme 999 is not a theme of this run"),
        ("102,,102,,,AB,\n", 2, "merge_into", "merged into itself"),
        ("102,,555,,,AB,\n", 2, "merge_into", "merge_into 555 is not a theme"),
        ("102,,100,,,AB,\n100,,101,,,AB,\n", 2, "merge_into", "a chain (102 -> 100 -> 101)"),
        ("100,,101,,,AB,\n101,,100,,,AB,\n", 2, "merge_into", "a cycle (100 -> 101 -> 100)"),
        ("102,,103,,,AB,\n103,,,,yes,AB,\n", 2, "merge_into", "theme 103 is excluded"),
    ],
)
def test_invalid_decisions_name_file_row_and_column(tmp_path, body, row, column, message):
    path = tmp_path / "c2025.csv"
    header = BASE.replace("label", "lable") if column == "lable" else BASE
    path.write_text(header + body, encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        load_decisions(path, THEME_IDS)
    assert err.value.row == row and err.value.column == column
    assert message in str(err.value) and "c2025.csv" in str(err.value)


def test_reserved_ids_are_not_reviewable(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(BASE + "-1,Other,,,,AB,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="theme -1 is not a theme"):
        load_decisions(path, [*THEME_IDS, -1, -2])


def test_decisions_stick_across_a_rerun_that_renumbers_topics(tmp_path):
    """The model numbers its topics afresh; the registry keeps ids, so decisions hit the same themes."""
    import numpy as np

    from analysis.themes.registry import apply_mapping, empty_registry, load_registry, match_to_registry, save_registry

    def fit(order: list[int]):
        # three themes along three axes; `order` decides which model-local topic number each gets
        axes = {0: "travel", 1: "meetings", 2: "parking"}
        topics = pd.DataFrame({"topic": list(range(3)), "size": [30, 20, 12],
                               "label": [axes[a] for a in order], "top_words": [[axes[a]] for a in order]})
        cents = {t: np.eye(8)[a] + 0.01 * (t + 1) for t, a in enumerate(order)}
        comments = pd.DataFrame({"comment_id": [f"{axes[a]}{i}" for t, a in enumerate(order) for i in range(3)],
                                 "respondent_id": [f"{axes[a]}{i}" for t, a in enumerate(order) for i in range(3)],
                                 "question_id": "make_better",
                                 "topic": [t for t, _ in enumerate(order) for _ in range(3)]})
        return topics, cents, comments

    reg_file = tmp_path / "theme_registry.csv"
    topics, cents, comments = fit([0, 1, 2])
    m1 = match_to_registry(topics, cents, empty_registry(), {}, cycle="c", threshold=0.6)
    save_registry(m1.registry, m1.centroids, reg_file)
    ids = dict(zip(m1.mapping["label"], m1.mapping["theme_id"], strict=True))
    decisions_file = tmp_path / "c.csv"
    decisions_file.write_text(
        "theme_id,label,merge_into,exclude,reviewer\n"
        f"{ids['travel']},Travel costs,,,AB\n{ids['parking']},,{ids['meetings']},,AB\n", encoding="utf-8")

    topics2, cents2, comments2 = fit([2, 0, 1])  # same themes, different topic numbers
    registry, reg_cents = load_registry(reg_file)
    m2 = match_to_registry(topics2, cents2, registry, reg_cents, cycle="c", threshold=0.6)
    assert dict(zip(m2.mapping["label"], m2.mapping["theme_id"], strict=True)) == ids
    themes = m2.mapping.rename(columns={"label": "auto_label"})
    result = apply_decisions(apply_mapping(comments2, m2.mapping), themes,
                             load_decisions(decisions_file, themes["theme_id"]))
    labels = dict(zip(result.themes["theme_id"], result.themes["label"], strict=True))
    assert labels[ids["travel"]] == "Travel costs"
    assert ids["parking"] not in labels
    parked = result.assignments[result.assignments["comment_id"].str.startswith("parking")]
    assert (parked["theme_id"] == ids["meetings"]).all()


def test_decision_drift_flags_a_theme_that_changed_since_review(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("theme_id,top_words,label,reviewer\n"
                    "100,travel; expenses; paid,Travel costs,AB\n"
                    "101,meetings; evening,Meeting times,AB\n", encoding="utf-8")
    from analysis.themes.review import decision_drift

    decisions = load_decisions(path, THEME_IDS)
    themes = _themes()
    assert decision_drift(decisions, themes).empty  # same words as in the sheet
    themes.loc[themes["theme_id"] == 101, "top_words"] = pd.Series([["parking", "car", "evening"]],
                                                                    index=themes.index[themes["theme_id"] == 101])
    drift = decision_drift(decisions, themes)
    assert list(drift["theme_id"]) == [101] and drift.loc[0, "row"] == 3
    assert drift.loc[0, "overlap"] == pytest.approx(1 / 4)


def test_a_reviewed_theme_that_did_not_come_back_is_withheld_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_text(
        "theme_id,auto_label,top_words,size,status,label,merge_into,split_note,exclude,reviewer,reviewed_on\n"
        "3,Feedback,feedback; told,30,continuing,Told what happened,,,,AB,2025-11-20\n"
        "119,outcome answer,outcome; answer,56,continuing,,3,,,AB,2025-11-20\n"     # vanished theme merged
        "100,travel,travel; expenses,25,new,,119,,,AB,2025-11-20\n"                 # merged into a vanished one
        "135,newsletter,newsletter,30,new,,,,yes,AB,2025-11-20\n", encoding="utf-8")  # vanished, excluded
    decisions = read_decisions(path)
    kept, vanished = split_vanished(decisions, theme_ids=[3, 100, 101], registry_ids=[3, 100, 101, 119, 135])
    assert kept["theme_id"].tolist() == [3]
    assert sorted(vanished["theme_id"]) == [100, 119, 135]
    assert validate_decisions(kept, [3, 100, 101], path=path)["label"].tolist() == ["Told what happened"]
    assert "119 was not found this run" in vanished.set_index("theme_id").loc[100, "reason"]
    # An id this machine's registry never gave (a typo, or a file from another machine) is withheld
    # too, and said to be so; review-check still refuses it.
    _, unknown = split_vanished(decisions, theme_ids=[3, 100, 101], registry_ids=[3, 100, 101])
    assert "never given by this machine's theme registry" in unknown.set_index("theme_id").loc[135, "reason"]
    with pytest.raises(InputFileError, match="theme 119 is not a theme of this run"):
        validate_decisions(decisions, [3, 100, 101], path=path)
