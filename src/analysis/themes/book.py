"""The theme book: the programme's committed, versioned list of themes.

A theme model numbers its clusters afresh on every fit, and refitting UMAP and
HDBSCAN reproduces them only on bit-identical arithmetic. The theme book turns
that around: themes are *analysts' knowledge*, committed beside the cycle
configuration, and a cycle run **assigns** comments to them instead of refitting.

Files (both committed, both diffable)
-------------------------------------
``config/themes/<programme>.yaml``
    One entry per theme: permanent ``id`` (codebook 1-99, model themes 100 up,
    never reused), ``name``, one-line ``description``, ``stance`` (praise /
    concern / suggestion / mixed), ``source`` (codebook / model), ``status``
    (active / merged / excluded / retired), ``merged_into``, ``split_requested``,
    ``first_seen`` (cycle), ``reviewer`` and ``reviewed_on``, ``key_words`` and
    ``examples`` (comment ids, which are keyed hashes and identify no one).
``config/themes/<programme>.centroids.csv``
    One row per theme id: its centroid in the encoder's space, fixed 6 decimals.

Assignment rule (documented in ``docs/methods.md``)
---------------------------------------------------
Each substantive answer's cosine similarity to every theme centroid is rounded
to :data:`SIMILARITY_DECIMALS` decimals, so that floating-point noise between
machines, libraries and CPU code paths (about 1e-6) cannot change a
comparison except exactly at a rounding boundary. The answer takes the most
similar theme if that similarity reaches the book's ``assign_threshold``;
**codebook themes first**: the best codebook theme wins when it is within
``codebook_margin`` of the best theme overall. Ties go to the lower id.
Answers no theme fits are the only ones a model is fitted on, to *discover*
candidate themes; candidates enter the book only when a person accepts them
(``python -m analysis review-accept``). Merged themes keep their centroid, so
answers like them are still found, and count under the theme they were
merged into; excluded themes keep theirs, so their answers are counted as
"excluded by reviewer" rather than drifting into another theme; retired
themes take no answers.

A run never writes the book. :func:`load_book` and :func:`save_book` are the
only functions here that touch files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.core import paths
from analysis.core.config import read_yaml
from analysis.core.errors import InputFileError, UserError
from analysis.present.exports import write_csv

#: Similarities are compared after rounding to this many decimals (see the module notes).
SIMILARITY_DECIMALS = 4
#: Codebook ids lie in 1..99; model themes get ids from 100 up.
CODEBOOK_ID_RANGE = (1, 99)
FIRST_MODEL_ID = 100

Stance = Literal["praise", "concern", "suggestion", "mixed"]
Status = Literal["active", "merged", "excluded", "retired"]
#: Statuses whose centroid takes answers (retired themes take none).
ASSIGNING_STATUSES: tuple[str, ...] = ("active", "merged", "excluded")
#: Status of a theme discovered this run and not yet accepted (never stored in the book).
CANDIDATE = "candidate"


class ThemeBookError(UserError):
    """The theme book is missing, malformed or inconsistent."""

    exit_code = 2


class BookTheme(BaseModel):
    """One theme of the book (one YAML entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1, description="Permanent id: codebook 1-99, model themes 100 up; never reused.")
    name: str = Field(min_length=1, max_length=80, description="What readers see.")
    description: str = Field("", max_length=300, description="One sentence saying what the theme is about.")
    stance: Stance | None = Field(None, description="praise, concern, suggestion or mixed.")
    source: Literal["codebook", "model"]
    status: Status = "active"
    merged_into: int | None = Field(None, description="For status merged: the id it now counts under.")
    split_requested: str | None = Field(None, description="A reviewer's note asking for the theme to be split.")
    first_seen: str | None = Field(None, description="Cycle in which the theme was first raised.")
    reviewer: str | None = Field(None, max_length=40, description="Initials of the person who signed it off.")
    reviewed_on: str | None = Field(None, description="ISO date of that sign-off.")
    key_words: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list, description="Comment ids of typical answers (keyed hashes).")
    questions: list[str] = Field(default_factory=list, description="Questions it was written for (codebook).")

    @field_validator("reviewed_on")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pd.Timestamp(value)
            except ValueError as error:
                raise ValueError(f"reviewed_on {value!r} is not a date (YYYY-MM-DD)") from error
        return value


class BookFile(BaseModel):
    """The whole YAML file."""

    model_config = ConfigDict(extra="forbid")

    book_version: int = Field(ge=1, description="Edition of the book; bumped whenever themes are accepted.")
    programme: str = Field(min_length=1)
    embedding_model_sha256: str = Field(min_length=64, max_length=64,
                                        description="Encoder whose space the centroids live in.")
    assign_threshold: float = Field(0.5, gt=0, lt=1, description="Cosine similarity an answer needs to take a theme.")
    codebook_margin: float = Field(0.03, ge=0, lt=1, description="Codebook themes win within this of the best.")
    themes: list[BookTheme]


