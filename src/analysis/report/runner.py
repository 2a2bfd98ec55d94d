"""The cycle runner: execute the notebooks in order and publish the report.

``python -m analysis run config/example.yaml`` executes ``notebooks/NN_*.ipynb``
with papermill, exports a reader (no code) and a researcher (with code) HTML
page per notebook, writes ``index.html`` with the executive summary and a
``manifest.json`` describing exactly what was run, and only then moves the
finished folder into place.

Why a build folder: a run that fails half-way must never leave something that
looks like a finished report. Everything is built in
``reports/.build-<cycle>-<random>/`` beside the target and swapped in at the
end (old report renamed aside, new one renamed in, old one deleted). A failed
build folder is kept, with ``RUN_FAILED.txt`` and the failed executed notebook,
so that the error can be read.

Reruns: a notebook (or the HTML export) whose notebook, parameters, config, code, environment
and every file it read are unchanged since the published report is not executed again; its
outputs are copied from that report (:mod:`analysis.report.reuse`; ``reuse=False`` or
``--rerun-all`` executes everything).

Reproducibility: executed notebooks and HTML pages carry no timestamps and no
build-folder paths (papermill's timing metadata is removed and the build path
is rewritten to the final path); volatile facts (times, durations) live in
``manifest.json`` only. Heavy imports (papermill, nbconvert) happen inside
functions so that the CLI starts quickly.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.core import paths
from analysis.core.errors import NotebookFailed, UserError
from analysis.core.hashing import sha256_file
from analysis.core.numerics import portable_kernel_env

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig

#: Distributions whose versions are recorded in the manifest (missing ones are recorded as null).
RECORDED_PACKAGES: tuple[str, ...] = (
    "involvement-evaluation", "pandas", "numpy", "pyarrow", "scipy", "statsmodels", "scikit-learn",
    "pandera", "pydantic", "bertopic", "sentence-transformers", "torch", "umap-learn", "hdbscan",
    "matplotlib", "seaborn", "plotly", "papermill", "nbconvert", "nbformat", "ipykernel", "jinja2",
)

#: The locked environment (``make setup`` installs it; see requirements/README.md); its hash goes in the manifest.
LOCK_FILE: Path = paths.REPO_ROOT / "requirements" / "lock.txt"

#: Papermill metadata that changes on every run; removed so executed notebooks are reproducible.
_VOLATILE_PAPERMILL_KEYS: tuple[str, ...] = ("start_time", "end_time", "duration", "exception", "status")


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: where it came from, where it went and how long it took."""

    name: str
    source: Path
    executed: Path
    seconds: float
    #: Parameters from the config's ``notebooks`` section (beyond config_path and output_dir).
    parameters: dict[str, Any] = field(default_factory=dict)
    #: True when its results were reused from the previous report (nothing it depends on changed).
    reused: bool = False


# --------------------------------------------------------------------------- discovery
def discover_notebooks(
    notebooks_dir: Path = paths.NOTEBOOKS_DIR, only: Sequence[str] | None = None
) -> list[Path]:
    """The cycle's notebooks (``NN_*.ipynb``), in order.

    Parameters
    ----------
    notebooks_dir
        Folder holding the notebooks.
    only
        Restrict to these notebooks, each given as a stem (``"04_reach_and_actions"``),
        a file name or a path to an ``.ipynb`` (paths may live anywhere; used by tests).

    Returns
    -------
    list[Path]
        Sorted by file name.

    Raises
    ------
    UserError
        When a requested notebook does not exist, or no notebook is found.
    """
    if only is None:
        found = sorted(p for p in notebooks_dir.glob("[0-9][0-9]_*.ipynb") if p.is_file())
        if not found:
            raise UserError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")
        return found
    chosen: list[Path] = []
    for item in only:
        candidate = Path(item)
        if candidate.suffix != ".ipynb":
            candidate = notebooks_dir / f"{item}.ipynb"
        elif not candidate.is_absolute() and not candidate.exists():
            candidate = notebooks_dir / candidate.name
        if not candidate.is_file():
            raise UserError(f"notebook not found: {item} (looked for {candidate})")
        chosen.append(candidate.resolve())
    return sorted(chosen, key=lambda p: p.name)


