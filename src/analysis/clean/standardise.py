"""Standardisers: turn messy raw survey columns into canonical values.

Longer than 500 lines: it holds every standardiser of raw values (dates, areas with aliases and
typos, respondent types, Likert codes, channels, the involvement ladder, free text), each small,
sharing one set of matching rules.

Every standardiser is a pure function that takes one raw column (a
:class:`pandas.Series` of ``str``/``object`` dtype whose values may be ``str``,
``int``, ``float``, ``datetime``/``Timestamp`` or missing) and returns a
:class:`pandas.DataFrame` with the **same index, in the same order** and at
least two columns:

``value``
    The canonical value (from :mod:`analysis.core.vocab`), or missing when the raw
    value is blank or could not be mapped.
``problem``
    A short plain-English reason (``str``) when a raw value could not be
    mapped or is invalid, otherwise missing. The cleaning stage sends every
    non-missing ``problem`` to the rejects ledger, so nothing unmappable is
    silently hidden.

Matching is case-insensitive and tolerant of extra, leading, trailing and
non-breaking spaces, curly apostrophes, ``&`` for ``and`` and punctuation such
as ``"White - Irish"``. Accepted spellings live in the module-level alias
tables below (``*_ALIASES``); add a spelling there, not in the functions.
The two vocabularies that differ between organisations, geography (borough)
and respondent types, come from the cycle config instead
(``config.vocabularies``, :class:`analysis.core.config.Vocabularies`) and are
passed to :func:`standardise_borough` and :func:`standardise_respondent_type`
as arguments; the example's North West London lists are only the config's defaults.
Each value is parsed once per distinct raw value and mapped back, so a
100,000-row column costs about as much as its distinct values.

The variants handled are the ones listed in the team's raw-data mess contract
(``mess.md``); tests in ``tests/test_standardise.py`` cover each of them.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.core.config import Geography, RespondentTypes
from analysis.core.text import (  # noqa: F401  (re-exported: part of this module's public interface)
    _APOSTROPHES,
    _NON_WORD,
    _NUMBER,
    NON_ANSWER_KINDS,
    _as_text,
    _clean_spaces,
    _frame,
    _is_missing,
    _key,
    _map_unique,
    classify_non_answer,
    normalise_text,
    word_count,
)

__all__ = [
    "ACTION_STATUS_ALIASES",
    "ACTIVITY_TYPE_ALIASES",
    "AGE_BAND_ALIASES",
    "BOROUGH_ALIASES",
    "BOROUGH_NOT_STATED",
    "BOROUGH_OTHER_ALIASES",
    "CHANNEL_ALIASES",
    "EQUALITY_NOT_STATED_ALIASES",
    "ETHNICITY_ALIASES",
    "ETHNICITY_AMBIGUOUS",
    "GENERIC_OUTSIDE_ALIASES",
    "GENDER_ALIASES",
    "LIKERT_ALIASES",
    "LIKERT_MISSING_ALIASES",
    "NON_ANSWER_KINDS",
    "RESPONDENT_TYPE_ALIASES",
    "SERVICE_LINE_ALIASES",
    "YES_NO_ALIASES",
    "classify_non_answer",
    "normalise_text",
    "standardise_action_status",
    "standardise_activity_type",
    "standardise_borough",
    "standardise_channel",
    "standardise_dates",
    "standardise_equality",
    "standardise_likert",
    "standardise_respondent_type",
    "standardise_service_line",
    "word_count",
]

Dataset = Literal["involvement_survey", "engagement_survey"]
EqualityField = Literal["age_band", "ethnicity", "gender", "disability", "carer_status"]

# --------------------------------------------------------------------------
# Problem messages (the rejects ledger's "reason"; kept stable for the lead)
# --------------------------------------------------------------------------
PROBLEM_LIKERT = "unknown Likert value"
PROBLEM_LIKERT_CONFLICT = "conflicting Likert code and label"
PROBLEM_DATE = "unparseable date"
PROBLEM_RESPONDENT_TYPE = "unknown respondent type"
PROBLEM_BOROUGH = "unknown borough"
PROBLEM_ETHNICITY_AMBIGUOUS = "ambiguous ethnicity"
PROBLEM_AGE_AMBIGUOUS = "ambiguous age band"
PROBLEM_SERVICE_LINE = "unknown service line"
PROBLEM_CHANNEL = "unknown channel"
PROBLEM_ACTIVITY_TYPE = "unknown activity type"
PROBLEM_ACTION_STATUS = "unknown action status"

# --------------------------------------------------------------------------
# Alias tables: canonical value -> accepted spellings. Spellings are compared
# after _key() normalisation, so case, spacing, apostrophes, "&" and most
# punctuation do not matter here.
# --------------------------------------------------------------------------

#: Likert labels and their variants; code = position in vocab.LIKERT_LEVELS + 1.
LIKERT_ALIASES: dict[str, tuple[str, ...]] = {
    "Strongly disagree": ("Strongly disagree", "Disagree strongly", "SD"),
    "Disagree": ("Disagree", "Tend to disagree", "D"),
    "Neither agree nor disagree": (
        "Neither agree nor disagree", "Neither agree or disagree", "Neither", "Neutral", "N",
    ),
    "Agree": ("Agree", "Tend to agree", "A"),
    "Strongly agree": ("Strongly agree", "Agree strongly", "SA"),
}
#: Spellings of a *missing* Likert answer, by reason (vocab.MISSING_REASONS).
LIKERT_MISSING_ALIASES: dict[str, tuple[str, ...]] = {
    "Don't know": ("Don't know", "Do not know", "DK"),
    "Not applicable": ("N/A", "NA", "Not applicable", "N.A."),
}
#: The old survey system coded "Don't know" as 9 (never reversed).
LIKERT_DONT_KNOW_CODE = 9

#: The example's respondent type spellings per dataset and its boroughs' other names
#: (re-exported defaults: a cycle's own come from ``config.vocabularies``, see
#: :class:`analysis.core.config.Vocabularies`).
RESPONDENT_TYPE_ALIASES = vocab.RESPONDENT_TYPE_ALIASES
BOROUGH_ALIASES = vocab.BOROUGH_ALIASES
#: Answers meaning "outside the area" whatever the area is (exact matches only, never
#: fuzzy); a cycle adds its own neighbouring places in ``geography.outside_aliases``.
GENERIC_OUTSIDE_ALIASES: tuple[str, ...] = (
    "Other", "Other borough", "Out of area", "Out of borough", "Elsewhere", "Outside the area",
    "Overseas", "Abroad",
)
#: Every "outside" answer of the example: its label, the generic spellings and its neighbours.
BOROUGH_OTHER_ALIASES: tuple[str, ...] = (
    vocab.BOROUGH_OTHER, *GENERIC_OUTSIDE_ALIASES, *vocab.BOROUGH_OUTSIDE_ALIASES,
)
#: Borough answers that are a refusal or blank: missing, and not a problem.
BOROUGH_NOT_STATED: tuple[str, ...] = (
    "Prefer not to say", "Prefer not to answer", "PNTS", "Not stated", "Not known",
    "Unknown", "Don't know",
)
#: Administrative prefixes/suffixes removed before matching ("LB Ealing").
_BOROUGH_PREFIXES: tuple[str, ...] = (
    "the london borough of", "london borough of", "the royal borough of", "royal borough of",
    "metropolitan borough of", "borough of", "lb of", "lb", "city of",
)
_BOROUGH_SUFFIXES: tuple[str, ...] = (
    "london borough council", "metropolitan borough council", "borough council", "city council",
    "council", "metropolitan borough", "borough", "london borough",
)

#: Refusals and blanks in the equality fields (all mapped to vocab.NOT_STATED, no problem).
EQUALITY_NOT_STATED_ALIASES: tuple[str, ...] = (
    "Prefer not to say", "Prefer not to answer", "PNTS", "Not stated", "Rather not say",
    vocab.NOT_STATED,
)
#: Age band spellings other than the bands themselves (numeric ages are banded separately).
AGE_BAND_ALIASES: dict[str, tuple[str, ...]] = {
    "16-24": ("Under 25", "18-24", "16 to 24", "18 to 24"),
    "25-34": ("25 to 34",),
    "35-44": ("35 to 44",),
    "45-54": ("45 to 54",),
    "55-64": ("55 to 64",),
    "65-74": ("65 to 74",),
    "75+": ("75 and over", "75 or over", "Over 75", "75 plus", "75 or older"),
}
#: Age answers that straddle two bands: reported as a problem, never guessed.
AGE_BAND_AMBIGUOUS: tuple[str, ...] = ("65+", "65 and over", "Over 65", "60+")
#: Detailed ONS-style ethnicity answers -> the five high-level groups.
ETHNICITY_ALIASES: dict[str, tuple[str, ...]] = {
    "Asian or Asian British": (
        "Asian or Asian British", "Asian", "Asian British", "Indian", "Pakistani",
        "Bangladeshi", "Chinese", "Any other Asian background", "Asian - Indian",
        "Asian - Pakistani", "Asian - Bangladeshi", "Asian - Chinese", "Asian other",
    ),
    "Black, Black British, Caribbean or African": (
        "Black, Black British, Caribbean or African", "Black", "Black British",
        "Black or Black British", "Black African", "Black Caribbean", "African", "Caribbean",
        "Any other Black background", "Any other Black, Black British or Caribbean background",
        "Black - African", "Black - Caribbean", "Black other",
    ),
    "Mixed or multiple ethnic groups": (
        "Mixed or multiple ethnic groups", "Mixed", "Multiple ethnic groups", "Mixed ethnicity",
        "Mixed White and Black Caribbean", "Mixed White and Black African",
        "Mixed White and Asian", "White and Black Caribbean", "White and Black African",
        "White and Asian", "Any other Mixed background",
        "Any other Mixed or multiple ethnic background", "Mixed other",
    ),
    "White": (
        "White", "White British", "White - British", "White English", "White Irish",
        "White - Irish", "Irish", "Gypsy or Irish Traveller", "Roma", "Any other White background",
        "White other", "White - other",
        "White - English, Welsh, Scottish, Northern Irish or British",
        "English, Welsh, Scottish, Northern Irish or British",
    ),
    "Other ethnic group": (
        "Other ethnic group", "Arab", "Any other ethnic group", "Other",
    ),
}
#: Umbrella terms that do not identify one group ("BAME" spans four).
ETHNICITY_AMBIGUOUS: tuple[str, ...] = ("BAME", "BME", "Ethnic minority", "Global majority")
GENDER_ALIASES: dict[str, tuple[str, ...]] = {
    "Woman": ("Woman", "Female", "F", "Women", "Trans woman", "Cis woman"),
    "Man": ("Man", "Male", "M", "Men", "Trans man", "Cis man"),
    "Non-binary or other": (
        "Non-binary or other", "Non-binary", "Nonbinary", "Non binary", "Other",
        "Prefer to self-describe", "Self-describe", "Genderqueer", "Genderfluid", "Agender",
    ),
}
YES_NO_ALIASES: dict[str, tuple[str, ...]] = {
    "Yes": ("Yes", "Y"),
    "No": ("No", "N"),
}

SERVICE_LINE_ALIASES: dict[str, tuple[str, ...]] = {
    "Mental health": ("Mental health", "MH", "Mental health services"),
    "Community services": ("Community services", "Community", "Community health services"),
    "Learning disabilities and autism": (
        "Learning disabilities and autism", "LD&A", "LDA", "Learning disabilities",
        "Learning disability", "Learning disability and autism",
    ),
    "Palliative and end of life care": (
        "Palliative and end of life care", "Palliative care", "End of life care",
        "End of life", "Palliative",
    ),
    "Corporate": ("Corporate", "Corporate services"),
}
CHANNEL_ALIASES: dict[str, tuple[str, ...]] = {
    "Survey": ("Survey", "Online survey", "Paper survey"),
    "Event": ("Event", "Community event", "Drop-in", "Drop in", "Webinar"),
    "Interview": ("Interview", "1:1 interview", "Phone interview", "Telephone interview",
                  "One to one interview", "One-to-one interview"),
    "Written submission": ("Written submission", "Letter", "Email", "E-mail"),
}
#: A blank channel means the default route, the survey (mess contract).
CHANNEL_DEFAULT = "Survey"
ACTIVITY_TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "Event": ("Event", "Community event"),
    "Webinar": ("Webinar", "Online webinar"),
    "External meeting": ("External meeting", "Meeting"),
    "One-to-one interview": ("One-to-one interview", "Interview", "1:1 interview",
                             "One to one interview"),
    "Online survey": ("Online survey", "Survey"),
    "Written submission": ("Written submission", "Letter", "Email submission", "Email"),
}
ACTION_STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "Done": ("Done", "Complete", "Completed"),
    "In progress": ("In progress", "Ongoing", "WIP"),
    "Planned": ("Planned", "Not started"),
    "Not possible": ("Not possible", "Not feasible", "Can't do", "Cannot do"),
}

def _lookup(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Invert a canonical -> spellings table into key -> canonical, refusing clashes."""
    table: dict[str, str] = {}
    for canonical, spellings in aliases.items():
        for spelling in (canonical, *spellings):
            key = _key(spelling)
            if table.get(key, canonical) != canonical:
                raise ValueError(f"alias {spelling!r} maps to both {table[key]!r} and {canonical!r}")
            table[key] = canonical
    return table


