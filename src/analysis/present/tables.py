"""Tables for readers: one renderer for every table a reader sees.

:func:`render_table` turns any frame into accessible, escaped HTML that looks
published rather than dumped from a notebook:

* no pandas index (a *named* index, or one holding labels, becomes a column);
* human headers: a mapping passed in, else snake_case becomes "Sentence case"
  words with known acronyms kept (``theme_id`` -> "Theme ID",
  ``pct_positive`` -> "% positive", ``n_comments`` -> "Number of comments");
* missing values (``<NA>``, ``NaN``, ``None``, ``NaT``) blank;
* booleans "Yes"/"No"; integers with thousands separators; floats with a
  chosen number of decimals per column; percentages always "45.2%";
* numeric columns right-aligned by the class ``num`` on their ``th`` and
  ``td`` (styled in ``analysis/report/assets/report.css``), decided from the
  column's format, never by reading the HTML back;
* every text cell escaped with :func:`html.escape`: text from data is never
  markup;
* paths shown relative to the repository, never as absolute paths.

:func:`format_table` (a reader-facing copy of a suppressed table as text, with
intervals) and :func:`html_table` are thin wrappers kept for their callers:
``html_table(format_table(...), caption)`` gives the same markup as
:func:`render_table`.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Literal

import pandas as pd

from analysis.core import paths

#: Column kinds :func:`render_table` knows. "figures" is text already formatted as numbers (kept, right-aligned).
Kind = Literal["text", "integer", "number", "percent", "share", "flag", "figures"]
#: Kinds whose column is right-aligned.
NUMERIC_KINDS: frozenset[str] = frozenset({"integer", "number", "percent", "share", "figures"})
#: ``frame.attrs`` key listing columns already formatted as numbers (set by :func:`format_table`).
NUMERIC_ATTR = "numeric_columns"
#: Words kept in capitals in automatic headers.
ACRONYMS: frozenset[str] = frozenset({
    "nhs", "ci", "mdd", "id", "ids", "gee", "lrt", "bh", "umap", "hdbscan", "csv", "url", "uk", "gp", "icb",
    "lsoa", "imd", "fft", "sha", "json", "html",
})
#: Abbreviations spelled out (or replaced by a symbol) in automatic headers.
_WORDS: dict[str, str] = {"pct": "%", "pp": "points", "num": "number"}
#: Decimals for a float column without a format.
DEFAULT_DECIMALS = 2
#: Whole-number columns that are labels, not quantities: no thousands separator ("2,024"), not right-aligned.
_IDENTIFIER_NAMES: frozenset[str] = frozenset({"id", "wave", "year", "cycle", "row", "item", "question"})


@dataclass(frozen=True)
class Format:
    """How one column is shown.

    Parameters
    ----------
    kind
        ``"text"`` (escaped as is), ``"integer"`` ("1,234"), ``"number"``
        (``decimals`` places, thousands separators), ``"percent"`` (values
        already 0..100: "45.2%"), ``"share"`` (0..1 shown as a percentage),
        ``"flag"`` ("Yes"/"No") or ``"figures"`` (text already formatted as
        numbers: kept, right-aligned).
    decimals
        Places for ``number``, ``percent`` and ``share``.
    """

    kind: Kind = "text"
    decimals: int = 1

    @classmethod
    def parse(cls, spec: Format | str) -> Format:
        """A :class:`Format` from itself or a string such as ``"integer"``, ``"percent:0"`` or ``"number:3"``."""
        if isinstance(spec, Format):
            return spec
        kind, _, places = str(spec).partition(":")
        if kind == "ratio":  # two decimals unless told
            kind, places = "number", places or "2"
        kind = {"count": "integer", "int": "integer", "pct": "percent", "bool": "flag"}.get(kind, kind)
        if kind not in ("text", "integer", "number", "percent", "share", "flag", "figures"):
            raise ValueError(f"unknown table format {spec!r}: use text, integer, number[:d], percent[:d], share[:d], "
                             "ratio[:d], flag or figures")
        if places and not places.isdigit():
            raise ValueError(f"table format {spec!r}: decimals must be a whole number, as in 'number:2'")
        default = DEFAULT_DECIMALS if kind == "number" else 1
        return cls(kind, int(places) if places else default)  # type: ignore[arg-type]


class TableHTML(str):
    """Table markup that is a string and displays itself as HTML in a notebook (``display(table)``)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)


