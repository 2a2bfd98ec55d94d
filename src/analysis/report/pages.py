"""Notebook pages: one executed notebook exported as a reader page and a researcher page.

JupyterLab's template loads require.js and MathJax from CDNs, so the custom
nbconvert template (``templates/notebook_page.html.j2``) drops those blocks;
plotly figures are re-rendered from their JSON with plotly.js embedded once per
page (:func:`prepare_notebook`); Markdown and HTML outputs go through
:mod:`analysis.report.sanitise` (the template's ``report_markdown`` and
``report_safe`` filters), and each page gets its Content-Security-Policy
(:mod:`analysis.report.policy`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analysis.report.policy import _with_policy, script_hash
from analysis.report.sanitise import markdown_to_safe_html, sanitise_html

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig

TEMPLATES_DIR: Path = Path(__file__).resolve().parent / "templates"
ASSETS_DIR: Path = Path(__file__).resolve().parent / "assets"
#: nbconvert page template (extends JupyterLab's "lab" template); a flat file so package data "templates/*" ships it.
NOTEBOOK_TEMPLATE: Path = TEMPLATES_DIR / "notebook_page.html.j2"
Audience = Literal["reader", "researcher"]

#: The notebooks the summary knows about, in order, with a one-line description.
NOTEBOOK_DESCRIPTIONS: dict[str, str] = {
    "01_cleaning": "How the raw exports were cleaned, checked and de-identified, with every row accounted for.",
    "02_themes": "What people wrote in their own words: themes in the open-text answers, with examples.",
    "03_change_over_time": "How ratings of involvement have changed across survey waves, with tests of change.",
    "04_reach_and_actions": "Who we heard from against the local population, and what was done in response.",
}

#: Tags (cell metadata) that remove a cell from reader pages.
READER_REMOVE_TAGS: frozenset[str] = frozenset({"parameters", "injected-parameters", "remove_cell", "remove-cell",
                                                "hide-reader"})


def notebook_title(nb: Any, fallback: str) -> str:
    """The first ``# `` heading of the notebook's markdown, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def notebook_description(nb: Any, stem: str) -> str:
    """One sentence describing a notebook (known stems first, else its first paragraph)."""
    if stem in NOTEBOOK_DESCRIPTIONS:
        return NOTEBOOK_DESCRIPTIONS[stem]
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for para in re.split(r"\n\s*\n", cell.source):
            para = para.strip()
            if para and not para.startswith("#"):
                text = re.sub(r"[*_`]+", "", para)
                text = re.sub(r"^Purpose\.\s*", "", text)
                text = re.sub(r"\s+", " ", text)
                return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return ""


_FIGURE_LINK = re.compile(r"</?a\b[^>]*>", re.I)


def _inert_figure(value: Any) -> Any:
    """A figure's JSON with every ``<a ...>`` tag taken out of its text.

    plotly.js draws labels as SVG text (no HTML is parsed, so nothing can run),
    but it honours ``<a href>`` in them: a theme label could otherwise carry a
    clickable link into a figure. The link's text stays.
    """
    if isinstance(value, str):
        return _FIGURE_LINK.sub("", value)
    if isinstance(value, Mapping):
        return {k: _inert_figure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inert_figure(v) for v in value]
    return value


def _plotly_html(figure: Mapping[str, Any], div_id: str) -> str:
    """A plotly figure as a div + inline script that needs only ``window.Plotly``.

    plotly writes the figure's JSON with ``<``, ``>`` and ``/`` escaped, so no
    text in it can close the script; links are taken out first (:func:`_inert_figure`).
    """
    import plotly.io as pio

    return pio.to_html(_inert_figure(dict(figure)), include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config={"displaylogo": False, "responsive": True})


def prepare_notebook(nb: Any, *, audience: Audience, stem: str) -> tuple[Any, bool]:
    """Shape an executed notebook for one audience (returns a modified copy).

    * Plotly outputs are re-rendered from their JSON (``application/vnd.plotly.v1+json``)
      with a deterministic div id and no CDN references; plotly.js init outputs
      (the "notebook" renderer's embedded library) are dropped because the page
      embeds plotly.js once.
    * Reader pages drop the parameters cells, code cells without output,
      warnings (stderr) and cells tagged ``remove-cell``/``hide-reader``.
    * Outputs keep only the mimetypes a page shows as content (HTML and
      Markdown, which the page template sanitises, text, LaTeX shown as text,
      embedded images): JavaScript and widget outputs, and the notebook's
      widget state, never reach a page. The figures made here are marked in
      the output's metadata (key :data:`TRUSTED_FIGURE`, with their scripts'
      hashes) so the template inserts them as they are; the mark is removed
      from every other output first, so a notebook cannot claim it.

    Parameters
    ----------
    nb
        An executed ``nbformat`` notebook.
    audience
        ``"reader"`` (no code) or ``"researcher"`` (code shown).
    stem
        Notebook stem, used in figure ids.

    Returns
    -------
    (notebook, needs_plotly)
    """
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    needs_plotly = False
    kept = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code":
            outputs = []
            for k, output in enumerate(cell.get("outputs", [])):
                data = output.get("data", {})
                if isinstance(output.get("metadata"), Mapping):
                    output["metadata"].pop(TRUSTED_FIGURE, None)
                if "application/vnd.plotly.v1+json" in data:
                    html = _plotly_html(data["application/vnd.plotly.v1+json"], f"figure-{stem}-{index}-{k}")
                    output["data"] = {"text/html": html, "text/plain": data.get("text/plain", "")}
                    output.setdefault("metadata", {})[TRUSTED_FIGURE] = {
                        "script_sha256": [script_hash(m) for m in _INLINE_SCRIPT.findall(html)]}
                    needs_plotly = True
                elif "text/html" in data and "window.PlotlyConfig" in "".join(data["text/html"]):
                    continue  # plotly.js library injected by the notebook renderer: embedded once per page instead
                elif "data" in output:
                    output["data"] = {key: value for key, value in data.items() if key in SHOWN_MIMETYPES}
                    if not output["data"]:
                        continue
                if audience == "reader" and output.get("output_type") == "stream" and output.get("name") == "stderr":
                    continue
                outputs.append(output)
            cell["outputs"] = outputs
            if audience == "reader" and (not outputs or tags & READER_REMOVE_TAGS):
                continue
        elif audience == "reader" and tags & READER_REMOVE_TAGS:
            continue
        kept.append(cell)
    nb.cells = kept
    return nb, needs_plotly


