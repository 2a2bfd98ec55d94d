"""Which files a step of the cycle read, from Python's audit events.

The runner reuses a notebook's results from the previous report only when nothing the notebook
read has changed (:mod:`analysis.report.reuse`). What it read is observed, not declared: a
declaration can be forgotten, an observation cannot. Python raises an audit event for every file
opened through ``open``/``io.open``/``os.open`` and every folder listed (``os.listdir``,
``os.scandir``, so every ``glob``); a hook records their paths.

What a hook cannot see, and how that is covered:

* Files opened in C without Python's ``open`` (pyarrow given a path): every parquet read of the
  project goes through :func:`analysis.core.readers.read_parquet`, which opens the file in Python,
  and a test checks that nothing calls ``pd.read_parquet`` on a path.
* Existence checks (``Path.is_file``, ``os.stat``) raise no event: the runner also compares the
  listings of the folders a cycle's steps look into (:func:`analysis.report.reuse.watched_folders`).

Nothing happens on import. :func:`start` is called once, by the kernel the runner starts
(``--IPKernelApp.exec_lines``), or by :class:`ReadLog` in the runner's own process; audit hooks
cannot be removed, so the hook is installed once per process and records only while a log is active.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

#: Environment variable naming the file a kernel appends its reads to (set by the runner).
LOG_ENV = "ANALYSIS_READ_LOG"

#: Flags of ``os.open`` that make an opening a write, not a read.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

_lock = threading.Lock()
_installed = False
_sinks: list[set[tuple[str, str]]] = []
_stream: TextIO | None = None
_seen: set[tuple[str, str]] = set()
_ENVIRONMENT_PREFIXES: tuple[str, ...] = tuple(
    {os.path.join(os.path.abspath(p), "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _record(kind: str, path: Any) -> None:
    if isinstance(path, int) or path is None:
        return  # a file descriptor or the working folder: nothing to name
    try:
        text = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return
    # The interpreter's own files (the standard library, site-packages: thousands per import) are the
    # environment, fingerprinted by version, never a step's input; skipping them here keeps the hook cheap.
    if text.startswith(_ENVIRONMENT_PREFIXES):
        return
    entry = (kind, text)
    if entry in _seen:
        return
    _seen.add(entry)
    for sink in _sinks:
        sink.add(entry)
    if _stream is not None:
        _stream.write(f"{kind}\t{text}\n")  # no new open: the stream is already open
        _stream.flush()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not (_sinks or _stream is not None):
        return
    if event == "open":
        path, mode, flags = args
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
        if not writing:
            _record("read", path)
    elif event in ("os.listdir", "os.scandir"):
        _record("list", args[0])


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def start(log_path: str | Path) -> None:
    """Append every file read and folder listed from now on to ``log_path`` (one per line)."""
    global _stream
    _install()
    _stream = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life


def start_from_env() -> None:
    """:func:`start` with the path in ``ANALYSIS_READ_LOG``; nothing when it is unset (plain Jupyter)."""
    log_path = os.environ.get(LOG_ENV)
    if log_path:
        start(log_path)


def read_log(log_path: str | Path) -> set[tuple[str, str]]:
    """The ``(kind, absolute path)`` entries of a log written by :func:`start` (empty when absent)."""
    path = Path(log_path)
    if not path.is_file():
        return set()
    entries = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, text = line.partition("\t")
        if kind in ("read", "list") and text:
            entries.add((kind, text))
    return entries


class ReadLog:
    """Record, in this process, what is read while the ``with`` block runs.

    Examples
    --------
    >>> with ReadLog() as log:  # doctest: +SKIP
    ...     build_report(...)
    >>> log.entries  # {("read", "/abs/path"), ("list", "/abs/folder"), ...}  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()

    def __enter__(self) -> ReadLog:
        _install()
        with _lock:
            _seen.clear()  # entries seen before this block must be recorded again
            _sinks.append(self.entries)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _sinks.remove(self.entries)
