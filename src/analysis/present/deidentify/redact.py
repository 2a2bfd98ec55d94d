"""Redacting free text: the rules, then the model, over one text, a column or a logged value."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence

import pandas as pd

from analysis.present.deidentify.names import _model_pass
from analysis.present.deidentify.patterns import PLACEHOLDER_TYPES
from analysis.present.deidentify.rules import _redact_rules


def redact_text(
    text: str, names: Iterable[str] = (), *, model: bool = True
) -> tuple[str, collections.Counter[str]]:
    """Replace identifiers in one piece of free text with typed placeholders.

    Parameters
    ----------
    text
        A free-text answer, as typed by a respondent.
    names
        Names to remove wherever they occur: the respondent's own name fields
        and configured staff names. Blank or missing entries are ignored.
        A full name matches in any case; each part of three letters or more
        matches only when capitalised in the text. Leading titles ("Dr",
        "Sister") are ignored in the list and kept in the text.
    model
        Also run the person-name model (the default). ``False`` applies the
        rules alone (for comparison in the benchmark; never for publication).

    Returns
    -------
    tuple[str, collections.Counter[str]]
        The redacted text, and the number of replacements by placeholder type
        (keys from :data:`PLACEHOLDER_TYPES`; types with no replacement absent).

    Examples
    --------
    >>> redact_text("ring me on 07700 900123 or email jo.bloggs@gmail.com")[0]
    'ring me on [PHONE] or email [EMAIL]'
    >>> redact_text("Dr Patel saw me at 2pm on Ward 10")[0]
    'Dr [NAME] saw me at 2pm on Ward 10'
    """
    out, counts = _redact_rules(text, names)
    if model:
        ((out, n),) = _model_pass([out])
        if n:
            counts["NAME"] += n
    return out, counts


def _row_names(value: object) -> list[str]:
    """Name field(s) of one row: a string, NA, or a list/tuple of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        fields = [v for v in value if isinstance(v, str) and v.strip()]
        # First name and surname held in separate columns are also one full name.
        return fields + ([" ".join(fields)] if len(fields) > 1 else [])
    return []


def redact_series(
    texts: pd.Series,
    names: pd.Series | None = None,
    staff_names: Sequence[str] = (),
    *,
    model: bool = True,
) -> tuple[pd.Series, pd.DataFrame]:
    """Redact a column of free text row by row.

    Parameters
    ----------
    texts
        Free-text answers; missing values stay missing.
    names
        Each row's own name field(s), aligned on ``texts``' index: a string,
        NA, or a tuple of strings (e.g. first name and surname columns).
    staff_names
        Names redacted in every row (``deidentification.staff_names``).
    model
        Also run the person-name model (see :func:`redact_text`); the texts are
        sent to it in batches, each distinct text once.

    Returns
    -------
    redacted : pandas.Series
        Same index, name and (string/object) dtype as ``texts``.
    counts : pandas.DataFrame
        Columns ``type`` (every placeholder type, even if zero) and ``count``,
        sorted by count, largest first; ties keep :data:`PLACEHOLDER_TYPES` order.
    """
    if names is not None and not names.index.equals(texts.index):
        names = names.reindex(texts.index)
    staff = [s for s in staff_names if isinstance(s, str)]
    total: collections.Counter[str] = collections.Counter()
    out: list[object] = []
    pending: list[int] = []
    row_names = names.tolist() if names is not None else [None] * len(texts)
    for value, own in zip(texts.tolist(), row_names, strict=True):
        if not isinstance(value, str):
            if value is None or pd.isna(value):
                out.append(value)
                continue
            value = str(value)
        redacted, counts = _redact_rules(value, [*staff, *_row_names(own)])
        total.update(counts)
        pending.append(len(out))
        out.append(redacted)
    if model and pending:
        for position, (redacted, n) in zip(pending, _model_pass([out[i] for i in pending]), strict=True):
            out[position] = redacted
            total["NAME"] += n
    dtype = texts.dtype if (pd.api.types.is_string_dtype(texts.dtype) or texts.dtype == object) else "str"
    result = pd.Series(out, index=texts.index, name=texts.name, dtype=dtype)
    table = pd.DataFrame(
        {"type": list(PLACEHOLDER_TYPES), "count": [int(total[t]) for t in PLACEHOLDER_TYPES]}
    )
    table = table.sort_values("count", ascending=False, kind="stable", ignore_index=True)
    return result, table


def redact_value(value: object) -> object:
    """Redact one logged value (a rejected cell): text is redacted, anything else passes.

    Parameters
    ----------
    value
        A raw cell as echoed into a ledger or problems log.

    Returns
    -------
    object
        The redacted text, or ``value`` unchanged when it is not a string.
    """
    if not isinstance(value, str) or not value.strip():
        return value
    return redact_text(value)[0]
