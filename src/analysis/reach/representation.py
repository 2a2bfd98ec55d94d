"""Who we heard from: activities, channels and representation against a population benchmark.

Longer than 500 lines: every people-counting table of the reach report is suppressed together as one
linked system, so the tables, their cells and the representation ratios with their intervals live
together.

Every function is pure (DataFrame in, DataFrame out) so that notebook 04 stays
thin and the tests can feed small hand-made frames. Counts of people pass through
the disclosure layer (:mod:`analysis.present.disclosure`) before anything is
published, and the report's linked tables are suppressed together by
:func:`reach_tables`; the functions that return "raw" tables say so in their docstring.

Representation rule (documented once, used everywhere)
------------------------------------------------------
For each group ``g`` of a dimension (borough, age band, ethnicity, ...):

* respondent share ``p = n_g / n`` where ``n`` counts respondents who *stated*
  the dimension (missing and "Not stated" are left out of the base) and who are
  inside the benchmark area;
* population share ``P = N_g / N`` from the benchmark;
* Wilson interval ``(p_low, p_high)`` on the respondent share;
* representation ratio ``r = p / P`` with interval ``(p_low / P, p_high / P)``
  (the population share is treated as known: it comes from a census);
* **under-represented** when ``r < threshold`` (config ``reach.under_represented_ratio``)
  **and** the interval excludes 1 (``p_high / P < 1``). Requiring both stops a
  small group being flagged on noise alone and a large group being flagged for
  a trivially small shortfall.

Groups with fewer respondents than the suppression threshold have their count,
share, interval and ratio blanked, but can still be flagged: "fewer than 10
respondents against 12% of the population" reveals nobody, and the groups we
barely heard from are exactly the ones this analysis exists to find.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import paths, vocab
from analysis.core.readers import read_parquet
from analysis.present.disclosure import (
    CellSystem,
    DisclosureRule,
    as_rule,
    publish_counts,
    round_counts,
)
from analysis.present.exports import write_csv
from analysis.stats.proportions import wilson_ci

#: Equality-monitoring fields summarised by :func:`equality_summary`.
EQUALITY_FIELDS: tuple[str, ...] = ("age_band", "ethnicity", "gender", "disability", "carer_status")

#: Human-readable labels for dimensions, used in tables and sentences.
DIMENSION_LABELS: dict[str, str] = {
    "borough": "Borough",
    "age_band": "Age band",
    "ethnicity": "Ethnic group",
    "gender": "Gender",
    "disability": "Disability",
    "carer_status": "Unpaid carer",
    "activity_type": "Activity type",
    "month": "Month",
    "channel": "Channel",
}


def _stated(values: pd.Series) -> pd.Series:
    """True where a categorical answer was actually given."""
    return values.notna() & (values.astype("string") != vocab.NOT_STATED)


# --------------------------------------------------------------------------- activities
def activity_summary(
    activities: pd.DataFrame,
    by: str | Sequence[str],
    *,
    participants_column: str = "participants",
    id_column: str = "activity_id",
) -> pd.DataFrame:
    """Count activities and participants reached by one or more columns.

    Parameters
    ----------
    activities
        The processed activities table (one row per activity).
    by
        Column(s) to group by, e.g. ``"activity_type"``, ``"month"`` or ``["borough"]``.
    participants_column, id_column
        Column names of the participant count and the activity id.

    Returns
    -------
    pd.DataFrame
        One row per group with ``activities`` (distinct ids) and ``participants``
        (sum; missing counts are treated as unknown, not zero, and reported in
        ``participants_unknown``). Sorted by the grouping columns. Missing
        group values appear as ``"Not recorded"`` so that no activity is lost.
        Activity counts describe events, not people, so they are not suppressed.
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = activities.copy()
    for key in keys:
        frame[key] = frame[key].astype("string").fillna("Not recorded")
    participants = pd.to_numeric(frame[participants_column], errors="coerce")
    frame["_participants"] = participants
    frame["_unknown"] = participants.isna()
    out = (
        frame.groupby(keys, observed=True, sort=True)
        .agg(
            activities=(id_column, "nunique"),
            participants=("_participants", "sum"),
            participants_unknown=("_unknown", "sum"),
        )
        .reset_index()
    )
    out["participants"] = out["participants"].round().astype("Int64")
    out["participants_unknown"] = out["participants_unknown"].astype("Int64")
    out["activities"] = out["activities"].astype("Int64")
    return out


