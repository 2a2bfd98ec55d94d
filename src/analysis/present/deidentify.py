"""De-identification of free text, and keyed pseudonyms for identifiers.

Free-text answers from patients, carers and staff sometimes contain the very
things a published evaluation must never show: e-mail addresses, phone and NHS
numbers, postcodes, dates of birth and names. :func:`redact_text` replaces them
with typed placeholders (``[EMAIL]``, ``[URL]``, ``[PHONE]``, ``[NHS_NUMBER]``,
``[POSTCODE]``, ``[DOB]``, ``[NAME]``) and counts what it replaced, so that the
cleaning stage can publish a ``redactions.csv`` audit table.

Why rules and configured name lists rather than a named-entity model
--------------------------------------------------------------------
* **Offline and installable anywhere.** NHS laptops often cannot download
  model weights; spaCy/transformer NER models are hundreds of megabytes and
  would have to be fetched at install or run time.
* **Predictable and auditable.** An information-governance lead can read a
  regular expression and a list of staff names; a statistical model's misses
  and false alarms cannot be enumerated in advance, and change between versions.
* **No false positives on service words.** General-purpose NER tags "Ward",
  "Grace" (as in grace period), borough and hospital names, "Crisis Team" or
  "Recovery College" as people or places, which would destroy exactly the
  words a thematic analysis needs.

What it will miss (say so when publishing)
-----------------------------------------
* Names of people who are neither in the configured lists (the respondent's own
  name fields and ``deidentification.staff_names``) nor introduced by a title
  ("Dr Patel", "Nurse Jenny", "my sister Mary") or by "my name is" / "this is".
  A bare "Jenny was lovely" is kept unless Jenny is configured.
* Parts of configured names written in lower case ("priya was great"): only a
  full configured name matches regardless of case; single parts must be
  capitalised so that a staff member called "Hope" or "Will" does not wipe the
  ordinary words "hope" and "will".
* Addresses other than the postcode (house number and street), places,
  bare web domains without ``www.`` or ``http``, social media handles,
  years of birth on their own ("born in 1956") and ages.
* A 10-digit number that fails the NHS modulus-11 check is not an NHS number;
  it is only redacted if it also looks like a UK phone number (starts with 0).
  Misspelt NHS numbers therefore survive.

Order of the rules, and why it matters
--------------------------------------
1. URLs, then e-mails: both contain dots, digits and names; redacting them
   whole first stops the phone, postcode and name rules from redacting
   fragments of them (``priya.raman@nhs.net`` is one [EMAIL], not [NAME]).
2. Dates of birth: before the number rules, so a date next to "DOB" is one
   [DOB] and never read as part of a phone number.
3. NHS numbers, checked with the modulus-11 check digit, before phones: a
   valid 10-digit NHS number is labelled as such; one failing the check falls
   through to the phone rule, which only takes numbers starting 0 or +44.
4. Phones, then postcodes: a postcode never contains a run of 10 digits, so
   the order between these two only keeps the counts unambiguous.
5. Names last: configured names first (exact, longest first, so "Priya Raman"
   is one [NAME] and its title "Dr" is kept), then titles followed by a
   capitalised word, then "my name is" / "this is". Running them last means the
   title rule never sees digits or addresses, and placeholders ``[NAME]`` are
   protected from matching again, so redaction is idempotent.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.errors import ConfigError

__all__ = [
    "PLACEHOLDER_TYPES",
    "nhs_number_is_valid",
    "pseudonymise",
    "redact_series",
    "redact_text",
    "resolve_key",
]

#: Placeholder types in the order they are applied; also the row order of the counts table.
PLACEHOLDER_TYPES: tuple[str, ...] = (
    "URL", "EMAIL", "DOB", "NHS_NUMBER", "PHONE", "POSTCODE", "NAME",
)

# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

# A placeholder is "[" TYPE "]"; rules must not start inside or right after one.
_URL = re.compile(
    r"(?:\bhttps?://|(?<![\w@./-])www\.)[^\s<>\"'\[\]]+",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)'\""

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1956-03-12
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"  # 12/03/1956, 3/4/61
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?[\s-]+{_MONTHS}\.?,?[\s-]+(?:\d{{4}}|'?\d{{2}})"  # 12 March 1956
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"  # March 12, 1956
)
# The cue is kept so the sentence still reads ("DOB [DOB]"); only the date goes.
_DOB = re.compile(
    r"(?P<cue>\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|born)"
    r"(?:\s*(?:is|was|=|:|-|–|on|of)\s*){0,2}\s*)"
    rf"(?P<date>{_DATE})(?![\d/.-]\d)",
    re.IGNORECASE,
)

# 10 digits grouped 3-3-4 with one consistent separator, or run together. Not
# directly after "+44" (that is a phone number in international form).
_NHS = re.compile(
    r"(?<![\w£$€./+-])(?<!\+44 )(?<!\+44-)"
    r"(?P<number>\d{3}(?P<sep>[ -]?)\d{3}(?P=sep)\d{4})(?![\w/]|[.,]\d)"
)

_PSEP = r"[ .-]?"
_PHONE = re.compile(
    r"(?<![\w£$€./+-])"
    r"(?:"
    rf"(?P<intl>(?:\+|\b00){_PSEP}44{_PSEP}(?:(?:\(0\)|0){_PSEP})?)[1-9](?:{_PSEP}\d){{8,9}}"
    rf"|\(0\d{{2,4}}\){_PSEP}\d(?:{_PSEP}\d){{5,7}}"
    rf"|0\d(?:{_PSEP}\d){{8,9}}"
    r")(?![\w/]|[.,]\d)"
)

# UK Government Data Standards postcode pattern (strict letters per position),
# full postcodes only: an outward code alone ("W2") is too common a fragment.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>GIR(?=\s?0AA)"
    r"|[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"\s?(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# "the A1 3rd exit", "bay 2 b12 1st floor": an ordinal is not an inward code.
_ORDINAL = re.compile(r"(?:1st|2nd|3rd|[04-9]th)", re.IGNORECASE)

_UPPER = "A-ZÀ-ÖØ-Þ"
# Letters, with inner apostrophes/hyphens (O'Brien, Smith-Jones) but not a possessive "'s".
_NAME_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’-](?=[^\W\d_]{{2}}))*(?![\w&])"
# Only capitalised abbreviations take a full stop: "Dr. Patel" is a title, but
# "the nurse. Wanted" and "a call off a dr. However" end a sentence.
_TITLES = (
    r"(?:(?:Dr|DR|Mrs|MRS|Mr|MR|Prof|PROF|Ms|MS)\.|(?i:dr|mrs|mr|prof)(?!\.)|Ms"
    r"|(?i:doctor|nurse|sister|matron|professor)|Miss)"
)
_TITLE_NAME = re.compile(
    rf"(?<![\w\[])(?P<cue>{_TITLES}[ \t]+)(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_INTRO_NAME = re.compile(
    rf"(?P<cue>\b(?i:my\s+name\s+is|this\s+is)[ \t]+)(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_TITLE_WORDS = frozenset(
    {"dr", "doctor", "nurse", "sister", "matron", "mr", "mrs", "ms", "miss", "prof", "professor"}
)
# Capitalised words that follow a title or "this is" without being a name.
_NOT_NAMES = frozenset(
    """
    i a an the and or but so of to in on at by for from with as if it its is was are were be
    he she they we you me my our your his her their them us who which what when where why how
    that this these those there here all any some every everyone everybody nobody someone
    not no yes very really just also too thank thanks please hello hi dear sir madam
    team teams ward wards unit units clinic clinics service services department dept staff
    practitioner practitioners specialist specialists consultant consultants manager managers
    lead led leads station surgery practice hospital hospitals trust nhs gp gps ae a&e er icu
    crisis community mental health home care team's district school night day duty charge
    receptionist reception assistant assistants support worker workers student students
    associate associates registrar registrars on-call who's mum dad
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    great good amazing excellent brilliant fantastic wonderful lovely kind helpful best
    however then after before when while although unfortunately because since until
    """.split()  # noqa: SIM905 - a word list reads better as text than as 150 quoted strings
)


# ---------------------------------------------------------------------------
# NHS number check digit
# ---------------------------------------------------------------------------

def nhs_number_is_valid(number: str) -> bool:
    """Check an NHS number against its modulus-11 check digit.

    Parameters
    ----------
    number
        Ten digits, optionally separated by spaces or dashes.

    Returns
    -------
    bool
        True if there are exactly ten digits and the tenth equals the check
        digit computed from the first nine (weights 10 down to 2; 11 - remainder;
        11 becomes 0; 10 means no valid NHS number has these nine digits).
    """
    digits = re.sub(r"[\s-]", "", number)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# ---------------------------------------------------------------------------
# Text redaction
# ---------------------------------------------------------------------------

def _strip_titles(tokens: list[str]) -> list[str]:
    while tokens and tokens[0].rstrip(".").lower() in _TITLE_WORDS:
        tokens = tokens[1:]
    return tokens


@functools.lru_cache(maxsize=4096)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation for a set of configured names: full names first, then parts."""
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        tokens = _strip_titles(re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", name))
        if not tokens:
            continue
        # Case-insensitive, and any run of spaces or a hyphen between the words.
        full.add(r"[\s-]+".join(re.escape(t) for t in tokens))
        parts.update(t for t in tokens if len(t) >= 3 and t.lower() not in _TITLE_WORDS)
    if not full:
        return None
    # A part only counts when capitalised in the text, so "Tom" never eats "tom-tom".
    part_alts = [
        f"[{re.escape(p[0].upper())}](?i:{re.escape(p[1:])})" for p in parts
    ]
    full_alts = sorted(full, key=len, reverse=True)
    part_alts.sort(key=len, reverse=True)
    alts = [f"(?i:{a})" for a in full_alts] + part_alts
    return re.compile(r"(?<![\w\[])(?:" + "|".join(alts) + r")(?![\w\]])")


def _subn(
    pattern: re.Pattern[str],
    text: str,
    repl: Callable[[re.Match[str]], str | None],
) -> tuple[str, int]:
    """``pattern.sub`` where ``repl`` may decline a match by returning None."""
    count = 0

    def _wrapped(match: re.Match[str]) -> str:
        nonlocal count
        out = repl(match)
        if out is None:
            return match.group(0)
        count += 1
        return out

    return pattern.sub(_wrapped, text), count


def _url(match: re.Match[str]) -> str:
    url = match.group(0)
    stripped = url.rstrip(_URL_TRAILING)
    return "[URL]" + url[len(stripped):]


def _dob(match: re.Match[str]) -> str:
    return match.group("cue") + "[DOB]"


def _nhs(match: re.Match[str]) -> str | None:
    return "[NHS_NUMBER]" if nhs_number_is_valid(match.group("number")) else None


def _phone(match: re.Match[str]) -> str | None:
    # After "+44" or "+44 (0)" come 9 or 10 digits; with a leading 0, 10 or 11 in all.
    national_text = match.group(0)[len(match.group("intl") or ""):]
    digits = re.sub(r"\D", "", national_text)
    allowed = (9, 10) if match.group("intl") else (10, 11)
    # Phones are written in at most four groups; more looks like a list of numbers.
    separators = len(re.findall(r"[ .-]", national_text))
    return "[PHONE]" if len(digits) in allowed and separators <= 3 else None


def _postcode(match: re.Match[str]) -> str | None:
    inward = match.group("inward")
    if _ORDINAL.fullmatch(inward) and not match.group(0).isupper():
        return None
    return "[POSTCODE]"


def _cue_name(match: re.Match[str]) -> str | None:
    words = match.group("name").split()
    if words[0].lower() in _NOT_NAMES:
        return None
    rest = ""
    if len(words) > 1 and words[1].lower() in _NOT_NAMES:
        # Only the first word is a name; the second is ordinary text.
        rest = match.group("name")[len(words[0]):]
    return match.group("cue") + "[NAME]" + rest


def redact_text(text: str, names: Iterable[str] = ()) -> tuple[str, collections.Counter[str]]:
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
    counts: collections.Counter[str] = collections.Counter()
    clean_names = tuple(
        sorted({n.strip() for n in names if isinstance(n, str) and n.strip()})
    )
    names_re = _names_pattern(clean_names) if clean_names else None
    rules: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
        ("URL", _URL, _url),
        ("EMAIL", _EMAIL, lambda m: "[EMAIL]"),
        ("DOB", _DOB, _dob),
        ("NHS_NUMBER", _NHS, _nhs),
        ("PHONE", _PHONE, _phone),
        ("POSTCODE", _POSTCODE, _postcode),
    ]
    if names_re is not None:
        rules.append(("NAME", names_re, lambda m: "[NAME]"))
    rules += [("NAME", _TITLE_NAME, _cue_name), ("NAME", _INTRO_NAME, _cue_name)]
    for kind, pattern, repl in rules:
        text, n = _subn(pattern, text, repl)
        if n:
            counts[kind] += n
    return text, counts


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
    row_names = names.tolist() if names is not None else [None] * len(texts)
    for value, own in zip(texts.tolist(), row_names, strict=True):
        if not isinstance(value, str):
            if value is None or pd.isna(value):
                out.append(value)
                continue
            value = str(value)
        redacted, counts = redact_text(value, [*staff, *_row_names(own)])
        total.update(counts)
        out.append(redacted)
    dtype = texts.dtype if (pd.api.types.is_string_dtype(texts.dtype) or texts.dtype == object) else "str"
    result = pd.Series(out, index=texts.index, name=texts.name, dtype=dtype)
    table = pd.DataFrame(
        {"type": list(PLACEHOLDER_TYPES), "count": [int(total[t]) for t in PLACEHOLDER_TYPES]}
    )
    table = table.sort_values("count", ascending=False, kind="stable", ignore_index=True)
    return result, table


