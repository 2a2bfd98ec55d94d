"""Draft a cycle config from a folder of exports (``python -m analysis init FOLDER``).

Every table in the folder (CSV and TXT files, every sheet of an XLSX workbook) is
read the way the cleaning stage will read it (:mod:`analysis.core.readers`: the
encoding tried as UTF-8, with or without a byte-order mark, then cp1252; the
delimiter sniffed), its header row found, and each header matched to a canonical
field of :data:`analysis.core.config.CANONICAL_FIELDS` or to a question of the
question bank, strongest evidence first:

1. *exact*: the header is a field's name or a usual header for it ("Date completed"
   for ``submitted_at``), a question id ("q_real_improvements") or a question's
   wording in some wave;
2. *fuzzy header text*: a usual header contained in the header ("Involvement member
   ID" holds "member id"), or close to it by :class:`difflib.SequenceMatcher`
   (rapidfuzz is not installed and difflib is enough for a few hundred headers);
3. *question wording similarity*: the header is a shortened or reworded question;
4. *question number*: a bare "Q3" is the third question of the bank (items, then
   open questions), the weakest evidence and always marked for checking.

An item (Likert) target needs Likert-looking answers in the column and an open
question needs text, so a column's contents can veto a header match. Each header
takes its best remaining target, each target is used once per file, and a file's
dataset kind is the one whose fields map best with every required field present.
:func:`analysis.clean.draft_yaml.render_config` writes the result as a commented
YAML that :func:`analysis.core.config.load_config` validates: each mapping says how
it was matched and its score, unmapped columns are listed, and ``TODO`` marks what a
person must still fill in or check.

Reading the folder is :mod:`analysis.clean.draft_read` (:func:`find_tables`) and
writing the YAML :mod:`analysis.clean.draft_yaml`; everything here is pure except
:func:`load_question_bank`, which reads the bank's file.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from analysis.clean import standardise
from analysis.clean.draft_read import TABLE_SUFFIXES, Table, detect_delimiter, detect_header_row, find_tables
from analysis.core.config import CANONICAL_FIELDS, REQUIRED_FIELDS, QuestionBank, Vocabularies, read_yaml
from analysis.core.errors import ConfigError

__all__ = [
    "TABLE_SUFFIXES", "Draft", "DraftInput", "Match", "Table", "assign", "cycle_id", "detect_delimiter",
    "detect_header_row", "draft_config", "find_tables", "header_candidates", "header_key", "load_question_bank",
    "propose_mapping", "review_vocabularies", "survey_waves",
]
from analysis.core.text import match_key

#: A match scoring below this is marked ``TODO check`` in the draft.
CHECK_BELOW = 0.9
FUZZY_HEADER_MIN = 0.85
WORDING_MIN = 0.75
#: Share of a column's answers that must read as Likert answers for an item target.
LIKERT_SHARE_MIN = 0.6
#: Share of a geography's or respondent type's answers the default vocabulary must map to be kept.
VOCABULARY_FIT_MIN = 0.9
SURVEYS = ("involvement_survey", "engagement_survey")

#: Usual export headers for each canonical field, in matching form (see :func:`header_key`).
#: The field's own name (underscores as spaces) always counts too.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "respondent_ref": ("response id", "response no", "response number", "response ref", "respondent id",
                       "respondent number", "id", "ref", "reference", "record id", "submission id"),
    "person_ref": ("member id", "member number", "membership number", "person id", "participant id"),
    "submitted_at": ("submitted", "submitted on", "submission date", "date submitted", "date completed",
                     "completed", "completed on", "completion date", "date", "timestamp", "response date"),
    "wave": ("survey year", "year"),
    "respondent_type": ("you are", "are you", "i am", "i am responding as", "responding as", "respondent group",
                        "type of respondent", "role", "who are you"),
    "service_line": ("service", "service area", "directorate", "division", "care group"),
    "borough": ("local authority", "council area", "area", "where do you live", "district"),
    "age_band": ("age", "age group", "age range", "how old are you"),
    "ethnicity": ("ethnic group", "ethnic origin", "ethnic background"),
    "gender": ("sex", "gender identity"),
    "disability": ("disabled", "do you have a disability"),
    "carer_status": ("carer", "unpaid carer", "are you a carer", "caring responsibilities"),
    "weight": ("survey weight",),
    "name": ("full name", "your name", "respondent name", "author", "interviewee"),
    "email": ("email address", "e mail", "e mail address", "your email"),
    "phone": ("telephone", "phone number", "telephone number", "mobile", "mobile number", "contact number"),
    "address": ("home address", "street address", "postal address"),
    "postcode": ("post code", "postal code"),
    "channel": ("how did you take part", "how did you respond", "response channel", "method", "mode"),
    "activity_ref": ("activity id", "activity reference", "event id", "id", "ref"),
    "date": ("activity date", "event date"),
    "activity_type": ("type", "type of activity", "event type"),
    "audience": ("target audience", "who for"),
    "participants": ("number of participants", "attendees", "attendance", "number attended", "headcount"),
    "description": ("notes", "summary", "details"),
    "involvement_level": ("level of involvement", "ladder", "ladder level", "ladder rung"),
    "involved_from_start": ("involved from the start", "involved from start"),
    "action_ref": ("action id", "action reference", "id", "ref"),
    "cycle": ("survey cycle", "year"),
    "theme_id": ("theme", "theme number"),
    "you_said": ("what you said", "what people said", "feedback"),
    "we_did": ("what we did", "action taken", "action"),
    "status": ("progress", "rag status"),
    "reason": ("why not", "reason if not possible"),
    "updated_at": ("last updated", "updated", "date updated", "last modified"),
    "population": ("count", "persons", "number of people", "usual residents"),
    "case_ref": ("case id", "case study id", "story id", "id", "ref"),
    "theme_ids": ("themes", "theme id"),
    "what_people_said": ("people said", "you said"),
    "what_changed": ("changed", "we did"),
    "consent": ("consent to publish", "consent to share", "consented"),
    "document_id": ("document ref", "document reference", "doc id", "id", "ref"),
    "document_file": ("file", "file name", "filename", "document", "path"),
    "consent_to_quote": ("consent to quote", "may we quote", "quote consent", "consent"),
}
_QUESTION_NUMBER = re.compile(r"^q(?:uestion)?\s*(\d+)[a-z]?\b\s*(.*)$")
_QUESTION_PREFIX = re.compile(r"^q\s+(.+)$")


def header_key(header: object) -> str:
    """A header in matching form: case-folded, bracketed asides dropped, punctuation and ``_`` as spaces."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").casefold()
    text = re.sub(r"\([^)]*\)", " ", text).replace("'", "").replace("\u2019", "").replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


