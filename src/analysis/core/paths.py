"""Every path the toolkit uses, rooted at the repository, never at the working directory.

Notebooks, the CLI and tests import from here so that a notebook opened from
any folder in JupyterLab, or executed by papermill in a temporary folder,
reads and writes the same files.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root: ``src/analysis/paths.py`` -> three levels up.
REPO_ROOT: Path = Path(__file__).resolve().parents[3]

CONFIG_DIR: Path = REPO_ROOT / "config"
DATA_DIR: Path = REPO_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
INTERIM_DIR: Path = DATA_DIR / "interim"
PROCESSED_DIR: Path = DATA_DIR / "processed"
REPORTS_DIR: Path = REPO_ROOT / "reports"
NOTEBOOKS_DIR: Path = REPO_ROOT / "notebooks"
EXAMPLE_RAW_DIR: Path = RAW_DIR / "example"
EXAMPLE_CONFIG: Path = CONFIG_DIR / "example.yaml"
#: Real public NHS data used by tests and benchmarks; absent on a user's clone.
SHARED_DIR: Path = REPO_ROOT.parent / "shared"


def resolve(path: str | Path, base: Path = REPO_ROOT) -> Path:
    """Resolve a path from a config file against the repository root.

    Parameters
    ----------
    path
        Absolute, or relative to ``base``.
    base
        Folder that relative paths are taken from (the repository root by default).

    Returns
    -------
    Path
        An absolute path.
    """
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (base / candidate).resolve()


def processed_dir(cycle: str) -> Path:
    """Folder of processed Parquet tables for one cycle."""
    return PROCESSED_DIR / cycle


def report_dir(cycle: str) -> Path:
    """Folder of the published report for one cycle."""
    return REPORTS_DIR / cycle


def shown(path: str | Path) -> str:
    """A path as a user would type it: relative to the repository root when inside it (for messages)."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
