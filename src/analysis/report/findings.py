"""The summary's five key findings: one sentence each, with its number and its uncertainty, in a fixed order.

:func:`key_findings` is a pure function of the summary's content (itself read from the
recorded results): nothing is computed that the notebooks did not record, and every
verdict ("rose", "fell", "a clear gap", "no clear change") is read from the interval
printed beside it, so a sentence can never contradict its own interval.

The order (the rule the page states)
------------------------------------
1. **Clear changes in the ratings** since the baseline wave, for everyone, largest first
   (a change is clear when its simultaneous interval excludes no change). When none is
   clear, one sentence says so, with the largest change and its interval.
2. **The equal-voice gap**: the largest clear gap between the reference group (staff) and
   another group (experts by experience, carers), with how it moved since the previous
   cycle; or, when no gap is clear, that there is none, with the largest.
3. **The most common theme** in people's own words (largest share of any open question).
4. **Who is under-represented**: how many groups, and the largest shortfall.
5. **Actions not yet done** in the "you said, we did" log.
6. **Co-production**: the recorded sentence on the co-produced share of activities.

The first five that the results support are shown; a section whose notebook recorded
nothing gives no finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: What the page says about the order (kept beside the rule it describes).
ORDER_RULE = ("Ordered by a fixed rule: clear changes in the ratings first, largest first; then the largest gap "
              "between groups; then the most common theme; then who is under-represented; then actions not yet "
              "done; then co-production.")
#: Most decimals a bound gets so that a clear interval never prints its near bound as 0.
_MAX_DIGITS = 2


def _whole(value: float, digits: int = 0) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def interval_text(low: float, high: float, *, unit: str = " points") -> str:
    """``"5 to 27 points"``; a bound next to 0 of an interval that excludes 0 never prints as 0."""
    clear = low > 0 or high < 0
    d_low = d_high = 0
    while clear and low > 0 and d_low < _MAX_DIGITS and float(_whole(low, d_low)) == 0:
        d_low += 1
    while clear and high < 0 and d_high < _MAX_DIGITS and float(_whole(high, d_high)) == 0:
        d_high += 1
    return f"{_whole(low, d_low)} to {_whole(high, d_high)}{unit}"


def _signed(value: float) -> str:
    text = _whole(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def points(value: float, *, signed: bool = True) -> str:
    """``"+17 points"``, ``"-1 point"``, ``"0 points"``: a whole number of percentage points."""
    text = _signed(value) if signed else _whole(abs(value))
    return f"{text} point" if text.lstrip("+-") == "1" else f"{text} points"


def is_clear(low: float | None, high: float | None) -> bool:
    """A change or gap is clear when its (simultaneous) interval excludes 0: the only verdict used here."""
    return low is not None and high is not None and (low > 0 or high < 0)


# --------------------------------------------------------------------------- the candidates, in order
def _baseline_pct(outcome: Mapping[str, Any], wave: int | None) -> float | None:
    for point in outcome.get("series") or []:
        if point.get("wave") == wave:
            return point.get("pct")
    return None


def change_findings(outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Clear changes since the baseline, largest first; or one sentence saying none is clear."""
    tested = [o for o in outcomes if o.get("change") and o["change"].get("ci_low") is not None and o.get("pct") is not None]
    clear = [o for o in tested if is_clear(o["change"]["ci_low"], o["change"]["ci_high"])]
    clear.sort(key=lambda o: -abs(o["change"]["estimate"]))
    out = []
    for o in clear:
        c = o["change"]
        then = _baseline_pct(o, c.get("since"))
        then_text = f" ({_whole(then)}% then)" if then is not None else ""
        direction = "up" if c["ci_low"] > 0 else "down"
        out.append(f"{o['label']}: {_whole(o['pct'])}% answered positively in {o['wave']}, {direction} "
                   f"{points(c['estimate'], signed=False)} since {c['since']}{then_text}; 95% interval "
                   f"{interval_text(c['ci_low'], c['ci_high'])}.")
    if tested and not clear:
        largest = max(tested, key=lambda o: abs(o["change"]["estimate"]))
        c = largest["change"]
        out.append(f"None of the {len(tested)} ratings changed clearly since {c['since']}; the largest change, "
                   f"{largest['label']}, was {points(c['estimate'])} (95% interval "
                   f"{interval_text(c['ci_low'], c['ci_high'])}), too uncertain to call.")
    return out


