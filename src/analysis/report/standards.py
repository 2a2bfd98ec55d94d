"""The summary's evidence against the UK Standards for Public Involvement and GRIPP2 (short form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analysis.report.formatting import fmt_int, fmt_interval, fmt_pct

#: The config's ``standards`` keys (:data:`analysis.core.config.StandardKey`) and the standards' names.
STANDARD_NAMES: dict[str, str] = {
    "inclusive_opportunities": "Inclusive opportunities", "working_together": "Working together",
    "support_and_learning": "Support and learning", "communications": "Communications",
    "governance": "Governance", "impact": "Impact",
}
NOT_EVIDENCED = "Not evidenced this cycle"


def standards_evidence(context: Mapping[str, Any],
                       standards: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """Map the report's evidence to the UK Standards for Public Involvement and GRIPP2 (short form).

    Generated from what this report actually holds, never claimed: a row
    points at a section only when the results that section shows were
    recorded this cycle (for example "Impact" points at the ratings over time
    only when notebook 03 recorded them); otherwise it says "Not evidenced
    this cycle". Governance is never evidenced by these notebooks: nothing
    they read records public members in governance or decision-making.

    Which survey items speak to which standard is the cycle's to say (config
    ``standards``: standard -> question-bank item ids), never this module's: a question
    bank without that section evidences the standards only through the other sections.

    Parameters
    ----------
    context
        The summary context (:func:`analysis.report.summary.summary_context`) before this key is added.
    standards
        Config ``standards``: ``working_together`` etc. -> item ids whose ratings evidence it.

    Returns
    -------
    list of dict
        ``framework`` ("UK Standards" or "GRIPP2"), ``item``, ``sections``
        (list of ``{"href", "title"}`` within the summary; empty when not
        evidenced) and ``evidence`` (one sentence, with its numbers).
    """
    outcomes = {o["item_id"]: o for o in context.get("outcomes") or []}
    reach = context.get("reach") or {}
    themes = context.get("themes") or []
    counts = context.get("counts") or {}
    section = {"summary": ("#summary", "Executive summary"), "outcomes": ("#outcomes", "How people rated involvement"),
               "themes": ("#themes", "What people told us"), "reach": ("#reach", "Who we heard from"),
               "actions": ("#actions", "What we did about it"), "equal-voice": ("#equal-voice", "Equal voice"),
               "coproduction": ("#coproduction", "Co-production"), "not-possible": ("#not-possible", "What we could not do"),
               "methods": ("#methods", "Methods and assumptions")}

    def row(framework: str, item: str, where: Sequence[str], evidence: str | None) -> dict[str, Any]:
        if not evidence:
            return {"framework": framework, "item": item, "sections": [], "evidence": NOT_EVIDENCED}
        return {"framework": framework, "item": item, "evidence": evidence[0].upper() + evidence[1:],
                "sections": [{"href": section[w][0], "title": section[w][1]} for w in where]}

    keys = {name: key for key, name in STANDARD_NAMES.items()}

    def items_said(item: str) -> str | None:
        ids = (standards or {}).get(keys[item], ())
        found = [outcomes[i] for i in ids if i in outcomes and outcomes[i]["pct"] is not None]
        return "; ".join(f"“{o['label']}”: {fmt_pct(o['pct'])} positive ({fmt_interval(o['ci_low'], o['ci_high'])})"
                         for o in found) or None

    voice = context.get("equal_voice") or {}
    gap_rows = [g for r in voice.get("rows", []) for g in r.get("gaps", []) if not g["suppressed"]]
    clear_gaps = sum(1 for g in gap_rows if g["clear"])
    gaps_text = (f"gaps between {voice['reference']} and {' and '.join(voice['others'])} on {len(voice['rows'])} "
                 f"ratings: {clear_gaps} clear" if gap_rows else None)
    copro_text = "co-production by cycle on the ladder of involvement" if context.get("coproduction") else None
    has_reach = bool(reach) and reach.get("under_represented") is not None
    actions = reach.get("actions_total") if reach else None
    done = next((a["n"] for a in reach.get("actions_by_status", []) if a["status"] == "Done"), 0) if reach else 0
    actions_text = f"{fmt_int(done)} of {fmt_int(actions)} actions in the “you said, we did” log done" if actions else None
    not_possible = reach.get("not_possible_total") if reach else 0
    changes = [o for o in outcomes.values() if o.get("change")]
    clear = sum(1 for o in changes if o["change"]["is_clear"])
    reflections = []
    if not_possible:
        reflections.append(f"{not_possible} action{'s' if not_possible != 1 else ''} not possible, with reasons")
    if has_reach:
        k = len(reach["under_represented"])
        reflections.append(f"{k} group{'s' if k != 1 else ''} under-represented")
    if reach.get("themes_without_action"):
        k = len(reach["themes_without_action"])
        reflections.append(f"{k} leading theme{'s' if k != 1 else ''} with no action yet")
    communications = "; ".join(t for t in (items_said("Communications"), actions_text) if t) or None
    methods_bits = [f"{fmt_int(counts['activities'])} engagement activities" if counts.get("activities") else None,
                    f"{len(reach['by_channel'])} ways of taking part" if reach.get("by_channel") else None]
    methods_text = ", ".join(b for b in methods_bits if b)
    results_bits = [f"{len(outcomes)} rated outcomes with 95% intervals" if outcomes else None,
                    f"leading themes for {len(themes)} open question{'s' if len(themes) != 1 else ''}" if themes else None]
    return [
        row("UK Standards", "Inclusive opportunities", ["reach"],
            f"{fmt_int(counts.get('reach_respondents'))} {' and '.join(counts.get('reach_datasets') or ['survey'])} "
            "respondents compared with the local population; "
            f"{len(reach['under_represented'])} groups under-represented" if has_reach else None),
        row("UK Standards", "Working together",
            [w for w, t in (("outcomes", items_said("Working together")), ("equal-voice", gaps_text),
                            ("coproduction", copro_text)) if t],
            "; ".join(t for t in (items_said("Working together"), gaps_text, copro_text) if t) or None),
        row("UK Standards", "Support and learning", ["outcomes"], items_said("Support and learning")),
        row("UK Standards", "Communications",
            [w for w, t in (("outcomes", items_said("Communications")), ("actions", actions_text)) if t], communications),
        row("UK Standards", "Governance", [], None),
        row("UK Standards", "Impact", [w for w, t in (("outcomes", changes), ("actions", actions_text)) if t],
            "; ".join(t for t in (f"change since the first wave tested for {len(changes)} outcome{'s' if len(changes) != 1 else ''}: "
                                  f"{clear} clear change{'s' if clear != 1 else ''}" if changes else None,
                                  actions_text) if t) or None),
        row("GRIPP2", "Aim", ["summary"], "the purpose of the report, at the top of the summary"),
        row("GRIPP2", "Methods", (["reach"] if methods_text else []) + ["methods"],
            (methods_text + "; " if methods_text else "") + "how the evidence was analysed"),
        row("GRIPP2", "Results", [w for w, t in (("outcomes", outcomes), ("themes", themes)) if t],
            "; ".join(b for b in results_bits if b) or None),
        row("GRIPP2", "Outcomes", ["actions"], actions_text),
        row("GRIPP2", "Reflections", (["not-possible"] if not_possible else []) + (["reach"] if has_reach else [])
            + (["actions"] if reach.get("themes_without_action") else []), "; ".join(reflections) or None),
    ]