# --------------------------------------------------------------------------- matching headers
@dataclass(frozen=True)
class Match:
    """A proposed target for one header, with how it was found and how strongly (0-1)."""

    header: str
    target: str
    method: str
    score: float

    @property
    def needs_check(self) -> bool:
        return self.score < CHECK_BELOW


def _questions(bank: QuestionBank | None) -> list[tuple[str, list[str]]]:
    """Targets of the bank in bank order (items, then open questions) with their texts in matching form."""
    if bank is None:
        return []
    out = []
    for prefix, questions in (("item", bank.items), ("open", bank.open_questions)):
        for q in questions:
            out.append((f"{prefix}.{q.id}", [header_key(w) for w in q.wording.values()] + [header_key(q.short_label)]))
    return out


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def header_candidates(header: str, fields: tuple[str, ...], bank: QuestionBank | None,
                      geography_name: str = "borough") -> list[Match]:
    """Every plausible target of one header, strongest first (no use of the column's contents)."""
    key = header_key(header)
    out: list[Match] = []
    numbered = _QUESTION_NUMBER.match(key)
    text = numbered.group(2) if numbered else key
    prefixed = _QUESTION_PREFIX.match(key.replace("_", " "))
    for name in fields:
        labels = (name.replace("_", " "), *FIELD_HEADERS.get(name, ()),
                  *((geography_name,) if name == "borough" else ()))
        tokens = set(key.split())
        parts = key.split(" or ")
        if len(parts) > 1 and all(part in labels for part in parts):
            out.append(Match(header, name, f"each part is a usual header for {name}", 0.95))
        for label in labels:
            if key == label:
                out.append(Match(header, name, f"usual header for {name}", 1.0))
            elif set(label.split()) <= tokens and (len(label.split()) > 1 or len(tokens) <= 3):
                score = 0.9 if len(label.split()) > 1 else 0.75
                out.append(Match(header, name, f"header contains {label!r}", score))
            else:
                ratio = _similarity(key, label)
                if ratio >= FUZZY_HEADER_MIN:
                    out.append(Match(header, name, f"header text close to {label!r}", round(ratio, 2)))
    for position, (target, texts) in enumerate(_questions(bank), start=1):
        ident = target.split(".", 1)[1].replace("_", " ")
        if ident in (key, text) or (prefixed and prefixed.group(1) == ident):
            out.append(Match(header, target, "question id", 1.0))
        elif text and text in texts:
            out.append(Match(header, target, "question wording", 1.0))
        elif text:
            words = set(text.split())
            best = max(_similarity(text, t) for t in texts)
            if len(words) >= 4 and any(words <= set(t.split()) for t in texts):
                best = max(best, 0.9)
            if best >= WORDING_MIN:
                out.append(Match(header, target, "question wording similarity", round(best, 2)))
        if numbered and not text and int(numbered.group(1)) == position:
            out.append(Match(header, target, f"question number {position} = position in the question bank", 0.5))
    return sorted(out, key=lambda m: -m.score)


