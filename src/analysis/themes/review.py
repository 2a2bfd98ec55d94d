"""Human review of themes that sticks from one run to the next.

Two files, with different jobs
------------------------------
**Review sheet (output).** Every run writes
``<output_dir>/tables/theme_review_<cycle>.csv``: one row per theme with its
permanent id, automatic label, key words, size, registry status, up to five
de-identified example quotes, and the analyst columns already filled in from
the current decisions. It is part of the report build and is rewritten on
every run.

**Decisions file (analyst input, committed).** ``<review_dir>/<cycle>.csv``
(default ``config/reviews/<cycle>.csv``). If it does not exist, the run writes
the review sheet there as a template *without the example quotes*: the config
folder is committed to version control and free text from respondents does
not belong in version control. The analyst fills in, per theme:

=============  ==============================================================
``label``      a better display name (blank keeps the automatic label)
``merge_into`` the id of another theme this one should be folded into
``split_note`` a note asking for a split; recorded and shown as "split
               requested" (splitting needs a re-fit, so nothing is split here)
``exclude``    ``yes`` to drop the theme from reported tables; its comments are
               counted as "excluded by reviewer"
``reviewer``   initials; required on any row with a decision
``reviewed_on`` date, ``YYYY-MM-DD``
=============  ==============================================================

The next run validates the file strictly (:func:`read_decisions`,
:func:`validate_decisions`) and applies it (:func:`apply_decisions`) before
anything is counted or reported. Theme ids are the registry's permanent ids,
so decisions survive reruns of the same cycle.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from analysis.core import paths, vocab
from analysis.core.errors import InputFileError
from analysis.present.exports import write_csv

N_EXAMPLES = 5
EXAMPLE_COLUMNS: tuple[str, ...] = tuple(f"example_{i}" for i in range(1, N_EXAMPLES + 1))
#: Columns the run fills in (read-only for the analyst; ignored when decisions are read).
INFO_COLUMNS: tuple[str, ...] = ("theme_id", "auto_label", "top_words", "size", "status", *EXAMPLE_COLUMNS)
#: Columns the analyst fills in.
ANALYST_COLUMNS: tuple[str, ...] = ("label", "merge_into", "split_note", "exclude", "reviewer", "reviewed_on")
SHEET_COLUMNS: tuple[str, ...] = (*INFO_COLUMNS, *ANALYST_COLUMNS)
#: The decisions template: the sheet without quotes (it is committed to version control).
TEMPLATE_COLUMNS: tuple[str, ...] = tuple(c for c in SHEET_COLUMNS if c not in EXAMPLE_COLUMNS)
#: What readers see for comments in an excluded theme.
EXCLUDED_LABEL = "Excluded by reviewer"
DEFAULT_REVIEW_DIR = Path("config/reviews")

_YES = {"yes", "y"}
_NO = {"", "no", "n"}
_INT = re.compile(r"^\s*-?\d+\s*$")


class ReviewResult(NamedTuple):
    """Themes and assignments after the analyst's decisions.

    Attributes
    ----------
    assignments
        Input rows with ``theme_id`` remapped by merges, ``original_theme_id`` and
        ``excluded`` (bool: the comment's theme was excluded by the reviewer).
    themes
        One row per theme that survives merging: ``theme_id``, ``label`` (reviewer's label
        or the automatic one), ``auto_label``, ``top_words``, ``size`` (recounted after
        merges), ``reviewed`` (a person signed the row), ``reviewer``, ``reviewed_on``,
        ``merged_from`` ("101; 104"), ``excluded``, ``split_requested``, ``split_note``,
        plus any other columns of the input themes.
    """

    assignments: pd.DataFrame
    themes: pd.DataFrame


# --------------------------------------------------------------------------- paths
def decisions_path(cycle: str, review_dir: str | Path | None = None) -> Path:
    """The decisions file for a cycle: ``<review_dir>/<cycle>.csv`` (default ``config/reviews``)."""
    return paths.resolve(review_dir if review_dir is not None else DEFAULT_REVIEW_DIR) / f"{cycle}.csv"


def review_sheet_path(output_dir: str | Path, cycle: str) -> Path:
    """Where the run writes its review sheet: ``<output_dir>/tables/theme_review_<cycle>.csv``."""
    return Path(output_dir) / "tables" / f"theme_review_{cycle}.csv"


# --------------------------------------------------------------------------- the sheet
def empty_decisions() -> pd.DataFrame:
    """Decisions with no rows, typed as :func:`read_decisions` returns them."""
    return _typed_decisions(pd.DataFrame({c: [] for c in ("row", "theme_id", *ANALYST_COLUMNS, "reviewed_words")}))


def _typed_decisions(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["row"] = out["row"].astype("int64")
    out["theme_id"] = out["theme_id"].astype("int64")
    out["merge_into"] = out["merge_into"].astype("Int64")
    out["exclude"] = out["exclude"].astype(bool)
    for col in ("label", "split_note", "reviewer", "reviewed_on", "reviewed_words"):
        out[col] = out[col].astype("string")
    return out.reset_index(drop=True)


def review_sheet(themes: pd.DataFrame, quotes: pd.DataFrame | None = None,
                 decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Build the review sheet: one row per theme, analyst columns pre-filled from decisions.

    Parameters
    ----------
    themes
        ``theme_id``, ``label`` (or ``auto_label``), ``top_words`` (str or list), ``size``,
        optional ``status``. Reserved ids (-1, -2) are left out: they are not themes.
    quotes
        ``theme_id``, ``quote``, in order of preference (e.g. from
        :func:`analysis.themes.tables.select_quotes`); the first five per theme are used.
    decisions
        Current decisions (:func:`read_decisions`), so the sheet shows what is in force.

    Returns
    -------
    pd.DataFrame
        Columns :data:`SHEET_COLUMNS`, sorted by theme id.
    """
    label_col = "auto_label" if "auto_label" in themes.columns else "label"
    sheet = pd.DataFrame({
        "theme_id": themes["theme_id"].astype("int64"),
        "auto_label": themes[label_col].astype("string"),
        "top_words": themes["top_words"].map(_join_words).astype("string") if "top_words" in themes else "",
        "size": pd.to_numeric(themes["size"]).astype("Int64"),
        "status": themes["status"].astype("string") if "status" in themes else pd.NA,
    })
    sheet = sheet[sheet["theme_id"] > 0].sort_values("theme_id").reset_index(drop=True)
    for col in EXAMPLE_COLUMNS:
        sheet[col] = pd.Series(pd.NA, index=sheet.index, dtype="string")
    if quotes is not None and len(quotes):
        ranked = quotes.assign(_k=quotes.groupby("theme_id").cumcount())
        ranked = ranked[ranked["_k"] < N_EXAMPLES]
        wide = ranked.pivot(index="theme_id", columns="_k", values="quote")
        for k in wide.columns:
            values = sheet["theme_id"].map(wide[k])
            sheet[EXAMPLE_COLUMNS[int(k)]] = values.astype("string")
    for col in ANALYST_COLUMNS:
        sheet[col] = pd.Series(pd.NA, index=sheet.index, dtype="string")
    if decisions is not None and len(decisions):
        d = decisions.set_index("theme_id")
        for col in ANALYST_COLUMNS:
            values = sheet["theme_id"].map(d[col])
            if col == "exclude":
                values = values.map({True: "yes", False: pd.NA})
            sheet[col] = values.astype("string")
        sheet["merge_into"] = sheet["merge_into"].str.replace(r"\.0$", "", regex=True)
    return sheet.loc[:, list(SHEET_COLUMNS)]


def _join_words(value: object) -> str:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist") and not isinstance(value, str):
        return "; ".join(str(w) for w in list(value))
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def write_review_sheet(sheet: pd.DataFrame, path: str | Path) -> Path:
    """Write the review sheet (UTF-8 with a byte-order mark so that Excel shows accents)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(sheet.loc[:, list(SHEET_COLUMNS)], path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def write_decisions_template(sheet: pd.DataFrame, path: str | Path) -> bool:
    """Write the decisions template (the sheet without quotes) if no decisions file exists yet.

    Returns
    -------
    bool
        True if a template was written; False if a decisions file was already there
        (it is analyst input and is never overwritten).
    """
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(sheet.loc[:, list(TEMPLATE_COLUMNS)], path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return True


# --------------------------------------------------------------------------- reading decisions
def _read_csv_text(path: Path) -> pd.DataFrame:
    # Analysts edit this in Excel, which saves UTF-8 with a BOM or Windows-1252.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            raise InputFileError(path, f"not a readable CSV ({exc})") from None
        except pd.errors.EmptyDataError:
            raise InputFileError(path, "file is empty; it needs at least a header row with theme_id") from None
    raise InputFileError(path, "cannot decode the file; save it as CSV UTF-8")


def read_decisions(path: str | Path) -> pd.DataFrame:
    """Read and check a decisions file on its own (structure, types, values).

    Checks that need this run's themes are in :func:`validate_decisions`.

    Parameters
    ----------
    path
        The decisions CSV. A missing file means "no decisions yet" (empty result).

    Returns
    -------
    pd.DataFrame
        One row per theme that has a decision or a reviewer: ``row`` (spreadsheet row,
        header = 1), ``theme_id``, ``label``, ``merge_into`` (Int64), ``split_note``,
        ``exclude`` (bool), ``reviewer``, ``reviewed_on`` (ISO date string), and
        ``reviewed_words`` (the key words the sheet showed, for :func:`decision_drift`).

    Raises
    ------
    InputFileError
        Naming the file, row and column: unknown or missing columns, a non-integer id,
        a repeated theme, an ``exclude`` other than yes/blank, a bad date, a decision
        without reviewer initials, a merge combined with a label or an exclusion.
    """
    path = Path(path)
    if not path.exists():
        return empty_decisions()
    raw = _read_csv_text(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in SHEET_COLUMNS]
    if unknown:
        raise InputFileError(path, f"unknown column {unknown[0]!r}; allowed columns are {list(SHEET_COLUMNS)}",
                             row=1, column=unknown[0])
    if "theme_id" not in raw.columns:
        raise InputFileError(path, "missing the theme_id column", row=1)
    for col in ANALYST_COLUMNS:
        if col not in raw.columns:
            raw[col] = ""
    raw = raw.apply(lambda s: s.str.strip())

    records = []
    seen: dict[int, int] = {}
    for i, r in raw.iterrows():
        line = int(i) + 2
        if all(v == "" for v in r.to_numpy()):
            continue  # Excel leaves blank lines behind
        if not _INT.match(r["theme_id"]):
            raise InputFileError(path, f"theme_id {r['theme_id']!r} is not a whole number", row=line,
                                 column="theme_id")
        tid = int(r["theme_id"])
        if tid in seen:
            raise InputFileError(path, f"theme {tid} is listed twice (also on row {seen[tid]})", row=line,
                                 column="theme_id")
        seen[tid] = line
        merge = r["merge_into"]
        if merge and not _INT.match(merge):
            raise InputFileError(path, f"merge_into {merge!r} is not a theme id (a whole number)", row=line,
                                 column="merge_into")
        exclude = r["exclude"].lower()
        if exclude not in _YES | _NO:
            raise InputFileError(path, f"exclude must be 'yes' or blank, not {r['exclude']!r}", row=line,
                                 column="exclude")
        reviewed_on = r["reviewed_on"]
        if reviewed_on:
            try:
                reviewed_on = dt.date.fromisoformat(reviewed_on).isoformat()
            except ValueError:
                raise InputFileError(path, f"reviewed_on {r['reviewed_on']!r} is not a date written YYYY-MM-DD",
                                     row=line, column="reviewed_on") from None
        has_decision = bool(r["label"] or merge or r["split_note"] or exclude in _YES)
        if has_decision and not r["reviewer"]:
            raise InputFileError(path, "a decision needs the reviewer's initials", row=line, column="reviewer")
        if merge and exclude in _YES:
            raise InputFileError(path, "a theme cannot be both merged and excluded; choose one", row=line,
                                 column="exclude")
        if merge and r["label"]:
            raise InputFileError(path, "a merged theme takes the label of the theme it merges into; "
                                 "put the label on that theme's row", row=line, column="label")
        if not (has_decision or r["reviewer"] or reviewed_on):
            continue
        records.append({
            "row": line, "theme_id": tid, "label": r["label"] or pd.NA,
            "merge_into": int(merge) if merge else pd.NA, "split_note": r["split_note"] or pd.NA,
            "exclude": exclude in _YES, "reviewer": r["reviewer"] or pd.NA, "reviewed_on": reviewed_on or pd.NA,
            "reviewed_words": r["top_words"] if "top_words" in r.index and r["top_words"] else pd.NA,
        })
    if not records:
        return empty_decisions()
    return _typed_decisions(pd.DataFrame(records))


def validate_decisions(decisions: pd.DataFrame, theme_ids: list[int] | set[int] | pd.Series, *,
                       path: str | Path) -> pd.DataFrame:
    """Check decisions against this run's themes.

    Parameters
    ----------
    decisions
        From :func:`read_decisions`.
    theme_ids
        Permanent ids of the themes this run found (reserved ids -1/-2 are not reviewable).
    path
        The decisions file, named in error messages.

    Returns
    -------
    pd.DataFrame
        ``decisions`` unchanged, once valid.

    Raises
    ------
    InputFileError
        Unknown theme id, merge into an unknown theme, into itself, into a theme that is
        itself merged (chains and cycles) or into an excluded theme.
    """
    known = {int(t) for t in theme_ids if int(t) > 0}
    merged = dict(zip(decisions["theme_id"], decisions["merge_into"], strict=True))
    excluded = set(decisions.loc[decisions["exclude"], "theme_id"])
    for d in decisions.itertuples():
        if d.theme_id not in known:
            raise InputFileError(path, f"theme {d.theme_id} is not a theme of this run "
                                 f"(known ids: {_short_list(known)}). Theme ids come from the theme registry: if "
                                 "this cycle follows an earlier one, run the earlier cycle first (make report does), "
                                 "or correct the id", row=d.row, column="theme_id")
        if pd.isna(d.merge_into):
            continue
        target = int(d.merge_into)
        if target == d.theme_id:
            raise InputFileError(path, f"theme {target} cannot be merged into itself", row=d.row, column="merge_into")
        if target not in known:
            raise InputFileError(path, f"merge_into {target} is not a theme of this run "
                                 f"(known ids: {_short_list(known)})", row=d.row, column="merge_into")
        if not pd.isna(merged.get(target, pd.NA)):
            chain = _chain(d.theme_id, merged)
            kind = "a cycle" if chain[-1] in chain[:-1] else "a chain"
            raise InputFileError(path, f"merges form {kind} ({' -> '.join(map(str, chain))}); merge every "
                                 "theme directly into the one that is kept", row=d.row, column="merge_into")
        if target in excluded:
            raise InputFileError(path, f"theme {target} is excluded, so nothing can be merged into it; "
                                 "exclude this theme too instead", row=d.row, column="merge_into")
    return decisions


def _chain(start: int, merged: dict) -> list[int]:
    chain = [start]
    while not pd.isna(merged.get(chain[-1], pd.NA)):
        chain.append(int(merged[chain[-1]]))
        if chain[-1] in chain[:-1]:
            break
    return chain


def _short_list(ids: set[int], limit: int = 12) -> str:
    ordered = sorted(ids)
    text = ", ".join(map(str, ordered[:limit]))
    return text + (", ..." if len(ordered) > limit else "") if ordered else "none"


def load_decisions(path: str | Path, theme_ids: list[int] | set[int] | pd.Series) -> pd.DataFrame:
    """:func:`read_decisions` then :func:`validate_decisions` (the usual way in)."""
    return validate_decisions(read_decisions(path), theme_ids, path=path)


def split_vanished(decisions: pd.DataFrame, theme_ids: list[int] | set[int] | pd.Series,
                   registry_ids: list[int] | set[int] | pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside decisions about themes this run did not find.

    A theme reviewed last time may not come back (the comments changed, or the model found
    other themes), and a decisions file written on another machine may name ids this
    machine's registry never gave. Either way the decision is withheld and listed for the
    analyst, never applied to another theme and never a crash; ``reason`` says which case it
    is, so a mistyped id stands out. ``python -m analysis review-check`` still refuses ids
    that are not themes of the cycle.

    Parameters
    ----------
    decisions
        From :func:`read_decisions`.
    theme_ids
        Ids of the themes this run found.
    registry_ids
        Every id the theme registry has ever given (any cycle).

    Returns
    -------
    (kept, withheld)
        ``withheld`` has the columns of :func:`decision_drift` (``row, theme_id, words_then,
        words_now, overlap``) plus ``reason``, so both kinds of withheld decision are listed together.
    """
    found = {int(t) for t in theme_ids}
    known = {int(t) for t in registry_ids} | found
    merge_target = pd.to_numeric(decisions["merge_into"], errors="coerce")
    missing_theme = ~decisions["theme_id"].astype(int).isin(found)
    missing_target = merge_target.notna() & ~merge_target.fillna(0).astype(int).isin(found)
    gone = (missing_theme | missing_target).to_numpy()
    withheld = decisions[gone]
    ids = withheld["theme_id"].astype(int).to_numpy()
    # The id that is missing: the theme itself, or the theme it was to be merged into.
    absent = [int(t) if m else int(target) for t, m, target in
              zip(withheld["theme_id"], missing_theme[gone], merge_target[gone], strict=True)]
    listed = pd.DataFrame({
        "row": withheld["row"].astype(int).to_numpy(), "theme_id": ids,
        "words_then": (withheld["reviewed_words"].fillna("").astype(str).to_numpy()
                       if "reviewed_words" in withheld else ""),
        "words_now": "", "overlap": 0.0,
        "reason": [f"theme {a} was not found this run" if a in known else
                   f"theme {a} was never given by this machine's theme registry (check the id)" for a in absent],
    }, columns=["row", "theme_id", "words_then", "words_now", "overlap", "reason"])
    return decisions[~gone], listed.reset_index(drop=True)


# --------------------------------------------------------------------------- applying
def apply_decisions(assignments: pd.DataFrame, themes: pd.DataFrame, decisions: pd.DataFrame, *,
                    theme_column: str = "theme_id") -> ReviewResult:
    """Apply validated decisions: rename, merge, exclude, record split requests.

    Parameters
    ----------
    assignments
        One row per comment with ``theme_column`` (permanent id, or -1/-2).
    themes
        One row per theme: ``theme_id``, ``label`` or ``auto_label``, ``top_words``, ...
    decisions
        From :func:`load_decisions` (already validated against these themes).

    Returns
    -------
    ReviewResult
        See :class:`ReviewResult`. Sizes are the number of comments per theme after merging.
    """
    merge = {int(d.theme_id): int(d.merge_into) for d in decisions.itertuples() if not pd.isna(d.merge_into)}
    out = assignments.copy()
    original = pd.to_numeric(out[theme_column]).astype("int64")
    out["original_theme_id"] = original
    out[theme_column] = original.map(lambda t: merge.get(int(t), int(t))).astype("int64")
    excluded_ids = set(decisions.loc[decisions["exclude"], "theme_id"].astype(int))
    out["excluded"] = out[theme_column].isin(list(excluded_ids))

    t = themes.copy()
    if "auto_label" not in t.columns:
        t["auto_label"] = t["label"]
    t["auto_label"] = t["auto_label"].astype("string")
    t["theme_id"] = t["theme_id"].astype("int64")
    t = t[~t["theme_id"].isin(list(merge))].copy()
    d = decisions.set_index("theme_id")
    lookup = lambda col: t["theme_id"].map(d[col]) if len(d) else pd.Series(pd.NA, index=t.index)  # noqa: E731
    t["label"] = lookup("label").astype("string").fillna(t["auto_label"])
    t["reviewer"] = lookup("reviewer").astype("string")
    t["reviewed_on"] = lookup("reviewed_on").astype("string")
    t["reviewed"] = t["reviewer"].notna()
    t["split_note"] = lookup("split_note").astype("string")
    t["split_requested"] = t["split_note"].notna()
    t["excluded"] = t["theme_id"].isin(list(excluded_ids))
    sources: dict[int, list[int]] = {}
    for src, dst in sorted(merge.items()):
        sources.setdefault(dst, []).append(src)
    t["merged_from"] = t["theme_id"].map(lambda x: "; ".join(map(str, sources.get(int(x), [])))).astype("string")
    counts = out[theme_column].value_counts()
    t["size"] = t["theme_id"].map(counts).fillna(0).astype("int64")
    return ReviewResult(out, t.sort_values("theme_id").reset_index(drop=True))


def _word_set(value: object) -> set[str]:
    return {w.strip().lower() for w in _join_words(value).split(";") if w.strip()}


def decision_drift(decisions: pd.DataFrame, themes: pd.DataFrame, *, min_overlap: float = 0.3) -> pd.DataFrame:
    """Decisions whose theme no longer looks like the theme the reviewer saw.

    Theme ids are stable through the registry, but if the data, the settings or the code
    change before a cycle is rerun, an id may come to hold a different theme. The key words
    recorded in the decisions file (from the sheet the reviewer edited) are compared with
    this run's: a word overlap (Jaccard) under ``min_overlap`` is listed, so the analyst can
    check the decision before the report is published.

    Returns
    -------
    pd.DataFrame
        ``row, theme_id, words_then, words_now, overlap`` for the doubtful decisions.
    """
    now = dict(zip(themes["theme_id"].astype(int), themes["top_words"], strict=True)) if "top_words" in themes else {}
    rows = []
    for d in decisions.itertuples():
        if pd.isna(d.reviewed_words) or int(d.theme_id) not in now:
            continue
        then, current = _word_set(d.reviewed_words), _word_set(now[int(d.theme_id)])
        overlap = len(then & current) / len(then | current) if then | current else 1.0
        if overlap < min_overlap:
            rows.append({"row": int(d.row), "theme_id": int(d.theme_id), "words_then": "; ".join(sorted(then)),
                         "words_now": "; ".join(sorted(current)), "overlap": overlap})
    return pd.DataFrame(rows, columns=["row", "theme_id", "words_then", "words_now", "overlap"])


def reviewed_mark(themes: pd.DataFrame) -> pd.Series:
    """A short mark for tables: "✓ AB 2025-11-20" for themes a person reviewed, "" otherwise."""
    def mark(row: pd.Series) -> str:
        if not bool(row.get("reviewed", False)):
            return ""
        parts = ["✓", str(row["reviewer"])]
        if not pd.isna(row.get("reviewed_on", pd.NA)):
            parts.append(str(row["reviewed_on"]))
        return " ".join(parts)
    return themes.apply(mark, axis=1).astype("string") if len(themes) else pd.Series(dtype="string")


def decision_summary(decisions: pd.DataFrame) -> dict[str, int]:
    """Counts of decisions by kind (for the report and the recorded results)."""
    return {
        "renamed": int(decisions["label"].notna().sum()),
        "merged": int(decisions["merge_into"].notna().sum()),
        "excluded": int(decisions["exclude"].sum()),
        "split_requested": int(decisions["split_note"].notna().sum()),
        "reviewed_rows": int(decisions["reviewer"].notna().sum()),
    }


def reserved_label(theme_id: int) -> str | None:
    """Label of a reserved theme id (-1 unassigned, -2 no substantive answer), else None."""
    return {vocab.OUTLIER_THEME_ID: vocab.OUTLIER_THEME_LABEL,
            vocab.NON_ANSWER_THEME_ID: vocab.NON_ANSWER_THEME_LABEL}.get(int(theme_id))
