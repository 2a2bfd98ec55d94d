"""Read raw exports (CSV in any common encoding and delimiter, or XLSX) without losing anything.

Every cell is read as text (CSV) or as the spreadsheet's own value (XLSX), with
pandas' NA guessing switched off: "N/A" and "None" are answers to be classified
by the standardisers, not missing values to be silently dropped. Each row keeps
its ``source_row``: the row number a person sees when opening the file in a
spreadsheet (header = row 1), so the rejects ledger can point at it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from analysis.core.errors import InputFileError

#: Encodings tried, in order, when ``encoding="auto"``. UTF-8 (with or without a
#: byte-order mark) is strict, so a cp1252 file fails it and falls through.
AUTO_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252")
SOURCE_ROW = "source_row"
_CANDIDATE_DELIMITERS = ",;\t|"


def normalise_header(header: object) -> str:
    """Canonical form of a column header for matching: no BOM, case-folded, single spaces."""
    text = str(header).replace("\ufeff", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode_bytes(raw: bytes, path: Path, encoding: str = "auto") -> tuple[str, str]:
    """Decode a CSV file's bytes, detecting the encoding when asked.

    Returns
    -------
    (text, encoding used)

    Raises
    ------
    InputFileError
        When the bytes cannot be decoded; names the line of the first bad byte.
    """
    candidates = AUTO_ENCODINGS if encoding == "auto" else (encoding,)
    first_error: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
        except LookupError:
            raise InputFileError(path, f"unknown encoding {candidate!r} in the config") from None
    assert first_error is not None
    line = _line_of_offset(raw, first_error.start)
    bad = raw[first_error.start:first_error.start + 1].hex()
    tried = ", ".join(candidates)
    raise InputFileError(
        path,
        f"cannot decode byte 0x{bad} (tried {tried}); save the file as UTF-8 or set its encoding in the config",
        row=line,
    )


def sniff_delimiter(text: str) -> str:
    """Guess the delimiter from the first lines; comma when unsure."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_csv_text(path: Path, *, encoding: str = "auto", delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV export as text cells, detecting encoding and delimiter."""
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(path, "the file is empty")
    text, _ = decode_bytes(raw, path, encoding)
    sep = delimiter or sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=True, engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise InputFileError(
            path, f"not a readable CSV ({str(exc).splitlines()[0]})",
            row=int(match.group(1)) if match else None,
        ) from None
    return frame


def read_xlsx(path: Path, *, sheet: str | None) -> pd.DataFrame:
    """Read one sheet of a workbook, keeping Excel's own dates and numbers."""
    import openpyxl  # noqa: F401  (pandas' engine; imported here for a clear error if missing)

    try:
        workbook = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a corrupt workbook
        raise InputFileError(path, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheets = workbook.sheet_names
    if sheet is None:
        if len(sheets) != 1:
            raise InputFileError(path, f"the workbook has several sheets {sheets}; name one with 'sheet' in the config")
        sheet = sheets[0]
    if sheet not in sheets:
        raise InputFileError(path, f"no sheet named {sheet!r}; the workbook has {sheets}")
    frame = workbook.parse(sheet, dtype=object, keep_default_na=False, na_filter=False)
    return frame


def read_table(
    path: str | Path, *, encoding: str = "auto", delimiter: str | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read a raw CSV or XLSX export with a ``source_row`` column.

    Parameters
    ----------
    path
        The export.
    encoding
        ``"auto"`` tries UTF-8 (with or without BOM) then cp1252; otherwise a codec name.
    delimiter
        ``None`` sniffs it.
    sheet
        Sheet name for XLSX (optional when the workbook has one sheet).

    Returns
    -------
    pd.DataFrame
        Columns as in the file (headers stripped of BOM and surrounding spaces), all
        cells as text (CSV) or Excel values (XLSX), blank cells as ``""``, plus
        ``source_row`` (spreadsheet row number, header = 1). Entirely blank rows are dropped.

    Raises
    ------
    InputFileError
        Missing, empty, undecodable or unreadable files, or a header with no data rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    if path.stat().st_size == 0:
        raise InputFileError(path, "the file is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = read_xlsx(path, sheet=sheet)
    else:
        frame = read_csv_text(path, encoding=encoding, delimiter=delimiter)
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
    if len(frame.columns) == 0 or len(unnamed) == len(frame.columns):
        raise InputFileError(path, "no header row found")
    # Spreadsheet row numbers: header is row 1, so the first record is row 2.
    frame.insert(0, SOURCE_ROW, range(2, len(frame) + 2))
    value_columns = [c for c in frame.columns if c != SOURCE_ROW]
    blank = frame[value_columns].apply(
        lambda col: col.map(lambda v: v is None or (isinstance(v, str) and not v.strip()) or v != v)
    ).all(axis=1)
    frame = frame.loc[~blank].reset_index(drop=True)
    if frame.empty:
        raise InputFileError(path, "the file has a header but no data rows")
    return frame


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a processed parquet table through a Python file handle.

    Why not ``pd.read_parquet(path)``: given a path, pyarrow opens the file in C++, out of sight of
    Python's audit events, so the runner (:mod:`analysis.core.file_reads`) could not see that a
    notebook read it, and could reuse the notebook's results after the table had changed. Every
    parquet read of the project goes through here (a test checks the source and the notebooks).
    """
    with open(path, "rb") as handle:  # noqa: PTH123 - the builtin raises the audit event
        return pd.read_parquet(handle, columns=columns)
