"""Actions: theme counts, "you said, we did", coverage of leading themes, progress."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core import vocab
from analysis.reach import actions as act


@pytest.fixture
def assignments() -> pd.DataFrame:
    rows = []
    # 40 comments on "Feedback on what happened" (id 1), 25 on "Meeting times" (id 3),
    # 12 on a registry theme (id 104), 6 on "Parking" (id 7), plus non-answers and outliers.
    spec = [(1, "Feedback on what happened", 40), (3, "Meeting times", 25),
            (104, "Travel expenses paid late", 12), (7, "Parking", 6),
            (vocab.NON_ANSWER_THEME_ID, vocab.NON_ANSWER_THEME_LABEL, 15),
            (vocab.OUTLIER_THEME_ID, vocab.OUTLIER_THEME_LABEL, 9)]
    n = 0
    for theme_id, label, count in spec:
        for _ in range(count):
            n += 1
            rows.append({"comment_id": f"C{n:03d}", "question_id": "make_better",
                         "theme_id": theme_id, "theme_label": label})
    # Five feedback comments also carry the meeting-times theme (multi-label).
    for i in range(1, 6):
        rows.append({"comment_id": f"C{i:03d}", "question_id": "make_better", "theme_id": 3,
                     "theme_label": "Meeting times"})
    return pd.DataFrame(rows)


@pytest.fixture
def actions_log() -> pd.DataFrame:
    return pd.DataFrame({
        "action_id": ["A1", "A2", "A3", "A3", "A4"],
        "cycle": ["example-2024", "example", "example-2024", "example-2024", "example"],
        "theme_id": [1, 1, 7, 7, 99],
        "you_said": ["You were not told what happened", "Same again", "Parking is hard", "Parking is hard",
                     "Something else"],
        "we_did": ["Newsletter after every meeting", "Outcome letters", "Asked estates", "Asked estates",
                   "Reviewed"],
        "status": ["Done", "In progress", "Planned", "Not possible", "Done"],
        "reason": [None, None, None, "The car park belongs to the council", "ignored for Done"],
        "updated_at": pd.to_datetime(["2024-10-01", "2025-06-01", "2024-09-01", "2025-05-01", "2025-01-01"]),
    })


def test_theme_counts_counts_people_and_excludes_reserved_ids(assignments):
    counts = act.theme_counts(assignments)
    assert list(counts["theme_id"]) == [1, 3, 104, 7]
    feedback = counts.iloc[0]
    base = 40 + 25 + 12 + 6 + 9  # substantive answers: everything but non-answers (outliers did answer)
    assert counts.attrs["base"] == base
    assert feedback["people"] == 40
    assert feedback["pct"] == pytest.approx(100 * 40 / base)
    assert feedback["ci_low"] < feedback["pct"] < feedback["ci_high"]
    assert counts.set_index("theme_id").loc[3, "people"] == 30  # multi-label comments counted once per theme


def test_theme_counts_uses_people_when_comments_given(assignments):
    comments = pd.DataFrame({"comment_id": assignments["comment_id"].unique()})
    # The same person wrote C001 and C002: counted once.
    comments["respondent_id"] = ["P1", "P1"] + [f"P{i}" for i in range(2, len(comments))]
    counts = act.theme_counts(assignments, comments=comments).set_index("theme_id")
    assert counts.loc[1, "people"] == 39


def test_theme_counts_tolerates_missing_labels_and_float_ids(assignments):
    frame = assignments.drop(columns="theme_label").assign(theme_id=assignments["theme_id"].astype(float))
    counts = act.theme_counts(frame)
    assert counts.iloc[0]["theme_label"] == "Theme 1"
    assert counts.iloc[0]["theme_id"] == 1


def test_latest_actions_and_status_summary(actions_log):
    latest = act.latest_actions(act.clean_actions(actions_log))
    assert list(latest["action_id"]) == ["A1", "A2", "A3", "A4"]
    assert latest.set_index("action_id").loc["A3", "status"] == "Not possible"
    summary = act.status_summary(latest).set_index("status")
    assert list(summary.index) == list(vocab.ACTION_STATUSES)
    assert summary.loc["Done", "actions"] == 2
    assert summary.loc["Planned", "actions"] == 0
    assert summary["pct"].sum() == pytest.approx(100)


def test_you_said_we_did_keeps_reason_only_for_not_possible(actions_log):
    latest = act.latest_actions(act.clean_actions(actions_log))
    table = act.you_said_we_did(latest, {1: "Feedback on what happened", 7: "Parking"})
    assert list(table["status"].astype(str)) == ["Done", "Done", "In progress", "Not possible"]
    row = table.set_index("action_id").loc["A3"]
    assert row["reason"] == "The car park belongs to the council"
    assert pd.isna(table.set_index("action_id").loc["A4", "reason"])
    assert table.set_index("action_id").loc["A4", "theme"] == "Theme 99"


def test_action_coverage_highlights_leading_themes_without_action(assignments, actions_log):
    counts = act.theme_counts(assignments)
    latest = act.latest_actions(act.clean_actions(actions_log))
    coverage = act.action_coverage(counts, latest, threshold=10, top_n=4).set_index("theme_id")
    assert coverage.loc[1, "status"] == "Done 1, In progress 1"
    assert coverage.loc[1, "has_action"] and not coverage.loc[1, "gap"]
    assert coverage.loc[3, "gap"] and coverage.loc[104, "gap"]
    # Parking: 6 people, under the threshold: counts hidden and not called a gap.
    assert coverage.loc[7, "suppressed"] and pd.isna(coverage.loc[7, "people"])
    assert coverage.loc[7, "has_action"]
    sentences = act.coverage_sentences(coverage.reset_index())
    assert sentences[0] == "2 of the 4 leading themes have at least one action."
    assert "Meeting times" in sentences[1] and "Travel expenses paid late" in sentences[1]


def test_action_coverage_under_the_hes_rule_rounds_counts_and_percentages(assignments, actions_log):
    from analysis.present.disclosure import hes_2018_rule

    counts = act.theme_counts(assignments)
    latest = act.latest_actions(act.clean_actions(actions_log))
    coverage = act.action_coverage(counts, latest, threshold=hes_2018_rule(), top_n=4)
    shown = coverage.loc[~coverage["suppressed"]]
    assert (shown["people"].astype(float) % 5 == 0).all()
    base = float(5 * round(counts.attrs["base"] / 5))
    assert shown["pct"].astype(float).tolist() == pytest.approx((100 * shown["people"].astype(float) / base).tolist())
    small = counts.set_index("theme_id").loc[coverage["theme_id"], "people"].astype(float) < 8
    assert coverage["suppressed"].tolist() == small.tolist()


def test_progress_since_previous_from_history_and_from_recorded_statuses(actions_log):
    clean = act.clean_actions(actions_log)
    progress = act.progress_since_previous(clean, ["example", "2025"]).set_index("action_id")
    assert list(progress.index) == ["A1", "A3"]
    assert progress.loc["A3", "previous_status"] == "Planned"
    assert progress.loc["A3", "changed"] and not progress.loc["A3", "completed"]
    assert pd.isna(progress.loc["A1", "previous_status"])  # single row: no history
    assert act.progress_sentence(progress.reset_index()) == (
        "Of 2 actions agreed in earlier cycles (example-2024), 1 is now done; "
        "0 of them were completed since the last report.")

    recorded = pd.DataFrame({"action_id": ["A1", "A3"], "status": ["In progress", "Planned"]})
    progress2 = act.progress_since_previous(clean, ["example"], previous_statuses=recorded).set_index("action_id")
    assert progress2.loc["A1", "completed"]
    sentence = act.progress_sentence(progress2.reset_index(), "example-2024")
    assert sentence == ("Of 2 actions agreed in earlier cycles (example-2024), 1 is now done; "
                        "1 of them was completed since the last report (example-2024).")


def test_progress_with_year_named_cycles_and_no_earlier_actions(actions_log):
    log = actions_log.assign(cycle=["2024", "2025", "2024", "2024", "2025"])
    clean = act.clean_actions(log)
    progress = act.progress_since_previous(clean, ["example", "2025"])
    assert set(progress["action_id"]) == {"A1", "A3"}
    only_current = act.progress_since_previous(clean, ["2024", "2025"])
    assert only_current.empty
    assert "No actions from earlier cycles" in act.progress_sentence(only_current)


def test_actions_as_of_an_earlier_cycle(actions_log):
    log = act.clean_actions(actions_log.assign(cycle=["2024", "2025", "2024", "2024", "2025"]))
    as_of_2024 = act.actions_as_of(log, 2024)
    # A3's 2025 status update and the 2025 actions are not visible from 2024.
    assert list(as_of_2024["action_id"]) == ["A1", "A3"]
    assert act.latest_actions(as_of_2024).set_index("action_id").loc["A3", "status"] == "Planned"
    assert len(act.actions_as_of(log, 2025)) == len(log)
    named = act.clean_actions(actions_log)  # cycle ids that are not years are kept
    assert set(act.actions_as_of(named, 2024)["action_id"]) == {"A1", "A3"}


def test_theme_counts_drops_themes_excluded_by_a_reviewer(assignments):
    frame = assignments.assign(excluded=assignments["theme_id"] == 104)
    counts = act.theme_counts(frame)
    assert 104 not in set(counts["theme_id"])
    assert counts.attrs["base"] == 40 + 25 + 6 + 9


def test_not_possible_lists_every_such_action_with_its_reason(actions_log):
    """An action's latest status decides: A3 was Planned, then Not possible; a missing reason stays missing."""
    extra = pd.DataFrame({
        "action_id": ["A5", "A6"], "cycle": ["example", "example"], "theme_id": [7, None],
        "you_said": ["More respite beds", "<script>alert(1)</script>"], "we_did": ["Bid for capital", "Asked"],
        "status": ["Not possible", "Not possible"], "reason": [None, "=HYPERLINK(\"http://evil.example\")"],
        "updated_at": pd.to_datetime(["2025-05-02", "2025-05-03"]),
    })
    latest = act.latest_actions(act.clean_actions(pd.concat([actions_log, extra], ignore_index=True)))
    table = act.not_possible(act.you_said_we_did(latest, {7: "Parking"}))
    assert list(table.columns) == ["action_id", "theme", "you_said", "we_did", "reason"]
    assert sorted(table["action_id"]) == ["A3", "A5", "A6"]
    by_id = table.set_index("action_id")
    assert by_id.loc["A3", "reason"] == "The car park belongs to the council"
    assert pd.isna(by_id.loc["A5", "reason"])
    assert by_id.loc["A6", "theme"] == "No theme" and by_id.loc["A6", "you_said"] == "<script>alert(1)</script>"
    # Nothing not possible: an empty table with the same columns, not an error.
    done_only = act.you_said_we_did(act.latest_actions(act.clean_actions(actions_log.iloc[:2])), {})
    assert act.not_possible(done_only).empty and list(act.not_possible(done_only).columns) == list(table.columns)
