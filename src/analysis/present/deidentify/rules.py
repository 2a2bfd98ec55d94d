"""The rule layer: check digits, and each pattern's decision whether a match is an identifier.

:func:`_redact_rules` applies the rules in their order (see the package docstring);
a rule's function may decline a match (it returns None) so that ordinary text stays.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Callable, Iterable

from analysis.present.deidentify.patterns import (
    _ADDRESS,
    _DOB,
    _EMAIL,
    _INTRO_NAME,
    _MRN_CUED,
    _MRN_TRUST,
    _NHS,
    _NHS_CUE,
    _NINO,
    _NINO_BAD_PREFIXES,
    _NOT_NAMES,
    _NOT_STREET,
    _ORDINAL,
    _ORG_WORD_RE,
    _PHONE,
    _POSTCODE,
    _REG_CURRENT,
    _REG_WORDS,
    _RELATION_NAME,
    _ROLE_BEFORE_NAME,
    _ROLE_NAME,
    _ROLE_WORDS,
    _SIGNATURE,
    _STRONG_INTRO,
    _TITLE_LOWER,
    _TITLE_NAME,
    _TITLE_WORDS,
    _URL,
    _URL_TRAILING,
    _VEHICLE_CUED,
    _VEHICLE_UPPER,
)
from analysis.present.deidentify.words import (
    _english_words,
    _is_allowed,
    _is_english,
    _known_word,
    _looks_like_org,
    _misspelt_english,
    _sentence_start,
)

# ---------------------------------------------------------------------------
# Check digits
# ---------------------------------------------------------------------------

def nhs_number_is_valid(number: str) -> bool:
    """Check an NHS number against its modulus-11 check digit.

    Parameters
    ----------
    number
        Ten digits, optionally separated by spaces, dashes or dots.

    Returns
    -------
    bool
        True if there are exactly ten digits and the tenth equals the check
        digit computed from the first nine (weights 10 down to 2; 11 - remainder;
        11 becomes 0; 10 means no valid NHS number has these nine digits).
    """
    digits = re.sub(r"[\s.-]", "", number)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def ni_number_is_valid(number: str) -> bool:
    """Check the format of a UK National Insurance number (HMRC's prefix rules).

    Parameters
    ----------
    number
        For example ``"QQ 12 34 56 C"``; spaces and case are ignored.

    Returns
    -------
    bool
        True for two prefix letters (neither D, F, I, Q, U or V; the second not
        O; not BG, GB, KN, NK, NT, TN or ZZ), six digits and a suffix A-D.
    """
    compact = re.sub(r"\s", "", number).upper()
    match = _NINO.fullmatch(compact)
    return bool(match) and match.group("prefix") not in _NINO_BAD_PREFIXES


# ---------------------------------------------------------------------------
# Rule layer
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
    number = match.group("number")
    digits = re.sub(r"\D", "", number)
    cued = bool(_NHS_CUE.search(match.string[max(0, match.start() - 30):match.start()]))
    if cued:
        return "[NHS_NUMBER]"
    # Groups of at most 5 digits; a run like "12 3456789 0" is not how anyone writes one.
    # Uncued, at most three groups ("943 476 5919", "94347 65919", "9434 765 919"): a run
    # like "1 2 3 4 5 6 7 8 9 0" or "12 34 56 78 90" is a list of numbers, not an identifier.
    if len(re.split(r"[ .-]", number)) > 3:
        return None
    if digits.startswith("0"):
        return None  # a phone number (no NHS number in England or Wales starts with 0)
    return "[NHS_NUMBER]" if nhs_number_is_valid(number) else None


def _nino(match: re.Match[str]) -> str | None:
    return "[NI_NUMBER]" if match.group("prefix").upper() not in _NINO_BAD_PREFIXES else None


def _mrn_cued(match: re.Match[str]) -> str | None:
    digits = re.sub(r"\D", "", match.group("number"))
    if len(digits) < 5:
        return None
    return match.group("cue") + match.group("gap") + "[HOSPITAL_NUMBER]"


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


def _vehicle_upper(match: re.Match[str]) -> str | None:
    return None if match.group(0)[-3:].lower() in _REG_WORDS else "[VEHICLE_REG]"


def _vehicle_cued(match: re.Match[str]) -> str | None:
    reg = match.group("reg")
    letters = re.findall(r"[A-Za-z]+", reg)
    if not re.search(r"\d", reg) or any(w.lower() in _REG_WORDS for w in letters):
        return None
    # A dateless plate is easily an ordinary "3 cars" or "A 4": demand at least 2 letters and 2 characters more.
    if len(re.sub(r"\s", "", reg)) < 4 or sum(len(w) for w in letters) < 2:
        return None
    if all(w.islower() for w in letters) and not re.fullmatch(rf"(?i:{_REG_CURRENT})", reg):
        return None  # older formats only in capitals ("ABC 123D")
    return match.group("cue") + "[VEHICLE_REG]"


def _address(match: re.Match[str]) -> str | None:
    words = (match.group("cap") or match.group("low") or "").split()
    if any(w.lower() in _NOT_STREET for w in words):
        return None
    return "[ADDRESS]"





def _name_words_ok(words: list[str], *, lower: bool) -> bool:
    """Whether cue-introduced words can be a name (not ordinary, allow-listed or institutional)."""
    if not words or words[0].lower() in _NOT_NAMES or _is_allowed(" ".join(words)) or _is_allowed(words[0]):
        return False
    if any(_ORG_WORD_RE.fullmatch(re.sub(r"[’']s$", "", w)) for w in words[1:]):
        return False  # "Brent Council", "Jenner Ward": an institution, not a person
    return not (lower and _is_english(words[0]))


def _ordinary_lower_word(word: str, *, after_title: bool) -> bool:
    """A lower-case word after a title or relation that is not a name.

    English verbs, adjectives, adverbs and stop words; role words ("paramedics");
    one-typo misspellings; and after a relation only ("my father diagnosis"),
    nouns of six letters or more (shorter nouns are often first names: "tom",
    "jenny") and compounds of two nouns ("childcare"). Not after a title: the
    lemma tables hold many surnames as nouns ("dr macleod", "dr evans").
    """
    w = word.lower()
    if _is_english(w) or w in _ROLE_WORDS or w.rstrip("s") in _ROLE_WORDS:
        return True
    if after_title:
        return _misspelt_english(w)
    nouns = _english_words()[1]
    if len(w) >= 6 and (w in nouns or (w.endswith("s") and w[:-1] in nouns)):
        return True
    if len(w) >= 8 and any(w[:i] in nouns and w[i:] in nouns for i in range(3, len(w) - 2)):
        return True
    return _misspelt_english(w)


def _cue_name(match: re.Match[str]) -> str | None:
    name = match.group("name")
    words = name.split()
    lower = name[0].islower()
    if not _name_words_ok(words, lower=lower) or _looks_like_org(match.string, match.end("name")):
        return None
    if lower and _ordinary_lower_word(words[0], after_title=match.re is _TITLE_LOWER):
        return None
    rest = ""
    if len(words) > 1 and (words[1].lower() in _NOT_NAMES or _is_allowed(words[1])):
        # Only the first word is a name; the second is ordinary text.
        rest = name[len(words[0]):]
    cue = match.group("cue") if "cue" in match.groupdict() else ""
    return cue + "[NAME]" + rest


def _intro_name(match: re.Match[str]) -> str | None:
    cue = match.group("cue")
    name = match.group("name")
    if not _STRONG_INTRO.match(cue):
        # "thanks", "regards", "cheers": a lone word only at the very end (a signature). Not "from":
        # "... from Darlington." is a place far more often than a signature.
        tail = match.string[match.end("name"):].strip(" \t.!,)")
        if len(name.split()) < 2 and tail:
            return None
    return _cue_name(match)


def _signature(match: re.Match[str]) -> str | None:
    words = match.group("name").split()
    if any(w.lower() in _NOT_NAMES or _is_english(w) or _is_allowed(w) for w in words):
        return None  # "- Palliative Care", "- Thank You"
    return _cue_name(match)


def _role_name(match: re.Match[str]) -> str | None:
    name = match.group("name")
    words = name.split()
    lower = name[0].islower()
    if not _name_words_ok(words, lower=lower) or _looks_like_org(match.string, match.end("name")):
        return None
    if lower and (not words[0].isalpha() or _known_word(words[0]) or _misspelt_english(words[0])):
        # In lower case only a word no dictionary knows ("kofi on ward 5", not "everything on the ward").
        return None
    if len(words) > 1 and (words[1].lower() in _NOT_NAMES or _is_allowed(words[1])):
        return "[NAME]" + name[len(words[0]):]
    # A misspelt word ("Patinets on the ward") is not a name, nor a capitalised ordinary word before
    # "from"/"in" ("Help from the crisis team", "Support in the community team").
    if len(words) == 1 and _misspelt_english(words[0]):
        return None
    after = match.string[match.end("name"):]
    if len(words) == 1 and (words[0].lower() in _ROLE_WORDS or words[0].lower().rstrip("s") in _ROLE_WORDS):
        return None  # "Medic at clinic"
    if len(words) == 1 and _is_english(words[0]) and (
            _sentence_start(match.string, match.start("name"))
            or re.match(r"[ \t]*[,(\-–]?[ \t]*(?i:from|in)\b", after)):
        return None  # "Only the ward manager", "See my nurse", "Help from the crisis team"
    return "[NAME]"


def _role_before_name(match: re.Match[str]) -> str | None:
    words = match.group("name").split()
    if len(words) == 1 and (_is_english(words[0]) or _misspelt_english(words[0])):
        return None  # "the nurse Wanted", "physio Helped"
    return _cue_name(match)


def _rules(names_re: re.Pattern[str] | None) -> list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]]]:
    rules: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
        ("URL", _URL, _url),
        ("EMAIL", _EMAIL, lambda m: "[EMAIL]"),
        ("DOB", _DOB, _dob),
        ("HOSPITAL_NUMBER", _MRN_CUED, _mrn_cued),
        ("NHS_NUMBER", _NHS, _nhs),
        ("NI_NUMBER", _NINO, _nino),
        ("HOSPITAL_NUMBER", _MRN_TRUST, lambda m: "[HOSPITAL_NUMBER]"),
        ("PHONE", _PHONE, _phone),
        ("POSTCODE", _POSTCODE, _postcode),
        ("VEHICLE_REG", _VEHICLE_UPPER, _vehicle_upper),
        ("VEHICLE_REG", _VEHICLE_CUED, _vehicle_cued),
        ("ADDRESS", _ADDRESS, _address),
    ]
    if names_re is not None:
        rules.append(("NAME", names_re, lambda m: "[NAME]"))
    rules += [
        ("NAME", _TITLE_NAME, _cue_name),
        ("NAME", _TITLE_LOWER, _cue_name),
        ("NAME", _RELATION_NAME, _cue_name),
        ("NAME", _INTRO_NAME, _intro_name),
        ("NAME", _SIGNATURE, _signature),
        ("NAME", _ROLE_NAME, _role_name),
        ("NAME", _ROLE_BEFORE_NAME, _role_before_name),
    ]
    return rules


def _redact_rules(text: str, names: Iterable[str]) -> tuple[str, collections.Counter[str]]:
    counts: collections.Counter[str] = collections.Counter()
    clean_names = tuple(sorted({n.strip() for n in names if isinstance(n, str) and n.strip()}))
    names_re = _names_pattern(clean_names) if clean_names else None
    for kind, pattern, repl in _rules(names_re):
        text, n = _subn(pattern, text, repl)
        if n:
            counts[kind] += n
    return text, counts