def _gap_change_clause(change: Mapping[str, Any] | None) -> str:
    if not change:
        return ""
    before = points(change["previous_gap_pp"])
    span = interval_text(change["ci_low_pp"], change["ci_high_pp"])
    if change["verdict"] == "no clear change" or not is_clear(change["ci_low_pp"], change["ci_high_pp"]):
        return (f"; no clear change since {change['previous_cycle']}, when it was {before} (change "
                f"{points(change['change_pp'])}, 95% interval {span})")
    return (f"; it has {change['verdict']} since {change['previous_cycle']}, when it was {before} (change "
            f"{points(change['change_pp'])}, 95% interval {span})")


def gap_finding(equal_voice: Mapping[str, Any] | None) -> list[str]:
    """The largest clear gap between groups (with its change since the previous cycle), or that none is clear."""
    if not equal_voice:
        return []
    gaps = [(row, g) for row in equal_voice.get("rows", []) for g in row.get("gaps", [])
            if not g["suppressed"] and g.get("ci_low") is not None]
    if not gaps:
        return []
    clear = [(row, g) for row, g in gaps if is_clear(g["ci_low"], g["ci_high"])]
    if clear:
        row, g = max(clear, key=lambda rg: abs(rg[1]["gap"]))
        more, less = (g["reference"], g["other"]) if g["gap"] > 0 else (g["other"], g["reference"])
        first, second = (g["reference_pct"], g["other_pct"]) if g["gap"] > 0 else (g["other_pct"], g["reference_pct"])
        others = f" ({len(clear)} clear gaps in all)" if len(clear) > 1 else ""
        return [f"Equal voice, {row['label']}: the {more} group answered positively "
                f"{points(g['gap'], signed=False)} more often than the {less} group ({_whole(first)}% against "
                f"{_whole(second)}%; 95% interval "
                f"{interval_text(g['ci_low'], g['ci_high'])}){_gap_change_clause(g.get('change'))}{others}."]
    row, g = max(gaps, key=lambda rg: abs(rg[1]["gap"]))
    pairs = sorted({f"{gap['reference']} and {gap['other']}" for _, gap in gaps})
    return [f"Equal voice: no clear gap between {' or '.join(pairs)} on any of the {len(equal_voice['rows'])} "
            f"ratings; the largest, {row['label']}, was {points(g['gap'])} (95% interval "
            f"{interval_text(g['ci_low'], g['ci_high'])})."]


