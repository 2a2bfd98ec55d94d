"""Actions follow their themes through the theme book: merges carried along, dead links warned, gaps suggested."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core import vocab
from analysis.reach import actions as act
from analysis.reach import theme_links as links

HOSTILE = '<img src=x onerror=alert(1)> "=HYPERLINK(\'http://evil\')"'


def book_table(rows: list[tuple[int, str, str, object]]) -> pd.DataFrame:
    return pd.DataFrame({"theme_id": [r[0] for r in rows], "label": [r[1] for r in rows],
                         "status": [r[2] for r in rows],
                         "merged_into": pd.array([r[3] for r in rows], dtype="Int64")})


@pytest.fixture
def book() -> pd.DataFrame:
    return links.theme_book(book_table([
        (20, "Dying at home / place of death", "merged", 122),
        (122, "Advance care planning", "active", None),
        (7, "Parking", "retired", None),
        (8, HOSTILE, "excluded", None),
        (30, "Old name", "merged", 31),
        (31, "Middle", "merged", 122),
        (40, "Loop a", "merged", 41),
        (41, "Loop b", "merged", 40),
        (50, "Merged nowhere", "merged", None),
        (60, "Merged away", "merged", 999),
        (132, "Track funding", "candidate", None),
    ]))


def test_legacy_themes_table_is_a_book_of_active_themes_plus_the_codebook() -> None:
    legacy = pd.DataFrame({"theme_id": [1, 122], "label": ["Changed service design", "Advance care planning"],
                           "status": ["continuing", "new"], "excluded": [False, False]})
    book = links.theme_book(legacy, {1: "Changed service design", 17: "Coordination between services"})
    assert book.attrs["legacy"] is True
    assert book["theme_id"].tolist() == [1, 17, 122]
    assert set(book["status"]) == {"active"} and book["merged_into"].isna().all()
    assert links.book_labels(book)[17] == "Coordination between services"
    nothing = links.theme_book(None, {5: "Five"})
    assert nothing["theme_id"].tolist() == [5]


def test_a_real_book_is_authoritative_and_checked() -> None:
    book = links.theme_book(book_table([(1, "One", "Active ", None)]), {17: "From the codebook"})
    assert book.attrs["legacy"] is False and book["theme_id"].tolist() == [1] and book["status"].tolist() == ["active"]
    with pytest.raises(links.ThemeBookError, match=r"theme 2: status 'continuing'"):
        links.theme_book(book_table([(1, "One", "active", None), (2, "Two", "continuing", None)]))
    with pytest.raises(links.ThemeBookError, match="theme 1 is listed more than once"):
        links.theme_book(book_table([(1, "One", "active", None), (1, "Uno", "active", None)]))


def test_resolve_follows_merge_chains_and_names_every_problem(book) -> None:
    out = links.resolve([20, 30, 122, 7, 8, 999, 40, 50, 60, 132, None], book).set_index(pd.RangeIndex(11))
    assert out.loc[0, "resolved_id"] == 122 and pd.isna(out.loc[0, "problem"]) and out.loc[0, "chain"] == "20 -> 122"
    assert out.loc[1, "resolved_id"] == 122 and out.loc[1, "chain"] == "30 -> 31 -> 122"
    assert out.loc[2, "resolved_id"] == 122 and pd.isna(out.loc[2, "problem"])
    assert out.loc[3, "problem"] == "points at a retired theme"
    assert out.loc[4, "problem"] == "points at an excluded theme"
    assert out.loc[5, "problem"] == links.NOT_IN_BOOK and out.loc[5, "resolved_id"] == 999
    assert "loop" in out.loc[6, "problem"]
    assert "names no theme" in out.loc[7, "problem"]
    assert "999" in out.loc[8, "problem"] and out.loc[8, "resolved_id"] == 999
    assert pd.isna(out.loc[9, "problem"]) and out.loc[9, "final_status"] == "candidate"
    assert out.loc[10, "problem"] == "no theme id"


def test_an_action_on_a_merged_theme_counts_for_the_theme_it_merged_into(book) -> None:
    """The example's false "no action": people raise 122, the action names codebook theme 20, merged into 122."""
    assignments = pd.DataFrame({"comment_id": [f"C{i}" for i in range(30)],
                                "theme_id": [122] * 25 + [vocab.NON_ANSWER_THEME_ID] * 5,
                                "theme_label": ["Advance care planning"] * 25 + [vocab.NON_ANSWER_THEME_LABEL] * 5})
    actions = act.clean_actions(pd.DataFrame({
        "action_id": ["A1", "A2"], "cycle": ["2025", "2025"], "theme_id": [20, 7],
        "you_said": ["Wishes about where people die are not followed", "Parking"],
        "we_did": ["Advance care plan prompts on handover records", "Asked estates"],
        "status": ["In progress", "Done"], "reason": [None, None],
        "updated_at": pd.to_datetime(["2025-11-01", "2025-11-02"])}))
    before = act.action_coverage(act.theme_counts(assignments), actions, threshold=10)
    assert before.loc[0, "gap"]  # without the book: a false "no action"
    linked, warnings = links.link_actions(actions, book)
    assert linked.set_index("action_id").loc["A1", "theme_id"] == 122
    assert linked.set_index("action_id").loc["A1", "linked_theme_id"] == 20
    after = act.action_coverage(act.theme_counts(links.resolve_assignments(assignments, book)), linked, threshold=10)
    assert after.loc[0, "theme_id"] == 122 and after.loc[0, "has_action"] and not after.loc[0, "gap"]
    assert after.loc[0, "status"] == "In progress 1"
    assert warnings["ref"].tolist() == ["A2"]
    assert "retired" in warnings.loc[0, "message"] and "A2" in warnings.loc[0, "message"]