def reach_totals(activities: pd.DataFrame, respondents: pd.DataFrame,
                 areas: Sequence[str] = vocab.BOROUGHS) -> dict[str, int]:
    """Headline reach numbers: activities, participants, respondents, boroughs with activity.

    Parameters
    ----------
    activities
        Processed activities (``activity_id``, ``participants``, ``borough``).
    respondents
        The respondents to count (already filtered to the exercise and wave of interest).

    Returns
    -------
    dict
        ``activities``, ``participants`` (sum of known counts), ``respondents`` and
        ``boroughs_with_activity`` (how many of ``areas``, the cycle's geography
        ``config.vocabularies.geography.values``, had at least one activity).
    """
    participants = pd.to_numeric(activities.get("participants", pd.Series(dtype=float)), errors="coerce")
    boroughs = set(activities.get("borough", pd.Series(dtype="string")).dropna().astype(str))
    return {
        "activities": int(activities["activity_id"].nunique()) if "activity_id" in activities else 0,
        "participants": int(participants.sum(skipna=True)),
        "respondents": int(respondents["respondent_id"].nunique()) if len(respondents) else 0,
        "boroughs_with_activity": len(boroughs & set(areas)),
    }


def responses_by_channel(
    respondents: pd.DataFrame,
    *,
    threshold: int | DisclosureRule,
    channel_column: str = "channel",
    channels: Sequence[str] = vocab.CHANNELS,
) -> pd.DataFrame:
    """How people responded (survey, event, interview, written submission), suppressed.

    Parameters
    ----------
    respondents
        One row per respondent.
    threshold
        The disclosure rule (:func:`analysis.present.disclosure.rule_from_config`), or a bare
        suppression threshold (config ``suppression_threshold``) for the threshold rule.
    channel_column
        Column holding the channel.
    channels
        Channels always listed (zero rows kept so that "nobody used it" is visible).

    Returns
    -------
    pd.DataFrame
        ``channel``, ``respondents``, ``pct`` (of all respondents, blank for
        "Not recorded") and ``suppressed``; a trailing ``"Not recorded"`` row appears
        only when some channels are missing. Small counts are hidden, and secondary
        suppression makes sure none can be recovered from the number of respondents.
    """
    counts = _channel_counts(respondents, channel_column, channels)
    system = CellSystem()
    total = system.cell(int(counts["respondents"].sum()), ("respondents", "all"), fixed=True)
    ids = _channel_cells(system, counts, total)
    return _channel_publish(counts, system.solve(threshold)[ids], as_rule(threshold))


def _channel_counts(respondents: pd.DataFrame, channel_column: str, channels: Sequence[str]) -> pd.DataFrame:
    """Raw respondents per channel (unsuppressed): ``channel``, ``respondents``, ``known``."""
    values = respondents[channel_column].astype("string")
    counts = values.value_counts(dropna=True)
    order = list(channels) + sorted(set(counts.index) - set(channels))
    table = pd.DataFrame({"channel": order, "respondents": [int(counts.get(c, 0)) for c in order], "known": True})
    missing = int(values.isna().sum())
    if missing:
        table = pd.concat([table, pd.DataFrame({"channel": ["Not recorded"], "respondents": [missing],
                                                "known": [False]})], ignore_index=True)
    table["channel"] = table["channel"].astype("string")
    return table


def _channel_cells(system: CellSystem, counts: pd.DataFrame, total: int) -> list[int]:
    """Add the channel counts to a report's cell system: with "Not recorded" they add up to all respondents."""
    ids = system.cells(counts["respondents"], [("responses_by_channel", c) for c in counts["channel"]])
    system.add_sum(total, ids)
    return ids


def _channel_publish(counts: pd.DataFrame, hidden: np.ndarray, rule: DisclosureRule) -> pd.DataFrame:
    """The published channel table: counts as the rule prints them, percentages of all respondents from those.

    The base is every respondent (as in equality monitoring), not only those with a recorded
    channel: two printed bases would give the number not recorded by subtraction.
    """
    known = counts["known"].to_numpy(bool)
    shown = publish_counts(counts["respondents"], hidden, rule)
    base = float(round_counts([counts["respondents"].sum()], rule)[0])
    pct = (100 * shown / base) if base else pd.Series(pd.NA, index=shown.index, dtype="Float64")
    out = pd.DataFrame({"channel": counts["channel"], "respondents": shown,
                        "pct": pct.where(pd.Series(known, index=shown.index))})
    out["pct"] = out["pct"].astype("Float64")
    out["suppressed"] = np.asarray(hidden, dtype=bool)
    return out


