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
