"""The summary's "equal voice" section: staff against experts by experience (and carers) on every rating.

Read from notebook 03's results. Where it recorded ``group_differences``
(:mod:`analysis.change.gaps`), each outcome shows every group's share, the gap
(reference group minus the other), the gap's simultaneous interval and its change
since the previous cycle; the verdict of every sentence is read from the interval
beside it. Results recorded before that field existed give each group's share only
(``recorded`` False), and the page says the gaps were not recorded: nothing is
computed here that the notebook did not record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analysis.core.results import ChangeResults, GroupDifference
from analysis.report.findings import interval_text, is_clear, points

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig


def _gap(g: GroupDifference) -> dict[str, Any]:
    change = g.change.model_dump() if g.change is not None else None
    if change is not None:
        change["clear"] = is_clear(change["ci_low_pp"], change["ci_high_pp"])
    return {"reference": g.reference, "other": g.other, "suppressed": g.suppressed,
            "reference_pct": g.reference_pct, "other_pct": g.other_pct, "gap": g.gap_pp,
            "ci_low": g.ci_low_pp, "ci_high": g.ci_high_pp,
            "ci_low_unadjusted": g.ci_low_unadjusted_pp, "ci_high_unadjusted": g.ci_high_unadjusted_pp,
            "family_size": g.family_size, "clear": is_clear(g.ci_low_pp, g.ci_high_pp), "change": change}


def gap_sentence(label: str, gap: Mapping[str, Any], threshold: int | None = None) -> str:
    """One plain sentence for one outcome and contrast: the gap, its interval, its change (no p-values)."""
    ref, other = gap["reference"], gap["other"]
    if gap["suppressed"] or gap["gap"] is None or gap["ci_low"] is None:
        few = f"fewer than {threshold}" if threshold else "too few"
        return f"{label}: {ref} and {other} cannot be compared: {few} people answered in one group."
    span = interval_text(gap["ci_low"], gap["ci_high"])
    if gap["clear"]:
        more, less = (ref, other) if gap["gap"] > 0 else (other, ref)
        high, low = ((gap["reference_pct"], gap["other_pct"]) if gap["gap"] > 0
                     else (gap["other_pct"], gap["reference_pct"]))
        text = (f"{label}: the {more} group answered positively {points(gap['gap'], signed=False)} more often "
                f"than the {less} group ({high:.0f}% against {low:.0f}%; 95% interval {span}).")
    else:
        text = (f"{label}: no clear gap between the {ref} and {other} groups ({gap['reference_pct']:.0f}% and "
                f"{gap['other_pct']:.0f}%; gap {points(gap['gap'])}, 95% interval {span}).")
    c = gap.get("change")
    if c:
        change_span = interval_text(c["ci_low_pp"], c["ci_high_pp"])
        if c["clear"]:
            text += (f" The gap has {c['verdict']} since {c['previous_cycle']} ({points(c['previous_gap_pp'])} "
                     f"then; change {points(c['change_pp'])}, 95% interval {change_span}).")
        else:
            text += (f" No clear change since {c['previous_cycle']} ({points(c['previous_gap_pp'])} then; "
                     f"change {points(c['change_pp'])}, 95% interval {change_span}).")
    return text


def equal_voice(rec: ChangeResults | None, config: CycleConfig | None) -> dict[str, Any] | None:
    """Each compared group's latest % positive on every outcome, with the recorded gaps and their change.

    Returns
    -------
    dict or None
        ``groups`` (reference first), ``reference``, ``others``, ``recorded`` (gaps were
        recorded), ``previous_cycle`` (of the gap changes, or None), ``family_size``,
        ``rows`` (question-bank order: ``item_id``, ``label``, ``values`` one
        ``{group, pct, ci_low, ci_high, n}`` per group with None when hidden, ``gaps`` and
        ``sentences``); None without at least two groups on some outcome.
    """
    if rec is None:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.items} if config else {}
    threshold = rec.suppression_threshold
    groups: list[str] = []
    for per_group in rec.items.values():
        groups += [g for g in per_group if g != "all" and g not in groups]
    if len(groups) < 2:
        return None
    recorded = rec.group_differences is not None
    named = ([p for g in rec.group_differences or [] for p in (g.reference, g.other)]
             + [part for st in rec.sentences if " vs " in st.group for part in st.group.split(" vs ")])
    # Results files sort their keys: the notebook's order (reference group first) is the one its contrasts name.
    groups.sort(key=lambda g: named.index(g) if g in named else len(named))
    by_item: dict[str, list[GroupDifference]] = {}
    for g in rec.group_differences or []:
        by_item.setdefault(g.item, []).append(g)
    rows = []
    for item_id, per_group in rec.items.items():
        values = []
        for g in groups:
            e = per_group.get(g)
            shown = e is not None and e.pct_positive is not None and not e.suppressed
            values.append({"group": g, "pct": e.pct_positive if shown else None, "ci_low": e.ci_low if shown else None,
                           "ci_high": e.ci_high if shown else None, "n": e.n if shown else None})
        label = labels.get(item_id, item_id)
        gaps = [_gap(g) for g in sorted(by_item.get(item_id, []), key=lambda g: groups.index(g.other)
                                        if g.other in groups else len(groups))]
        rows.append({"item_id": item_id, "label": label, "values": values, "gaps": gaps,
                     "sentences": [gap_sentence(label, g, threshold) for g in gaps]})
    order = list(labels)
    rows.sort(key=lambda r: order.index(r["item_id"]) if r["item_id"] in order else len(order))
    changes = [g["change"] for r in rows for g in r["gaps"] if g["change"]]
    sizes = [g["family_size"] for r in rows for g in r["gaps"] if g["family_size"]]
    return {"groups": groups, "reference": groups[0], "others": groups[1:], "recorded": recorded, "rows": rows,
            "previous_cycle": changes[0]["previous_cycle"] if changes else None,
            "previous_wave": changes[0]["previous_wave"] if changes else None,
            "change_family_size": changes[0]["family_size"] if changes else None,
            "family_size": max(sizes) if sizes else None, "wave": rec.latest_wave}
