"""Text primitives shared by every stage: missing-value tests, matching keys, open-text normalisation.

Moved here from :mod:`analysis.clean.standardise` so that the theme stage can classify non-answers
without importing the cleaning stage (the one-way import rule). Every function is pure.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Hashable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "NON_ANSWER_KINDS",
    "as_text",
    "classify_non_answer",
    "is_missing",
    "match_key",
    "normalise_text",
    "word_count",
]

#: Kinds of non-answer in open text, in vocabulary order; "very short" is a
#: flag on real (substantive) answers, not a non-answer.
NON_ANSWER_KINDS: tuple[str, ...] = (
    "nothing", "no comment", "not applicable", "don't know", "very short",
)

# --------------------------------------------------------------------------
# Normalisation helpers
# --------------------------------------------------------------------------
#: Straight and curly apostrophes, backtick, acute accent and modifier apostrophe.
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4\u02bc")
_NON_WORD = re.compile(r"[^\w+]+|_")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def _is_missing(value: object) -> bool:
    """True for None, NaN, NA and NaT (never raises on odd objects)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: object) -> str:
    """Raw scalar as text; integral floats lose their '.0' so 4.0 reads as '4'."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _clean_spaces(text: str) -> str:
    """NFKC (turns NBSP and other odd spaces into spaces), strip, collapse runs."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _key(value: object) -> str:
    """Matching key: lower case, no apostrophes, '&' -> 'and', punctuation -> space.

    "Don’t  Know", "dont know" and "DON'T KNOW" all give "dont know";
    "White - Irish" gives "white irish"; "H&F" gives "h and f". '+' survives
    because it changes meaning in age bands ("65+").
    """
    text = _clean_spaces(_as_text(value)).lower().translate(_APOSTROPHES).replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def _map_unique(raw: pd.Series, parse: Callable[[object], tuple]) -> list[tuple]:
    """Apply ``parse`` once per distinct raw value and return one result per row.

    The cache key includes the type so that 1, 1.0, True and "1" are parsed
    separately (they can mean different things); unhashable values are parsed
    every time.
    """
    if not isinstance(raw, pd.Series):
        raise TypeError(f"expected a pandas Series, got {type(raw).__name__}")
    cache: dict[tuple[type, Hashable], tuple] = {}
    out: list[tuple] = []
    for value in raw.array:
        try:
            cache_key = (type(value), value)
            hit = cache.get(cache_key)
        except TypeError:
            out.append(parse(value))
            continue
        if hit is None:
            hit = cache[cache_key] = parse(value)
        out.append(hit)
    return out


