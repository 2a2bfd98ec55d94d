"""Waiting for the previous cycle while another run builds it, and the notebooks' declaration of reading it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from analysis.core.paths import NOTEBOOKS_DIR
from analysis.report import previous_cycle as pc


def _config(tmp_path: Path, previous: str | None = "2024") -> SimpleNamespace:
    reports, processed = tmp_path / "reports", tmp_path / "processed"
    reports.mkdir(exist_ok=True)
    return SimpleNamespace(previous_cycle=previous, report_path=lambda: reports / "2025",
                           processed_path=lambda: processed / "2025")


def _build(tmp_path: Path, cycle: str = "2024") -> Path:
    build = tmp_path / "reports" / f".build-{cycle}-0a1b2c3d"
    build.mkdir(parents=True)
    pc.mark_building(build, cycle)
    return build


def test_no_build_in_progress_returns_at_once_and_says_nothing(tmp_path):
    lines: list[str] = []
    pc.wait_for_previous_cycle(_config(tmp_path), lines.append, poll_seconds=0.01)
    pc.wait_for_previous_cycle(_config(tmp_path, previous=None), lines.append, poll_seconds=0.01)
    assert lines == []


def test_waits_until_the_build_is_published(tmp_path):
    build = _build(tmp_path)
    lines: list[str] = []

    def publish() -> None:
        time.sleep(0.3)
        pc.unmark_building(build)
        build.rename(tmp_path / "reports" / "2024")

    threading.Thread(target=publish).start()
    start = time.perf_counter()
    pc.wait_for_previous_cycle(_config(tmp_path), lines.append, poll_seconds=0.02)
    assert time.perf_counter() - start >= 0.3
    assert "waiting for cycle '2024'" in lines[0] and "published" in lines[-1]


def test_a_failed_build_stops_the_waiting_run_with_one_message(tmp_path):
    build = _build(tmp_path)
    threading.Timer(0.1, lambda: (build / "RUN_FAILED.txt").write_text("boom", encoding="utf-8")).start()
    with pytest.raises(pc.PreviousCycleError, match=r"previous cycle '2024' failed .*RUN_FAILED\.txt"):
        pc.wait_for_previous_cycle(_config(tmp_path), lambda _: None, poll_seconds=0.02)


def test_a_build_whose_process_stops_unpublished_is_an_error(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.4)"])
    build = tmp_path / "reports" / ".build-2024-0a1b2c3d"
    build.mkdir(parents=True)
    pc.mark_building(build, "2024")
    marker = json.loads((build / pc.BUILD_MARKER).read_text(encoding="utf-8"))
    (build / pc.BUILD_MARKER).write_text(json.dumps({**marker, "pid": child.pid}), encoding="utf-8")
    threading.Thread(target=child.wait).start()  # reaped when it ends, as a parent would
    with pytest.raises(pc.PreviousCycleError, match="stopped without publishing"):
        pc.wait_for_previous_cycle(_config(tmp_path), lambda _: None, poll_seconds=0.05)


def test_old_and_failed_build_folders_are_not_waited_for(tmp_path):
    dead = tmp_path / "reports" / ".build-2024-deadbeef"
    dead.mkdir(parents=True)
    (dead / pc.BUILD_MARKER).write_text(json.dumps({"cycle": "2024", "pid": 2**22 + 7, "host": "x"}),
                                        encoding="utf-8")
    failed = _build(tmp_path)
    (failed / "RUN_FAILED.txt").write_text("boom", encoding="utf-8")
    (tmp_path / "reports" / ".build-2024-nomarker").mkdir()
    other_cycle = _build(tmp_path, cycle="2023")
    assert pc.build_in_progress(other_cycle)
    assert pc.builds_in_progress(tmp_path / "reports", "2024") == []
    pc.wait_for_previous_cycle(_config(tmp_path), lambda _: pytest.fail("should not wait"), poll_seconds=0.01)


def test_undeclared_reads_name_only_the_previous_cycles_files(tmp_path):
    config = _config(tmp_path)
    folders = pc.previous_cycle_folders(config)
    inside = str(folders[1] / "activities.parquet")
    entries = {("read", inside), ("read", str(tmp_path / "processed" / "2025" / "x.parquet")),
               ("list", str(folders[0] / "results")), ("read", str(tmp_path / "reports" / "2024x" / "a"))}
    assert pc.undeclared_reads(entries, folders) == sorted([inside, str(folders[0] / "results")])
    assert pc.previous_cycle_folders(_config(tmp_path, previous=None)) == []


def test_the_notebooks_that_compare_with_the_previous_cycle_declare_it():
    declared = {p.stem for p in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")) if pc.notebook_reads_previous_cycle(p)}
    # Whether the declaration is complete is checked on every run against the reads observed
    # (analysis.report.runner); the example cycle's run is in tests/notebooks.
    assert declared == {"03_change_over_time", "04_reach_and_actions"}
    assert not pc.reads_previous_cycle({"metadata": {"analysis": {"reads_previous_cycle": "yes"}}})
