"""The one page ``python -m analysis themes`` writes: the cycle report's style, escaping and policy.

Tables go through :func:`analysis.present.tables.render_table` (every cell escaped), the
stylesheet is the report's own, inlined, and the page carries the report's Content
Security Policy, so nothing in it can run or fetch.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

import pandas as pd

from analysis.core import vocab
from analysis.present.tables import format_cell, render_table
from analysis.report.policy import content_security_policy
from analysis.themes import tables as tt


def _stylesheet() -> str:
    return resources.files("analysis.report").joinpath("assets/report.css").read_text(encoding="utf-8")


def _quality_rows(quality: dict[str, Any]) -> pd.DataFrame:
    measures = [("Substantive comments themed", "n_documents", "integer"),
                ("No substantive answer (blank, 'nothing', 'N/A' ...)", "n_non_answers", "integer"),
                ("Themes", "n_themes", "integer"),
                ("Of which candidates (not yet in a theme book)", "n_candidates", "integer"),
                ("Substantive comments no theme fits", "outlier_share", "share:1"),
                ("Diversity of key words (1 = no overlap between themes)", "diversity", "number:2"),
                ("Coherence of key words (NPMI, -1 to 1)", "coherence_npmi", "number:2")]
    if quality.get("nmi") is not None:
        measures += [("Agreement with the human codes: NMI (0 to 1)", "nmi", "number:2"),
                     ("Agreement with the human codes: adjusted Rand index", "ari", "number:2")]
    if quality.get("stability_ari") is not None:
        measures += [("Stability between two seeds: adjusted Rand index", "stability_ari", "number:2")]
    # One row per measure, each formatted as its kind (the table's one renderer formats by column, not by row).
    rows = [(label, format_cell(quality.get(key), fmt)) for label, key, fmt in measures]
    return pd.DataFrame(rows, columns=["Measure", "Value"])


def single_file_page(*, title: str, tables: dict[str, pd.DataFrame], quotes: pd.DataFrame,
                     quality: dict[str, Any], group_name: str | None, threshold: int) -> str:
    """The whole page as a string (``<!DOCTYPE html>`` ...), self-contained and inert."""
    esc = html.escape
    table = tables["table"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{content_security_policy()}\">",
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>",
        f"<style>{_stylesheet()}</style></head><body><main class='report'>",
        f"<h1>{esc(title)}</h1>",
        "<p>Themes found offline (the all-MiniLM-L6-v2 sentence encoder; BERTopic for themes not in a theme "
        "book). Percentages are of people who gave a substantive answer, with 95% Wilson intervals. Counts of "
        f"fewer than {threshold} people, and any count that could be worked out from the others, are not shown. "
        "Quotes are de-identified and never come from a group smaller than that.</p>",
        "<h2>1. Themes</h2>",
        render_table(tt.format_theme_table(table), caption="Themes, largest first",
                     formats={"Respondents": "figures", "%": "figures", "95% CI": "figures"}),
        "<h2>2. In people's own words</h2>",
    ]
    shown = table[(table["row_type"] == "theme") & ~table["suppressed"]]
    for r in shown.itertuples():
        picked = quotes[quotes["theme_id"] == r.theme_id]
        parts.append(f"<h3>{esc(str(r.label))}</h3>")
        parts += [f"<blockquote>{esc(str(q))}</blockquote>" for q in picked["quote"]] or [
            "<p><em>No quote can be shown without risk to a small group.</em></p>"]
    parts += ["<h2>3. No substantive answer</h2>",
              "<p>Blank answers and answers such as 'nothing' or 'N/A' are counted here and left out of every "
              "percentage above.</p>",
              render_table(tables["non_answers"], columns={"kind": "Kind", "n": "Answers",
                                                           "share_of_answers": "Share of all answers"},
                           formats={"share_of_answers": "share:1"}, caption="Answers with no substantive content",
                           missing=f"fewer than {threshold}")]
    section = 4
    for key, name in (("by_group", f"by {group_name or 'group'}"), ("by_period", "over time")):
        if key in tables and len(tables[key]):
            parts += [f"<h2>{section}. Themes {esc(name)}</h2>",
                      render_table(tables[key].drop(columns=[c for c in ("question_id", "group_column")
                                                             if c in tables[key].columns]),
                                   caption=f"Respondents raising each theme, {name}")]
            section += 1
    parts += [f"<h2>{section}. How good are the themes?</h2>",
              render_table(_quality_rows(quality), caption="Quality of the themes"),
              f"<p>{esc(vocab.OUTLIER_THEME_LABEL)}: answers no theme fits; they are counted, not hidden.</p>",
              "</main></body></html>"]
    return "\n".join(parts)
