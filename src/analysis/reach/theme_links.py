"""Actions (and case studies) follow their themes through the theme book.

Notebook 02 writes ``themes.parquet``: one row per theme of the book with ``theme_id``, ``label``,
``status`` (:data:`BOOK_STATUSES`) and ``merged_into`` (the id a merged theme now counts under).
Action logs and case-study logs name the theme ids people used when they wrote them, so an id
can since have been merged, retired or excluded. Here every such id is *resolved*: a merged theme
is followed along its ``merged_into`` chain to the theme it now counts for, and a link that lands
on a retired or excluded theme, on an id not in the book, or in a broken chain is returned as a
warning (shown in notebook 04 and recorded), never silently dropped or re-pointed.

Before the theme book existed, ``themes.parquet`` had neither ``merged_into`` nor book statuses
(its ``status`` was the old registry's: continuing, new, ...); such a table is read as a book in
which every theme is active, with the codebook's themes added, so nothing breaks in between.

For a leading theme with no action, :func:`suggest_actions` proposes the most similar existing
action by TF-IDF cosine similarity: a *suggestion* for a person to check, never a link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.core.errors import UserError

#: Statuses of a theme in the book.
BOOK_STATUSES: tuple[str, ...] = ("active", "candidate", "merged", "excluded", "retired")
#: Final statuses an action or story should not point at.
DEAD_STATUSES: frozenset[str] = frozenset({"retired", "excluded"})
#: ``problem`` of a link to an id the book does not have.
NOT_IN_BOOK = "not in the theme book"
BOOK_COLUMNS = ["theme_id", "label", "status", "merged_into"]
RESOLVED_COLUMNS = ["theme_id", "resolved_id", "status", "final_status", "chain", "problem"]


class ThemeBookError(UserError):
    """The theme book (``themes.parquet``) is not usable: names the theme id and the value."""


def _ids(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").round().astype("Int64")


def is_legacy(themes: pd.DataFrame | None) -> bool:
    """A themes table from before the theme book (no ``merged_into`` or no book statuses)."""
    if themes is None or "merged_into" not in themes.columns or "status" not in themes.columns:
        return True
    return False


def theme_book(themes: pd.DataFrame | None, codebook: Mapping[int, str] | None = None) -> pd.DataFrame:
    """The theme book as a tidy table: ``theme_id``, ``label``, ``status``, ``merged_into``.

    Parameters
    ----------
    themes
        ``themes.parquet`` from notebook 02 (or None when it was not produced).
    codebook
        Codebook id -> name. Added as active themes only to a pre-book table (:func:`is_legacy`),
        which lists only the themes raised this cycle; a real book already holds them.

    Returns
    -------
    pd.DataFrame
        One row per theme id; ``attrs["legacy"]`` says whether the table predates the book.

    Raises
    ------
    ThemeBookError
        A book status outside :data:`BOOK_STATUSES`, or a theme id listed twice.
    """
    legacy = is_legacy(themes)
    frame = themes if themes is not None else pd.DataFrame(columns=["theme_id", "label"])
    book = pd.DataFrame({"theme_id": _ids(frame["theme_id"]).to_numpy()})
    label = frame["label"] if "label" in frame.columns else pd.Series(pd.NA, index=frame.index)
    book["label"] = pd.array(label.to_numpy(), dtype="string")
    if legacy:
        book["status"] = pd.array(["active"] * len(book), dtype="string")
        book["merged_into"] = pd.array([pd.NA] * len(book), dtype="Int64")
        extra = [(int(t), name) for t, name in (codebook or {}).items() if int(t) not in set(book["theme_id"].dropna())]
        if extra:
            book = pd.concat([book, pd.DataFrame({
                "theme_id": pd.array([t for t, _ in extra], dtype="Int64"),
                "label": pd.array([n for _, n in extra], dtype="string"),
                "status": pd.array(["active"] * len(extra), dtype="string"),
                "merged_into": pd.array([pd.NA] * len(extra), dtype="Int64")})], ignore_index=True)
    else:
        book["status"] = pd.array(frame["status"].astype("string").str.strip().str.lower().to_numpy(), dtype="string")
        book["merged_into"] = _ids(frame["merged_into"]).to_numpy()
        unknown = book.loc[~book["status"].isin(list(BOOK_STATUSES)).fillna(False).astype(bool)]
        if len(unknown):
            first = unknown.iloc[0]
            raise ThemeBookError(f"themes.parquet, theme {first['theme_id']}: status {first['status']!r} is not one "
                                 f"of {', '.join(BOOK_STATUSES)}")
    repeated = book["theme_id"].dropna()
    repeated = repeated[repeated.duplicated()]
    if len(repeated):
        raise ThemeBookError(f"themes.parquet: theme {int(repeated.iloc[0])} is listed more than once")
    book["label"] = book["label"].fillna("Theme " + book["theme_id"].astype("string"))
    book = book.dropna(subset=["theme_id"]).sort_values("theme_id", kind="stable").reset_index(drop=True)
    book.attrs["legacy"] = legacy
    return book[BOOK_COLUMNS]


def book_labels(book: pd.DataFrame) -> dict[int, str]:
    """Theme id -> label of every theme in the book."""
    return {int(t): str(label) for t, label in zip(book["theme_id"], book["label"], strict=True)}


def _follow(theme_id: int, status: Mapping[int, str], target: Mapping[int, object]) -> tuple[int, str, str, str | None]:
    """(resolved id, final status, chain text, problem) for one id."""
    if theme_id not in status:
        return theme_id, NOT_IN_BOOK, str(theme_id), NOT_IN_BOOK
    chain, current = [theme_id], theme_id
    while status.get(current) == "merged":
        nxt = target.get(current)
        if nxt is None or pd.isna(nxt):
            return current, "merged", " -> ".join(map(str, chain)), f"theme {current} is merged but names no theme it merged into"
        nxt = int(nxt)  # type: ignore[call-overload]
        if nxt in chain:
            return current, "merged", " -> ".join(map(str, [*chain, nxt])), "the merges of these themes form a loop"
        chain.append(nxt)
        if nxt not in status:
            return nxt, NOT_IN_BOOK, " -> ".join(map(str, chain)), f"merged into theme {nxt}, which is {NOT_IN_BOOK}"
        current = nxt
    final = status[current]
    problem = f"points at {'an' if final[0] in 'aeiou' else 'a'} {final} theme" if final in DEAD_STATUSES else None
    return current, final, " -> ".join(map(str, chain)), problem


def resolve(theme_ids: Sequence[object] | pd.Series, book: pd.DataFrame) -> pd.DataFrame:
    """Where each theme id now counts, following ``merged_into`` chains.

    Parameters
    ----------
    theme_ids
        Ids as an action or case-study log wrote them.
    book
        Output of :func:`theme_book`.

    Returns
    -------
    pd.DataFrame
        Same order as ``theme_ids``: ``theme_id`` (as written), ``resolved_id`` (the theme it counts
        for: the end of its merge chain, else itself), ``status`` (of the id as written, or
        :data:`NOT_IN_BOOK`), ``final_status``, ``chain`` ("20 -> 122") and ``problem`` (missing when
        the link is sound; a link to a retired or excluded theme, to an id not in the book, or
        through a broken chain otherwise).
    """
    ids = _ids(pd.Series(list(theme_ids), dtype="object"))
    status = {int(t): str(s) for t, s in zip(book["theme_id"], book["status"], strict=True)}
    target = {int(t): m for t, m in zip(book["theme_id"], book["merged_into"], strict=True)}
    rows = []
    for value in ids:
        if pd.isna(value):
            rows.append((pd.NA, pd.NA, pd.NA, pd.NA, "", "no theme id"))
            continue
        resolved, final, chain, problem = _follow(int(value), status, target)
        rows.append((int(value), resolved, status.get(int(value), NOT_IN_BOOK), final, chain, problem))
    out = pd.DataFrame(rows, columns=RESOLVED_COLUMNS)
    for col in ("theme_id", "resolved_id"):
        out[col] = out[col].astype("Int64")
    for col in ("status", "final_status", "chain", "problem"):
        out[col] = out[col].astype("string")
    return out


def link_actions(actions: pd.DataFrame, book: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Actions re-pointed at the themes they now count for, and the links that need a person.

    Parameters
    ----------
    actions
        One row per action (``action_id``, ``theme_id``, ...).
    book
        Output of :func:`theme_book`.

    Returns
    -------
    (actions, warnings)
        ``actions`` with ``theme_id`` resolved (an action on a merged theme counts for the theme it
        merged into) and the id as written kept in ``linked_theme_id``; ``warnings`` from
        :func:`link_warnings` for the actions whose link has a problem.
    """
    resolved = resolve(actions["theme_id"], book)
    out = actions.copy()
    out["linked_theme_id"] = resolved["theme_id"].to_numpy()
    out["theme_id"] = resolved["resolved_id"].to_numpy()
    out["theme_id"] = out["theme_id"].astype("Int64")
    return out, link_warnings(resolved, actions["action_id"], "action", book_labels(book))


