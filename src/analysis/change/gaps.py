"""Equal voice: the gap between groups on every outcome, and how it moved since the previous cycle.

Notebook 03 records these (``group_differences`` in the results contract) so that the
report's summary shows, per outcome, the reference group (staff) against each other
group (experts by experience, carers), with the gap, its interval and its change since
the previous cycle's report, without recomputing anything.

* **The gap** is the ``diff_groups`` row of the tidy results (:func:`analysis.change.
  differences.group_differences`): Newcombe's hybrid score interval, at the family's
  simultaneous level for the verdict (the interval the sentences print) and at 95% on
  its own.
* **The change in the gap** since the previous cycle is the difference of two
  independent differences, ``d_now - d_before``, with the square-and-add (MOVER)
  interval that Newcombe's method 10 itself uses for one difference (Zou and Donner
  2008): ``L = D - sqrt((d1 - l1)^2 + (u0 - d0)^2)``, ``U = D + sqrt((u1 - d1)^2 +
  (d0 - l0)^2)``, with each gap's Newcombe interval at the same level. The previous
  gap comes from the previous cycle's recorded results: its own ``group_differences``
  where recorded, else rebuilt from its recorded group figures (share and base), which
  is exact only where those figures are unweighted (checked: the recorded Wilson
  interval must come back from the share and base, otherwise no change is given). The
  gap changes are one family: Bonferroni over their number ``m``, verdict from the
  ``1 - alpha / m`` interval ("narrowed", "widened", "reversed" or "no clear change").
  People who answered in both waves make the two gaps positively correlated, which
  makes this interval conservative (wider than it need be), never too narrow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.change.contract import ALL_GROUPS
from analysis.stats.comparisons import newcombe_interval
from analysis.stats.power import minimum_detectable_difference
from analysis.stats.proportions import wilson_ci

#: Verdict words of a change in a gap (from its simultaneous interval).
GAP_NARROWED, GAP_WIDENED, GAP_REVERSED, GAP_NO_CHANGE = "narrowed", "widened", "reversed", "no clear change"
#: How far (percentage points) a recorded Wilson bound may be from the one rebuilt from share and base.
_WILSON_TOLERANCE_PP = 0.05


def _value(row: pd.Series, column: str) -> float | None:
    value = row.get(column)
    return None if value is None or pd.isna(value) else float(value)


def _group_cell(pct: pd.DataFrame, item: str, group: str, wave: int) -> dict[str, float | None]:
    """Share (0-1), base and effective base of one group's cell, from the ``pct_positive`` rows."""
    row = pct[(pct["item"] == item) & (pct["group"] == group) & (pct["wave"] == wave)]
    if row.empty or bool(row["suppressed"].iloc[0]) or pd.isna(row["estimate"].iloc[0]):
        return {"pct": None, "n": None, "n_eff": None}
    r = row.iloc[0]
    n = _value(r, "n")
    n_eff = _value(r, "effective_n")
    return {"pct": float(r["estimate"]), "n": n, "n_eff": n_eff if n_eff is not None else n}


def gap_interval(p_ref: float, n_ref: float, p_other: float, n_other: float, level: float) -> tuple[float, float]:
    """Newcombe's interval (percentage points) of ``p_ref - p_other`` (shares 0-1, effective bases)."""
    low, high = newcombe_interval(p_ref * n_ref, n_ref, p_other * n_other, n_other, level=level)
    return 100 * float(low), 100 * float(high)


def mover_difference(d1: float, l1: float, u1: float, d0: float, l0: float, u0: float) -> tuple[float, float, float]:
    """``d1 - d0`` with the square-and-add (MOVER) interval from each one's interval at the same level."""
    change = d1 - d0
    return change, change - float(np.hypot(d1 - l1, u0 - d0)), change + float(np.hypot(u1 - d1, d0 - l0))


def gap_verdict(before: float, now: float, low: float, high: float) -> str:
    """Words for a change in a gap, from its interval: clear only when the interval excludes 0."""
    if not (low > 0 or high < 0):
        return GAP_NO_CHANGE
    if before * now < 0:
        return GAP_REVERSED
    return GAP_NARROWED if abs(now) < abs(before) else GAP_WIDENED