_VALUE_PROBLEM = {"value": "str", "problem": "str"}


def _categorical(raw: pd.Series, table: Mapping[str, str], problem: str, *,
                 blank: str | None = None) -> pd.DataFrame:
    """Shared body of the simple lookup standardisers (blank -> ``blank``, no problem)."""
    def parse(value: object) -> tuple[str | None, str | None]:
        if _is_missing(value):
            return blank, None
        key = _key(value)
        if not key:
            return blank, None
        if key in table:
            return table[key], None
        return None, problem

    return _frame(raw, _map_unique(raw, parse), _VALUE_PROBLEM)


# --------------------------------------------------------------------------
# Likert
# --------------------------------------------------------------------------
_LIKERT_LOOKUP = _lookup(LIKERT_ALIASES)
_LIKERT_CODE = {label: i + 1 for i, label in enumerate(vocab.LIKERT_LEVELS)}
_LIKERT_MISSING_LOOKUP = _lookup(LIKERT_MISSING_ALIASES)
_CODE_THEN_LABEL = re.compile(r"^(\d+) ([a-z].*)$")
_LABEL_THEN_CODE = re.compile(r"^([a-z].*) (\d+)$")

# (value, level, missing_reason, problem)
_LikertRow = tuple[int | None, str | None, str | None, str | None]
_NO_ANSWER: _LikertRow = (None, None, "No answer", None)
_UNKNOWN_LIKERT: _LikertRow = (None, None, "No answer", PROBLEM_LIKERT)


