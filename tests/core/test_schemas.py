"""The processed-data contract and its published data dictionary."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from analysis.core import schemas


def test_every_processed_column_is_described() -> None:
    dictionary = schemas.data_dictionary()
    assert set(dictionary["table"]) == set(schemas.PROCESSED_SCHEMAS)
    assert (dictionary["description"].str.len() > 5).all()
    assert set(dictionary["type"]) <= {"text", "whole number", "number", "date", "yes/no"}
    borough = dictionary[(dictionary["table"] == "respondents") & (dictionary["column"] == "borough")]
    assert "Hammersmith and Fulham" in borough["allowed_values"].iloc[0]


@pytest.mark.parametrize("name", list(schemas.PROCESSED_SCHEMAS))
def test_empty_frames_satisfy_their_schema(name) -> None:
    schema = schemas.PROCESSED_SCHEMAS[name]
    schema.validate(schemas.empty_frame(schema))


def test_schema_rejects_unknown_category_and_extra_column() -> None:
    frame = schemas.empty_frame(schemas.ACTIONS)
    row = pd.DataFrame({"action_id": ["A1"], "cycle": ["2025"], "theme_id": [3], "you_said": ["x"], "we_did": ["y"],
                        "status": ["Finished"], "reason": [pd.NA], "updated_at": pd.to_datetime([None]).astype("datetime64[us]")})
    frame = pd.concat([frame, row], ignore_index=True).astype(schemas.empty_frame(schemas.ACTIONS).dtypes.to_dict())
    with pytest.raises(pa.errors.SchemaError, match="isin"):
        schemas.ACTIONS.validate(frame)
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors), match="email"):
        schemas.ACTIONS.validate(frame.assign(status="Done", email="a@b.c"))


def _respondent_row(borough: str, respondent_type: str) -> pd.DataFrame:
    frame = schemas.empty_frame(schemas.RESPONDENTS)
    row = {"respondent_id": "r1", "person_id": pd.NA, "dataset": "engagement_survey", "source_file": "f",
           "source_row": 2, "wave": 2025, "submitted_at": pd.Timestamp("2025-03-01"),
           "respondent_type": respondent_type, "service_line": pd.NA, "borough": borough,
           "age_band": "Not stated", "ethnicity": "Not stated", "gender": "Not stated", "disability": "Not stated",
           "carer_status": "Not stated", "channel": "Survey", "weight": pd.NA}
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True).astype(frame.dtypes.to_dict())


def test_schemas_follow_the_cycles_vocabularies() -> None:
    gm = schemas.processed_schemas(areas=["Bolton", "Wigan", "Outside Greater Manchester"],
                                   respondent_types=["Staff", "Patient"])
    assert set(gm) == set(schemas.PROCESSED_SCHEMAS)
    for name, schema in gm.items():  # same tables and columns; only the allowed values change
        assert list(schema.columns) == list(schemas.PROCESSED_SCHEMAS[name].columns)
    gm["respondents"].validate(_respondent_row("Wigan", "Patient"))
    gm["respondents"].validate(_respondent_row("Outside Greater Manchester", "Staff"))
    for borough, kind in (("Brent", "Staff"), ("Outside North West London", "Staff"), ("Wigan", "Resident")):
        with pytest.raises(pa.errors.SchemaError, match="isin"):
            gm["respondents"].validate(_respondent_row(borough, kind))
    # The module's own schemas stay the example's.
    schemas.RESPONDENTS.validate(_respondent_row("Brent", "Resident"))
    with pytest.raises(pa.errors.SchemaError, match="isin"):
        schemas.RESPONDENTS.validate(_respondent_row("Wigan", "Resident"))
    dictionary = schemas.data_dictionary(gm)
    allowed = dictionary.set_index(["table", "column"])["allowed_values"]
    assert allowed["population", "borough"] == "Bolton; Wigan; Outside Greater Manchester"
    assert allowed["comments", "respondent_type"] == "Staff; Patient"
