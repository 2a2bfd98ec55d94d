"""Change over time: checks on an input table shared by respondent-level and aggregate preparation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.errors import InputFileError


def _require_columns(table: pd.DataFrame, columns: Mapping[str, str | None], source: str | Path) -> None:
    for role, column in columns.items():
        if column is not None and column not in table.columns:
            available = ", ".join(map(str, table.columns[:20]))
            raise InputFileError(source, f"the {role} column is missing (columns found: {available})",
                                 column=column)


def _numeric_waves(values: pd.Series, column: str, source: str | Path) -> pd.Series:
    waves = pd.to_numeric(values, errors="coerce")
    bad = waves.isna() & values.notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(source, f"wave must be a number; found {values.iloc[first]!r}",
                             row=first + 2, column=column)
    if waves.isna().any():
        first = int(np.flatnonzero(waves.isna().to_numpy())[0])
        raise InputFileError(source, "wave is blank", row=first + 2, column=column)
    if not np.allclose(waves, np.round(waves)):
        raise InputFileError(source, "wave must be a whole number (e.g. a year)", column=column)
    return waves.round().astype("int64")
