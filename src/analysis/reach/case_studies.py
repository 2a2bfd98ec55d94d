"""Case studies: short stories of what people said and what changed, linked to their themes.

The case-study log (processed ``case_studies.parquet``: case_id, cycle, title, theme_ids "17;19",
what_people_said, what_changed, consent, quote; free text already de-identified by the cleaning
stage) is published only where ``consent`` is true: a missing or unclear consent is no consent, and
such a story is counted but never shown. A story names a few people's experience with their
permission, so the small-numbers rule for quotes from groups does not apply to it; the consent
does. Every text is hostile (it comes from a log people type into): it is escaped here and stays
text on every page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

#: Columns of one story card (also what the results contract records).
CARD_FIELDS = ("case_id", "title", "theme_ids", "themes", "what_people_said", "what_changed", "quote")


def theme_id_list(value: object) -> list[int]:
    """``"17;19"`` -> ``[17, 19]`` (blank or missing -> ``[]``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [int(part) for part in str(value).replace(",", ";").split(";") if part.strip().lstrip("-").isdigit()]


def case_studies_as_of(cases: pd.DataFrame, latest_wave: int) -> pd.DataFrame:
    """The log as it stood at a cycle's latest wave: stories whose ``cycle`` is a later year are dropped."""
    if "cycle" not in cases.columns:
        return cases
    cycle = cases["cycle"].astype("string")
    is_year = cycle.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    later = pd.to_numeric(cycle.where(is_year), errors="coerce") > latest_wave
    return cases.loc[~later.fillna(False).astype(bool)]


def publishable(cases: pd.DataFrame) -> pd.DataFrame:
    """Stories with consent (``consent`` exactly true), in log order; ``attrs["withheld"]`` counts the others."""
    consent = cases["consent"].astype("boolean").fillna(False).astype(bool) if "consent" in cases.columns else (
        pd.Series(False, index=cases.index))
    out = cases.loc[consent].sort_values("case_id", kind="stable").reset_index(drop=True)
    out.attrs["withheld"] = int((~consent).sum())
    return out


def story_cards(cases: pd.DataFrame, labels: Mapping[int, str],
                resolved: Mapping[int, int] | None = None) -> list[dict[str, object]]:
    """One card per consented story, with its themes named as they are reported now.

    Parameters
    ----------
    cases
        Output of :func:`publishable`.
    labels
        Theme id -> label (the theme book's).
    resolved
        Theme id as written -> the theme it counts for now (merges followed); ids not in it stay.

    Returns
    -------
    list of dict
        :data:`CARD_FIELDS`; ``theme_ids`` are the resolved ids (repeats dropped), ``themes`` their labels.
    """
    def text(row: object, name: str) -> str | None:
        value = getattr(row, name, None)
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    cards = []
    for row in cases.itertuples(index=False):
        ids = list(dict.fromkeys((resolved or {}).get(t, t) for t in theme_id_list(row.theme_ids)))
        cards.append({"case_id": str(row.case_id), "title": text(row, "title") or "", "theme_ids": ids,
                      "themes": [labels.get(t, f"Theme {t}") for t in ids],
                      "what_people_said": text(row, "what_people_said"),
                      "what_changed": text(row, "what_changed"), "quote": text(row, "quote")})
    return cards


def render_story(card: Mapping[str, object]) -> str:
    """A story as a boxed HTML card (report.css ``callout``); every text escaped, so markup in a log stays text."""
    def esc(value: object) -> str:
        return html.escape(str(value), quote=True)

    parts = [f'<div class="callout callout-info case-study" role="note" aria-label="Case study: {esc(card["title"])}">',
             f"<h3>{esc(card['title'])}</h3>"]
    if card.get("what_people_said"):
        parts.append(f"<p><strong>What people said.</strong> {esc(card['what_people_said'])}</p>")
    if card.get("what_changed"):
        parts.append(f"<p><strong>What changed.</strong> {esc(card['what_changed'])}</p>")
    if card.get("quote"):
        parts.append(f"<blockquote><p>\u201c{esc(card['quote'])}\u201d</p></blockquote>")
    themes = list(card.get("themes") or [])  # type: ignore[call-overload]
    if themes:
        ids = list(card.get("theme_ids") or [])  # type: ignore[call-overload]
        named = "; ".join(f"{esc(label)} (theme {esc(t)})" for label, t in zip(themes, ids, strict=True))
        parts.append(f'<p class="small">Themes: {named}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def link_case_studies(cases: pd.DataFrame, book: pd.DataFrame) -> tuple[dict[int, int], pd.DataFrame]:
    """Where the themes of the shown (consented) stories now count, and the links that need a person.

    Parameters
    ----------
    cases
        Output of :func:`publishable` (stories never shown need no link check).
    book
        :func:`analysis.reach.theme_links.theme_book`.

    Returns
    -------
    (dict, pd.DataFrame)
        Theme id as written -> resolved id, and :func:`analysis.reach.theme_links.link_warnings`
        rows with ``source`` "case study".
    """
    from analysis.reach import theme_links

    pairs = [(str(row.case_id), t) for row in cases.itertuples(index=False) for t in theme_id_list(row.theme_ids)]
    resolved = theme_links.resolve([t for _, t in pairs], book)
    mapping = {int(a): int(b) for a, b in zip(resolved["theme_id"], resolved["resolved_id"], strict=True)
               if pd.notna(a) and pd.notna(b)}
    warnings = theme_links.link_warnings(resolved, [c for c, _ in pairs], "case study", theme_links.book_labels(book))
    return mapping, warnings