# --------------------------------------------------------------------------- environment
@contextlib.contextmanager
def _this_interpreter_kernel(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Make kernel name "python3" start *this* interpreter, whatever kernelspecs the user has.

    jupyter_client looks in ``JUPYTER_PATH`` first, so a kernelspec written there
    with ``sys.executable`` wins over a user-level ``python3`` kernel that might
    point at another Python without this project installed. ``env`` goes into the
    kernel spec: the kernel starts with those variables (the portable arithmetic of
    :mod:`analysis.core.numerics`) whatever this process did.
    """
    with tempfile.TemporaryDirectory(prefix="analysis-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     # Kernel chatter (TCP warnings, the interrupt at shutdown) is not for report users;
                     # cell errors still reach papermill.
                     "--IPKernelApp.log_level=CRITICAL",
                     # Before the first cell: record what the notebook reads (analysis.report.reuse), into
                     # the file the runner names in ANALYSIS_READ_LOG; no name is left in the namespace.
                     "--IPKernelApp.exec_lines=__import__('analysis.core.file_reads', "
                     "fromlist=['start_from_env']).start_from_env()"],
            "display_name": f"Python 3 ({Path(sys.prefix).name})",
            "language": "python",
            "metadata": {"debugger": True},
            "env": dict(env or {}),
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, previous]))
        # Tables and figures must not depend on the hash seed or thread count of the machine.
        previous_hash_seed = os.environ.get("PYTHONHASHSEED")
        os.environ["PYTHONHASHSEED"] = "0"
        try:
            yield "python3"
        finally:
            for key, value in (("JUPYTER_PATH", previous), ("PYTHONHASHSEED", previous_hash_seed)):
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def package_versions(names: Sequence[str] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (None when not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def installed_distributions() -> dict[str, str]:
    """Every installed distribution's version, by canonical name (one scan: cheaper than a look-up each)."""
    from packaging.utils import canonicalize_name

    installed: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            installed.setdefault(canonicalize_name(name), dist.version)
    return installed


def lock_record(lock_file: Path = LOCK_FILE, installed: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The lock file's path and SHA-256, and which locked packages are installed at another version.

    ``installed`` is :func:`installed_distributions` when the caller already has it.

    Returns
    -------
    dict or None
        ``{"path", "sha256", "differs"}``, ``differs`` listing ``"name locked X, installed Y"``
        (``installed none`` when missing), so that a manifest says whether the run used the lock;
        None when there is no lock file (e.g. the package installed outside the repository).
    """
    import re

    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if not lock_file.is_file():
        return None
    text = lock_file.read_text(encoding="utf-8")
    locked = {canonicalize_name(m.group(1)): m.group(2)
              for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.M)}
    if installed is None:
        installed = installed_distributions()

    def same(a: str, b: str | None) -> bool:
        try:
            return b is not None and Version(a) == Version(b)
        except InvalidVersion:
            return a == b

    differs = [f"{name} locked {version}, installed {installed.get(name) or 'none'}"
               for name, version in sorted(locked.items()) if not same(version, installed.get(name))]
    return {"path": _relative(lock_file), "sha256": sha256_file(lock_file), "differs": differs}


def git_commit(repo: Path = paths.REPO_ROOT) -> dict[str, Any]:
    """The checked-out commit and whether the work tree has uncommitted changes.

    Read-only git calls; ``{"commit": "unknown", "dirty": None}`` outside a
    repository, without git, or before the first commit.
    """
    def _git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                                  timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = _git("rev-parse", "HEAD")
    if not commit:
        return {"commit": "unknown", "dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _relative(path: Path) -> str:
    """A path relative to the repository root when inside it (manifests must not depend on the clone's location)."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def build_manifest(
    config: CycleConfig,
    config_path: Path,
    runs: Sequence[NotebookRun],
    *,
    output_dir: Path,
    started_at: datetime,
    finished_at: datetime,
    numerics: str = "host",
    stages: Sequence[tuple[str, float]] = (),
    lock: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to say what produced a report.

    Parameters
    ----------
    config
        The validated cycle configuration.
    config_path
        The YAML file it came from.
    runs
        The executed notebooks with their durations.
    output_dir
        The report's final folder (recorded as the ``output_dir`` parameter).
    started_at, finished_at
        Wall-clock times of the run (UTC).
    numerics
        The arithmetic the kernels computed with ("portable" or "host", :mod:`analysis.core.numerics`).
    stages
        ``(name, seconds)`` of each timed step of the run, in order (notebooks, HTML export).
    lock
        :func:`lock_record` of the environment's lock file (None when there is none); computed once
        per run, because the run's reuse keys need it before any notebook runs.

    Returns
    -------
    dict
        JSON-able manifest: cycle, config (path and sha256), input files with
        sha256 and size, parameters, seed, suppression threshold, package
        versions, the lock file's sha256, python and platform, git commit,
        notebooks with seconds, stages with seconds, start and end times.
    """
    inputs = []
    for item in config.inputs:
        path = config.input_path(item)
        inputs.append({
            "name": item.name,
            "dataset": item.dataset,
            "path": _relative(path),
            "sha256": sha256_file(path) if path.is_file() else None,
            "bytes": path.stat().st_size if path.is_file() else None,
        })
    extra_files = {"codebook": config.themes.codebook, "theme_book": config.themes.book}
    for label, value in extra_files.items():
        if value is not None:
            path = paths.resolve(value)
            inputs.append({"name": label, "dataset": label, "path": _relative(path),
                           "sha256": sha256_file(path) if path.is_file() else None,
                           "bytes": path.stat().st_size if path.is_file() else None})
    return {
        "manifest_version": 1,
        "cycle": config.cycle,
        "title": config.title,
        "organisation": config.organisation,
        "previous_cycle": config.previous_cycle,
        "config": {"path": _relative(config_path), "sha256": sha256_file(config_path)},
        "inputs": inputs,
        "parameters": {"config_path": str(config_path), "output_dir": str(output_dir)},
        "seed": config.seed,
        "suppression_threshold": config.suppression_threshold,
        "packages": package_versions(),
        "lock": dict(lock) if lock is not None else None,
        "numerics": numerics,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_commit(),
        "notebooks": [
            {"name": r.name, "source": _relative(r.source), "seconds": round(r.seconds, 1),
             "parameters": r.parameters, "reused": r.reused} for r in runs
        ],
        **manifest_times(stages, started_at, finished_at),
    }


def manifest_times(stages: Sequence[tuple[str, float]], started_at: datetime,
                   finished_at: datetime) -> dict[str, Any]:
    """The manifest's timing fields: ``stages`` (name, seconds), start, end and total seconds."""
    return {
        "stages": [{"name": name, "seconds": round(seconds, 1)} for name, seconds in stages],
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished_at.isoformat(timespec="seconds"),
        "seconds": round((finished_at - started_at).total_seconds(), 1),
    }


# --------------------------------------------------------------------------- execution
def _clean_executed_notebook(path: Path, build_dir: Path, final_dir: Path) -> None:
    """Remove run-specific noise from an executed notebook, in place.

    Papermill's timing metadata changes on every run and the build folder's
    random name would leak into the parameters cell and any printed path; both
    are rewritten so that two runs of the same inputs give the same notebook.
    """
    import nbformat

    text = path.read_text(encoding="utf-8").replace(str(build_dir), str(final_dir))
    nb = nbformat.reads(text, as_version=4)
    pm = nb.metadata.get("papermill", {})
    for key in _VOLATILE_PAPERMILL_KEYS:
        pm.pop(key, None)
    pm.pop("output_path", None)
    pm.pop("input_path", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id on every run
        cell.metadata.pop("execution", None)
        cell_pm = cell.metadata.get("papermill")
        if cell_pm is not None:
            for key in _VOLATILE_PAPERMILL_KEYS:
                cell_pm.pop(key, None)
    nbformat.write(nb, path)


def _relocate_results(build_dir: Path, final_dir: Path) -> None:
    """Rewrite the build folder's path to the final path in recorded results (JSON)."""
    for path in sorted((build_dir / "results").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        if str(build_dir) in text:
            path.write_text(text.replace(str(build_dir), str(final_dir)), encoding="utf-8")


def execute_notebook(
    source: Path,
    executed: Path,
    *,
    parameters: dict[str, Any],
    kernel_name: str,
    cwd: Path,
    progress_bar: bool = False,
) -> float:
    """Execute one notebook with papermill; return the seconds it took.

    ``progress_bar`` shows papermill's bar of executed cells on stderr (cleared when done).

    Raises
    ------
    NotebookFailed
        With the failing cell's error name and value, the cell number and the
        path of the kept executed notebook.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source), str(executed), parameters=parameters, kernel_name=kernel_name,
            cwd=str(cwd), log_output=False, report_mode=False,
            progress_bar={"desc": f"  {source.stem}", "leave": False, "file": sys.stderr} if progress_bar else False,
        )
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {source.name} failed in cell {exc.cell_index + 1} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"The executed notebook, with the error, is kept for debugging: {executed}"
        ) from None
    except Exception as exc:  # kernel died, timeout, bad notebook JSON: still the notebook's failure
        raise NotebookFailed(
            f"notebook {source.name} could not be executed: {type(exc).__name__}: {exc}\n"
            f"Build folder kept for debugging: {executed.parent.parent}"
        ) from exc
    return time.perf_counter() - start


def _swap_into_place(build_dir: Path, target: Path) -> None:
    """Replace ``target`` by ``build_dir`` with two renames (old report deleted last)."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{secrets.token_hex(4)}")
        target.rename(old)
    try:
        build_dir.rename(target)
    except OSError:
        if old is not None:  # put the previous report back rather than leave nothing
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def progress_to_stderr(line: str) -> None:
    """Print one progress line on stderr (stdout stays for what a command is asked to print)."""
    print(line, file=sys.stderr, flush=True)


def run_cycle(
    config_path: Path,
    out_dir: Path | None = None,
    *,
    notebooks: Sequence[str] | None = None,
    progress: Callable[[str], None] = progress_to_stderr,
    self_contained: bool = False,
    notebooks_dir: Path = paths.NOTEBOOKS_DIR,
    progress_bar: bool | None = None,
    reuse: bool = True,
) -> Path:
    """Run a whole cycle and publish its report.

    Parameters
    ----------
    config_path
        The cycle YAML (relative paths are taken from the repository root).
    out_dir
        Final report folder; default ``reports/<cycle>/`` from the config.
    notebooks
        Run only these notebooks (stems, file names or paths); default every
        ``NN_*.ipynb`` in ``notebooks_dir``, in order.
    progress
        Called with one line per step: a notebook starting, a notebook done with its
        seconds, the HTML export with its seconds (stderr by default).
    self_contained
        Also write ``<cycle>-report.html``: one offline file with the summary
        and every reader section, for sending by e-mail.
    notebooks_dir
        Where the notebooks live (tests pass a temporary folder).
    progress_bar
        Papermill's bar of executed cells on stderr; None = when stderr is a terminal and
        ``progress`` is the default.
    reuse
        Reuse a step's results from the published report when nothing it depends on has changed
        (:mod:`analysis.report.reuse`); False (``--rerun-all``) executes every step.

    Returns
    -------
    Path
        The published report folder.

    Raises
    ------
    ConfigError
        The configuration is invalid.
    ThemeBookError
        The cycle's theme book is invalid (raised before any notebook runs).
    NotebookFailed
        A notebook raised; the message names the cell's error and where the
        failed notebook was kept. No report is published.
    """
    from analysis.core.config import load_config
    from analysis.report import build as report
    from analysis.report import previous_cycle as previous
    from analysis.themes.book import load_book

    config_path = paths.resolve(config_path)
    config = load_config(config_path)
    target = (Path(out_dir).resolve() if out_dir is not None else config.report_path())
    sources = discover_notebooks(notebooks_dir, notebooks)
    # Before any notebook: a broken theme book should stop the run in its first second, not after cleaning.
    if config.themes.book is not None and (notebooks is None or any(s.stem.endswith("_themes") for s in sources)):
        load_book(config.themes.book)
    target.parent.mkdir(parents=True, exist_ok=True)
    build_dir = target.parent / f".build-{config.cycle}-{secrets.token_hex(4)}"
    build_dir.mkdir()
    previous.mark_building(build_dir, config.cycle)  # a run of the next cycle may be waiting for this one
    started_at = datetime.now(UTC)
    progress(f"Running cycle {config.cycle!r}: {len(sources)} notebook(s), building in {build_dir}")

    try:
        kernel_env = portable_kernel_env()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    numerics = "portable" if kernel_env else "host"

    if progress_bar is None:
        progress_bar = progress is progress_to_stderr and sys.stderr.isatty()
    runs: list[NotebookRun] = []
    stages: list[tuple[str, float]] = []

    def write_manifest(manifest: dict[str, Any]) -> None:
        (build_dir / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")

    from analysis.core.file_reads import LOG_ENV, ReadLog, read_log
    from analysis.report import reuse as reuse_steps

    installed = installed_distributions()  # one scan, for the lock's check and the reuse fingerprint
    lock = lock_record(installed=installed)
    steps = reuse_steps.CycleSteps.for_cycle(
        config, config_path, build_dir=build_dir, target=target, enabled=reuse,
        environment=reuse_steps.environment_fingerprint(kernel_env, lock["sha256"] if lock else None, installed),
        order=[*(s.stem for s in sources), "html_export"])

    try:
        with _this_interpreter_kernel(kernel_env) as kernel_name, \
                tempfile.TemporaryDirectory(prefix="analysis-reads-") as reads_dir:
            for number, source in enumerate(sources, start=1):
                executed = build_dir / "notebooks" / source.name
                # Every other parameter comes from the validated config (section ``notebooks``).
                extra = config.notebook_parameters(source.stem)
                parameters = {"config_path": str(config_path), "output_dir": str(build_dir), **extra}
                base = steps.base(source.stem, notebook=sha256_file(source),
                                  parameters={**parameters, "output_dir": str(target)})
                reads_previous = previous.notebook_reads_previous_cycle(source)
                if reads_previous:  # before the reuse check too: that reads the previous cycle's files
                    previous.wait_for_previous_cycle(config, progress)
                step_start = time.perf_counter()
                if steps.reuse(source.stem, base):
                    seconds = time.perf_counter() - step_start
                    runs.append(NotebookRun(source.stem, source, executed, seconds, extra, reused=True))
                    stages.append((source.stem, seconds))
                    progress(f"[{number}/{len(sources)}] {source.stem} ... unchanged since the last run "
                             f"(inputs, code and environment): results reused ({seconds:.1f} s)")
                    continue
                progress(f"[{number}/{len(sources)}] {source.stem} ... started")
                before = steps.before()
                log_file = Path(reads_dir) / f"{source.stem}.log"
                previous_log = os.environ.get(LOG_ENV)
                os.environ[LOG_ENV] = str(log_file)  # the kernel inherits it (file_reads.start_from_env)
                try:
                    seconds = execute_notebook(source, executed, parameters=parameters, kernel_name=kernel_name,
                                               cwd=build_dir, progress_bar=progress_bar)
                finally:
                    if previous_log is None:
                        os.environ.pop(LOG_ENV, None)
                    else:
                        os.environ[LOG_ENV] = previous_log
                _clean_executed_notebook(executed, build_dir, target)
                _relocate_results(build_dir, target)
                if log_file.is_file():
                    entries = read_log(log_file)
                    undeclared = [] if reads_previous else previous.undeclared_reads(
                        entries, previous.previous_cycle_folders(config))
                    if undeclared:
                        raise NotebookFailed(
                            f"notebook {source.name} read the previous cycle's {_relative(Path(undeclared[0]))} "
                            f"without declaring it: add \"analysis\": {{\"reads_previous_cycle\": true}} to its "
                            f"metadata, so that it waits while another run rebuilds that cycle")
                    steps.after(source.stem, base, before, entries, reads_previous=reads_previous)
                # else the kernel recorded nothing (analysis.core.file_reads did not start): what the notebook
                # read is unknown, so it is not recorded and the next run executes it again.
                runs.append(NotebookRun(source.stem, source, executed, seconds, extra))
                stages.append((source.stem, seconds))
                progress(f"[{number}/{len(sources)}] {source.stem} ... done in {seconds:.1f} s")
        export_start = time.perf_counter()
        manifest = build_manifest(config, config_path, runs, output_dir=target, started_at=started_at,
                                  finished_at=datetime.now(UTC), numerics=numerics, stages=stages, lock=lock)
        write_manifest(manifest)  # before the export too: kept for debugging if the export fails
        previous.wait_for_previous_cycle(config, progress)  # the summary compares with the previous cycle
        export_base = steps.base("html_export", self_contained=self_contained,
                                 manifest=reuse_steps.stable_manifest(manifest))
        exported = not steps.reuse("html_export", export_base)
        if exported:
            progress("Exporting HTML pages ...")
            before = steps.before()
            with ReadLog() as export_reads:
                report.build_report(build_dir, config, manifest, self_contained=self_contained, final_dir=target)
            steps.after("html_export", export_base, before, export_reads.entries)
        report.assert_offline(build_dir)  # reused pages are checked as freshly exported ones are
        stages.append(("html_export", time.perf_counter() - export_start))
        progress(f"HTML pages exported in {stages[-1][1]:.1f} s" if exported
                 else f"HTML pages unchanged since the last run: reused ({stages[-1][1]:.1f} s)")
        # The pages use the manifest's environment facts, never its times: updating these changes no page.
        manifest.update(manifest_times(stages, started_at, datetime.now(UTC)))
        write_manifest(manifest)
        records = steps.to_json()  # while the build folder exists: the keys list what is in it
    except BaseException as exc:
        # Keep the build folder for debugging, clearly marked as unpublished.
        (build_dir / "RUN_FAILED.txt").write_text(
            f"This folder is an incomplete build of cycle {config.cycle!r}; it was not published.\n\n{exc}\n",
            encoding="utf-8")
        raise
    previous.unmark_building(build_dir)
    _swap_into_place(build_dir, target)
    reuse_steps.write_records(reuse_steps.records_path(config.interim_path(), config.cycle, target), records)
    progress(f"Report ready: {target / 'index.html'}")
    if self_contained:
        progress(f"Single-file report: {target / f'{config.cycle}-report.html'}")
    return target
