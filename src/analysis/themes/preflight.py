"""Checks a cycle run makes before any notebook starts, so that it fails in a second, not in minutes.

Theme ids from 100 up are handed out by the theme registry
(:mod:`analysis.themes.registry`) in the order cycles are run: a cycle that
follows another (``previous_cycle``) continues that cycle's ids and numbers its
own new themes after them. Committed review decisions (``config/reviews/<cycle>.csv``)
therefore name ids that only mean something once the previous cycle has been run
*on this machine* (the registry lives in ``data/processed/``, which is not
committed). On a fresh clone, running the later cycle first used to fail after
several minutes in notebook 02 ("theme 135 is not a theme of this run");
:func:`check_previous_cycle_built` refuses at once instead, with the command to
run first.

The refusal is targeted: it needs a previous cycle, decisions that name model
themes (codebook ids 1-99 are fixed and need no registry), a registry without
the previous cycle, and decision ids the registry does not hold. A first cycle,
a cycle without decisions, or one whose decisions only touch codebook themes
runs as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core import paths
from analysis.core.errors import UserError
from analysis.themes.registry import FIRST_MODEL_ID, load_registry, registry_path
from analysis.themes.review import decisions_path, read_decisions

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig


class PreviousCycleNotBuilt(UserError):
    """The cycle's committed review decisions need theme ids from a previous cycle not yet run here."""

    exit_code = 1


def _shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the repository root when inside it."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _ids(values: list[int], limit: int = 8) -> str:
    text = ", ".join(map(str, values[:limit]))
    return text + (", ..." if len(values) > limit else "")


def previous_cycle_problem(config: CycleConfig, config_path: str | Path | None = None) -> str | None:
    """Why this cycle cannot be run yet, or None when nothing it needs is missing.

    Parameters
    ----------
    config
        The cycle.
    config_path
        The cycle's YAML; the previous cycle's config is looked for beside it
        (``<folder>/<previous_cycle>.yaml``) to give the exact command.

    Returns
    -------
    str or None
        One message naming the previous cycle, the registry, the decisions file,
        the ids it needs and the command to run first.

    Raises
    ------
    InputFileError
        The decisions file or the registry is unreadable (the run would fail on it later).
    """
    previous = config.previous_cycle
    if previous is None:
        return None
    decisions_file = decisions_path(config.cycle, config.themes.review_dir)
    decisions = read_decisions(decisions_file)
    named = set(decisions["theme_id"].astype(int)) | set(decisions["merge_into"].dropna().astype(int))
    needed = sorted(t for t in named if t >= FIRST_MODEL_ID)
    if not needed:
        return None
    reg_file = registry_path(config.themes.registry, config.outputs.processed_dir)
    registry, _ = load_registry(reg_file)
    if previous in set(registry["cycle"].astype(str)):
        return None
    missing = sorted(set(needed) - set(registry["theme_id"].astype(int)))
    if not missing:
        return None
    previous_config = Path(config_path).resolve().parent / f"{previous}.yaml" if config_path is not None else None
    if previous_config is not None and previous_config.is_file():
        command = f"`python -m analysis run {_shown_path(previous_config)}`"
        if config_path is not None and Path(config_path).resolve() == paths.EXAMPLE_CONFIG.resolve():
            command += " (or `make report`, which builds both example cycles in order)"
    else:
        command = f"`python -m analysis run <config of cycle {previous!r}>`"
    return (
        f"cycle {config.cycle!r} follows cycle {previous!r} (previous_cycle), which has not been run here: "
        f"the theme registry {_shown_path(reg_file)} has no themes of {previous!r}, and the review decisions "
        f"{_shown_path(decisions_file)} name theme ids ({_ids(missing)}) that exist only once it has. "
        f"Run {command} first, then run this cycle again."
    )


def check_previous_cycle_built(config: CycleConfig, config_path: str | Path | None = None) -> None:
    """Raise :class:`PreviousCycleNotBuilt` when :func:`previous_cycle_problem` finds a problem."""
    problem = previous_cycle_problem(config, config_path)
    if problem is not None:
        raise PreviousCycleNotBuilt(problem)
