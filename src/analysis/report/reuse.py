"""Reuse a step's results from the previous report when nothing it depends on has changed.

A rerun of a cycle in which nothing changed should take seconds, and a rerun after one edit
should redo only the steps that edit reaches (an edit of the theme book re-executes the themes
notebook and what reads its tables, never the cleaning). Each step (a notebook, or the HTML
export) is recorded, in a git-ignored file of the interim folder (:func:`records_path`), with

* a **key**: the SHA-256 of everything the step depends on (below);
* what it **read** and which folders it **listed**, observed by :mod:`analysis.core.file_reads`;
* its **outputs**: every file it created or changed, with its SHA-256.

On the next run the key is computed again, from the files the step read *last time* as they are
*now*. When it is the same and every output is still as recorded (outputs in the report are copied
from the published report; outputs elsewhere, such as ``data/processed/<cycle>/``, must still hold
the recorded bytes), the step is not executed and its outputs are reused. Anything else re-executes.

What the key covers
-------------------
* the notebook file's bytes and its parameters (with the final report folder, not the build folder);
* the cycle YAML's bytes;
* the project's code: every file of the ``analysis`` package;
* the environment: Python, machine, every installed distribution with its version, the lock
  file's hash and the arithmetic settings (:mod:`analysis.core.numerics`);
* the bytes of every file the step read (or the fact that it was absent), and the names in every
  folder it listed;
* the names of every file in the folders a step may only test for (this cycle's processed folder;
  for a step that reads the previous cycle, :mod:`analysis.report.previous_cycle`, also that cycle's
  processed and report folders), because an existence check raises no audit event.

A change in any of them re-executes the step; so does ``python -m analysis run --rerun-all``. The
embedding cache is deliberately left out: it holds vectors keyed by the text and the model's hash,
so it can make a run faster but never different.

Written by hand because the tools that do this (DVC, Snakemake, doit) need each step's inputs and
outputs declared, and a forgotten declaration publishes stale results; here they are observed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.core import paths
from analysis.core.hashing import folder_sha256, sha256_file
from analysis.report.previous_cycle import BUILD_MARKER, previous_cycle_folders

#: Bumped when the meaning of a key changes, so that older records are never trusted.
REUSE_VERSION = 1

#: Token standing for the report folder in recorded paths (a build folder has a random name).
REPORT_TOKEN = "{report}"

PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: Environment variables that set thread counts (part of the environment fingerprint).
THREAD_VARIABLES: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "NUMBA_NUM_THREADS", "TORCH_NUM_THREADS", "INVOLVEMENT_NUMERICS")

#: Files the runner itself writes into the report folder (never a step's input or output).
RUNNER_FILES: tuple[str, ...] = (f"{REPORT_TOKEN}/manifest.json", f"{REPORT_TOKEN}/RUN_FAILED.txt",
                                 f"{REPORT_TOKEN}/{BUILD_MARKER}")


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def code_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over every file of the ``analysis`` package (paths and bytes; no bytecode)."""
    return folder_sha256(package_dir)


def environment_fingerprint(numerics_env: Mapping[str, str], lock_sha256: str | None,
                            installed: Mapping[str, str]) -> str:
    """SHA-256 of the interpreter, the machine, every installed distribution and the arithmetic.

    ``installed``: every installed distribution's version by name
    (:func:`analysis.report.runner.installed_distributions`).
    """
    distributions = sorted(f"{name}=={version}" for name, version in installed.items())
    facts = {
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "distributions": distributions,
        "lock": lock_sha256,
        "numerics": dict(sorted(numerics_env.items())),
        "hash_seed": os.environ.get("PYTHONHASHSEED"),
        # Thread counts can change the order of floating-point sums in BLAS, torch and numba.
        "cpus": os.cpu_count(),
        "threads": {k: os.environ.get(k) for k in THREAD_VARIABLES},
    }
    return sha256_bytes(json.dumps(facts, sort_keys=True).encode())


