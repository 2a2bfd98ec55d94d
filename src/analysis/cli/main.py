"""Command line: ``python -m analysis <command>``.

Each command module in this package registers its subcommand through
``add_cli(subparsers)``; stage code never parses arguments. Command modules
import heavy libraries inside functions, so ``python -m analysis --help``
stays fast.

User errors (bad config, bad input files) print one clear message and exit
with the error's code (2 for a broken config, 1 for input problems); anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.core import paths
from analysis.core.errors import UserError

#: Command modules that contribute subcommands, in the order shown by --help.
FEATURE_MODULES: tuple[str, ...] = (
    "analysis.cli.run",
    "analysis.cli.deidentify",
    "analysis.cli.themes",
    "analysis.cli.review",
    "analysis.cli.change",
    "analysis.cli.init",
)


def _make_example(args: argparse.Namespace) -> int:
    # The generator is not part of the runtime package; only this command needs it.
    from analysis_example.generate import make_example, write_codebook

    written = make_example(Path(args.out), seed=args.seed)
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({total / 1e6:.2f} MB) to {args.out}")
    if args.codebook:
        print(f"wrote {write_codebook()}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from analysis.clean.pipeline import validate_inputs
    from analysis.core.config import load_config

    config = load_config(args.config)
    problems = validate_inputs(config)
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problem(s) found in the inputs of cycle {config.cycle!r}.")
        return 1
    print(f"inputs of cycle {config.cycle!r} are clean: {len(config.inputs)} file(s) checked.")
    return 0


def _clean(args: argparse.Namespace) -> int:
    from analysis.clean.pipeline import run_cleaning, write_processed
    from analysis.core.config import load_config

    config = load_config(args.config)
    result = run_cleaning(config)
    out = Path(args.out) if args.out else config.processed_path()
    write_processed(result, out)
    print(result.reconciliation.to_string(index=False))
    if result.pseudonym_key_is_demo:
        print("note: respondent ids were pseudonymised with the published demo key (synthetic example only).")
    print(f"processed tables written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Evaluation toolkit for patient, carer and public involvement in health services.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("make-example", help="regenerate the synthetic example data deterministically")
    p.add_argument("--out", default=str(paths.EXAMPLE_RAW_DIR), help="output folder (default: data/raw/example)")
    p.add_argument("--seed", type=int, default=20251123, help="random seed (default: 20251123)")
    p.add_argument("--codebook", action="store_true",
                   help="also rewrite config/codebooks/example.yaml from the generator's themes")
    p.set_defaults(func=_make_example)

    p = sub.add_parser("validate", help="check a cycle's raw inputs and print every problem (no analysis)")
    p.add_argument("config", help="cycle YAML, e.g. config/example.yaml")
    p.set_defaults(func=_validate)

    p = sub.add_parser("clean", help="clean a cycle's inputs into data/processed/<cycle>/ (no notebooks)")
    p.add_argument("config", help="cycle YAML")
    p.add_argument("--out", default=None, help="output folder (default: from the config)")
    p.set_defaults(func=_clean)

    for module_name in FEATURE_MODULES:
        importlib.import_module(module_name).add_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
