"""The cycle runner, exercised on small stub notebooks (seconds, not minutes).

The stub project (config, notebooks, inputs) is built by :func:`build_stub_project`,
which test_report.py and test_browser.py import too: the real notebooks need the
processed example data and models, which would make these tests slow and
dependent on colleagues' work in progress.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from analysis.core import paths
from analysis.core.errors import NotebookFailed
from analysis.report import runner

PARAMETERS = (
    'config_path: str = "config/example.yaml"  # cycle configuration, relative to the repository root\n'
    'output_dir: str = "reports/example"  # report build folder: tables, figures and recorded results go here'
)

STUB_CONFIG = """\
cycle: {cycle}
title: "Stub cycle for tests"
organisation: "Test NHS Trust"
latest_wave: 2025
previous_cycle: {previous}
seed: 7
suppression_threshold: 10
inputs:
  - name: population_benchmark
    dataset: population
    path: {population}
    columns:
      "Borough": borough
      "Age band": age_band
      "Ethnic group": ethnicity
      "Population": population
question_bank:
  items:
    - id: real_improvements
      short_label: "Real improvements"
      wording:
        2019: "Involvement has led to real improvements in services"
    - id: told_outcome
      short_label: "Told what happened"
      wording:
        2019: "I was told what happened as a result of my input"
  open_questions:
    - id: make_better
      short_label: "Make involvement better"
      wording:
        2019: "What would make involvement better?"
change:
  baseline_wave: 2019
notebooks:
  change_over_time:
    groups: ["Expert by experience", "Staff"]
outputs:
  reports_dir: {reports}
  processed_dir: {processed}
  interim_dir: {interim}
