"""Shared fixtures: paths to the example and to the real public data in ../shared."""

from __future__ import annotations

# The test session is an entry point (like ``python -m analysis``): pin the portable arithmetic
# before anything imports numpy, torch or numba, so in-process embeddings match the report's.
from analysis.core.numerics import apply_portable_numerics

apply_portable_numerics()

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

from analysis.core import paths  # noqa: E402

FFT_CSV = paths.SHARED_DIR / "data" / "fft_feedback" / "fft_feedback_v6framework.csv"
STAFF_SURVEY_CSV = paths.SHARED_DIR / "data" / "staff_survey" / "staff_survey_wellbeing_by_org_2021_2024.csv"


@pytest.fixture
def example_config_dict() -> dict:
    """The example cycle's YAML as a dict, for tests that change one thing."""
    return yaml.safe_load(paths.EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def write_config(tmp_path: Path, data: dict, name: str = "cycle.yaml") -> Path:
    """Write a config dict as YAML into tmp_path; returns the path."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def example_copy(tmp_path: Path, example_config_dict: dict) -> tuple[Path, dict]:
    """A private copy of the example raw files and a config pointing at it, with outputs in tmp."""
    raw = tmp_path / "raw"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, raw)
    data = dict(example_config_dict)
    data["inputs"] = [dict(f, path=str(raw / Path(f["path"]).name)) for f in data["inputs"]]
    data["outputs"] = {"processed_dir": str(tmp_path / "processed"), "reports_dir": str(tmp_path / "reports"),
                       "interim_dir": str(tmp_path / "interim")}
    themes = dict(data.get("themes", {}))
    for key in ("codebook", "book"):
        if themes.get(key):
            themes[key] = str(paths.resolve(themes[key]))
    themes["review_dir"] = str(tmp_path / "review")  # the run's review sheet and candidates stay in tmp
    data["themes"] = themes
    return write_config(tmp_path, data), data
