"""What a notebook records for tests, the report summary and the next cycle.

Each notebook writes one JSON file of headline metrics into
``<output_dir>/results/<notebook stem>.json``; tests assert on these, and the
report's executive summary is built from them. What each file may hold is the
results contract in :mod:`analysis.core.results`; :func:`record` refuses anything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import paths


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN/NA/NaT to null, DataFrames to records, paths to strings."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return to_jsonable(value.to_dict(orient="records"))
    if isinstance(value, np.generic) and not isinstance(value, (np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def results_dir(output_dir: str | Path) -> Path:
    """Folder of recorded results inside a report folder (relative folders are the repository's, not the cwd's)."""
    return paths.resolve(output_dir) / "results"


def record(output_dir: str | Path, notebook: str, metrics: dict[str, Any]) -> Path:
    """Check a notebook's headline results against its contract, then write them as sorted, stable JSON.

    The whole file is replaced: a notebook records everything in one call, so nothing from an
    earlier run can survive beside this run's results.

    Parameters
    ----------
    output_dir
        The report folder the notebook writes into.
    notebook
        Notebook stem, e.g. ``"01_cleaning"``; it names the model in :mod:`analysis.core.results`.
    metrics
        JSON-able values; DataFrames become lists of records.

    Returns
    -------
    Path
        The JSON file written.

    Raises
    ------
    analysis.core.results.ResultsError
        The results do not match the notebook's contract (the message names every offending
        field path); nothing is written.
    """
    from analysis.core.results import validate_results

    data = to_jsonable(metrics)
    validate_results(notebook, data)
    path = results_dir(output_dir) / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def load(output_dir: str | Path, notebook: str) -> dict[str, Any]:
    """Read what a notebook recorded; an empty dict if it recorded nothing."""
    path = results_dir(output_dir) / f"{notebook}.json"
    return json.loads(path.read_text()) if path.exists() else {}
