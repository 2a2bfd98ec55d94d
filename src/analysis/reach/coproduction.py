"""Co-production: how far this cycle's activities climbed the ladder of involvement, against the last cycle.

Each activity records its rung of a configurable ladder (config ``reach.ladder``, default
inform, consult, involve, collaborate, co-produce; processed column ``involvement_level``) and
whether experts by experience were involved from the start (``involved_from_start``). The
*co-produced share* is the share of activities with a recorded level whose level is one of the
top ``reach.coproduced_rungs`` rungs. "Moving towards co-production" becomes a difference between
two cycles' shares with a Newcombe interval and the p-value that inverts it
(:func:`analysis.stats.comparisons.compare_proportions`); the sentence's verdict comes from that
same interval, so the two can never disagree.

Shares are of activities and, beside them, of participant-hours when every activity with a level
records its duration (``duration_hours``), otherwise of participants (the example records no
durations). Participant numbers are organisers' tallies of attendance, published unsuppressed as in
the other activity tables: they count attendances, not identifiable people. Activities are events,
not people, so activity counts are never suppressed either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.config import ladder_key
from analysis.stats.comparisons import compare_proportions

#: Label of the row counting activities that recorded no level.
NOT_RECORDED = "not recorded"
#: Weights of the second share: participant-hours when durations are recorded, else participants.
PARTICIPANT_HOURS, PARTICIPANTS = "participant-hours", "participants"
LEVEL_COLUMNS = ["cycle", "level", "rung", "activities", "activity_share", "participants", "participant_share"]
CYCLE_COLUMNS = ["cycle", "activities", "recorded", "coproduced", "coproduced_share", "participants_recorded",
                 "coproduced_participants", "coproduced_participant_share", "from_start", "from_start_recorded",
                 "from_start_share"]


def has_levels(activities: pd.DataFrame | None, level_column: str = "involvement_level") -> bool:
    """Whether an activities table records any involvement level (tables cleaned before the ladder have none)."""
    return activities is not None and level_column in activities.columns and bool(activities[level_column].notna().any())


def off_ladder_levels(activities: pd.DataFrame, ladder: Sequence[str], level_column: str = "involvement_level") -> list[str]:
    """Levels of a table that are not rungs of ``ladder`` (e.g. an earlier cycle cleaned with another ladder)."""
    rungs = {ladder_key(r) for r in ladder}
    levels = activities[level_column].dropna().astype(str).unique() if level_column in activities.columns else []
    return sorted(v for v in levels if ladder_key(v) not in rungs)


def participant_weight(activities: pd.DataFrame, *, participants_column: str = "participants",
                       hours_column: str | None = "duration_hours",
                       level_column: str = "involvement_level") -> tuple[pd.Series, str]:
    """Each activity's weight in the participant share, and what it is.

    Parameters
    ----------
    activities
        Processed activities.
    participants_column, hours_column, level_column
        Column names; ``hours_column`` is used only when present and recorded for every activity
        with a level (a partly recorded duration would weight some activities by hours and others
        not at all).

    Returns
    -------
    (pd.Series, str)
        Float weights (participants x hours, or participants; missing counts as 0) and
        :data:`PARTICIPANT_HOURS` or :data:`PARTICIPANTS`.
    """
    people = pd.to_numeric(activities[participants_column], errors="coerce").astype(float)
    people = people.where(people >= 0)
    with_level = activities[level_column].notna() if level_column in activities.columns else people.notna()
    if hours_column and hours_column in activities.columns:
        hours = pd.to_numeric(activities[hours_column], errors="coerce").astype(float)
        if bool(with_level.any()) and bool(hours[with_level].notna().all()):
            return (people * hours).fillna(0.0), PARTICIPANT_HOURS
    return people.fillna(0.0), PARTICIPANTS


def level_shares(activities: pd.DataFrame, ladder: Sequence[str], *, cycle: str,
                 level_column: str = "involvement_level", participants_column: str = "participants",
                 hours_column: str | None = "duration_hours") -> pd.DataFrame:
    """Activities and participants at each rung of the ladder, in one cycle.

    Parameters
    ----------
    activities
        Processed activities (one row per activity) with ``involvement_level``.
    ladder
        The rungs, lowest first (config ``reach.ladder``); levels are matched ignoring case,
        spaces and hyphens, and a level on no rung raises (see :func:`off_ladder_levels`).
    cycle
        The cycle id written in the ``cycle`` column.
    level_column, participants_column, hours_column
        Column names (see :func:`participant_weight`).

    Returns
    -------
    pd.DataFrame
        One row per rung in ladder order (zeros kept), then a :data:`NOT_RECORDED` row:
        ``cycle``, ``level``, ``rung`` (1 = lowest; missing for not recorded), ``activities``,
        ``activity_share`` (0-1 of activities with a level; missing for not recorded),
        ``participants`` (the weight's sum) and ``participant_share``. ``attrs["weight"]`` says
        whether participants or participant-hours were summed.

    Raises
    ------
    ValueError
        A level that is no rung of ``ladder``.
    """
    off = off_ladder_levels(activities, ladder, level_column)
    if off:
        raise ValueError(f"levels not on the ladder ({', '.join(ladder)}): {', '.join(off)}")
    by_key = {ladder_key(r): r for r in ladder}
    level = activities[level_column].map(lambda v: by_key[ladder_key(v)] if isinstance(v, str) else None)
    weight, kind = participant_weight(activities, participants_column=participants_column,
                                      hours_column=hours_column, level_column=level_column)
    recorded = level.notna()
    n_recorded, w_recorded = int(recorded.sum()), float(weight[recorded].sum())
    rows = []
    for position, rung in enumerate(ladder, start=1):
        chosen = level == rung
        n, w = int(chosen.sum()), float(weight[chosen].sum())
        rows.append({"cycle": cycle, "level": rung, "rung": position, "activities": n,
                     "activity_share": n / n_recorded if n_recorded else np.nan, "participants": w,
                     "participant_share": w / w_recorded if w_recorded else np.nan})
    rows.append({"cycle": cycle, "level": NOT_RECORDED, "rung": pd.NA, "activities": int((~recorded).sum()),
                 "activity_share": np.nan, "participants": float(weight[~recorded].sum()), "participant_share": np.nan})
    table = pd.DataFrame(rows, columns=LEVEL_COLUMNS)
    table["rung"] = table["rung"].astype("Int64")
    table["activities"] = table["activities"].astype("Int64")
    table.attrs["weight"] = kind
    return table


def cycle_summary(shares: pd.DataFrame, coproduced_levels: Sequence[str],
                  activities: pd.DataFrame | None = None, *, from_start_column: str = "involved_from_start") -> dict[str, Any]:
    """One cycle's co-produced share (of activities and of participants) and its from-the-start share.

    Parameters
    ----------
    shares
        Output of :func:`level_shares` for one cycle (or the same rows as a previous report recorded them).
    coproduced_levels
        The rungs counted as co-produced (config ``reach.coproduced_levels()``).
    activities
        The same cycle's activities, for ``involved_from_start``; None when only recorded shares exist.

    Returns
    -------
    dict
        The keys of :data:`CYCLE_COLUMNS`; shares 0-1, missing (NaN) when nothing was recorded.
    """
    rungs = shares.loc[shares["level"] != NOT_RECORDED]
    chosen = rungs["level"].isin(list(coproduced_levels))
    recorded, coproduced = int(rungs["activities"].sum()), int(rungs.loc[chosen, "activities"].sum())
    people, coproduced_people = float(rungs["participants"].sum()), float(rungs.loc[chosen, "participants"].sum())
    out: dict[str, Any] = {
        "cycle": str(shares["cycle"].iloc[0]) if len(shares) else "",
        "activities": int(shares["activities"].sum()), "recorded": recorded, "coproduced": coproduced,
        "coproduced_share": coproduced / recorded if recorded else np.nan,
        "participants_recorded": people, "coproduced_participants": coproduced_people,
        "coproduced_participant_share": coproduced_people / people if people else np.nan,
        "from_start": None, "from_start_recorded": None, "from_start_share": np.nan,
    }
    if activities is not None and from_start_column in activities.columns:
        flags = activities[from_start_column].astype("boolean")
        known = int(flags.notna().sum())
        out["from_start"], out["from_start_recorded"] = int(flags.fillna(False).sum()), known
        out["from_start_share"] = out["from_start"] / known if known else np.nan
    return out


def coproduction_change(current: Mapping[str, Any], previous: Mapping[str, Any], *, alpha: float = 0.05) -> dict[str, Any]:
    """Change in the co-produced share of activities between two cycles, with its Newcombe interval.

    Parameters
    ----------
    current, previous
        Outputs of :func:`cycle_summary` (``coproduced`` of ``recorded`` activities).
    alpha
        1 - confidence level.

    Returns
    -------
    dict
        ``current_cycle``, ``previous_cycle``, ``current_share``, ``previous_share`` (0-1),
        ``difference_pp``, ``ci_low_pp``, ``ci_high_pp`` (percentage points), ``p_value``,
        ``level`` (e.g. 0.95) and ``verdict`` ("clear rise", "clear fall" or "no clear change",
        read from the interval: a clear change is one whose interval excludes 0).

    Raises
    ------
    ValueError
        A cycle recorded no level (nothing to compare).
    """
    if not current["recorded"] or not previous["recorded"]:
        raise ValueError("both cycles need activities with a recorded involvement level")
    result = compare_proportions(np.array([current["coproduced"]]), np.array([current["recorded"]]),
                                 np.array([previous["coproduced"]]), np.array([previous["recorded"]]), alpha=alpha).iloc[0]
    low, high = 100 * float(result["ci_low"]), 100 * float(result["ci_high"])
    verdict = "clear rise" if low > 0 else "clear fall" if high < 0 else "no clear change"
    return {"current_cycle": str(current["cycle"]), "previous_cycle": str(previous["cycle"]),
            "current_share": current["coproduced"] / current["recorded"],
            "previous_share": previous["coproduced"] / previous["recorded"],
            "difference_pp": 100 * float(result["estimate"]), "ci_low_pp": low, "ci_high_pp": high,
            "p_value": float(result["p_value"]), "level": 1 - alpha, "verdict": verdict}


def _levels_text(levels: Sequence[str]) -> str:
    quoted = [f'"{level}"' for level in levels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def coproduction_sentence(current: Mapping[str, Any], coproduced_levels: Sequence[str],
                          change: Mapping[str, Any] | None = None, previous: Mapping[str, Any] | None = None,
                          *, weight: str = PARTICIPANTS) -> str:
    """One plain-English sentence on the co-produced share, its verdict taken from the interval in ``change``.

    Parameters
    ----------
    current
        This cycle's :func:`cycle_summary`.
    coproduced_levels
        The rungs counted as co-produced.
    change
        :func:`coproduction_change`, or None when there is no earlier cycle to compare with.
    previous
        The earlier cycle's :func:`cycle_summary` (for its counts), with ``change``.
    weight
        What the participant share weighs (:data:`PARTICIPANTS` or :data:`PARTICIPANT_HOURS`).

    Returns
    -------
    str
    """
    levels = _levels_text(coproduced_levels)
    if not current["recorded"]:
        return "No activity recorded its level of involvement this cycle, so co-production cannot be measured."
    share = f"{100 * current['coproduced_share']:.0f}% ({current['coproduced']} of {current['recorded']})"
    people = current.get("coproduced_participant_share")
    reach = (f"; co-produced activities had {100 * people:.0f}% of this cycle's {weight}"
             if people is not None and not pd.isna(people) else "")
    if change is None or previous is None:
        return (f"{share} of this cycle's activities with a recorded level were co-produced (level {levels}){reach}; "
                "there is no earlier cycle with recorded levels to compare with.")
    before = f"{100 * previous['coproduced_share']:.0f}% ({previous['coproduced']} of {previous['recorded']})"
    diff, low, high = change["difference_pp"], change["ci_low_pp"], change["ci_high_pp"]
    interval = (f"{100 * change['level']:.0f}% interval {low:+.0f} to {high:+.0f} points; {_p_text(change['p_value'])}")
    if change["verdict"] == "no clear change":
        return (f"The co-produced share of activities (level {levels}) was {before} in {change['previous_cycle']} and "
                f"{share} in {change['current_cycle']}: no clear change (difference {diff:+.0f} points, {interval}){reach}.")
    direction = "rose" if change["verdict"] == "clear rise" else "fell"
    return (f"The co-produced share of activities (level {levels}) {direction} from {before} in "
            f"{change['previous_cycle']} to {share} in {change['current_cycle']}, a {change['verdict']} of "
            f"{abs(diff):.0f} points ({interval}){reach}.")


def coproduction_figure(shares: pd.DataFrame, coproduced_levels: Sequence[str], *, title: str) -> tuple[Any, str]:
    """Stacked bars: each cycle's activities by rung of the ladder (shares of activities with a level).

    Parameters
    ----------
    shares
        :func:`level_shares` rows of one or more cycles (earliest first).
    coproduced_levels
        The rungs counted as co-produced (outlined and named in the alt text).
    title
        Used in the alt text.

    Returns
    -------
    (matplotlib.figure.Figure, str)
        The figure and its alt text.
    """
    import matplotlib.pyplot as plt  # local: importing this module must stay light
    import seaborn as sns

    rungs = shares.loc[shares["level"] != NOT_RECORDED]
    ladder = list(dict.fromkeys(rungs.sort_values("rung")["level"]))
    cycles = list(dict.fromkeys(shares["cycle"]))
    colours = sns.color_palette("Blues", n_colors=len(ladder) + 1)[1:]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.75 * len(cycles)))
    left = np.zeros(len(cycles))
    for colour, rung in zip(colours, ladder, strict=True):
        values = np.array([float(rungs.loc[(rungs["cycle"] == c) & (rungs["level"] == rung), "activity_share"].fillna(0).sum())
                           for c in cycles])
        bars = ax.barh(cycles, 100 * values, left=100 * left, color=colour, label=rung,
                       edgecolor="#212B32" if rung in coproduced_levels else "white",
                       linewidth=1.6 if rung in coproduced_levels else 0.5)
        for bar, value in zip(bars, values, strict=True):
            if value >= 0.06:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, f"{100 * value:.0f}%",
                        ha="center", va="center", fontsize=9,
                        color="white" if ladder.index(rung) >= len(ladder) / 2 else "#212B32")
        left += values
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of activities with a recorded level")
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(ncols=len(ladder), loc="upper center", bbox_to_anchor=(0.5, -0.3 if len(cycles) < 3 else -0.2),
              frameon=False, fontsize=9)
    parts = []
    for c in cycles:
        row = rungs.loc[(rungs["cycle"] == c) & rungs["level"].isin(list(coproduced_levels)), "activity_share"]
        parts.append(f"{c}: {100 * float(row.fillna(0).sum()):.0f}% co-produced")
    alt = (f"{title}. Stacked bars of the share of activities at each level of involvement ({', '.join(ladder)}), "
           f"one bar per cycle; " + "; ".join(parts) + ".")
    return fig, alt


def from_start_sentence(current: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> str | None:
    """How often experts by experience were involved from the start (this cycle, and the previous one if recorded).

    Returns
    -------
    str or None
        None when no activity recorded it this cycle. Descriptive only: the tested measure is the
        co-produced share.
    """
    if not current.get("from_start_recorded"):
        return None
    now = (f"Experts by experience were involved from the start in {100 * current['from_start_share']:.0f}% of "
           f"activities ({current['from_start']} of {current['from_start_recorded']} that recorded it)")
    if previous is not None and previous.get("from_start_recorded"):
        now += (f", against {100 * previous['from_start_share']:.0f}% ({previous['from_start']} of "
                f"{previous['from_start_recorded']}) in {previous['cycle']}")
    return now + "."
