"""Steps that read the previous cycle, and waiting for that cycle while another run builds it.

Two cycles can be built at the same time (``python -m analysis run OLD.yaml NEW.yaml``, which
``make report`` uses for the example): most of the new cycle (cleaning, themes) never looks at
the old one, and on a two-core machine the two runs together take about two thirds of the time
of one after the other. Only the steps that compare with the previous cycle must wait for its
report to be published.

* A notebook says that it reads the previous cycle in its metadata
  (``"analysis": {"reads_previous_cycle": true}``); the HTML export always does (the summary
  compares with it).
* Before such a step (before even checking whether its results can be reused) the run waits
  while a build of the previous cycle is in progress: a ``.build-<previous>-*`` folder beside
  the previous report holding :data:`BUILD_MARKER` of a live process and no ``RUN_FAILED.txt``.
* The declaration is checked on every run against what the step was seen to read
  (:mod:`analysis.core.file_reads`): a notebook that reads the previous cycle's report or
  processed tables without declaring it fails the run, because a concurrent build could have
  changed those files under it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from analysis.core.errors import UserError

#: The file a run keeps in its build folder while it builds (removed before the folder is published).
BUILD_MARKER = "BUILDING.json"
#: Seconds a build may stay in place once its marker is gone (it is being renamed into place).
PUBLISH_GRACE_SECONDS = 10.0
#: Notebook metadata: ``metadata["analysis"]["reads_previous_cycle"]``.
METADATA_KEY = "analysis"


class PreviousCycleError(UserError):
    """The previous cycle's build, which this run was waiting for, failed or stopped."""


def mark_building(build_dir: Path, cycle: str) -> None:
    """Record in ``build_dir`` that this process is building ``cycle`` (see :func:`builds_in_progress`)."""
    (build_dir / BUILD_MARKER).write_text(
        json.dumps({"cycle": cycle, "pid": os.getpid(), "host": socket.gethostname()}) + "\n", encoding="utf-8")


def unmark_building(build_dir: Path) -> None:
    """Remove the marker before the build folder is published."""
    (build_dir / BUILD_MARKER).unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    import psutil  # a dependency of ipykernel, so always installed with the notebooks' kernel

    try:
        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def marker_of(build_dir: Path) -> tuple[int, str] | None:
    """The process id and host in ``build_dir``'s marker; None without one (an older run's folder) or half-written."""
    try:
        marker = json.loads((build_dir / BUILD_MARKER).read_text(encoding="utf-8"))
        return int(marker["pid"]), str(marker["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_in_progress(build_dir: Path) -> bool:
    """Whether ``build_dir`` is being built now: its marker names a live process on this machine, and it has not failed."""
    if (build_dir / "RUN_FAILED.txt").exists():
        return False
    marker = marker_of(build_dir)
    # A process on another machine (a shared drive) cannot be checked: not waited for.
    return marker is not None and marker[1] == socket.gethostname() and _process_alive(marker[0])


def builds_in_progress(report_parent: Path, cycle: str) -> list[Path]:
    """Build folders of ``cycle`` under ``report_parent`` that another run is building now."""
    if not report_parent.is_dir():
        return []
    return sorted(p for p in report_parent.glob(f".build-{cycle}-*") if p.is_dir() and build_in_progress(p))


def wait_for_previous_cycle(config: Any, progress: Callable[[str], None], *, poll_seconds: float = 0.5) -> None:
    """Wait while another run builds ``config.previous_cycle``'s report; return at once when none does.

    Raises
    ------
    PreviousCycleError
        The build waited for failed (``RUN_FAILED.txt``) or its process stopped without
        publishing: comparing with a report that is missing or stale would be silently wrong.
    """
    if not config.previous_cycle:
        return
    parent = config.report_path().parent
    waiting = builds_in_progress(parent, config.previous_cycle)
    if not waiting:
        return
    progress(f"  waiting for cycle {config.previous_cycle!r}, which another run is building "
             f"({waiting[0].name}), to be published")
    start = time.perf_counter()
    unmarked_since: dict[Path, float] = {}
    while waiting:
        time.sleep(poll_seconds)
        still = []
        for build in waiting:
            if not build.exists():
                continue  # published (renamed into place)
            if (build / "RUN_FAILED.txt").exists():
                raise PreviousCycleError(
                    f"the run building the previous cycle {config.previous_cycle!r} failed (see "
                    f"{build / 'RUN_FAILED.txt'}); this cycle compares with it, so it stops too")
            if (build / BUILD_MARKER).exists():
                if not build_in_progress(build):
                    raise PreviousCycleError(
                        f"the run building the previous cycle {config.previous_cycle!r} stopped without "
                        f"publishing its report (build folder {build}); run that cycle again, then this one")
            else:
                # The marker goes just before the folder is renamed into place: allow it a moment.
                first = unmarked_since.setdefault(build, time.perf_counter())
                if time.perf_counter() - first > PUBLISH_GRACE_SECONDS:
                    raise PreviousCycleError(
                        f"the build of the previous cycle {config.previous_cycle!r} ({build}) was neither "
                        f"published nor marked failed; run that cycle again, then this one")
            still.append(build)
        waiting = still
    progress(f"  cycle {config.previous_cycle!r} published; waited {time.perf_counter() - start:.1f} s")


def reads_previous_cycle(notebook: dict[str, Any]) -> bool:
    """Whether a notebook (as JSON) declares that it reads the previous cycle."""
    meta = notebook.get("metadata", {}).get(METADATA_KEY, {})
    return isinstance(meta, dict) and meta.get("reads_previous_cycle") is True


def notebook_reads_previous_cycle(path: Path) -> bool:
    """:func:`reads_previous_cycle` of the notebook file at ``path``."""
    try:
        return reads_previous_cycle(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable notebook ({exc})") from None


def previous_cycle_folders(config: Any) -> list[Path]:
    """The previous cycle's report and processed folders (empty for a first cycle)."""
    if not config.previous_cycle:
        return []
    return [config.report_path().parent / config.previous_cycle,
            config.processed_path().parent / config.previous_cycle]


def undeclared_reads(entries: Iterable[tuple[str, str]], folders: Iterable[Path]) -> list[str]:
    """Paths a step read or listed inside ``folders`` (sorted): for a step that declared no such reads."""
    roots = [Path(f).resolve() for f in folders]
    return sorted({path for _, path in entries if any(Path(path).is_relative_to(r) for r in roots)})
