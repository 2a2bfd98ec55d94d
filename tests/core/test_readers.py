"""Readers: encodings, delimiters, XLSX sheets, and clear errors for broken files."""

from __future__ import annotations

import openpyxl
import pytest

from analysis.core.errors import InputFileError
from analysis.core.readers import read_table


def test_utf8_bom_semicolon_and_quoted_newlines(tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffID;Comment;Score\n1;\"Great, really\nhelpful\";N/A\n2;None;4\n".encode("utf-8"))
    frame = read_table(path)
    assert list(frame.columns) == ["source_row", "ID", "Comment", "Score"]
    assert frame.loc[0, "Comment"] == "Great, really\nhelpful"
    # "N/A" and "None" are answers to classify, not missing values
    assert frame.loc[0, "Score"] == "N/A" and frame.loc[1, "Comment"] == "None"
    assert frame["source_row"].tolist() == [2, 3]


def test_cp1252_detected(tmp_path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes("Name,Text\nAnn,It\x92s caf\xe9 \xa35\n".encode("latin-1"))
    frame = read_table(path)
    assert frame.loc[0, "Text"] == "It\u2019s caf\u00e9 \u00a35"


def test_explicit_wrong_encoding_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xff\xfe\n")
    with pytest.raises(InputFileError) as err:
        read_table(path, encoding="utf-8")
    assert "bad.csv" in str(err.value) and "row 3" in str(err.value)


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"   \n\n", "empty"), (b"a,b,c\n", "no data rows")])
def test_empty_and_header_only(tmp_path, content, message) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_table(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_blank_rows_dropped_but_row_numbers_kept(tmp_path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,x\n,\n3,z\n")
    frame = read_table(path)
    assert frame["source_row"].tolist() == [2, 4]


def test_xlsx_sheet_selection(tmp_path) -> None:
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["ID", "Score"])
    ws.append([1, 5])
    wb.create_sheet("Notes").append(["ignore me"])
    wb.save(path)
    frame = read_table(path, sheet="Responses")
    assert frame.loc[0, "Score"] == 5
    with pytest.raises(InputFileError, match="several sheets"):
        read_table(path)
    with pytest.raises(InputFileError, match="no sheet named 'Answers'"):
        read_table(path, sheet="Answers")


def test_corrupt_xlsx(tmp_path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match="not a readable XLSX"):
        read_table(path)
