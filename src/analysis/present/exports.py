"""Formula-safe spreadsheet exports: the one writer for every CSV the project publishes.

A spreadsheet program (Excel, LibreOffice, Google Sheets) that opens a CSV
treats a cell beginning with ``=``, ``+``, ``-`` or ``@`` as a formula:
``=HYPERLINK("http://evil","x")`` becomes a link that can send the sheet's
contents away, ``=cmd|' /C calc'!A0`` asks to start a program. Review sheets,
"you said, we did" tables and ledgers carry text typed by respondents,
analysts and action owners, so every text cell is neutralised before it is
written, following OWASP's CSV-injection guidance (and ASVS 5.0, 1.2.10): a
text cell whose first character is ``=``, ``+``, ``-``, ``@``, tab, carriage
return or NUL gets a leading single quote, which every spreadsheet program
reads as "this cell is text".

The rule, exactly as implemented (:func:`is_formula_text`)
----------------------------------------------------------
* Only **text** is touched: strings in ``object``, ``string``/``str`` and
  categorical columns, and text column names. Numbers in numeric columns
  (including negative numbers, which pandas writes as ``-5``) are left alone:
  a spreadsheet reads them as the same number, never as a formula.
* A text cell is neutralised when it starts with one of the trigger characters
  above, or with their full-width forms (``＝ ＋ － ＠``, which some
  spreadsheet programs in East-Asian locales treat like the ASCII ones).
* The one exception: a text cell that is exactly a plain number (``-5``,
  ``+3``, ``-0.25``, ``-1.5e-05``, ``-inf``: optional sign, digits, optional
  decimal part and exponent, as pandas writes numbers) is left alone. A spreadsheet reads it as that number and it cannot call
  anything; quoting it would turn a number into text (``deidentify`` reads
  every cell as text, so ages and scores would otherwise stop being numbers).
  ``-5+1``, ``-A1`` or ``-1,000`` are not plain numbers and are neutralised.
* :func:`write_csv` also turns carriage returns inside text into line feeds
  (which the CSV writer quotes; a bare CR would end the row in a spreadsheet and
  start the next one with whatever follows it, ``=cmd|...`` included).
* Everything else is written byte for byte as pandas writes it (same
  encoding, line endings, float format and quoting).

Known limit: a spreadsheet that splits CSV on semicolons (some non-UK
locales) would see ``a;=1+1`` as two cells; the project writes comma-separated
files for UK readers and does not rewrite text inside a cell.

A round trip is not symmetric: a neutralised cell reads back with its quote
(``'=x``). Files the pipeline reads back (the theme registry, the analysts'
decisions template) therefore keep a hostile label quoted from then on, which
is the safe direction.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet cell a formula (OWASP / ASVS), plus their full-width forms.
FORMULA_TRIGGERS: frozenset[str] = frozenset({"=", "+", "-", "@", "\t", "\r", "\0", "＝", "＋", "－", "＠"})
#: Text that is exactly a plain decimal number is read as that number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf)")
#: The quote spreadsheet programs read as "the rest of this cell is text".
QUOTE = "'"


def is_formula_text(value: object) -> bool:
    """True when ``value`` is text a spreadsheet would read as a formula.

    Examples
    --------
    >>> [is_formula_text(v) for v in ("=SUM(1)", "@SUM(1)", "\\t=1", "-5", "-5+1", "Brent", -5)]
    [True, True, True, False, True, False, False]
    """
    return (isinstance(value, str) and value[:1] in FORMULA_TRIGGERS
            and _PLAIN_NUMBER.fullmatch(value) is None)


def neutralise_text(value: Any) -> Any:
    """``value`` with a leading single quote when it is formula text; anything else unchanged."""
    return QUOTE + value if is_formula_text(value) else value


def _is_text_dtype(dtype: Any) -> bool:
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)) and \
        not isinstance(dtype, pd.CategoricalDtype)


def _neutralise_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutralise_index(level) for level in index.levels])
    if isinstance(index.dtype, pd.CategoricalDtype) or _is_text_dtype(index.dtype):
        if any(is_formula_text(v) for v in index):
            return index.map(neutralise_text)
    return index


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which no text cell, column name or index label reads as a formula.

    Pure: ``frame`` is not modified. Numeric, boolean and datetime columns are
    returned as they are; text columns keep their dtype (categorical columns
    get neutralised category names). See the module docstring for the rule.

    Parameters
    ----------
    frame
        Any table about to be written for people to open.

    Returns
    -------
    pd.DataFrame
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = values.cat.categories
            if any(is_formula_text(c) for c in categories):
                out.isetitem(position, values.cat.rename_categories([neutralise_text(c) for c in categories]))
        elif _is_text_dtype(values.dtype):
            # A plain boolean array: Series.map on an all-missing Arrow string column returns strings.
            flagged = np.fromiter((is_formula_text(v) for v in values.array), dtype=bool, count=len(values))
            if flagged.any():
                fixed = values.copy()
                fixed[flagged] = QUOTE + values[flagged].astype(str)
                out.isetitem(position, fixed)
    out.columns = _neutralise_index(out.columns)
    out.index = _neutralise_index(out.index)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write ``frame`` as CSV with formula text neutralised; ``kwargs`` go to :meth:`pandas.DataFrame.to_csv`.

    The file is what ``frame.to_csv(path, index=False, **kwargs)`` writes, except
    for neutralised cells. ``index`` defaults to False (no published table
    carries pandas' index).

    Returns
    -------
    Path
        ``path``.
    """
    kwargs.setdefault("index", False)
    _line_feeds_only(neutralise_formulas(frame)).to_csv(path, **kwargs)
    return Path(path)


def _line_feeds_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Carriage returns inside text become line feeds.

    Python's CSV writer quotes a field that holds a line feed but not one that
    holds only a carriage return, and spreadsheets end a row at a bare CR: the
    text after it (``"fine\r=cmd|..."``) would start a new row, as a formula.
    """
    out = frame
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if _is_text_dtype(values.dtype):
            has_cr = np.fromiter((isinstance(v, str) and "\r" in v for v in values.array), dtype=bool,
                                 count=len(values))
            if has_cr.any():
                if out is frame:
                    out = frame.copy()
                fixed = values.copy()
                fixed[has_cr] = values[has_cr].str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
                out.isetitem(position, fixed)
    return out


def formula_cells(path: str | Path) -> list[str]:
    """Every cell of a written CSV or XLSX file that a spreadsheet would read as a formula.

    Reads the file the way a spreadsheet does: every CSV field as text (so a
    cell is judged by its characters, whatever its column held), and in a
    workbook every cell holding a formula or formula-looking text. Use it over
    a whole report folder to prove the exports are safe.

    Parameters
    ----------
    path
        A ``.csv`` (any encoding pandas reads as UTF-8, with or without BOM) or ``.xlsx`` file.

    Returns
    -------
    list[str]
        ``"<file>:<row>:<column>: <value>"`` per offending cell (rows and columns
        counted as a spreadsheet shows them, header = row 1); empty when safe.
    """
    path = Path(path)
    found: list[str] = []
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        value = cell.value
                        if cell.data_type == "f" or is_formula_text(value):
                            found.append(f"{path.name}:{sheet.title}!{cell.coordinate}: {str(value)[:60]!r}")
        finally:
            workbook.close()
        return found
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        for r, row in enumerate(csv.reader(handle), start=1):
            for c, value in enumerate(row, start=1):
                if is_formula_text(value):
                    found.append(f"{path.name}:{r}:{c}: {value[:60]!r}")
    return found
