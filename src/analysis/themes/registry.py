"""Stable theme ids across cycles: the theme registry.

A theme model numbers its themes afresh every time it is fitted, so "topic 3"
this year and "topic 3" last year need not be the same theme. The registry
gives every theme a permanent id that reports, review decisions and the
actions log ("you said, we did") can refer to:

* codebook themes keep their codebook ids (1..99);
* a theme the model finds that matches an earlier cycle's theme (cosine
  similarity of centroids at or above ``themes.match_threshold``, matched one
  to one by the Hungarian algorithm) keeps that theme's id: **continuing**;
* any other theme gets the next id from 100 upward: **new**. Ids are never
  reused, not even ids from an earlier run of the same cycle;
* a theme raised in an earlier cycle and not matched this cycle is recorded as
  **no longer raised**.

Storage (chosen to be diffable and deterministic)
-------------------------------------------------
``theme_registry.csv`` is a long table with one row per cycle and theme id
(see :data:`REGISTRY_COLUMNS`), readable in a spreadsheet. Centroids sit
beside it in ``theme_registry_centroids.csv``: one row per cycle and theme id,
one column per embedding dimension, fixed 6-decimal format. Both files are
sorted the same way every time, so a rerun that changes nothing leaves them
byte-identical and a real change shows up as changed lines in a diff.

Rerunning a cycle (the review round trip reruns it) replaces that cycle's rows.
Themes are matched against the theme's latest appearance in an *earlier*
cycle and, for themes first created by a previous run of this same cycle,
against that run, so an unchanged rerun gives the same ids and statuses and
review decisions keep pointing at the same themes. An id created by an earlier
run of the cycle that the rerun no longer produces is kept as **retired** so it
is never handed to a different theme.

The matching functions are pure; :func:`load_registry` and
:func:`save_registry` are the only functions that touch files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.core import paths, vocab
from analysis.core.errors import InputFileError, UserError
from analysis.present.exports import write_csv

#: Default registry location, relative to the repository root.
DEFAULT_REGISTRY = Path("data/processed/theme_registry.csv")
#: First id for a theme that is not in the codebook.
FIRST_MODEL_ID = 100
#: Codebook ids must lie in this range.
CODEBOOK_ID_RANGE = (1, 99)

STATUS_CONTINUING = "continuing"
STATUS_NEW = "new"
STATUS_NOT_RAISED = "no longer raised"
STATUS_RETIRED = "retired"
STATUSES: tuple[str, ...] = (STATUS_CONTINUING, STATUS_NEW, STATUS_NOT_RAISED, STATUS_RETIRED)
#: Statuses under which a theme was actually raised in that cycle.
RAISED_STATUSES: tuple[str, ...] = (STATUS_CONTINUING, STATUS_NEW)

SOURCE_CODEBOOK = "codebook"
SOURCE_MODEL = "model"

#: Columns of the registry CSV, in file order.
REGISTRY_COLUMNS: tuple[str, ...] = (
    "cycle",           # the cycle run this row describes
    "theme_id",        # permanent id
    "status",          # continuing / new / no longer raised / retired
    "source",          # codebook / model
    "label",           # codebook name or automatic label when last raised
    "top_words",       # "; "-separated key words when last raised
    "size",            # comments in the theme this cycle (missing unless raised)
    "topic",           # the model's own topic number this cycle (missing unless raised)
    "similarity",      # cosine similarity to the theme's centroid in previous_cycle
    "previous_cycle",  # the last earlier cycle in which the theme was raised
)
#: Columns of the mapping returned by :func:`match_to_registry`.
MAPPING_COLUMNS: tuple[str, ...] = (
    "topic", "theme_id", "status", "similarity", "previous_cycle", "source", "label",
    "top_words", "size",
)
#: Tolerance so that a similarity exactly at the threshold (up to float rounding) matches.
_EDGE_TOLERANCE = 1e-9


class RegistryError(UserError):
    """The registry cannot be updated as asked (e.g. an earlier cycle rerun after a later one)."""

    exit_code = 1


class RegistryMatch(NamedTuple):
    """Result of :func:`match_to_registry`.

    Attributes
    ----------
    mapping
        One row per theme the model found this cycle (topic >= 0): ``topic`` -> ``theme_id``
        with ``status``, ``similarity``, ``previous_cycle``, ``source``, ``label``,
        ``top_words``, ``size``.
    registry
        The registry with this cycle's rows (replacing any from an earlier run of it).
    centroids
        ``(cycle, theme_id)`` -> centroid, updated to match ``registry``.
    """

    mapping: pd.DataFrame
    registry: pd.DataFrame
    centroids: dict[tuple[str, int], np.ndarray]


# --------------------------------------------------------------------------- helpers
def empty_registry() -> pd.DataFrame:
    """A registry with no rows and the registry's column types."""
    return _typed(pd.DataFrame({c: [] for c in REGISTRY_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(REGISTRY_COLUMNS)].copy()
    for col in ("cycle", "status", "source", "label", "top_words", "previous_cycle"):
        out[col] = out[col].astype("string")
    out["theme_id"] = out["theme_id"].astype("int64")
    out["size"] = out["size"].astype("Int64")
    out["topic"] = out["topic"].astype("Int64")
    out["similarity"] = out["similarity"].astype("Float64")
    return out.reset_index(drop=True)


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=float).ravel()
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def _words(value: object) -> str:
    """Top words as one '; '-separated string (the engine gives a list)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(str(w) for w in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def cycle_order(registry: pd.DataFrame) -> list[str]:
    """Cycles in the order they were first added to the registry."""
    return list(dict.fromkeys(registry["cycle"].astype(str)))


def next_theme_id(registry: pd.DataFrame) -> int:
    """The id the next new model theme gets: one above any id ever used, at least 100."""
    used = pd.to_numeric(registry["theme_id"], errors="coerce").dropna()
    return int(max(FIRST_MODEL_ID - 1, used.max() if len(used) else 0)) + 1


def latest_appearances(registry: pd.DataFrame, *, before_cycle: str | None = None) -> pd.DataFrame:
    """Each theme's last row in which it was raised (optionally only cycles before ``before_cycle``).

    Returns
    -------
    pd.DataFrame
        Registry rows, one per theme id, with the cycle of the last appearance in ``cycle``.
    """
    order = cycle_order(registry)
    if before_cycle is not None and before_cycle in order:
        order = order[: order.index(before_cycle)]
    rank = {c: i for i, c in enumerate(order)}
    raised = registry[registry["status"].isin(RAISED_STATUSES) & registry["cycle"].isin(order)].copy()
    raised["_rank"] = raised["cycle"].map(rank)
    raised = raised.sort_values(["theme_id", "_rank"]).groupby("theme_id", as_index=False).tail(1)
    return raised.drop(columns="_rank").sort_values("theme_id").reset_index(drop=True)


def _check_topics(topics: pd.DataFrame, centroids: dict[int, np.ndarray]) -> pd.DataFrame:
    missing = [c for c in ("topic", "size") if c not in topics.columns]
    if missing:
        raise ValueError(f"topics needs columns {missing}")
    themed = topics[pd.to_numeric(topics["topic"]) >= 0].copy()
    themed["topic"] = themed["topic"].astype(int)
    if themed["topic"].duplicated().any():
        raise ValueError("topics has repeated topic numbers")
    codes = pd.to_numeric(themed.get("codebook_id", pd.Series(dtype="Int64")), errors="coerce").dropna()
    if codes.duplicated().any():
        raise ValueError(f"several topics carry codebook id(s) {sorted(set(codes[codes.duplicated()].astype(int)))}")
    absent = sorted(set(themed["topic"]) - set(int(k) for k in centroids))
    if absent:
        raise ValueError(f"no centroid for topic(s) {absent}")
    if "codebook_id" not in themed.columns:
        themed["codebook_id"] = pd.NA
    themed["codebook_id"] = pd.to_numeric(themed["codebook_id"], errors="coerce").astype("Int64")
    bad = themed["codebook_id"].dropna()
    bad = bad[(bad < CODEBOOK_ID_RANGE[0]) | (bad > CODEBOOK_ID_RANGE[1])]
    if len(bad):
        raise UserError(
            f"codebook theme ids must be between {CODEBOOK_ID_RANGE[0]} and {CODEBOOK_ID_RANGE[1]}; "
            f"got {sorted(int(b) for b in bad)}"
        )
    label_col = "label" if "label" in themed.columns else "auto_label"
    themed["reg_label"] = themed[label_col].astype("string") if label_col in themed.columns else pd.NA
    themed["reg_words"] = themed["top_words"].map(_words) if "top_words" in themed.columns else ""
    return themed.sort_values("topic").reset_index(drop=True)


# --------------------------------------------------------------------------- matching
def similarity_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity between the rows of ``a`` and the rows of ``b``."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0] if a.size else 0, b.shape[0] if b.size else 0))
    a = a / np.where(np.linalg.norm(a, axis=1, keepdims=True) > 0, np.linalg.norm(a, axis=1, keepdims=True), 1)
    b = b / np.where(np.linalg.norm(b, axis=1, keepdims=True) > 0, np.linalg.norm(b, axis=1, keepdims=True), 1)
    return np.clip(a @ b.T, -1.0, 1.0)


def one_to_one_matches(similarity: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs (row, column, similarity) matched one to one at or above ``threshold``.

    The Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) maximises the total
    *margin above the threshold* over admissible pairs. Weighting by the margin, not the raw
    similarity, stops the solver trading one clear match (0.95) for two marginal ones
    (0.62 + 0.62); a pair below the threshold never enters the solution.
    """
    from scipy.optimize import linear_sum_assignment

    if similarity.size == 0:
        return []
    admissible = similarity >= threshold - _EDGE_TOLERANCE
    # A tiny floor keeps a pair exactly at the threshold worth matching.
    weights = np.where(admissible, np.maximum(similarity - threshold, 0.0) + 1e-6, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(r), int(c), float(similarity[r, c])) for r, c in zip(rows, cols, strict=True) if admissible[r, c]]