def _likert_from_code(code: float, reversed_codes: bool) -> _LikertRow | None:
    if not float(code).is_integer():
        return None
    code = int(code)
    if code == LIKERT_DONT_KNOW_CODE:
        return (None, None, "Don't know", None)
    if 1 <= code <= 5:
        value = 6 - code if reversed_codes else code
        return (value, vocab.LIKERT_LEVELS[value - 1], None, None)
    return None


def _likert_from_key(key: str) -> _LikertRow | None:
    if key in _LIKERT_LOOKUP:
        label = _LIKERT_LOOKUP[key]
        return (_LIKERT_CODE[label], label, None, None)
    if key in _LIKERT_MISSING_LOOKUP:
        return (None, None, _LIKERT_MISSING_LOOKUP[key], None)
    return None


def _parse_likert(value: object, reversed_codes: bool) -> _LikertRow:
    if _is_missing(value):
        return _NO_ANSWER
    if isinstance(value, (bool, np.bool_)):
        return _UNKNOWN_LIKERT
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _likert_from_code(float(value), reversed_codes) or _UNKNOWN_LIKERT
    text = _clean_spaces(str(value))
    if not text:
        return _NO_ANSWER
    if _NUMBER.match(text):
        return _likert_from_code(float(text), reversed_codes) or _UNKNOWN_LIKERT
    key = _key(text)
    by_label = _likert_from_key(key)
    if by_label is not None:
        return by_label
    # "5 - Strongly agree" / "Strongly agree (5)": the label decides, the code must agree.
    match = _CODE_THEN_LABEL.match(key) or _LABEL_THEN_CODE.match(key)
    if match:
        code_part, label_part = match.groups()
        if code_part[0].isalpha():
            code_part, label_part = label_part, code_part
        by_label = _likert_from_key(label_part)
        if by_label is None:
            return _UNKNOWN_LIKERT
        by_code = _likert_from_code(float(code_part), reversed_codes)
        if by_code is None:
            return _UNKNOWN_LIKERT
        if by_code != by_label:
            return (None, None, "No answer", PROBLEM_LIKERT_CONFLICT)
        return by_label
    return _UNKNOWN_LIKERT


