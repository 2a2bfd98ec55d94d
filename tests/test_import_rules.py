"""The one-way import rule between the stage subpackages, checked on the source (AST), not by importing.

core <- stats <- present <- {clean, themes, change, reach} <- report <- cli

A module may import from its own subpackage and from any lower layer; the four stages never import
each other. Lazy imports inside functions count too: a rule that only holds at import time is no rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.core import paths

PACKAGE = paths.REPO_ROOT / "src" / "analysis"

#: Layer of each subpackage; equal layers may not import each other (except a package itself).
LAYERS: dict[str, int] = {
    "core": 0, "stats": 1, "present": 2,
    "clean": 3, "themes": 3, "change": 3, "reach": 3,
    "report": 4, "cli": 5,
}
#: Top-level modules of the package and the layer they sit at (``python -m analysis`` sits above cli).
TOP_LEVEL = {"__init__": 0, "__main__": 6}


def _subpackage(module: str) -> str | None:
    """``analysis.themes.model`` -> ``themes``; ``analysis`` -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "analysis" else None


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every ``analysis...`` module imported anywhere in a file, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("analysis")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "analysis":
                found += [(node.lineno, f"analysis.{alias.name}") for alias in node.names]
            elif node.module.startswith("analysis.") or node.module.startswith("analysis_example"):
                found.append((node.lineno, node.module))
    return found


def forbidden_imports(package_dir: Path = PACKAGE) -> list[str]:
    """One line per import that breaks the rule: file, line, importer and imported."""
    problems: list[str] = []
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        own = relative.parts[0] if len(relative.parts) > 1 else None
        layer = LAYERS[own] if own else TOP_LEVEL.get(path.stem, 0)
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.startswith("analysis_example"):
                if own != "cli":
                    problems.append(f"{relative}:{line}: imports the example generator {module} (only cli may)")
                continue
            target = _subpackage(module)
            if target is None or target == own or target in TOP_LEVEL:
                continue
            if target not in LAYERS:
                problems.append(f"{relative}:{line}: imports {module}, which is in no subpackage")
            elif LAYERS[target] > layer or (LAYERS[target] == layer and target != own):
                problems.append(f"{relative}:{line}: {own or path.stem} (layer {layer}) imports {module} "
                                f"(layer {LAYERS[target]})")
    return problems


def test_every_subpackage_has_a_layer() -> None:
    found = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert found == set(LAYERS)


@pytest.mark.slow
def test_no_module_breaks_the_one_way_import_rule() -> None:
    assert forbidden_imports() == []


@pytest.mark.parametrize(("importer", "source", "expected"), [
    ("themes", "from analysis.clean import standardise\n", "themes (layer 3) imports analysis.clean"),
    ("core", "def f():\n    from analysis.stats.proportions import wilson_ci\n", "core (layer 0) imports"),
    ("change", "import analysis.reach.actions\n", "change (layer 3) imports analysis.reach.actions"),
    ("present", "from analysis_example.generate import make_example\n", "imports the example generator"),
])
def test_the_rule_catches_a_forbidden_arrow(tmp_path: Path, importer: str, source: str, expected: str) -> None:
    for name in LAYERS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / importer / "bad.py").write_text(source)
    problems = forbidden_imports(tmp_path)
    assert len(problems) == 1 and expected in problems[0]


def test_allowed_arrows_pass(tmp_path: Path) -> None:
    for name in LAYERS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "themes" / "ok.py").write_text(
        "from analysis.core import vocab\nfrom analysis.stats import proportions\nfrom analysis.themes import model\n")
    (tmp_path / "cli" / "ok.py").write_text("from analysis.report import runner\nimport analysis_example.generate\n")
    assert forbidden_imports(tmp_path) == []