"""

CLEANING_CELLS = [
    "# 01 · Cleaning (stub)\n\n**Purpose.** A stand-in for the cleaning notebook. It records counts.",
    "## 1. Counts\n\nA table & a figure.",
    ("code", """\
        import sys
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import pandas as pd
        from IPython.display import Markdown, display
        from analysis.core import recording
        from analysis.core.config import load_config
        from analysis.present.figures import show_figure
        config = load_config(config_path)
        table = pd.DataFrame({"borough": ["Brent", "Ealing"], "respondents": [120, 85], "pct": [58.5, 41.5]})
        display(Markdown(f"We read **{table.respondents.sum()}** rows for cycle `{config.cycle}`."))
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.bar(table.borough, table.respondents, color="#005EB8")
        show_figure(fig, alt="Bar chart: Brent 120 respondents, Ealing 85.", title="Respondents by borough")
        print("written to", output_dir)
        print("kernel python:", sys.executable)
        print("a warning for researchers", file=sys.stderr)
        recording.record(output_dir, "01_cleaning", {
            "cycle": config.cycle, "rows_read": 230, "rows_kept": 205, "rows_rejected": 15, "duplicates_removed": 10,
            "reconciled": True, "reconciliation": [], "rejects_by_reason": [], "tables": {},
            "redactions": {"EMAIL": 4, "PHONE": 2},
            "respondents_by_wave": [
                {"dataset": "involvement_survey", "group": "Staff", "wave": 2024, "respondents": 100, "suppressed": False},
                {"dataset": "involvement_survey", "group": "Staff", "wave": 2025, "respondents": 105, "suppressed": False}],
            "demo_key": True,
        })
        table"""),
]

CHANGE_CELLS = [
    "# 03 · Change over time (stub)\n\nRatings by wave.",
    "## 1. Ratings",
    ("code", """\
        import pandas as pd
        import plotly.express as px
        from analysis.core import recording
        frame = pd.DataFrame({"wave": [2023, 2024, 2025], "pct": [48.0, 52.0, 61.0]})
        # The change notebook's shape: items -> group -> latest estimate and tests; sentences per item x group.
        def entry(pct, low, high, n, diff):
            return {"wave": 2025, "pct_positive": pct, "ci_low": low, "ci_high": high, "n": n, "suppressed": False,
                    "mdd_pp": 12.0,
                    "diff_baseline": {"estimate": diff, "ci_low": diff - 6, "ci_high": diff + 6,
                                      "p_value": 0.0005 if abs(diff) > 8 else 0.2,
                                      "p_adjusted": 0.001 if abs(diff) > 8 else 0.4, "comparison_wave": 2023,
                                      "suppressed": False}}
        recording.record(output_dir, "03_change_over_time", {
            "latest_wave": 2025, "baseline_wave": 2023, "suppression_threshold": 10, "notes": [],
            "p_adjusted_method": "Holm", "gee_used": False,
            "items": {
                "real_improvements": {"all": entry(61.0, 55.2, 66.5, 240, 13.0), "Staff": entry(58.0, 50.1, 65.5, 130, 9.0)},
                "told_outcome": {"all": entry(35.5, 29.8, 41.6, 238, 2.0)},
            },
            "sentences": [
                {"item": "real_improvements", "group": "all",
                 "sentence": "Real improvements (everyone): 61% answered positively in 2025; up from 48% in 2023."},
                {"item": "told_outcome", "group": "all",
                 "sentence": "Told what happened (everyone): 36% answered positively in 2025; no evidence of a change."},
            ],
        })
        fig = px.line(frame, x="wave", y="pct", title="Real improvements: positive answers by wave", markers=True)
        fig.show()"""),
]

FAILING_CELLS = [
    "# 02 · Themes (stub that fails)",
    ("code", """\
        rows = {"make_better": 3}
        rows["difference_made"]"""),
]


def make_notebook(path: Path, cells: list) -> Path:
    """Write a notebook with a tagged parameters cell after the first markdown cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(cells):
        if isinstance(cell, tuple):
            nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(cell[1])))
        else:
            nb.cells.append(nbformat.v4.new_markdown_cell(cell))
        if i == 0:
            nb.cells.append(nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # fixed ids, as in a committed notebook
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def build_stub_project(root: Path, *, cycle: str = "stub", previous: str | None = None,
                       failing: bool = False) -> tuple[Path, Path]:
    """A config and a notebooks folder (01 and 03, plus a failing 02 when asked).

    Returns
    -------
    (config_path, notebooks_dir)
    """
    population = root / "population.csv"
    population.write_text("Borough,Age band,Ethnic group,Population\nBrent,25-34,White,1000\n", encoding="utf-8")
    config = root / f"{cycle}.yaml"
    config.write_text(STUB_CONFIG.format(
        cycle=cycle, previous=previous or "null", population=population,
        reports=root / "reports", processed=root / "processed", interim=root / "interim"), encoding="utf-8")
    notebooks = root / "notebooks"
    make_notebook(notebooks / "01_cleaning.ipynb", CLEANING_CELLS)
    make_notebook(notebooks / "03_change_over_time.ipynb", CHANGE_CELLS)
    if failing:
        make_notebook(notebooks / "02_themes.ipynb", FAILING_CELLS)
    return config, notebooks


@pytest.fixture(scope="module")
def stub_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("stub")
    config, notebooks = build_stub_project(root)
    lines: list[str] = []
    out = runner.run_cycle(config, notebooks_dir=notebooks, progress=lines.append, self_contained=True)
    return out, lines


@pytest.mark.slow
def test_run_publishes_every_page_manifest_and_progress(stub_report):
    out, lines = stub_report
    assert out.name == "stub" and out.parent.name == "reports"
    names = {p.name for p in out.iterdir()}
    for expected in ("index.html", "manifest.json", "01_cleaning.html", "01_cleaning-with-code.html",
                     "03_change_over_time.html", "03_change_over_time-with-code.html", "stub-report.html",
                     "notebooks", "results"):
        assert expected in names
    assert not any(n.startswith(".build-") for n in (p.name for p in out.parent.iterdir()))
    steps = [line for line in lines if line.startswith("[")]
    assert [re.sub(r"done in \d+\.\d s$", "done in N s", line) for line in steps] == [
        "[1/2] 01_cleaning ... started", "[1/2] 01_cleaning ... done in N s",
        "[2/2] 03_change_over_time ... started", "[2/2] 03_change_over_time ... done in N s"]
    export = [line for line in lines if line.startswith("HTML pages exported in ")]
    assert len(export) == 1 and lines.index(export[0]) > lines.index(steps[-1])


@pytest.mark.slow
def test_notebooks_run_in_this_interpreter(stub_report):
    out, _ = stub_report
    nb = nbformat.reads((out / "notebooks" / "01_cleaning.ipynb").read_text(), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    kernel_python = re.search(r"kernel python: (\S+)", printed).group(1)
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
def test_manifest_records_inputs_packages_and_times(stub_report):
    out, _ = stub_report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cycle"] == "stub"
    assert manifest["seed"] == 7
    population = next(i for i in manifest["inputs"] if i["name"] == "population_benchmark")
    assert population["sha256"] == runner.sha256_file(Path(population["path"]))
    for package in ("pandas", "numpy", "papermill", "statsmodels", "bertopic", "torch", "pandera", "pydantic"):
        assert manifest["packages"][package], package
    assert [n["name"] for n in manifest["notebooks"]] == ["01_cleaning", "03_change_over_time"]
    # Parameters from the config's notebooks section, set in YAML or derived, are recorded per notebook.
    assert [n["parameters"] for n in manifest["notebooks"]] == [
        {}, {"groups_column": "respondent_type", "groups": ["Expert by experience", "Staff"]}]
    assert all(n["seconds"] > 0 for n in manifest["notebooks"])
    # One stage per notebook (the same seconds) and the HTML export, in the order they ran.
    assert [s["name"] for s in manifest["stages"]] == ["01_cleaning", "03_change_over_time", "html_export"]
    assert [s["seconds"] for s in manifest["stages"][:2]] == [n["seconds"] for n in manifest["notebooks"]]
    assert manifest["stages"][-1]["seconds"] >= 0
    assert sum(s["seconds"] for s in manifest["stages"]) <= manifest["seconds"] + 0.5
    assert manifest["started_at"] <= manifest["finished_at"]
    assert manifest["lock"]["path"] == "requirements/lock.txt"
    assert manifest["lock"]["sha256"] == runner.sha256_file(runner.LOCK_FILE)
    assert manifest["parameters"]["output_dir"] == str(out)
    assert manifest["git"]["commit"]


@pytest.mark.slow
def test_executed_notebooks_carry_no_build_path_or_timings(stub_report):
    out, _ = stub_report
    text = (out / "notebooks" / "01_cleaning.ipynb").read_text()
    assert ".build-" not in text
    assert str(out) in text  # the parameters cell shows the published folder
    nb = nbformat.reads(text, as_version=4)
    assert "duration" not in nb.metadata["papermill"]
    assert all("execution" not in c.metadata for c in nb.cells)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    change = nbformat.reads((out / "notebooks" / "03_change_over_time.ipynb").read_text(), as_version=4)
    injected = next(c.source for c in change.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'groups = ["Expert by experience", "Staff"]' in injected  # from the YAML, through papermill


@pytest.mark.slow
def test_failed_notebook_stops_the_run_and_keeps_the_old_report(tmp_path):
    config, notebooks = build_stub_project(tmp_path, failing=True)
    target = tmp_path / "reports" / "stub"
    target.mkdir(parents=True)
    (target / "index.html").write_text("previous report")
    lines: list[str] = []
    with pytest.raises(NotebookFailed) as info:
        runner.run_cycle(config, notebooks_dir=notebooks, progress=lines.append)
    message = str(info.value)
    assert "02_themes.ipynb" in message and "KeyError" in message and "difference_made" in message
    builds = list((tmp_path / "reports").glob(".build-stub-*"))
    assert len(builds) == 1
    kept = builds[0] / "notebooks" / "02_themes.ipynb"
    assert str(kept) in message and kept.exists()
    assert (builds[0] / "RUN_FAILED.txt").exists()
    assert not (builds[0] / "index.html").exists()
    assert (target / "index.html").read_text() == "previous report"
    assert any(line.startswith("[1/3] 01_cleaning ... done") for line in lines)
    assert not any(line.startswith("[3/3]") for line in lines)


def test_discover_notebooks_orders_and_rejects_unknown(tmp_path):
    _, notebooks = build_stub_project(tmp_path, failing=True)
    found = runner.discover_notebooks(notebooks)
    assert [p.stem for p in found] == ["01_cleaning", "02_themes", "03_change_over_time"]
    chosen = runner.discover_notebooks(notebooks, ["03_change_over_time", "01_cleaning.ipynb"])
    assert [p.stem for p in chosen] == ["01_cleaning", "03_change_over_time"]
    with pytest.raises(runner.UserError, match="notebook not found: 09_missing"):
        runner.discover_notebooks(notebooks, ["09_missing"])
    with pytest.raises(runner.UserError, match="no notebooks"):
        runner.discover_notebooks(tmp_path / "empty")


def test_cli_parses_run_command():
    import argparse

    parser = argparse.ArgumentParser()
    from analysis.cli import run as run_cli

    run_cli.add_cli(parser.add_subparsers())
    args = parser.parse_args(["run", "config/example.yaml", "--out", "x", "--self-contained",
                              "--notebook", "01_cleaning"])
    assert args.func is run_cli._run_command
    assert args.self_contained and args.out == "x" and args.notebook == ["01_cleaning"]


def test_runner_module_imports_fast():
    import subprocess

    code = ("import sys, analysis.report.runner; heavy = {'papermill', 'nbconvert', 'torch', 'pandas', 'bertopic'};"
            " print(sorted(heavy & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_refuses_at_once_when_the_theme_book_is_broken(tmp_path):
    """A theme book with a merge into a theme it does not have stops the run before any notebook."""
    import time

    from analysis.themes.book import ThemeBookError

    config, notebooks = build_stub_project(tmp_path, cycle="now")
    book = tmp_path / "book.yaml"
    book.write_text(
        "book_version: 1\nprogramme: stub\nembedding_model_sha256: " + "a" * 64 + "\nthemes:\n"
        "- {id: 100, name: Parking, source: model, status: merged, merged_into: 999}\n", encoding="utf-8")
    (tmp_path / "book.centroids.csv").write_text("theme_id,d0,d1\n100,0.6,0.8\n", encoding="utf-8")
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f"themes:\n  book: {book}\n")
    lines: list[str] = []
    started = time.perf_counter()
    with pytest.raises(ThemeBookError) as info:
        runner.run_cycle(config, notebooks_dir=notebooks, progress=lines.append)
    assert time.perf_counter() - started < 30  # no notebook ran (each takes seconds); not a timing test
    assert "theme 100" in str(info.value) and "999" in str(info.value) and "book.yaml" in str(info.value)
    assert lines == [] and not (tmp_path / "reports").exists()  # nothing started, no build folder


# --------------------------------------------------------------------------- notebook parameters
NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
#: Set by the runner itself for every notebook.
RUNNER_PARAMETERS = {"config_path", "output_dir"}


def _notebook_parameters(path: Path) -> dict[str, dict]:
    import papermill

    return papermill.inspect_notebook(str(path))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_parameter_can_be_set_from_the_config(notebook: Path) -> None:
    from analysis.core.config import load_config

    config = load_config(paths.CONFIG_DIR / "example.yaml", check_files=False)
    declared = _notebook_parameters(notebook)
    assert RUNNER_PARAMETERS <= set(declared), notebook.name
    passed = config.notebook_parameters(notebook.stem)
    missing = set(declared) - RUNNER_PARAMETERS - set(passed)
    assert not missing, f"{notebook.name}: parameter(s) {sorted(missing)} cannot be set from the cycle config"
    unused = set(passed) - set(declared)
    assert not unused, f"config notebooks section sets {sorted(unused)}, which {notebook.name} does not declare"
    # The example config gives the notebook's own defaults, so running through the runner changes nothing.
    for name, value in passed.items():
        assert ast.literal_eval(declared[name]["default"]) == value, f"{notebook.name}: {name}"


def test_every_config_notebook_section_names_a_notebook() -> None:
    from analysis.core.config import Notebooks

    sections = {re.sub(r"^\d+_", "", p.stem) for p in NOTEBOOKS}
    assert set(Notebooks.model_fields) <= sections


def test_notebook_parameters_are_validated_against_the_question_bank(tmp_path: Path) -> None:
    from analysis.core.config import load_config
    from analysis.core.errors import ConfigError

    config_path, _ = build_stub_project(tmp_path)
    text = config_path.read_text().replace("notebooks:\n", "notebooks:\n  themes:\n    questions: [make_better, what_next]\n")
    config_path.write_text(text)
    with pytest.raises(ConfigError, match=r"notebooks\.themes\.questions\.1.*'what_next' is not an open question"):
        load_config(config_path)
    config_path.write_text(text.replace(", what_next", "").replace(
        "  change_over_time:", "  reach_and_actions:\n    reach_datasets: [engagement_survey]\n  change_over_time:"))
    with pytest.raises(ConfigError, match=r"notebooks\.reach_and_actions\.reach_datasets\.0.*no input file"):
        load_config(config_path)
    config_path.write_text(text.replace(", what_next", ""))
    config = load_config(config_path)
    assert config.notebook_parameters("02_themes")["questions"] == ["make_better"]
    assert config.notebook_parameters("01_cleaning") == {}


# --------------------------------------------------------------------------- lock and progress
def test_lock_record_hashes_the_lock_and_names_packages_installed_at_another_version(tmp_path: Path) -> None:
    from importlib import metadata

    pandas = metadata.version("pandas")
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# header\n"
        f"Pandas=={pandas} \\\n    --hash=sha256:{'a' * 64}\n    # via involvement-evaluation (pyproject.toml)\n"
        "numpy==0.0.1 \\\n    --hash=sha256:" + "b" * 64 + "\n"
        "no-such-package-xyz==1.0 \\\n    --hash=sha256:" + "c" * 64 + "\n", encoding="utf-8")
    record = runner.lock_record(lock)
    assert record["sha256"] == runner.sha256_file(lock)
    assert record["path"] == str(lock)  # outside the repository: absolute
    assert record["differs"] == ["no-such-package-xyz locked 1.0, installed none",
                                 f"numpy locked 0.0.1, installed {metadata.version('numpy')}"]
    assert runner.lock_record(tmp_path / "absent.txt") is None


def test_repository_lock_is_what_this_environment_runs() -> None:
    record = runner.lock_record()
    if record is None:
        pytest.skip("no requirements/lock.txt")
    # Packages installed by hand beside the lock are allowed; a locked package at another version is not.
    assert record["differs"] == [], "this environment is not the lock: run `make setup`"


def test_progress_lines_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    runner.progress_to_stderr("[1/4] 01_cleaning ... started")
    out, err = capsys.readouterr()
    assert out == "" and err == "[1/4] 01_cleaning ... started\n"


EMBEDDING_CELLS = [
    "# 02 · Themes (stub that embeds)\n\nEnough new comments for the embedding progress bar.",
    ("code", """\
        import types
        import numpy as np
        from analysis.core import recording
        from analysis.themes.embeddings import PROGRESS_MIN_TEXTS, embed_texts
        texts = [f"comment number {i} about the ward" for i in range(PROGRESS_MIN_TEXTS + 100)]
        fake = types.SimpleNamespace(sha256="stub", dimension=4, cache_key="stub")
        vectors, stats = embed_texts(texts, model=fake, cache_dir=None,
                                     encode=lambda batch: np.ones((len(batch), 4), np.float32))
        print("embedded", stats.n_embedded)"""),
]


@pytest.mark.slow
def test_progress_bars_reach_the_terminal_and_change_no_published_file(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Papermill's bar and the embedding bar go to the runner's stderr, never into a notebook or page."""
    from analysis.themes.embeddings import PROGRESS_MIN_TEXTS

    config, notebooks = build_stub_project(tmp_path)
    make_notebook(notebooks / "02_themes.ipynb", EMBEDDING_CELLS)
    def published(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and p.name != "manifest.json"}

    target = tmp_path / "reports" / "stub"
    quiet = published(runner.run_cycle(config, target, notebooks_dir=notebooks, progress=lambda _: None,
                                       progress_bar=False))
    capfd.readouterr()
    # reuse=False: with nothing changed, the second run would otherwise reuse the first one's results.
    loud = runner.run_cycle(config, target, notebooks_dir=notebooks, progress=lambda _: None, progress_bar=True,
                            reuse=False)
    err = capfd.readouterr().err
    assert "Embedding" in err and "comments/s" in err, err[-2000:]  # from inside the kernel
    assert "02_themes" in err  # papermill's bar of cells
    executed = (loud / "notebooks" / "02_themes.ipynb").read_text(encoding="utf-8")
    assert f"embedded {PROGRESS_MIN_TEXTS + 100}" in executed
    assert "Embedding" not in executed and "comments/s" not in executed
    again = published(loud)
    assert sorted(again) == sorted(quiet) and "02_themes.html" in quiet
    assert [name for name in quiet if quiet[name] != again[name]] == []