@dataclass(frozen=True)
class ThemeBook:
    """A loaded, checked theme book: the YAML entries plus their centroids."""

    meta: BookFile
    centroids: dict[int, np.ndarray]
    path: Path | None = None

    @property
    def themes(self) -> list[BookTheme]:
        return self.meta.themes

    def theme(self, theme_id: int) -> BookTheme:
        for t in self.meta.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def ids(self) -> list[int]:
        return [t.id for t in self.meta.themes]

    def next_id(self) -> int:
        """The next model-theme id (ids are never reused, so this is above every id ever given)."""
        return max([FIRST_MODEL_ID - 1, *self.ids()]) + 1

    def counted_as(self, theme_id: int) -> int:
        """The id a theme's answers count under: follows ``merged_into`` to its end.

        A merge into a retired or excluded theme is **withheld** (see :func:`withheld_merges`):
        the theme then counts as itself, so a decision never lands on a theme that is gone.
        """
        seen: list[int] = []
        current = theme_id
        while True:
            t = self.theme(current)
            if t.status != "merged" or self.theme(int(t.merged_into)).status in ("retired", "excluded"):
                return current
            seen.append(current)
            current = int(t.merged_into)  # checked by validate_book
            if current in seen:  # pragma: no cover - validate_book rejects cycles
                raise ThemeBookError(f"theme book: merge cycle {seen}")


# --------------------------------------------------------------------------- checks
def withheld_merges(book: ThemeBook) -> pd.DataFrame:
    """Merges not applied because their target is retired or excluded (listed in the report, never a crash).

    Returns
    -------
    pd.DataFrame
        ``theme_id, name, merged_into, target_status``.
    """
    by_id = {t.id: t for t in book.themes}
    rows = [{"theme_id": t.id, "name": t.name, "merged_into": t.merged_into,
             "target_status": by_id[t.merged_into].status}
            for t in book.themes
            if t.status == "merged" and by_id[t.merged_into].status in ("retired", "excluded")]
    return pd.DataFrame(rows, columns=["theme_id", "name", "merged_into", "target_status"])


def validate_book(meta: BookFile, centroids: dict[int, np.ndarray], *, where: str = "theme book") -> None:
    """Every rule a book must satisfy; one message naming each broken theme.

    Raises
    ------
    ThemeBookError
        Duplicate ids, ids outside their source's range, a merge into an unknown,
        retired or merged-in-a-loop theme, a missing centroid or centroids of mixed sizes.
    """
    problems: list[str] = []
    ids = [t.id for t in meta.themes]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"theme id(s) {dupes} appear more than once")
    by_id = {t.id: t for t in meta.themes}
    lo, hi = CODEBOOK_ID_RANGE
    for t in meta.themes:
        if t.source == "codebook" and not lo <= t.id <= hi:
            problems.append(f"theme {t.id}: codebook ids lie in {lo}-{hi}")
        if t.source == "model" and t.id < FIRST_MODEL_ID:
            problems.append(f"theme {t.id}: model theme ids start at {FIRST_MODEL_ID}")
        if (t.status == "merged") != (t.merged_into is not None):
            problems.append(f"theme {t.id}: status 'merged' and merged_into go together")
        if t.merged_into is not None:
            target = by_id.get(t.merged_into)
            if target is None:
                problems.append(f"theme {t.id}: merged_into {t.merged_into} is not a theme of the book")
        if t.status in ASSIGNING_STATUSES and t.id not in centroids:
            problems.append(f"theme {t.id}: no centroid in the centroids file")
    for t in meta.themes:  # merge chains must end
        seen, current = [t.id], t
        while current.status == "merged" and current.merged_into in by_id:
            current = by_id[current.merged_into]
            if current.id in seen:
                problems.append(f"themes {seen}: merges form a loop")
                break
            seen.append(current.id)
    sizes = {len(v) for v in centroids.values()}
    if len(sizes) > 1:
        problems.append(f"centroids have different lengths {sorted(sizes)}")
    if problems:
        raise ThemeBookError(f"{where}: " + "; ".join(problems))


# --------------------------------------------------------------------------- files
def centroids_path(book_path: str | Path) -> Path:
    """``<book>.centroids.csv`` beside ``<book>.yaml``."""
    p = Path(book_path)
    return p.with_name(p.stem + ".centroids.csv")