# =========================================================================== headers
def human_header(name: Any) -> str:
    """A reader's header for a column name.

    snake_case identifiers (and all-lowercase phrases) become "Sentence case"
    words: known acronyms stay in capitals (:data:`ACRONYMS`: ``theme_id`` ->
    "Theme ID"), ``pct`` becomes "%", ``pp`` "points", and a leading ``n``
    "Number of" (``n_comments`` -> "Number of comments"). Any other name
    (already capitalised, "95% CI", a wave such as 2024, a one-letter statistic
    such as ``n`` or ``p``) is kept as written.
    """
    text = str(name)
    if (len(text) < 2 or not all(c.islower() or c.isdigit() or c in "_ " for c in text)
            or not any(c.isalpha() for c in text)):
        return text  # already words, a number (a wave), or a one-letter statistic such as n or p
    words = [w for w in text.replace(" ", "_").split("_") if w]
    if words and words[0] == "n" and len(words) > 1:
        words = ["number", "of", *words[1:]]
    out = []
    for i, word in enumerate(words):
        word = _WORDS.get(word, word)
        if word in ACRONYMS:
            out.append(word.upper())
        elif i == 0:
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)


# =========================================================================== cells
def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict, set)) else False
    except (TypeError, ValueError):  # array-like cells: not missing as a whole
        return False


def display_path(value: PurePath | str) -> str:
    """A path as a reader may see it: relative to the repository, else just the file name.

    Absolute paths name a machine's folders (often a person's home folder); they
    never appear on a page.
    """
    path = PurePath(value)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(paths.REPO_ROOT).as_posix()
    except ValueError:
        return path.name


def _text(value: Any) -> str:
    """Plain text for a cell without a numeric format (containers spelled out, paths relative)."""
    if isinstance(value, PurePath):
        return display_path(value)
    if isinstance(value, str):
        root = str(paths.REPO_ROOT) + "/"
        return value[len(root):] if value.startswith(root) else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a wave or id read as a float (a missing value elsewhere in its column)
    if isinstance(value, Mapping):
        return "; ".join(f"{_text(k)}: {format_cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(format_cell(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tolist") and not isinstance(value, numbers.Number):  # numpy arrays in a cell
        return format_cell(value.tolist())
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Number):
        return float(value)  # type: ignore[arg-type]
    return None


def format_cell(value: Any, fmt: Format | str | None = None, *, missing: str = "") -> str:
    """One cell as text (not yet escaped).

    Parameters
    ----------
    value
        Any cell value.
    fmt
        The column's :class:`Format` (or its string); None chooses by the value's type
        (bool -> flag, whole number -> integer, other number -> ``DEFAULT_DECIMALS``).
    missing
        Text for a missing value.

    Returns
    -------
    str
    """
    if _is_missing(value):
        return missing
    spec = Format.parse(fmt) if fmt is not None else None
    if spec is None:
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return "Yes" if value else "No"
        number = _number(value)
        if number is None:
            return _text(value)
        if isinstance(value, numbers.Integral):
            return f"{int(value):,}"
        return f"{number:,.{DEFAULT_DECIMALS}f}"
    if spec.kind == "flag":
        if isinstance(value, str):
            return value  # already words
        return "Yes" if bool(value) else "No"
    if spec.kind in ("text", "figures"):
        return _text(value)
    number = _number(value)
    if number is None:
        # Text in a numeric column (for example "suppressed" from format_table): shown as it is, never guessed at.
        return _text(value)
    if spec.kind == "integer":
        return f"{number:,.0f}"
    if spec.kind == "number":
        return f"{number:,.{spec.decimals}f}"
    scale = 100.0 if spec.kind == "share" else 1.0
    return f"{number * scale:,.{spec.decimals}f}%"


def _is_identifier(name: Any) -> bool:
    """``theme_id``, ``wave``, ``from_wave``, ``year``...: numbers that name something rather than count it."""
    text = str(name).lower()
    return text in _IDENTIFIER_NAMES or text.rsplit("_", 1)[-1] in _IDENTIFIER_NAMES


