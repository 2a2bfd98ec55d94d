"""Pandera schemas for the processed tables: the contract every analysis reads.

The cleaning stage validates each table against these before writing it, so
a notebook can rely on column names, types and vocabularies. The data
dictionary published with each cycle is generated from the same schemas,
so it cannot drift from the data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.core import vocab


def _import_pandera():  # noqa: ANN202 - returns the module
    """``pandera.pandas``, leaving the environment as it was.

    pandera sets ``SPARK_LOCAL_IP`` and ``PYARROW_IGNORE_TIMEZONE`` on import, for pyspark,
    which this project does not use; importing our modules must change nothing.
    """
    before = dict(os.environ)
    import pandera.pandas as module

    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)
    return module


pa = _import_pandera()

_DATE = "datetime64[us]"


def _cat(values: tuple[str, ...] | list[str], description: str, nullable: bool = True) -> pa.Column:
    return pa.Column(str, checks=pa.Check.isin(list(values)), nullable=nullable, description=description)


def _text(description: str, nullable: bool = True) -> pa.Column:
    return pa.Column(str, nullable=nullable, description=description)


_EQUALITY = {
    "age_band": _cat([*vocab.AGE_BANDS, vocab.NOT_STATED], "Age band (equality monitoring)."),
    "ethnicity": _cat([*vocab.ETHNICITY_GROUPS, vocab.NOT_STATED], "Ethnic group, ONS high-level categories."),
    "gender": _cat([*vocab.GENDERS, vocab.NOT_STATED], "Gender (equality monitoring)."),
    "disability": _cat([*vocab.YES_NO, vocab.NOT_STATED], "Disability (equality monitoring)."),
    "carer_status": _cat([*vocab.YES_NO, vocab.NOT_STATED], "Unpaid carer (equality monitoring)."),
}
# Borough and respondent type allow the example's values here; processed_schemas() sets a cycle's own.
_BOROUGH = _cat([*vocab.BOROUGHS, vocab.BOROUGH_OTHER], "Borough, standardised from aliases and typos; missing if not given.")
_RESPONDENT_ID = _text("Pseudonymised respondent id (keyed hash of the export's response id).", nullable=False)
_PERSON_ID = _text("Pseudonymised persistent member id; repeats across waves for the same person.")
_WAVE = pa.Column(int, checks=pa.Check.in_range(1900, 2100), description="Survey wave (calendar year of the response).")

RESPONDENTS = pa.DataFrameSchema(
    {
        "respondent_id": _RESPONDENT_ID,
        "person_id": _PERSON_ID,
        "dataset": _cat(["involvement_survey", "engagement_survey"], "Which survey the respondent answered.", False),
        "source_file": _text("Name of the input (config inputs[].name) the row came from.", False),
        "source_row": pa.Column(int, description="Spreadsheet row in the source file (header = row 1)."),
        "wave": _WAVE,
        "submitted_at": pa.Column(_DATE, nullable=False, description="Date the response was submitted."),
        "respondent_type": _cat(vocab.RESPONDENT_TYPES, "Standardised respondent type.", False),
        "service_line": _cat(vocab.SERVICE_LINES, "Service line the respondent is involved with."),
        "borough": _BOROUGH,
        **_EQUALITY,
        "channel": _cat(vocab.CHANNELS, "How the respondent took part (engagement survey)."),
        "weight": pa.Column("Float64", nullable=True, description="Survey weight, if supplied."),
    },
    strict=True,
    unique=["respondent_id"],
    name="respondents",
)

RESPONSES = pa.DataFrameSchema(
    {
        "respondent_id": _RESPONDENT_ID,
        "person_id": _PERSON_ID,
        "wave": _WAVE,
        "respondent_type": _cat(vocab.RESPONDENT_TYPES, "Standardised respondent type.", False),
        "borough": _BOROUGH,
        "service_line": _cat(vocab.SERVICE_LINES, "Service line."),
        "item_id": _text("Stable question id from the config question bank.", False),
        "value": pa.Column("Int64", checks=pa.Check.in_range(1, 5), nullable=True,
                           description="Likert code, 1 = Strongly disagree .. 5 = Strongly agree; missing if no valid answer."),
        "level": _cat(vocab.LIKERT_LEVELS, "Likert label matching value."),
        "missing_reason": _cat(vocab.MISSING_REASONS, "Why value is missing (Don't know is kept as a reason, not a value)."),
        "positive": pa.Column("boolean", nullable=True,
                              description="Value is one of the item's positive levels (config); missing when value is."),
        "weight": pa.Column("Float64", nullable=True, description="Survey weight, if supplied."),
    },
    strict=True,
    unique=["respondent_id", "item_id"],
    name="responses",
)

COMMENTS = pa.DataFrameSchema(
    {
        "comment_id": _text("Id of this answer: respondent id + question id (+ passage number for a document).",
                            False),
        "respondent_id": _RESPONDENT_ID,
        "dataset": _cat(["involvement_survey", "engagement_survey", "documents"],
                        "Survey the answer came from, or 'documents' for a passage of a qualitative document.",
                        False),
        "question_id": _text("Open question id from the config question bank; 'documents' for document passages.",
                             False),
        "wave": _WAVE,
        "cycle": _text("Cycle id of the run that processed it.", False),
        "respondent_type": _cat(vocab.RESPONDENT_TYPES, "Standardised respondent type.", False),
        "borough": _BOROUGH,
        "channel": _cat(vocab.CHANNELS, "How the respondent took part."),
        "age_band": _EQUALITY["age_band"],
        "ethnicity": _EQUALITY["ethnicity"],
        "text": _text("The answer, de-identified (typed placeholders such as [EMAIL], [NAME]).", False),
        "is_non_answer": pa.Column(bool, description="A non-answer such as 'nothing' or 'no comment' (kept, not modelled)."),
        "non_answer_kind": _text("Kind of non-answer, or 'very short'; missing for substantive answers."),
        "n_words": pa.Column(int, checks=pa.Check.ge(0), description="Number of words in the de-identified text."),
        "document_id": _text("Pseudonymised document id (keyed hash, as respondent ids); missing for survey answers."),
        "passage_no": pa.Column("Int64", checks=pa.Check.ge(1), nullable=True,
                                description="Position of the passage in its document (1 = first, counting "
                                            "passages not themed); missing for survey answers."),
        "consent_to_quote": pa.Column(bool, description="The text may be quoted (True for survey answers; a "
                                                        "document's index says so, blank or unclear = False)."),
    },
    strict=True,
    unique=["comment_id"],
    name="comments",
)

ACTIVITIES = pa.DataFrameSchema(
    {
        "activity_id": _text("Activity reference from the log.", False),
        "date": pa.Column(_DATE, nullable=False, description="Date of the activity."),
        "month": pa.Column(str, checks=pa.Check.str_matches(r"^\d{4}-\d{2}$"), description="YYYY-MM of the activity."),
        "activity_type": _cat(vocab.ACTIVITY_TYPES, "Standardised activity type.", False),
        "borough": _BOROUGH,
        "audience": _text("Who the activity was for."),
        "participants": pa.Column(int, checks=pa.Check.ge(0), description="Number of participants."),
        "description": _text("Notes, de-identified."),
        "involvement_level": _text("Rung of the involvement ladder (config reach.ladder), as the ladder spells it; "
                                   "missing if not recorded."),
        "involved_from_start": pa.Column("boolean", nullable=True,
                                         description="Experts by experience were involved from the start; "
                                                     "missing if not recorded."),
    },
    strict=True,
    unique=["activity_id"],
    name="activities",
)

ACTIONS = pa.DataFrameSchema(
    {
        "action_id": _text("Action reference.", False),
        "cycle": _text("Cycle in which the action was logged."),
        "theme_id": pa.Column(int, description="Theme the action answers (registry id)."),
        "you_said": _text("What people said, de-identified.", False),
        "we_did": _text("What was done, de-identified.", False),
        "status": _cat(vocab.ACTION_STATUSES, "Standardised status.", False),
        "reason": _text("Reason, required when the status is 'Not possible'."),
        "updated_at": pa.Column(_DATE, nullable=True, description="When the action was last updated."),
    },
    strict=True,
    unique=["action_id"],
    name="actions",
)

POPULATION = pa.DataFrameSchema(
    {
        "borough": _BOROUGH,
        "age_band": _cat(vocab.AGE_BANDS, "Age band.", False),
        "ethnicity": _cat(vocab.ETHNICITY_GROUPS, "Ethnic group.", False),
        "population": pa.Column(int, checks=pa.Check.ge(0), description="Population count (benchmark)."),
    },
    strict=True,
    name="population",
)

CASE_STUDIES = pa.DataFrameSchema(
    {
        "case_id": _text("Case-study reference from the log.", False),
        "cycle": _text("Cycle in which the case study was written."),
        "title": _text("Title, de-identified.", False),
        "theme_ids": pa.Column(str, checks=pa.Check.str_matches(r"^\d+(;\d+)*$"), nullable=False,
                               description="Theme ids the story is about, in order, separated by ';'."),
        "what_people_said": _text("What people said, de-identified."),
        "what_changed": _text("What changed, de-identified."),
        "consent": pa.Column("boolean", nullable=True,
                             description="Consent to publish the story; only true is ever shown (missing = no)."),
        "quote": _text("A quote, de-identified; published only with consent."),
    },
    strict=True,
    unique=["case_id"],
    name="case_studies",
)

LEDGER_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "column", "value", "reason", "outcome")
LEDGER = pa.DataFrameSchema(
    {
        "source_file": _text("Input name (config inputs[].name).", False),
        "source_row": pa.Column(int, description="Spreadsheet row (header = row 1)."),
        "column": _text("Raw column header the problem was found in."),
        "value": _text("The offending raw value (identifier columns are never echoed)."),
        "reason": _text("Why.", False),
        "outcome": _cat(["row rejected", "value set missing"], "What happened to the row.", False),
    },
    strict=True,
    name="rejected",
)

PROCESSED_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "respondents": RESPONDENTS,
    "responses": RESPONSES,
    "comments": COMMENTS,
    "activities": ACTIVITIES,
    "actions": ACTIONS,
    "population": POPULATION,
    "case_studies": CASE_STUDIES,
}


#: Columns whose allowed values are the cycle's vocabularies (config ``vocabularies``), not fixed lists.
VOCABULARY_COLUMNS: tuple[str, ...] = ("borough", "respondent_type")


def processed_schemas(*, areas: Sequence[str], respondent_types: Sequence[str]) -> dict[str, pa.DataFrameSchema]:
    """The processed-table schemas for one cycle's vocabularies.

    :data:`PROCESSED_SCHEMAS` allows the bundled example's values (North West London's
    boroughs, its respondent types); a cycle validates against its own instead.

    Parameters
    ----------
    areas
        Allowed ``borough`` values: the config's ``vocabularies.geography.allowed_values()``
        (the areas, then the outside label).
    respondent_types
        Allowed ``respondent_type`` values: ``vocabularies.respondent_types.values``.

    Returns
    -------
    dict[str, pandera.DataFrameSchema]
        Same tables and columns as :data:`PROCESSED_SCHEMAS`; only the allowed values of
        :data:`VOCABULARY_COLUMNS` differ.
    """
    allowed = {"borough": list(areas), "respondent_type": list(respondent_types)}
    out: dict[str, pa.DataFrameSchema] = {}
    for name, schema in PROCESSED_SCHEMAS.items():
        updates = {column: {"checks": [pa.Check.isin(values)]}
                   for column, values in allowed.items() if column in schema.columns}
        out[name] = schema.update_columns(updates) if updates else schema
    return out


def empty_frame(schema: pa.DataFrameSchema) -> pd.DataFrame:
    """An empty DataFrame with the schema's columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=col.dtype.type if col.dtype else object)
                         for name, col in schema.columns.items()})


