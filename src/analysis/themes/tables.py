"""What readers get from the themes: tables, plain words, quotes, change and figures.

Longer than 500 lines: a question's theme, by-group and by-wave tables are suppressed together as
one system of cells, and the table builders, their cell bookkeeping and the reader-facing formatting
of the same tables read best side by side (figures, ground-truth scoring and the channel table are
in their own modules).

Every percentage here is "respondents raising the theme" out of **respondents
who gave a substantive answer to that question** (non-answers such as
"nothing" and very short answers are reported separately, not in the base;
answers the model left unassigned and answers in themes a reviewer excluded
stay in the base, because those people did answer). Intervals are Wilson 95%
intervals from :func:`analysis.stats.proportions.wilson_ci`, computed from the counts as
published. Every count passes the disclosure layer (:mod:`analysis.present.disclosure`): a
question's theme table, its by-group tables and its by-wave table are suppressed together by
:func:`theme_tables`, so that no hidden count can be recovered from any of them, and quotes
come only from themes and groups at or above the quote threshold.

Input shape
-----------
Most functions take ``themed``: one row per comment with ``comment_id``,
``respondent_id``, ``question_id``, ``theme_id`` (permanent id, or -1 / -2),
``excluded`` (bool, from :func:`analysis.themes.review.apply_decisions`) and,
as needed, ``wave``, ``respondent_type``, ``borough``, ``text``, ``n_words``,
``probability`` (similarity of the comment to its theme centroid) and
``non_answer_kind``; and ``themes``: the reviewed themes (one row per
``theme_id`` with ``label``, ``top_words``, ``reviewed``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.present.disclosure import (
    CellSystem,
    DisclosureRule,
    as_rule,
    publish_counts,
    quote_allowed,
)
from analysis.stats.proportions import wilson_ci
from analysis.themes.frames import (  # noqa: F401 - NOT_RECORDED, cell_sizes and group_heatmap_matrix are re-exported
    NOT_RECORDED,
    _excluded,
    _key_words,
    _non_answer,
    _pct,
    _substantive,
    _theme_info,
    cell_sizes,
    group_heatmap_matrix,
)

#: Plain-English bands for the share of respondents raising a theme (lower bound inclusive).
#: Exactly half is "a substantial minority": "most" means over half.
PREVALENCE_BANDS: tuple[tuple[float, float, str], ...] = (
    (0.50, 1.00, "raised by most respondents (over half)"),
    (0.25, 0.50, "a substantial minority (25% to 50%)"),
    (0.10, 0.25, "a minority (10% to 25%)"),
    (0.00, 0.10, "a few (under 10%)"),
)
BASE_NOTE = ("Percentages are of respondents who gave a substantive answer to the question "
             "(non-answers such as 'nothing' and very short answers are not in the base).")
EXCLUDED_ROW_LABEL = "Excluded by reviewer"
VERY_SHORT_KIND = "very short"
_VALUE_COLUMNS = ["n", "pct", "ci_low", "ci_high"]


# --------------------------------------------------------------------------- small helpers
def prevalence_band(pct: float | None) -> str | None:
    """The plain-English band for a share in [0, 1] (see :data:`PREVALENCE_BANDS`); None if missing."""
    if pct is None or pd.isna(pct):
        return None
    if pct > 0.5:
        return PREVALENCE_BANDS[0][2]
    for low, _high, words in PREVALENCE_BANDS[1:]:
        if pct >= low:
            return words
    return PREVALENCE_BANDS[-1][2]


def band_definitions() -> pd.DataFrame:
    """The bands as a small table for the notebook."""
    return pd.DataFrame([
        {"share of respondents": "over 50%", "described as": PREVALENCE_BANDS[0][2]},
        {"share of respondents": "25% to 50%", "described as": PREVALENCE_BANDS[1][2]},
        {"share of respondents": "10% to under 25%", "described as": PREVALENCE_BANDS[2][2]},
        {"share of respondents": "under 10%", "described as": PREVALENCE_BANDS[3][2]},
    ])


def _with_ci(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    base = table["base"].to_numpy(dtype=float)
    n = table["n"].to_numpy(dtype=float)
    table["pct"] = np.where(base > 0, n / np.where(base > 0, base, 1), np.nan)
    low, high = wilson_ci(n, base, alpha=alpha)
    table["ci_low"], table["ci_high"] = low, high
    return table


# --------------------------------------------------------------------------- answers
def answer_summary(themed: pd.DataFrame, *, questions: Sequence[str] | None = None,
                   respondent_column: str = "respondent_id") -> pd.DataFrame:
    """Per question: answers, non-answers, very short answers and substantive answers.

    A non-answer ("nothing", "no comment", "N/A", ...) has theme -2 and is not in any base.
    A very short answer (fewer words than ``themes.min_words``, ``non_answer_kind`` "very
    short") is too short to shape a theme; the theme model still places it in the nearest
    theme when it plainly belongs there, so it is counted here *and* stays in the base unless
    it was also classed a non-answer (-2).

    Parameters
    ----------
    themed
        Comments with ``question_id``, ``non_answer_kind`` and ``theme_id`` (or, before
        themes are fitted, ``is_non_answer``).
    questions
        Questions to report, in order (default: as found).

    Returns
    -------
    pd.DataFrame
        ``question_id, n_comments, n_non_answers`` (theme -2), ``n_very_short``,
        ``n_substantive`` (not -2), ``share_non_answer`` (n_non_answers / n_comments),
        ``share_very_short``, ``n_respondents_substantive``.
    """
    questions = list(questions) if questions is not None else list(dict.fromkeys(themed["question_id"]))
    rows = []
    for q in questions:
        sub = themed[themed["question_id"] == q]
        non = _non_answer(sub)
        kind = sub["non_answer_kind"].astype("string") if "non_answer_kind" in sub else pd.Series(pd.NA, index=sub.index)
        very_short = (kind.str.casefold() == VERY_SHORT_KIND).fillna(False).astype(bool)
        n = len(sub)
        rows.append({
            "question_id": q, "n_comments": n, "n_non_answers": int(non.sum()),
            "n_very_short": int(very_short.sum()), "n_substantive": int((~non).sum()),
            "share_non_answer": float(non.mean()) if n else np.nan,
            "share_very_short": float(very_short.mean()) if n else np.nan,
            "n_respondents_substantive": int(sub.loc[~non, respondent_column].nunique()),
        })
    return pd.DataFrame(rows)


def non_answer_kinds(themed: pd.DataFrame, *, question_id: str) -> pd.DataFrame:
    """Kinds of non-answer for one question ("nothing", "no comment", "very short", ...), most common first."""
    sub = themed[(themed["question_id"] == question_id) & _non_answer(themed)]
    kinds = sub["non_answer_kind"].astype("string").fillna("other") if len(sub) else pd.Series(dtype="string")
    counts = kinds.value_counts().rename_axis("kind").reset_index(name="n")
    counts["share_of_answers"] = counts["n"] / max((themed["question_id"] == question_id).sum(), 1)
    return counts


# --------------------------------------------------------------------------- prevalence
def theme_table(themed: pd.DataFrame, themes: pd.DataFrame, *, question_id: str, threshold: int | DisclosureRule,
                alpha: float = 0.05, respondent_column: str = "respondent_id") -> pd.DataFrame:
    """Respondents raising each theme in answer to one question, with Wilson intervals.

    Parameters
    ----------
    themed, themes
        See the module docstring.
    question_id
        The open question.
    threshold
        Disclosure rule (:func:`analysis.present.disclosure.rule_from_config`) or a bare
        suppression threshold: a row of 1..threshold-1 respondents is hidden (count, percentage,
        interval, band), the whole table when fewer respondents answered, and further rows when
        a hidden one could be worked out from the base. Use :func:`theme_tables` for a report,
        which suppresses a question's tables together.
    alpha
        1 - confidence level.

    Returns
    -------
    pd.DataFrame
        One row per theme raised (largest first), then an "Unassigned" row and an
        "Excluded by reviewer" row when they have members. Columns: ``question_id,
        theme_id, label, key_words, n, base, pct, ci_low, ci_high, band, reviewed,
        reviewer, reviewed_on, split_note, merged_from, status, row_type, suppressed``
        (``base`` missing when the whole question is suppressed).
    """
    return theme_tables(themed, themes, question_id=question_id, group_columns=(), threshold=threshold,
                        alpha=alpha, respondent_column=respondent_column)["table"]


def theme_tables(latest: pd.DataFrame, themes: pd.DataFrame, *, question_id: str,
                 group_columns: Sequence[str] = ("respondent_type", "borough"),
                 threshold: int | DisclosureRule, themed: pd.DataFrame | None = None,
                 wave_column: str = "wave", alpha: float = 0.05,
                 respondent_column: str = "respondent_id") -> dict[str, pd.DataFrame]:
    """A question's published theme tables, suppressed together as one linked set.

    The tables share one :class:`analysis.present.disclosure.CellSystem`: the theme table's rows
    (themes, unassigned, excluded) add up to its base; in each by-group table every theme's
    count adds up over the groups to the theme table's count, the groups' bases add up to the
    base, and a group's theme counts are part of its base; the by-wave table's latest wave is the
    theme table itself. Secondary suppression runs over all of them, so no hidden count can be
    recovered by subtracting one published table from another.

    Parameters
    ----------
    latest
        Comments of the question's latest wave (what the theme table counts).
    themes
        Reviewed themes.
    question_id
        The open question.
    group_columns
        Columns for :func:`theme_by_group` tables.
    threshold
        Disclosure rule or bare suppression threshold.
    themed
        All waves' comments, for the by-wave table (:func:`theme_trend`); None to skip it.
    wave_column, alpha, respondent_column
        As the single-table functions.

    Returns
    -------
    dict[str, pd.DataFrame]
        ``"table"`` (:func:`theme_table`), ``"by_<column>"`` (:func:`theme_by_group`) and, when
        ``themed`` is given, ``"by_wave"`` (:func:`theme_trend`).
    """
    rule = as_rule(threshold)
    info = _theme_info(themes)
    system = CellSystem()
    table_counts = _table_counts(latest, info, question_id, respondent_column)
    table_ids, table_base = _table_cells(system, table_counts)
    theme_cell = {int(t): i for t, i, kind in zip(table_counts["theme_id"].fillna(-99), table_ids,
                                                   table_counts["row_type"], strict=True) if kind == "theme"}
    built: dict[str, tuple[pd.DataFrame, list[int], str]] = {}
    for column in group_columns:
        counts = _group_counts(latest, info, question_id, column, respondent_column)
        ids = _group_cells(system, counts, f"by_{column}", theme_cell, table_base)
        built[f"by_{column}"] = (counts, ids, column)
    if themed is not None:
        frame = themed.assign(_wave=themed[wave_column])
        counts = _group_counts(frame, info, question_id, "_wave", respondent_column)
        latest_waves = set(latest.loc[latest["question_id"] == question_id, wave_column].dropna().astype(str))
        same = len(latest_waves) == 1 and counts["group"].astype(str).isin(latest_waves)
        ids = _group_cells(system, counts, "by_wave", None, None)
        if len(latest_waves) == 1:
            for row, cell in zip(counts.itertuples(), ids, strict=True):
                if not bool(same[row.Index]):
                    continue
                if row.kind == "base":
                    system.add_equal(table_base, cell)
                elif int(row.theme_id) in theme_cell:
                    # The latest wave of the trend is the theme table: the same number in two tables.
                    system.add_equal(theme_cell[int(row.theme_id)], cell)
        built["by_wave"] = (counts, ids, "_wave")
    hidden = system.solve(rule)
    out = {"table": _table_publish(table_counts, hidden[table_ids], bool(hidden[table_base]), rule, alpha,
                                   question_id)}
    for name, (counts, ids, column) in built.items():
        published = _group_publish(counts, hidden[ids], rule, alpha, question_id, column)
        if name == "by_wave":
            published = published.drop(columns="group_column").rename(columns={"group": "wave"})
            published["wave"] = pd.to_numeric(published["wave"], errors="coerce").astype("Int64")
            published = published.sort_values(["theme_id", "wave"]).reset_index(drop=True)
        out[name] = published
    return out


def _table_counts(frame: pd.DataFrame, info: pd.DataFrame, question_id: str, respondent_column: str) -> pd.DataFrame:
    """Raw (unsuppressed) respondents per theme, unassigned and excluded row; ``attrs["base"]``."""
    q = _substantive(frame[frame["question_id"] == question_id])
    base = int(q[respondent_column].nunique())
    excluded = _excluded(q)
    kept = q[~excluded]
    rows = []
    counts = kept[kept["theme_id"] > 0].groupby("theme_id")[respondent_column].nunique()
    for tid, n in counts.items():
        t = info.loc[tid] if tid in info.index else None
        rows.append({
            "theme_id": int(tid), "label": t["label"] if t is not None else f"Theme {tid}",
            "key_words": t["key_words"] if t is not None else "", "n": int(n), "row_type": "theme",
            **{c: (t[c] if t is not None else pd.NA) for c in
               ("reviewed", "reviewer", "reviewed_on", "split_note", "merged_from", "status", "stance")},
        })
    rows.sort(key=lambda r: (-r["n"], r["theme_id"]))
    n_unassigned = int(kept.loc[kept["theme_id"] == vocab.OUTLIER_THEME_ID, respondent_column].nunique())
    if n_unassigned:
        rows.append({"theme_id": vocab.OUTLIER_THEME_ID, "label": vocab.OUTLIER_THEME_LABEL, "key_words": "",
                     "n": n_unassigned, "row_type": "unassigned", "reviewed": False})
    n_excluded = int(q.loc[excluded, respondent_column].nunique())
    if n_excluded:
        rows.append({"theme_id": pd.NA, "label": EXCLUDED_ROW_LABEL, "key_words": "", "n": n_excluded,
                     "row_type": "excluded by reviewer", "reviewed": True})
    table = pd.DataFrame(rows, columns=["theme_id", "label", "key_words", "n", "reviewed", "reviewer", "reviewed_on",
                                        "split_note", "merged_from", "status", "stance", "row_type"])
    table["theme_id"] = table["theme_id"].astype("Int64")
    table["n"] = table["n"].astype("int64")
    table["reviewed"] = table["reviewed"].fillna(False).astype(bool)
    table.attrs["base"] = base
    return table


def _add_partition(system: CellSystem, total: int, parts: Sequence[int]) -> None:
    """Record ``total = sum(parts) (+ an unpublished remainder)`` when the parts fit in the total.

    They do not when one respondent is counted in several parts (several waves' answers), and then
    no subtraction gives an exact count either.
    """
    if sum(system.values[p] for p in parts) <= system.values[total]:
        system.add_sum(total, parts)


def _table_cells(system: CellSystem, counts: pd.DataFrame) -> tuple[list[int], int]:
    """Add a theme table to the cell system; returns its rows' ids and its base's id."""
    ids = system.cells(counts["n"], [("themes", str(r)) for r in counts["label"]])
    base = system.cell(counts.attrs["base"], ("themes", "base"), fixed=True)
    system.depend(base, ids)
    _add_partition(system, base, ids)
    return ids, base


def _group_counts(frame: pd.DataFrame, info: pd.DataFrame, question_id: str, group_column: str,
                  respondent_column: str) -> pd.DataFrame:
    """Raw respondents per group x theme and per group (``kind`` "theme" or "base"), unsuppressed."""
    q = _substantive(frame[frame["question_id"] == question_id]).copy()
    q["group"] = q[group_column].astype("string").fillna(NOT_RECORDED)
    bases = q.groupby("group")[respondent_column].nunique()
    kept = q[~_excluded(q) & (q["theme_id"] > 0)]
    counts = kept.groupby(["group", "theme_id"])[respondent_column].nunique()
    theme_ids = counts.index.get_level_values("theme_id").unique().sort_values()
    grid = pd.MultiIndex.from_product([bases.index, theme_ids], names=["group", "theme_id"])
    cells = counts.reindex(grid, fill_value=0).rename("n").reset_index()
    cells["kind"] = "theme"
    base_rows = pd.DataFrame({"group": bases.index, "theme_id": pd.NA, "n": bases.to_numpy(), "kind": "base"})
    table = pd.concat([cells, base_rows], ignore_index=True)
    table["theme_id"] = table["theme_id"].astype("Int64")
    table["n"] = table["n"].astype("int64")
    table["base"] = table["group"].map(bases).astype("int64")
    table["label"] = table["theme_id"].map(lambda t: info["label"].get(t, f"Theme {t}") if pd.notna(t) else pd.NA)
    return table


def _group_cells(system: CellSystem, counts: pd.DataFrame, name: str, theme_cell: dict[int, int] | None,
                 table_base: int | None) -> list[int]:
    """Add a by-group table: theme counts within each group's base, and over groups to the theme table."""
    ids = system.cells(counts["n"], [(name, str(g), "base" if k == "base" else int(t))
                                     for g, t, k in zip(counts["group"], counts["theme_id"], counts["kind"],
                                                        strict=True)])
    base_of = {g: i for g, k, i in zip(counts["group"], counts["kind"], ids, strict=True) if k == "base"}
    for group, base in base_of.items():
        members = [i for g, k, i in zip(counts["group"], counts["kind"], ids, strict=True)
                   if g == group and k == "theme"]
        system.depend(base, members)
        _add_partition(system, base, members)
    if table_base is not None:
        _add_partition(system, table_base, list(base_of.values()))
    for tid, cell in (theme_cell or {}).items():
        members = [i for t, k, i in zip(counts["theme_id"], counts["kind"], ids, strict=True)
                   if k == "theme" and pd.notna(t) and int(t) == tid]
        if members:
            _add_partition(system, cell, members)
    return ids


def _published_stats(n: pd.Series, base: pd.Series, alpha: float) -> pd.DataFrame:
    """Share and Wilson interval from counts as printed (missing where either is hidden)."""
    n_f = n.astype("Float64").astype(float).to_numpy()
    b_f = base.astype("Float64").astype(float).to_numpy()
    ok = ~np.isnan(n_f) & ~np.isnan(b_f) & (np.nan_to_num(b_f) > 0)
    safe_n, safe_b = np.where(ok, n_f, 0.0), np.where(ok, b_f, 0.0)
    low, high = wilson_ci(safe_n, safe_b, alpha=alpha)
    pct = np.where(ok, safe_n / np.where(ok, safe_b, 1.0), np.nan)
    return pd.DataFrame({"pct": np.where(ok, pct, np.nan), "ci_low": np.where(ok, low, np.nan),
                         "ci_high": np.where(ok, high, np.nan)}, index=n.index)


def _table_publish(counts: pd.DataFrame, hidden: np.ndarray, base_hidden: bool, rule: DisclosureRule,
                   alpha: float, question_id: str) -> pd.DataFrame:
    """The published theme table: counts as printed, percentages and bands from those."""
    table = counts.copy()
    table.insert(0, "question_id", question_id)
    table["n"] = publish_counts(counts["n"], hidden, rule).to_numpy()
    base = publish_counts([counts.attrs["base"]], [base_hidden], rule).iloc[0]
    table["base"] = pd.array([base] * len(table), dtype="Float64")
    table = pd.concat([table, _published_stats(table["n"], table["base"], alpha)], axis=1)
    for col in _VALUE_COLUMNS:
        table[col] = table[col].astype("Float64")
    table["band"] = table["pct"].astype(float).map(prevalence_band).where(table["row_type"] == "theme")
    table["suppressed"] = np.asarray(hidden, dtype=bool)
    columns = ["question_id", "theme_id", "label", "key_words", "n", "base", "pct", "ci_low", "ci_high",
               "band", "reviewed", "reviewer", "reviewed_on", "split_note", "merged_from", "status", "stance",
               "row_type", "suppressed"]
    return table.loc[:, columns].reset_index(drop=True)


def _group_publish(counts: pd.DataFrame, hidden: np.ndarray, rule: DisclosureRule, alpha: float,
                   question_id: str, group_column: str) -> pd.DataFrame:
    """The published by-group table: theme cells with the group's printed base and figures from those."""
    hidden = np.asarray(hidden, dtype=bool)
    table = counts.copy()
    table["n"] = publish_counts(counts["n"], hidden, rule).to_numpy()
    is_base = (table["kind"] == "base").to_numpy()
    base_of = dict(zip(table.loc[is_base, "group"], table.loc[is_base, "n"], strict=True))
    cells = table.loc[~is_base].copy()
    cells["base"] = pd.array([base_of[g] for g in cells["group"]], dtype="Float64")
    cells = pd.concat([cells, _published_stats(cells["n"], cells["base"], alpha)], axis=1)
    for col in [*_VALUE_COLUMNS, "base"]:
        cells[col] = cells[col].astype("Float64")
    cells["suppressed"] = hidden[~is_base]
    cells.insert(0, "group_column", group_column)
    cells.insert(0, "question_id", question_id)
    cols = ["question_id", "group_column", "group", "theme_id", "label", "n", "base", "pct", "ci_low",
            "ci_high", "suppressed"]
    return cells.loc[:, cols].sort_values(["group", "theme_id"]).reset_index(drop=True)


def theme_by_group(themed: pd.DataFrame, themes: pd.DataFrame, *, question_id: str, group_column: str,
                   threshold: int | DisclosureRule, alpha: float = 0.05,
                   respondent_column: str = "respondent_id") -> pd.DataFrame:
    """Theme prevalence within each group (respondent type, borough, ...), small numbers suppressed.

    The base of each cell is the group's respondents with a substantive answer; a group
    with fewer than ``threshold`` such respondents has every number blanked, a cell of
    1..threshold-1 respondents is blanked, and secondary suppression hides further cells so
    that none can be recovered from the group's base or from the question's theme table
    (which this table is checked against, as it is published beside it). A missing group
    value is shown as "Not recorded".

    Returns
    -------
    pd.DataFrame
        ``question_id, group_column, group, theme_id, label, n, base, pct, ci_low, ci_high,
        suppressed``: every theme raised in the question x every group (zeros included);
        ``base`` is missing for a hidden group.
    """
    return theme_tables(themed, themes, question_id=question_id, group_columns=(group_column,),
                        threshold=threshold, alpha=alpha, respondent_column=respondent_column)[f"by_{group_column}"]


# --------------------------------------------------------------------------- quotes
def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def select_quotes(themed: pd.DataFrame, *, threshold: int | DisclosureRule, max_quotes: int = 3,
                  cell_columns: Sequence[str] = ("respondent_type", "borough"),
                  scope_columns: Sequence[str] = ("question_id", "wave"), min_words: int = 8,
                  max_words: int = 60, relevance_column: str = "probability",
                  embeddings: np.ndarray | None = None, diversity: float = 0.3,
                  max_overlap: float = 0.6) -> pd.DataFrame:
    """Representative, de-identified quotes per theme, never from a small group.

    A comment is eligible when it is in a reported theme (id > 0, not excluded), has
    ``min_words`` to ``max_words`` words, its theme was raised by at least the quote threshold
    of respondents within its scope (``scope_columns``: the question and wave it answered), and
    its respondent's cell (``cell_columns``, e.g. respondent type x borough, plus any equality
    column shown beside quotes) within that scope has at least that many respondents
    (:func:`analysis.present.disclosure.quote_allowed`; ``threshold`` is the rule or a bare
    threshold). Quotes are picked greedily by maximal marginal relevance: closeness to the
    theme centroid (``relevance_column``) minus ``diversity`` x the highest similarity to a
    quote already picked (cosine of ``embeddings`` rows when given, else word overlap);
    near-duplicates (word overlap above ``max_overlap``) and a second quote from the same
    respondent are skipped.

    Parameters
    ----------
    themed
        Comments (see module docstring) with ``text`` and ``n_words``; the text must already
        be de-identified (processed data is).
    embeddings
        Optional unit-length embeddings, row i for ``themed`` row i.

    Returns
    -------
    pd.DataFrame
        ``theme_id, rank (1 = most typical), quote, comment_id, question_id, relevance``.
    """
    frame = themed.reset_index(drop=True)
    present_scope = [c for c in scope_columns if c in frame.columns]
    sizes = cell_sizes(frame, [*present_scope, *cell_columns])
    in_theme = (frame["theme_id"] > 0) & ~_excluded(frame)
    theme_sizes = cell_sizes(frame.assign(_theme=frame["theme_id"].where(in_theme, -99)), [*present_scope, "_theme"])
    # A passage of a document whose author did not agree to be quoted is counted, never quoted.
    consent = (frame["consent_to_quote"].fillna(False).astype(bool) if "consent_to_quote" in frame.columns
               else pd.Series(True, index=frame.index))
    eligible = (
        in_theme
        & frame["n_words"].between(min_words, max_words)
        & quote_allowed(theme_sizes, sizes, threshold)
        & frame["text"].notna()
        & consent
    )
    candidates = frame[eligible]
    rows = []
    for tid, group in candidates.groupby("theme_id", sort=True):
        rel = pd.to_numeric(group[relevance_column], errors="coerce").fillna(0.0) \
            if relevance_column in group else pd.Series(0.0, index=group.index)
        order = group.assign(_rel=rel).sort_values(["_rel", "comment_id"], ascending=[False, True])
        picked: list[int] = []
        respondents: set[str] = set()
        tokens = {i: _tokens(str(t)) for i, t in order["text"].items()}
        remaining = list(order.index)
        while remaining and len(picked) < max_quotes:
            best, best_score = None, -np.inf
            for i in remaining:
                if order.at[i, "respondent_id"] in respondents:
                    continue
                if any(_jaccard(tokens[i], tokens[j]) > max_overlap for j in picked):
                    continue
                if picked and embeddings is not None:
                    redundancy = float(max(embeddings[i] @ embeddings[j] for j in picked))
                elif picked:
                    redundancy = max(_jaccard(tokens[i], tokens[j]) for j in picked)
                else:
                    redundancy = 0.0
                score = float(order.at[i, "_rel"]) - diversity * redundancy
                if score > best_score:
                    best, best_score = i, score
            if best is None:
                break
            picked.append(best)
            respondents.add(order.at[best, "respondent_id"])
            remaining.remove(best)
        for rank, i in enumerate(picked, start=1):
            rows.append({"theme_id": int(tid), "rank": rank, "quote": str(order.at[i, "text"]),
                         "comment_id": order.at[i, "comment_id"], "question_id": order.at[i, "question_id"],
                         "relevance": float(order.at[i, "_rel"]), "attribution": attribution(order.loc[i])})
    return pd.DataFrame(rows, columns=["theme_id", "rank", "quote", "comment_id", "question_id", "relevance",
                                       "attribution"])


def attribution(row: pd.Series) -> str:
    """Who said it, in words that cannot identify anyone: "carer, 2025" (respondent type and year).

    Only fields that quote selection already checked against the threshold are used (the
    respondent type is a cell column, the wave a scope column); borough, age and the like never.
    """
    parts = []
    kind = row.get("respondent_type")
    if isinstance(kind, str) and kind.strip():
        parts.append(kind.strip().lower())
    wave = row.get("wave")
    if wave is not None and not pd.isna(wave) and int(wave) > 0:
        parts.append(str(int(wave)))
    return ", ".join(parts)


# --------------------------------------------------------------------------- change over waves
def theme_trend(themed: pd.DataFrame, themes: pd.DataFrame, *, question_id: str, threshold: int | DisclosureRule,
                wave_column: str = "wave", alpha: float = 0.05,
                respondent_column: str = "respondent_id") -> pd.DataFrame:
    """Prevalence of each theme in each wave (base: that wave's substantive answers).

    Suppressed as :func:`theme_by_group` with the wave as the group, and checked against the
    latest wave's theme table (the same numbers), so that neither reveals a cell the other hides.

    Returns
    -------
    pd.DataFrame
        ``question_id, wave, theme_id, label, n, base, pct, ci_low, ci_high, suppressed``.
    """
    q = themed[themed["question_id"] == question_id]
    latest = q[q[wave_column] == q[wave_column].max()] if len(q) else q
    return theme_tables(latest, themes, question_id=question_id, group_columns=(), threshold=threshold,
                        themed=themed, wave_column=wave_column, alpha=alpha,
                        respondent_column=respondent_column)["by_wave"]


def prevalence_change(trend: pd.DataFrame, *, wave_from: int, wave_to: int, threshold: int | DisclosureRule,
                      alpha: float = 0.05) -> pd.DataFrame:
    """Change in each theme's prevalence between two waves, with a Newcombe CI and a test.

    Uses :func:`analysis.stats.comparisons.compare_proportions` (Newcombe hybrid score interval; pooled
    two-proportion z-test, or Fisher's exact test when an expected count is under 5).
    Holm-adjusted p-values (``p_holm``) allow for testing many themes at once.

    Returns
    -------
    pd.DataFrame
        ``question_id, theme_id, label, wave_from, wave_to, pct_from, pct_to, difference
        (wave_to minus wave_from, proportion), ci_low, ci_high, p_value, p_holm, method,
        suppressed`` (True when either wave's count is hidden: the difference, interval and
        test of a hidden count would reveal it). Computed from the counts as published.
    """
    from statsmodels.stats.multitest import multipletests

    from analysis.stats.comparisons import compare_proportions

    a = trend[trend["wave"] == wave_from].set_index("theme_id")
    b = trend[trend["wave"] == wave_to].set_index("theme_id")
    ids = sorted(set(a.index) & set(b.index))
    cols = ["question_id", "theme_id", "label", "wave_from", "wave_to", "pct_from", "pct_to", "difference",
            "ci_low", "ci_high", "p_value", "p_holm", "method", "suppressed"]
    if not ids:
        return pd.DataFrame(columns=cols)
    a, b = a.loc[ids], b.loc[ids]
    # Counts are blanked in suppressed rows, so test only pairs whose counts are both published.
    small = (a["suppressed"].to_numpy(bool) | b["suppressed"].to_numpy(bool)
             | a["n"].isna().to_numpy(bool) | b["n"].isna().to_numpy(bool))
    x2, n2 = a["n"].astype(float).fillna(0).to_numpy(), a["base"].astype(float).fillna(0).to_numpy()
    x1, n1 = b["n"].astype(float).fillna(0).to_numpy(), b["base"].astype(float).fillna(0).to_numpy()
    result = pd.DataFrame({"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                           "method": pd.NA}, index=range(len(ids)))
    if (~small).any():
        tested = compare_proportions(x1[~small], n1[~small], x2[~small], n2[~small], alpha=alpha)
        result.loc[np.flatnonzero(~small), list(tested.columns)] = tested.to_numpy()
    out = pd.DataFrame({
        "question_id": b["question_id"].to_numpy(), "theme_id": ids, "label": b["label"].to_numpy(),
        "wave_from": wave_from, "wave_to": wave_to,
        "pct_from": a["pct"].astype(float).to_numpy(), "pct_to": b["pct"].astype(float).to_numpy(),
        "difference": result["estimate"].to_numpy(float), "ci_low": result["ci_low"].to_numpy(float),
        "ci_high": result["ci_high"].to_numpy(float), "p_value": result["p_value"].to_numpy(float),
        "method": result["method"].to_numpy(), "suppressed": small,
    })
    out.loc[out["suppressed"], ["pct_from", "pct_to", "difference", "ci_low", "ci_high", "p_value"]] = np.nan
    out["p_holm"] = np.nan
    testable = ~out["suppressed"] & out["p_value"].notna()
    if testable.any():
        out.loc[testable, "p_holm"] = multipletests(out.loc[testable, "p_value"], method="holm")[1]
    return out.loc[:, cols]


# --------------------------------------------------------------------------- plain words
def lifecycle(status: pd.DataFrame, themes: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Labels per registry status for the report: ``{new, continuing, no_longer_raised}``.

    Reviewed labels (from ``themes``) replace automatic ones; themes a reviewer excluded or
    merged into another are left out ("no longer raised" themes are kept with their last label).
    """
    info = _theme_info(themes) if themes is not None else None
    out: dict[str, list[str]] = {"new": [], "continuing": [], "no_longer_raised": []}
    keys = {"new": "new", "continuing": "continuing", "no longer raised": "no_longer_raised"}
    for r in status.sort_values("theme_id").itertuples():
        if r.status not in keys:
            continue
        if info is not None and r.status != "no longer raised":
            if r.theme_id not in info.index or bool(info.at[r.theme_id, "excluded"]):
                continue
            out[keys[r.status]].append(str(info.at[r.theme_id, "label"]))
        else:
            out[keys[r.status]].append(str(r.label))
    return out


def theme_sentences(table: pd.DataFrame, *, question_label: str, max_themes: int = 5) -> list[str]:
    """Plain-English sentences for the largest themes of a :func:`theme_table`."""
    themes = table[table["row_type"] == "theme"]
    if themes.empty:
        return [f"No themes were found in answers to '{question_label}'."]
    if table["base"].isna().all():
        return [f"Too few people answered '{question_label}' to report themes (fewer than the "
                "suppression threshold)."]
    base = int(table["base"].iloc[0])
    out = [f"{base} respondents gave a substantive answer to '{question_label}'."]
    shown = themes[~themes["suppressed"]]
    for r in shown.head(max_themes).itertuples():
        notes = ["reviewed by an analyst"] if r.reviewed else []
        if isinstance(r.split_note, str) and r.split_note:
            notes.append("a split has been requested")
        mark = f" ({'; '.join(notes)})" if notes else ""
        out.append(f"'{r.label}'{mark} was {_band_phrase(r.band)}: {int(r.n)} of {base} "
                   f"({_pct(r.pct)}, 95% CI {_pct(r.ci_low)} to {_pct(r.ci_high)}).")
    hidden = int(themes["suppressed"].sum())
    if hidden and len(shown) < max_themes:
        out.append(f"{hidden} further theme{'s were' if hidden > 1 else ' was'} raised by too few people to "
                   "report separately.")
    return out


def _band_phrase(band: str) -> str:
    return band if band.startswith("raised") else f"raised by {band}"


def change_sentences(change: pd.DataFrame, *, alpha: float = 0.05) -> list[str]:
    """Sentences for themes whose prevalence changed (Holm-adjusted p below ``alpha``)."""
    shown = change[~change["suppressed"] & (change["p_holm"] < alpha)]
    if shown.empty:
        return ["No theme's prevalence changed by more than chance would explain "
                f"(Holm-adjusted p >= {alpha}) between the waves compared."]
    out = []
    for r in shown.sort_values("p_holm").itertuples():
        direction = "rose" if r.difference > 0 else "fell"
        out.append(f"'{r.label}' {direction} from {_pct(r.pct_from)} in {r.wave_from} to {_pct(r.pct_to)} "
                   f"in {r.wave_to} ({100 * r.difference:+.0f} points, 95% CI {100 * r.ci_low:+.0f} to "
                   f"{100 * r.ci_high:+.0f}; adjusted p = {r.p_holm:.3f}).")
    return out


# --------------------------------------------------------------------------- outputs
def outlier_share(themed: pd.DataFrame, *, question_id: str) -> float:
    """Share of a question's substantive answers the model left unassigned (-1)."""
    q = _substantive(themed[themed["question_id"] == question_id])
    return float((q["theme_id"] == vocab.OUTLIER_THEME_ID).mean()) if len(q) else float("nan")


def assignments_output(themed: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """Per-comment theme ids and labels after review, for ``theme_assignments.parquet``.

    Returns
    -------
    pd.DataFrame
        ``comment_id, question_id, theme_id`` (permanent id after merges; -1 unassigned,
        -2 no substantive answer), ``theme_label`` (reviewed label if any), ``excluded``
        (the theme was excluded by a reviewer and is not reported).
    """
    labels = _theme_info(themes)["label"].to_dict()
    labels[vocab.OUTLIER_THEME_ID] = vocab.OUTLIER_THEME_LABEL
    labels[vocab.NON_ANSWER_THEME_ID] = vocab.NON_ANSWER_THEME_LABEL
    out = pd.DataFrame({
        "comment_id": themed["comment_id"].astype("string"),
        "question_id": themed["question_id"].astype("string"),
        "theme_id": themed["theme_id"].astype("int64"),
        "theme_label": themed["theme_id"].map(labels).astype("string"),
        "excluded": _excluded(themed).astype(bool),
    })
    return out.sort_values(["question_id", "comment_id"]).reset_index(drop=True)


def headline_metrics(themed: pd.DataFrame, table: pd.DataFrame, *, question_id: str,
                     top: int = 5) -> dict[str, Any]:
    """What the executive summary reads for one question (recorded as JSON).

    Returns
    -------
    dict
        ``n_comments, n_non_answers`` (theme -2), ``n_very_short,
        non_answer_share`` (0..1), ``n_respondents_substantive, n_themes`` (reported themes),
        ``outlier_share`` (0..1), ``n_excluded_by_reviewer, suppressed`` and ``top_themes``:
        up to ``top`` of ``{theme_id, label, n, pct, ci_low, ci_high`` (percent, 0..100, as the
        report reads them), ``band, reviewed, reviewer, reviewed_on}``.
    """
    summary = answer_summary(themed, questions=[question_id]).iloc[0]
    themes_only = table[table["row_type"] == "theme"]
    excluded = table.loc[table["row_type"] == "excluded by reviewer", "n"]
    suppressed = bool(table["base"].isna().all()) if len(table) else False
    themes_only = themes_only[~themes_only["suppressed"]]
    tops = [] if suppressed else [
        {"theme_id": int(r.theme_id), "label": str(r.label), "n": int(r.n), "pct": 100 * float(r.pct),
         "ci_low": 100 * float(r.ci_low), "ci_high": 100 * float(r.ci_high), "band": r.band,
         "reviewed": bool(r.reviewed),
         "reviewer": None if pd.isna(r.reviewer) else str(r.reviewer),
         "reviewed_on": None if pd.isna(r.reviewed_on) else str(r.reviewed_on)}
        for r in themes_only.head(top).itertuples()
    ]
    return {
        "n_comments": int(summary["n_comments"]),
        "n_non_answers": int(summary["n_non_answers"]),
        "n_very_short": int(summary["n_very_short"]),
        # Recorded results name shares "*_share" (analysis.core.results); the answers table keeps its column name.
        "non_answer_share": float(summary["share_non_answer"]),
        "n_respondents_substantive": int(summary["n_respondents_substantive"]),
        "n_themes": int((table["row_type"] == "theme").sum()),
        "outlier_share": outlier_share(themed, question_id=question_id),
        "n_excluded_by_reviewer": (int(excluded.iloc[0]) if len(excluded) and pd.notna(excluded.iloc[0])
                                   else (None if len(excluded) else 0)),
        "suppressed": suppressed,
        "top_themes": tops,
    }


def format_theme_table(table: pd.DataFrame) -> pd.DataFrame:
    """A reader-facing version of :func:`theme_table`: words, percentages to one decimal, review marks.

    One decimal, not whole percentages: 9.6% rounded to "10%" would sit beside the band
    "a few (under 10%)" and the words would contradict the number.

    Suppressed rows read "suppressed (fewer than the threshold)" rather than blanks.
    """
    def ci(r: pd.Series) -> str:
        return "" if pd.isna(r["ci_low"]) else f"{100 * r['ci_low']:.1f}% to {100 * r['ci_high']:.1f}%"

    out = pd.DataFrame({
        "Theme": table["label"].astype(str),
        "Key words": table["key_words"].fillna("").astype(str),
        "Respondents": table["n"].map(lambda v: "suppressed" if pd.isna(v) else f"{int(v)}"),
        "%": table["pct"].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%"),
        "95% CI": table.apply(ci, axis=1),
        "How many": table["band"].fillna("").astype(str),
        "Stance": (table["stance"].fillna("").astype(str) if "stance" in table.columns else ""),
        "Reviewed": [
            "" if not bool(r.reviewed) or r.row_type != "theme" else
            "✓ " + " ".join(str(x) for x in (r.reviewer, r.reviewed_on) if not pd.isna(x))
            for r in table.itertuples()
        ],
        "Note": [
            "; ".join(filter(None, [
                f"merged from {r.merged_from}" if isinstance(r.merged_from, str) and r.merged_from else "",
                "split requested" if isinstance(r.split_note, str) and r.split_note else "",
                "new candidate, not yet reviewed" if getattr(r, "status", None) == "candidate" else "",
            ]))
            for r in table.itertuples()
        ],
    })
    return out


def book_output(book_table: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """One row per theme of the book and per candidate, for ``themes.parquet``.

    The actions section reads it to follow actions through merges: ``status`` is the
    book's (``active``, ``merged``, ``excluded``, ``retired``) or ``candidate``, and
    ``merged_into`` the id a merged theme's answers count under.

    Parameters
    ----------
    book_table
        :func:`analysis.themes.book.themes_frame` of the book.
    themes
        The run's counted themes (:attr:`analysis.themes.pipeline.ThemedAnswers.themes`).
    """
    counted = themes.set_index("theme_id")
    rows = book_table.rename(columns={"book_status": "status"}).copy()
    candidates = themes[themes["status"] == "candidate"].copy()
    rows = pd.concat([rows, candidates.loc[:, [c for c in rows.columns if c in candidates.columns]]],
                     ignore_index=True)
    rows["merged_into"] = rows["merged_into"].astype("Int64")
    words = counted["top_words"] if "top_words" in counted else pd.Series(dtype=object)
    rows["key_words"] = rows["theme_id"].map(lambda t: _key_words(words.get(t, []))).astype("string")
    rows["size"] = rows["theme_id"].map(counted["size"]).fillna(0).astype("int64")
    rows["merged_from"] = rows["theme_id"].map(counted.get("merged_from", pd.Series(dtype="string"))).astype("string")
    rows["auto_label"] = rows["label"]
    rows["reviewed"] = rows["reviewer"].notna()
    rows["excluded"] = rows["status"].eq("excluded").fillna(False).astype(bool)
    rows["split_requested"] = rows["split_note"].notna()
    cols = ["theme_id", "label", "auto_label", "description", "stance", "key_words", "size", "status", "merged_into",
            "source", "first_seen", "reviewed", "reviewer", "reviewed_on", "excluded", "split_requested", "split_note",
            "merged_from"]
    out = rows.loc[:, cols].copy()
    for col in ("label", "auto_label", "description", "stance", "status", "source", "first_seen", "reviewer",
                "reviewed_on", "split_note"):
        out[col] = out[col].astype("string")
    return out.sort_values("theme_id").reset_index(drop=True)


def quote_markdown(text: str) -> str:
    """A quote made safe to show as Markdown: HTML escaped, Markdown markup characters escaped."""
    import html

    escaped = html.escape(" ".join(str(text).split()), quote=False)
    return re.sub(r"([\\`*_#\[\]|])", r"\\\1", escaped)


# Figures, ground-truth scoring and the channel table live in their own modules (which share
# analysis.themes.frames with this one); they are re-exported so that notebooks keep one short name
# for the theme tables' whole reader surface (``from analysis.themes import tables as tt``).
from analysis.themes.channels import CHANNEL_BANDS, channel_sentences, channel_table  # noqa: E402, F401
from analysis.themes.theme_figures import (  # noqa: E402, F401
    alt_group_heatmap,
    alt_theme_sizes,
    alt_theme_trends,
    document_map_html,
    plot_group_heatmap,
    plot_theme_sizes,
    plot_theme_trends,
    suppressed_groups,
    suppressed_groups_of,
)
from analysis.themes.truth import (  # noqa: E402, F401
    codebook_recovery,
    ground_truth_labels,
    ground_truth_scores,
    quality_sentences,
)
