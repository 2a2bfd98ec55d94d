"""Summaries of a cleaning run for readers: what came in, what went out, and why.

Small pure functions used by notebook 01; each returns a table ready to show.
"""

from __future__ import annotations

import pandas as pd

from analysis.present.disclosure import CellSystem, DisclosureRule, publish_counts


def rejects_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """Count ledger entries by file, outcome and reason (rows rejected are counted once per reason)."""
    if rejected.empty:
        return pd.DataFrame(columns=["source_file", "outcome", "reason", "entries"])
    return (rejected.groupby(["source_file", "outcome", "reason"], as_index=False)
            .size().rename(columns={"size": "entries"})
            .sort_values(["source_file", "outcome", "entries"], ascending=[True, True, False], kind="stable")
            .reset_index(drop=True))


def duplicates_by_rule(duplicates: pd.DataFrame) -> pd.DataFrame:
    """Count removed duplicates by file and rule."""
    if duplicates.empty:
        return pd.DataFrame(columns=["source_file", "rule", "rows_removed"])
    return (duplicates.groupby(["source_file", "rule"], as_index=False).size()
            .rename(columns={"size": "rows_removed"}).reset_index(drop=True))


def redactions_by_type(redactions: pd.DataFrame) -> pd.DataFrame:
    """Total redactions per placeholder type across every free-text field."""
    if redactions.empty:
        return pd.DataFrame(columns=["type", "count"])
    return (redactions.groupby("type", as_index=False)["count"].sum()
            .sort_values(["count", "type"], ascending=[False, True], kind="stable").reset_index(drop=True))


def missingness(table: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Share of missing values per column.

    Parameters
    ----------
    table
        Any processed table.
    columns
        Columns to report (all by default).
    """
    cols = columns or list(table.columns)
    n = len(table)
    missing = table[cols].isna().sum()
    return pd.DataFrame({
        "column": cols,
        "missing": missing.to_numpy(),
        "pct_missing": (100 * missing / n).round(1).to_numpy() if n else 0.0,
    })


def item_missing_reasons(responses: pd.DataFrame) -> pd.DataFrame:
    """Per item: answers with a value and each reason for a missing value."""
    table = responses.assign(reason=responses["missing_reason"].fillna("Answered"))
    return (table.pivot_table(index="item_id", columns="reason", values="respondent_id", aggfunc="count",
                              fill_value=0, observed=True)
            .reset_index().rename_axis(columns=None))


def responses_by_wave_and_group(respondents: pd.DataFrame, threshold: int | DisclosureRule,
                                group_column: str = "respondent_type") -> pd.DataFrame:
    """Respondents per wave and group, with small cells suppressed.

    Each dataset and wave's groups add up to its number of respondents, which the report
    publishes, so secondary suppression hides the next smallest group where one hidden group
    could be worked out from that total (:mod:`analysis.present.disclosure`).

    Parameters
    ----------
    respondents
        Processed respondents (``dataset``, ``wave`` and the group column).
    threshold
        Disclosure rule or bare suppression threshold.
    group_column
        The grouping column.

    Returns
    -------
    pd.DataFrame
        Long table: dataset, wave, group, respondents (missing when suppressed), suppressed.
    """
    counts = (respondents.groupby(["dataset", "wave", group_column], as_index=False).size()
              .rename(columns={group_column: "group", "size": "respondents"}))
    system = CellSystem()
    ids = system.cells(counts["respondents"], list(zip(counts["dataset"], counts["wave"], counts["group"],
                                                       strict=True)))
    for (dataset, wave), rows in counts.groupby(["dataset", "wave"]).groups.items():
        members = [ids[counts.index.get_loc(r)] for r in rows]
        total = system.cell(sum(system.values[m] for m in members), (dataset, wave, "all"), fixed=True)
        system.add_sum(total, members)
    hidden = system.solve(threshold)[ids]
    out = counts.copy()
    out["respondents"] = publish_counts(counts["respondents"], hidden, threshold).to_numpy()
    out["suppressed"] = hidden
    return out