def _read_centroids(path: Path) -> dict[int, np.ndarray]:
    if not path.exists():
        raise ThemeBookError(f"{paths.shown(path)}: the theme book's centroids file is missing")
    try:
        frame = pd.read_csv(path, dtype={"theme_id": "int64"})
    except (ValueError, pd.errors.ParserError) as error:
        raise InputFileError(f"{paths.shown(path)}: not a centroids table ({error})") from error
    if "theme_id" not in frame.columns or frame.shape[1] < 2:
        raise ThemeBookError(f"{paths.shown(path)}: needs a theme_id column and one column per dimension")
    values = frame.drop(columns="theme_id").to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0]) + 2
        raise ThemeBookError(f"{paths.shown(path)}, row {row}: a centroid value is missing or not a number")
    dupes = frame["theme_id"][frame["theme_id"].duplicated()].tolist()
    if dupes:
        raise ThemeBookError(f"{paths.shown(path)}: theme id(s) {sorted(set(dupes))} appear more than once")
    return {int(i): _unit(v) for i, v in zip(frame["theme_id"], values, strict=True)}


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def load_book(path: str | Path) -> ThemeBook:
    """Read and check a theme book (YAML plus centroids).

    Raises
    ------
    ThemeBookError
        Missing file, unknown or duplicate keys, wrong types, or a rule of
        :func:`validate_book` broken; the message names the file and key.
    """
    book_path = paths.resolve(path)
    if not book_path.exists():
        raise ThemeBookError(f"{paths.shown(book_path)}: theme book not found (themes.book in the cycle config)")
    raw = read_yaml(book_path, "theme book")
    try:
        meta = BookFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["loc"][:1] == ("themes",) and len(first["loc"]) > 1 and isinstance(raw, dict):
            try:
                theme_id = raw["themes"][int(first["loc"][1])].get("id")
                where = f"theme {theme_id}, key {'.'.join(str(p) for p in first['loc'][2:])}"
            except (KeyError, IndexError, TypeError, AttributeError, ValueError):
                pass
        raise ThemeBookError(f"{paths.shown(book_path)}: {where}: {first['msg']}"
                             + (f" (and {len(error.errors()) - 1} more problem(s))" if len(error.errors()) > 1 else "")
                             ) from None
    centroids = _read_centroids(centroids_path(book_path))
    validate_book(meta, centroids, where=paths.shown(book_path))
    return ThemeBook(meta=meta, centroids=centroids, path=book_path)


def save_book(book: ThemeBook, path: str | Path) -> Path:
    """Write the YAML (stable key order, comments at the top) and the centroids (6 decimals, sorted)."""
    import yaml

    validate_book(book.meta, book.centroids)
    target = paths.resolve(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = book.meta.model_dump(mode="json", exclude_defaults=False)
    for t in data["themes"]:
        for key in [k for k, v in t.items() if v in (None, [], "")]:
            del t[key]
    header = ("# Theme book: the programme's themes, committed and versioned. Edit it to review themes\n"
              "# (rename: name; merge: status merged + merged_into; exclude: status excluded; split: split_requested)\n"
              "# and sign off with reviewer and reviewed_on. `python -m analysis review-check CONFIG` checks it.\n")
    target.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None), encoding="utf-8")
    ids = sorted(book.centroids)
    matrix = np.stack([book.centroids[i] for i in ids]) if ids else np.zeros((0, 0))
    frame = pd.DataFrame(matrix, columns=[f"d{k}" for k in range(matrix.shape[1])])
    frame.insert(0, "theme_id", ids)
    # Numbers only (text neutralising changes nothing here), through the project's one CSV writer.
    write_csv(frame, centroids_path(target), index=False, float_format="%.6f", lineterminator="\n")
    return target


