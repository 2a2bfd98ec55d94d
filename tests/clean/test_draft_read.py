"""Finding and reading the tables of a folder of exports (for ``python -m analysis init``)."""

from __future__ import annotations

import pytest

from analysis.clean import draft_read as dr


def test_a_folder_of_documents_is_not_read_as_tables(tmp_path) -> None:
    folder = tmp_path / "exports"
    (folder / "interviews").mkdir(parents=True)
    (folder / "note.txt").write_text("We met at the library and talked about waiting times.\n"
                                     "People said the buses stop too early\n", encoding="utf-8")
    (folder / "empty.csv").write_bytes(b"")
    tables, skipped = dr.find_tables(folder)
    assert tables == []
    assert dict(skipped) == {"empty.csv": "the file is empty", "interviews/": "a sub-folder (not searched)",
                             "note.txt": "not a table (one column or none): a document rather than an export?"}


@pytest.mark.parametrize(("rows", "expected"), [
    ([["Survey export"], [], ["ID", "Date", "Borough"], ["1", "01/02/2025", "Brent"]], 3),
    ([["ID", "Date", "Borough"], ["1", "01/02/2025", "Brent"]], 1),
    ([["Report", "", ""], ["Total", "12", "3"], ["Name", "Age", "Area"], ["Al", "30", "Ealing"]], 3),
    ([["1", "2", "3"], ["4", "5", "6"]], 1),  # no header at all: row 1 is the only guess
])
def test_detect_header_row(rows, expected) -> None:
    assert dr.detect_header_row(rows) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Export of 3 March\n\nRef;Date;Comment\nE1;03/03/2025;Fine, thanks\nE2;04/03/2025;Slow, cold\n", ";"),
    ("Ref\tDate\tComment\nE1\t03/03/2025\tFine, thanks\n", "\t"),
    ("Ref,Date,Comment\nE1,03/03/2025,\"Fine; thanks\"\nE2,04/03/2025,ok\n", ","),
    ("Ref|Date|Comment\nE1|03/03/2025|ok\n", "|"),
])
def test_detect_delimiter_ignores_title_lines_and_commas_in_answers(text, expected) -> None:
    assert dr.detect_delimiter(text) == expected