def _column_format(series: pd.Series) -> Format | None:
    """The format a column gets without one passed in: by dtype (None: by each value's type).

    Whole-number columns named as identifiers (``*_id``, ``wave``, ``year``, ``cycle``) are text.
    """
    if _is_identifier(series.name) and (pd.api.types.is_integer_dtype(series.dtype)
                                        or pd.api.types.is_float_dtype(series.dtype)):
        values = pd.to_numeric(series, errors="coerce").dropna()
        if bool((values == values.round()).all()):
            return Format("text")
    if pd.api.types.is_bool_dtype(series.dtype):
        return Format("flag")
    if pd.api.types.is_integer_dtype(series.dtype):
        return Format("integer")
    if pd.api.types.is_float_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").dropna()
        # Counts with a missing value arrive as floats: whole numbers stay whole numbers.
        if len(values) and bool((values == values.round()).all()) and bool((values.abs() < 2**53).all()):
            return Format("integer")
        return Format("number", DEFAULT_DECIMALS)
    return None


def _keep_index(frame: pd.DataFrame) -> bool:
    """The index says something when it is named, has several levels, or holds labels rather than row numbers."""
    index = frame.index
    if isinstance(index, pd.MultiIndex) or any(name is not None for name in index.names):
        return True
    return not (pd.api.types.is_integer_dtype(index.dtype) or len(index) == 0)


# =========================================================================== the renderer
def render_table(
    frame: pd.DataFrame | pd.Series,
    *,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, Format | str] | None = None,
    caption: str | None = None,
    missing: str = "",
    row_headers: bool = False,
    index: bool | None = None,
) -> TableHTML:
    """Any table as reader-facing HTML: human headers, formatted and aligned numbers, every cell escaped.

    Parameters
    ----------
    frame
        The table (a Series is shown as one column). Values are shown as
        they are: suppress first.
    columns
        Source column -> header. Columns not named here get
        :func:`human_header`; order and selection stay the frame's.
    formats
        Source column -> :class:`Format` or its string (``"integer"``,
        ``"number:3"``, ``"percent"``, ``"share:0"``, ``"flag"``, ``"figures"``,
        ``"text"``). Without one, a column is formatted by its dtype: booleans
        as flags, integers (and floats holding whole numbers only) with
        thousands separators, other floats with ``DEFAULT_DECIMALS`` places.
    caption
        What the table shows (read by screen readers before the table).
    missing
        Text for a missing value (blank by default).
    row_headers
        Mark each row's first cell as its header (``<th scope="row">``).
    index
        Show the index as a column: None decides (named, multi-level or label
        indexes are kept; plain row numbers are dropped).

    Returns
    -------
    TableHTML
        ``<table class="report-data">`` markup; a ``str`` that also displays
        itself in a notebook.

    Raises
    ------
    KeyError
        A ``columns`` or ``formats`` key that is not a column of the table.
    """
    data = frame.to_frame() if isinstance(frame, pd.Series) else frame
    if index if index is not None else _keep_index(data):
        data = data.reset_index()
        data.columns = ["" if str(c).startswith("level_") or c == "index" else c for c in data.columns]
    names = list(data.columns)
    unknown = [key for key in [*(columns or {}), *(formats or {})] if key not in names]
    if unknown:
        raise KeyError(f"render_table: no column {unknown[0]!r} in the table (columns: {', '.join(map(str, names))})")
    preformatted = set(data.attrs.get(NUMERIC_ATTR, ()))
    specs: list[Format | None] = []
    for pos, name in enumerate(names):
        given = (formats or {}).get(name)
        if given is not None:
            specs.append(Format.parse(given))
        elif name in preformatted:
            specs.append(Format("figures"))
        else:
            specs.append(_column_format(data.iloc[:, pos]))
    headers = [(columns or {}).get(name, human_header(name)) for name in names]
    numeric = [spec is not None and spec.kind in NUMERIC_KINDS for spec in specs]

    def cls(j: int) -> str:
        return ' class="num"' if numeric[j] else ""

    # Attributes in alphabetical order, as the page sanitiser (bleach) writes them: a table reads the same
    # in a notebook, on a notebook page and on the summary page.
    lines = ['<table class="report-data">']
    if caption:
        lines.append(f"<caption>{html.escape(caption)}</caption>")
    lines.append("<thead><tr>" + "".join(f'<th{cls(j)} scope="col">{html.escape(h)}</th>'
                                          for j, h in enumerate(headers)) + "</tr></thead>")
    lines.append("<tbody>")
    for row in data.itertuples(index=False, name=None):
        cells = []
        for j, value in enumerate(row):
            text = html.escape(format_cell(value, specs[j], missing=missing))
            tag = "th" if row_headers and j == 0 else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{cls(j)}{scope}>{text}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody>")
    lines.append("</table>")
    return TableHTML("\n".join(lines))