# --------------------------------------------------------------------------- representation
def population_shares(population: pd.DataFrame, dimension: str | Sequence[str]) -> pd.DataFrame:
    """Population count and share per group of one dimension (or a cross of several).

    Parameters
    ----------
    population
        Benchmark with the dimension column(s) and ``population``.
    dimension
        ``"borough"``, ``"age_band"``, ``"ethnicity"`` or a list for a cross, e.g.
        ``["borough", "age_band"]``.

    Returns
    -------
    pd.DataFrame
        Dimension columns, ``population`` and ``population_share`` (0..1).
    """
    keys = [dimension] if isinstance(dimension, str) else list(dimension)
    pop = population.copy()
    pop["population"] = pd.to_numeric(pop["population"], errors="coerce").fillna(0)
    out = pop.groupby(keys, observed=True, sort=True)["population"].sum().reset_index()
    total = out["population"].sum()
    out["population_share"] = out["population"] / total if total > 0 else np.nan
    out["population"] = out["population"].round().astype("Int64")
    return out


def representation(
    respondents: pd.DataFrame,
    population: pd.DataFrame,
    dimension: str | Sequence[str],
    *,
    threshold: int | DisclosureRule,
    ratio_threshold: float,
    alpha: float = 0.05,
    outside_values: Sequence[str] = (vocab.BOROUGH_OTHER,),
) -> pd.DataFrame:
    """Respondent share against population share, with a representation ratio and flag.

    See the module docstring for the rule. Respondents whose borough is one of
    ``outside_values`` are outside the benchmark area and leave the base; those
    who did not state the dimension also leave the base (they are counted in
    ``not_stated`` of the first row's metadata, see ``attrs``).

    Parameters
    ----------
    respondents
        One row per respondent with the dimension column(s) (and ``borough``).
    population
        Benchmark: dimension column(s) and ``population``.
    dimension
        Column name, or list of columns for a cross (e.g. borough x age band).
    threshold
        Disclosure rule or bare suppression threshold: a group with 1..threshold-1
        respondents has its count, share, interval and ratio blanked (``suppressed``
        True), and so has the next smallest group when one hidden group could be
        worked out from the base; its flag is kept (see the module docstring). Zero
        respondents are shown (nobody heard from reveals no one). Use
        :func:`reach_tables` for the report, which suppresses the linked tables together.
    ratio_threshold
        Representation ratio below which a group may be flagged (config
        ``reach.under_represented_ratio``).
    alpha
        1 - confidence level of the Wilson interval.
    outside_values
        Borough values outside the benchmark area.

    Returns
    -------
    pd.DataFrame
        Dimension column(s), ``respondents``, ``respondent_share``, ``ci_low``,
        ``ci_high`` (shares 0..1), ``population``, ``population_share``,
        ``ratio``, ``ratio_low``, ``ratio_high``, ``under_represented`` (bool),
        for a cross also ``beyond_parts`` (bool: flagged, and the interval lies
        below the ratio of each of its parts), ``suppressed`` (bool). ``attrs["base"]`` holds the respondent base and
        ``attrs["not_stated"]`` how many were left out for not stating.
        Groups that appear among respondents but not in the benchmark are dropped
        (they have no population share) and counted in ``attrs["not_in_benchmark"]``.
    """
    counts = _representation_counts(respondents, population, dimension, ratio_threshold=ratio_threshold,
                                     alpha=alpha, outside_values=outside_values)
    system = CellSystem()
    everyone = system.cell(len(respondents), ("respondents", "all"), fixed=True)
    ids = _representation_cells(system, counts, "representation", everyone)
    hidden = system.solve(threshold)
    return _representation_publish(counts, hidden[ids], as_rule(threshold), ratio_threshold=ratio_threshold,
                                   alpha=alpha, not_stated_hidden=bool(hidden[counts.attrs["_not_stated_cell"]]))


