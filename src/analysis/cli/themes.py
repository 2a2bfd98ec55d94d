"""``python -m analysis themes``: theme any CSV of open-text comments.

Writes into ``--out``:

- ``themes.csv``: one row per theme (plus -1 "Unassigned" and -2 "No substantive
  answer"): id, label, key words, count, percent of substantive comments with a
  95% Wilson interval; counts under the suppression threshold are blanked.
- ``assignments.csv``: one row per input row, in input order: spreadsheet row,
  the id column if given, theme id and label, non-answer kind, similarity to
  the theme. Blank comments are -2 with kind "blank". No comment text.
- ``quality.json``: n_documents, n_themes, outlier_share, diversity, NPMI
  coherence, and NMI/ARI against human codes when a label column is given;
  the resolved settings, timings and model checksum.
- ``report.html``: one self-contained page (no scripts, no external files):
  the theme table with counts, percentages, intervals, key words and 2-3
  de-identified quotes; quality figures; by group and over time when asked.

Human codes (optional) come either from one column (``--label-column``) or from
a range of one-hot columns (``--label-onehot FIRST:LAST``, inclusive, in file
order, as in the NHS FFT framework file). With one-hot codes, a comment with
several codes is scored against its rarest code in the file (the most specific,
e.g. "Parking" rather than "Positive experience & gratitude"); ``--label-rule
first`` uses the first in column order instead.

This module imports nothing heavy at import time, so ``python -m analysis --help``
stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from analysis.core.errors import InputFileError, UserError

DEFAULT_SEED = 2025
DEFAULT_THRESHOLD = 10
QUOTE_CHARS = 300


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
# Tables
# ---------------------------------------------------------------------------
def theme_table(topics: Any, assignments: Any, *, threshold: int) -> Any:
    """Themes with counts, % of substantive comments and Wilson 95% CI; small counts blanked."""
    import numpy as np

    from analysis.core import vocab
    from analysis.stats.proportions import is_suppressed, wilson_ci

    counts = assignments["topic"].value_counts()
    n_rows = len(assignments)
    n_substantive = int((assignments["topic"] != vocab.NON_ANSWER_THEME_ID).sum())
    table = topics[["topic", "label", "auto_label", "codebook_id", "top_words"]].copy()
    table = table.rename(columns={"topic": "theme_id"})
    table["n"] = [int(counts.get(t, 0)) for t in table["theme_id"]]
    # Non-answers are a share of every answer; themes a share of substantive ones.
    table["base"] = np.where(table["theme_id"] == vocab.NON_ANSWER_THEME_ID, n_rows, n_substantive)
    low, high = wilson_ci(table["n"].to_numpy(), table["base"].to_numpy())
    table["percent"] = np.where(table["base"] > 0, 100 * table["n"] / table["base"].clip(lower=1), np.nan)
    table["ci_low"], table["ci_high"] = 100 * low, 100 * high
    table["key_words"] = table["top_words"].map(lambda ws: "; ".join(ws[:8]))
    table["suppressed"] = is_suppressed(table["n"], threshold)
    for col in ("n", "percent", "ci_low", "ci_high"):
        table[col] = table[col].astype("Float64").mask(table["suppressed"])
    table["n"] = table["n"].astype("Int64")
    order = [t for t in table.sort_values("n", ascending=False, na_position="last")["theme_id"] if t >= 0]
    table = table.set_index("theme_id").loc[order + [vocab.OUTLIER_THEME_ID, vocab.NON_ANSWER_THEME_ID]]
    table = table.reset_index()
    return table[["theme_id", "label", "auto_label", "codebook_id", "key_words", "n", "base", "percent",
                  "ci_low", "ci_high", "suppressed"]]


def crosstab(assignments: Any, labels: dict[int, str], by: Any, *, threshold: int) -> Any:
    """Theme x group counts and % of each group's substantive comments; small cells blanked.

    A cell is blanked when its count is 1..threshold-1 or its group has fewer
    than ``threshold`` substantive comments.
    """
    import pandas as pd

    from analysis.core import vocab
    from analysis.stats.proportions import is_suppressed

    themed = assignments["topic"] != vocab.NON_ANSWER_THEME_ID
    frame = pd.DataFrame({"topic": assignments["topic"][themed],
                          "group": by[themed].astype("string").fillna("(missing)")})
    counts = pd.crosstab(frame["topic"], frame["group"])
    base = counts.sum(axis=0)
    pct = 100 * counts / base.clip(lower=1)
    cells = {}
    for group in counts.columns:
        small_group = bool(is_suppressed(pd.Series([base[group]]), threshold)[0])
        col = []
        for topic in counts.index:
            n = int(counts.loc[topic, group])
            if small_group or bool(is_suppressed(pd.Series([n]), threshold)[0]):
                col.append("–")
            else:
                col.append(f"{n} ({pct.loc[topic, group]:.0f}%)")
        cells[str(group)] = col
    out = pd.DataFrame(cells, index=counts.index)
    out.insert(0, "Theme", [labels.get(int(t), str(t)) for t in counts.index])
    base_row = {"Theme": "Substantive comments (base)",
                **{str(g): ("–" if bool(is_suppressed(pd.Series([base[g]]), threshold)[0]) else str(int(base[g])))
                   for g in counts.columns}}
    return pd.concat([out, pd.DataFrame([base_row], index=["base"])])


def periods(values: Any, freq: str) -> Any:
    """Dates (mixed day-first formats allowed) to period labels such as 2021Q3; unparseable -> NA."""
    import pandas as pd

    text = values.astype("string").str.strip()
    dates = pd.to_datetime(text, format="mixed", dayfirst=True, errors="coerce")
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    return dates.dt.to_period(code).astype("string")


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#212b32;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:2px solid #005eb8;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #d8dde0;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f0f4f5}td.num{text-align:right;white-space:nowrap}
blockquote{margin:.2em 0 .4em 0;padding:.1em .6em;border-left:3px solid #768692;color:#425563}
.note{color:#425563;font-size:.9em}
"""