def _previous_gap(previous: Any, item: str, reference: str, other: str) -> tuple[dict[str, Any] | None, str | None]:
    """The previous cycle's gap inputs (shares, effective bases, wave), or None with the reason."""
    recorded = getattr(previous, "group_differences", None)
    if recorded is not None:  # recorded (perhaps none): never rebuilt from the group figures
        for gap in recorded:
            if (gap.item, gap.reference, gap.other) == (item, reference, other):
                if gap.suppressed or gap.reference_pct is None or gap.other_pct is None:
                    return None, "too few answers in one group in the previous cycle"
                return {"wave": gap.wave, "p_ref": gap.reference_pct / 100, "p_other": gap.other_pct / 100,
                        "n_ref": gap.reference_effective_n or gap.reference_n,
                        "n_other": gap.other_effective_n or gap.other_n, "source": "group differences"}, None
        return None, "not compared in the previous cycle"
    groups = (getattr(previous, "items", None) or {}).get(item) or {}
    cells = [groups.get(reference), groups.get(other)]
    if any(c is None for c in cells):
        return None, "not compared in the previous cycle"
    if any(c.suppressed or c.pct_positive is None or c.n is None for c in cells):
        return None, "too few answers in one group in the previous cycle"
    for c in cells:
        # The record holds no effective base: share and base rebuild the gap only when they
        # reproduce the recorded Wilson interval (unweighted answers).
        low, high = wilson_ci(c.pct_positive / 100 * c.n, c.n)
        if c.ci_low is None or c.ci_high is None or max(abs(100 * float(low) - c.ci_low),
                                                         abs(100 * float(high) - c.ci_high)) > _WILSON_TOLERANCE_PP:
            return None, "the previous cycle's figures were weighted and it recorded no group differences"
    if cells[0].wave != cells[1].wave:
        return None, "the previous cycle's groups come from different waves"
    return {"wave": cells[0].wave, "p_ref": cells[0].pct_positive / 100, "p_other": cells[1].pct_positive / 100,
            "n_ref": float(cells[0].n), "n_other": float(cells[1].n), "source": "group figures"}, None


