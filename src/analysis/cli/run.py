"""``python -m analysis run CONFIG [CONFIG ...]``: execute cycles' notebooks and publish their reports.

With several configs the cycles are built at the same time, one process each, and a cycle that
compares with another one given waits for it only at the steps that read it
(:mod:`analysis.report.previous_cycle`). Each line a run prints is prefixed with its cycle.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from analysis.core.errors import UserError
from analysis.report.runner import run_cycle


def _run_command(args: argparse.Namespace) -> int:
    if len(args.config) > 1:
        if args.out:
            raise UserError("--out names one report folder: give one config with it, not several")
        return run_cycles_together([Path(c) for c in args.config], notebooks=args.notebook or None,
                                   self_contained=args.self_contained, rerun_all=args.rerun_all)
    out = Path(args.out) if args.out else None
    run_cycle(Path(args.config[0]), out, notebooks=args.notebook or None, self_contained=args.self_contained,
              reuse=not args.rerun_all)
    return 0


def _pump(stream: TextIO, label: str, lock: threading.Lock) -> None:
    for line in stream:
        with lock:
            print(f"{label} | {line.rstrip()}", file=sys.stderr, flush=True)


def _build_started(cycle: str, report_parent: Path, child: subprocess.Popen[str]) -> bool:
    """Whether ``child`` has marked its build folder of ``cycle`` (or has already stopped)."""
    from analysis.report.previous_cycle import marker_of

    if child.poll() is not None:
        return True
    return any((marker_of(build) or (None,))[0] == child.pid for build in report_parent.glob(f".build-{cycle}-*"))


def run_cycles_together(configs: list[Path], *, notebooks: list[str] | None = None, self_contained: bool = False,
                        rerun_all: bool = False) -> int:
    """Run several cycles at the same time, each in its own process; return the first non-zero exit code.

    Every config is validated before any run starts. A cycle whose previous cycle is also given
    starts once that cycle's run has marked its build folder, so that its comparing steps always
    find the build to wait for (a warm run of the earlier cycle can finish in a second).
    """
    from analysis.core.config import load_config

    loaded = [load_config(c) for c in configs]
    cycles = [c.cycle for c in loaded]
    duplicated = sorted({c for c in cycles if cycles.count(c) > 1})
    if duplicated:
        raise UserError(f"cycle {duplicated[0]!r} is given twice; each cycle can be built once at a time")
    flags = [*(f"--notebook={n}" for n in notebooks or ()), *(["--self-contained"] if self_contained else []),
             *(["--rerun-all"] if rerun_all else [])]
    width = max(len(c) for c in cycles)
    lock = threading.Lock()
    children: dict[str, subprocess.Popen[str]] = {}
    pumps: list[threading.Thread] = []
    not_started: list[str] = []
    try:
        for path, config in zip(configs, loaded, strict=True):
            earlier = children.get(config.previous_cycle or "")
            if earlier is not None:
                while not _build_started(config.previous_cycle, config.report_path().parent, earlier):
                    time.sleep(0.1)
            if config.previous_cycle in not_started or (earlier is not None and earlier.poll() not in (None, 0)):
                # Its comparison would be with a report that was not rebuilt: not started, and said so.
                not_started.append(config.cycle)
                with lock:
                    print(f"cycle {config.cycle!r} not started: the run of its previous cycle "
                          f"{config.previous_cycle!r} failed", file=sys.stderr, flush=True)
                continue
            child = subprocess.Popen([sys.executable, "-m", "analysis", "run", str(path), *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     encoding="utf-8", errors="replace")
            children[config.cycle] = child
            pump = threading.Thread(target=_pump, args=(child.stdout, config.cycle.ljust(width), lock), daemon=True)
            pump.start()
            pumps.append(pump)
        codes = [child.wait() for child in children.values()]
    except KeyboardInterrupt:
        for child in children.values():
            child.terminate()
        raise
    for pump in pumps:
        pump.join()
    failed = [(cycle, code) for cycle, code in zip(children, codes, strict=True) if code != 0]
    for cycle, code in failed:
        print(f"cycle {cycle!r} failed (exit code {code}); its messages are above", file=sys.stderr)
    return failed[0][1] if failed else (1 if not_started else 0)


def add_cli(subparsers: Any) -> None:
    """Register ``python -m analysis run CONFIG [CONFIG ...] [--out DIR] [--self-contained] [--notebook NAME ...]``."""
    p = subparsers.add_parser(
        "run",
        help="run a cycle's notebooks and publish its HTML report",
        description="Execute notebooks/NN_*.ipynb in order with papermill and publish reports/<cycle>/ "
                    "(index.html with the executive summary, reader and researcher pages, manifest.json). "
                    "Several configs are built at the same time; a cycle that compares with another one "
                    "given waits for it only where it reads it.",
    )
    p.add_argument("config", nargs="+", help="cycle YAML, e.g. config/example.yaml (several: built together)")
    p.add_argument("--out", default=None, help="report folder (default: reports/<cycle> from the config)")
    p.add_argument("--self-contained", action="store_true",
                   help="also write one offline file <cycle>-report.html for sending by e-mail")
    p.add_argument("--notebook", action="append", metavar="NAME",
                   help="run only this notebook (stem, e.g. 04_reach_and_actions); repeatable")
    p.add_argument("--rerun-all", action="store_true",
                   help="execute every notebook and export every page, even those whose inputs, code and "
                        "environment are unchanged since the last run (by default their results are reused)")
    p.set_defaults(func=_run_command)
