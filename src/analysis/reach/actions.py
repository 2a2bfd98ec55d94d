"""What we did about it: "you said, we did", action coverage of themes and progress.

Pure functions over the processed actions log (``actions.parquet``: action_id,
cycle, theme_id, you_said, we_did, status, reason, updated_at) and the theme
assignments written by notebook 02 (``theme_assignments.parquet``: comment_id,
question_id, theme_id, theme_label). Theme ids follow the team contract:
codebook themes 1..99, registry themes 100+, reserved -1 (unassigned) and -2
(no substantive answer), which never count as themes people raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import vocab
from analysis.present.disclosure import DisclosureRule, as_rule, is_small, publish_counts, round_counts
from analysis.stats.proportions import wilson_ci

#: Theme ids that are not themes people raised.
RESERVED_THEME_IDS: frozenset[int] = frozenset({vocab.OUTLIER_THEME_ID, vocab.NON_ANSWER_THEME_ID})

#: Order in which statuses are listed ("done" first: it is what readers look for).
STATUS_ORDER: tuple[str, ...] = vocab.ACTION_STATUSES


def _theme_ids(values: pd.Series) -> pd.Series:
    """Theme ids as nullable integers, whatever dtype the writer used."""
    return pd.to_numeric(values, errors="coerce").round().astype("Int64")


# --------------------------------------------------------------------------- theme labels
def codebook_labels(path: str | Path | None) -> dict[int, str]:
    """Theme id -> display name from a codebook YAML (empty when there is none).

    Used to name themes in the actions log when the theme stage's tables are
    not available; the theme assignments' labels take precedence when they are.

    Parameters
    ----------
    path
        The codebook YAML (config ``themes.codebook``, resolved), or None.

    Returns
    -------
    dict[int, str]
    """
    if path is None or not Path(path).is_file():
        return {}
    from analysis.core.config import read_yaml  # strict: a repeated key is an error, never "last wins"

    data = read_yaml(Path(path), "codebook") or {}
    labels: dict[int, str] = {}
    for theme in data.get("themes", []) if isinstance(data, dict) else []:
        try:
            labels[int(theme["id"])] = str(theme["name"])
        except (KeyError, TypeError, ValueError):
            continue
    return labels


# --------------------------------------------------------------------------- themes raised
def theme_counts(
    assignments: pd.DataFrame,
    *,
    comments: pd.DataFrame | None = None,
    question_ids: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """How many people raised each theme (reserved ids excluded).

    Parameters
    ----------
    assignments
        ``comment_id``, ``theme_id`` and, when available, ``theme_label``,
        ``question_id`` and ``excluded`` (rows of themes a reviewer excluded are
        dropped). A comment may carry several themes (several rows).
    comments
        Optional processed comments (``comment_id``, ``respondent_id``): when
        given, people are counted once per theme even if they raised it in two
        questions; otherwise each comment counts as one person.
    question_ids
        Restrict to these open questions (all when None).
    alpha
        1 - confidence level of the Wilson interval on ``pct``.

    Returns
    -------
    pd.DataFrame
        ``theme_id`` (Int64), ``theme_label``, ``people``, ``pct`` (0..100 of
        people who gave a substantive answer), ``ci_low``, ``ci_high``; sorted by
        ``people`` descending then ``theme_id``. Not suppressed: see
        :func:`action_coverage` for the published table.
    """
    frame = assignments.copy()
    if "excluded" in frame.columns:
        # Themes a reviewer excluded are not reported anywhere (notebook 02 contract).
        frame = frame.loc[~frame["excluded"].astype("boolean").fillna(False)]
    frame["theme_id"] = _theme_ids(frame["theme_id"])
    if question_ids is not None and "question_id" in frame.columns:
        frame = frame.loc[frame["question_id"].astype("string").isin(list(question_ids)).fillna(False)]
    if "theme_label" not in frame.columns:
        frame["theme_label"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    if comments is not None and "respondent_id" in comments.columns:
        people = comments[["comment_id", "respondent_id"]].drop_duplicates("comment_id")
        frame = frame.merge(people, on="comment_id", how="left")
        # A comment missing from the comments table still stands for one person.
        frame["person"] = frame["respondent_id"].astype("string").fillna("comment:" + frame["comment_id"].astype("string"))
    else:
        frame["person"] = frame["comment_id"].astype("string")
    substantive = frame.loc[frame["theme_id"] != vocab.NON_ANSWER_THEME_ID]
    base = int(substantive["person"].nunique())
    raised = substantive.loc[~substantive["theme_id"].isin(list(RESERVED_THEME_IDS)) & substantive["theme_id"].notna()]
    labels = (raised.dropna(subset=["theme_label"]).groupby("theme_id")["theme_label"]
              .agg(lambda s: s.mode().iloc[0]))
    counts = raised.groupby("theme_id")["person"].nunique().rename("people").reset_index()
    counts["theme_label"] = counts["theme_id"].map(labels).astype("string")
    counts["theme_label"] = counts["theme_label"].fillna("Theme " + counts["theme_id"].astype("string"))
    counts["people"] = counts["people"].astype("Int64")
    n = counts["people"].astype(float).to_numpy()
    low, high = wilson_ci(n, np.full(len(n), base), alpha=alpha)
    counts["pct"] = 100 * n / base if base else np.nan
    counts["ci_low"] = 100 * low
    counts["ci_high"] = 100 * high
    counts = counts.sort_values(["people", "theme_id"], ascending=[False, True], kind="stable")
    counts.attrs["base"] = base
    return counts[["theme_id", "theme_label", "people", "pct", "ci_low", "ci_high"]].reset_index(drop=True)


# --------------------------------------------------------------------------- actions
def clean_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """Normalise an actions log for analysis (types only; no rows dropped).

    Parameters
    ----------
    actions
        Processed actions (see module docstring).

    Returns
    -------
    pd.DataFrame
        A copy with ``theme_id`` as Int64, text columns as string, ``updated_at``
        as datetime and ``status`` as an ordered categorical of
        :data:`STATUS_ORDER` (unknown statuses become missing).
    """
    out = actions.copy()
    out["theme_id"] = _theme_ids(out["theme_id"])
    for col in ("action_id", "cycle", "you_said", "we_did", "reason"):
        if col in out.columns:
            out[col] = out[col].astype("string")
    if "updated_at" in out.columns:
        out["updated_at"] = pd.to_datetime(out["updated_at"], errors="coerce")
    out["status"] = pd.Categorical(out["status"].astype("string"), categories=list(STATUS_ORDER), ordered=True)
    return out


def actions_as_of(actions: pd.DataFrame, latest_wave: int) -> pd.DataFrame:
    """The actions log as it stood at the end of a cycle's latest wave (year).

    Re-running an earlier cycle must not show actions agreed, or statuses set,
    after it: rows updated after ``latest_wave`` and rows whose ``cycle`` is a
    later year are dropped. Rows without a date or with a non-year cycle id are kept.

    Parameters
    ----------
    actions
        Output of :func:`clean_actions`.
    latest_wave
        The cycle's latest wave (config ``latest_wave``), a year.

    Returns
    -------
    pd.DataFrame
    """
    keep = pd.Series(True, index=actions.index)
    if "updated_at" in actions.columns:
        year = pd.to_datetime(actions["updated_at"], errors="coerce").dt.year
        keep &= ~(year > latest_wave).fillna(False)
    if "cycle" in actions.columns:
        cycle = actions["cycle"].astype("string")
        is_year = cycle.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
        cycle_year = pd.to_numeric(cycle.where(is_year), errors="coerce")
        keep &= ~(cycle_year > latest_wave).fillna(False)
    return actions.loc[keep.astype(bool)]


def latest_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """One row per action: its most recent update.

    An actions log may be a history (one row per status update) or a register
    (one row per action); this works for both.

    Parameters
    ----------
    actions
        Output of :func:`clean_actions`.

    Returns
    -------
    pd.DataFrame
        One row per ``action_id`` (last ``updated_at``; ties keep the later row).
    """
    if "updated_at" in actions.columns:
        ordered = actions.sort_values(["action_id", "updated_at"], kind="stable", na_position="first")
    else:
        ordered = actions
    return ordered.drop_duplicates("action_id", keep="last").sort_values("action_id", kind="stable").reset_index(drop=True)


def status_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions by status (Done, In progress, Planned, Not possible), zeros kept.

    Parameters
    ----------
    actions
        One row per action (see :func:`latest_actions`).

    Returns
    -------
    pd.DataFrame
        ``status``, ``actions``, ``pct`` (0..100). Actions are not people, so
        nothing is suppressed.
    """
    counts = actions["status"].astype("string").value_counts()
    table = pd.DataFrame({"status": pd.array(list(STATUS_ORDER), dtype="string")})
    table["actions"] = [int(counts.get(s, 0)) for s in STATUS_ORDER]
    total = int(table["actions"].sum())
    table["pct"] = 100 * table["actions"] / total if total else np.nan
    return table


