"""What notebooks record: stable, JSON-safe, merged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.core import recording


def test_record_round_trip_and_merge(tmp_path) -> None:
    recording.record(tmp_path, "01_cleaning", {"rows": np.int64(5), "share": np.float64(0.5),
                                                "missing": float("nan"), "when": pd.Timestamp("2025-01-02"),
                                                "table": pd.DataFrame({"a": [1, 2]}), "flag": np.bool_(True)})
    recording.record(tmp_path, "01_cleaning", {"extra": pd.NA})
    got = recording.load(tmp_path, "01_cleaning")
    assert got == {"rows": 5, "share": 0.5, "missing": None, "when": "2025-01-02T00:00:00",
                   "table": [{"a": 1}, {"a": 2}], "flag": True, "extra": None}
    assert recording.load(tmp_path, "99_missing") == {}


def test_record_is_byte_stable(tmp_path) -> None:
    recording.record(tmp_path / "a", "n", {"b": 1, "a": 2})
    recording.record(tmp_path / "b", "n", {"a": 2, "b": 1})
    assert (tmp_path / "a/results/n.json").read_bytes() == (tmp_path / "b/results/n.json").read_bytes()
