"""The cleaning stage: raw exports in, validated and de-identified processed tables out.

Longer than 500 lines: reading, validating, standardising, de-identifying and reconciling every
input kind is one pipeline whose ledger must account for every row; the per-step logic lives in
standardise, documents and deidentify.

Nothing is lost. Every raw row ends as kept, rejected (with a reason in the
ledger) or removed as a duplicate (recorded with the row it duplicated), and
:func:`reconcile` stops the run when ``rows read != kept + rejected +
duplicates`` for any file. Problems with single values (an unknown borough, an
unreadable Likert answer) keep the row, set the value missing and are logged
in the same ledger with the outcome ``"value set missing"``.

The functions below are pure (DataFrame in, DataFrame out); file reading is
confined to :func:`read_inputs` and writing to :func:`write_processed`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.clean import documents, standardise
from analysis.core import schemas, vocab
from analysis.core.config import CycleConfig, InputFile
from analysis.core.errors import InputFileError, ReconciliationError, UserError
from analysis.core.readers import SOURCE_ROW, normalise_header, read_table
from analysis.present import deidentify
from analysis.present.exports import write_csv

ROW_REJECTED = "row rejected"
VALUE_SET_MISSING = "value set missing"
LEDGER_COLUMNS = list(schemas.LEDGER_COLUMNS)
DUPLICATE_COLUMNS = ["source_file", "source_row", "kept_source_file", "kept_source_row", "rule"]
SURVEY_DATASETS = ("involvement_survey", "engagement_survey")


@dataclass
class CleaningResult:
    """Everything the cleaning stage produces for one cycle."""

    tables: dict[str, pd.DataFrame]
    rejected: pd.DataFrame
    duplicates: pd.DataFrame
    reconciliation: pd.DataFrame
    redactions: pd.DataFrame
    rows_read: dict[str, int] = field(default_factory=dict)
    pseudonym_key_is_demo: bool = False
    #: The schemas the tables were validated against (the cycle's vocabularies); for the data dictionary.
    table_schemas: dict[str, object] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Reading and mapping
# ---------------------------------------------------------------------------
def map_columns(raw: pd.DataFrame, spec: InputFile, path: Path) -> pd.DataFrame:
    """Rename a raw export's headers to canonical names; drop unmapped columns.

    Headers are matched after trimming, case-folding and collapsing spaces, so
    "Borough " and "borough" both match the config's "Borough".

    Raises
    ------
    InputFileError
        Naming the first configured header that the file does not have.
    """
    available = {normalise_header(c): c for c in raw.columns if c != SOURCE_ROW}
    renames: dict[str, str] = {}
    for header, target in spec.columns.items():
        actual = available.get(normalise_header(header))
        if actual is None:
            raise InputFileError(
                path,
                f"missing column {header!r} (mapped to {target} in the config); "
                f"the file's columns are: {', '.join(map(repr, available.values()))}",
                column=header,
            )
        renames[actual] = target
    mapped = raw[[SOURCE_ROW, *renames]].rename(columns=renames)
    mapped.attrs["raw_headers"] = {v: k for k, v in renames.items()}
    return mapped


def unmapped_columns(raw: pd.DataFrame, spec: InputFile) -> list[str]:
    """Columns in the export that the config does not map (they are dropped)."""
    mapped = {normalise_header(h) for h in spec.columns}
    return [c for c in raw.columns if c != SOURCE_ROW and normalise_header(c) not in mapped]


def read_inputs(config: CycleConfig) -> dict[str, pd.DataFrame]:
    """Read and map every input file of a cycle (the only file I/O of cleaning)."""
    frames: dict[str, pd.DataFrame] = {}
    for spec in config.inputs:
        path = config.input_path(spec)
        raw = read_table(path, encoding=spec.encoding, delimiter=spec.delimiter, sheet=spec.sheet)
        frames[spec.name] = _with_documents(map_columns(raw, spec, path), spec, path)
    return frames


def _with_documents(mapped: pd.DataFrame, spec: InputFile, path: Path) -> pd.DataFrame:
    """A documents index also reads its documents into passages here, so that cleaning itself stays pure."""
    return documents.attach_documents(mapped, path) if spec.dataset == "documents" else mapped


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def _blank(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v is None or v != v or (isinstance(v, str) and not v.strip())).astype(bool)


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings, blanks as NA (Excel numbers become their text form)."""
    def one(v: object) -> object:
        if v is None or v != v:
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        return text if text else pd.NA
    return series.map(one).astype("str")


def _ledger(frame: pd.DataFrame, mask: pd.Series, spec: InputFile, column: str,
            reason: str | pd.Series, outcome: str, echo_value: bool = True) -> pd.DataFrame:
    if not mask.any():
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    raw_header = frame.attrs.get("raw_headers", {}).get(column, column)
    values = frame.loc[mask, column].map(lambda v: "" if v is None or v != v else str(v)) if (
        echo_value and column in frame.columns) else "(withheld: identifier)"
    reasons = reason[mask] if isinstance(reason, pd.Series) else reason
    return pd.DataFrame({
        "source_file": spec.name,
        "source_row": frame.loc[mask, SOURCE_ROW].astype(int).to_numpy(),
        "column": raw_header,
        "value": values if isinstance(values, str) else values.to_numpy(),
        "reason": reasons if isinstance(reasons, str) else reasons.to_numpy(),
        "outcome": outcome,
    })


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