def _likert_share(column: pd.Series) -> float:
    """Share of a column's non-blank answers that read as Likert answers."""
    result = standardise.standardise_likert(column)
    answered = result["value"].notna() | (result["missing_reason"].notna() & (result["missing_reason"] != "No answer"))
    given = answered | result["problem"].notna()
    return float(answered.sum() / given.sum()) if given.any() else 0.0


def _fits_contents(match: Match, column: pd.Series, shares: dict[str, float]) -> bool:
    """Whether a column's answers suit a question target (``shares`` caches each column's Likert share)."""
    if not match.target.startswith(("item.", "open.")):
        return True
    if match.header not in shares:
        shares[match.header] = _likert_share(column)
    share = shares[match.header]
    return share >= LIKERT_SHARE_MIN if match.target.startswith("item.") else share < 0.5


def _corroborate(matches: list[Match]) -> list[Match]:
    """Raise a question-number match when other numbered headers of the file agree with the bank's order."""
    agreeing = sum(1 for m in matches if _QUESTION_NUMBER.match(header_key(m.header)) and m.score >= CHECK_BELOW
                   and m.target.startswith(("item.", "open.")))
    if not agreeing:
        return matches
    return [Match(m.header, m.target, m.method + f" (agrees with {agreeing} worded question header(s))", 0.8)
            if m.method.startswith("question number") else m for m in matches]


def assign(candidates: list[Match], headers: list[str]) -> list[Match]:
    """Give each header its best target still free; each target is used once (greedy, by score then column order)."""
    order = {h: i for i, h in enumerate(headers)}
    taken_headers: set[str] = set()
    taken_targets: set[str] = set()
    chosen = []
    for match in sorted(candidates, key=lambda m: (-m.score, order[m.header])):
        if match.header in taken_headers or match.target in taken_targets:
            continue
        chosen.append(match)
        taken_headers.add(match.header)
        taken_targets.add(match.target)
    return sorted(chosen, key=lambda m: order[m.header])


@dataclass
class DraftInput:
    """One table's proposal: its dataset kind (None when not recognised) and its mapping."""

    table: Table
    dataset: str | None
    matches: list[Match]
    unmapped: list[str]
    missing_required: list[str]
    guess: str | None = None  # the closest kind when none fits
    name: str = ""


def _kind_targets(kind: str) -> tuple[str, ...]:
    return CANONICAL_FIELDS[kind]


