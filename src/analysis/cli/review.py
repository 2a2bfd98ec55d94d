"""``python -m analysis review-check``: validate the analysts' theme decisions before a rerun."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.themes.review import decision_summary, decisions_path, load_decisions


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``review-check``: validate a cycle's decisions file against its registry themes."""
    parser = subparsers.add_parser(
        "review-check",
        help="check a theme decisions file (config/reviews/<cycle>.csv) before rerunning",
        description="Validate the analyst's theme decisions against the themes the last run "
                    "recorded in the theme registry for this cycle.",
    )
    parser.add_argument("--config", default="config/example.yaml", help="cycle configuration YAML")
    parser.add_argument("--decisions", default=None, help="decisions CSV (default: from the config)")
    parser.set_defaults(func=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from analysis.core.config import load_config
    from analysis.themes.registry import RAISED_STATUSES, load_registry, registry_path

    config = load_config(args.config, check_files=False)
    path = Path(args.decisions) if args.decisions else decisions_path(config.cycle, config.themes.review_dir)
    registry, _ = load_registry(registry_path(config.themes.registry, config.outputs.processed_dir))
    rows = registry[(registry["cycle"] == config.cycle) & registry["status"].isin(RAISED_STATUSES)]
    if rows.empty:
        print(f"No themes recorded for cycle {config.cycle!r} yet: run the themes notebook first.")
        return 1
    if not path.exists():
        print(f"No decisions file at {path}: nothing to check.")
        return 0
    decisions = load_decisions(path, rows["theme_id"])
    summary = decision_summary(decisions)
    print(f"{path.name}: valid. " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()))
    return 0