def standardise_likert(raw: pd.Series, *, reversed_codes: bool = False) -> pd.DataFrame:
    """Map raw agreement answers to codes 1..5 with a reason for missing answers.

    Parameters
    ----------
    raw
        One Likert item column as read from a file: labels ("Agree", "SA",
        "Tend to agree"), codes (4, 4.0, "4"), code plus label
        ("5 - Strongly agree"), "Don't know" / "N/A" / code 9, or blanks.
    reversed_codes
        True for files whose numeric codes run the other way
        (``likert_codes_reversed: true``: 1 = Strongly agree). Only numeric
        codes are flipped; labels mean what they say, and code 9 is always
        "Don't know". In "code - label" answers the code is read in the
        file's direction before checking that it agrees with the label.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``, columns:

        - ``value`` (Int64): 1 = Strongly disagree .. 5 = Strongly agree, NA if missing;
        - ``level`` (str): the label from ``vocab.LIKERT_LEVELS`` or NA;
        - ``missing_reason`` (str): one of ``vocab.MISSING_REASONS`` when
          ``value`` is NA ("No answer" for blanks and unmappable values), else NA;
        - ``problem`` (str): "unknown Likert value", or "conflicting Likert
          code and label" when a code and label disagree ("1 - Strongly
          agree"), else NA.
    """
    rows = _map_unique(raw, lambda v: _parse_likert(v, reversed_codes))
    return _frame(raw, rows, {"value": "Int64", "level": "str", "missing_reason": "str",
                              "problem": "str"})


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------
#: Excel's 1900 date system: serial 1 is 1900-01-01 but Excel also counts the
#: non-existent 1900-02-29 (serial 60, the Lotus 1-2-3 bug), so from serial 61
#: onwards date = 1899-12-30 + serial days.
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
#: Plausible serials (1954-10-03 .. 2119-01-10); other numbers are not dates.
EXCEL_SERIAL_RANGE: tuple[int, int] = (20000, 80000)
_MONTHS = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_TIME = r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME + r"$")
_ISO = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})" + _TIME + r"(?:Z|[+-]\d{2}:?\d{2})?$")
_LONG = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]+)\.?,?[ -](\d{4})" + _TIME + r"$")


def _two_digit_year(year: int) -> int:
    # Same pivot as Python's %y (POSIX): 69-99 -> 1900s, 00-68 -> 2000s.
    return year + (1900 if year >= 69 else 2000)


def _checked_date(year: int, month: int, day: int, time: tuple[str | None, ...]) -> _dt.date | None:
    """The date, or None if the day/month (or a given time) is impossible."""
    hour, minute, second = (int(t) if t else 0 for t in time)
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _date_from_serial(serial: float) -> _dt.date | None:
    low, high = EXCEL_SERIAL_RANGE
    if not math.isfinite(serial) or not low <= serial <= high:
        return None
    # The fraction is the time of day; the date is the whole part.
    return _EXCEL_EPOCH + _dt.timedelta(days=int(serial))