def gap_records(results: pd.DataFrame, *, alpha: float = 0.05, previous: Any = None,
                previous_cycle: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Every group contrast of the latest wave, with its change since the previous cycle.

    Parameters
    ----------
    results
        The tidy results table (``diff_groups`` and ``pct_positive`` rows; suppressed rows blank).
    alpha
        Family-wise error rate of the gap changes (and the level of their 95% intervals).
    previous
        The previous cycle's recorded results (:class:`analysis.core.results.ChangeResults`), or None.
    previous_cycle
        Its cycle id, for the record.

    Returns
    -------
    (records, notes)
        One dict per item and contrast, as the results contract's ``GroupDifference``
        (``gap_pp`` reference minus other; ``ci_*_pp`` the simultaneous interval of the
        verdict, ``ci_*_unadjusted_pp`` its own 95% interval; ``change`` None when there is
        no previous gap), and plain-English notes on what could not be compared.
    """
    pct = results[results["test"] == "pct_positive"]
    rows = results[(results["test"] == "diff_groups") & (results["group"] != ALL_GROUPS)]
    records: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    notes: list[str] = []
    for _, row in rows.iterrows():
        reference, _, other = str(row["group"]).partition(" vs ")
        item, wave = str(row["item"]), int(row["wave"])
        ref, oth = _group_cell(pct, item, reference, wave), _group_cell(pct, item, other, wave)
        hidden = bool(row["suppressed"]) or pd.isna(row["estimate"]) or ref["pct"] is None or oth["pct"] is None
        record: dict[str, Any] = {
            "item": item, "wave": wave, "reference": reference, "other": other,
            "reference_pct": None if hidden else ref["pct"], "other_pct": None if hidden else oth["pct"],
            "reference_n": None if hidden else ref["n"], "other_n": None if hidden else oth["n"],
            "reference_effective_n": None if hidden else ref["n_eff"],
            "other_effective_n": None if hidden else oth["n_eff"],
            "gap_pp": None if hidden else _value(row, "estimate"),
            "ci_low_pp": None if hidden else _value(row, "ci_low_adj"),
            "ci_high_pp": None if hidden else _value(row, "ci_high_adj"),
            "ci_low_unadjusted_pp": None if hidden else _value(row, "ci_low"),
            "ci_high_unadjusted_pp": None if hidden else _value(row, "ci_high"),
            "family_size": None if hidden else _value(row, "family_size"),
            "verdict": None if hidden or pd.isna(row.get("verdict")) else str(row["verdict"]),
            "suppressed": hidden, "change": None,
        }
        records.append(record)
        if hidden or previous is None:
            continue
        before, why = _previous_gap(previous, item, reference, other)
        if before is None:
            notes.append(f"{item} ({reference} vs {other}): no change since {previous_cycle or 'the previous cycle'}: "
                         f"{why}.")
            continue
        if before["wave"] >= wave:
            notes.append(f"{item} ({reference} vs {other}): no change since {previous_cycle or 'the previous cycle'}: "
                         f"its latest wave ({before['wave']}) is not earlier than {wave}.")
            continue
        pending.append((record, ref, oth, before))
    m = len(pending)
    for record, ref, oth, before in pending:
        now = {"p_ref": ref["pct"] / 100, "p_other": oth["pct"] / 100, "n_ref": ref["n_eff"], "n_other": oth["n_eff"]}

        def at(level: float, cell: Mapping[str, float]) -> tuple[float, float, float]:
            low, high = gap_interval(cell["p_ref"], cell["n_ref"], cell["p_other"], cell["n_other"], level)
            return 100 * (cell["p_ref"] - cell["p_other"]), low, high

        d0, l0, u0 = at(1 - alpha, before)
        d1, l1, u1 = at(1 - alpha, now)
        change, low95, high95 = mover_difference(d1, l1, u1, d0, l0, u0)
        _, low, high = mover_difference(*at(1 - alpha / m, now), *at(1 - alpha / m, before))
        record["change"] = {
            "previous_cycle": previous_cycle or "", "previous_wave": int(before["wave"]),
            "previous_gap_pp": d0, "previous_ci_low_pp": l0, "previous_ci_high_pp": u0,
            "change_pp": change, "ci_low_pp": low, "ci_high_pp": high,
            "ci_low_unadjusted_pp": low95, "ci_high_unadjusted_pp": high95, "family_size": float(m),
            "verdict": gap_verdict(d0, d1, low, high), "source": before["source"],
        }
    return records, notes


def series_records(results: pd.DataFrame) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every wave's % positive with its 95% interval, per item and group (hidden cells None), earliest first."""
    pct = results[results["test"] == "pct_positive"].sort_values("wave", kind="stable")
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (item, group), sub in pct.groupby(["item", "group"], sort=False):
        points = []
        for _, r in sub.iterrows():
            hidden = bool(r["suppressed"]) or pd.isna(r["estimate"])
            points.append({"wave": int(r["wave"]), "pct_positive": None if hidden else float(r["estimate"]),
                           "ci_low": None if hidden else _value(r, "ci_low"),
                           "ci_high": None if hidden else _value(r, "ci_high"),
                           "n": None if hidden else _value(r, "n"), "suppressed": hidden})
        out.setdefault(str(item), {})[str(group)] = points
    return out


def family_mdd(results: pd.DataFrame, *, alpha: float = 0.05, power: float = 0.8) -> dict[tuple[str, str], float]:
    """(item, group) -> the smallest change the next wave would call *clear*, in percentage points.

    ``mdd_pp`` is the minimum detectable difference of one comparison at ``alpha``; a
    statement only calls a change clear when its simultaneous interval (level
    ``1 - alpha / m``, ``m`` the family's size) excludes none, so the change it can detect
    is larger. Same base next wave (effective base for weighted or standardised figures),
    latest wave's share, the configured power. Hidden cells are left out.
    """
    claims = results[results["claim"].fillna(False).astype(bool)] if "claim" in results.columns else results.iloc[:0]
    sizes = claims.groupby("family")["family_size"].max().to_dict() if len(claims) else {}
    pct = results[results["test"] == "pct_positive"]
    out: dict[tuple[str, str], float] = {}
    for (item, group), sub in pct.groupby(["item", "group"], sort=False):
        r = sub.loc[sub["wave"].idxmax()]
        m = sizes.get(r["family"])
        if bool(r["suppressed"]) or pd.isna(r["estimate"]) or m is None or pd.isna(m):
            continue
        n = _value(r, "effective_n") or _value(r, "n")
        if not n:
            continue
        mdd = minimum_detectable_difference(float(r["estimate"]) / 100, n, n, alpha=alpha / float(m), power=power)
        if np.isfinite(mdd).all():
            out[(str(item), str(group))] = float(np.asarray(mdd).item())
    return out


def gap_table(records: Sequence[Mapping[str, Any]], *, item_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The gaps as a reader table for notebook 03 (numbers as text; hidden rows say so)."""
    labels = dict(item_labels or {})

    def span(low: Any, high: Any) -> str:
        return "" if low is None or high is None else f"{low:.1f} to {high:.1f}"

    rows = []
    for r in records:
        c = r.get("change") or {}
        rows.append({
            "Question": labels.get(r["item"], r["item"]), "Contrast": f"{r['reference']} minus {r['other']}",
            "Wave": str(r["wave"]),
            "Gap (points)": "too few answers" if r["suppressed"] else f"{r['gap_pp']:+.1f}",
            "simultaneous 95% CI": span(r.get("ci_low_pp"), r.get("ci_high_pp")),
            "95% CI": span(r.get("ci_low_unadjusted_pp"), r.get("ci_high_unadjusted_pp")),
            "Previous gap": "" if not c else f"{c['previous_gap_pp']:+.1f} ({c['previous_wave']})",
            "Change in gap": "" if not c else f"{c['change_pp']:+.1f}",
            "Change, simultaneous 95% CI": span(c.get("ci_low_pp"), c.get("ci_high_pp")),
            "Verdict on the change": c.get("verdict", ""),
        })
    return pd.DataFrame(rows)
