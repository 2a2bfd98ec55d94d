"""Human review of themes: the theme book is the record of every decision.

Reviewing is editing the committed theme book (:mod:`analysis.themes.book`):

=====================  ==========================================================
rename                 change ``name`` (codebook themes keep their codebook name)
merge                  ``status: merged`` and ``merged_into: <id>``; its answers then
                       count under that theme, and actions linked to it follow
exclude                ``status: excluded``; its answers are counted as
                       "excluded by reviewer" and it is left out of the tables
split                  ``split_requested: <note>``; shown as "split requested"
accept a candidate     ``python -m analysis review-accept CONFIG ID ...`` copies a
                       candidate (with its centroid) from the run's review folder
                       into the book under a permanent id
sign off               ``reviewer`` (initials) and ``reviewed_on`` (YYYY-MM-DD)
=====================  ==========================================================

Every run writes a **review folder** (``themes.review_dir``/<cycle>, git-ignored, never
published): ``theme_review.csv`` (every theme with its key words, size and up to five
de-identified example quotes) and ``candidates.yaml`` plus ``candidates.centroids.csv``
(the candidates as a small book). Quotes never go into the committed book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.present.exports import write_csv
from analysis.themes.book import (
    ThemeBook,
    ThemeBookError,
    load_book,
    save_book,
    validate_book,
    withheld_merges,
)

N_EXAMPLES = 5
EXAMPLE_COLUMNS: tuple[str, ...] = tuple(f"example_{i}" for i in range(1, N_EXAMPLES + 1))
SHEET_COLUMNS: tuple[str, ...] = ("theme_id", "status", "source", "name", "stance", "key_words", "size",
                                  "reviewer", "reviewed_on", *EXAMPLE_COLUMNS)
#: What readers see for comments in an excluded theme.
EXCLUDED_LABEL = "Excluded by reviewer"
SHEET_NAME = "theme_review.csv"
CANDIDATES_NAME = "candidates.yaml"


def _join_words(value: object) -> str:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist") and not isinstance(value, str):
        return "; ".join(str(w) for w in list(value))
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def review_sheet(themes: pd.DataFrame, quotes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per theme for the reviewer, with up to five example quotes.

    Parameters
    ----------
    themes
        :attr:`analysis.themes.pipeline.ThemedAnswers.themes`.
    quotes
        ``theme_id, quote`` in order of preference (:func:`analysis.themes.tables.select_quotes`).

    Returns
    -------
    pd.DataFrame
        Columns :data:`SHEET_COLUMNS`, sorted by theme id.
    """
    sheet = pd.DataFrame({
        "theme_id": themes["theme_id"].astype("int64"),
        "status": themes["status"].astype("string"),
        "source": themes["source"].astype("string"),
        "name": themes["label"].astype("string"),
        "stance": themes["stance"].astype("string") if "stance" in themes else pd.NA,
        "key_words": themes["top_words"].map(_join_words).astype("string"),
        "size": pd.to_numeric(themes["size"]).astype("Int64"),
        "reviewer": themes["reviewer"].astype("string"),
        "reviewed_on": themes["reviewed_on"].astype("string"),
    })
    sheet = sheet[sheet["theme_id"] > 0].sort_values("theme_id").reset_index(drop=True)
    for col in EXAMPLE_COLUMNS:
        sheet[col] = pd.Series(pd.NA, index=sheet.index, dtype="string")
    if quotes is not None and len(quotes):
        ranked = quotes.assign(_k=quotes.groupby("theme_id").cumcount())
        ranked = ranked[ranked["_k"] < N_EXAMPLES]
        wide = ranked.pivot(index="theme_id", columns="_k", values="quote")
        for k in wide.columns:
            sheet[EXAMPLE_COLUMNS[int(k)]] = sheet["theme_id"].map(wide[k]).astype("string")
    return sheet.loc[:, list(SHEET_COLUMNS)]