def _plain_type(dtype: object) -> str:
    name = str(dtype)
    if name.startswith(("str", "string")):
        return "text"
    if name.startswith("datetime64"):
        return "date"
    return {"int64": "whole number", "Int64": "whole number", "Float64": "number", "float64": "number",
            "bool": "yes/no", "boolean": "yes/no"}.get(name, name)


def data_dictionary(tables: Mapping[str, pa.DataFrameSchema] | None = None) -> pd.DataFrame:
    """One row per processed column: table, column, type, nullable, allowed values, description.

    Parameters
    ----------
    tables
        The cycle's schemas (:func:`processed_schemas`); None = :data:`PROCESSED_SCHEMAS`
        (the example's vocabularies).
    """
    rows = []
    for table, schema in (PROCESSED_SCHEMAS if tables is None else tables).items():
        for name, column in schema.columns.items():
            allowed = ""
            for check in column.checks:
                stats = getattr(check, "statistics", {}) or {}
                if "allowed_values" in stats:
                    allowed = "; ".join(map(str, stats["allowed_values"]))
            rows.append({
                "table": table,
                "column": name,
                "type": _plain_type(column.dtype),
                "nullable": bool(column.nullable),
                "allowed_values": allowed,
                "description": column.description or "",
            })
    return pd.DataFrame(rows)