def _date_from_text(text: str) -> _dt.date | None:
    if _NUMBER.match(text):
        return _date_from_serial(float(text))
    if match := _DAY_FIRST.match(text):
        day, _, month, year, *time = match.groups()
        year_n = int(year) if len(year) == 4 else _two_digit_year(int(year))
        return _checked_date(year_n, int(month), int(day), tuple(time))
    if match := _ISO.match(text):
        year, _, month, day, *time = match.groups()
        return _checked_date(int(year), int(month), int(day), tuple(time))
    if match := _LONG.match(text.lower()):
        day, month_name, year, *time = match.groups()
        month = _MONTHS.get(month_name)
        if month is None:
            return None
        return _checked_date(int(year), month, int(day), tuple(time))
    return None


def _parse_date(value: object) -> tuple[pd.Timestamp | None, str | None]:
    if _is_missing(value):
        return None, None
    if isinstance(value, (bool, np.bool_)):
        return None, PROBLEM_DATE
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        # Wall-clock date as recorded; any time zone is dropped, not converted.
        return pd.Timestamp(value.year, value.month, value.day), None
    if isinstance(value, _dt.date):
        return pd.Timestamp(value), None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).normalize(), None
    if isinstance(value, (int, float, np.integer, np.floating)):
        parsed = _date_from_serial(float(value))
    else:
        text = _clean_spaces(str(value))
        if not text:
            return None, None
        parsed = _date_from_text(text)
    if parsed is None:
        return None, PROBLEM_DATE
    return pd.Timestamp(parsed), None


def _date_bound(bound: pd.Timestamp | None) -> pd.Timestamp | None:
    """A bound as a naive midnight timestamp (values are naive wall-clock dates)."""
    if bound is None:
        return None
    bound = pd.Timestamp(bound)
    if bound.tzinfo is not None:
        bound = bound.tz_localize(None)
    return bound.normalize()


def standardise_dates(raw: pd.Series, *, earliest: pd.Timestamp | None = None,
                      latest: pd.Timestamp | None = None) -> pd.DataFrame:
    """Parse raw dates (UK day-first, ISO, long month, Excel serials) to midnight timestamps.

    Every value is parsed with explicit patterns, never by pandas inference, so
    "03/04/2025" is always 3 April 2025 and impossible dates ("31/02/2025",
    "29/02/2025", "2025-13-01") are reported rather than rolled over.

    Accepted forms: ``dd/mm/yyyy``, ``dd/mm/yy``, ``dd-mm-yyyy``, ``dd.mm.yyyy``
    (optionally followed by a time); ISO ``yyyy-mm-dd`` with an optional
    ``THH:MM[:SS]`` or `` HH:MM`` time and time-zone suffix; ``23 Nov 2025`` /
    ``23 November 2025``; Excel serial numbers (1900 date system, including
    the Lotus leap-year bug) between 20000 and 80000 as int, float or string;
    ``datetime``/``date``/``Timestamp`` objects. Two-digit years follow
    Python's ``%y`` pivot (00-68 -> 2000s, 69-99 -> 1900s). Times and time
    zones are dropped: the date is the one written.

    Parameters
    ----------
    raw
        Raw date column.
    earliest, latest
        Optional inclusive bounds (compared as dates). A parsed date outside
        them gets ``value`` NaT and ``problem`` "date out of range (...)".

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (datetime64[us], midnight, NaT when
        blank or invalid) and ``problem`` ("unparseable date",
        "date out of range (...)" or NA).
    """
    rows = _map_unique(raw, _parse_date)
    result = _frame(raw, rows, {"value": "datetime64[us]", "problem": "str"})
    low, high = _date_bound(earliest), _date_bound(latest)
    if low is None and high is None:
        return result
    outside = pd.Series(False, index=result.index)
    if low is not None:
        outside |= result["value"] < low
    if high is not None:
        outside |= result["value"] > high
    if outside.any():
        bounds = ", ".join(
            part for part in (
                None if low is None else f"earliest {low:%Y-%m-%d}",
                None if high is None else f"latest {high:%Y-%m-%d}",
            ) if part
        )
        result.loc[outside, "problem"] = f"date out of range ({bounds})"
        result.loc[outside, "value"] = pd.NaT
    return result


# --------------------------------------------------------------------------
# Respondent type
# --------------------------------------------------------------------------
_SURVEY_DATASETS: tuple[str, ...] = ("involvement_survey", "engagement_survey")


def standardise_respondent_type(raw: pd.Series, *, dataset: Dataset, types: RespondentTypes) -> pd.DataFrame:
    """Map raw respondent types to the types ``dataset`` accepts in the cycle's vocabulary.

    In the example the involvement survey has "Staff" and "Expert by experience"
    (patients, service users and carers) and the engagement survey has
    "Resident", "Carer" and "Health or care professional". The same word can
    differ between the two ("Carer", "Patient"), so the dataset must be named.

    Parameters
    ----------
    raw
        Raw respondent type column.
    dataset
        "involvement_survey" or "engagement_survey".
    types
        The cycle's respondent types (``config.vocabularies.respondent_types``):
        a survey named in ``types.aliases`` accepts its listed types by name or
        alias; any other survey accepts every ``types.values`` entry by name.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (a type from ``types.values`` or NA)
        and ``problem``. Unlike most fields a respondent type is required, so
        a **blank** answer is also a problem ("unknown respondent type"), as is
        any spelling the dataset does not accept.
    """
    if dataset not in _SURVEY_DATASETS:
        raise ValueError(f"dataset must be one of {list(_SURVEY_DATASETS)}, got {dataset!r}")
    table = _lookup(types.spellings(dataset))

    def parse(value: object) -> tuple[str | None, str | None]:
        key = "" if _is_missing(value) else _key(value)
        return (table[key], None) if key in table else (None, PROBLEM_RESPONDENT_TYPE)

    return _frame(raw, _map_unique(raw, parse), _VALUE_PROBLEM)


