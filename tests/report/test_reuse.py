"""Reusing a step's results when nothing it depends on changed (analysis.report.reuse, core.file_reads).

The runner tests run on the stub project of test_runner.py, plus a notebook that reads one input
file, so that an edit of that file must re-execute it and nothing else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import file_reads, paths
from analysis.core.readers import read_parquet
from analysis.report import reuse, runner
from tests.report.test_runner import build_stub_project, make_notebook

READING_CELLS = [
    "# 02 · Population (stub that reads an input)\n\nCounts the rows of the population benchmark.",
    ("code", """\
        from pathlib import Path
        import pandas as pd
        from analysis.core.config import load_config
        config = load_config(config_path)
        rows = len(pd.read_csv(config.inputs[0].path))
        print("population rows:", rows)
        (Path(output_dir) / "tables").mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / "tables" / "population_rows.txt").write_text(str(rows))"""),
]


# --------------------------------------------------------------------------- what is observed
def test_read_log_sees_reads_and_listings_but_not_writes(tmp_path: Path) -> None:
    table = tmp_path / "table.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(table)
    text = tmp_path / "notes.txt"
    with file_reads.ReadLog() as log:
        text.write_text("written", encoding="utf-8")
        assert text.read_text(encoding="utf-8") == "written"
        assert read_parquet(table)["a"].tolist() == [1, 2]
        sorted(tmp_path.glob("*.parquet"))
        (tmp_path / "absent.txt").exists()  # an existence check raises no audit event
    seen = {entry for entry in log.entries if entry[1].startswith(str(tmp_path))}
    assert seen == {("read", str(text)), ("read", str(table)), ("list", str(tmp_path))}
    with file_reads.ReadLog() as after:
        pass
    assert not after.entries  # nothing recorded outside a block


def test_pyarrow_given_a_path_is_invisible_so_the_project_never_does_that(tmp_path: Path) -> None:
    """Why readers.read_parquet exists: pd.read_parquet(path) opens the file in C++, unseen."""
    table = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(table)
    with file_reads.ReadLog() as log:
        pd.read_parquet(table)
    assert ("read", str(table)) not in log.entries
    offenders = []
    sources = [*paths.REPO_ROOT.joinpath("src", "analysis").rglob("*.py"), *paths.NOTEBOOKS_DIR.glob("*.ipynb")]
    for source in sources:
        if source.name == "readers.py":
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bpd\.read_parquet\(|\bpq\.read_table\(|\bread_feather\(", line):
                offenders.append(f"{source.relative_to(paths.REPO_ROOT)}:{number}")
    assert offenders == [], "read parquet through analysis.core.readers.read_parquet: " + ", ".join(offenders)


def test_log_file_of_a_kernel_is_read_back(tmp_path: Path) -> None:
    log = tmp_path / "reads.log"
    log.write_text(f"read\t{tmp_path / 'a.csv'}\nlist\t{tmp_path}\nnonsense\n\n", encoding="utf-8")
    assert file_reads.read_log(log) == {("read", str(tmp_path / "a.csv")), ("list", str(tmp_path))}
    assert file_reads.read_log(tmp_path / "none.log") == set()


# --------------------------------------------------------------------------- keys
def test_locator_tokens_round_trip(tmp_path: Path) -> None:
    build = tmp_path / ".build-x"
    locator = reuse.Locator(build)
    assert locator.token(build / "results" / "a.json") == "{report}/results/a.json"
    assert locator.path("{report}/results/a.json") == build / "results" / "a.json"
    assert locator.token(paths.REPO_ROOT / "config" / "example.yaml") == "config/example.yaml"
    assert locator.path("config/example.yaml") == paths.REPO_ROOT / "config" / "example.yaml"
    assert locator.token(tmp_path / "elsewhere.csv") == str(tmp_path / "elsewhere.csv")
    assert reuse.Locator(tmp_path / "published").path("{report}/results/a.json") == \
        tmp_path / "published" / "results" / "a.json"


def test_key_changes_with_bytes_read_names_listed_and_base_facts(tmp_path: Path) -> None:
    locator = reuse.Locator(tmp_path / "build")
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    folder = tmp_path / "processed"
    folder.mkdir()

    def key(base: dict | None = None, skip: tuple[str, ...] = ()) -> str:
        return reuse.step_key(base or {"code": "x"}, reads=reuse.read_state([str(data)], locator),
                              listed=[str(folder)], watched=[str(folder)], skip=skip, locator=locator)

    first = key()
    assert key() == first
    data.write_text("a\n2\n", encoding="utf-8")
    second = key()
    assert second != first
    (folder / "new.parquet").write_bytes(b"x")
    third = key()
    assert third != second
    assert key(skip=(str(folder / "new.parquet"),)) == second  # a step's own or later outputs do not count
    assert key({"code": "y"}) != third
    data.unlink()
    assert key() != third  # an absent file is a state too


def test_step_record_from_a_malformed_manifest_is_none() -> None:
    assert reuse.StepRecord.from_json({"key": "k"}) is None
    assert reuse.StepRecord.from_json("text") is None
    record = reuse.StepRecord("k", ("a",), (), (), {"{report}/x": "f" * 64})
    assert reuse.StepRecord.from_json(record.to_json()) == record
    climbing = reuse.StepRecord("k", ("a",), (), (), {"{report}/../../outside.txt": "f" * 64})
    assert reuse.StepRecord.from_json(climbing.to_json()) is None


# --------------------------------------------------------------------------- the runner
def _reused(report: Path) -> dict[str, bool]:
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    return {n["name"]: n["reused"] for n in manifest["notebooks"]}


def _published(report: Path) -> dict[str, bytes]:
    return {p.relative_to(report).as_posix(): p.read_bytes() for p in sorted(report.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


@pytest.mark.slow
def test_runner_reexecutes_exactly_what_a_change_reaches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, notebooks = build_stub_project(tmp_path)
    make_notebook(notebooks / "02_population.ipynb", READING_CELLS)
    target = tmp_path / "reports" / "stub"
    lines: list[str] = []

    def run(**options: object) -> Path:
        lines.clear()
        return runner.run_cycle(config, target, notebooks_dir=notebooks, progress=lines.append, **options)

    first = _published(run())
    assert _reused(target) == {"01_cleaning": False, "02_population": False, "03_change_over_time": False}
    # The records name the files each step read; they stay in the (never published) interim folder.
    records = json.loads(reuse.records_path(tmp_path / "interim", "stub", target).read_text(encoding="utf-8"))
    assert str(tmp_path / "population.csv") in records["steps"]["02_population"]["reads"]
    assert "reuse" not in json.loads((target / "manifest.json").read_text(encoding="utf-8"))

    # Nothing changed: every notebook and the pages are reused, byte for byte.
    assert _published(run()) == first
    assert _reused(target) == {"01_cleaning": True, "02_population": True, "03_change_over_time": True}
    assert any("HTML pages unchanged since the last run" in line for line in lines)
    assert sum("results reused" in line for line in lines) == 3

    # An input that only 02 reads: 02 and the pages are redone, 01 and 03 reused.
    population = tmp_path / "population.csv"
    population.write_text(population.read_text(encoding="utf-8") + "Ealing,25-34,White,900\n", encoding="utf-8")
    run()
    assert _reused(target) == {"01_cleaning": True, "02_population": False, "03_change_over_time": True}
    assert (target / "tables" / "population_rows.txt").read_text() == "2"
    assert any(line.startswith("HTML pages exported in") for line in lines)

    # A published output edited by hand is never trusted: its notebook runs again and restores it.
    recorded = target / "results" / "01_cleaning.json"
    genuine = recorded.read_bytes()
    recorded.write_text(recorded.read_text().replace("230", "999"), encoding="utf-8")
    run()
    assert _reused(target)["01_cleaning"] is False and recorded.read_bytes() == genuine

    # A new file where the notebooks may look (this cycle's processed folder): nothing is reused.
    processed = tmp_path / "processed" / "stub"
    processed.mkdir(parents=True, exist_ok=True)
    (processed / "appeared.parquet").write_bytes(b"new")
    run()
    assert not any(_reused(target).values())

    # Other code: nothing reused; --rerun-all: nothing reused either, and the next run can reuse again.
    monkeypatch.setattr(reuse, "code_fingerprint", lambda *_: "other code")
    run()
    assert not any(_reused(target).values())
    run(reuse=False)
    assert not any(_reused(target).values())
    run()
    assert all(_reused(target).values())