def you_said_we_did(actions: pd.DataFrame, theme_labels: pd.Series | dict[int, str] | None = None) -> pd.DataFrame:
    """The published "you said, we did" table.

    Parameters
    ----------
    actions
        One row per action (see :func:`latest_actions`).
    theme_labels
        theme_id -> display label (e.g. from :func:`theme_counts` or the codebook).

    Returns
    -------
    pd.DataFrame
        ``theme_id``, ``theme``, ``you_said``, ``we_did``, ``status``, ``reason``
        (kept only for "Not possible": the reason is what readers need there),
        sorted by status order then theme id then action id.
    """
    labels = dict(theme_labels) if theme_labels is not None else {}
    out = actions.copy()
    out["theme"] = out["theme_id"].map(lambda t: labels.get(int(t), f"Theme {int(t)}") if pd.notna(t) else "No theme")
    out["theme"] = out["theme"].astype("string")
    reason = out["reason"] if "reason" in out.columns else pd.Series(pd.NA, index=out.index, dtype="string")
    out["reason"] = reason.astype("string").where(out["status"].astype("string") == "Not possible")
    out = out.sort_values(["status", "theme_id", "action_id"], kind="stable", na_position="last")
    return out[["action_id", "theme_id", "theme", "you_said", "we_did", "status", "reason"]].reset_index(drop=True)



