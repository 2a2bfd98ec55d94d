"""Find and read the tables in a folder of exports, for :mod:`analysis.clean.draft_config`.

CSV, TSV and TXT files and every sheet of an XLSX workbook, read through
:mod:`analysis.core.readers` (the encoding tried as UTF-8, with or without a
byte-order mark, then cp1252) so that a table reads here as it will when the
cycle is cleaned; the delimiter and the header row are detected first, since a
title line above the headers is common in survey-tool exports.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core.errors import InputFileError
from analysis.core.readers import decode_bytes, read_table, sniff_delimiter

#: File types read as tables; anything else in the folder is listed as skipped.
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")

@dataclass(frozen=True)
class Table:
    """One table found in the folder, read as the cleaning stage will read it."""

    path: Path
    sheet: str | None
    encoding: str | None  # how a text file decoded ("UTF-8 with a byte-order mark", "cp1252", ...)
    delimiter: str | None
    header_row: int  # 1-based row of the headers
    frame: pd.DataFrame  # the data rows under the headers, every cell as read
    #: Whether the cleaning stage's own delimiter sniffing finds the same delimiter (if not, the draft names it).
    delimiter_agrees: bool = True

    @property
    def label(self) -> str:
        return self.path.name + (f", sheet {self.sheet!r}" if self.sheet else "")


def detect_header_row(rows: list[list[object]]) -> int:
    """The 1-based row holding the headers: the first wide row of mostly text cells.

    Title lines and blank lines above a header ("Survey export, 1 March 2025")
    are narrower than the table, and a data row is the first to hold numbers.
    """
    def filled(row: list[object]) -> list[str]:
        return [str(c).strip() for c in row if c is not None and c == c and str(c).strip()]

    widths = [len(filled(r)) for r in rows]
    widest = max(widths, default=0)
    for index, row in enumerate(rows):
        cells = filled(row)
        wordy = [c for c in cells if not re.fullmatch(r"[\d\s.,:/+-]+", c)]
        if len(cells) >= max(2, 0.6 * widest) and len(wordy) >= 0.8 * len(cells):
            return index + 1
    return 1


def _text_encoding(raw: bytes, used: str) -> str:
    if used == "utf-8-sig":
        return "UTF-8 with a byte-order mark" if raw.startswith(b"\xef\xbb\xbf") else "UTF-8"
    return used


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the most of the first lines into the same number (2+) of cells.

    Steadier than :class:`csv.Sniffer` when a title line or a comma inside an answer
    precedes the table; falls back to :func:`analysis.core.readers.sniff_delimiter`.
    """
    lines = [line for line in text[:200_000].splitlines() if line.strip()][:30]
    best: tuple[int, int, str] | None = None
    for delimiter in ",;\t|":
        widths = pd.Series([len(next(csv.reader([line], delimiter=delimiter))) for line in lines])
        wide = widths[widths > 1]
        if wide.empty:
            continue
        modal = int(wide.mode().max())
        score = (int((widths == modal).sum()), modal, delimiter)
        best = score if best is None or score[:2] > best[:2] else best
    return best[2] if best else sniff_delimiter(text)


def _read_text_table(path: Path) -> Table:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(path, "the file is empty")
    text, used = decode_bytes(raw, path)
    delimiter = detect_delimiter(text)
    rows = list(csv.reader(io.StringIO(text[:200_000]), delimiter=delimiter))[:30]
    header_row = detect_header_row(rows)
    if header_row == 1:
        frame = read_table(path, delimiter=delimiter)
    else:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, skiprows=header_row - 1, engine="python")
        frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if len([c for c in frame.columns if c != "source_row"]) < 2:
        raise InputFileError(path, "not a table (one column or none): a document rather than an export?")
    return Table(path, None, _text_encoding(raw, used), delimiter, header_row, frame,
                 delimiter_agrees=sniff_delimiter(text) == delimiter)


def _read_sheets(path: Path) -> tuple[list[Table], list[tuple[str, str]]]:
    try:
        workbook = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a corrupt workbook
        raise InputFileError(path, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    tables, skipped = [], []
    for sheet in workbook.sheet_names:
        top = pd.read_excel(workbook, sheet_name=sheet, header=None, nrows=30, dtype=object)
        if top.dropna(how="all").empty:
            skipped.append((f"{path.name}, sheet {sheet!r}", "the sheet is empty"))
            continue
        header_row = detect_header_row(top.to_numpy().tolist())
        if header_row == 1:
            try:
                frame = read_table(path, sheet=sheet)
            except InputFileError as exc:
                skipped.append((f"{path.name}, sheet {sheet!r}", exc.problem))
                continue
        else:
            frame = pd.read_excel(workbook, sheet_name=sheet, header=header_row - 1, dtype=object,
                                  keep_default_na=False, na_filter=False)
            frame.columns = [str(c).strip() for c in frame.columns]
        tables.append(Table(path, str(sheet), None, None, header_row, frame))
    return tables, skipped


def find_tables(folder: Path) -> tuple[list[Table], list[tuple[str, str]]]:
    """Read every table directly in ``folder`` (sub-folders are not searched).

    Returns
    -------
    (tables, skipped)
        Tables in file-name order (sheets in workbook order), and ``(what, why)`` for
        every file, sheet or sub-folder that is not a readable table.
    """
    tables: list[Table] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            skipped.append((path.name + "/", "a sub-folder (not searched)"))
        elif path.suffix.lower() not in TABLE_SUFFIXES:
            skipped.append((path.name, "not a CSV, TXT or XLSX file"))
        else:
            try:
                if path.suffix.lower() in (".xlsx", ".xlsm"):
                    found, empty = _read_sheets(path)
                    tables.extend(found)
                    skipped.extend(empty)
                else:
                    tables.append(_read_text_table(path))
            except InputFileError as exc:
                skipped.append((path.name, exc.problem))
    return tables, skipped
