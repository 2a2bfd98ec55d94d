"""Helpers shared by the change-over-time tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def result_row(results: pd.DataFrame, **where) -> pd.Series:
    """The one row of ``results`` matching every ``column=value`` given; fails unless exactly one matches."""
    mask = np.ones(len(results), dtype=bool)
    for key, value in where.items():
        mask &= (results[key] == value).to_numpy()
    assert mask.sum() == 1, f"expected one row for {where}, found {mask.sum()}"
    return results[mask].iloc[0]