def propose_mapping(table: Table, bank: QuestionBank | None, geography_name: str = "borough") -> DraftInput:
    """The best dataset kind for a table and its column mapping (see the module docstring)."""
    headers = [str(c) for c in table.frame.columns if c != "source_row"]
    fits: list[tuple[tuple[bool, int, float], str, list[Match]]] = []
    shares: dict[str, float] = {}
    for kind in CANONICAL_FIELDS:
        if kind not in REQUIRED_FIELDS:
            continue
        allow_items, allow_open = kind == "involvement_survey", kind in SURVEYS
        candidates = []
        for header in headers:
            for match in header_candidates(header, _kind_targets(kind), bank if allow_open else None, geography_name):
                if match.target.startswith("item.") and not allow_items:
                    continue
                if _fits_contents(match, table.frame[header], shares):
                    candidates.append(match)
        matches = _corroborate(assign(candidates, headers))
        mapped = {m.target for m in matches}
        required = REQUIRED_FIELDS[kind]
        has_all = all(r in mapped for r in required)
        fits.append(((has_all, len(matches), sum(m.score for m in matches)), kind, matches))
    fits.sort(key=lambda f: f[0], reverse=True)
    (has_all, _, _), kind, matches = fits[0]
    mapped_headers = {m.header for m in matches}
    missing = [r for r in REQUIRED_FIELDS[kind] if r not in {m.target for m in matches}]
    unmapped = [h for h in headers if h not in mapped_headers]
    if has_all:
        return DraftInput(table, kind, matches, unmapped, [])
    close = len(matches) >= 2 and len(matches) >= 0.5 * len(headers)
    return DraftInput(table, None, matches if close else [], unmapped if close else headers, missing,
                      guess=kind if close else None)


# --------------------------------------------------------------------------- the whole draft
@dataclass
class Draft:
    """Everything :func:`render_config` writes."""

    cycle: str
    folder: Path
    inputs: list[DraftInput]
    skipped: list[tuple[str, str]]
    bank: dict[str, Any] | None  # the question bank as written in its YAML
    bank_source: str | None
    waves: tuple[int, int] | None
    vocabulary_notes: list[str] = field(default_factory=list)
    #: Drafted vocabulary values where the defaults do not fit the data (None: the defaults fit).
    areas: list[str] | None = None
    respondent_types: list[str] | None = None