# =========================================================================== wrappers
def format_table(
    table: pd.DataFrame,
    columns: dict[str, str],
    *,
    counts: Sequence[str] = (),
    percents: Sequence[str] = (),
    shares: Sequence[str] = (),
    ratios: Sequence[str] = (),
    flags: Sequence[str] = (),
    intervals: dict[str, tuple[str, str]] | None = None,
    share_intervals: bool = True,
    missing: str = "–",
) -> pd.DataFrame:
    """A reader-facing copy of a table: words for headers, numbers as formatted text.

    Cells are formatted by :func:`format_cell`, as :func:`render_table` does;
    the formatted number columns are listed in ``attrs[NUMERIC_ATTR]`` so that
    :func:`html_table` (or :func:`render_table`) right-aligns them.

    Parameters
    ----------
    table
        Any published (already suppressed) table.
    columns
        Source column -> header, in display order; other columns are dropped.
        A key may name a new column created by ``intervals``.
    counts
        Whole numbers with thousands separators ("1,234").
    percents
        Values already 0..100, one decimal ("45.2%").
    shares
        Values 0..1 shown as percentages, one decimal ("16.2%").
    ratios
        Two decimals ("0.42").
    flags
        Booleans shown as "Yes" or "No".
    intervals
        New column -> (low column, high column), shown as "13.4% to 19.5%".
    share_intervals
        Interval bounds are shares (0..1) rather than percentages.
    missing
        Text for a missing or suppressed value (the methods footnote says
        hidden values read "–").

    Returns
    -------
    pd.DataFrame
        Strings only, columns renamed and ordered as ``columns``.
    """
    out = table.copy()
    kinds: dict[str, Format] = {}
    for names, spec in ((counts, Format("integer")), (percents, Format("percent")), (shares, Format("share")),
                        (ratios, Format("number", 2)), (flags, Format("flag"))):
        kinds.update({name: spec for name in names})
    for name, spec in kinds.items():
        if spec.kind != "flag":
            out[name] = pd.to_numeric(out[name], errors="coerce")  # suppressed text -> missing -> the missing mark
        out[name] = pd.Series([format_cell(v, spec, missing=missing) for v in out[name]], index=out.index,
                              dtype="string")
    bound = Format("share" if share_intervals else "percent")
    for name, (low, high) in (intervals or {}).items():
        lo, hi = pd.to_numeric(out[low], errors="coerce"), pd.to_numeric(out[high], errors="coerce")
        text = [missing if _is_missing(a) or _is_missing(b) else f"{format_cell(a, bound)} to {format_cell(b, bound)}"
                for a, b in zip(lo, hi, strict=True)]
        out[name] = pd.Series(text, index=out.index, dtype="string")
        kinds[name] = Format("figures")
    shown = out[list(columns)]
    shown = pd.DataFrame({columns[c]: [missing if _is_missing(v) else _text(v) for v in shown[c]] for c in columns},
                         index=pd.RangeIndex(len(shown)), dtype="string")
    shown.attrs[NUMERIC_ATTR] = [columns[c] for c in columns if c in kinds and kinds[c].kind != "flag"]
    return shown


def html_table(frame: pd.DataFrame, caption: str) -> TableHTML:
    """A table as accessible HTML with a caption: :func:`render_table` with its automatic headers and formats.

    Parameters
    ----------
    frame
        Usually the output of :func:`format_table` (its number columns are right-aligned).
    caption
        What the table shows; read out by screen readers before the table.

    Returns
    -------
    TableHTML
        ``<table>`` markup; display it with ``display(...)`` or ``IPython.display.HTML``.
    """
    return render_table(frame, caption=caption)
