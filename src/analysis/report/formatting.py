"""How the summary page writes numbers and action statuses (also the templates' filters).

A missing value (suppressed, or not recorded) is always written ``"–"``, so a hidden number never reads as zero.
"""

from __future__ import annotations

import re
from typing import Any


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out  # NaN -> None


def fmt_pct(value: Any, digits: int = 0) -> str:
    """``45.2`` -> ``"45%"``; missing -> ``"–"`` (suppressed or not available)."""
    number = _num(value)
    return "–" if number is None else f"{number:.{digits}f}%"


def fmt_int(value: Any) -> str:
    """``12345`` -> ``"12,345"``; missing -> ``"–"``."""
    number = _num(value)
    return "–" if number is None else f"{number:,.0f}"


def fmt_points(value: Any) -> str:
    """A change in percentage points: ``4.6`` -> ``"+5 points"``, ``-1.2`` -> ``"-1 point"``."""
    number = _num(value)
    if number is None:
        return "–"
    rounded = round(number)
    sign = "+" if rounded > 0 else "" if rounded == 0 else "-"
    return f"{sign}{abs(rounded)} point{'' if abs(rounded) == 1 else 's'}"


def fmt_interval(low: Any, high: Any, digits: int = 0) -> str:
    """``(40.1, 50.3)`` -> ``"40% to 50%"``."""
    lo, hi = _num(low), _num(high)
    if lo is None or hi is None:
        return "–"
    return f"{lo:.{digits}f}% to {hi:.{digits}f}%"


def _status_rank(status: str) -> int:
    from analysis.core import vocab

    order = list(vocab.ACTION_STATUSES)
    return order.index(status) if status in order else len(order)


def _status_class(status: str) -> str:
    return "status-" + re.sub(r"[^a-z]+", "-", str(status).lower()).strip("-")
