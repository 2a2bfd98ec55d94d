"""``python -m analysis themes``: theme any CSV or XLSX of open-text comments.

Argument parsing only: the work is :func:`analysis.themes.single_file.theme_single_file`,
the same pipeline, tables, disclosure rule and quote policy as notebook 02, and the page
is :func:`analysis.report.single_file.single_file_page`. Writes into ``--out``:

- ``themes.csv``: the theme table (respondents, % of those with a substantive answer,
  95% Wilson interval), suppressed by the disclosure rule;
- ``assignments.csv``: one row per input row, in input order: spreadsheet row, the id
  column if given, theme id and label, candidate or not, non-answer kind, similarity. No text;
- ``quality.json``: outliers, diversity, NPMI coherence, NMI/ARI against human codes when
  given, settings and timings;
- ``report.html``: one self-contained, inert page.

With ``--book`` the comments are placed in that theme book first, and only the rest is modelled.
Human codes (optional) come from one column (``--label-column``) or a range of one-hot
columns (``--label-onehot FIRST:LAST``, as in the NHS FFT framework file; a comment with
several codes is scored against its rarest, or its first with ``--label-rule first``).

This module imports nothing heavy at import time, so ``python -m analysis --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from analysis.core.errors import InputFileError, UserError

DEFAULT_SEED = 2025
DEFAULT_THRESHOLD = 10


class ThemesCliError(UserError):
    """A bad combination of command-line options."""

    exit_code = 2


def add_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``themes`` subcommand."""
    p = subparsers.add_parser(
        "themes", help="find themes in any CSV of open-text comments (offline BERTopic)",
        description="Theme the comments in one column of a CSV or XLSX file and write themes.csv, "
                    "assignments.csv, quality.json and report.html into --out.",
    )
    p.add_argument("input", help="CSV or XLSX file, one comment per row")
    p.add_argument("--text-column", required=True, help="column holding the comments")
    p.add_argument("--out", required=True, help="output folder (created if needed)")
    p.add_argument("--id-column", help="row identifier copied into assignments.csv")
    p.add_argument("--group-column", help="show theme prevalence by this column in the report")
    p.add_argument("--time-column", help="show theme prevalence over time (dates in this column)")
    p.add_argument("--time-freq", choices=("month", "quarter", "year"), default="quarter",
                   help="period for --time-column (default: quarter)")
    labels = p.add_mutually_exclusive_group()
    labels.add_argument("--label-column", help="column of human codes, to score the themes against")
    labels.add_argument("--label-onehot", metavar="FIRST:LAST",
                        help="range of one-hot human-code columns (inclusive, in file order)")
    p.add_argument("--label-rule", choices=("rarest", "first"), default="rarest",
                   help="with --label-onehot, which of several codes is a comment's dominant one")
    p.add_argument("--codebook", help="codebook YAML of known themes (fixed ids and names)")
    p.add_argument("--book", help="theme book YAML to place comments in first (config/themes/...)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    p.add_argument("--min-cluster-size", type=int, help="smallest theme (default: scales with the corpus)")
    p.add_argument("--min-words", type=int, default=3, help="shorter answers are not fitted (default: 3)")
    p.add_argument("--model-path", help="local sentence-transformers folder (default: packaged all-MiniLM-L6-v2)")
    p.add_argument("--cache-dir", help="embedding cache folder (default: data/interim/embeddings)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    p.add_argument("--stability", action="store_true",
                   help="fit a second time with seed+1 and report agreement between the two (slower)")
    p.add_argument("--suppression-threshold", type=int, default=DEFAULT_THRESHOLD,
                   help=f"counts under this are not published (default: {DEFAULT_THRESHOLD})")
    p.add_argument("--sheet", help="XLSX sheet name")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def read_comments(path: Path, *, sheet: str | None = None) -> Any:
    """Read the input with ``analysis.core.readers.read_table`` (all cells as text, ``source_row`` added)."""
    from analysis.core.readers import read_table

    return read_table(path, sheet=sheet)


def _require(frame: Any, path: Path, column: str | None, option: str) -> None:
    if column is not None and column not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:12] if c != "source_row")
        raise InputFileError(path, f"{option}: no column {column!r}; columns include {shown}", column=column)


