"""The executive summary's content, read from the recorded results (and the previous cycle's).

Each notebook's ``results/<stem>.json`` is read with
:func:`analysis.core.results.load_results`, which checks it against that notebook's
model (``CleaningResults``, ``ThemesResults``, ``ChangeResults``,
``ReachActionsResults``): a file that does not match stops the build with the
field named. A notebook that recorded nothing leaves its section out ("missing").

Units, as the contract fixes them: ``pct``/``*_pct`` (and their ``ci_*``) are 0..100; ``*_share`` are 0..1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.core import paths, vocab
from analysis.core.results import (
    ChangeEntry,
    ChangeResults,
    CleaningResults,
    Comparison,
    ReachActionsResults,
    ThemesResults,
    TopTheme,
    load_results,
)
from analysis.report.equal_voice import equal_voice
from analysis.report.findings import is_clear, key_findings
from analysis.report.formatting import _status_class, _status_rank
from analysis.report.methods import methods_context
from analysis.report.pages import NOTEBOOK_DESCRIPTIONS
from analysis.report.standards import standards_evidence

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig


def _f(value: float | int | None) -> float | None:
    """A recorded number as the summary shows it (a float), None kept."""
    return None if value is None else float(value)


def _cleaning_summary(rec: CleaningResults | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    waves: dict[str, int] = {}
    for row in rec.respondents_by_wave:
        if row.respondents is not None:
            waves[str(row.wave)] = waves.get(str(row.wave), 0) + int(row.respondents)
    return {
        "rows_read": _f(rec.rows_read),
        "rows_kept": _f(rec.rows_kept),
        "rows_rejected": _f(rec.rows_rejected),
        "duplicates_removed": _f(rec.duplicates_removed),
        "redactions_total": int(sum(rec.redactions.values())),
        "redactions": dict(sorted(rec.redactions.items())),
        "respondents_by_wave": dict(sorted(waves.items())),
        "demo_key": rec.demo_key,
    }


def _theme_record(theme: TopTheme) -> dict[str, Any]:
    return {"theme_id": theme.theme_id, "label": theme.label, "n": _f(theme.n), "pct": theme.pct,
            "ci_low": theme.ci_low, "ci_high": theme.ci_high, "reviewed": theme.reviewed}


def _themes_summary(rec: ThemesResults | None, config: CycleConfig | None, top: int = 5) -> list[dict[str, Any]] | None:
    if rec is None:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.open_questions} if config else {}
    wording = {q.id: q.wording[max(q.wording)] for q in config.question_bank.open_questions} if config else {}
    out = [{"question_id": qid, "label": labels.get(qid, qid.replace("_", " ").capitalize()),
            "wording": wording.get(qid), "themes": [_theme_record(t) for t in q.top_themes[:top]],
            "non_answer_pct": 100 * q.non_answer_share, "n_comments": _f(q.n_comments),
            "n_substantive": _f(q.n_respondents_substantive)}
           for qid, q in rec.questions.items()
           # Documents are counted as documents, not people: they are shown by channel (document_themes).
           if qid != vocab.DOCUMENT_QUESTION_ID]
    order = list(labels)
    out.sort(key=lambda q: order.index(q["question_id"]) if q["question_id"] in order else len(order))
    return out


def _lifecycle(rec: ThemesResults | None) -> dict[str, list[str]] | None:
    """Theme lifecycle from the 02 record (the theme registry's statuses this cycle)."""
    if rec is None:
        return None
    return {"new": list(rec.lifecycle.new), "continuing": list(rec.lifecycle.continuing),
            "no_longer_raised": list(rec.lifecycle.no_longer_raised)}


def _change_entry(entry: ChangeEntry) -> dict[str, Any]:
    return {"pct": entry.pct_positive, "ci_low": entry.ci_low, "ci_high": entry.ci_high, "n": entry.n,
            "wave": entry.wave, "suppressed": entry.suppressed, "mdd_pp": entry.mdd_pp,
            "mdd_family_pp": entry.mdd_family_pp}


def _comparison_summary(c: Comparison | None) -> dict[str, Any] | None:
    """A recorded change with its verdict read from the interval the record prints (the simultaneous one)."""
    if c is None or c.estimate is None or c.suppressed or c.ci_low is None or c.ci_high is None:
        return None
    return {"estimate": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high, "since": c.comparison_wave,
            "family_size": c.family_size, "is_clear": is_clear(c.ci_low, c.ci_high)}


def _change_summary(rec: ChangeResults | None, config: CycleConfig | None) -> list[dict[str, Any]] | None:
    """Latest % positive per item, for everyone (group "all", else the first group), with its changes and series."""
    if rec is None:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.items} if config else {}
    sentences = {(s.item, s.group): s.sentence for s in rec.sentences}
    out = []
    for item_id, groups in rec.items.items():
        if not groups:
            continue
        main_group = "all" if "all" in groups else next(iter(groups))
        entry = groups[main_group]
        series = (rec.series or {}).get(item_id, {}).get(main_group, [])
        out.append({
            "item_id": item_id,
            "label": labels.get(item_id, item_id),
            **_change_entry(entry),
            "group": main_group,
            "sentence": sentences.get((item_id, main_group)),
            # The verdict is the recorded interval's (simultaneous, so it agrees with the adjusted p by design).
            "change": _comparison_summary(entry.diff_baseline),
            "previous_change": _comparison_summary(entry.diff_previous),
            "series": [{"wave": pt.wave, "pct": pt.pct_positive, "ci_low": pt.ci_low, "ci_high": pt.ci_high,
                        "n": pt.n} for pt in series],
            "groups": [{"group": g, **_change_entry(v)} for g, v in groups.items() if g != main_group],
        })
    order = list(labels)
    out.sort(key=lambda r: order.index(r["item_id"]) if r["item_id"] in order else len(order))
    return out