@dataclass
class _Checked:
    """A mapped file after standardisation: canonical values plus its ledger entries."""

    frame: pd.DataFrame
    ledger: list[pd.DataFrame]
    rejected_rows: set[int]


def _apply(checked: _Checked, spec: InputFile, column: str, result: pd.DataFrame, *,
           reject_row: bool, raw: pd.DataFrame) -> None:
    """Put a standardiser's ``value`` in place and log its problems."""
    problem = result["problem"]
    mask = problem.notna()
    outcome = ROW_REJECTED if reject_row else VALUE_SET_MISSING
    checked.ledger.append(_ledger(raw, mask, spec, column, problem, outcome))
    if reject_row:
        checked.rejected_rows.update(raw.loc[mask, SOURCE_ROW].astype(int).tolist())
    checked.frame[column] = result["value"]


def _require(checked: _Checked, raw: pd.DataFrame, spec: InputFile, column: str) -> None:
    """Reject rows with a blank required field."""
    mask = _blank(raw[column])
    checked.ledger.append(_ledger(raw, mask, spec, column, f"required value {column} is blank", ROW_REJECTED))
    checked.rejected_rows.update(raw.loc[mask, SOURCE_ROW].astype(int).tolist())


def drop_exact_duplicates(raw: pd.DataFrame, spec: InputFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove rows identical in every mapped field to an earlier row of the same file.

    Returns
    -------
    (kept rows, duplicates record)
    """
    fields = [c for c in raw.columns if c != SOURCE_ROW]
    keys = raw[fields].map(lambda v: "" if v is None or v != v else str(v).strip())
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return raw, pd.DataFrame(columns=DUPLICATE_COLUMNS)
    first_row = keys.assign(_row=raw[SOURCE_ROW]).groupby(fields, dropna=False, sort=False)["_row"].transform("first")
    record = pd.DataFrame({
        "source_file": spec.name,
        "source_row": raw.loc[dup, SOURCE_ROW].astype(int).to_numpy(),
        "kept_source_file": spec.name,
        "kept_source_row": first_row[dup].astype(int).to_numpy(),
        "rule": "exact duplicate of an earlier row",
    })
    return raw.loc[~dup].reset_index(drop=True), record


# ---------------------------------------------------------------------------
# Per-dataset standardisation
# ---------------------------------------------------------------------------
def _date_bounds(config: CycleConfig) -> tuple[pd.Timestamp, pd.Timestamp]:
    return (pd.Timestamp(year=config.cleaning.min_wave, month=1, day=1),
            pd.Timestamp(year=config.latest_wave, month=12, day=31))


def standardise_survey(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise one survey export (involvement or engagement) to canonical values."""
    dataset = spec.dataset
    checked = _Checked(frame=raw[[SOURCE_ROW]].copy(), ledger=[], rejected_rows=set())
    _require(checked, raw, spec, "respondent_ref")
    checked.frame["respondent_ref"] = _as_text(raw["respondent_ref"])
    earliest, latest = _date_bounds(config)
    _apply(checked, spec, "submitted_at",
           standardise.standardise_dates(raw["submitted_at"], earliest=earliest, latest=latest),
           reject_row=True, raw=raw)
    blank_date = _blank(raw["submitted_at"])
    checked.ledger.append(_ledger(raw, blank_date, spec, "submitted_at", "required date is blank", ROW_REJECTED))
    checked.rejected_rows.update(raw.loc[blank_date, SOURCE_ROW].astype(int).tolist())
    type_result = standardise.standardise_respondent_type(
        raw["respondent_type"], dataset=dataset, types=config.vocabularies.respondent_types)
    blank_type = _blank(raw["respondent_type"])
    type_result["problem"] = type_result["problem"].mask(blank_type & type_result["problem"].isna(),
                                                         "respondent type is blank")
    _apply(checked, spec, "respondent_type", type_result, reject_row=True, raw=raw)

    optional: dict[str, Callable[[pd.Series], pd.DataFrame]] = {
        "borough": lambda s: standardise.standardise_borough(s, geography=config.vocabularies.geography),
        "service_line": standardise.standardise_service_line,
        "channel": standardise.standardise_channel,
    }
    for fld in ("age_band", "ethnicity", "gender", "disability", "carer_status"):
        optional[fld] = lambda s, _f=fld: standardise.standardise_equality(s, field=_f)
    for column, func in optional.items():
        if column in raw.columns:
            _apply(checked, spec, column, func(raw[column]), reject_row=False, raw=raw)
        else:
            checked.frame[column] = pd.Series(
                vocab.NOT_STATED if column in ("age_band", "ethnicity", "gender", "disability", "carer_status")
                else ("Survey" if column == "channel" and dataset == "engagement_survey" else pd.NA),
                index=raw.index, dtype="str")
    if dataset == "involvement_survey":
        checked.frame["channel"] = pd.Series(pd.NA, index=raw.index, dtype="str")

    checked.frame["person_ref"] = _as_text(raw["person_ref"]) if "person_ref" in raw.columns else pd.Series(
        pd.NA, index=raw.index, dtype="str")
    checked.frame["email_key"] = (_as_text(raw["email"]).str.lower() if "email" in raw.columns
                                  else pd.Series(pd.NA, index=raw.index, dtype="str"))
    if "weight" in raw.columns:
        weight = pd.to_numeric(_as_text(raw["weight"]), errors="coerce")
        bad = weight.isna() & ~_blank(raw["weight"]) | (weight < 0)
        checked.ledger.append(_ledger(raw, bad, spec, "weight", "weight is not a non-negative number", VALUE_SET_MISSING))
        checked.frame["weight"] = weight.mask(bad).astype("Float64")
    else:
        checked.frame["weight"] = pd.Series(pd.NA, index=raw.index, dtype="Float64")

    # Likert items: a bad answer loses that answer, not the respondent.
    for column in [c for c in raw.columns if c.startswith("item.")]:
        result = standardise.standardise_likert(raw[column], reversed_codes=spec.likert_codes_reversed)
        checked.ledger.append(_ledger(raw, result["problem"].notna(), spec, column, result["problem"], VALUE_SET_MISSING))
        for part in ("value", "level", "missing_reason"):
            checked.frame[f"{column}.{part}"] = result[part]
    # Open text is normalised here and de-identified in build_tables, once names are known.
    for column in [c for c in raw.columns if c.startswith("open.")]:
        checked.frame[column] = standardise.normalise_text(_as_text(raw[column]))
    names = [c for c in ("name",) if c in raw.columns]
    checked.frame["own_name"] = _as_text(raw[names[0]]) if names else pd.Series(pd.NA, index=raw.index, dtype="str")
    return checked


def standardise_activities(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise an activity log export."""
    checked = _Checked(frame=raw[[SOURCE_ROW]].copy(), ledger=[], rejected_rows=set())
    _require(checked, raw, spec, "activity_ref")
    checked.frame["activity_id"] = _as_text(raw["activity_ref"])
    earliest, latest = _date_bounds(config)
    _apply(checked, spec, "date", standardise.standardise_dates(raw["date"], earliest=earliest, latest=latest),
           reject_row=True, raw=raw)
    _require(checked, raw, spec, "date")
    _apply(checked, spec, "activity_type", standardise.standardise_activity_type(raw["activity_type"]),
           reject_row=True, raw=raw)
    _require(checked, raw, spec, "activity_type")
    _apply(checked, spec, "borough", standardise.standardise_borough(
        raw["borough"], geography=config.vocabularies.geography), reject_row=False, raw=raw)
    participants = pd.to_numeric(_as_text(raw["participants"]), errors="coerce")
    bad = participants.isna() | (participants < 0) | (participants % 1 != 0)
    checked.ledger.append(_ledger(raw, bad, spec, "participants",
                                  "participants must be a whole number of 0 or more", ROW_REJECTED))
    checked.rejected_rows.update(raw.loc[bad, SOURCE_ROW].astype(int).tolist())
    checked.frame["participants"] = participants.fillna(-1).astype(int)
    for column in ("audience", "description"):
        checked.frame[column] = (standardise.normalise_text(_as_text(raw[column])) if column in raw.columns
                                 else pd.Series(pd.NA, index=raw.index, dtype="str"))
    _ladder_fields(checked, raw, spec, config)
    return checked


def _ladder_fields(checked: _Checked, raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> None:
    """Each activity's rung of ``reach.ladder`` and whether experts by experience were involved from the start.

    A level outside the ladder stops cleaning (a :class:`InputFileError` naming file, row and value): it
    usually means the config's ladder does not match the log, and guessing a rung would change the
    co-production figures. An unclear yes/no only loses that value (logged, like other optional fields).
    """
    if "involvement_level" in raw.columns:
        result = standardise.standardise_ladder_level(raw["involvement_level"], config.reach.ladder)
        unknown = result["problem"].notna()
        if unknown.any():
            rows = raw.loc[unknown, SOURCE_ROW].astype(int).tolist()
            value = str(raw.loc[unknown, "involvement_level"].iloc[0])
            more = (f"; {len(rows) - 1} more row(s) have unknown levels (rows {', '.join(map(str, rows[1:6]))}"
                    f"{', ...' if len(rows) > 6 else ''})" if len(rows) > 1 else "")
            raise InputFileError(
                config.input_path(spec),
                f"unknown involvement level {value[:60]!r}; use a rung of the ladder in reach.ladder "
                f"({', '.join(config.reach.ladder)}) or add it there{more}",
                row=rows[0], column=raw.attrs.get("raw_headers", {}).get("involvement_level", "involvement_level"))
        checked.frame["involvement_level"] = result["value"]
    else:
        checked.frame["involvement_level"] = pd.Series(pd.NA, index=raw.index, dtype="str")
    if "involved_from_start" in raw.columns:
        _apply(checked, spec, "involved_from_start", standardise.standardise_flag(raw["involved_from_start"]),
               reject_row=False, raw=raw)
    else:
        checked.frame["involved_from_start"] = pd.Series(pd.NA, index=raw.index, dtype="boolean")


def standardise_case_studies(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise a case-study log: a consent that is not a clear yes keeps the story but it is never shown."""
    checked = _Checked(frame=raw[[SOURCE_ROW]].copy(), ledger=[], rejected_rows=set())
    for column in ("case_ref", "title", "theme_ids"):
        _require(checked, raw, spec, column)
    checked.frame["case_id"] = _as_text(raw["case_ref"])
    _apply(checked, spec, "theme_ids", standardise.standardise_theme_ids(raw["theme_ids"]), reject_row=True, raw=raw)
    _apply(checked, spec, "consent", standardise.standardise_flag(raw["consent"]), reject_row=False, raw=raw)
    checked.frame["cycle"] = _as_text(raw["cycle"]) if "cycle" in raw.columns else pd.Series(
        config.cycle, index=raw.index, dtype="str")
    for column in ("title", "what_people_said", "what_changed", "quote"):
        checked.frame[column] = (standardise.normalise_text(_as_text(raw[column])) if column in raw.columns
                                 else pd.Series(pd.NA, index=raw.index, dtype="str"))
    return checked


def standardise_actions(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise a "you said, we did" actions log export."""
    checked = _Checked(frame=raw[[SOURCE_ROW]].copy(), ledger=[], rejected_rows=set())
    for column in ("action_ref", "you_said", "we_did"):
        _require(checked, raw, spec, column)
    checked.frame["action_id"] = _as_text(raw["action_ref"])
    theme = pd.to_numeric(_as_text(raw["theme_id"]), errors="coerce")
    bad = theme.isna() | (theme % 1 != 0)
    checked.ledger.append(_ledger(raw, bad, spec, "theme_id", "theme id must be a whole number", ROW_REJECTED))
    checked.rejected_rows.update(raw.loc[bad, SOURCE_ROW].astype(int).tolist())
    checked.frame["theme_id"] = theme.fillna(-999).astype(int)
    _apply(checked, spec, "status", standardise.standardise_action_status(raw["status"]), reject_row=True, raw=raw)
    _require(checked, raw, spec, "status")
    checked.frame["cycle"] = _as_text(raw["cycle"]) if "cycle" in raw.columns else pd.Series(
        config.cycle, index=raw.index, dtype="str")
    for column in ("you_said", "we_did", "reason"):
        checked.frame[column] = (standardise.normalise_text(_as_text(raw[column])) if column in raw.columns
                                 else pd.Series(pd.NA, index=raw.index, dtype="str"))
    if "updated_at" in raw.columns:
        _apply(checked, spec, "updated_at", standardise.standardise_dates(raw["updated_at"]), reject_row=False, raw=raw)
    else:
        checked.frame["updated_at"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    return checked


def standardise_population(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise a population benchmark table."""
    checked = _Checked(frame=raw[[SOURCE_ROW]].copy(), ledger=[], rejected_rows=set())
    _apply(checked, spec, "borough", standardise.standardise_borough(
        raw["borough"], geography=config.vocabularies.geography), reject_row=True, raw=raw)
    for fld in ("age_band", "ethnicity"):
        result = standardise.standardise_equality(raw[fld], field=fld)
        result["problem"] = result["problem"].mask(result["value"].eq(vocab.NOT_STATED) & result["problem"].isna(),
                                                   f"population benchmark needs a {fld}")
        _apply(checked, spec, fld, result, reject_row=True, raw=raw)
    count = pd.to_numeric(_as_text(raw["population"]), errors="coerce")
    bad = count.isna() | (count < 0)
    checked.ledger.append(_ledger(raw, bad, spec, "population", "population must be a number of 0 or more", ROW_REJECTED))
    checked.rejected_rows.update(raw.loc[bad, SOURCE_ROW].astype(int).tolist())
    checked.frame["population"] = count.fillna(-1).round().astype(int)
    return checked


def standardise_documents(raw: pd.DataFrame, spec: InputFile, config: CycleConfig) -> _Checked:
    """Standardise a documents index; its passages were read with it (:func:`documents.attach_documents`).

    Borough, date and respondent type are standardised exactly as survey rows are; a blank or unclear
    consent keeps the document but it is never quoted (logged as a value set missing).
    """
    columns = [SOURCE_ROW, documents.PASSAGES, documents.DOCUMENT_NAMES]
    checked = _Checked(frame=raw[columns].copy(), ledger=[], rejected_rows=set())
    for column in ("document_id", "document_file"):
        _require(checked, raw, spec, column)
    checked.frame["document_id"] = _as_text(raw["document_id"])
    earliest, latest = _date_bounds(config)
    _apply(checked, spec, "date", standardise.standardise_dates(raw["date"], earliest=earliest, latest=latest),
           reject_row=True, raw=raw)
    _require(checked, raw, spec, "date")
    _apply(checked, spec, "channel", documents.standardise_document_channel(raw["channel"]), reject_row=True, raw=raw)
    _apply(checked, spec, "respondent_type", documents.standardise_document_respondent_type(
        raw["respondent_type"], types=config.vocabularies.respondent_types), reject_row=True, raw=raw)
    if "borough" in raw.columns:
        _apply(checked, spec, "borough", standardise.standardise_borough(
            raw["borough"], geography=config.vocabularies.geography), reject_row=False, raw=raw)
    else:
        checked.frame["borough"] = pd.Series(pd.NA, index=raw.index, dtype="str")
    _apply(checked, spec, "consent_to_quote", documents.standardise_consent(raw["consent_to_quote"]),
           reject_row=False, raw=raw)
    checked.frame["own_name"] = _as_text(raw["name"]) if "name" in raw.columns else pd.Series(
        pd.NA, index=raw.index, dtype="str")
    return checked


STANDARDISERS: Mapping[str, Callable[[pd.DataFrame, InputFile, CycleConfig], _Checked]] = {
    "involvement_survey": standardise_survey,
    "engagement_survey": standardise_survey,
    "activities": standardise_activities,
    "actions": standardise_actions,
    "population": standardise_population,
    "case_studies": standardise_case_studies,
    "documents": standardise_documents,
}


# ---------------------------------------------------------------------------
# Resubmissions across a dataset
# ---------------------------------------------------------------------------
def drop_resubmissions(frame: pd.DataFrame, keep: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one submission per person per wave and dataset.

    A person is identified by their persistent member id, or failing that by
    their e-mail address. ``keep="last"`` keeps the latest submission (by date,
    then by file order), on the view that a resubmission corrects the first.

    Parameters
    ----------
    frame
        Standardised survey rows with ``dataset``, ``wave``, ``person_ref``,
        ``email_key``, ``submitted_at``, ``source_file``, ``source_row``, ``_order``.
    keep
        ``"first"`` or ``"last"``.
    """
    who = frame["person_ref"].fillna("email:" + frame["email_key"])
    has_key = who.notna()
    ordered = frame.assign(_who=who).sort_values(["submitted_at", "_order"], kind="stable")
    keyed = ordered[has_key.loc[ordered.index]]
    dup = keyed.duplicated(["dataset", "wave", "_who"], keep=keep)
    removed = keyed[dup]
    kept_rows = keyed[~keyed.duplicated(["dataset", "wave", "_who"], keep=keep)].set_index(["dataset", "wave", "_who"])
    if len(removed):
        kept = kept_rows.loc[list(zip(removed["dataset"], removed["wave"], removed["_who"], strict=False))]
        record = pd.DataFrame({
            "source_file": removed["source_file"].to_numpy(),
            "source_row": removed["source_row"].astype(int).to_numpy(),
            "kept_source_file": kept["source_file"].to_numpy(),
            "kept_source_row": kept["source_row"].astype(int).to_numpy(),
            "rule": f"resubmission by the same person in the same wave (kept the {keep})",
        })
    else:
        record = pd.DataFrame(columns=DUPLICATE_COLUMNS)
    return frame.drop(index=removed.index), record


# ---------------------------------------------------------------------------
# Building processed tables
# ---------------------------------------------------------------------------
def _redact(texts: pd.Series, names: pd.Series | None, staff: list[str], field_name: str,
            counts: list[pd.DataFrame]) -> pd.Series:
    redacted, tally = deidentify.redact_series(texts, names=names, staff_names=staff)
    counts.append(tally.assign(field=field_name))
    return redacted


def _redact_logged(values: pd.Series, staff: list[str]) -> pd.Series:
    """Ledger values redacted with the free-text de-identifier (the row, field and rule stay as they are)."""
    if values.empty:
        return values
    text = values.map(lambda v: v if isinstance(v, str) else ("" if v is None or v != v else str(v)))
    redacted, _ = deidentify.redact_series(text.astype("str"), staff_names=staff)
    return redacted.astype("str")


def build_survey_tables(
    rows: pd.DataFrame, config: CycleConfig, key: str, redaction_counts: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Respondents, long responses and long comments from standardised survey rows."""
    rows = rows.reset_index(drop=True)
    staff = list(config.deidentification.staff_names)
    respondent_id = deidentify.pseudonymise(rows["source_file"] + "/" + rows["respondent_ref"], key, namespace="respondent")
    person_id = deidentify.pseudonymise(rows["person_ref"], key, namespace="person")
    base = pd.DataFrame({
        "respondent_id": respondent_id.astype("str"),
        "person_id": person_id.astype("str"),
        "dataset": rows["dataset"].astype("str"),
        "source_file": rows["source_file"].astype("str"),
        "source_row": rows["source_row"].astype(int),
        "wave": rows["wave"].astype(int),
        "submitted_at": pd.to_datetime(rows["submitted_at"]).astype("datetime64[us]"),
    })
    for column in ("respondent_type", "service_line", "borough", "age_band", "ethnicity", "gender",
                   "disability", "carer_status", "channel"):
        base[column] = rows[column].astype("str")
    base["weight"] = rows["weight"].astype("Float64")
    respondents = base

    positive_levels = config.positive_levels()
    long_parts = []
    for item_id, levels in positive_levels.items():
        column = f"item.{item_id}"
        if f"{column}.value" not in rows.columns:
            continue
        part = base[["respondent_id", "person_id", "wave", "respondent_type", "borough", "service_line", "weight"]].copy()
        part["item_id"] = item_id
        part["value"] = rows[f"{column}.value"].astype("Int64")
        part["level"] = rows[f"{column}.level"].astype("str")
        part["missing_reason"] = rows[f"{column}.missing_reason"].astype("str")
        part["positive"] = part["level"].isin(levels).astype("boolean").mask(part["value"].isna())
        present = rows[f"{column}.value"].notna() | rows[f"{column}.missing_reason"].notna()
        long_parts.append(part[present.to_numpy()])
    responses = (_concat(long_parts, list(schemas.RESPONSES.columns))
                 if long_parts else schemas.empty_frame(schemas.RESPONSES))

    comment_parts = []
    for column in [c for c in rows.columns if c.startswith("open.")]:
        question_id = column.removeprefix("open.")
        answered = rows[column].notna()
        if not answered.any():
            continue
        texts = _redact(rows.loc[answered, column], rows.loc[answered, "own_name"], staff,
                        f"{question_id}", redaction_counts)
        part = base.loc[answered, ["respondent_id", "dataset", "wave", "respondent_type", "borough", "channel",
                                   "age_band", "ethnicity"]].copy()
        part["comment_id"] = part["respondent_id"] + ":" + question_id
        part["question_id"] = question_id
        part["cycle"] = config.cycle
        part["text"] = texts.astype("str")
        flags = standardise.classify_non_answer(part["text"], min_words=config.themes.min_words)
        part["is_non_answer"] = flags["is_non_answer"].astype(bool)
        part["non_answer_kind"] = flags["non_answer_kind"].astype("str")
        part["n_words"] = standardise.word_count(part["text"]).astype(int)
        part["document_id"] = pd.Series(pd.NA, index=part.index, dtype="str")
        part["passage_no"] = pd.Series(pd.NA, index=part.index, dtype="Int64")
        part["consent_to_quote"] = True  # answering the survey's open question is consent to be quoted
        comment_parts.append(part)
    comments = (_concat(comment_parts, list(schemas.COMMENTS.columns))
                if comment_parts else schemas.empty_frame(schemas.COMMENTS))
    return respondents, responses.reset_index(drop=True), comments.reset_index(drop=True)


def clean_cycle(config: CycleConfig, frames: Mapping[str, pd.DataFrame], key: str,
                *, key_is_demo: bool = False) -> CleaningResult:
    """Standardise, de-duplicate, de-identify and validate every input of a cycle.

    Parameters
    ----------
    config
        The validated cycle configuration.
    frames
        Mapped raw frames by input name (from :func:`read_inputs`).
    key
        Pseudonymisation key.
    key_is_demo
        Whether ``key`` is the published demo key (recorded in the result).

    Returns
    -------
    CleaningResult

    Raises
    ------
    ReconciliationError
        If any file's rows do not add up.
    """
    ledger: list[pd.DataFrame] = []
    duplicates: list[pd.DataFrame] = []
    redaction_counts: list[pd.DataFrame] = []
    rows_read: dict[str, int] = {}
    kept_by_dataset: dict[str, list[pd.DataFrame]] = {}
    kept_rows: dict[str, set[int]] = {}
    order = 0
    for spec in config.inputs:
        raw = frames[spec.name]
        rows_read[spec.name] = len(raw)
        deduped, exact = drop_exact_duplicates(raw, spec)
        duplicates.append(exact)
        checked = STANDARDISERS[spec.dataset](deduped, spec, config)
        ledger.extend(checked.ledger)
        good = checked.frame[~checked.frame[SOURCE_ROW].isin(checked.rejected_rows)].copy()
        good["source_file"] = spec.name
        good["dataset"] = spec.dataset
        good["_order"] = range(order, order + len(good))
        order += len(good)
        kept_rows[spec.name] = set(good[SOURCE_ROW].astype(int))
        kept_by_dataset.setdefault(spec.dataset, []).append(good)

    tables: dict[str, pd.DataFrame] = {}
    survey_parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
    document_parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for dataset, parts in kept_by_dataset.items():
        frame = pd.concat(parts, ignore_index=True)
        if dataset in SURVEY_DATASETS:
            frame["wave"] = pd.to_datetime(frame["submitted_at"]).dt.year.astype(int)
            frame, resubmitted = drop_resubmissions(frame, config.cleaning.duplicate_keep)
            duplicates.append(resubmitted)
            survey_parts.append(build_survey_tables(frame, config, key, redaction_counts))
        elif dataset == "activities":
            frame["description"] = _redact(frame["description"], None, list(config.deidentification.staff_names),
                                           "activity notes", redaction_counts)
            frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[us]")
            frame["month"] = frame["date"].dt.strftime("%Y-%m").astype("str")
            frame, dup_ids = _drop_duplicate_ids(frame, "activity_id")
            duplicates.append(dup_ids)
            tables["activities"] = frame
        elif dataset == "actions":
            for column in ("you_said", "we_did", "reason"):
                frame[column] = _redact(frame[column], None, list(config.deidentification.staff_names),
                                        f"actions {column}", redaction_counts)
            frame["updated_at"] = pd.to_datetime(frame["updated_at"]).astype("datetime64[us]")
            frame, dup_ids = _drop_duplicate_ids(frame, "action_id")
            duplicates.append(dup_ids)
            tables["actions"] = frame
        elif dataset == "case_studies":
            for column in ("title", "what_people_said", "what_changed", "quote"):
                frame[column] = _redact(frame[column], None, list(config.deidentification.staff_names),
                                        f"case studies {column}", redaction_counts)
            frame, dup_ids = _drop_duplicate_ids(frame, "case_id")
            duplicates.append(dup_ids)
            tables["case_studies"] = frame
        elif dataset == "documents":
            frame["document"] = frame["source_file"] + "/" + frame["document_id"]
            frame, dup_ids = _drop_duplicate_ids(frame, "document")
            duplicates.append(dup_ids)
            staff = list(config.deidentification.staff_names)
            document_parts.append(documents.document_comments(
                frame, key=key, cycle=config.cycle, min_words=config.themes.min_words,
                redact=lambda texts, names, _s=staff: _redact(texts, names, _s, vocab.DOCUMENT_QUESTION_ID,
                                                              redaction_counts)))
        elif dataset == "population":
            # Aliases can put two raw rows in one cell (e.g. "H&F" and "Hammersmith"): add them.
            frame = frame.groupby(["borough", "age_band", "ethnicity"], as_index=False, dropna=False).agg(
                population=("population", "sum"))
            tables["population"] = frame

    if survey_parts:
        tables["respondents"] = pd.concat([p[0] for p in survey_parts], ignore_index=True)
        tables["responses"] = pd.concat([p[1] for p in survey_parts], ignore_index=True)
        tables["comments"] = pd.concat([p[2] for p in survey_parts], ignore_index=True)
    if document_parts:  # passages of documents are comments too (dataset "documents")
        tables["comments"] = pd.concat([*([tables["comments"]] if "comments" in tables else []),
                                        *(p[0] for p in document_parts)], ignore_index=True)

    rejected = _concat(ledger, LEDGER_COLUMNS)
    # Rejected values are echoed for the analyst (rejected.csv, the problems log): an e-mail typed into
    # the borough field or a phone number in the age band is redacted like free text first.
    rejected["value"] = _redact_logged(rejected["value"], list(config.deidentification.staff_names))
    rejected["source_row"] = rejected["source_row"].astype(int)
    rejected = rejected.sort_values(["source_file", "source_row", "column"], kind="stable").reset_index(drop=True)
    dups = _concat(duplicates, DUPLICATE_COLUMNS)
    reconciliation = pd.concat([reconcile(rows_read, kept_rows, rejected, dups), *(p[1] for p in document_parts)],
                               ignore_index=True)
    cycle_schemas = schemas.processed_schemas(
        areas=config.vocabularies.geography.allowed_values(), respondent_types=config.vocabularies.respondent_types.values)
    final = {name: _finalise(name, table, cycle_schemas) for name, table in tables.items()}
    redactions = (pd.concat(redaction_counts, ignore_index=True)[["field", "type", "count"]]
                  if redaction_counts else pd.DataFrame(columns=["field", "type", "count"]))
    return CleaningResult(tables=final, rejected=rejected, duplicates=dups, reconciliation=reconciliation,
                          redactions=redactions, rows_read=rows_read, pseudonym_key_is_demo=key_is_demo,
                          table_schemas=cycle_schemas)


def _drop_duplicate_ids(frame: pd.DataFrame, id_column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Logs are keyed by their id: a repeated id keeps the last row (the latest edit)."""
    dup = frame.duplicated(id_column, keep="last")
    if not dup.any():
        return frame, pd.DataFrame(columns=DUPLICATE_COLUMNS)
    last = frame.drop_duplicates(id_column, keep="last").set_index(id_column)
    removed = frame[dup]
    record = pd.DataFrame({
        "source_file": removed["source_file"].to_numpy(),
        "source_row": removed[SOURCE_ROW].astype(int).to_numpy(),
        "kept_source_file": last.loc[removed[id_column], "source_file"].to_numpy(),
        "kept_source_row": last.loc[removed[id_column], SOURCE_ROW].astype(int).to_numpy(),
        "rule": f"repeated {id_column} (kept the last row)",
    })
    return frame[~dup], record


def _finalise(name: str, table: pd.DataFrame, cycle_schemas: Mapping[str, Any]) -> pd.DataFrame:
    schema = cycle_schemas[name]
    if table.empty:
        return schema.validate(schemas.empty_frame(schema))
    out = table[list(schema.columns)].copy()
    sort_keys = {"respondents": ["respondent_id"], "responses": ["respondent_id", "item_id"],
                 "comments": ["comment_id"], "activities": ["date", "activity_id"], "actions": ["action_id"],
                 "population": ["borough", "age_band", "ethnicity"], "case_studies": ["case_id"]}[name]
    out = out.sort_values(sort_keys, kind="stable").reset_index(drop=True)
    return schema.validate(out)


def reconcile(rows_read: Mapping[str, int], kept_rows: Mapping[str, set[int]], rejected: pd.DataFrame,
              duplicates: pd.DataFrame) -> pd.DataFrame:
    """Check rows read = kept + rejected + duplicates removed, for every file.

    A row counts as rejected once, however many problems it had. Rows merged
    into one population cell count as kept.

    Raises
    ------
    ReconciliationError
        Naming each file that does not balance.
    """
    rows = []
    for name, n_read in rows_read.items():
        rejected_rows = set(rejected.loc[(rejected["source_file"] == name) & (rejected["outcome"] == ROW_REJECTED),
                                         "source_row"].astype(int))
        dup_rows = set(duplicates.loc[duplicates["source_file"] == name, "source_row"].astype(int))
        kept = set(kept_rows.get(name, set())) - dup_rows
        rows.append({
            "source_file": name,
            "rows_read": n_read,
            "rows_kept": len(kept),
            "rows_rejected": len(rejected_rows),
            "duplicates_removed": len(dup_rows),
        })
    table = pd.DataFrame(rows)
    table["balanced"] = table["rows_read"] == table["rows_kept"] + table["rows_rejected"] + table["duplicates_removed"]
    if not table["balanced"].all():
        bad = table[~table["balanced"]]
        lines = [f"{r.source_file}: read {r.rows_read} but kept {r.rows_kept} + rejected {r.rows_rejected} "
                 f"+ duplicates {r.duplicates_removed}" for r in bad.itertuples()]
        raise ReconciliationError("rows do not reconcile; the run is stopped:\n  " + "\n  ".join(lines))
    return table


# ---------------------------------------------------------------------------
# Entry points with I/O
# ---------------------------------------------------------------------------
def pseudonym_key(config: CycleConfig) -> tuple[str, bool]:
    """The pseudonymisation key for a cycle and whether it is the published demo key."""
    d = config.deidentification
    return deidentify.resolve_key(d.key_env_var, d.key_file, d.demo_key)


def run_cleaning(config: CycleConfig) -> CleaningResult:
    """Read every input of a cycle and clean it (no writing)."""
    key, is_demo = pseudonym_key(config)
    return clean_cycle(config, read_inputs(config), key, key_is_demo=is_demo)


def write_processed(result: CleaningResult, out_dir: Path) -> list[Path]:
    """Write processed Parquet tables, ledgers and the data dictionary; returns the files written.

    Parquet is written without pandas' index and with a fixed row order, so
    the same inputs give byte-identical files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in result.tables.items():
        path = out_dir / f"{name}.parquet"
        table.to_parquet(path, index=False, compression="zstd")
        written.append(path)
    for name, table in (("rejected", result.rejected), ("duplicates", result.duplicates),
                        ("reconciliation", result.reconciliation), ("redactions", result.redactions),
                        ("data_dictionary", schemas.data_dictionary(result.table_schemas or None))):
        path = out_dir / f"{name}.csv"
        write_csv(table, path, index=False, lineterminator="\n")
        written.append(path)
    return written


def validate_inputs(config: CycleConfig) -> list[str]:
    """Every problem found in the raw inputs, as plain sentences (nothing is written).

    Structural problems (a missing column, an unreadable file) stop at the file
    they concern but the other files are still checked.
    """
    problems: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    for spec in config.inputs:
        path = config.input_path(spec)
        try:
            raw = read_table(path, encoding=spec.encoding, delimiter=spec.delimiter, sheet=spec.sheet)
            extra = unmapped_columns(raw, spec)
            if extra:
                problems.append(f"file {path.name}: columns not in the config are ignored: {', '.join(map(repr, extra))}")
            frames[spec.name] = _with_documents(map_columns(raw, spec, path), spec, path)
        except UserError as exc:
            problems.append(str(exc))
    if len(frames) < len(config.inputs):
        return problems
    key, is_demo = pseudonym_key(config)
    try:
        result = clean_cycle(config, frames, key, key_is_demo=is_demo)
    except InputFileError as exc:  # e.g. an involvement level outside reach.ladder: reported like the others
        return [*problems, str(exc)]
    file_names = {spec.name: config.input_path(spec).name for spec in config.inputs}
    for row in result.rejected.itertuples():
        problems.append(f"file {file_names[row.source_file]}, row {row.source_row}, column {row.column!r}: "
                        f"{row.reason} (value {row.value!r}; {row.outcome})")
    return problems