def human_labels(frame: Any, path: Path, *, label_column: str | None, onehot: str | None,
                 rule: str = "rarest") -> Any:
    """Each row's human code (or NA), from one column or a one-hot column range."""
    from analysis.themes.quality import dominant_code

    if label_column:
        _require(frame, path, label_column, "--label-column")
        values = frame[label_column].astype("string").str.strip()
        return values.mask(values == "")
    if onehot:
        first, sep, last = onehot.partition(":")
        if not sep:
            raise ThemesCliError("--label-onehot needs FIRST:LAST, two column names joined by ':'")
        _require(frame, path, first, "--label-onehot")
        _require(frame, path, last, "--label-onehot")
        cols = list(frame.columns)
        i, j = cols.index(first), cols.index(last)
        if j < i:
            raise ThemesCliError(f"--label-onehot: column {last!r} comes before {first!r} in the file")
        return dominant_code(frame[cols[i:j + 1]], rule=rule)
    return None


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------
def periods(values: Any, freq: str) -> Any:
    """Dates (mixed day-first formats allowed) to period labels such as 2021Q3; unparseable -> NA."""
    import pandas as pd

    text = values.astype("string").str.strip()
    dates = pd.to_datetime(text, format="mixed", dayfirst=True, errors="coerce")
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    return dates.dt.to_period(code).astype("string")


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """Run ``python -m analysis themes``; returns the exit code."""
    import time

    import numpy as np

    from analysis.core import paths, vocab
    from analysis.core.config import Themes
    from analysis.core.recording import to_jsonable
    from analysis.present.disclosure import threshold_rule
    from analysis.present.exports import write_csv
    from analysis.report.single_file import single_file_page
    from analysis.themes.book import load_book
    from analysis.themes.embeddings import default_cache_dir, embed_texts, load_model
    from analysis.themes.model import load_codebook
    from analysis.themes.quality import agreement, stability, theme_precision_recall
    from analysis.themes.single_file import comments_frame, prepare_single_file, theme_single_file

    start = time.perf_counter()
    path = Path(args.input)
    out = Path(args.out)
    frame = read_comments(path, sheet=args.sheet)
    for column, option in ((args.text_column, "--text-column"), (args.id_column, "--id-column"),
                           (args.group_column, "--group-column"), (args.time_column, "--time-column")):
        _require(frame, path, column, option)
    if args.min_words < 1:
        raise ThemesCliError("--min-words must be at least 1")
    if args.min_cluster_size is not None and args.min_cluster_size < 2:
        raise ThemesCliError("--min-cluster-size must be at least 2")
    if args.suppression_threshold < 1:
        raise ThemesCliError("--suppression-threshold must be at least 1")
    labels = human_labels(frame, path, label_column=args.label_column, onehot=args.label_onehot,
                          rule=args.label_rule)
    settings = Themes(min_words=args.min_words, min_cluster_size=args.min_cluster_size,
                      model_path=Path(args.model_path) if args.model_path else None)
    codebook = load_codebook(args.codebook) if args.codebook else None
    book = load_book(args.book) if args.book else None
    cache = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(paths.INTERIM_DIR)

    frame = frame.reset_index(drop=True)
    comments = comments_frame(frame, text_column=args.text_column, id_column=args.id_column,
                              group_column=args.group_column,
                              period=periods(frame[args.time_column], args.time_freq) if args.time_column else None)
    prepared = prepare_single_file(comments, min_words=args.min_words)
    model = load_model(settings.model_path)
    embedded, stats = embed_texts(prepared["model_text"].fillna("").astype(str).tolist(), model=model,
                                  cache_dir=cache)
    rule = threshold_rule(args.suppression_threshold)
    result = theme_single_file(prepared, np.asarray(embedded), settings=settings, seed=args.seed,
                               model_sha256=model.sha256, rule=rule, book=book, codebook=codebook,
                               cache_dir=cache, labels=labels)

    out.mkdir(parents=True, exist_ok=True)
    assign = result.assignments.copy()
    if args.id_column:
        assign.insert(1, "id", frame[args.id_column].to_numpy())
    write_csv(assign, out / "assignments.csv", index=False)
    write_csv(result.tables["table"], out / "themes.csv", index=False)
    for key in ("by_group", "by_period"):
        if key in result.tables:
            write_csv(result.tables[key], out / f"themes_{key}.csv", index=False)

    quality = {"input": path.name, "n_rows": len(frame), **result.quality}
    topics = result.run.assignments["theme_id"].to_numpy()
    if labels is not None:
        both = agreement(topics, labels.to_numpy(), include_non_answers=True)
        quality["nmi_including_non_answers"], quality["ari_including_non_answers"] = both["nmi"], both["ari"]
        pr = theme_precision_recall(topics, labels.to_numpy())
        quality["mean_theme_precision"] = float(pr["precision"].mean()) if len(pr) else None
        quality["mean_theme_recall"] = float(pr["recall"].mean()) if len(pr) else None
        write_csv(pr, out / "theme_precision_recall.csv", index=False)
    if args.stability:
        second = theme_single_file(prepared, np.asarray(embedded), settings=settings, seed=args.seed + 1,
                                   model_sha256=model.sha256, rule=rule, book=book, codebook=codebook,
                                   cache_dir=cache)
        st = stability(topics, second.run.assignments["theme_id"].to_numpy())
        quality["stability_ari"], quality["stability_nmi"] = st["ari"], st["nmi"]
    quality.update({
        "model_name": model.name, "model_sha256": model.sha256,
        "embedding": {"n_texts": stats.n_texts, "n_unique": stats.n_unique, "n_cached": stats.n_cached,
                      "n_embedded": stats.n_embedded, "seconds": stats.seconds},
        "settings": result.run.settings, "seconds_total": time.perf_counter() - start,
    })
    (out / "quality.json").write_text(json.dumps(to_jsonable(quality), indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    html = single_file_page(title=f"Themes in {path.name} ({args.text_column})", tables=result.tables,
                            quotes=result.quotes, quality=quality, group_name=args.group_column,
                            threshold=args.suppression_threshold)
    (out / "report.html").write_text(html, encoding="utf-8")

    print(f"{quality['n_documents']} substantive comments of {len(frame)} rows -> {quality['n_themes']} themes "
          f"({quality['n_candidates']} candidates); {100 * quality['outlier_share']:.1f}% fit no theme; "
          f"{int((topics == vocab.NON_ANSWER_THEME_ID).sum())} with no substantive answer.")
    if labels is not None:
        print(f"agreement with human codes: NMI {quality['nmi']:.2f}, ARI {quality['ari']:.2f}")
    print(f"wrote themes.csv, assignments.csv, quality.json, report.html to {out}")
    return 0
