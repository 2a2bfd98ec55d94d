"""Pandera schemas for the processed tables: the contract every analysis reads.

The cleaning stage validates each table against these before writing it, so
a notebook can rely on column names, types and vocabularies. The data
dictionary published with each cycle is generated from the same schemas,
so it cannot drift from the data.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.core import vocab

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
        "comment_id": _text("Id of this answer: respondent id + question id.", False),
        "respondent_id": _RESPONDENT_ID,
        "dataset": _cat(["involvement_survey", "engagement_survey"], "Survey the answer came from.", False),
        "question_id": _text("Open question id from the config question bank.", False),
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
}


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


def data_dictionary() -> pd.DataFrame:
    """One row per processed column: table, column, type, nullable, allowed values, description."""
    rows = []
    for table, schema in PROCESSED_SCHEMAS.items():
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
