"""Tables for readers: plain-word headers, formatted numbers, accessible HTML.

Shared by every notebook so that published tables look and read the same
everywhere (no index column, thousands separators, "–" for suppressed or
missing values, a caption for screen readers).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


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
        Values already 0..100, one decimal ("45.2").
    shares
        Values 0..1 shown as percentages, one decimal.
    ratios
        Two decimals ("0.42").
    flags
        Booleans shown as "Yes" or blank.
    intervals
        New column -> (low column, high column), shown as "13.4 to 19.5".
    share_intervals
        Interval bounds are shares (0..1) rather than percentages.
    missing
        Text for a missing or suppressed value.

    Returns
    -------
    pd.DataFrame
        Strings only, columns renamed and ordered as ``columns``.
    """
    out = table.copy()

    def fmt(values: pd.Series, pattern: str, scale: float = 1.0) -> pd.Series:
        numbers = pd.to_numeric(values, errors="coerce").astype(float) * scale
        return pd.Series([missing if pd.isna(v) else pattern.format(v) for v in numbers], index=values.index,
                         dtype="string")

    for col in counts:
        out[col] = fmt(out[col], "{:,.0f}")
    for col in percents:
        out[col] = fmt(out[col], "{:.1f}")
    for col in shares:
        out[col] = fmt(out[col], "{:.1f}", 100.0)
    for col in ratios:
        out[col] = fmt(out[col], "{:.2f}")
    for col in flags:
        out[col] = out[col].map(lambda v: "Yes" if v is True or v == 1 else "").astype("string")
    scale = 100.0 if share_intervals else 1.0
    for name, (low, high) in (intervals or {}).items():
        lo = pd.to_numeric(out[low], errors="coerce").astype(float) * scale
        hi = pd.to_numeric(out[high], errors="coerce").astype(float) * scale
        text = [missing if pd.isna(a) or pd.isna(b) else f"{a:.1f} to {b:.1f}" for a, b in zip(lo, hi, strict=True)]
        out[name] = pd.Series(text, index=out.index, dtype="string")
    shown = out[list(columns)].rename(columns=columns)
    return shown.astype("string").fillna(missing)


def html_table(frame: pd.DataFrame, caption: str) -> str:
    """A formatted table as accessible HTML with a caption (no index column).

    Parameters
    ----------
    frame
        Usually the output of :func:`format_table`.
    caption
        What the table shows; read out by screen readers before the table.

    Returns
    -------
    str
        ``<table>`` markup; display it with ``IPython.display.HTML``.
    """
    import html

    markup = frame.to_html(index=False, border=0, escape=True, classes="dataframe report-data")
    return markup.replace(">", f">\n<caption>{html.escape(caption)}</caption>", 1)