# ---------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------

def pseudonymise(values: pd.Series, key: str, *, namespace: str) -> pd.Series:
    """Replace identifiers with keyed, repeatable pseudonyms.

    The same value, key and namespace always give the same pseudonym, so a
    person can be followed across waves; without the key the pseudonym cannot
    be reversed or recomputed from a guessed identifier (unlike a plain hash).

    Parameters
    ----------
    values
        Identifiers (e-mail, respondent reference...). Surrounding spaces are
        ignored; missing or blank values stay missing.
    key
        Secret key (see :func:`resolve_key`).
    namespace
        Separates kinds of identifier ("person", "respondent") so that equal
        raw values in different roles do not share a pseudonym.

    Returns
    -------
    pandas.Series
        16 lower-case hex characters (HMAC-SHA256 of ``"{namespace}:{value}"``,
        truncated), same index and name, string dtype.
    """
    if not key:
        raise ConfigError("the pseudonymisation key is empty; set a non-empty key")
    secret = key.encode("utf-8")

    def _one(value: object) -> object:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return pd.NA
        text = str(value).strip()
        if not text:
            return pd.NA
        message = f"{namespace}:{text}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]

    return pd.Series(
        [_one(v) for v in values.tolist()], index=values.index, name=values.name, dtype="str"
    )


