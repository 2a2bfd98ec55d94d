"""Write a :class:`analysis.clean.draft_config.Draft` as a commented cycle YAML.

Pure text building, kept apart from the reading and matching in
:mod:`analysis.clean.draft_config`. Every header and sheet name comes from a
user's file, so values are written as YAML double-quoted scalars (JSON string
syntax, valid YAML) and comments are flattened to one line without control
characters: no header can break the YAML or smuggle in a key.
"""

from __future__ import annotations

import json
import unicodedata

import yaml

from analysis.clean.draft_config import Draft, DraftInput, Match
from analysis.core import paths


def _q(text: object) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _comment(text: str, limit: int = 110) -> str:
    """Text safe inside a ``#`` comment: one line, no control characters, bounded length."""
    flat = "".join(" " if unicodedata.category(c).startswith("C") else c for c in str(text))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


_KIND_WORDS = {"involvement_survey": "involvement survey", "engagement_survey": "engagement survey",
               "activities": "activity log", "actions": "actions log (you said, we did)",
               "population": "population benchmark", "case_studies": "case-study log"}


def _match_line(m: Match) -> str:
    how = f"{m.method} ({m.score:.2f})"
    note = f"TODO check: {how}" if m.needs_check else how
    return f"      {_q(m.header)}: {m.target}   # {_comment(note)}"


def _input_block(item: DraftInput) -> list[str]:
    t = item.table
    read = [f"header on row {t.header_row}"]
    if t.encoding:
        read.insert(0, f"read as {t.encoding}, delimiter {t.delimiter!r}")
    lines = [f"  # {_comment(t.label)}: {_KIND_WORDS.get(item.dataset or '', item.dataset)}; "
             f"{len(item.matches)} of {len(item.matches) + len(item.unmapped)} columns mapped; {', '.join(read)}",
             f"  - name: {item.name}", f"    dataset: {item.dataset}", f"    path: {_q(paths.shown(t.path))}"]
    if t.sheet is not None:
        lines.append(f"    sheet: {_q(t.sheet)}")
    else:
        lines.append("    encoding: auto   # UTF-8 (with or without a byte-order mark), else cp1252")
        if t.delimiter is not None and (t.delimiter != "," or not t.delimiter_agrees):
            lines.append(f"    delimiter: {_q(t.delimiter)}")
    if t.header_row != 1:
        lines.append(f"    # TODO: the headers are on row {t.header_row}: delete the rows above them "
                     "(the reader expects headers on row 1)")
    lines.append("    columns:")
    lines.extend(_match_line(m) for m in item.matches)
    if item.unmapped:
        lines.append("    # not mapped (dropped when cleaning; map them to a field, item.<id> or open.<id>, or leave them):")
        lines.extend(f"    #   {_comment(_q(h))}" for h in item.unmapped)
    return lines