def write_review_folder(sheet: pd.DataFrame, candidates: ThemeBook | None, folder: str | Path) -> Path:
    """Write the review sheet and the candidates (replacing the previous run's) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(sheet, folder / SHEET_NAME, index=False, encoding="utf-8-sig", lineterminator="\n")
    target = folder / CANDIDATES_NAME
    if candidates is not None:
        save_book(candidates, target)
    else:
        for stale in (target, target.with_name("candidates.centroids.csv")):
            stale.unlink(missing_ok=True)
    return folder


def book_review_summary(book: ThemeBook | None, withheld: pd.DataFrame | None = None) -> dict[str, int]:
    """Counts of the decisions in force in the book (for the report and the recorded results)."""
    if book is None:
        return {"renamed": 0, "merged": 0, "excluded": 0, "split_requested": 0, "reviewed_rows": 0}
    withheld_ids = set(withheld["theme_id"].astype(int)) if withheld is not None and len(withheld) else set()
    themes = book.themes
    return {
        "renamed": sum(t.source == "model" and t.reviewer is not None and t.status == "active" for t in themes),
        "merged": sum(t.status == "merged" and t.id not in withheld_ids for t in themes),
        "excluded": sum(t.status == "excluded" for t in themes),
        "split_requested": sum(t.split_requested is not None for t in themes),
        "reviewed_rows": sum(t.reviewer is not None for t in themes),
    }


def accept_candidates(book: ThemeBook | None, candidates: ThemeBook, ids: Sequence[int], *, reviewer: str,
                      names: dict[int, str] | None = None, merge_into: dict[int, int] | None = None,
                      today: dt.date | None = None, programme: str | None = None) -> tuple[ThemeBook, dict[int, int]]:
    """Copy accepted candidates into the book under permanent ids.

    Parameters
    ----------
    book
        The current book, or None to start one from these candidates.
    candidates
        The run's candidates (its review folder's ``candidates.yaml``).
    ids
        Candidate ids to accept.
    reviewer
        Initials recorded as the sign-off.
    names, merge_into
        Optional new name, or an existing book theme to merge into, per candidate id.

    Returns
    -------
    tuple
        The new book (edition + 1) and candidate id -> permanent id.

    Raises
    ------
    ThemeBookError
        An id that is not a candidate, a codebook id the book already holds, or a merge
        into a theme the book does not have.
    """
    names, merge_into = names or {}, merge_into or {}
    by_id = {t.id: t for t in candidates.themes}
    unknown = sorted(set(ids) - set(by_id))
    if unknown:
        raise ThemeBookError(f"candidate id(s) {unknown} are not in {CANDIDATES_NAME} "
                             f"(candidates: {sorted(by_id)})")
    if not reviewer.strip():
        raise ThemeBookError("accepting a candidate needs the reviewer's initials (--reviewer)")
    themes = list(book.themes) if book else []
    centroids = dict(book.centroids) if book else {}
    taken = {t.id for t in themes}
    next_id = book.next_id() if book else 100
    date = (today or dt.date.today()).isoformat()
    given: dict[int, int] = {}
    for cid in ids:
        cand = by_id[cid]
        if cand.source == "codebook":
            if cid in taken:
                raise ThemeBookError(f"candidate {cid}: codebook theme {cid} is already in the theme book")
            new_id = cid
        else:
            new_id, next_id = next_id, next_id + 1
        target = merge_into.get(cid)
        if target is not None and target not in taken:
            raise ThemeBookError(f"candidate {cid}: merge into {target}, which is not a theme of the book")
        themes.append(cand.model_copy(update={
            "id": new_id, "name": names.get(cid, cand.name), "reviewer": reviewer.strip(), "reviewed_on": date,
            "status": "merged" if target is not None else "active", "merged_into": target}))
        centroids[new_id] = candidates.centroids[cid]
        taken.add(new_id)
        given[cid] = new_id
    meta_source = book.meta if book else candidates.meta
    meta = meta_source.model_copy(update={
        "book_version": (book.meta.book_version + 1) if book else 1,
        "programme": programme or meta_source.programme,
        "themes": sorted(themes, key=lambda t: t.id)})
    validate_book(meta, centroids)
    return ThemeBook(meta=meta, centroids=centroids, path=book.path if book else None), given


def check_book(book_path: str | Path, run_themes: pd.DataFrame | None = None) -> list[str]:
    """What ``review-check`` prints: problems (errors raise) and notes on the book.

    Parameters
    ----------
    book_path
        The theme book.
    run_themes
        The last run's ``themes.parquet``, if any: themes of the book the run never saw
        are listed.

    Returns
    -------
    list[str]
        Notes (withheld merges, unsigned decisions); empty when all is well.

    Raises
    ------
    ThemeBookError
        The book is invalid (the message names the theme and key).
    """
    book = load_book(book_path)
    notes = []
    for r in withheld_merges(book).itertuples():
        notes.append(f"theme {r.theme_id} ({r.name}): merge into {r.merged_into} is withheld, "
                     f"because theme {r.merged_into} is {r.target_status}")
    for t in book.themes:
        if (t.status in ("merged", "excluded") or t.split_requested) and t.reviewer is None:
            notes.append(f"theme {t.id} ({t.name}): a decision ({t.status}"
                         f"{', split requested' if t.split_requested else ''}) with no reviewer: add your initials")
    if run_themes is not None and len(run_themes):
        seen = set(run_themes["theme_id"].astype(int))
        gone = [t.id for t in book.themes if t.status == "active" and t.id not in seen]
        if gone:
            notes.append(f"themes {gone} are in the book but were not in the last run: rerun to see them")
    return notes