def cycle_id(folder: Path) -> str:
    """A valid cycle id from a folder name ("Survey 2025" -> "survey-2025")."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", folder.name.casefold()).strip("-_")[:64]
    return slug or "cycle"


def _input_names(inputs: list[DraftInput]) -> None:
    seen: set[str] = set()
    for item in inputs:
        stem = item.table.path.stem + (f"_{item.table.sheet}" if item.table.sheet and
                                       sum(i.table.path == item.table.path for i in inputs) > 1 else "")
        base = re.sub(r"[^a-z0-9]+", "_", stem.casefold()).strip("_") or "input"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        item.name = name


def _column(inputs: list[DraftInput], target: str, datasets: tuple[str, ...] | None = None) -> list[pd.Series]:
    return [i.table.frame[m.header] for i in inputs if i.dataset and (datasets is None or i.dataset in datasets)
            for m in i.matches if m.target == target]


def survey_waves(inputs: list[DraftInput]) -> tuple[int, int] | None:
    """Earliest and latest year of the surveys' submission dates.

    Only years holding at least 2% of the dates count: exports carry a few mistyped
    dates (1925, a year ahead) that must not become the baseline or the latest wave.
    """
    years = pd.Series([], dtype="int64")
    for column in _column(inputs, "submitted_at", SURVEYS):
        dates = standardise.standardise_dates(column)["value"].dropna()
        years = pd.concat([years, dates.dt.year.astype("int64")], ignore_index=True)
    counts = years.value_counts()
    common = counts[counts >= 0.02 * counts.sum()].index
    return (int(min(common)), int(max(common))) if len(common) else None


def _share_mapped(result: pd.DataFrame) -> tuple[float, int]:
    given = result["value"].notna() | result["problem"].notna()
    return (float(result["value"].notna().sum() / given.sum()) if given.any() else 1.0), int(given.sum())


def _frequent(columns: list[pd.Series], limit: int, *, skip: tuple[str, ...] = ()) -> list[str]:
    """The commonest answers (at least 2 and 1% of them), without blanks and the ``skip`` spellings."""
    values = pd.concat(columns, ignore_index=True).map(
        lambda v: "" if v is None or v != v else " ".join(str(v).split()))
    skipped = {match_key(s) for s in skip}
    counts = values[(values != "") & ~values.map(match_key).isin(skipped)].value_counts()
    keep = counts[counts >= max(2, 0.01 * counts.sum())]
    return sorted(keep.index[:limit], key=str.casefold)


def review_vocabularies(inputs: list[DraftInput]) -> tuple[list[str], list[str] | None, list[str] | None]:
    """Whether the default vocabularies (the example's) fit the data, with drafted values where they do not.

    Returns
    -------
    (notes, areas, respondent_types)
        One sentence per check for the draft's comments; the commonest area answers when
        fewer than :data:`VOCABULARY_FIT_MIN` of them are in the default geography (else
        None); likewise the commonest respondent types.
    """
    default = Vocabularies()
    notes: list[str] = []
    areas = types = None
    boroughs = _column(inputs, "borough")
    if boroughs:
        share, n = _share_mapped(standardise.standardise_borough(pd.concat(boroughs), geography=default.geography))
        notes.append(f"{share:.0%} of {n} area answers are in the default geography (the example's "
                     f"{len(default.geography.values)} North West London boroughs)")
        if share < VOCABULARY_FIT_MIN:
            # Refusals ("Prefer not to say") and "Other" are not areas, whatever the area.
            areas = _frequent(boroughs, 40, skip=(*standardise.BOROUGH_NOT_STATED, *standardise.GENERIC_OUTSIDE_ALIASES))
    columns = {d: _column(inputs, "respondent_type", (d,)) for d in SURVEYS}
    for dataset, cols in columns.items():
        if not cols:
            continue
        result = standardise.standardise_respondent_type(pd.concat(cols), dataset=dataset,
                                                         types=default.respondent_types)
        share, n = _share_mapped(result)
        notes.append(f"{share:.0%} of {n} respondent types in the {dataset.replace('_', ' ')} are in the default "
                     "respondent types")
        if share < VOCABULARY_FIT_MIN:
            types = _frequent([c for cs in columns.values() for c in cs], 20)
    return notes, areas, types


def draft_config(folder: Path, *, bank: QuestionBank | None, bank_raw: dict[str, Any] | None,
                 bank_source: str | None, cycle: str | None = None) -> Draft:
    """Read a folder of exports and propose a cycle config.

    Parameters
    ----------
    folder
        The exports (read, never changed).
    bank, bank_raw, bank_source
        The question bank to match headers against (validated, and as written in its YAML) and
        where it came from; None matches canonical fields only.
    cycle
        Cycle id; default from the folder name.
    """
    tables, skipped = find_tables(folder)
    inputs = [propose_mapping(t, bank) for t in tables]
    recognised = [i for i in inputs if i.dataset]
    _input_names(recognised)
    notes, areas, types = review_vocabularies(recognised)
    return Draft(cycle=cycle or cycle_id(folder), folder=folder, inputs=inputs, skipped=skipped, bank=bank_raw,
                 bank_source=bank_source, waves=survey_waves(recognised), vocabulary_notes=notes,
                 areas=areas, respondent_types=types)


def load_question_bank(path: Path) -> tuple[QuestionBank, dict[str, Any]]:
    """A question bank from a cycle config (its ``question_bank``) or a YAML holding only the bank.

    Returns
    -------
    (bank, as written)
        The validated bank and the mapping as written in the file (copied into the draft).

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML, has no question bank or the bank is invalid
        (naming the key).
    """
    raw = read_yaml(path, "question bank")
    if isinstance(raw, dict) and "question_bank" in raw:
        raw = raw["question_bank"]
    if not isinstance(raw, dict) or not {"items", "open_questions"} & set(raw):
        raise ConfigError(f"question bank {path.name}: expected a cycle config with a question_bank section, "
                          "or a mapping with items and open_questions")
    raw = {"items": [], "open_questions": [], **raw}
    try:
        bank = QuestionBank.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"question bank {path.name}, {where}: {first['msg']}") from None
    return bank, raw