#: Output metadata key marking a figure this module rendered itself (its HTML is inserted unsanitised).
TRUSTED_FIGURE = "analysis_report_figure"
#: Output mimetypes a page shows; text/html and text/markdown are sanitised by the page template.
SHOWN_MIMETYPES: frozenset[str] = frozenset({"text/html", "text/markdown", "text/plain", "text/latex", "image/png",
                                             "image/jpeg", "image/svg+xml"})
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)


@dataclass
class NotebookPage:
    """One notebook as published: its title, description and both HTML files."""

    stem: str
    title: str
    description: str
    reader_href: str
    researcher_href: str
    reader_body: str = ""
    needs_plotly: bool = False
    lab_css: str = ""
    #: CSP hash sources of the scripts this build made for the page (plotly.js and each figure's call).
    script_hashes: tuple[str, ...] = field(default_factory=tuple)


def _read_asset(name: str) -> str:
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@functools.lru_cache(maxsize=1)
def _plotly_js_hash() -> str:
    return script_hash(_plotly_js())


def _between(text: str, start: str, end: str) -> str:
    i, j = text.find(start), text.find(end)
    return text[i + len(start):j] if 0 <= i < j else ""


def export_notebook(
    executed: Path,
    *,
    audience: Audience,
    config: CycleConfig,
    other_href: str | None = None,
    index_href: str = "index.html",
) -> tuple[str, NotebookPage]:
    """Export one executed notebook to a report page.

    Parameters
    ----------
    executed
        The executed ``.ipynb``.
    audience
        ``"reader"`` hides code, prompts and warnings; ``"researcher"`` shows code.
    config
        The cycle configuration (titles, suppression threshold).
    other_href
        Link to the same notebook for the other audience.
    index_href
        Link back to the summary page.

    Returns
    -------
    (html, page)
        The full page and a :class:`NotebookPage` with the body for the single-file edition.
    """
    import nbconvert
    import nbformat
    from nbconvert import HTMLExporter

    stem = executed.stem
    nb = nbformat.read(executed, as_version=4)
    title = notebook_title(nb, stem.replace("_", " "))
    prepared, needs_plotly = prepare_notebook(nb, audience=audience, stem=stem)
    prepared.metadata["title"] = f"{title} – {config.title}"
    exporter = HTMLExporter(
        template_name="lab",
        template_file=str(NOTEBOOK_TEMPLATE),
        exclude_input=(audience == "reader"),
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        theme="light",
    )
    exporter.language_code = "en-GB"
    exporter.register_filter("report_safe", sanitise_html)
    exporter.register_filter("report_markdown", markdown_to_safe_html)
    audience_label = "Reader version" if audience == "reader" else "Researcher version (with code)"
    other_label = "Researcher version (with code)" if audience == "reader" else "Reader version"
    resources = {
        "report": {
            "css": _read_asset("report.css"),
            "plotly_js": _plotly_js() if needs_plotly else "",
            "organisation": config.organisation,
            "cycle": config.cycle,
            "cycle_title": config.title,
            "page_title": title,
            "audience_label": audience_label,
            "other_href": other_href,
            "other_label": other_label,
            "index_href": index_href,
            "threshold": config.suppression_threshold,
            "nbconvert_version": nbconvert.__version__,
        },
    }
    body, _ = exporter.from_notebook_node(prepared, resources=resources)
    hashes = [h for cell in prepared.cells for output in cell.get("outputs", [])
              for h in (output.get("metadata", {}).get(TRUSTED_FIGURE) or {}).get("script_sha256", [])]
    if needs_plotly:
        hashes.append(_plotly_js_hash())
    body = _with_policy(body, hashes)
    page = NotebookPage(
        stem=stem, title=title, description=notebook_description(nb, stem),
        reader_href=f"{stem}.html", researcher_href=f"{stem}-with-code.html",
        reader_body=_between(body, "<!-- notebook-content:start -->", "<!-- notebook-content:end -->"),
        needs_plotly=needs_plotly,
        lab_css=_between(body, "<!-- lab-css:start -->", "<!-- lab-css:end -->"),
        script_hashes=tuple(hashes),
    )
    return body, page