def not_possible(table: pd.DataFrame) -> pd.DataFrame:
    """The actions that could not be done, with the reason the log gives.

    Published under "What we could not do, and why": people deserve to know
    why, not only that it did not happen. A missing reason stays missing
    (the report says none was recorded) rather than being filled in.

    Parameters
    ----------
    table
        Output of :func:`you_said_we_did`.

    Returns
    -------
    pd.DataFrame
        ``action_id``, ``theme``, ``you_said``, ``we_did``, ``reason`` for every
        action whose status is "Not possible", in the table's order.
    """
    columns = ["action_id", "theme", "you_said", "we_did", "reason"]
    chosen = table["status"].astype("string").eq("Not possible").fillna(False).astype(bool)
    return table.loc[chosen, columns].reset_index(drop=True)

def action_coverage(
    themes: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    threshold: int | DisclosureRule,
    top_n: int = 10,
    min_people: int | None = None,
) -> pd.DataFrame:
    """For each leading theme: is there an action, and what is its status?

    Parameters
    ----------
    themes
        Output of :func:`theme_counts` (sorted, most raised first).
    actions
        One row per action (see :func:`latest_actions`).
    threshold
        Disclosure rule (:func:`analysis.present.disclosure.rule_from_config`) or a bare
        suppression threshold: themes raised by fewer people have their counts blanked and
        are not called "raised by many"; under the HES rule counts are rounded and the
        percentage and interval computed from the rounded figures. These are the leading
        themes, counted over all questions (people once per theme), so no published total
        ties them together and no secondary suppression is needed.
    top_n
        How many leading themes to list.
    min_people
        A theme with no action is highlighted (``gap`` True) when raised by at
        least this many people; default ``threshold`` (every publishable
        leading theme without an action is a gap).

    Returns
    -------
    pd.DataFrame
        ``theme_id``, ``theme_label``, ``people``, ``pct``, ``ci_low``,
        ``ci_high``, ``actions`` (count), ``status`` (e.g. "Done 2, Planned 1",
        or "No action"), ``has_action``, ``gap``, ``suppressed``.
    """
    leading = themes.head(top_n).copy()
    per_theme = actions.groupby("theme_id", observed=True)["status"].agg(list)

    def describe(theme_id: int) -> tuple[int, str]:
        statuses = [str(s) for s in per_theme.get(theme_id, []) if pd.notna(s)]
        if not statuses:
            return 0, "No action"
        parts = [f"{s} {statuses.count(s)}" for s in STATUS_ORDER if s in statuses]
        return len(statuses), ", ".join(parts)

    described = [describe(int(t)) for t in leading["theme_id"]]
    leading["actions"] = pd.array([d[0] for d in described], dtype="Int64")
    leading["status"] = pd.array([d[1] for d in described], dtype="string")
    leading["has_action"] = leading["actions"] > 0
    rule = as_rule(threshold)
    min_people = rule.threshold if min_people is None else min_people
    small = is_small(leading["people"], rule)
    leading["gap"] = (~leading["has_action"] & (leading["people"] >= min_people) & ~small).astype(bool)
    out = leading.copy()
    out["people"] = publish_counts(leading["people"].astype(float), small, rule).to_numpy()
    base = themes.attrs.get("base")
    if rule.rounding > 1 and base:
        # Percentages and intervals from the rounded figures (the HES rule), never from the exact ones.
        n = out["people"].astype(float).fillna(0).to_numpy()
        shown_base = float(round_counts([base], rule)[0])
        low, high = wilson_ci(n, np.full(len(n), shown_base))
        out["pct"], out["ci_low"], out["ci_high"] = 100 * n / shown_base, 100 * low, 100 * high
    for col in ("people", "pct", "ci_low", "ci_high"):
        out[col] = out[col].astype("Float64")
        out.loc[small, col] = pd.NA
    out["suppressed"] = small
    out["has_action"] = out["has_action"].astype(bool)
    return out.reset_index(drop=True)