def resolve_key(
    env_var: str,
    key_file: Path | None,
    demo_key: str | None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, bool]:
    """Find the pseudonymisation key: environment variable, key file, demo key.

    Parameters
    ----------
    env_var
        Name of the environment variable holding the key (checked first).
    key_file
        A git-ignored file holding the key (surrounding whitespace stripped),
        used if the variable is unset or blank and the file exists. A relative
        path is taken from the repository root, never the working directory.
    demo_key
        Published key of the synthetic example, used last.
    environ
        Environment to read; ``os.environ`` by default.

    Returns
    -------
    tuple[str, bool]
        The key and whether it is the (public, not secret) demo key.

    Raises
    ------
    ConfigError
        If no key is found, or the key file exists but is empty.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_var, "").strip()
    if value:
        return value, False
    key_path = paths.resolve(key_file) if key_file is not None else None
    if key_path is not None and key_path.is_file():
        content = key_path.read_text(encoding="utf-8").strip()
        if not content:
            raise ConfigError(f"pseudonymisation key file {key_file} is empty; put the key in it")
        return content, False
    if demo_key:
        return demo_key, True
    where = f"; key file {key_path} does not exist" if key_path is not None else ""
    raise ConfigError(
        f"no pseudonymisation key found: environment variable {env_var} is not set{where}. "
        f"Set it (e.g. `export {env_var}=...` in your shell) or set deidentification.key_file "
        "in the config to a git-ignored file containing the key. Keep the same key across "
        "cycles so that pseudonyms stay comparable."
    )