def link_warnings(resolved: pd.DataFrame, refs: Sequence[object] | pd.Series, source: str,
                  labels: Mapping[int, str]) -> pd.DataFrame:
    """The problem links of :func:`resolve`, one row each, with a sentence for the reader.

    Parameters
    ----------
    resolved
        Output of :func:`resolve`.
    refs
        The reference of each row (action id, case id), same order.
    source
        What the references are ("action", "case study").
    labels
        Theme id -> label, to name the themes in the message.

    Returns
    -------
    pd.DataFrame
        ``source``, ``ref``, ``theme_id``, ``resolved_id``, ``problem``, ``message``.
    """
    frame = resolved.assign(ref=pd.array([str(r) for r in refs], dtype="string"))
    frame = frame.loc[frame["problem"].notna()]

    def message(row: pd.Series) -> str:
        written = row["theme_id"]
        name = labels.get(int(written)) if pd.notna(written) else None
        named = f"theme {written}" + (f" ({name})" if name else "")
        if row["problem"] == NOT_IN_BOOK:
            return f"{source.capitalize()} {row['ref']} is linked to {named}, which is not in the theme book."
        if str(row["problem"]).startswith("points at"):
            end = int(row["resolved_id"])
            via = f" (through {row['chain']})" if row["chain"] and "->" in str(row["chain"]) else ""
            return (f"{source.capitalize()} {row['ref']} is linked to {named}{via}, which is {row['final_status']}: "
                    f"theme {end} ({labels.get(end, 'no name')}) is no longer reported, so the link needs checking.")
        return f"{source.capitalize()} {row['ref']} is linked to {named}: {row['problem']} ({row['chain']})."

    out = pd.DataFrame({
        "source": pd.array([source] * len(frame), dtype="string"),
        "ref": frame["ref"].to_numpy(),
        "theme_id": frame["theme_id"].to_numpy(),
        "resolved_id": frame["resolved_id"].to_numpy(),
        "problem": frame["problem"].to_numpy(),
        "message": pd.array([message(r) for _, r in frame.iterrows()], dtype="string"),
    })
    for col in ("theme_id", "resolved_id"):
        out[col] = out[col].astype("Int64")
    return out.reset_index(drop=True)