def match_to_registry(
    topics: pd.DataFrame,
    centroids: dict[int, np.ndarray],
    registry: pd.DataFrame,
    registry_centroids: dict[tuple[str, int], np.ndarray],
    *,
    cycle: str,
    threshold: float,
) -> RegistryMatch:
    """Give this cycle's themes their permanent ids and update the registry.

    Parameters
    ----------
    topics
        One row per theme of this cycle's fit (``ThemeFit.topics``): ``topic`` (model-local;
        rows < 0 are ignored), ``size``, optional ``codebook_id`` (Int64), ``label`` or
        ``auto_label``, ``top_words``.
    centroids
        Topic -> centroid embedding (``ThemeFit.centroids``).
    registry, registry_centroids
        The registry so far (:func:`empty_registry` for the first cycle) and its centroids,
        as returned by :func:`load_registry`.
    cycle
        This cycle's id. Rerunning the latest cycle replaces its rows; rerunning an earlier
        cycle replays it against the registry as it stood then and is refused only if it
        would change ids that later cycles use.
    threshold
        Cosine similarity a theme needs to continue an earlier theme (``themes.match_threshold``);
        a similarity equal to the threshold matches.

    Returns
    -------
    RegistryMatch
        ``(mapping, registry, centroids)``.

    Raises
    ------
    RegistryError
        Earlier cycle rerun after a later one, or centroids of a different dimension
        (a different embedding model) than the registry's.
    """
    themed = _check_topics(topics, centroids)
    registry = _typed(registry) if len(registry) else empty_registry()
    order = cycle_order(registry)
    if cycle in order and order[-1] != cycle:
        # Rerunning an earlier cycle (to reproduce its published tables): replay it against the
        # registry as it stood then, and accept it only if it gives the ids it gave before,
        # since later cycles' ids depend on them. The later cycles' rows are left untouched.
        later = order[order.index(cycle) + 1:]
        in_later = registry["cycle"].isin(later)
        replay = match_to_registry(
            topics, centroids, registry[~in_later],
            {k: v for k, v in registry_centroids.items() if k[0] not in later},
            cycle=cycle, threshold=threshold,
        )
        before = sort_registry(registry[registry["cycle"] == cycle])[["theme_id", "status"]].reset_index(drop=True)
        after = sort_registry(replay.registry[replay.registry["cycle"] == cycle])[["theme_id", "status"]].reset_index(drop=True)
        if not before.equals(after):
            raise RegistryError(
                f"theme registry: rerunning cycle {cycle!r} gives different themes than its first run, and "
                f"{', '.join(map(repr, later))} already build on those ids. Rerun it with the same data, "
                "config and seed, or restore the registry from the later cycle's report."
            )
        merged = _typed(pd.concat([replay.registry, registry[in_later]], ignore_index=True))
        merged_centroids = dict(replay.centroids)
        merged_centroids.update({k: v for k, v in registry_centroids.items() if k[0] in later})
        return RegistryMatch(replay.mapping, sort_registry(merged), merged_centroids)
    _check_dimensions(centroids, registry_centroids)

    earlier = registry[registry["cycle"] != cycle]
    previous_run = registry[registry["cycle"] == cycle]
    history = latest_appearances(earlier)  # last raised appearance in an earlier cycle
    prev_cycle_of = dict(zip(history["theme_id"].astype(int), history["cycle"].astype(str), strict=True))
    source_of = dict(zip(registry["theme_id"].astype(int), registry["source"].astype(str), strict=True))

    # Candidate centroids: a theme's last earlier appearance; ids first made by an earlier
    # run of this cycle are matched against that run so that reruns keep their ids.
    candidates: dict[int, np.ndarray] = {
        tid: registry_centroids[(c, tid)] for tid, c in prev_cycle_of.items() if (c, tid) in registry_centroids
    }
    for tid in previous_run["theme_id"].astype(int):
        if tid not in candidates and (cycle, tid) in registry_centroids:
            candidates[tid] = registry_centroids[(cycle, tid)]

    topic_to_id: dict[int, int] = {}
    # 1. Codebook themes keep their codebook ids.
    for row in themed.itertuples():
        if not pd.isna(row.codebook_id):
            topic_to_id[row.topic] = int(row.codebook_id)
    # 2. Model themes: one-to-one against earlier model themes not claimed by the codebook.
    claimed = set(topic_to_id.values())
    free_topics = [t for t in themed["topic"] if t not in topic_to_id]
    free_ids = sorted(t for t in candidates if source_of.get(t) == SOURCE_MODEL and t not in claimed)
    if free_topics and free_ids:
        sim = similarity_matrix(np.stack([centroids[t] for t in free_topics]),
                                np.stack([candidates[t] for t in free_ids]))
        for r, c, _ in one_to_one_matches(sim, threshold):
            topic_to_id[free_topics[r]] = free_ids[c]
    # 3. Anything left is new; larger themes get the smaller ids so numbering is stable.
    next_id = next_theme_id(registry)
    unmatched = themed[~themed["topic"].isin(list(topic_to_id))].sort_values(
        ["size", "topic"], ascending=[False, True])
    for topic in unmatched["topic"]:
        topic_to_id[int(topic)] = next_id
        next_id += 1

    rows = []
    new_centroids: dict[tuple[str, int], np.ndarray] = {}
    for row in themed.itertuples():
        tid = topic_to_id[row.topic]
        prev = prev_cycle_of.get(tid)
        similarity = np.nan
        if prev is not None and (prev, tid) in registry_centroids:
            similarity = float(similarity_matrix(centroids[row.topic], registry_centroids[(prev, tid)])[0, 0])
        rows.append({
            "cycle": cycle, "theme_id": tid,
            "status": STATUS_CONTINUING if prev is not None else STATUS_NEW,
            "source": SOURCE_CODEBOOK if not pd.isna(row.codebook_id) else SOURCE_MODEL,
            "label": row.reg_label, "top_words": row.reg_words, "size": int(row.size), "topic": row.topic,
            "similarity": similarity, "previous_cycle": prev,
        })
        new_centroids[(cycle, tid)] = _unit(centroids[row.topic])
    raised_now = set(topic_to_id.values())
    for h in history[~history["theme_id"].isin(list(raised_now))].itertuples():
        rows.append({
            "cycle": cycle, "theme_id": int(h.theme_id), "status": STATUS_NOT_RAISED, "source": h.source,
            "label": h.label, "top_words": h.top_words, "size": pd.NA, "topic": pd.NA,
            "similarity": np.nan, "previous_cycle": h.cycle,
        })
    # Ids made by an earlier run of this cycle and not produced now: keep them, never reuse them.
    known_before = set(prev_cycle_of) | raised_now
    for p in previous_run[~previous_run["theme_id"].isin(list(known_before))].itertuples():
        if p.source != SOURCE_MODEL:
            continue
        rows.append({
            "cycle": cycle, "theme_id": int(p.theme_id), "status": STATUS_RETIRED, "source": p.source,
            "label": p.label, "top_words": p.top_words, "size": pd.NA, "topic": pd.NA,
            "similarity": np.nan, "previous_cycle": pd.NA,
        })
        if (cycle, int(p.theme_id)) in registry_centroids:
            new_centroids[(cycle, int(p.theme_id))] = registry_centroids[(cycle, int(p.theme_id))]

    this_cycle = _typed(pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))) if rows else empty_registry()
    updated = _typed(pd.concat([earlier, this_cycle], ignore_index=True)) if len(earlier) else this_cycle
    updated = sort_registry(updated)
    kept = {k: v for k, v in registry_centroids.items() if k[0] != cycle}
    kept.update(new_centroids)

    mapping = this_cycle[this_cycle["status"].isin(RAISED_STATUSES)].copy()
    mapping["topic"] = mapping["topic"].astype(int)
    mapping = mapping.sort_values("topic").loc[:, list(MAPPING_COLUMNS)].reset_index(drop=True)
    return RegistryMatch(mapping, updated, kept)