def _esc(value: Any) -> str:
    import html

    return html.escape("" if value is None else str(value))


def _fmt(value: Any, digits: int = 1) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _html_table(frame: Any, numeric: set[str] = frozenset()) -> str:
    head = "".join(f"<th scope='col'>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f"<td class='num'>{_esc(row[c])}</td>" if c in numeric else f"<td>{_esc(row[c])}</td>"
            for c in frame.columns)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_report(*, title: str, table: Any, quotes: dict[int, list[str]], quality: dict[str, Any],
                  non_answers: Any, by_group: Any | None, group_name: str | None, over_time: Any | None,
                  threshold: int) -> str:
    """The self-contained HTML report (inline CSS, no scripts)."""
    from analysis.core import vocab
    from analysis.report.build import content_security_policy

    rows = []
    for _, r in table.iterrows():
        tid = int(r["theme_id"])
        pct = ("–" if r["suppressed"] else
               f"{_fmt(float(r['percent']))}% ({_fmt(float(r['ci_low']))}–{_fmt(float(r['ci_high']))})")
        label = _esc(r["label"])
        if tid >= 0 and r["label"] != r["auto_label"]:
            label += f"<br><span class='note'>model words: {_esc(r['auto_label'])}</span>"
        quote_html = "".join(f"<blockquote>{_esc(q)}</blockquote>" for q in quotes.get(tid, []))
        n = "–" if r["suppressed"] else str(int(r["n"]))
        rows.append(f"<tr><td class='num'>{tid}</td><td>{label}</td><td class='num'>{n}</td>"
                    f"<td class='num'>{pct}</td><td>{_esc(r['key_words'])}</td><td>{quote_html}</td></tr>")
    theme_html = ("<table><thead><tr><th scope='col'>Id</th><th scope='col'>Theme</th>"
                  "<th scope='col'>Comments</th><th scope='col'>% (95% CI)</th><th scope='col'>Key words</th>"
                  "<th scope='col'>Example comments (de-identified)</th></tr></thead><tbody>"
                  + "".join(rows) + "</tbody></table>")
    q = quality
    facts = [
        ("Rows read", q.get("n_rows")),
        ("Substantive comments themed", q.get("n_documents")),
        ("No substantive answer (blank, 'nothing', 'N/A' ...)", q.get("n_non_answers")),
        ("Themes found", q.get("n_themes")),
        ("Share of substantive comments left unassigned", _pct(q.get("outlier_share"))),
        ("Topic diversity (share of unique key words; 1 = no overlap)", _fmt(q.get("diversity"), 2)),
        ("Coherence (NPMI of key words, -1 to 1; higher = words used together)", _fmt(q.get("coherence_npmi"), 2)),
    ]
    if q.get("nmi") is not None:
        facts += [("Agreement with human codes: NMI (0-1)", _fmt(q.get("nmi"), 2)),
                  ("Agreement with human codes: adjusted Rand index", _fmt(q.get("ari"), 2))]
    if q.get("stability_ari") is not None:
        facts += [("Stability between two seeds: adjusted Rand index", _fmt(q.get("stability_ari"), 2))]
    facts_html = "".join(f"<tr><th scope='row'>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in facts)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        # The same policy as the cycle report: no script, frame, form or network fetch can run.
        f"<meta http-equiv='Content-Security-Policy' content=\"{content_security_policy()}\">",
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_esc(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        "<p class='note'>Themes found automatically (BERTopic with the all-MiniLM-L6-v2 sentence encoder, "
        "run offline). Labels are the model's key words unless a codebook name applies: read the example "
        "comments before relying on a label. Percentages are of substantive comments, with 95% Wilson "
        f"intervals. Counts under {threshold} are not shown (–). Quotes are de-identified.</p>",
        "<h2>1. Themes</h2>", theme_html,
        "<h2>2. Answers with no substantive content</h2>",
        f"<p>Not themed: {vocab.NON_ANSWER_THEME_LABEL.lower()} (e.g. blank, 'nothing', 'N/A'). "
        "Very short answers (fewer words than the minimum) were not used to form themes but were "
        "placed in the closest theme where one was clearly similar.</p>",
        _html_table(non_answers, numeric={"Answers", "% of question's answers"}),
    ]
    section = 3
    if by_group is not None:
        parts += [f"<h2>{section}. Themes by {_esc(group_name)}</h2>",
                  "<p class='note'>Count (% of the group's substantive comments).</p>",
                  _html_table(by_group)]
        section += 1
    if over_time is not None:
        parts += [f"<h2>{section}. Themes over time</h2>",
                  "<p class='note'>Count (% of the period's substantive comments).</p>", _html_table(over_time)]
        section += 1
    parts += [f"<h2>{section}. Quality of the themes</h2>", f"<table><tbody>{facts_html}</tbody></table>",
              "<p class='note'>Model: " + _esc(q.get("model_name")) + ", weights sha256 "
              + _esc(q.get("model_sha256")) + ". Settings: " + _esc(json.dumps(q.get("settings", {}))) + "</p>",
              "</body></html>"]
    return "\n".join(parts)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _redact(texts: list[str]) -> list[str]:
    import pandas as pd

    from analysis.present.deidentify import redact_series

    redacted, _ = redact_series(pd.Series(texts, dtype="string"))
    return [str(t) for t in redacted]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """Run ``python -m analysis themes``; returns the exit code."""
    import time

    import numpy as np
    import pandas as pd

    from analysis.core import paths, vocab
    from analysis.core.config import Themes
    from analysis.core.recording import to_jsonable
    from analysis.present.exports import write_csv
    from analysis.themes.embeddings import default_cache_dir, embed_texts, load_model
    from analysis.themes.model import fit_themes, load_codebook, prepare_comments
    from analysis.themes.quality import (
        agreement,
        quality_summary,
        stability,
        theme_precision_recall,
    )

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
    labels = human_labels(frame, path, label_column=args.label_column, onehot=args.label_onehot,
                          rule=args.label_rule)
    settings = Themes(min_words=args.min_words, min_cluster_size=args.min_cluster_size,
                      model_path=Path(args.model_path) if args.model_path else None)
    codebook = load_codebook(args.codebook) if args.codebook else None
    cache = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(paths.INTERIM_DIR)

    frame = frame.reset_index(drop=True)
    comments = pd.DataFrame({"text": frame[args.text_column].astype("string")})
    prepared = prepare_comments(comments, text_column="text", question_column=None, min_words=args.min_words)
    model = load_model(settings.model_path)
    texts = prepared["model_text"].fillna("").tolist()
    embed_rows = ~prepared["is_non_answer"].to_numpy(dtype=bool)
    embedded, stats = embed_texts([t for t, keep in zip(texts, embed_rows, strict=True) if keep],
                                  model=model, cache_dir=cache)
    vectors = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
    vectors[embed_rows] = embedded
    fit = fit_themes(prepared, vectors, settings, seed=args.seed, codebook=codebook, text_column="text",
                     question_column=None, model=model, cache_dir=cache)
    a = fit.assignments
    label_of = dict(zip(fit.topics["topic"].astype(int), fit.topics["label"].astype(str), strict=True))

    out.mkdir(parents=True, exist_ok=True)
    # assignments.csv: one row per input row, in input order, no comment text.
    assign = pd.DataFrame({"row": frame["source_row"] if "source_row" in frame.columns
                           else np.arange(2, len(frame) + 2)})
    if args.id_column:
        assign["id"] = frame[args.id_column].to_numpy()
    assign["theme_id"] = a["topic"].to_numpy()
    assign["theme_label"] = [label_of[int(t)] for t in a["topic"]]
    assign["codebook_id"] = a["codebook_id"].to_numpy()
    assign["non_answer_kind"] = a["non_answer_kind"].to_numpy()
    assign["similarity"] = a["probability"].round(4).to_numpy()
    write_csv(assign, out / "assignments.csv", index=False)

    table = theme_table(fit.topics, a, threshold=args.suppression_threshold)
    write_csv(table.assign(percent=table["percent"].round(2), ci_low=table["ci_low"].round(2),
                           ci_high=table["ci_high"].round(2)), out / "themes.csv", index=False)

    quality = {"input": path.name, "n_rows": len(frame)}
    quality.update(quality_summary(a["topic"].to_numpy(), texts, fit.topics,
                                   labels=labels.to_numpy() if labels is not None else None,
                                   ngram_max=settings.ngram_max))
    if labels is not None:
        both = agreement(a["topic"].to_numpy(), labels.to_numpy(), include_non_answers=True)
        quality["nmi_including_non_answers"] = both["nmi"]
        quality["ari_including_non_answers"] = both["ari"]
        pr = theme_precision_recall(a["topic"].to_numpy(), labels.to_numpy())
        quality["mean_theme_precision"] = float(pr["precision"].mean()) if len(pr) else None
        quality["mean_theme_recall"] = float(pr["recall"].mean()) if len(pr) else None
        write_csv(pr, out / "theme_precision_recall.csv", index=False)
    if args.stability:
        second = fit_themes(prepared, vectors, settings, seed=args.seed + 1, codebook=codebook,
                            text_column="text", question_column=None, model=model, cache_dir=cache)
        st = stability(a["topic"].to_numpy(), second.assignments["topic"].to_numpy())
        quality["stability_ari"], quality["stability_nmi"] = st["ari"], st["nmi"]
    quality.update({
        "n_very_short": int((a["non_answer_kind"] == "very short").fillna(False).sum()),
        "outlier_share_before_reduction": fit.settings_used["outlier_share_before_reduction"],
        "model_name": model.name, "model_sha256": model.sha256,
        "embedding": {"n_texts": stats.n_texts, "n_unique": stats.n_unique, "n_cached": stats.n_cached,
                      "n_embedded": stats.n_embedded, "seconds": stats.seconds},
        "settings": {k: v for k, v in fit.settings_used.items() if k not in ("model_sha256", "model_name")},
        "stage_seconds": fit.stage_seconds,
        "seconds_total": time.perf_counter() - start,
    })
    (out / "quality.json").write_text(json.dumps(to_jsonable(quality), indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")

    quotes: dict[int, list[str]] = {}
    shown = set(table.loc[~table["suppressed"], "theme_id"].astype(int))
    for topic, rows in fit.representative_docs.items():
        if topic in shown:
            quotes[topic] = _redact([_shorten(texts[r]) for r in rows[:3]])
    non_answers = _non_answer_table(a, args.suppression_threshold)
    by_group = over_time = None
    if args.group_column:
        by_group = crosstab(a, label_of, frame[args.group_column], threshold=args.suppression_threshold)
    if args.time_column:
        over_time = crosstab(a, label_of, periods(frame[args.time_column], args.time_freq),
                             threshold=args.suppression_threshold)
    html = render_report(title=f"Themes in {path.name} ({args.text_column})", table=table, quotes=quotes,
                         quality=to_jsonable(quality), non_answers=non_answers, by_group=by_group,
                         group_name=args.group_column, over_time=over_time, threshold=args.suppression_threshold)
    (out / "report.html").write_text(html, encoding="utf-8")

    print(f"{quality['n_documents']} substantive comments of {len(frame)} rows -> {quality['n_themes']} themes; "
          f"{_pct(quality['outlier_share'])} left unassigned; "
          f"{int((a['topic'] == vocab.NON_ANSWER_THEME_ID).sum())} with no substantive answer.")
    if labels is not None:
        print(f"agreement with human codes: NMI {quality['nmi']:.2f}, ARI {quality['ari']:.2f}")
    print(f"wrote themes.csv, assignments.csv, quality.json, report.html to {out}")
    return 0


def _non_answer_table(assignments: Any, threshold: int) -> Any:
    import pandas as pd

    from analysis.core import vocab
    from analysis.stats.proportions import is_suppressed

    kinds = assignments.loc[assignments["topic"] == vocab.NON_ANSWER_THEME_ID, "non_answer_kind"]
    counts = kinds.astype("string").fillna("other").value_counts()
    total = len(assignments)
    rows = []
    for kind, n in counts.items():
        hidden = bool(is_suppressed(pd.Series([int(n)]), threshold)[0])
        rows.append({"Kind": kind, "Answers": "–" if hidden else int(n),
                     "% of question's answers": "–" if hidden else f"{100 * n / total:.1f}%"})
    return pd.DataFrame(rows, columns=["Kind", "Answers", "% of question's answers"])