def resolve_assignments(assignments: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """Comment-theme assignments counted under the themes they now belong to.

    Assignments to a merged theme move to the theme it merged into (so a person is counted once
    there); assignments whose theme ends excluded or retired are marked ``excluded`` (and so not
    counted). Reserved ids (unassigned, no substantive answer) and ids not in the book are kept as
    they are.

    Parameters
    ----------
    assignments
        ``theme_assignments.parquet`` (``comment_id``, ``theme_id``, ...).
    book
        Output of :func:`theme_book`.

    Returns
    -------
    pd.DataFrame
    """
    out = assignments.copy()
    ids = _ids(out["theme_id"])
    unique = pd.Series(ids.dropna().unique(), dtype="Int64")
    resolved = resolve(unique, book).set_index(unique.to_numpy())
    known = ~resolved["status"].eq(NOT_IN_BOOK)
    target = resolved["resolved_id"].where(known, resolved["theme_id"])
    out["theme_id"] = ids.map(lambda t: t if pd.isna(t) else target.get(int(t), t)).astype("Int64")
    dead = resolved.index[resolved["final_status"].isin(list(DEAD_STATUSES)).fillna(False).to_numpy()]
    excluded = ids.isin([int(t) for t in dead]).fillna(False).astype(bool)
    if "excluded" in out.columns:
        excluded |= out["excluded"].astype("boolean").fillna(False).astype(bool)
    out["excluded"] = excluded.to_numpy()
    reserved = ids.isin([vocab.OUTLIER_THEME_ID, vocab.NON_ANSWER_THEME_ID]).fillna(False).astype(bool)
    out.loc[reserved.to_numpy(), "theme_id"] = ids[reserved]
    return out


def theme_texts(book: pd.DataFrame, themes: pd.DataFrame | None = None,
                text_columns: Sequence[str] = ("label", "description", "key_words")) -> dict[int, str]:
    """Theme id -> the words that describe it (label, description, key words), for similarity."""
    texts = {int(t): str(label) for t, label in zip(book["theme_id"], book["label"], strict=True)}
    if themes is not None:
        for _, row in themes.iterrows():
            tid = pd.to_numeric(row.get("theme_id"), errors="coerce")
            if pd.isna(tid):
                continue
            words = [str(row[c]) for c in text_columns if c in row.index and pd.notna(row[c]) and str(row[c]).strip()]
            if words:
                texts[int(tid)] = " ".join(dict.fromkeys(words))
    return texts


def suggest_actions(gaps: pd.DataFrame, actions: pd.DataFrame, theme_text: Mapping[int, str], *,
                    min_similarity: float = 0.08, labels: Mapping[int, str] | None = None) -> pd.DataFrame:
    """For each leading theme with no action, the most similar existing action (a suggestion, not a link).

    TF-IDF (word unigrams and bigrams, English stop words removed, sublinear term frequency) over the
    themes' words and the actions' "you said" and "we did" texts; the action with the highest cosine
    similarity is suggested when it reaches ``min_similarity`` (ties go to the first action id).

    Parameters
    ----------
    gaps
        Leading themes without an action: ``theme_id``, ``theme_label``.
    actions
        One row per action: ``action_id``, ``theme_id``, ``you_said``, ``we_did``, ``status``.
    theme_text
        Theme id -> describing words (:func:`theme_texts`); the label is used when missing.
    min_similarity
        Smallest cosine similarity worth suggesting.
    labels
        Theme id -> label, to name the theme each suggested action is linked to now.

    Returns
    -------
    pd.DataFrame
        One row per gap theme: ``theme_id``, ``theme_label``, ``suggested_action_id``,
        ``suggested_you_said``, ``suggested_we_did``, ``suggested_status``, ``action_theme`` (the
        theme the action is linked to now) and ``similarity`` (missing when nothing reached
        ``min_similarity``).
    """
    columns = ["theme_id", "theme_label", "suggested_action_id", "suggested_you_said", "suggested_we_did",
               "suggested_status", "action_theme", "similarity"]
    if gaps.empty:
        return pd.DataFrame(columns=columns)
    acts = actions.sort_values("action_id", kind="stable").reset_index(drop=True)
    rows = []
    if acts.empty:
        scores = np.zeros((len(gaps), 0))
    else:
        from sklearn.feature_extraction.text import TfidfVectorizer  # local: heavy, only when there is a gap

        def text(v: object) -> str:
            return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

        action_docs = [f"{text(r.you_said)} {text(r.we_did)}" for r in acts.itertuples()]
        theme_docs = [theme_text.get(int(t), text(label)) for t, label in zip(gaps["theme_id"], gaps["theme_label"],
                                                                               strict=True)]
        vectoriser = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        try:
            matrix = vectoriser.fit_transform(theme_docs + action_docs)
            scores = (matrix[: len(theme_docs)] @ matrix[len(theme_docs):].T).toarray()  # rows are L2-normalised
        except ValueError:  # nothing but stop words: no vocabulary, nothing to suggest
            scores = np.zeros((len(gaps), len(acts)))
    for i, (tid, label) in enumerate(zip(gaps["theme_id"], gaps["theme_label"], strict=True)):
        best = int(np.argmax(scores[i])) if scores.shape[1] else -1
        score = float(scores[i, best]) if best >= 0 else 0.0
        if best < 0 or score < min_similarity:
            rows.append((int(tid), label, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, np.nan))
            continue
        action = acts.iloc[best]
        linked = action["theme_id"]
        theme = (labels or {}).get(int(linked), f"Theme {int(linked)}") if pd.notna(linked) else pd.NA
        rows.append((int(tid), label, action["action_id"], action["you_said"], action["we_did"],
                     str(action["status"]) if pd.notna(action["status"]) else pd.NA, theme, round(score, 4)))
    out = pd.DataFrame(rows, columns=columns)
    out["theme_id"] = out["theme_id"].astype("Int64")
    for col in columns[1:-1]:
        out[col] = out[col].astype("string")
    out["similarity"] = out["similarity"].astype(float)
    return out


def suggestion_sentences(suggestions: pd.DataFrame) -> list[str]:
    """Plain sentences for the suggestions, each saying clearly that it is a suggestion, not a link."""
    out = []
    for r in suggestions.itertuples():
        if pd.isna(r.suggested_action_id):
            out.append(f"{r.theme_label}: no existing action is similar enough to suggest, so a new action may be needed.")
        else:
            out.append(f"{r.theme_label}: suggested, not linked: action {r.suggested_action_id} "
                       f"(\u201c{r.suggested_we_did}\u201d, now linked to {r.action_theme}; similarity "
                       f"{r.similarity:.2f}). If it answers this theme, link it in the actions log.")
    return out