def _check_dimensions(centroids: dict[int, np.ndarray], registry_centroids: dict[tuple[str, int], np.ndarray]) -> None:
    dims = {np.asarray(v).size for v in centroids.values()}
    known = {np.asarray(v).size for v in registry_centroids.values()}
    if len(dims) > 1:
        raise ValueError(f"centroids of different lengths: {sorted(dims)}")
    if dims and known and dims != known:
        raise RegistryError(
            f"theme registry: this cycle's centroids have {dims.pop()} dimensions but the registry's "
            f"have {sorted(known)}; themes embedded with a different model cannot be matched. "
            "Use the same embedding model, or start a new registry (themes.registry)."
        )


def sort_registry(registry: pd.DataFrame) -> pd.DataFrame:
    """Deterministic row order: cycles in first-run order, then theme id."""
    rank = {c: i for i, c in enumerate(cycle_order(registry))}
    out = registry.assign(_rank=registry["cycle"].map(rank))
    return out.sort_values(["_rank", "theme_id"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def apply_mapping(assignments: pd.DataFrame, mapping: pd.DataFrame, *, topic_column: str = "topic",
                  theme_column: str = "theme_id") -> pd.DataFrame:
    """Add permanent theme ids to per-comment assignments.

    Parameters
    ----------
    assignments
        Rows with a model-local ``topic_column`` (``ThemeFit.assignments``).
    mapping
        From :func:`match_to_registry`.

    Returns
    -------
    pd.DataFrame
        A copy with ``theme_column`` (int): the registry id, or the reserved
        ``vocab.OUTLIER_THEME_ID`` (-1) / ``vocab.NON_ANSWER_THEME_ID`` (-2).
    """
    lookup = dict(zip(mapping["topic"].astype(int), mapping["theme_id"].astype(int), strict=True))
    lookup[vocab.OUTLIER_THEME_ID] = vocab.OUTLIER_THEME_ID
    lookup[vocab.NON_ANSWER_THEME_ID] = vocab.NON_ANSWER_THEME_ID
    topics = pd.to_numeric(assignments[topic_column]).astype(int)
    unknown = sorted(set(topics) - set(lookup))
    if unknown:
        raise ValueError(f"assignments use topic(s) {unknown} that the mapping does not cover")
    out = assignments.copy()
    out[theme_column] = topics.map(lookup).astype("int64")
    return out


def cycle_status(registry: pd.DataFrame, cycle: str) -> pd.DataFrame:
    """This cycle's rows of the registry (continuing, new, no longer raised, retired), by theme id."""
    rows = registry[registry["cycle"] == cycle]
    return rows.sort_values("theme_id").reset_index(drop=True)


def status_counts(registry: pd.DataFrame, cycle: str) -> dict[str, int]:
    """Number of themes per status in one cycle (every status present, zero if none)."""
    counts = cycle_status(registry, cycle)["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


# --------------------------------------------------------------------------- I/O
def registry_path(registry: str | Path | None = None, processed_root: str | Path | None = None) -> Path:
    """Registry CSV location.

    Parameters
    ----------
    registry
        ``themes.registry`` from the config; used when set.
    processed_root
        The processed-data root (``outputs.processed_dir``, not the cycle's subfolder): the
        registry spans cycles, so by default it sits at ``<processed_root>/theme_registry.csv``
        (``data/processed/theme_registry.csv``). None = the default ``data/processed``.
    """
    if registry is not None:
        return paths.resolve(registry)
    if processed_root is not None:
        return paths.resolve(processed_root) / DEFAULT_REGISTRY.name
    return paths.resolve(DEFAULT_REGISTRY)


def centroids_path(path: str | Path) -> Path:
    """The centroid file that sits beside a registry CSV."""
    path = Path(path)
    return path.with_name(f"{path.stem}_centroids.csv")


def load_registry(path: str | Path) -> tuple[pd.DataFrame, dict[tuple[str, int], np.ndarray]]:
    """Read the registry CSV and its centroid file; an empty registry if neither exists.

    Raises
    ------
    InputFileError
        Missing columns, non-integer ids, unknown statuses, repeated rows, or a raised
        theme without a centroid, naming the file, row and column.
    """
    path = Path(path)
    cpath = centroids_path(path)
    if not path.exists():
        if cpath.exists():
            raise InputFileError(cpath, f"centroid file found but its registry {path.name} is missing")
        return empty_registry(), {}
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in REGISTRY_COLUMNS if c not in raw.columns]
    if missing:
        raise InputFileError(path, f"missing column(s) {missing}; expected {list(REGISTRY_COLUMNS)}")
    for i, row in raw.iterrows():
        line = int(i) + 2
        for col in ("theme_id", "size", "topic"):
            value = row[col]
            if (col == "theme_id" or not pd.isna(value)) and not _is_int(value):
                raise InputFileError(path, f"{value!r} is not a whole number", row=line, column=col)
        if row["status"] not in STATUSES:
            raise InputFileError(path, f"unknown status {row['status']!r}; use one of {list(STATUSES)}",
                                 row=line, column="status")
        if row["source"] not in (SOURCE_CODEBOOK, SOURCE_MODEL):
            raise InputFileError(path, f"unknown source {row['source']!r}", row=line, column="source")
        if pd.isna(row["cycle"]):
            raise InputFileError(path, "cycle is blank", row=line, column="cycle")
    dupes = raw.duplicated(["cycle", "theme_id"], keep="first")
    if dupes.any():
        line = int(np.flatnonzero(dupes.to_numpy())[0]) + 2
        raise InputFileError(path, "theme listed twice for the same cycle", row=line, column="theme_id")
    frame = raw.copy()
    frame["theme_id"] = frame["theme_id"].astype(int)
    frame["size"] = pd.to_numeric(frame["size"]).astype("Int64")
    frame["topic"] = pd.to_numeric(frame["topic"]).astype("Int64")
    frame["similarity"] = pd.to_numeric(frame["similarity"], errors="coerce").astype("Float64")
    registry = _typed(frame)

    centroids: dict[tuple[str, int], np.ndarray] = {}
    if cpath.exists():
        craw = pd.read_csv(cpath, dtype={"cycle": str})
        dims = [c for c in craw.columns if c not in ("cycle", "theme_id")]
        for i, row in craw.iterrows():
            vec = row[dims].to_numpy(dtype=float)
            if np.isnan(vec).any():
                raise InputFileError(cpath, "centroid has blank values", row=int(i) + 2)
            centroids[(str(row["cycle"]), int(row["theme_id"]))] = vec
    needs = registry[registry["status"].isin(RAISED_STATUSES)]
    for i, row in needs.iterrows():
        if (row["cycle"], int(row["theme_id"])) not in centroids:
            raise InputFileError(path, f"theme {int(row['theme_id'])} of cycle {row['cycle']!r} has no centroid "
                                 f"in {cpath.name}", row=int(i) + 2, column="theme_id")
    return registry, centroids


def _is_int(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value) is not None


def save_registry(registry: pd.DataFrame, centroids: dict[tuple[str, int], np.ndarray],
                  path: str | Path) -> tuple[Path, Path]:
    """Write the registry CSV and its centroid CSV, deterministically.

    Returns
    -------
    (registry_csv, centroids_csv)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    registry = sort_registry(_typed(registry))
    write_csv(registry, path, index=False, float_format="%.4f", lineterminator="\n")
    keys = [(str(c), int(t)) for c, t in zip(registry["cycle"], registry["theme_id"], strict=True) if (c, int(t)) in centroids]
    cpath = centroids_path(path)
    if keys:
        matrix = np.stack([np.asarray(centroids[k], dtype=float).ravel() for k in keys])
        width = len(str(matrix.shape[1] - 1))
        frame = pd.DataFrame(matrix, columns=[f"c{j:0{width}d}" for j in range(matrix.shape[1])])
        frame.insert(0, "theme_id", [k[1] for k in keys])
        frame.insert(0, "cycle", [k[0] for k in keys])
        write_csv(frame, cpath, index=False, float_format="%.6f", lineterminator="\n")
    elif cpath.exists():
        cpath.unlink()
    return path, cpath