def _shares(n: np.ndarray, base: float, pshare: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """Respondent share, its Wilson interval and the representation ratio with its interval."""
    share = n / base if base else np.full(len(n), np.nan)
    low, high = wilson_ci(n, np.full(len(n), base), alpha=alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"respondent_share": share, "ci_low": low, "ci_high": high,
                "ratio": np.where(pshare > 0, share / pshare, np.nan),
                "ratio_low": np.where(pshare > 0, low / pshare, np.nan),
                "ratio_high": np.where(pshare > 0, high / pshare, np.nan)}


def _representation_counts(respondents: pd.DataFrame, population: pd.DataFrame, dimension: str | Sequence[str], *,
                           ratio_threshold: float, alpha: float, outside_values: Sequence[str]) -> pd.DataFrame:
    """Raw (unsuppressed) respondents per group, population shares, and the exact-figure flags.

    Returns dimension column(s), ``respondents`` (int), ``population``, ``population_share``,
    ``_flag`` (under-represented on the exact figures) and, for a cross, ``_beyond``; ``attrs`` as
    :func:`representation`. Never published as it stands.
    """
    keys = [dimension] if isinstance(dimension, str) else list(dimension)
    frame = respondents.copy()
    if "borough" in frame.columns and outside_values:
        frame = frame.loc[~frame["borough"].astype("string").isin(list(outside_values)).fillna(False)]
    stated = pd.Series(True, index=frame.index)
    for key in keys:
        stated &= _stated(frame[key])
    not_stated = int((~stated).sum())
    frame = frame.loc[stated]
    for key in keys:
        frame[key] = frame[key].astype("string")

    pop = population_shares(population, keys)
    for key in keys:
        pop[key] = pop[key].astype("string")
    counts = frame.groupby(keys, observed=True).size().rename("respondents").reset_index()
    in_benchmark = counts.merge(pop[keys], on=keys, how="inner")
    not_in_benchmark = int(counts["respondents"].sum() - in_benchmark["respondents"].sum())
    table = pop.merge(in_benchmark, on=keys, how="left")
    table["respondents"] = table["respondents"].fillna(0).astype("int64")
    base = int(table["respondents"].sum())
    exact = _shares(table["respondents"].to_numpy(float), base, table["population_share"].astype(float).to_numpy(),
                    alpha)
    table["_flag"] = (exact["ratio"] < ratio_threshold) & (exact["ratio_high"] < 1)
    if len(keys) > 1:
        # Is the cell's shortfall deeper than that of each of its parts (e.g. Asian residents of Harrow
        # against Harrow and against Asian residents overall)? Only this yes/no is published.
        deeper = pd.Series(True, index=table.index)
        for key in keys:
            part = _representation_counts(respondents, population, key, ratio_threshold=ratio_threshold,
                                          alpha=alpha, outside_values=outside_values)
            part_ratio = _shares(part["respondents"].to_numpy(float), part.attrs["base"],
                                 part["population_share"].astype(float).to_numpy(), alpha)["ratio"]
            lookup = pd.Series(part_ratio, index=part[key].to_numpy())
            deeper &= pd.Series(exact["ratio_high"], index=table.index) < table[key].map(lookup).astype(float)
        table["_beyond"] = deeper.fillna(False).to_numpy(bool) & table["_flag"].to_numpy(bool)
    table.attrs.update({"base": base, "not_stated": not_stated, "not_in_benchmark": not_in_benchmark,
                        "dimension": keys, "stated_or_outside": int(len(respondents)) - base})
    return table


def _representation_cells(system: CellSystem, counts: pd.DataFrame, name: str, everyone: int) -> list[int]:
    """Add one representation table to a report's cell system.

    Its groups add up to its base; the base, the number who did not state the dimension (both
    printed beside the table) and the people outside the area or the benchmark (unpublished) add
    up to all respondents.
    """
    keys = counts.attrs["dimension"]
    labels = [(name, " x ".join(keys), " / ".join(str(row[k]) for k in keys)) for _, row in counts.iterrows()]
    ids = system.cells(counts["respondents"], labels)
    # The base is printed beside the table, and can be worked out from any count and its share.
    base = system.cell(counts.attrs["base"], (name, " x ".join(keys), "base"), fixed=True)
    system.add_sum(base, ids)
    not_stated = system.cell(counts.attrs["not_stated"], (name, " x ".join(keys), "not stated"), protected=False)
    system.add_sum(everyone, [base, not_stated])
    counts.attrs["_base_cell"] = base
    counts.attrs["_not_stated_cell"] = not_stated
    return ids


def _representation_publish(counts: pd.DataFrame, hidden: np.ndarray, rule: DisclosureRule, *,
                            ratio_threshold: float, alpha: float, not_stated_hidden: bool) -> pd.DataFrame:
    """The published representation table: every figure computed from the counts as printed.

    Hidden groups keep their under-representation flag (computed on the exact figures; see the
    module docstring); shown groups are flagged on the printed figures, so words match numbers.
    """
    keys = counts.attrs["dimension"]
    hidden = np.asarray(hidden, dtype=bool)
    shown = publish_counts(counts["respondents"], hidden, rule)
    base = float(round_counts([counts.attrs["base"]], rule)[0])
    stats = _shares(shown.astype(float).fillna(0).to_numpy(), base,
                    counts["population_share"].astype(float).to_numpy(), alpha)
    out = counts[keys].copy()
    out["respondents"] = shown.to_numpy()
    for col, values in stats.items():
        out[col] = pd.array(np.where(hidden, np.nan, values), dtype="Float64")
    out["population"] = counts["population"]
    out["population_share"] = counts["population_share"]
    printed_flag = (stats["ratio"] < ratio_threshold) & (stats["ratio_high"] < 1)
    out["under_represented"] = np.where(hidden, counts["_flag"].to_numpy(bool), printed_flag).astype(bool)
    columns = keys + ["respondents", "respondent_share", "ci_low", "ci_high", "population", "population_share",
                      "ratio", "ratio_low", "ratio_high", "under_represented"]
    if "_beyond" in counts.columns:
        out["beyond_parts"] = counts["_beyond"].to_numpy(bool) & out["under_represented"].to_numpy(bool)
        columns.append("beyond_parts")
    out = out[columns]
    out["respondents"] = out["respondents"].astype("Float64")
    out["suppressed"] = hidden
    not_stated = publish_counts([counts.attrs["not_stated"]], [not_stated_hidden], rule).iloc[0]
    out.attrs.update({"base": int(base), "not_stated": None if pd.isna(not_stated) else int(not_stated),
                      "not_in_benchmark": counts.attrs["not_in_benchmark"], "dimension": keys,
                      "ratio_threshold": ratio_threshold, "alpha": alpha, "rule": rule.name})
    return out


def base_note(table: pd.DataFrame, label: str) -> str:
    """The sentence printed above a representation table: its base and how many did not state.

    Both numbers come from the suppressed table's ``attrs``; the "did not state" count is left out
    when the disclosure layer hid it (a small number, or one that would reveal another).

    Parameters
    ----------
    table
        Output of :func:`representation` or :func:`reach_tables`.
    label
        The dimension's label, e.g. "Age band".
    """
    text = f"Base: {table.attrs['base']:,} respondents who stated their {label.lower()}"
    not_stated = table.attrs.get("not_stated")
    if not_stated is None:
        return text + " (those who did not, too few to show, are left out)."
    return text + f" ({not_stated:,} did not and are left out)."


def cross_is_publishable(table: pd.DataFrame, *, min_share_published: float = 0.5) -> bool:
    """Whether a cross-tabulated representation table says enough to publish.

    A borough x age band table in which most cells are suppressed tells the
    reader little and invites differencing; publish it only when at least
    ``min_share_published`` of the cells with people in the population are shown.

    Parameters
    ----------
    table
        Output of :func:`representation` for a cross.
    min_share_published
        Share (0..1) of cells that must be unsuppressed.

    Returns
    -------
    bool
    """
    if table.empty:
        return False
    return float((~table["suppressed"]).mean()) >= min_share_published


def under_represented_groups(tables: dict[str, pd.DataFrame], *, hide_nested: bool = True) -> pd.DataFrame:
    """Collect the flagged groups of several representation tables into one list.

    Parameters
    ----------
    tables
        Name -> output of :func:`representation` (single dimension or cross).
    hide_nested
        Leave out a flagged cross cell (e.g. Hillingdon / 25-34) when one of its
        parts (Hillingdon, or 25-34) is flagged on its own, unless the cell's
        shortfall is clearly deeper than each part's (``beyond_parts``): the list
        then names specific gaps (e.g. Asian residents of Harrow) rather than
        repeating a borough's shortfall in every age band.

    Returns
    -------
    pd.DataFrame
        ``dimension``, ``group`` (cross groups joined with " / "), ``respondent_share``,
        ``population_share``, ``ratio``, ``ratio_low``, ``ratio_high`` (missing when
        suppressed), ``suppressed``; sorted by dimension order then ratio.
    """
    flagged_single: set[tuple[str, str]] = set()
    for table in tables.values():
        keys = table.attrs.get("dimension") or []
        if len(keys) == 1:
            flagged_single |= {(keys[0], str(v)) for v in table.loc[table["under_represented"], keys[0]]}
    rows = []
    for order, (name, table) in enumerate(tables.items()):
        keys = table.attrs.get("dimension") or [name]
        for _, row in table.loc[table["under_represented"]].iterrows():
            if (hide_nested and len(keys) > 1 and not bool(row.get("beyond_parts", False))
                    and any((k, str(row[k])) in flagged_single for k in keys)):
                continue
            rows.append({
                "dimension": name,
                "group": " / ".join(str(row[k]) for k in keys),
                "respondent_share": row["respondent_share"],
                "population_share": float(row["population_share"]),
                "ratio": row["ratio"],
                "ratio_low": row["ratio_low"],
                "ratio_high": row["ratio_high"],
                "suppressed": bool(row["suppressed"]),
                "_order": order,
            })
    columns = ["dimension", "group", "respondent_share", "population_share", "ratio", "ratio_low", "ratio_high",
               "suppressed"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    for col in ("respondent_share", "ratio", "ratio_low", "ratio_high"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out = out.sort_values(["_order", "ratio", "group"], kind="stable", na_position="first")
    return out[columns].reset_index(drop=True)


def representation_sentences(flagged: pd.DataFrame, *, ratio_threshold: float, threshold: int = 10) -> list[str]:
    """Plain-English "who we have not heard from" sentences.

    Parameters
    ----------
    flagged
        Output of :func:`under_represented_groups`.
    ratio_threshold
        The threshold used, quoted in the sentence when nobody is flagged.
    threshold
        Suppression threshold, quoted for groups whose numbers are hidden.

    Returns
    -------
    list[str]
        One sentence per flagged group, or a single sentence saying none was flagged.
    """
    if flagged.empty:
        return [
            "No group was clearly under-represented: every group's share of respondents was at least "
            f"{ratio_threshold:.0%} of its share of the population, or the shortfall was within the margin of error."
        ]
    sentences = []
    for row in flagged.itertuples(index=False):
        parts = [DIMENSION_LABELS.get(d, d.replace("_", " ")).lower() for d in row.dimension.split(" x ")]
        label = " × ".join(parts)
        if row.suppressed:
            sentences.append(
                f"{row.group} ({label}): fewer than {threshold} respondents against {row.population_share:.0%} "
                "of the population, far fewer than expected.")
        else:
            sentences.append(
                f"{row.group} ({label}): {row.respondent_share:.0%} of respondents against "
                f"{row.population_share:.0%} of the population, a representation ratio of {row.ratio:.2f} "
                f"(95% interval {row.ratio_low:.2f} to {row.ratio_high:.2f}).")
    return sentences


# --------------------------------------------------------------------------- equality monitoring
def equality_summary(
    respondents: pd.DataFrame,
    *,
    threshold: int | DisclosureRule,
    fields: Sequence[str] = EQUALITY_FIELDS,
) -> pd.DataFrame:
    """Equality-monitoring counts and percentages with primary and secondary suppression.

    Parameters
    ----------
    respondents
        One row per respondent.
    threshold
        Disclosure rule or bare suppression threshold.
    fields
        Equality fields to summarise (those absent from ``respondents`` are skipped).

    Returns
    -------
    pd.DataFrame
        ``field``, ``category``, ``respondents``, ``pct`` (of all respondents,
        including "Not stated"), ``suppressed``. Missing values count as
        "Not stated". Further categories are hidden (next smallest first) until no
        hidden number can be recovered by subtracting the others from the total
        and the hidden ones together are not a small number (secondary suppression;
        :mod:`analysis.present.disclosure`).
    """
    counts = _equality_counts(respondents, fields)
    system = CellSystem()
    total = system.cell(len(respondents), ("respondents", "all"), fixed=True)
    ids = _equality_cells(system, counts, total)
    return _equality_publish(counts, system.solve(threshold)[ids], as_rule(threshold), len(respondents))


def _equality_counts(respondents: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Raw respondents per equality field and answer (unsuppressed): ``field, category, respondents``."""
    order_of = {
        "age_band": vocab.AGE_BANDS, "ethnicity": vocab.ETHNICITY_GROUPS, "gender": vocab.GENDERS,
        "disability": vocab.YES_NO, "carer_status": vocab.YES_NO,
    }
    parts = []
    for field in fields:
        if field not in respondents.columns:
            continue
        values = respondents[field].astype("string").fillna(vocab.NOT_STATED)
        counts = values.value_counts()
        known = list(order_of.get(field, ()))
        order = known + sorted(set(counts.index) - set(known) - {vocab.NOT_STATED}) + [vocab.NOT_STATED]
        parts.append(pd.DataFrame({"field": field, "category": order,
                                   "respondents": [int(counts.get(c, 0)) for c in order]}))
    if not parts:
        return pd.DataFrame({"field": pd.Series(dtype="string"), "category": pd.Series(dtype="string"),
                             "respondents": pd.Series(dtype="int64")})
    table = pd.concat(parts, ignore_index=True)
    table["field"] = table["field"].astype("string")
    table["category"] = table["category"].astype("string")
    return table


def _equality_cells(system: CellSystem, counts: pd.DataFrame, total: int) -> list[int]:
    """Add the equality counts to a report's cell system: each field's answers add up to all respondents."""
    # "Not stated" is hidden when small, but as a count of missing answers it is not kept from subtraction
    # (all respondents minus a representation table's base gives it away; see CellSystem.cell).
    ids = [system.cell(n, ("equality_monitoring", f, c), protected=c != vocab.NOT_STATED)
           for f, c, n in zip(counts["field"], counts["category"], counts["respondents"], strict=True)]
    for field in dict.fromkeys(counts["field"]):
        system.add_sum(total, [i for i, f in zip(ids, counts["field"], strict=True) if f == field])
    return ids


def _equality_publish(counts: pd.DataFrame, hidden: np.ndarray, rule: DisclosureRule, total: int) -> pd.DataFrame:
    """The published equality table: counts as the rule prints them, percentages of all respondents from those."""
    shown = publish_counts(counts["respondents"], hidden, rule)
    base = float(round_counts([total], rule)[0])
    out = counts[["field", "category"]].copy()
    out["respondents"] = shown.to_numpy()
    out["pct"] = (100 * shown / base).to_numpy() if base else pd.array([pd.NA] * len(out), dtype="Float64")
    out["respondents"] = out["respondents"].astype("Float64")
    out["pct"] = out["pct"].astype("Float64")
    out["suppressed"] = np.asarray(hidden, dtype=bool)
    return out


def reach_tables(
    respondents: pd.DataFrame,
    population: pd.DataFrame | None,
    *,
    threshold: int | DisclosureRule,
    ratio_threshold: float,
    dimensions: Sequence[str] = ("borough", "age_band", "ethnicity"),
    crosses: Sequence[tuple[str, str]] = (("borough", "age_band"), ("borough", "ethnicity")),
    equality_fields: Sequence[str] = EQUALITY_FIELDS,
    channel_column: str | None = "channel",
    alpha: float = 0.05,
    outside_values: Sequence[str] = (vocab.BOROUGH_OTHER,),
) -> dict[str, pd.DataFrame]:
    """Every people-counting table of the reach report, suppressed together as one linked set.

    The tables share one :class:`analysis.present.disclosure.CellSystem`: each table's groups add up
    to its base; a cross's cells add up to its one-way groups (e.g. borough x age band within each
    borough and each age band); equality monitoring's answers contain the representation table's
    groups of the same field (so a category hidden in one is hidden in the other, and one cannot
    be worked out from the other); every base is part of all respondents, which the report prints.
    Secondary suppression then runs over all of them at once, so no hidden number can be
    recovered from any pair of these tables.

    Parameters
    ----------
    respondents
        One row per respondent in scope.
    population
        The benchmark (representation tables are skipped when None).
    threshold
        The disclosure rule (:func:`analysis.present.disclosure.rule_from_config`) or a bare threshold.
    ratio_threshold, alpha, outside_values
        As :func:`representation`.
    dimensions, crosses
        One-way and two-way representation tables to build.
    equality_fields
        Fields of the equality-monitoring table.
    channel_column
        Column of :func:`responses_by_channel`; None to skip that table.

    Returns
    -------
    dict[str, pd.DataFrame]
        ``representation_<dimension>``, ``representation_<a>_x_<b>``, ``equality_monitoring`` and
        ``responses_by_channel``, each as its single-table function returns it.
    """
    rule = as_rule(threshold)
    system = CellSystem()
    everyone = system.cell(len(respondents), ("respondents", "all"), fixed=True)
    built: dict[str, tuple[str, pd.DataFrame, list[int]]] = {}
    one_way: dict[str, tuple[pd.DataFrame, list[int]]] = {}
    if population is not None:
        for dimension in dimensions:
            counts = _representation_counts(respondents, population, dimension, ratio_threshold=ratio_threshold,
                                            alpha=alpha, outside_values=outside_values)
            name = f"representation_{dimension}"
            ids = _representation_cells(system, counts, name, everyone)
            built[name] = ("representation", counts, ids)
            one_way[dimension] = (counts, ids)
        for first, second in crosses:
            counts = _representation_counts(respondents, population, [first, second],
                                            ratio_threshold=ratio_threshold, alpha=alpha,
                                            outside_values=outside_values)
            name = f"representation_{first}_x_{second}"
            ids = _representation_cells(system, counts, name, everyone)
            built[name] = ("representation", counts, ids)
            for key in (first, second):
                if key not in one_way:
                    continue
                margin, margin_ids = one_way[key]
                cell_of = dict(zip(margin[key].astype(str), margin_ids, strict=True))
                for value, rows in counts.groupby(counts[key].astype(str)).groups.items():
                    if value in cell_of:
                        # The respondents of one borough stating their age band are among that borough's respondents.
                        system.add_sum(cell_of[value], [ids[counts.index.get_loc(r)] for r in rows])
    if equality_fields:
        counts = _equality_counts(respondents, equality_fields)
        ids = _equality_cells(system, counts, everyone)
        built["equality_monitoring"] = ("equality", counts, ids)
        for field_name, (margin, margin_ids) in one_way.items():
            cell_of = dict(zip(margin[field_name].astype(str), margin_ids, strict=True))
            for i, (f, category) in enumerate(zip(counts["field"], counts["category"], strict=True)):
                if f == field_name and str(category) in cell_of:
                    # The same field's category in two tables: hidden in both or neither, and the
                    # representation count (in the area, in the benchmark) is part of the equality count.
                    system.add_sum(ids[i], [cell_of[str(category)]])
                    system.link((ids[i], cell_of[str(category)]))
                elif f == field_name and str(category) == vocab.NOT_STATED:
                    # "Did not state" beside the representation table is part of equality's "Not stated".
                    system.add_sum(ids[i], [margin.attrs["_not_stated_cell"]])
                    system.link((ids[i], margin.attrs["_not_stated_cell"]))
    if channel_column is not None and channel_column in respondents.columns:
        counts = _channel_counts(respondents, channel_column, vocab.CHANNELS)
        built["responses_by_channel"] = ("channel", counts, _channel_cells(system, counts, everyone))
    hidden = system.solve(rule)
    out: dict[str, pd.DataFrame] = {}
    for name, (kind, counts, ids) in built.items():
        if kind == "representation":
            out[name] = _representation_publish(counts, hidden[ids], rule, ratio_threshold=ratio_threshold,
                                                alpha=alpha,
                                                not_stated_hidden=bool(hidden[counts.attrs["_not_stated_cell"]]))
        elif kind == "equality":
            out[name] = _equality_publish(counts, hidden[ids], rule, len(respondents))
        else:
            out[name] = _channel_publish(counts, hidden[ids], rule)
    return out


# --------------------------------------------------------------------------- I/O helpers used by notebook 04
def read_processed(folder: Path, name: str) -> pd.DataFrame | None:
    """Read ``<folder>/<name>.parquet``, or None when the table was not produced.

    Notebook 04 reports on whatever the earlier stages produced; a missing table
    (for example no actions log this cycle) removes one section, not the report.

    Parameters
    ----------
    folder
        The cycle's processed folder (``config.processed_path()``).
    name
        Table name without extension, e.g. ``"activities"``.

    Returns
    -------
    pd.DataFrame or None
    """
    path = Path(folder) / f"{name}.parquet"
    return read_parquet(path) if path.is_file() else None


def write_table(table: pd.DataFrame, output_dir: str | Path, name: str) -> Path:
    """Write a published table as ``<output_dir>/tables/<name>.csv`` with stable formatting.

    Fixed float format, ``\\n`` line endings and no index make the file
    byte-identical when a cycle is re-run on the same inputs.

    Parameters
    ----------
    table
        The (already suppressed) table.
    output_dir
        The report build folder.
    name
        File stem.

    Returns
    -------
    Path
    """
    path = paths.resolve(output_dir) / "tables" / f"{name}.csv"  # the repository's folder, wherever the kernel runs
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.copy()
    for column in table.columns:
        values = table[column]
        # Counts blanked by suppression become floats; publish them as whole numbers again.
        if pd.api.types.is_float_dtype(values) and values.notna().any():
            finite = values.dropna().astype(float)
            if bool(((finite % 1) == 0).all()) and column in {"respondents", "people", "participants", "population",
                                                                "activities", "actions"}:
                table[column] = values.round().astype("Int64")
    write_csv(table, path, index=False, float_format="%.4f", lineterminator="\n", encoding="utf-8")
    return path


def representation_figure(table: pd.DataFrame, label_column: str, *, title: str) -> tuple[Any, str]:
    """Dot plot of representation ratios with their intervals, and its alt text.

    Parameters
    ----------
    table
        Output of :func:`representation` for one dimension.
    label_column
        The dimension column (group labels on the y axis).
    title
        Figure title.

    Returns
    -------
    (figure, alt)
        A matplotlib figure and a sentence describing it for screen readers.
    """
    import matplotlib.pyplot as plt

    from analysis.present.figures import GREY, PALETTE

    shown = table.loc[~table["suppressed"]].sort_values("ratio", kind="stable")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(shown), 3) + 1.4))
    y = np.arange(len(shown))
    ratio = shown["ratio"].astype(float).to_numpy()
    low = shown["ratio_low"].astype(float).to_numpy()
    high = shown["ratio_high"].astype(float).to_numpy()
    colours = [PALETTE[1] if flag else PALETTE[0] for flag in shown["under_represented"]]
    ax.hlines(y, low, high, color=colours, linewidth=2)
    ax.scatter(ratio, y, color=colours, zorder=3, s=36)
    ax.axvline(1, color=GREY, linestyle="--", linewidth=1)
    ax.set_yticks(y, shown[label_column].astype(str))
    ax.set_xlabel("Representation ratio (share of respondents ÷ share of population); 1 = in proportion")
    ax.set_xlim(left=0)
    ax.spines[["top", "right"]].set_visible(False)
    fig.set_layout_engine("constrained")  # leaves room for the title show_figure adds
    flagged = shown.loc[shown["under_represented"], label_column].astype(str).tolist()
    hidden = int(table["suppressed"].sum())
    alt = (f"{title}. Dot plot of representation ratios with 95% intervals for {len(shown)} groups; "
           + (f"under-represented (orange): {', '.join(flagged)}." if flagged else "no group is clearly under-represented.")
           + (f" {hidden} group(s) with fewer respondents than the suppression threshold are not shown." if hidden else ""))
    return fig, alt
