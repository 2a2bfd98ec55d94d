"""``python -m analysis init FOLDER``: draft a cycle config from a folder of exports."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.core import paths
from analysis.core.errors import UserError


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``init``: read a folder of exports and write a commented draft config."""
    parser = subparsers.add_parser(
        "init",
        help="draft a cycle config from a folder of exports (CSV, TXT, XLSX)",
        description="Read every CSV, TXT and XLSX export in FOLDER (every sheet of a workbook), detect its "
                    "encoding, delimiter and header row, propose the canonical name of each column (exact, then "
                    "fuzzy matches of the header text, then the question bank's wording) and the dataset kind of "
                    "each file, and write a commented cycle YAML that validates. Lines a person must still fill in "
                    "or check are marked TODO; columns it could not map are listed.",
    )
    parser.add_argument("folder", help="folder of raw exports, e.g. data/raw/<cycle>")
    parser.add_argument("--out", default=None,
                        help="config file to write (default: config/<cycle>.yaml)")
    parser.add_argument("--cycle", default=None, help="cycle id (default: from the folder name)")
    parser.add_argument("--question-bank", default=None, metavar="YAML",
                        help="question bank to match headers against: a cycle config (e.g. last year's) or a "
                             "YAML with items and open_questions; it is copied into the draft")
    parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    parser.set_defaults(func=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    from analysis.clean.draft_config import draft_config, load_question_bank
    from analysis.clean.draft_yaml import count_todo_lines, render_config
    from analysis.core.config import CYCLE_NAME_PATTERN, load_config

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UserError(f"folder not found: {args.folder}")
    if args.cycle is not None and not CYCLE_NAME_PATTERN.fullmatch(args.cycle):
        raise UserError(f"--cycle {args.cycle!r} is not a valid cycle id: use 1-64 lower-case letters, digits, "
                        "'-' or '_'")
    bank = raw = None
    if args.question_bank:
        bank, raw = load_question_bank(Path(args.question_bank))
    draft = draft_config(folder.resolve(), bank=bank, bank_raw=raw, bank_source=args.question_bank,
                         cycle=args.cycle)
    out = Path(args.out) if args.out else paths.CONFIG_DIR / f"{draft.cycle}.yaml"
    if out.exists() and not args.force:
        raise UserError(f"{paths.shown(out)} already exists; choose another --out or add --force to overwrite it")
    recognised = [i for i in draft.inputs if i.dataset]
    if not recognised:
        found = ", ".join(i.table.label for i in draft.inputs) or "no tables"
        raise UserError(f"no export in {args.folder} was recognised ({found}); nothing written")
    text = render_config(draft)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    load_config(out)  # the draft must validate; a ConfigError here names the line
    for item in draft.inputs:
        if item.dataset:
            line = f"{item.table.label}: {item.dataset}, {len(item.matches)} column(s) mapped"
            checks = sum(m.needs_check for m in item.matches)
            line += f" ({checks} to check)" if checks else ""
        else:
            line = f"{item.table.label}: not recognised"
        if item.unmapped:
            line += "; could not map " + ", ".join(repr(h) for h in item.unmapped)
        print(line)
    for what, why in draft.skipped:
        print(f"{what}: skipped, {why}")
    print(f"wrote {paths.shown(out)}: it validates; {count_todo_lines(text)} line(s) marked TODO to fill in or check.")
    return 0
