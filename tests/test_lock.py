"""The locked environment: ``requirements/lock.txt`` agrees with ``pyproject.toml`` and pins everything.

The lock is what ``make setup``, CI and ``environment.yml`` install (``make lock`` refreshes it with
pip-tools). These tests only read files: they run in well under a second.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from analysis.core import paths

ROOT = paths.REPO_ROOT
LOCK = ROOT / "requirements" / "lock.txt"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}$")


def parse_lock(text: str) -> dict[str, dict]:
    """Requirement entries of a pip-compile lock: name -> {"line", "spec", "hashes"}.

    An entry is a requirement line with its backslash continuations; comments and
    blank lines are skipped. Options (``--index-url``, ``-e``, ...) are returned under
    their own text as name, so that a test can refuse them.
    """
    entries: dict[str, dict] = {}
    logical: list[tuple[int, str]] = []
    current, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not current:
            start = number
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        current += line.strip()
        if current:
            logical.append((start, current.strip()))
        current = ""
    for number, entry in logical:
        parts = entry.split()
        head, options = parts[0], parts[1:]
        if head.startswith("-"):
            entries[entry] = {"line": number, "spec": None, "hashes": [], "option": True}
            continue
        requirement = Requirement(head)
        name = canonicalize_name(requirement.name)
        if name in entries:
            raise AssertionError(f"lock line {number}: {name} is listed twice")
        entries[name] = {"line": number, "spec": requirement, "option": False,
                         "hashes": [o for o in options if o.startswith("--hash=")],
                         "other": [o for o in options if not o.startswith("--hash=")]}
    return entries


@pytest.fixture(scope="module")
def lock() -> dict[str, dict]:
    if not LOCK.is_file():
        pytest.fail(f"{LOCK.relative_to(ROOT)} is missing: run `make lock`")
    return parse_lock(LOCK.read_text(encoding="utf-8"))


def _pinned_version(entry: dict) -> Version:
    (spec,) = entry["spec"].specifier
    return Version(spec.version)


def _pyproject_requirements() -> list[tuple[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [("dependencies", Requirement(r)) for r in project["dependencies"]]
    for extra, items in project.get("optional-dependencies", {}).items():
        found += [(f"optional-dependencies.{extra}", Requirement(r)) for r in items]
    return found


def test_every_pyproject_dependency_is_locked_inside_its_range(lock) -> None:
    problems = []
    for where, requirement in _pyproject_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": "dev"}):
            continue  # not for this platform or Python
        name = canonicalize_name(requirement.name)
        entry = lock.get(name)
        if entry is None:
            problems.append(f"{where}: {requirement} is not in the lock")
            continue
        version = _pinned_version(entry)
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{where}: {requirement} but the lock pins {version} (line {entry['line']})")
    assert not problems, "pyproject.toml and requirements/lock.txt disagree (run `make lock`):\n" + "\n".join(problems)


def test_lock_pins_every_package_exactly_with_hashes(lock) -> None:
    options = [k for k, e in lock.items() if e["option"]]
    # No -e, no index or find-links paths: where packages come from is pip's own configuration.
    assert not options, f"the lock carries options: {options}"
    problems = []
    for name, entry in lock.items():
        specs = list(entry["spec"].specifier)
        if entry["spec"].url or len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            problems.append(f"{name} (line {entry['line']}) is not pinned with ==: {entry['spec']}")
        if not entry["hashes"]:
            problems.append(f"{name} (line {entry['line']}) has no hash")
        problems += [f"{name} (line {entry['line']}) has a malformed hash {h}" for h in entry["hashes"]
                     if not HASH.match(h)]
        if entry["other"]:
            problems.append(f"{name} (line {entry['line']}) has options other than hashes: {entry['other']}")
    assert not problems, "\n".join(problems)
    assert len(lock) >= len(_pyproject_requirements()), "the lock holds fewer packages than pyproject names"


def test_lock_holds_the_cpu_build_of_torch_and_the_build_backend(lock) -> None:
    torch = _pinned_version(lock["torch"])
    assert torch.local == "cpu", f"torch is locked as {torch}: the CPU build keeps CUDA wheels out"
    cuda = sorted(n for n in lock if n.startswith(("nvidia-", "triton")))
    assert not cuda, f"CUDA packages in the lock: {cuda}"
    # `make setup` builds the editable install without an isolated build environment, with the lock's setuptools.
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for requirement in map(Requirement, build):
        assert requirement.specifier.contains(_pinned_version(lock[canonicalize_name(requirement.name)]))


def test_setup_and_conda_install_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^LOCK := requirements/lock\.txt$", makefile, re.M)
    stamp = re.search(r"^\$\(STAMP\):(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert stamp and "$(LOCK)" in stamp.group(1), "the venv is rebuilt when the lock changes"
    recipe = stamp.group(2)
    assert "pip install --quiet --require-hashes -r $(LOCK)" in recipe
    assert "--no-deps --no-build-isolation -e ." in recipe
    assert re.search(r"^lock:.*## ", makefile, re.M), "make lock is documented"
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_lines = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements/lock.txt" in pip_lines and "--require-hashes" in pip_lines
    assert not [line for line in pip_lines if not line.startswith(("-r ", "--require-hashes"))], (
        "environment.yml installs the lock and nothing else")


@pytest.mark.parametrize("text, problem", [
    ("pandas>=3.0 \\\n    --hash=sha256:" + "a" * 64 + "\n", "not pinned"),
    ("pandas==3.0.1\n", "no hash"),
    ("pandas==3.0.1 \\\n    --hash=sha256:abc\n", "malformed hash"),
    ("--find-links /opt/wheels\npandas==3.0.1 \\\n    --hash=sha256:" + "a" * 64 + "\n", "carries options"),
])
def test_lock_checks_catch_a_bad_lock(text: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        test_lock_pins_every_package_exactly_with_hashes(parse_lock(text))


def test_parse_lock_reads_continuations_and_comments() -> None:
    text = ("# header\n#\nzipp==4.1.2 \\\n    --hash=sha256:" + "b" * 64 + " \\\n    --hash=sha256:" + "c" * 64
            + "\n    # via importlib-metadata\n\nTorch==2.13.0+cpu \\\n    --hash=sha256:" + "d" * 64 + "\n")
    parsed = parse_lock(text)
    assert set(parsed) == {"zipp", "torch"}
    assert len(parsed["zipp"]["hashes"]) == 2 and parsed["zipp"]["line"] == 3
    assert _pinned_version(parsed["torch"]) == Version("2.13.0+cpu")
    with pytest.raises(AssertionError, match="listed twice"):
        parse_lock("zipp==1 \\\n  --hash=sha256:" + "b" * 64 + "\nzipp==2\n")