# --------------------------------------------------------------------------
# Borough (the cycle's geography)
# --------------------------------------------------------------------------
_BOROUGH_NOT_STATED_KEYS = frozenset(_key(s) for s in BOROUGH_NOT_STATED)


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein plus adjacent transpositions.

    Transpositions count as one edit because they are the commonest typing
    slip ("Brnet" for "Brent").
    """
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _strip_borough_affixes(key: str) -> str:
    for prefix in _BOROUGH_PREFIXES:
        if key.startswith(prefix + " "):
            key = key[len(prefix) + 1:]
            break
    for suffix in _BOROUGH_SUFFIXES:
        if key.endswith(" " + suffix):
            key = key[: -len(suffix) - 1]
            break
    return key


def _fuzzy_targets(lookup: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Names and aliases long enough for an edit distance to be meaningful.

    Short codes such as "lbhf" or "rbkc" must match exactly.
    """
    return tuple((key, area) for key, area in lookup.items() if len(key) >= 5)


def _fuzzy_borough(key: str, targets: Iterable[tuple[str, str]]) -> str | None:
    """The one area within the typo allowance of ``key``, else None.

    Rule: compare only with the areas' names and aliases (never with
    out-of-area places); the first letter must match (people rarely mistype
    it, and it keeps "Barrow" from becoming Harrow); allow 1 edit for targets
    of 5 letters or fewer ("Brent") and 2 for longer ones; if the best
    distance is shared by two different areas, give up.
    """
    best: dict[str, int] = {}
    for target, borough in targets:
        if target[0] != key[0] or abs(len(target) - len(key)) > 2:
            continue
        allowed = 1 if len(target) <= 5 else 2
        distance = _osa_distance(key, target)
        if distance <= allowed and distance < best.get(borough, 99):
            best[borough] = distance
    if not best:
        return None
    closest = min(best.values())
    winners = [borough for borough, d in best.items() if d == closest]
    return winners[0] if len(winners) == 1 else None


def _borough_parser(geography: Geography) -> Callable[[object], tuple[str | None, str | None]]:
    """The per-value parser for one geography (its lookup tables built once per column)."""
    lookup = _lookup({area: geography.aliases.get(area, ()) for area in geography.values})
    outside_keys = frozenset(_key(s) for s in (geography.outside_label, *GENERIC_OUTSIDE_ALIASES,
                                               *geography.outside_aliases))
    targets = _fuzzy_targets(lookup)
    outside = geography.outside_label
    unknown = f"unknown {geography.name}"

    def parse(value: object) -> tuple[str | None, str | None]:
        if _is_missing(value):
            return None, None
        key = _key(value)
        if not key or key in _BOROUGH_NOT_STATED_KEYS:
            return None, None
        for candidate in (key, _strip_borough_affixes(key)):
            if candidate in lookup:
                return lookup[candidate], None
            if candidate in outside_keys:
                return outside, None
        stripped = _strip_borough_affixes(key)
        if stripped and stripped[0].isalpha():
            match = _fuzzy_borough(stripped, targets)
            if match is not None:
                return match, None
        return None, unknown

    return parse


def standardise_borough(raw: pd.Series, *, geography: Geography) -> pd.DataFrame:
    """Map raw area answers to the cycle's geography (the example: eight North West London boroughs).

    Matching order: exact name or alias (``geography.aliases``; the example's
    "H&F", "RBKC", "City of Westminster"...); out-of-area answers (``outside_label``,
    ``geography.outside_aliases`` and :data:`GENERIC_OUTSIDE_ALIASES` such as
    "Other" or "Out of area") -> ``outside_label``; the same after removing
    administrative prefixes/suffixes ("London Borough of Brent", "LB Ealing",
    "Harrow Council", "Metropolitan Borough of Bury"); finally typos by edit
    distance against the areas only (see :func:`_fuzzy_borough`: same first
    letter, at most 1 edit for short names and 2 for longer, unique best
    match), so "Ealling", "Westminister" and "Brnet" are matched while
    "Barrow", "Barnett" and "Narnia" are not.

    Parameters
    ----------
    raw
        Raw borough column.
    geography
        The cycle's areas (``config.vocabularies.geography``).

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (one of ``geography.values``,
        ``geography.outside_label`` or NA) and ``problem`` ("unknown <name>",
        "unknown borough" for the default name, or NA). Blank and "Prefer not
        to say" give NA without a problem.
    """
    return _frame(raw, _map_unique(raw, _borough_parser(geography)), _VALUE_PROBLEM)


