"""Review through the theme book: the review sheet, accepting candidates, review-check."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.themes.book import BookFile, BookTheme, ThemeBook, ThemeBookError, load_book, save_book
from analysis.themes.review import (
    CANDIDATES_NAME,
    EXAMPLE_COLUMNS,
    SHEET_NAME,
    accept_candidates,
    book_review_summary,
    check_book,
    review_sheet,
    write_review_folder,
)

SHA = "cd" * 32


def book_of(*themes: dict, version: int = 1) -> ThemeBook:
    entries = [BookTheme(**t) for t in themes]
    rng = np.random.default_rng(0)
    return ThemeBook(meta=BookFile(book_version=version, programme="p", embedding_model_sha256=SHA, themes=entries),
                     centroids={t.id: rng.normal(size=4) / 2 for t in entries})


def themes_table() -> pd.DataFrame:
    return pd.DataFrame({
        "theme_id": [1, 100, 130], "status": ["active", "active", "candidate"], "source": ["codebook", "model", "model"],
        "label": ["Parking", "Kind staff", "=cmd|' /C calc'!A0"], "stance": ["concern", "praise", None],
        "top_words": [["parking", "spaces"], ["kind", "staff"], []], "size": [12, 30, 4],
        "reviewer": ["AB", None, None], "reviewed_on": ["2025-11-21", None, None]})


def test_the_sheet_lists_every_theme_with_its_quotes():
    quotes = pd.DataFrame({"theme_id": [100] * 7, "quote": [f"q{i}" for i in range(7)]})
    sheet = review_sheet(themes_table(), quotes)
    assert sheet["theme_id"].tolist() == [1, 100, 130]
    assert sheet.loc[1, list(EXAMPLE_COLUMNS)].tolist() == ["q0", "q1", "q2", "q3", "q4"]
    assert sheet.loc[0, "key_words"] == "parking; spaces" and pd.isna(sheet.loc[0, "example_1"])


def test_the_review_folder_is_formula_safe_and_forgets_old_candidates(tmp_path):
    sheet = review_sheet(themes_table())
    candidates = book_of({"id": 130, "name": "Lifts", "source": "model", "first_seen": "2025"})
    folder = write_review_folder(sheet, candidates, tmp_path / "review")
    text = (folder / SHEET_NAME).read_text(encoding="utf-8-sig")
    assert "'=cmd" in text and ",=cmd" not in text
    assert load_book(folder / CANDIDATES_NAME).themes[0].name == "Lifts"
    write_review_folder(sheet, None, folder)  # a run that found no candidates
    assert not (folder / CANDIDATES_NAME).exists() and not (folder / "candidates.centroids.csv").exists()


def test_accepting_candidates_gives_permanent_ids_and_bumps_the_edition():
    book = book_of({"id": 1, "name": "Parking", "source": "codebook"},
                   {"id": 104, "name": "Old", "source": "model", "status": "retired"})
    candidates = book_of({"id": 105, "name": "lifts / broken lifts", "source": "model", "first_seen": "2025"},
                         {"id": 3, "name": "Being listened to", "source": "codebook", "first_seen": "2025"},
                         {"id": 106, "name": "car park", "source": "model", "first_seen": "2025"})
    new, given = accept_candidates(book, candidates, [105, 3, 106], reviewer="AB", names={105: "Broken lifts"},
                                   merge_into={106: 1}, today=dt.date(2025, 12, 1))
    assert given == {105: 105, 3: 3, 106: 106}
    assert new.meta.book_version == 2
    by_id = {t.id: t for t in new.themes}
    assert by_id[105].name == "Broken lifts" and by_id[105].reviewer == "AB" and by_id[105].reviewed_on == "2025-12-01"
    assert by_id[106].status == "merged" and new.counted_as(106) == 1
    assert np.array_equal(new.centroids[105], candidates.centroids[105])
    assert new.next_id() == 107  # ids are never reused, not even retired ones


def test_candidate_ids_are_renumbered_above_every_book_id():
    book = book_of({"id": 120, "name": "X", "source": "model"})
    candidates = book_of({"id": 100, "name": "Y", "source": "model"})
    new, given = accept_candidates(book, candidates, [100], reviewer="AB")
    assert given == {100: 121} and 121 in new.centroids


@pytest.mark.parametrize(("ids", "kwargs", "message"), [
    ([999], {}, "999"),
    ([1], {}, "already in the theme book"),
    ([100], {"merge_into": {100: 55}}, "merge into 55"),
    ([100], {"reviewer": " "}, "initials"),
])
def test_accepting_refuses_what_it_cannot_do(ids, kwargs, message):
    book = book_of({"id": 1, "name": "Parking", "source": "codebook"})
    candidates = book_of({"id": 1, "name": "Parking", "source": "codebook"}, {"id": 100, "name": "Y", "source": "model"})
    with pytest.raises(ThemeBookError, match=message):
        accept_candidates(book, candidates, ids, **({"reviewer": "AB"} | kwargs))


def test_a_first_book_can_be_started_from_candidates():
    candidates = book_of({"id": 100, "name": "Y", "source": "model"})
    new, _ = accept_candidates(None, candidates, [100], reviewer="AB", programme="trust")
    assert new.meta.book_version == 1 and new.meta.programme == "trust"


def test_review_check_lists_withheld_merges_unsigned_decisions_and_unseen_themes(tmp_path):
    book = book_of({"id": 1, "name": "Parking", "source": "codebook"},
                   {"id": 100, "name": "Noise", "source": "model", "status": "excluded"},
                   {"id": 101, "name": "Into noise", "source": "model", "status": "merged", "merged_into": 100,
                    "reviewer": "AB"},
                   {"id": 102, "name": "Kind staff", "source": "model"})
    path = save_book(book, tmp_path / "b.yaml")
    notes = check_book(path, pd.DataFrame({"theme_id": [1, 101]}))
    assert any("101" in n and "withheld" in n for n in notes)
    assert any("theme 100" in n and "no reviewer" in n for n in notes)
    assert any("[102]" in n for n in notes)
    assert book_review_summary(book, None)["excluded"] == 1


def test_review_check_passes_a_clean_book(tmp_path):
    path = save_book(book_of({"id": 1, "name": "Parking", "source": "codebook"}), tmp_path / "b.yaml")
    assert check_book(path) == []