def coverage_sentences(coverage: pd.DataFrame) -> list[str]:
    """Plain-English sentences about leading themes without an action.

    Parameters
    ----------
    coverage
        Output of :func:`action_coverage`.

    Returns
    -------
    list[str]
    """
    gaps = coverage.loc[coverage["gap"]]
    covered = int(coverage["has_action"].sum())
    first = f"{covered} of the {len(coverage)} leading themes have at least one action."
    if gaps.empty:
        return [first]
    named = "; ".join(f"{r.theme_label} ({r.pct:.0f}% of people who commented)" for r in gaps.itertuples())
    return [first, f"Raised by many people but with no action yet: {named}."]


def progress_since_previous(
    actions: pd.DataFrame,
    current_cycle_ids: Sequence[str],
    *,
    previous_statuses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status changes of actions agreed in earlier cycles.

    An action belongs to an earlier cycle when its ``cycle`` is set and is none
    of ``current_cycle_ids``. (Action logs name cycles their own way, often by
    year, so the notebook passes both the config's cycle id and its latest wave.)
    Its earlier status comes, in order of preference, from ``previous_statuses``
    (what the previous cycle's report recorded), else from the earliest row of
    the same action in a history-style log. Without either, ``previous_status``
    is missing and only the current status is reported.

    Parameters
    ----------
    actions
        Output of :func:`clean_actions` (all rows: history rows are used).
    current_cycle_ids
        Values of ``cycle`` that mean "this cycle", e.g. ``["example", "2025"]``.
    previous_statuses
        Optional ``action_id``, ``status`` as published by the previous cycle.

    Returns
    -------
    pd.DataFrame
        ``action_id``, ``cycle``, ``theme_id``, ``you_said``, ``previous_status``,
        ``status``, ``changed`` (bool), ``completed`` (bool: now Done, not Done before).
    """
    columns = ["action_id", "cycle", "theme_id", "you_said", "previous_status", "status", "changed", "completed"]
    if "cycle" not in actions.columns or actions.empty:
        return pd.DataFrame(columns=columns)
    cycle = actions["cycle"].astype("string")
    current = [str(c) for c in current_cycle_ids]
    carried = actions.loc[cycle.notna() & ~cycle.isin(current).fillna(False)]
    if carried.empty:
        return pd.DataFrame(columns=columns)
    ids = carried["action_id"].unique()
    history = actions.loc[actions["action_id"].isin(ids)]
    latest = latest_actions(history)
    if previous_statuses is not None and not previous_statuses.empty:
        before = previous_statuses[["action_id", "status"]].astype({"action_id": "string", "status": "string"})
        before = before.drop_duplicates("action_id", keep="last").rename(columns={"status": "previous_status"})
    else:
        ordered = history.sort_values(["action_id", "updated_at"], kind="stable") if "updated_at" in history else history
        first = ordered.drop_duplicates("action_id", keep="first")
        counts = history["action_id"].value_counts()
        first = first.loc[first["action_id"].map(counts) > 1]
        before = first[["action_id"]].assign(previous_status=first["status"].astype("string"))
    out = latest.merge(before, on="action_id", how="left")
    out["status"] = out["status"].astype("string")
    out["previous_status"] = out["previous_status"].astype("string")
    out["changed"] = (out["previous_status"].notna() & (out["previous_status"] != out["status"])).fillna(False).astype(bool)
    out["completed"] = (out["changed"] & (out["status"] == "Done")).fillna(False).astype(bool)
    return out[columns].reset_index(drop=True)


def progress_sentence(progress: pd.DataFrame, previous_cycle: str | None = None) -> str:
    """One sentence on progress with actions agreed in earlier cycles.

    Parameters
    ----------
    progress
        Output of :func:`progress_since_previous`.
    previous_cycle
        The previous report's cycle id, named when completions are counted against it.

    Returns
    -------
    str
    """
    if progress.empty:
        return "No actions from earlier cycles are in the actions log, so there is no earlier progress to report."
    cycles = ", ".join(sorted(progress["cycle"].astype(str).unique()))
    done = int((progress["status"] == "Done").sum())
    text = (f"Of {len(progress)} actions agreed in earlier cycles ({cycles}), {done} "
            f"{'is' if done == 1 else 'are'} now done")
    if progress["previous_status"].notna().any():
        completed = int(progress["completed"].sum())
        since = f"the last report ({previous_cycle})" if previous_cycle else "the last report"
        text += f"; {completed} of them {'was' if completed == 1 else 'were'} completed since {since}"
    return text + "."
