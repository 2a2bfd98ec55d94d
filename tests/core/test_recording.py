"""What notebooks record: plain, stable JSON (the contract itself is tested in test_results.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core import recording


def test_to_jsonable_makes_plain_json_types() -> None:
    got = recording.to_jsonable({"rows": np.int64(5), "share": np.float64(0.5), "missing": float("nan"),
                                 "when": pd.Timestamp("2025-01-02"), "table": pd.DataFrame({"a": [1, 2]}),
                                 "flag": np.bool_(True), "extra": pd.NA})
    assert got == {"rows": 5, "share": 0.5, "missing": None, "when": "2025-01-02T00:00:00",
                   "table": [{"a": 1}, {"a": 2}], "flag": True, "extra": None}
    assert type(got["rows"]) is int and type(got["flag"]) is bool


def test_load_of_a_notebook_that_recorded_nothing_is_empty(tmp_path) -> None:
    assert recording.load(tmp_path, "99_missing") == {}
