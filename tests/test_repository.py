"""House rules: layout, clean notebooks, one dependency set, the README's commands."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import nbformat
import pytest
import yaml

from analysis.core import paths

ROOT = paths.REPO_ROOT
NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_top_level_layout() -> None:
    for name in ("notebooks", "data/raw", "data/processed", "src/analysis", "environment.yml", "reports", "tests",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run", "config", "bench"):
        assert (ROOT / name).exists(), name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(notebook) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{notebook.name} has outputs"
            assert cell.execution_count is None, f"{notebook.name} has execution counts"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_thin_and_parameterised(notebook) -> None:
    nb = nbformat.read(notebook, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    params = tagged[0].source
    assert re.search(r"^config_path: str = ", params, re.M)
    assert re.search(r"^output_dir: str = ", params, re.M)
    for line in params.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+: [\w\[\], |]+ = .+  # .+", line), f"untyped or uncommented parameter: {line!r}"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "sys.path" not in source and "%cd" not in source and "os.chdir" not in source


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_agrees_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python.split("=")[-1] == "3.11" and ">=3.11" in project["requires-python"]
    pip_deps = next(d["pip"] for d in deps if isinstance(d, dict))
    # Both install requirements/lock.txt, which tests/test_lock.py checks against pyproject's ranges.
    assert "-r requirements/lock.txt" in pip_deps, "conda installs the same lock as make setup"
    assert "dev" in project["optional-dependencies"]


def test_readme_commands_are_the_make_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run runs the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    for target in ("report", "test", "lab", "help"):
        assert re.search(rf"^{target}:.*## ", makefile, re.M), f"make {target} is documented"


def test_generated_data_is_ignored_by_git() -> None:
    generated = ["data/processed/example/respondents.parquet", "reports/example/index.html", "data/interim/embeddings/x.npy",
                 "data/raw/real_cycle/survey.csv"]
    proc = subprocess.run(["git", "check-ignore", *generated], cwd=ROOT, capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == sorted(generated)
    tracked = subprocess.run(["git", "ls-files", "data", "reports"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert all(p.startswith("data/raw/example/") or p.endswith(".gitkeep") for p in tracked), tracked


def test_package_data_includes_templates() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "templates/*" in json.dumps(pyproject["tool"]["setuptools"]["package-data"])