def book_sha256(book_path: str | Path) -> str:
    """SHA-256 of the YAML and the centroids together (recorded in the run's results)."""
    p = paths.resolve(book_path)
    digest = hashlib.sha256(p.read_bytes())
    digest.update(centroids_path(p).read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- assignment
def assign_to_book(vectors: np.ndarray, book: ThemeBook, eligible: np.ndarray) -> pd.DataFrame:
    """Each answer's book theme by the documented rule (see the module notes).

    Parameters
    ----------
    vectors
        L2-normalised embeddings, one row per answer.
    book
        The loaded book.
    eligible
        Boolean mask of the answers that may take a theme (non-answers may not).

    Returns
    -------
    pd.DataFrame
        One row per answer, same order: ``book_theme_id`` (Int64; the theme whose centroid
        it took, NA if none), ``similarity`` (float, rounded; NaN where not eligible).
    """
    themes = [t for t in book.themes if t.status in ASSIGNING_STATUSES]
    n = len(vectors)
    out = pd.DataFrame({"book_theme_id": pd.array([pd.NA] * n, dtype="Int64"),
                        "similarity": np.full(n, np.nan)})
    if not themes or n == 0:
        return out
    ids = np.array([t.id for t in themes], dtype=np.int64)
    is_codebook = np.array([t.source == "codebook" for t in themes], dtype=bool)
    order = np.argsort(ids, kind="stable")  # ties go to the lower id
    ids, is_codebook = ids[order], is_codebook[order]
    centres = np.stack([book.centroids[int(i)] for i in ids]).astype(np.float64)
    X = np.asarray(vectors, dtype=np.float64)
    sims = np.round(X @ centres.T, SIMILARITY_DECIMALS)
    best = sims.argmax(axis=1)
    best_sim = sims[np.arange(n), best]
    if is_codebook.any():
        cb_sims = np.where(is_codebook[None, :], sims, -np.inf)
        cb_best = cb_sims.argmax(axis=1)
        cb_sim = cb_sims[np.arange(n), cb_best]
        prefer = cb_sim >= np.round(best_sim - book.meta.codebook_margin, SIMILARITY_DECIMALS)
        best = np.where(prefer, cb_best, best)
        best_sim = sims[np.arange(n), best]
    take = eligible & (best_sim >= book.meta.assign_threshold)
    out.loc[take, "book_theme_id"] = ids[best[take]]
    out["similarity"] = np.where(eligible, best_sim, np.nan)
    return out


def themes_frame(book: ThemeBook | None) -> pd.DataFrame:
    """The book as a table: one row per theme, with the id its answers count under (no rows without a book)."""
    rows = []
    for t in (book.themes if book is not None else []):
        rows.append({
            "theme_id": t.id, "label": t.name, "description": t.description, "stance": t.stance,
            "source": t.source,
            "book_status": "merged" if t.status == "merged" and book.counted_as(t.id) != t.id else
                           ("active" if t.status == "merged" else t.status),
            "merged_into": book.counted_as(t.id) if t.status == "merged" and book.counted_as(t.id) != t.id else None,
            "split_note": t.split_requested, "first_seen": t.first_seen, "reviewer": t.reviewer,
            "reviewed_on": t.reviewed_on, "top_words": "; ".join(t.key_words),
        })
    frame = pd.DataFrame(rows, columns=["theme_id", "label", "description", "stance", "source", "book_status",
                                        "merged_into", "split_note", "first_seen", "reviewer", "reviewed_on",
                                        "top_words"])
    frame["theme_id"] = frame["theme_id"].astype("int64")
    frame["merged_into"] = frame["merged_into"].astype("Int64")
    for col in ("label", "description", "stance", "source", "book_status", "split_note", "first_seen", "reviewer",
                "reviewed_on", "top_words"):
        frame[col] = frame[col].astype("string")
    return frame


def counted_ids(book: ThemeBook, raw_ids: pd.Series) -> pd.Series:
    """Map the themes answers took to the ids they count under (merges followed); NA stays NA."""
    lookup = {t.id: book.counted_as(t.id) for t in book.themes}
    return raw_ids.map(lambda v: pd.NA if pd.isna(v) else lookup[int(v)]).astype("Int64")


def lifecycle_status(book: ThemeBook, sizes: pd.Series, *, cycle: str, cycle_order: Sequence[str]) -> pd.DataFrame:
    """Each counted book theme's status this cycle: new, continuing or no longer raised.

    Parameters
    ----------
    sizes
        Answers per counted theme id this cycle (after merges).
    cycle, cycle_order
        This cycle and every cycle of the programme in order (``first_seen`` is compared with it).

    Returns
    -------
    pd.DataFrame
        ``theme_id, status, source, label, size, first_seen`` for active and excluded themes
        (merged themes are counted under their target; retired ones are gone).
    """
    rank = {c: i for i, c in enumerate(cycle_order)}
    here = rank.get(cycle, len(rank))
    rows = []
    for t in book.themes:
        if t.status not in ("active", "excluded"):
            continue
        size = int(sizes.get(t.id, 0))
        earlier = t.first_seen in rank and rank[t.first_seen] < here
        if size > 0:
            status = "continuing" if earlier else "new"
        elif earlier:
            status = "no longer raised"
        else:
            continue  # first seen in this or a later cycle and not raised here: not a theme of this cycle
        rows.append({"theme_id": t.id, "status": status, "source": t.source, "label": t.name, "size": size,
                     "first_seen": t.first_seen})
    return pd.DataFrame(rows, columns=["theme_id", "status", "source", "label", "size", "first_seen"])