# --------------------------------------------------------------------------
# Equality monitoring
# --------------------------------------------------------------------------
_EQUALITY_NOT_STATED_KEYS = frozenset(_key(s) for s in EQUALITY_NOT_STATED_ALIASES)
_EQUALITY_LOOKUPS: dict[str, dict[str, str]] = {
    "age_band": _lookup({band: (band, *AGE_BAND_ALIASES.get(band, ())) for band in vocab.AGE_BANDS}),
    "ethnicity": _lookup(ETHNICITY_ALIASES),
    "gender": _lookup(GENDER_ALIASES),
    "disability": _lookup(YES_NO_ALIASES),
    "carer_status": _lookup(YES_NO_ALIASES),
}
_EQUALITY_AMBIGUOUS: dict[str, tuple[frozenset[str], str]] = {
    "age_band": (frozenset(_key(s) for s in AGE_BAND_AMBIGUOUS), PROBLEM_AGE_AMBIGUOUS),
    "ethnicity": (frozenset(_key(s) for s in ETHNICITY_AMBIGUOUS), PROBLEM_ETHNICITY_AMBIGUOUS),
}
#: Lower bound of each age band, for banding numeric ages.
_AGE_BAND_STARTS: tuple[tuple[int, str], ...] = tuple(
    (int(re.match(r"\d+", band).group()), band) for band in vocab.AGE_BANDS  # type: ignore[union-attr]
)
#: Ages outside this range are typing errors, not respondents.
AGE_RANGE: tuple[int, int] = (16, 120)


def _band_for_age(age: float) -> str | None:
    if not float(age).is_integer() or not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
        return None
    band = None
    for start, name in _AGE_BAND_STARTS:
        if age >= start:
            band = name
    return band


def standardise_equality(raw: pd.Series, *, field: EqualityField) -> pd.DataFrame:
    """Map one equality-monitoring column to ``analysis.core.vocab`` values.

    Parameters
    ----------
    raw
        Raw column.
    field
        Which field: "age_band" (bands such as "16 - 24", "Under 25",
        "75 and over", or whole-number ages 16..120 which are banded),
        "ethnicity" (detailed ONS answers -> the five ``vocab.ETHNICITY_GROUPS``),
        "gender" (-> ``vocab.GENDERS``), "disability" or "carer_status"
        (-> "Yes"/"No").

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (a vocab value or ``vocab.NOT_STATED``,
        never NA) and ``problem``. Blank, "Prefer not to say" and the like
        give NOT_STATED with no problem. Umbrella answers that cannot be placed
        ("BAME"; "65+" which spans two bands) give NOT_STATED with problem
        "ambiguous ethnicity" / "ambiguous age band"; anything else unknown
        gives NOT_STATED with problem "unknown <field> value".
    """
    if field not in _EQUALITY_LOOKUPS:
        raise ValueError(f"field must be one of {sorted(_EQUALITY_LOOKUPS)}, got {field!r}")
    table = _EQUALITY_LOOKUPS[field]
    ambiguous, ambiguous_problem = _EQUALITY_AMBIGUOUS.get(field, (frozenset(), ""))
    unknown = f"unknown {field} value"

    def parse(value: object) -> tuple[str, str | None]:
        if _is_missing(value):
            return vocab.NOT_STATED, None
        key = _key(value)
        if not key or key in _EQUALITY_NOT_STATED_KEYS:
            return vocab.NOT_STATED, None
        if key in table:
            return table[key], None
        if key in ambiguous:
            return vocab.NOT_STATED, ambiguous_problem
        if field == "age_band" and not isinstance(value, (bool, np.bool_)):
            text = _clean_spaces(_as_text(value))
            if _NUMBER.match(text):
                band = _band_for_age(float(text))
                if band is not None:
                    return band, None
        return vocab.NOT_STATED, unknown

    return _frame(raw, _map_unique(raw, parse), _VALUE_PROBLEM)


# --------------------------------------------------------------------------
# Simple categorical fields
# --------------------------------------------------------------------------
_SERVICE_LINE_LOOKUP = _lookup(SERVICE_LINE_ALIASES)
_CHANNEL_LOOKUP = _lookup(CHANNEL_ALIASES)
_ACTIVITY_TYPE_LOOKUP = _lookup(ACTIVITY_TYPE_ALIASES)
_ACTION_STATUS_LOOKUP = _lookup(ACTION_STATUS_ALIASES)


def standardise_service_line(raw: pd.Series) -> pd.DataFrame:
    """Map raw service lines to ``vocab.SERVICE_LINES`` ("MH" -> "Mental health").

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (str or NA when blank/unknown) and
        ``problem`` ("unknown service line" or NA).
    """
    return _categorical(raw, _SERVICE_LINE_LOOKUP, PROBLEM_SERVICE_LINE)


def standardise_channel(raw: pd.Series) -> pd.DataFrame:
    """Map "How did you take part?" answers to ``vocab.CHANNELS``.

    Blanks give ``CHANNEL_DEFAULT`` ("Survey") without a problem, as the raw-data
    contract specifies.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (str, NA only when unknown) and
        ``problem`` ("unknown channel" or NA).
    """
    return _categorical(raw, _CHANNEL_LOOKUP, PROBLEM_CHANNEL, blank=CHANNEL_DEFAULT)