def test_warnings_name_the_action_and_keep_hostile_labels_as_plain_text(book) -> None:
    actions = pd.DataFrame({"action_id": ["X9", "X10"], "theme_id": [8, 555]})
    _, warnings = links.link_actions(actions, book)
    assert warnings["ref"].tolist() == ["X9", "X10"]
    assert HOSTILE in warnings.loc[0, "message"]  # escaped where it is rendered, never altered here
    assert "not in the theme book" in warnings.loc[1, "message"]
    assert set(warnings.columns) == {"source", "ref", "theme_id", "resolved_id", "problem", "message"}


def test_resolve_assignments_moves_merged_and_drops_excluded(book) -> None:
    assignments = pd.DataFrame({"comment_id": ["a", "b", "c", "d", "e", "f"],
                                "theme_id": [20, 122, 8, vocab.OUTLIER_THEME_ID, 999, 7],
                                "excluded": [False, False, False, False, False, True]})
    out = links.resolve_assignments(assignments, book)
    assert out["theme_id"].tolist() == [122, 122, 8, vocab.OUTLIER_THEME_ID, 999, 7]
    assert out["excluded"].tolist() == [False, False, True, False, False, True]
    counts = act.theme_counts(out)
    assert counts["theme_id"].tolist() == [122, 999] and counts.loc[0, "people"] == 2


ACTIONS = pd.DataFrame({
    "action_id": ["Y1", "Y2", "Y3"], "theme_id": pd.array([20, 19, 8], dtype="Int64"),
    "you_said": ["People's wishes about where they die are not followed.", "Respite is almost impossible to get.",
                 "You never hear back about what happened."],
    "we_did": ["Advance care plan prompts added to ambulance handover and care home records.",
               "Extra respite beds at the hospice.", "Quarterly newsletter listing outcomes."],
    "status": ["In progress", "Not possible", "Done"]})


def test_suggestion_finds_the_action_that_answers_a_theme_and_says_it_is_only_suggested() -> None:
    gaps = pd.DataFrame({"theme_id": [122, 18], "theme_label": ["Advance care planning", "Out-of-hours support"]})
    texts = {122: "Advance care planning care planning, advance care, plans wishes",
             18: "Out-of-hours support evenings weekends phone line"}
    out = links.suggest_actions(gaps, ACTIONS, texts, labels={20: "Dying at home", 19: "Carers", 8: "Feedback"})
    acp = out.set_index("theme_id").loc[122]
    assert acp["suggested_action_id"] == "Y1" and acp["action_theme"] == "Dying at home"
    assert acp["similarity"] >= 0.08
    assert pd.isna(out.set_index("theme_id").loc[18, "suggested_action_id"])
    sentences = links.suggestion_sentences(out)
    assert "suggested, not linked" in sentences[0] and "Y1" in sentences[0]
    assert "no existing action is similar enough" in sentences[1]


def test_suggestion_edge_cases_do_not_crash() -> None:
    gaps = pd.DataFrame({"theme_id": [5], "theme_label": ["the and of"]})
    assert pd.isna(links.suggest_actions(gaps, ACTIONS, {}).loc[0, "suggested_action_id"])
    assert pd.isna(links.suggest_actions(gaps, ACTIONS.iloc[:0], {}).loc[0, "suggested_action_id"])
    stop_words_only = ACTIONS.assign(you_said="the", we_did="and")
    assert pd.isna(links.suggest_actions(gaps, stop_words_only, {}).loc[0, "suggested_action_id"])
    assert links.suggest_actions(gaps.iloc[:0], ACTIONS, {}).empty
    # Deterministic: the same inputs give the same suggestion whatever the row order of the log.
    g = pd.DataFrame({"theme_id": [1], "theme_label": ["respite beds hospice"]})
    first = links.suggest_actions(g, ACTIONS, {})
    again = links.suggest_actions(g, ACTIONS.iloc[::-1], {})
    pd.testing.assert_frame_equal(first, again)
    assert first.loc[0, "suggested_action_id"] == "Y2"


def test_theme_texts_use_label_description_and_key_words(book) -> None:
    themes = pd.DataFrame({"theme_id": [122], "label": ["Advance care planning"],
                           "description": ["Plans made ahead"], "key_words": ["care planning, advance care"]})
    texts = links.theme_texts(book, themes)
    assert texts[122] == "Advance care planning Plans made ahead care planning, advance care"
    assert texts[7] == "Parking"
