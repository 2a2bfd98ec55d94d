"""``python -m analysis deidentify IN.csv --text-column COL --out OUT.csv``: redact identifiers from any CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from analysis.core.errors import InputFileError
from analysis.present.deidentify import PLACEHOLDER_TYPES, redact_series
from analysis.present.exports import write_csv


def _read_staff_names(path: Path) -> list[str]:
    if not path.is_file():
        raise InputFileError(path, "staff names file not found")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _run(args: argparse.Namespace) -> int:
    path = Path(args.input)
    out = Path(args.out)
    if out.resolve() == path.resolve():
        raise InputFileError(path, "--out must not overwrite the input file")
    # Lazy: keeps ``python -m analysis --help`` from importing the readers' csv machinery.
    from analysis.core.readers import SOURCE_ROW, read_table

    # read_table sniffs encoding (UTF-8, then cp1252) and delimiter, reads every
    # cell as text (leading zeros in phone numbers survive) and adds SOURCE_ROW.
    frame = read_table(path).drop(columns=SOURCE_ROW)
    for col in [*args.text_column, *args.name_column]:
        if col not in frame.columns:
            columns = ", ".join(repr(c) for c in frame.columns)
            raise InputFileError(path, f"column {col!r} not found; columns are {columns}", column=col)
    staff = _read_staff_names(Path(args.staff_names)) if args.staff_names else []
    own = (
        pd.Series(list(frame[args.name_column].itertuples(index=False, name=None)), index=frame.index)
        if args.name_column else None
    )
    total = pd.Series(0, index=list(PLACEHOLDER_TYPES), dtype="int64")
    result = frame.drop(columns=list(dict.fromkeys(args.name_column)))
    for col in dict.fromkeys(args.text_column):
        if col in args.name_column:
            continue  # dropped: direct identifiers never leave
        result[col], counts = redact_series(frame[col], own, staff)
        total += counts.set_index("type")["count"]
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(result, out, index=False, encoding="utf-8")
    print(f"Redactions in {path.name} -> {out}")
    width = max(len(t) for t in PLACEHOLDER_TYPES)
    for kind in PLACEHOLDER_TYPES:
        print(f"  {kind:<{width}}  {int(total[kind]):>6}")
    if args.name_column:
        print(f"  dropped name column(s): {', '.join(dict.fromkeys(args.name_column))}")
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``deidentify`` subcommand.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``.
    """
    parser = subparsers.add_parser(
        "deidentify",
        help="redact identifiers from free-text columns of a CSV",
        description=(
            "Replace e-mails, URLs, phone, NHS, National Insurance and hospital numbers, "
            "postcodes, street addresses, vehicle registrations, dates of birth and names "
            "(rules plus a named-entity model) in the given text columns with placeholders "
            "such as [PHONE]; drop the name columns; write a UTF-8 CSV and print counts by type."
        ),
    )
    parser.add_argument("input", help="CSV (any common encoding or delimiter) or XLSX file to read")
    parser.add_argument("--text-column", action="append", required=True, metavar="COL",
                        help="free-text column to redact (repeat for several)")
    parser.add_argument("--name-column", action="append", default=[], metavar="COL",
                        help="column with the respondent's own name: used for redaction, "
                             "then dropped from the output (repeat for several)")
    parser.add_argument("--staff-names", metavar="FILE",
                        help="text file, one staff name per line, redacted in every row")
    parser.add_argument("--out", required=True, metavar="OUTPUT.csv", help="CSV file to write")
    parser.set_defaults(func=_run)
