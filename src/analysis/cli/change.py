"""``python -m analysis change``: change over time from a CSV, without a notebook.

Imports only the standard library at module level so that ``python -m analysis
--help`` stays fast; pandas, statsmodels and matplotlib load when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "change over time: %% positive, tests between waves, trends (respondent-level or aggregate CSV)"


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``change`` subcommand."""
    p = subparsers.add_parser(
        "change", help=HELP, description=HELP + ". Respondent-level data needs --outcome-column; "
        "aggregate data needs --base-column with --positives-column or --rate-column.")
    p.add_argument("input", help="CSV (or XLSX) file")
    p.add_argument("--wave-column", required=True, help="column holding the wave (a number, e.g. the year)")
    p.add_argument("--outcome-column", help="respondent-level: column holding the answer")
    p.add_argument("--group-column", help="comparison groups (e.g. respondent type)")
    # action="extend": "--positive Agree --positive 'Strongly agree'" keeps both (a plain nargs
    # option would keep only the last one and silently change the percentage).
    p.add_argument("--positive", nargs="+", action="extend", metavar="VALUE",
                   help="answers counted as positive; repeat or list several (default: Agree and Strongly "
                        "agree, or codes 4 and 5)")
    p.add_argument("--negative", nargs="+", action="extend", metavar="VALUE",
                   help="answers counted as not positive (default: the other Likert levels or codes)")
    p.add_argument("--exclude", nargs="+", action="extend", metavar="VALUE",
                   help="answers left out of the base besides the defaults (Don't know, Prefer not to say, "
                        "Not sure, Can't say, N/A, No answer), e.g. missing codes 6 9; any answer in none of "
                        "--positive, --negative and the excluded answers stops the run")
    p.add_argument("--id-column", help="persistent respondent id repeating across waves (enables GEE)")
    p.add_argument("--weight-column", help="survey weights")
    p.add_argument("--item-column", help="item ids (long data); default: the outcome column name is the item")
    p.add_argument("--positives-column", help="aggregate: number answering positively")
    p.add_argument("--rate-column", help="aggregate: percentage answering positively (0-100)")
    p.add_argument("--base-column", help="aggregate: number answering")
    p.add_argument("--weighting-column", help="aggregate: weighting method per row (a caveat is added when it varies)")
    p.add_argument("--unit-column", help="aggregate: organisation id (e.g. ODS code): adds a like-for-like panel of "
                                         "organisations present in every wave and within-organisation variance")
    p.add_argument("--suppression-threshold", type=int, default=10, metavar="N",
                   help="smallest base that is published (default 10)")
    p.add_argument("--baseline-wave", type=int, metavar="W", help="baseline wave (default: the first wave)")
    p.add_argument("--latest-wave", type=int, metavar="W", help="latest wave (default: the last wave)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--outcome-phrase", default=None,
                   help="what the percentage counts, for the sentences (default: 'answered positively', "
                        "or 'gave the counted answer' for aggregate data)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``python -m analysis change``; returns the exit code."""
    from analysis.core.errors import InputFileError

    source = Path(args.input)
    if not source.is_file():
        raise InputFileError(source, "file not found")
    aggregate = args.positives_column is not None or args.rate_column is not None
    if aggregate and args.base_column is None:
        raise InputFileError(source, "aggregate data needs --base-column", column=args.positives_column or args.rate_column)
    if not aggregate and args.outcome_column is None:
        raise InputFileError(source, "give --outcome-column (respondent-level data) or --base-column with "
                             "--positives-column / --rate-column (aggregate data)")
    if args.suppression_threshold < 1:
        raise InputFileError(source, "--suppression-threshold must be at least 1")
    table = _read(source)
    return _run_aggregate(args, table, source) if aggregate else _run_respondents(args, table, source)


def _read(source: Path):
    import pandas as pd

    from analysis.core.readers import read_table

    table = read_table(source).drop(columns=["source_row"], errors="ignore")
    # Blank cells are "" in the raw reader; here they are missing answers.
    return table.replace("", pd.NA)


def _run_respondents(args: argparse.Namespace, table, source: Path) -> int:
    from analysis.change import over_time as change
    from analysis.core.errors import InputFileError

    defaults = change.AnswerScale()
    counted = {v.strip().casefold() for v in [*(args.positive or []), *(args.negative or [])]}
    # A default exclusion named as positive or negative counts as the user says.
    excluded = tuple(v for v in defaults.excluded if v.casefold() not in counted) + tuple(args.exclude or ())
    scale = change.AnswerScale(
        positive=tuple(args.positive) if args.positive else defaults.positive,
        negative=tuple(args.negative) if args.negative else None, excluded=excluded)
    answers = change.prepare_responses(
        table, item_column=args.item_column, item_name=args.outcome_column, group_column=args.group_column,
        wave_column=args.wave_column, value_column=args.outcome_column, positive_column=None,
        answer_scales=scale, id_column=args.id_column, respondent_column=None,
        weight_column=args.weight_column, missing_reason_column=None, source=source)
    if answers["wave"].nunique() < 2:
        raise InputFileError(source, "at least two waves are needed to measure change", column=args.wave_column)
    analysis = change.analyse_change(
        change.count_cells(answers), answers, threshold=args.suppression_threshold,
        baseline_wave=args.baseline_wave, latest_wave=args.latest_wave, alpha=args.alpha)
    return _finish(args, analysis, answers)


def _run_aggregate(args: argparse.Namespace, table, source: Path) -> int:
    from analysis.change import over_time as change
    from analysis.core.errors import InputFileError

    cells, notes = change.cells_from_aggregate(
        table, wave_column=args.wave_column, base_column=args.base_column,
        positives_column=args.positives_column, rate_column=args.rate_column, group_column=args.group_column,
        item_column=args.item_column, item_name=args.outcome_column or args.positives_column or args.rate_column,
        weighting_column=args.weighting_column, unit_column=args.unit_column, source=source)
    if cells["wave"].nunique() < 2:
        raise InputFileError(source, "at least two waves are needed to measure change", column=args.wave_column)
    analysis = change.analyse_change(cells, None, threshold=args.suppression_threshold,
                                     baseline_wave=args.baseline_wave, latest_wave=args.latest_wave,
                                     alpha=args.alpha, notes=notes)
    return _finish(args, analysis, None)


def _finish(args: argparse.Namespace, analysis, answers) -> int:
    from analysis.change import over_time as change

    out = Path(args.out)
    phrase = args.outcome_phrase or ("answered positively" if answers is not None else "gave the counted answer")
    sentences = change.change_sentences(analysis.results, threshold=args.suppression_threshold, alpha=args.alpha,
                                        outcome_phrase=phrase)
    written = change.write_outputs(analysis, sentences, out)
    if not args.no_figures:
        written.update(_figures(analysis, answers, out / "figures", args.suppression_threshold))
    for note in analysis.notes:
        print(f"note: {note}")
    from analysis.change.contract import PANEL_GROUP

    # Everyone, then the like-for-like panel of organisations (aggregate data with --unit-column).
    for sentence in sentences.loc[sentences["group"].isin([change.ALL_GROUPS, PANEL_GROUP]), "sentence"]:
        print(sentence)
    print(f"wrote {', '.join(str(p) for p in written.values())}")
    return 0


def _figures(analysis, answers, folder: Path, threshold: int) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    from analysis.change import figures as change_figures
    from analysis.present.figures import show_figure

    written = {}
    fig, alt = change_figures.trend_figure(analysis.results, groups=analysis.groups or None)
    written["trends"] = show_figure(fig, alt, "Percentage positive by wave", folder / "trends.png", display=False)
    if answers is not None and answers["score"].notna().any():
        for item in answers["item"].dropna().unique():
            fig, alt = change_figures.diverging_bars(answers, item, threshold=threshold,
                                                     groups=analysis.groups or None)
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(item))
            written[f"likert_{safe}"] = show_figure(fig, alt, f"Answers to {item} by wave",
                                                    folder / f"likert_{safe}.png", display=False)
    return written