def _unrecognised_block(items: list[DraftInput], skipped: list[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    if items:
        lines += ["# Tables not recognised as an export of any dataset (not in inputs):"]
    for item in items:
        columns = ", ".join(_q(h) for h in item.unmapped)
        if item.guess:
            lines.append(f"#   TODO if it is one: {_comment(item.table.label)} looks like a "
                         f"{_KIND_WORDS.get(item.guess, item.guess)} but {', '.join(item.missing_required)} "
                         "could not be found; add it to inputs with these columns mapped:")
            lines.extend(f"#     {_comment(_q(m.header))}: {m.target}   ({_comment(m.method)}, {m.score:.2f})"
                         for m in item.matches)
            if item.unmapped:
                lines.append(f"#     could not map: {_comment(columns, 400)}")
        else:
            lines.append(f"#   {_comment(item.table.label)}: not an export of any dataset; its columns: "
                         f"{_comment(columns, 400)}")
    if skipped:
        lines.append("# Skipped: " + _comment("; ".join(f"{what} ({why})" for what, why in skipped), 400))
    return lines


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _vocabulary_lines(draft: Draft) -> list[str]:
    """A drafted ``vocabularies:`` section where the defaults do not fit (else nothing)."""
    lines: list[str] = []
    if draft.areas is not None:
        lines += [
            "  geography:",
            "    name: borough   # what one area is called in messages",
            f"    values: {_yaml_list(draft.areas)}   # TODO: the areas (drafted from the commonest answers: "
            "remove typos, they are matched anyway)",
            '    aliases: {}   # other spellings of an area, e.g. "Manchester": ["City of Manchester", "MCR"]',
            '    outside_label: "Outside the area"   # TODO: the value for answers outside the area',
            "    outside_aliases: []   # neighbouring places that count as outside (exact matches)",
        ]
    if draft.respondent_types is not None:
        lines += [
            "  respondent_types:",
            f"    values: {_yaml_list(draft.respondent_types)}   # TODO: the respondent types (drafted from the "
            "commonest answers)",
            '    aliases: {}   # per survey, e.g. involvement_survey: {"Staff": ["Employee"]}; a survey not listed',
            "                  # accepts every value by its own name",
        ]
    return ["vocabularies:", *lines] if lines else []


def render_config(draft: Draft) -> str:
    """The draft as a commented cycle YAML that :func:`analysis.core.config.load_config` validates."""
    inputs = [i for i in draft.inputs if i.dataset]
    latest, baseline = (draft.waves[1], draft.waves[0]) if draft.waves else (2000, 2000)
    wave_note = (f"the latest year of the surveys' dates ({draft.waves[0]}-{draft.waves[1]})" if draft.waves
                 else "TODO: the last survey wave of this cycle (no survey dates were found)")
    out = [
        f"# Cycle configuration drafted by `python -m analysis init` from {len(draft.inputs)} table(s) in",
        f"# {_comment(paths.shown(draft.folder), 200)}. Fill in or check every line marked TODO, then run",
        f"#   python -m analysis validate config/{draft.cycle}.yaml",
        "# Each column mapping says how its header was matched and the score (1.00 = exact). Unmapped columns are",
        "# listed under their file and dropped when cleaning. config/example.yaml explains every key.",
        f"cycle: {draft.cycle}",
        'title: "TODO: the report title"   # TODO',
        'organisation: "TODO: your organisation"   # TODO',
        f"latest_wave: {latest}   # {wave_note}",
        "previous_cycle: null   # the cycle id this one is compared with, once there is one",
        "seed: 2025   # any fixed number: the same seed gives the same results",
        "suppression_threshold: 10   # counts of fewer people are hidden",
        "",
        "inputs:",
    ]
    for item in inputs:
        out += _input_block(item) + [""]
    out += _unrecognised_block([i for i in draft.inputs if not i.dataset], draft.skipped)
    out += [""]
    if draft.bank is not None:
        out.append(f"# Question bank copied from {_comment(draft.bank_source or 'the given file', 200)}.")
        dumped = yaml.safe_dump({"question_bank": draft.bank}, sort_keys=False, allow_unicode=True, width=110)
        out += dumped.rstrip("\n").splitlines()
    else:
        out += ["question_bank:   # TODO: the questions (stable ids, wording per wave); see config/example.yaml",
                "  items: []", "  open_questions: []"]
    out.append("")
    vocabulary = _vocabulary_lines(draft)
    if vocabulary:
        out += ["# The default areas or respondent types (the example's, North West London) do not fit these files:",
                *(f"#   {_comment(n)}" for n in draft.vocabulary_notes), *vocabulary]
    else:
        out += ["# vocabularies: not written, so the defaults apply: the example's North West London boroughs and",
                "# respondent types (config/example.yaml writes them out; copy that section to change them).",
                *(f"#   {_comment(n)}" for n in draft.vocabulary_notes)]
    out += [
        "",
        "deidentification:",
        "  staff_names: []   # TODO: staff names always redacted from free text (other names are found automatically)",
        "  key_env_var: INVOLVEMENT_PSEUDONYM_KEY   # set this secret before cleaning (export INVOLVEMENT_PSEUDONYM_KEY=...)",
        "",
        "change:",
        f"  baseline_wave: {baseline}   # " + ("the earliest year of the surveys' dates" if draft.waves
                                            else "TODO: the wave later waves are compared with"),
        "",
    ]
    return "\n".join(out)


def count_todo_lines(text: str) -> int:
    """Lines marked TODO in a draft, not counting the explanatory comment at its top."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return sum("TODO" in line for line in lines[start:])