# --------------------------------------------------------------------------- paths
@dataclass(frozen=True)
class Locator:
    """Turns paths into recorded tokens and back: the report folder as ``{report}``, the repository relative."""

    report_dir: Path
    repo_root: Path = paths.REPO_ROOT

    def token(self, path: str | Path) -> str:
        """The recorded form of ``path``."""
        resolved = Path(os.path.abspath(path))
        for base, prefix in ((self.report_dir, REPORT_TOKEN), (self.repo_root, "")):
            try:
                relative = resolved.relative_to(base).as_posix()
            except ValueError:
                continue
            return f"{prefix}/{relative}" if prefix else relative
        return resolved.as_posix()

    def path(self, token: str) -> Path:
        """The path a recorded token stands for in this run."""
        if token == REPORT_TOKEN or token.startswith(REPORT_TOKEN + "/"):
            return self.report_dir / token[len(REPORT_TOKEN) + 1:]
        candidate = Path(token)
        return candidate if candidate.is_absolute() else self.repo_root / candidate


def keep_entry(path: str, roots: Sequence[Path], excluded: Sequence[Path]) -> bool:
    """Whether an observed path is a dependency: inside a project folder, outside code and caches."""
    candidate = Path(path)
    inside = any(candidate.is_relative_to(root) for root in roots)
    return inside and not any(candidate.is_relative_to(folder) for folder in excluded)