def standardise_activity_type(raw: pd.Series) -> pd.DataFrame:
    """Map activity-log types to ``vocab.ACTIVITY_TYPES`` ("Meeting" -> "External meeting").

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (str or NA when blank/unknown) and
        ``problem`` ("unknown activity type" or NA).
    """
    return _categorical(raw, _ACTIVITY_TYPE_LOOKUP, PROBLEM_ACTIVITY_TYPE)


def standardise_action_status(raw: pd.Series) -> pd.DataFrame:
    """Map "You said, we did" action statuses to ``vocab.ACTION_STATUSES``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (str or NA when blank/unknown) and
        ``problem`` ("unknown action status" or NA). A blank status is NA
        without a problem; whether a status is required is the caller's rule.
    """
    return _categorical(raw, _ACTION_STATUS_LOOKUP, PROBLEM_ACTION_STATUS)


# --------------------------------------------------------------------------
# Co-production ladder and case studies (activities, case-study log)
# --------------------------------------------------------------------------
PROBLEM_LADDER_LEVEL = "unknown involvement level"
PROBLEM_FLAG = "not yes or no"
PROBLEM_THEME_IDS = "theme ids must be whole numbers separated by ';' or ','"
#: Yes/no answers of a flag column (involved from the start, consent); matched on the normalised key.
FLAG_ALIASES: dict[bool, tuple[str, ...]] = {
    True: ("Yes", "Y", "True", "1", "Consented", "Consent given"),
    False: ("No", "N", "False", "0", "Not consented", "No consent", "Consent withdrawn"),
}
_FLAG_LOOKUP = {_key(alias): flag for flag, aliases in FLAG_ALIASES.items() for alias in aliases}


def standardise_ladder_level(raw: pd.Series, ladder: Iterable[str]) -> pd.DataFrame:
    """Map involvement levels onto the configured ladder, ignoring case, spaces and hyphens.

    Parameters
    ----------
    raw
        Raw levels ("Co-produce", "consult ", "CO PRODUCE").
    ladder
        The ladder (config ``reach.ladder``), lowest rung first.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (the rung as the ladder spells it, NA when
        blank or unknown) and ``problem`` ("unknown involvement level" or NA). The
        caller decides what an unknown level means (the cleaning stage stops:
        a level outside the ladder usually means the ladder is configured wrongly).
    """
    from analysis.core.config import ladder_key  # the one matching rule, shared with the config's check

    rungs = {ladder_key(rung): rung for rung in ladder}

    def parse(value: object) -> tuple[str | None, str | None]:
        if _is_missing(value) or not _clean_spaces(str(value)):
            return None, None
        rung = rungs.get(ladder_key(str(value)))
        return (rung, None) if rung is not None else (None, PROBLEM_LADDER_LEVEL)

    return _frame(raw, _map_unique(raw, parse), _VALUE_PROBLEM)


def standardise_flag(raw: pd.Series) -> pd.DataFrame:
    """Yes/no answers as booleans (:data:`FLAG_ALIASES`); blank is missing, anything else a problem.

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (nullable boolean) and ``problem``
        ("not yes or no" or NA).
    """
    def parse(value: object) -> tuple[object, str | None]:
        if _is_missing(value):
            return pd.NA, None
        if isinstance(value, (bool, np.bool_)):
            return bool(value), None
        key = _key(value)
        if not key:
            return pd.NA, None
        if key in _FLAG_LOOKUP:
            return _FLAG_LOOKUP[key], None
        return pd.NA, PROBLEM_FLAG

    parsed = _map_unique(raw, parse)
    values = [p[0] for p in parsed]
    problems = [p[1] for p in parsed]
    return pd.DataFrame({"value": pd.array(values, dtype="boolean"),
                         "problem": pd.Series(problems, dtype="str").to_numpy()}, index=raw.index)


def standardise_theme_ids(raw: pd.Series) -> pd.DataFrame:
    """Lists of theme ids ("17; 19", "17,19", 21) as canonical text "17;19" (order kept, repeats dropped).

    Returns
    -------
    pandas.DataFrame
        Same index as ``raw``; ``value`` (text, NA when blank or bad) and
        ``problem`` (:data:`PROBLEM_THEME_IDS` or NA).
    """
    def parse(value: object) -> tuple[str | None, str | None]:
        if _is_missing(value):
            return None, None
        if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
            return (str(int(value)), None) if value >= 0 else (None, PROBLEM_THEME_IDS)
        parts = [p.strip() for p in re.split(r"[;,]", _clean_spaces(str(value)))]
        if not any(parts):
            return None, None
        if not all(re.fullmatch(r"\d+", p) for p in parts):
            return None, PROBLEM_THEME_IDS
        ids = list(dict.fromkeys(str(int(p)) for p in parts))
        return ";".join(ids), None

    return _frame(raw, _map_unique(raw, parse), _VALUE_PROBLEM)
