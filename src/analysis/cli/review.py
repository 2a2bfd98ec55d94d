"""``review-check`` and ``review-accept``: the analyst's side of the theme book.

``review-check`` validates the committed theme book (ids, merges, sign-offs) and
compares it with the last run; ``review-accept`` copies candidate themes from a
run's review folder into the book under permanent ids. Both print one message
per problem and exit non-zero on a broken book.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``review-check`` and ``review-accept``."""
    check = subparsers.add_parser(
        "review-check", help="check the theme book (config/themes/...) before rerunning a cycle",
        description="Validate the cycle's theme book: ids, merges, sign-offs, and themes the last run did not see.")
    check.add_argument("config", nargs="?", default="config/example.yaml", help="cycle configuration YAML")
    check.set_defaults(func=_run_check)

    accept = subparsers.add_parser(
        "review-accept", help="accept candidate themes from the last run into the theme book",
        description="Copy candidate themes (with their centroids) from the run's review folder "
                    "(themes.review_dir/<cycle>/candidates.yaml) into the theme book under permanent ids.")
    accept.add_argument("config", help="cycle configuration YAML")
    accept.add_argument("ids", nargs="+", type=int, help="candidate ids to accept (see the review sheet)")
    accept.add_argument("--reviewer", required=True, help="your initials, recorded as the sign-off")
    accept.add_argument("--name", action="append", default=[], metavar="ID=NAME",
                        help="name a candidate as you accept it (repeatable)")
    accept.add_argument("--merge-into", action="append", default=[], metavar="ID=THEME",
                        help="accept a candidate as merged into an existing book theme (repeatable)")
    accept.set_defaults(func=_run_accept)


def _pairs(values: list[str], option: str, *, int_values: bool) -> dict[int, object]:
    from analysis.core.errors import UserError

    out: dict[int, object] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip().isdigit() or not rest.strip():
            raise UserError(f"{option} {value!r}: write ID=VALUE, e.g. {option} 131=Newsletter")
        if int_values and not rest.strip().isdigit():
            raise UserError(f"{option} {value!r}: the theme to merge into must be a number")
        out[int(key)] = int(rest) if int_values else rest.strip()
    return out


def _run_check(args: argparse.Namespace) -> int:
    from analysis.core.config import load_config
    from analysis.core.readers import read_parquet
    from analysis.themes.review import check_book

    config = load_config(args.config, check_files=False)
    if config.themes.book is None:
        print(f"Cycle {config.cycle!r} has no theme book (themes.book): nothing to check.")
        return 0
    themes_file = config.processed_path() / "themes.parquet"
    run_themes = read_parquet(themes_file) if themes_file.exists() else None
    notes = check_book(config.themes.book, run_themes)
    for note in notes:
        print(f"note: {note}")
    print(f"{Path(config.themes.book).name}: valid" + (f", {len(notes)} note(s)." if notes else "."))
    return 0


def _run_accept(args: argparse.Namespace) -> int:
    from analysis.core import paths
    from analysis.core.config import load_config
    from analysis.core.errors import UserError
    from analysis.themes.book import load_book, save_book
    from analysis.themes.review import CANDIDATES_NAME, accept_candidates

    config = load_config(args.config, check_files=False)
    if config.themes.book is None:
        raise UserError(f"{args.config}: set themes.book (e.g. config/themes/<programme>.yaml) before accepting "
                        "candidates; the file is created by this command if it does not exist")
    folder = paths.resolve(config.themes.review_dir) / config.cycle
    source = folder / CANDIDATES_NAME
    if not source.exists():
        raise UserError(f"{paths.shown(source)}: no candidates; run the cycle's themes notebook first")
    book_path = paths.resolve(config.themes.book)
    book = load_book(book_path) if book_path.exists() else None
    new_book, given = accept_candidates(
        book, load_book(source), args.ids, reviewer=args.reviewer,
        names=_pairs(args.name, "--name", int_values=False),  # type: ignore[arg-type]
        merge_into=_pairs(args.merge_into, "--merge-into", int_values=True),  # type: ignore[arg-type]
        programme=None if book else config.cycle)
    save_book(new_book, book_path)
    print(f"{paths.shown(book_path)}: edition {new_book.meta.book_version}; accepted "
          + ", ".join(f"candidate {c} as theme {t}" for c, t in given.items())
          + ". Commit the book and its centroids file, then rerun the cycle.")
    return 0