def _reach_actions_summary(rec: ReachActionsResults | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {
        "activities": _f(rec.activities),
        "participants": _f(rec.participants),
        "respondents": _f(rec.respondents),
        "boroughs_with_activity": _f(rec.boroughs_with_activity),
        "boroughs_in_benchmark": _f(rec.boroughs_in_benchmark),
        "by_channel": [r.model_dump() for r in rec.responses_by_channel],
        "under_represented": [r.model_dump() for r in rec.under_represented],
        "reach_sentences": list(rec.reach_sentences),
        "ratio_threshold": rec.ratio_threshold,
        "actions_total": _f(rec.actions_total),
        "actions_by_status": [{"status": k, "n": v, "css": _status_class(k)}
                              for k, v in sorted(rec.actions_by_status.items(), key=lambda kv: _status_rank(kv[0]))],
        "leading_themes": [r.model_dump() for r in rec.leading_themes],
        "themes_without_action": [r.model_dump() for r in rec.themes_without_action],
        "coverage_sentences": list(rec.coverage_sentences),
        "progress_sentence": rec.progress_sentence,
        "completed_since_previous": _f(rec.actions_completed_since_previous),
        "you_said_we_did": [r.model_dump() for r in rec.you_said_we_did],
        **_not_possible(rec),
    }


def _not_possible(rec: ReachActionsResults) -> dict[str, Any]:
    """The actions not possible, with their reasons, for "What we could not do, and why".

    Notebook 04 records every such action among its "you said, we did" rows
    (beside the examples). Results recorded before it did may list fewer than
    the status count: ``not_possible_unlisted`` says how many are missing, so
    the page never implies the list is complete when it is not.
    """
    listed = [r.model_dump() for r in rec.you_said_we_did if r.status == "Not possible"]
    total = max(int(rec.actions_by_status.get("Not possible", 0)), len(listed))
    return {"not_possible": listed, "not_possible_total": total, "not_possible_unlisted": total - len(listed)}


def _headline_counts(current: Mapping[str, Any]) -> dict[str, Any]:
    """The summary's key counts, each named by what it counts.

    A "row kept" is not a respondent: notebook 01 keeps rows of every input
    (respondents, answers, comments, activities, actions, population
    benchmark), so the front page counts respondents from the respondents
    table alone. Respondents are survey responses, one per person per wave
    answered; the count is the one the cleaning page already publishes
    ("Processed tables written"). Without that table's size, the sum of
    ``respondents_by_wave`` is used only when no cell of it is hidden
    (a hidden cell would make the sum too small, so no number is better).

    Parameters
    ----------
    current
        Recorded results by notebook stem.

    Returns
    -------
    dict
        ``respondents``, ``waves`` (sorted), ``surveys`` (how many), ``comments``,
        ``comments_substantive``, ``comments_non_answer``, ``activities``,
        ``participants``, ``reach_respondents`` (notebook 04's latest-wave
        respondents), ``reach_datasets``; a value is None when nothing recorded it.
    """
    rec01: CleaningResults | None = current.get("01_cleaning")
    rec02: ThemesResults | None = current.get("02_themes")
    rec04: ReachActionsResults | None = current.get("04_reach_and_actions")
    tables = rec01.tables if rec01 is not None else {}
    by_wave = rec01.respondents_by_wave if rec01 is not None else []
    respondents = _f(tables.get("respondents"))
    if respondents is None and by_wave and all(row.respondents is not None and not row.suppressed
                                               for row in by_wave):
        respondents = float(sum(row.respondents or 0 for row in by_wave))
    return {
        "respondents": respondents,
        "waves": sorted({row.wave for row in by_wave}),
        "surveys": len({row.dataset for row in by_wave}) or None,
        "comments": _f(tables.get("comments")),
        "comments_substantive": _f(rec02.quality.n_documents) if rec02 is not None else None,
        "comments_non_answer": _f(rec02.quality.n_non_answers) if rec02 is not None else None,
        "activities": _f(rec04.activities) if rec04 is not None else None,
        "participants": _f(rec04.participants) if rec04 is not None else None,
        "reach_respondents": _f(rec04.respondents) if rec04 is not None else None,
        "reach_datasets": [d.replace("_", " ") for d in rec04.reach_datasets] if rec04 is not None else [],
    }


def _comparison(current: Mapping[str, Any], previous: Mapping[str, Any],
                config: CycleConfig | None, previous_cycle: str) -> dict[str, Any]:
    """What changed since the previous cycle's report (``current``/``previous``: results models by stem)."""
    now = {o["item_id"]: o for o in (_change_summary(current.get("03_change_over_time"), config) or [])}
    before = {o["item_id"]: o for o in (_change_summary(previous.get("03_change_over_time"), config) or [])}
    outcomes = []
    for item_id, o in now.items():
        b = before.get(item_id)
        if b is None or o["pct"] is None or b["pct"] is None:
            continue
        diff = o["pct"] - b["pct"]
        direction = "up" if diff > 0.5 else "down" if diff < -0.5 else "about the same"
        outcomes.append({"label": o["label"], "now": o["pct"], "before": b["pct"], "diff": diff, "direction": direction})

    # The registry's statuses, as notebook 02 recorded them; no 02 results this cycle, no theme comparison.
    lifecycle = _lifecycle(current.get("02_themes"))
    rec04: ReachActionsResults | None = current.get("04_reach_and_actions")
    return {"previous_cycle": previous_cycle, "outcomes": outcomes, "themes": lifecycle,
            "actions_completed": _f(rec04.actions_completed_since_previous) if rec04 is not None else None,
            "progress_sentence": rec04.progress_sentence if rec04 is not None else None}


def previous_results_dir(config: CycleConfig) -> Path | None:
    """The previous cycle's recorded results folder, when configured and present."""
    if not config.previous_cycle:
        return None
    folder = paths.resolve(config.outputs.reports_dir) / config.previous_cycle / "results"
    return folder if any(folder.glob("*.json")) else None


def summary_context(
    output_dir: Path,
    config: CycleConfig | None = None,
    manifest: Mapping[str, Any] | None = None,
    *,
    previous_dir: Path | None = None,
) -> dict[str, Any]:
    """Everything the executive summary shows, read from the recorded results.

    Parameters
    ----------
    output_dir
        Report (or build) folder holding ``results/<stem>.json``.
    config
        The cycle configuration (labels, methods); optional for tests.
    manifest
        The run manifest (package versions, seeds, inputs).
    previous_dir
        The previous cycle's ``results`` folder, if the cycles are compared.

    Returns
    -------
    dict
        Sections ``cleaning``, ``themes``, ``outcomes``, ``reach`` (each None when
        the notebook recorded nothing), ``comparison`` (None without a previous
        cycle), ``missing`` (list of notebook stems with no results), ``methods``.
    """
    stems = list(NOTEBOOK_DESCRIPTIONS)
    # Each file is checked against its contract (analysis.core.results): a notebook's results are read, not guessed.
    current = {stem: load_results(output_dir, stem) for stem in stems}
    rec03: ChangeResults | None = current["03_change_over_time"]
    rec04: ReachActionsResults | None = current["04_reach_and_actions"]
    context: dict[str, Any] = {
        "cleaning": _cleaning_summary(current["01_cleaning"]),
        "themes": _themes_summary(current["02_themes"], config),
        "outcomes": _change_summary(rec03, config),
        "reach": _reach_actions_summary(rec04),
        "missing": [s for s in stems if current[s] is None],
        "comparison": None,
        "counts": _headline_counts(current),
        "equal_voice": equal_voice(rec03, config),
        "coproduction": _coproduction(rec04),
        "document_themes": list(current["02_themes"].channel_sentences) if current["02_themes"] else [],
    }
    context["next_wave"] = next_wave(context["outcomes"], context["equal_voice"],
                                     power=config.change.power if config else None)
    if previous_dir is not None and config is not None and config.previous_cycle:
        previous = {stem: load_results(previous_dir.parent, stem) for stem in stems}
        if any(v is not None for v in previous.values()):
            context["comparison"] = _comparison(current, previous, config, config.previous_cycle)
    context["methods"] = methods_context(config, manifest) if config is not None else None
    if context["methods"] is not None and rec03 is not None:
        # Plain words here; the full statement of the statistics is on notebook 03's page.
        context["methods"]["change_statistics"] = change_statistics_text(rec03)
    context["findings"] = key_findings(context)
    context["standards"] = standards_evidence(context, config.standards if config is not None else {})
    return context


#: A p-value clause inside a recorded sentence ("; p = 0.01", ", adjusted p < 0.001"): statistical detail the
#: summary leaves to the notebook pages (the interval beside it carries the same verdict).
_P_CLAUSE = re.compile(r"[;,]\s*(?:adjusted\s+)?p\s*[=<>]\s*[0-9.]+")


def plain(sentence: str) -> str:
    """A recorded sentence without its p-value clauses."""
    return _P_CLAUSE.sub("", sentence)


def _coproduction(rec: ReachActionsResults | None) -> dict[str, Any] | None:
    """Notebook 04's co-production trend, when it recorded one (its sentence without the p-value)."""
    if rec is None or rec.coproduction is None:
        return None
    out = rec.coproduction.model_dump()
    out["plain_sentence"] = plain(out["sentence"])
    return out


def _family_size(rec: ChangeResults) -> int | None:
    sizes = [c.family_size for groups in rec.items.values() for e in groups.values()
             for c in (e.diff_previous, e.diff_baseline, e.trend_logit, e.gee_trend) if c is not None and c.family_size]
    return int(max(sizes)) if sizes else None


def change_statistics_text(rec: ChangeResults) -> str:
    """The summary's one plain sentence on how changes and gaps are judged (the detail is on notebook 03's page)."""
    m = _family_size(rec)
    allowed = (f"allow for all {m} comparisons made together, so they are wider than one comparison's would be"
               if m and m > 1 else "are 95% intervals")
    return (f"Intervals on changes and on gaps between groups {allowed}; a change or a gap is called clear only "
            "when its interval leaves out no change. “No clear change” means the data cannot tell, not that "
            "nothing changed. The tests, models and adjusted p-values are in the change-over-time section.")


def _span(values: list[float]) -> str:
    low, high = round(min(values)), round(max(values))
    return f"{low}" if low == high else f"{low} to {high}"


def next_wave(outcomes: list[dict[str, Any]] | None, equal_voice_section: dict[str, Any] | None,
              *, power: float | None) -> dict[str, Any] | None:
    """What the next wave can detect, in plain words, from the minimum detectable differences 03 recorded.

    Uses the change a statement would call *clear* (``mdd_family_pp``, allowing for every
    comparison made together) where recorded, else the one-comparison ``mdd_pp`` (and says
    so). Everyone's figure, then each group's.

    Returns
    -------
    dict or None
        ``sentences`` (plain text) and ``rows`` (``label``, ``n``, ``everyone``, per-group values) for
        the table; None when nothing was recorded.
    """
    if not outcomes:
        return None
    family = all(o.get("mdd_family_pp") is not None for o in outcomes if o.get("pct") is not None)
    key = "mdd_family_pp" if family else "mdd_pp"
    everyone = [o for o in outcomes if o.get(key) is not None and o.get("n")]
    if not everyone:
        return None
    chance = f"{round(10 * power)} times in 10" if power else "most of the time"
    what = ("as a clear change, allowing for every comparison made" if family
            else "as a single comparison (allowing for every comparison made, it would need to be larger)")
    who = "everyone" if all(o.get("group") == "all" for o in everyone) else "the main group"
    sentences = [f"If the next wave has as many answers as {everyone[0]['wave']} (about "
                 f"{_span([o['n'] for o in everyone])} people per question), a change of about "
                 f"{_span([o[key] for o in everyone])} percentage points in the share of {who} answering positively "
                 f"would be detected {chance}, {what}."]
    groups = sorted({g["group"] for o in outcomes for g in o.get("groups") or [] if g.get(key) is not None
                     and g["group"] not in ("group not recorded",)},
                    key=lambda g: (equal_voice_section or {}).get("groups", []).index(g)
                    if g in (equal_voice_section or {}).get("groups", []) else 99)
    rows = []
    for o in outcomes:
        per_group = {g["group"]: g.get(key) for g in o.get("groups") or []}
        rows.append({"label": o["label"], "n": o.get("n"), "everyone": o.get(key),
                     "groups": [per_group.get(g) for g in groups]})
    for g in groups:
        values = [v for o in outcomes for x in o.get("groups") or [] if x["group"] == g and (v := x.get(key)) is not None]
        ns = [x["n"] for o in outcomes for x in o.get("groups") or [] if x["group"] == g and x.get(key) is not None
              and x.get("n")]
        if values and ns:
            sentences.append(f"Within {g} alone (about {_span(ns)} people), it would take a change of about "
                             f"{_span(values)} points.")
    sentences.append("Smaller real changes may be missed: “no clear change” is not evidence that nothing changed.")
    return {"sentences": sentences, "rows": rows, "groups": groups, "family": family}
