"""Case studies: only consented stories are shown, linked to their themes, and every text stays text."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.reach import case_studies as cs
from analysis.reach import theme_links as links

HOSTILE_TITLE = '"><script>alert(1)</script>'
HOSTILE_QUOTE = "<img src=x onerror=alert('q')> & <a href=\"javascript:x\">click</a>"


@pytest.fixture
def cases() -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": ["CS-3", "CS-1", "CS-2", "CS-4", "CS-5"],
        "cycle": ["2025", "2025", "2025", "2026", "2025"],
        "title": [HOSTILE_TITLE, "A key worker", "Respite", "Next year", "Unclear consent"],
        "theme_ids": ["17;20", "19", "19", "21", "21"],
        "what_people_said": ["Said <b>this</b>", "Families repeat their story", "No respite", "x", "y"],
        "what_changed": [None, "One number to call", "Bid resubmitted", "x", "y"],
        "consent": pd.array([True, True, False, True, None], dtype="boolean"),
        "quote": [HOSTILE_QUOTE, "Someone rang us first", "Do not use my name", "x", "y"],
    })


@pytest.fixture
def book() -> pd.DataFrame:
    return links.theme_book(pd.DataFrame({
        "theme_id": [17, 19, 20, 122, 21], "label": ["Coordination", "Carers", "Dying at home", "Advance care planning",
                                                    "Bereavement"],
        "status": ["active", "active", "merged", "active", "retired"],
        "merged_into": pd.array([None, None, 122, None, None], dtype="Int64")}))


def test_theme_id_list() -> None:
    assert cs.theme_id_list("17;19") == [17, 19]
    assert cs.theme_id_list("21") == [21] and cs.theme_id_list(None) == [] and cs.theme_id_list(pd.NA) == []


def test_only_consented_stories_of_this_cycle_are_published(cases) -> None:
    current = cs.case_studies_as_of(cases, 2025)
    assert "CS-4" not in set(current["case_id"])  # a later cycle's story is not shown when re-running 2025
    shown = cs.publishable(current)
    assert shown["case_id"].tolist() == ["CS-1", "CS-3"]  # consent False and missing are withheld
    assert shown.attrs["withheld"] == 2
    everything = " ".join(map(str, shown.to_numpy().ravel()))
    assert "Do not use my name" not in everything and "Unclear consent" not in everything


def test_cards_name_themes_as_they_count_now(cases, book) -> None:
    shown = cs.publishable(cs.case_studies_as_of(cases, 2025))
    mapping, warnings = cs.link_case_studies(shown, book)
    assert mapping[20] == 122
    cards = cs.story_cards(shown, links.book_labels(book), mapping)
    hostile = next(c for c in cards if c["case_id"] == "CS-3")
    assert hostile["theme_ids"] == [17, 122] and hostile["themes"] == ["Coordination", "Advance care planning"]
    assert hostile["what_changed"] is None
    assert warnings.empty  # the shown stories' themes are sound; the retired theme 21 is only on withheld ones


def test_a_shown_story_on_a_retired_theme_is_warned(cases, book) -> None:
    shown = cs.publishable(cases.assign(consent=pd.array([True] * 5, dtype="boolean")))
    _, warnings = cs.link_case_studies(shown, book)
    assert set(warnings["ref"]) == {"CS-4", "CS-5"} and set(warnings["source"]) == {"case study"}
    assert all("retired" in m for m in warnings["message"])


def test_rendered_story_escapes_every_text(cases, book) -> None:
    shown = cs.publishable(cases)
    card = next(c for c in cs.story_cards(shown, links.book_labels(book)) if c["case_id"] == "CS-3")
    page = cs.render_story(card)
    assert "<script" not in page and "<img" not in page and "<a " not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(&#x27;q&#x27;)&gt;" in page
    assert 'aria-label="Case study: &quot;&gt;&lt;script&gt;' in page  # the attribute cannot be closed early
    assert page.startswith('<div class="callout callout-info case-study" role="note"')
    assert "What changed" not in page  # nothing recorded, nothing shown
    assert "Coordination (theme 17)" in page


def test_a_story_survives_the_report_sanitiser_unchanged(cases, book) -> None:
    """The box is made of tags the report allows, so a reader sees it boxed, and nothing in it is live."""
    from analysis.report.sanitise import sanitise_html

    for card in cs.story_cards(cs.publishable(cases), links.book_labels(book)):
        page = cs.render_story(card)
        assert sanitise_html(page) == page
