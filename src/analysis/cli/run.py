"""``python -m analysis run CONFIG``: execute a cycle's notebooks and publish its report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.report.runner import run_cycle


def _run_command(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    run_cycle(Path(args.config), out, notebooks=args.notebook or None, self_contained=args.self_contained,
              reuse=not args.rerun_all)
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``python -m analysis run CONFIG [--out DIR] [--self-contained] [--notebook NAME ...]``."""
    p = subparsers.add_parser(
        "run",
        help="run a cycle's notebooks and publish its HTML report",
        description="Execute notebooks/NN_*.ipynb in order with papermill and publish reports/<cycle>/ "
                    "(index.html with the executive summary, reader and researcher pages, manifest.json).",
    )
    p.add_argument("config", help="cycle YAML, e.g. config/example.yaml")
    p.add_argument("--out", default=None, help="report folder (default: reports/<cycle> from the config)")
    p.add_argument("--self-contained", action="store_true",
                   help="also write one offline file <cycle>-report.html for sending by e-mail")
    p.add_argument("--notebook", action="append", metavar="NAME",
                   help="run only this notebook (stem, e.g. 04_reach_and_actions); repeatable")
    p.add_argument("--rerun-all", action="store_true",
                   help="execute every notebook and export every page, even those whose inputs, code and "
                        "environment are unchanged since the last run (by default their results are reused)")
    p.set_defaults(func=_run_command)
