"""Rendering the summary page (``index.html``) and the single-file edition from the summary context."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

from analysis.report.findings import ORDER_RULE, interval_text
from analysis.report.formatting import _status_class, fmt_int, fmt_interval, fmt_pct, fmt_points
from analysis.report.pages import TEMPLATES_DIR, NotebookPage, _read_asset

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig


def _jinja_env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters.update(pct=fmt_pct, int=fmt_int, interval=fmt_interval, points=fmt_points,
                       status_class=_status_class)
    return env


def _demote_headings(body: str, prefix: str) -> str:
    """Shift h1..h5 down one level and prefix ids, so notebooks can share one page."""
    body = re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", body)
    # Figure ids already carry the notebook stem and are referenced by their scripts: leave them.
    body = re.sub(r'\bid="(?!figure-)([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', body)


def summary_tables(context: Mapping[str, Any]) -> dict[str, Any]:
    """Every table of the summary page, made by the one table renderer (:func:`analysis.present.tables.render_table`).

    The summary's numbers follow the page's own convention (whole percentages,
    "–" for a hidden or missing value, as the methods footnote says); text is
    escaped by the renderer. Keys: ``outcomes``, ``themes`` ({question id: table}),
    ``channels``, ``you_said_we_did``, ``comparison``, ``standards``, ``items``, ``inputs``,
    ``packages`` (None when there is nothing to show).
    """
    import pandas as pd
    from markupsafe import Markup

    from analysis.present.tables import render_table

    def table(rows: list[dict[str, Any]], caption: str, formats: Mapping[str, str] | None = None,
              missing: str = "–") -> Any:
        if not rows:
            return None
        # Markup: the renderer escaped every cell, so autoescaping must not escape the table's own tags.
        return Markup(render_table(pd.DataFrame(rows), formats=formats, caption=caption, missing=missing,
                                   row_headers=True))

    def change(o: Mapping[str, Any]) -> str:
        c = o.get("change")
        if not c:
            return "–"
        since = f" since {c['since']}" if c.get("since") else ""
        return f"{fmt_points(c['estimate'])}{since} ({interval_text(c['ci_low'], c['ci_high'])})"

    def clear(o: Mapping[str, Any]) -> Any:
        return None if not o.get("change") else bool(o["change"]["is_clear"])

    outcomes = context.get("outcomes") or []
    reach = context.get("reach") or {}
    cmp = context.get("comparison") or {}
    methods = context.get("methods") or {}
    voice = context.get("equal_voice") or {}
    nxt = context.get("next_wave") or {}
    copro = context.get("coproduction") or {}

    def gap_cell(g: Mapping[str, Any]) -> str:
        if g["suppressed"] or g["gap"] is None or g["ci_low"] is None:
            return "too few answers"
        return f"{fmt_points(g['gap'])} ({interval_text(g['ci_low'], g['ci_high'])})"

    def gap_change_cell(g: Mapping[str, Any]) -> str:
        c = g.get("change")
        if not c:
            return "–"
        return (f"{fmt_points(c['change_pp'])} ({interval_text(c['ci_low_pp'], c['ci_high_pp'])}): "
                f"{c['verdict'] if c['clear'] else 'no clear change'}")

    voice_rows = []
    for r in voice.get("rows", []):
        row: dict[str, Any] = {"Outcome": r["label"]}
        row.update({v["group"]: v["pct"] for v in r["values"]})
        for g in r["gaps"]:
            suffix = f" ({g['reference']} minus {g['other']})" if len(voice.get("others", [])) > 1 else ""
            row[f"Gap{suffix}"] = gap_cell(g)
            if voice.get("previous_cycle"):
                row[f"Change since {voice['previous_cycle']}{suffix}"] = gap_change_cell(g)
        voice_rows.append(row)
    voice_formats = {g: "percent:0" for g in voice.get("groups", [])}
    voice_formats.update({k: "figures" for r in voice_rows for k in r if k.startswith(("Gap", "Change since"))})
    last_cycle = (copro.get("cycles") or [{}])[-1].get("cycle") if copro else None
    return {
        "outcomes": table([{"Outcome": o["label"], "Positive": o["pct"],
                            "95% interval": fmt_interval(o["ci_low"], o["ci_high"]), "People answering": o["n"],
                            "Change since first wave (95% interval)": change(o), "Is it a clear change?": clear(o)}
                           for o in outcomes], "Positive answers by outcome, latest wave",
                          {"Positive": "percent:0", "95% interval": "figures", "People answering": "integer",
                           "Change since first wave (95% interval)": "figures", "Is it a clear change?": "flag"}),
        "equal_voice": table(voice_rows, f"Positive answers by group, {voice.get('wave')}, and the gap between them",
                             voice_formats) if voice.get("recorded") else
        table([{"Outcome": r["label"], **{v["group"]: v["pct"] for v in r["values"]}} for r in voice.get("rows", [])],
              "Positive answers by group, latest wave", {g: "percent:0" for g in voice.get("groups", [])}),
        "next_wave": table([{"Outcome": r["label"], "People answering": r["n"], "Everyone": r["everyone"],
                             **{g: v for g, v in zip(nxt.get("groups", []), r["groups"], strict=True)}}
                            for r in nxt.get("rows", [])],
                           "Smallest change the next wave would " + ("call clear" if nxt.get("family") else "detect")
                           + " (percentage points)",
                           {"People answering": "integer", "Everyone": "number:0",
                            **{g: "number:0" for g in nxt.get("groups", [])}}),
        "coproduction": table([{"Cycle": c["cycle"], "Activities with a level": c["recorded"],
                                "Co-produced": None if c["coproduced_share"] is None else 100 * c["coproduced_share"],
                                "Experts by experience involved from the start":
                                    None if c["from_start_share"] is None else 100 * c["from_start_share"]}
                               for c in copro.get("cycles") or []],
                              f"Co-production by cycle (up to {last_cycle})",
                              {"Cycle": "text", "Activities with a level": "integer", "Co-produced": "percent:0",
                               "Experts by experience involved from the start": "percent:0"}) if copro else None,
        "themes": {q["question_id"]: table(
            [{"Theme": t["label"] + ("" if t["reviewed"] else " (not yet reviewed)"), "People": t["n"],
              "Share": t["pct"], "95% interval": fmt_interval(t["ci_low"], t["ci_high"])} for t in q["themes"]],
            f"Leading themes: {q['label'].lower()}",
            {"People": "integer", "Share": "percent:0", "95% interval": "figures"})
            for q in context.get("themes") or []},
        "channels": table([{"Channel": ch.get("channel"), "Respondents": ch.get("respondents"), "Share": ch.get("pct")}
                           for ch in reach.get("by_channel") or []], "How people took part",
                          {"Respondents": "integer", "Share": "percent:0"}),
        # Actions not possible are listed, with their reasons, under "What we could not do, and why".
        "you_said_we_did": table([{"Theme": a.get("theme"), "You said": a.get("you_said"), "We did": a.get("we_did"),
                                   "Status": a.get("status")}
                                  for a in reach.get("you_said_we_did") or [] if a.get("status") != "Not possible"],
                                 "Examples from the actions log",
                                 {"Theme": "text", "You said": "text", "We did": "text", "Status": "text"}, missing=""),
        "comparison": table([{"Outcome": o["label"], "Previous": o["before"], "Now": o["now"],
                              "Difference": fmt_points(o["diff"]), "Direction": o["direction"]}
                             for o in cmp.get("outcomes") or []], "Positive answers: this cycle and the previous one",
                            {"Previous": "percent:0", "Now": "percent:0", "Difference": "figures"}),
        "standards": table([{"Standard or item": st["item"], "Framework": st["framework"],
                             "Where this report answers it": "; ".join(sec["title"] for sec in st["sections"]) or None,
                             "What it shows this cycle": st["evidence"]} for st in context.get("standards") or []],
                           "The report’s evidence against the standards", {c: "text" for c in (
                               "Standard or item", "Framework", "Where this report answers it",
                               "What it shows this cycle")}),
        "items": table([{"Item": i["label"], "Latest wording": i["wording"], "Counted as positive": i["positive"],
                         "Counted as not positive": i["negative"], "Left out of the base": i["excluded"]}
                        for i in methods.get("item_definitions") or []], "Survey items and their answer scales"),
        "inputs": table([{"Input": i.get("name"), "File": i.get("path"), "SHA-256 (first 12)": i.get("sha256") or "missing"}
                         for i in methods.get("inputs") or []],
                        "Input files and the start of their SHA-256 checksums", {"File": "text"}),
        "packages": table([{"Package": p_["name"], "Version": p_["version"]} for p_ in methods.get("packages") or []],
                          "Package versions used for this run"),
    }


def summary_charts(context: Mapping[str, Any]) -> dict[str, Any]:
    """The summary's static charts (:mod:`analysis.report.charts`): ``outcomes`` (a page-wide and a
    phone-wide drawing, ``outcomes_narrow``), ``equal_voice`` and ``coproduction``; None where there is nothing."""
    from analysis.report import charts

    outcomes = context.get("outcomes") or []
    voice = context.get("equal_voice")
    copro = context.get("coproduction")
    return {
        "outcomes": charts.outcomes_chart(outcomes, columns=3) if outcomes else None,
        "outcomes_narrow": charts.outcomes_chart(outcomes, columns=2, panel_width=2.3) if outcomes else None,
        "equal_voice": charts.equal_voice_chart(voice) if voice and voice.get("recorded") else None,
        "coproduction": charts.coproduction_chart(copro) if copro else None,
    }


def render_index(context: Mapping[str, Any], *, config: CycleConfig, pages: Sequence[NotebookPage],
                 single_file: bool = False, lab_css: str = "", plotly_js: str = "") -> str:
    """Render ``index.html`` (or the single-file edition when ``single_file``)."""
    from markupsafe import Markup

    env = _jinja_env()
    template = env.get_template("summary.html.j2")
    sections = []
    if single_file:
        for page in pages:
            sections.append({"stem": page.stem, "title": page.title,
                             "body": Markup(_demote_headings(page.reader_body, page.stem))})
    return template.render(
        s=context, tables=summary_tables(context), charts=summary_charts(context), order_rule=ORDER_RULE,
        config=config, pages=pages, single_file=single_file,
        sections=sections,
        css=Markup(_read_asset("report.css")), lab_css=Markup(lab_css), plotly_js=Markup(plotly_js),
        generator=f"involvement-evaluation {_version()}",
    )


def _version() -> str:
    try:
        return metadata.version("involvement-evaluation")
    except metadata.PackageNotFoundError:
        return "unknown"