def _frame(raw: pd.Series, rows: list[tuple], columns: Mapping[str, str]) -> pd.DataFrame:
    """Build the result frame on ``raw``'s index with the given column dtypes."""
    data = {}
    for i, (name, dtype) in enumerate(columns.items()):
        values = [row[i] for row in rows]
        if dtype == "Int64":
            data[name] = pd.array(values, dtype="Int64")
        elif dtype == "bool":
            data[name] = np.array(values, dtype=bool)
        else:
            data[name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(data, index=raw.index)


# --------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------
#: Common UTF-8-read-as-Windows-1252 sequences, used when a whole-string repair fails.
_MOJIBAKE: tuple[tuple[str, str], ...] = (
    ("\u00e2\u20ac\u2122", "\u2019"),  # right single quote
    ("\u00e2\u20ac\u02dc", "\u2018"),  # left single quote
    ("\u00e2\u20ac\u0153", "\u201c"),  # left double quote
    ("\u00e2\u20ac\u009d", "\u201d"),  # right double quote
    ("\u00e2\u20ac\u201c", "\u2013"),  # en dash
    ("\u00e2\u20ac\u201d", "\u2014"),  # em dash
    ("\u00e2\u20ac\u00a6", "\u2026"),  # ellipsis
    ("\u00c3\u00a9", "\u00e9"), ("\u00c3\u00a8", "\u00e8"), ("\u00c3\u00a1", "\u00e1"),
    ("\u00c3\u00b6", "\u00f6"), ("\u00c3\u00bc", "\u00fc"),  # accented letters
    ("\u00c2\u00a3", "\u00a3"),  # pound sign
    ("\u00c2\u00a0", " "),  # non-breaking space
)
_MOJIBAKE_MARK = re.compile("[ÃÂ]|â€")
#: Zero-width characters that split words invisibly.
_ZERO_WIDTH = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


def _fix_mojibake(text: str) -> str:
    if not _MOJIBAKE_MARK.search(text):
        return text
    try:
        # Undo the whole mis-decoding at once when the string allows it.
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        for bad, good in _MOJIBAKE:
            text = text.replace(bad, good)
        return text


def _normalise_one(value: object) -> str | None:
    if _is_missing(value):
        return None
    text = _fix_mojibake(_as_text(value)).translate(_ZERO_WIDTH)
    # str.split() without arguments splits on NBSP and every other Unicode space.
    text = " ".join(text.split())
    return text or None


def normalise_text(text: pd.Series) -> pd.Series:
    """Tidy free text: repair common mojibake, unify spaces, blank -> NA.

    Strips the ends, collapses runs of whitespace (including line breaks,
    non-breaking and zero-width spaces) to one space, and repairs text that
    was UTF-8 read as Windows-1252 ("donâ€™t" -> "don’t", "cafÃ©" -> "café").
    Wording, case and punctuation are otherwise left alone.

    Parameters
    ----------
    text
        Raw free-text column; non-text values are converted with ``str``.

    Returns
    -------
    pandas.Series
        ``str`` dtype, same index and name, NA where the text is blank.
    """
    values = _map_unique(text, lambda v: (_normalise_one(v),))
    return pd.Series(pd.array([v[0] for v in values], dtype="str"), index=text.index, name=text.name)


_WORD = re.compile("[^\\W_]+(?:['\u2019][^\\W_]+)*")


def word_count(text: pd.Series) -> pd.Series:
    """Number of words (runs of letters/digits; "don't" is one word) per value.

    Returns
    -------
    pandas.Series
        int64, same index and name; 0 for missing or punctuation-only text.
    """
    counts = _map_unique(text, lambda v: (0 if _is_missing(v) else len(_WORD.findall(_as_text(v))),))
    return pd.Series(np.array([c[0] for c in counts], dtype="int64"), index=text.index, name=text.name)


# Non-answer patterns, matched against the whole _key() of the answer.
_POLITE = r"(?: (?:thanks|thank you|thankyou|cheers))?"
_NON_ANSWER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("not applicable", re.compile(r"^(?:n a|na|not applicable|not relevant|nil applicable)" + _POLITE + "$")),
    ("no comment", re.compile(
        r"^(?:no|none|no further|no other|no additional|nothing to) comments?(?: to make| to add)?" + _POLITE + "$")),
    ("don't know", re.compile(
        r"^(?:i )?(?:dont know|do not know|dunno|dk|not sure|unsure|no idea|im not sure|i am not sure)"
        r"(?: really)?" + _POLITE + "$")),
    ("nothing", re.compile(
        r"^(?:absolutely |really |honestly |no |)?(?:nothing|none|nil|no|nope|nah|not really)"
        r"(?: really| at all| to add| else| more| to say| further| to report| i can think of)?"
        + _POLITE + "$")),
)


def _classify_one(value: object, min_words: int) -> tuple[bool, str | None]:
    if _is_missing(value):
        return False, None
    raw_text = " ".join(_as_text(value).split())
    if not raw_text:
        return False, None
    key = _key(raw_text)
    if not key:
        # Only punctuation ("-", ".", "?"): the respondent declined to write.
        return True, "no comment"
    for kind, pattern in _NON_ANSWER_PATTERNS:
        if pattern.match(key):
            return True, kind
    if len(_WORD.findall(raw_text)) < min_words:
        return False, "very short"
    return False, None


def classify_non_answer(text: pd.Series, *, min_words: int = 3) -> pd.DataFrame:
    """Flag open-text answers that say nothing ("N/A", "Nothing.", "don't know").

    Non-answers are flagged, never removed: counts of them are findings too.

    Rules (documented choice): ``is_non_answer`` is True only for true
    non-answers, whose ``non_answer_kind`` is "nothing" ("nothing", "none",
    "no", "nope", "nothing really", "nothing to add"), "no comment" ("no
    comment(s)", punctuation only such as "-" or "."), "not applicable"
    ("N/A", "NA", "not applicable") or "don't know" ("don't know", "not
    sure"). A real answer with fewer than ``min_words`` words ("All good",
    "Everything.") keeps ``is_non_answer`` False but gets kind "very short",
    so it can be counted or filtered without being thrown away. Blank or
    missing text is not a comment at all: False with kind NA (the cleaning
    stage drops such rows before this is called).

    Note that "no" is treated as a non-answer as the mess contract requires;
    for a yes/no-style question it could be substantive.

    Parameters
    ----------
    text
        Open-text answers (ideally after :func:`normalise_text`).
    min_words
        Answers with fewer words than this are "very short" (config
        ``themes.min_words``).

    Returns
    -------
    pandas.DataFrame
        Same index as ``text``; ``is_non_answer`` (bool) and
        ``non_answer_kind`` (str from ``NON_ANSWER_KINDS`` or NA).
    """
    rows = _map_unique(text, lambda v: _classify_one(v, min_words))
    return _frame(text, rows, {"is_non_answer": "bool", "non_answer_kind": "str"})

# Public names for the primitives the cleaning stage shares.
is_missing = _is_missing
as_text = _as_text
match_key = _key