def theme_finding(themes: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """The theme raised by the largest share of people answering any open question."""
    best = None
    for q in themes or []:
        for t in q.get("themes") or []:
            if t.get("pct") is not None and (best is None or t["pct"] > best[1]["pct"]):
                best = (q, t)
    if best is None:
        return []
    q, t = best
    asked = f"“{q['wording']}”" if q.get("wording") else q["label"].lower()
    reviewed = "" if t.get("reviewed") else " (not yet reviewed)"
    people = f"{t['n']:,.0f} people, " if t.get("n") is not None else ""
    interval = (f" (95% interval {interval_text(t['ci_low'], t['ci_high'], unit='%').replace(' to ', '% to ')})"
                if t.get("ci_low") is not None and t.get("ci_high") is not None else "")
    return [f"The most common theme in answers to {asked} was “{t['label']}”{reviewed}: {people}"
            f"{_whole(t['pct'])}% of those who gave a substantive answer{interval}."]


def reach_finding(reach: Mapping[str, Any] | None, counts: Mapping[str, Any] | None,
                  threshold: int | None) -> list[str]:
    """How many groups are under-represented, and the largest shortfall."""
    if not reach or reach.get("under_represented") is None:
        return []
    under = list(reach["under_represented"])
    counts = counts or {}
    who = " and ".join(counts.get("reach_datasets") or ["survey"])
    among = (f"among the {counts['reach_respondents']:,.0f} {who} respondents"
             if counts.get("reach_respondents") is not None else f"among {who} respondents")
    if not under:
        return [f"No group was clearly under-represented {among}, against the local population."]
    shown = [u for u in under if not u.get("suppressed") and u.get("ratio") is not None]
    many = f"{len(under)} group{'s were' if len(under) != 1 else ' was'} under-represented {among}"
    if shown:
        u = min(shown, key=lambda r: r["ratio"])
        low, high = u.get("ratio_low"), u.get("ratio_high")
        interval = f", 95% interval {low:.2f} to {high:.2f}" if low is not None and high is not None else ""
        return [f"{many}; the largest shortfall: {u['group']} ({u['dimension'].replace('_', ' ')}), "
                f"{100 * u['respondent_share']:.0f}% of respondents against {100 * u['population_share']:.0f}% of "
                f"the population (representation ratio {u['ratio']:.2f}{interval})."]
    u = max(under, key=lambda r: r["population_share"])
    fewer = f"fewer than {threshold}" if threshold else "too few to show"
    return [f"{many}; for example {u['group']} ({u['dimension'].replace('_', ' ')}): {fewer} respondents against "
            f"{100 * u['population_share']:.0f}% of the population."]


def actions_finding(reach: Mapping[str, Any] | None) -> list[str]:
    """Actions in the log not yet done, by status."""
    if not reach or not reach.get("actions_total"):
        return []
    statuses = {a["status"]: int(a["n"]) for a in reach.get("actions_by_status") or []}
    total = int(reach["actions_total"])
    open_ = {s: n for s, n in statuses.items() if s != "Done" and n}
    if not open_:
        return [f"All {total} actions in the “you said, we did” log are done."]
    parts = [f"{n} {s.lower()}" for s, n in open_.items()]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return [f"{sum(open_.values())} of the {total} actions in the “you said, we did” log are not yet done: {listed}."]


def coproduction_finding(coproduction: Mapping[str, Any] | None) -> list[str]:
    """The co-production sentence notebook 04 recorded (its number and interval are in it)."""
    sentence = (coproduction or {}).get("plain_sentence") or (coproduction or {}).get("sentence")
    return [sentence] if sentence else []


def key_findings(context: Mapping[str, Any], *, limit: int = 5) -> list[dict[str, str]]:
    """The summary's key findings, in the module's order, at most ``limit``.

    Parameters
    ----------
    context
        The summary context (:func:`analysis.report.summary.summary_context`): ``outcomes``,
        ``equal_voice``, ``themes``, ``reach``, ``counts``, ``coproduction`` and
        ``methods`` (for the suppression threshold); any may be None.
    limit
        How many findings to keep.

    Returns
    -------
    list of dict
        ``kind`` (``change``, ``gap``, ``theme``, ``reach``, ``actions``, ``coproduction``) and ``text``.
    """
    methods = context.get("methods") or {}
    candidates = [
        ("change", change_findings(context.get("outcomes") or [])),
        ("gap", gap_finding(context.get("equal_voice"))),
        ("theme", theme_finding(context.get("themes"))),
        ("reach", reach_finding(context.get("reach"), context.get("counts"), methods.get("threshold"))),
        ("actions", actions_finding(context.get("reach"))),
        ("coproduction", coproduction_finding(context.get("coproduction"))),
    ]
    return [{"kind": kind, "text": text} for kind, texts in candidates for text in texts][:limit]