# --------------------------------------------------------------------------- snapshots
def snapshot(folders: Iterable[Path], excluded: Sequence[Path] = ()) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` (absolute path -> size and modification time in ns)."""
    found: dict[str, tuple[int, int]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for root, dirs, files in os.walk(folder):
            here = Path(root)
            dirs[:] = [d for d in dirs if not any((here / d).is_relative_to(x) for x in excluded)]
            for name in files:
                path = here / name
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


def changed_files(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]) -> list[str]:
    """Files present after that were absent before or whose size or modification time changed."""
    return sorted(path for path, facts in after.items() if before.get(path) != facts)


# --------------------------------------------------------------------------- keys
def _listing(folder: Path, skip: set[str], *, recursive: bool) -> list[str] | None:
    """Names under ``folder`` except the step's own outputs (None when the folder is absent)."""
    if not folder.is_dir():
        return None
    names: set[str] = set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if str(path) in skip:
                continue
            relative = path.relative_to(folder)
            # Not recursive: a sub-folder counts by its name, when it holds anything not produced by the step.
            names.add(relative.as_posix() if recursive else relative.parts[0])
    return sorted(names)


def read_state(reads: Iterable[str], locator: Locator) -> dict[str, str | None]:
    """SHA-256 of each file read (None when it is absent), by token."""
    state: dict[str, str | None] = {}
    for token in sorted(set(reads)):
        path = locator.path(token)
        state[token] = sha256_file(path) if path.is_file() else None
    return state


def step_key(base: Mapping[str, Any], *, reads: Mapping[str, str | None], listed: Sequence[str],
             watched: Sequence[str], skip: Iterable[str], locator: Locator) -> str:
    """The key of a step: its base facts, the bytes it read, and the names in the folders it looked into.

    Parameters
    ----------
    base
        JSON-able facts (notebook, parameters, config, code and environment fingerprints).
    reads
        :func:`read_state` of the files it read.
    listed, watched
        Tokens of the folders it listed (names directly inside) and watched (every name below).
    skip
        Tokens left out of the listings: the step's own outputs, and those of the cycle's later
        steps (their names change when those steps run, which cannot change this step).
    locator
        Resolves tokens in this run.
    """
    skip_paths = {str(locator.path(t)) for t in (*skip, *RUNNER_FILES)}
    state = {"base": base, "reads": dict(sorted(reads.items())),
             "listed": {t: _listing(locator.path(t), skip_paths, recursive=False) for t in sorted(set(listed))},
             "watched": {t: _listing(locator.path(t), skip_paths, recursive=True) for t in sorted(set(watched))}}
    return sha256_bytes(json.dumps(state, sort_keys=True).encode())


@dataclass(frozen=True)
class StepRecord:
    """What a run records of one step, for the next run to decide whether to reuse it."""

    key: str
    reads: tuple[str, ...]
    listed: tuple[str, ...]
    watched: tuple[str, ...]
    outputs: Mapping[str, str]  # token -> SHA-256

    def to_json(self) -> dict[str, Any]:
        """JSON-able form for the records file."""
        return {"key": self.key, "reads": list(self.reads), "listed": list(self.listed),
                "watched": list(self.watched), "outputs": dict(sorted(self.outputs.items()))}

    @classmethod
    def from_json(cls, data: object) -> StepRecord | None:
        """Read a recorded step; None when it is missing or malformed (then the step re-executes)."""
        if not isinstance(data, Mapping):
            return None
        try:
            outputs = data["outputs"]
            record = cls(key=str(data["key"]), reads=tuple(map(str, data["reads"])),
                         listed=tuple(map(str, data["listed"])), watched=tuple(map(str, data["watched"])),
                         outputs={str(k): str(v) for k, v in outputs.items()})
        except (KeyError, TypeError, AttributeError):
            return None
        # The records are a file anyone may edit: a path that climbs out of its folder ("{report}/../x")
        # could make a reuse copy a file outside the report, so such a record is never trusted.
        tokens = [*record.reads, *record.listed, *record.watched, *record.outputs]
        if any(".." in Path(token).parts for token in tokens):
            return None
        return record


def observed_dependencies(entries: Iterable[tuple[str, str]], *, written: Iterable[str], locator: Locator,
                          keep: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Tokens of the files read and folders listed that are dependencies (never the step's own outputs)."""
    outputs = set(written)
    reads = sorted({locator.token(p) for kind, p in entries if kind == "read" and keep(p) and p not in outputs})
    listed = sorted({locator.token(p) for kind, p in entries if kind == "list" and keep(p)})
    return reads, listed


def verified_copies(record: StepRecord, *, locator: Locator, published: Locator) -> dict[Path, Path] | None:
    """Source -> destination of each output to copy into the build folder, when every output is as recorded.

    Outputs in the report (``{report}/...``) must be in the published report with their recorded
    SHA-256; outputs elsewhere must still hold their recorded bytes. None when one is missing or differs.
    """
    copies: dict[Path, Path] = {}
    for token, digest in record.outputs.items():
        in_report = token.startswith(REPORT_TOKEN + "/")
        source = published.path(token) if in_report else locator.path(token)
        if not source.is_file() or sha256_file(source) != digest:
            return None
        if in_report:
            copies[source] = locator.path(token)
    return copies


def copy_outputs(copies: Mapping[Path, Path]) -> None:
    """Copy reused outputs into the build folder (keeping their modification times)."""
    for source, destination in copies.items():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


# --------------------------------------------------------------------------- one cycle's steps
def records_path(interim_dir: Path, cycle: str, report_dir: Path) -> Path:
    """Where the step records of a cycle's report live: ``<interim>/reuse/<cycle>-<report hash>.json``.

    Not in the published report: the records name every file a step read, and a document's file name
    ("letter from J Smith.docx") can identify a person. The interim folder is git-ignored and never
    published, like the review folder. One file per report folder, so that a run with ``--out``
    (or a test) never overwrites the records of the cycle's usual report.
    """
    folder_hash = sha256_bytes(str(Path(report_dir).resolve()).encode())[:12]
    return Path(interim_dir) / "reuse" / f"{cycle}-{folder_hash}.json"


def stable_manifest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's facts that pages may show: without times, durations and reuse flags."""
    volatile = {"stages", "started_at", "finished_at", "seconds"}
    facts = {k: v for k, v in manifest.items() if k not in volatile}
    facts["notebooks"] = [{k: v for k, v in n.items() if k not in ("seconds", "reused")}
                          for n in manifest.get("notebooks", []) if isinstance(n, Mapping)]
    return facts


@dataclass
class CycleSteps:
    """Reuse bookkeeping for one run of a cycle: what the previous report recorded, what this run records.

    Build it with :meth:`for_cycle`; per step, :meth:`reuse` (copies and returns True when the step
    can be skipped), else :meth:`before` and, once the step has run, :meth:`after`; at the end,
    :meth:`to_json` while the build folder is still there, written by :func:`write_records` once the
    report is published.
    """

    build: Locator
    published: Locator
    roots: tuple[Path, ...]
    excluded: tuple[Path, ...]
    watched: tuple[Path, ...]
    watched_previous: tuple[Path, ...]
    output_folders: tuple[Path, ...]
    not_outputs: tuple[Path, ...]
    own_review: Path
    embedding_cache: Path
    previous: dict[str, StepRecord]
    enabled: bool
    common: dict[str, Any]
    order: tuple[str, ...]
    _done: dict[str, tuple[Mapping[str, Any], StepRecord, dict[str, str | None]]] = field(default_factory=dict)

    @classmethod
    def for_cycle(cls, config: Any, config_path: Path, *, build_dir: Path, target: Path, enabled: bool,
                  environment: str, order: Sequence[str]) -> CycleSteps:
        """Folders, fingerprints and the previous report's records for a run of ``config``.

        Parameters
        ----------
        config
            The validated :class:`~analysis.core.config.CycleConfig`.
        config_path
            Its YAML file.
        build_dir, target
            This run's build folder and the published report folder.
        enabled
            False (``--rerun-all``): every step executes (and is still recorded for the next run).
        environment
            :func:`environment_fingerprint` of this run.
        order
            The run's steps, in order (notebook stems, then ``html_export``).
        """
        interim = config.interim_path()
        review = paths.resolve(config.themes.review_dir)
        extra_files = [paths.resolve(f) for f in (config.themes.book, config.themes.codebook) if f is not None]
        roots = {paths.REPO_ROOT, config_path.parent, build_dir, config.processed_path().parent,
                 config.report_path().parent, interim, review,
                 *(config.input_path(item).parent for item in config.inputs), *(f.parent for f in extra_files)}
        # The embedding cache can make a run faster, never different (vectors keyed by text and model hash).
        embedding_cache = interim / "embeddings"
        excluded = (PACKAGE_DIR, paths.REPO_ROOT / ".venv", paths.REPO_ROOT / ".git", embedding_cache,
                    Path(sys.prefix), Path(sys.base_prefix))
        watched = [config.processed_path()]
        # Watched only by the steps that declare they read the previous cycle (analysis.report.previous_cycle),
        # whose reads are checked against that declaration: the others may run while it is being rebuilt.
        watched_previous = previous_cycle_folders(config)
        previous: dict[str, StepRecord] = {}
        records_file = records_path(interim, config.cycle, target)
        if enabled and records_file.is_file():
            try:
                recorded = json.loads(records_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                recorded = {}
            # Records of another report folder (``--out``) say nothing about this one.
            if (isinstance(recorded, Mapping) and recorded.get("version") == REUSE_VERSION
                    and recorded.get("report") == str(target)):
                steps = recorded.get("steps", {})
                for name, data in (steps.items() if isinstance(steps, Mapping) else []):
                    record = StepRecord.from_json(data)
                    if record is not None:
                        previous[str(name)] = record
        common = {"version": REUSE_VERSION, "config": sha256_file(config_path), "code": code_fingerprint(),
                  "environment": environment}
        return cls(build=Locator(build_dir), published=Locator(target), roots=tuple(sorted(roots)),
                   excluded=excluded, watched=tuple(watched), watched_previous=tuple(watched_previous),
                   output_folders=(build_dir, config.processed_path(), interim, review / config.cycle),
                   # Written by other runs, never by a step: the caches, step records and other cycles' reviews.
                   not_outputs=(embedding_cache, interim / "reuse", review), own_review=review / config.cycle,
                   embedding_cache=embedding_cache, previous=previous, enabled=enabled, common=common, order=tuple(order))

    def base(self, step: str, **facts: Any) -> dict[str, Any]:
        """The base facts of a step: the common fingerprints and the step's own."""
        return {**self.common, "step": step, **facts}

    def keep(self, path: str) -> bool:
        """Whether an observed path is a dependency of a step."""
        return keep_entry(path, self.roots, self.excluded)

    def reuse(self, step: str, base: Mapping[str, Any]) -> bool:
        """Copy the step's outputs from the published report and return True, when it can be reused."""
        record = self.previous.get(step)
        if not self.enabled or record is None:
            return False
        reads = read_state(record.reads, self.build)
        key = step_key(base, reads=reads, listed=record.listed, watched=record.watched,
                       skip=[*record.outputs, *self._later(step, self.previous)], locator=self.build)
        copies = verified_copies(record, locator=self.build, published=self.published) if key == record.key else None
        if copies is None:
            return False
        copy_outputs(copies)
        self._done[step] = (base, record, reads)
        return True

    def before(self) -> dict[str, tuple[int, int]]:
        """Snapshot of every folder a step may write to, taken just before it runs."""
        # Another cycle built at the same time writes beside this one (its review sheets, its step records,
        # the shared embedding cache): those files are left out, so they never become this step's outputs.
        found = snapshot(self.output_folders, excluded=self.not_outputs)
        found.update(snapshot([self.own_review]))
        return found

    def after(self, step: str, base: Mapping[str, Any], before: Mapping[str, tuple[int, int]],
              entries: Iterable[tuple[str, str]], *, reads_previous: bool = True) -> None:
        """Record a step that has just run: its outputs (by the snapshots) and what it read, as it is now.

        ``reads_previous``: the step declared that it reads the previous cycle, whose folders it then watches.
        """
        written = changed_files(before, self.before())
        reads, listed = observed_dependencies(entries, written=written, locator=self.build, keep=self.keep)
        outputs = {self.build.token(p): sha256_file(Path(p)) for p in written if Path(p).is_file()}
        watched = [*self.watched, *(self.watched_previous if reads_previous else ())]
        record = StepRecord("", tuple(reads), tuple(listed), tuple(self.build.token(p) for p in watched),
                            outputs)
        self._done[step] = (base, record, read_state(reads, self.build))

    def _later(self, step: str, records: Mapping[str, StepRecord]) -> list[str]:
        later = self.order[self.order.index(step) + 1:] if step in self.order else ()
        return [token for name in later if name in records for token in records[name].outputs]

    def to_json(self) -> dict[str, Any]:
        """Every step's record, keyed as the next run will compute it.

        Call it before the build folder is moved into place (the keys list its contents). Keys are
        computed here, when every step of the run has run, so that the names each later step
        writes are known and left out of an earlier step's listings; the bytes each step read are
        those it saw (:meth:`after`, :meth:`reuse`).
        """
        records = {name: record for name, (_, record, _) in self._done.items()}
        steps = {}
        for name, (base, record, reads) in self._done.items():
            key = step_key(base, reads=reads, listed=record.listed, watched=record.watched,
                           skip=[*record.outputs, *self._later(name, records)], locator=self.build)
            steps[name] = StepRecord(key, record.reads, record.listed, record.watched, record.outputs).to_json()
        return {"version": REUSE_VERSION, "report": str(self.published.report_dir), "steps": steps}



def write_records(records_file: Path, records: Mapping[str, Any]) -> None:
    """Write a run's records (:meth:`CycleSteps.to_json`) once its report is published: they describe it."""
    records_file.parent.mkdir(parents=True, exist_ok=True)
    records_file.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
