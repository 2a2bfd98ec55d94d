"""The HTML cycle report: notebook pages, the executive summary and a single-file edition.

What is published (``reports/<cycle>/``)
----------------------------------------
* ``<stem>.html`` — reader page per notebook: prose, tables and figures, no code.
* ``<stem>-with-code.html`` — researcher page: the same with code and warnings.
* ``index.html`` — executive summary generated from the recorded results,
  links to every page, methods and assumptions, footnotes.
* ``<cycle>-report.html`` (``--self-contained``) — summary and every reader
  section in one offline file, for e-mail.

Every page works offline and holds no live content: no page loads anything from
the network, and :func:`build_report` fails if any page written would
(:func:`remote_resources`) or holds anything that could run, submit or navigate
away (:func:`live_content`).

Where each part lives
---------------------
This module orchestrates the build; the parts are, in the order a page is made:

* :mod:`analysis.report.pages` — one executed notebook as a reader and a
  researcher page (nbconvert, plotly figures re-rendered offline).
* :mod:`analysis.report.sanitise` — escape by default: every Markdown cell and
  HTML output rendered as inert markup (bleach with this report's allow-list).
* :mod:`analysis.report.policy` — each page's Content-Security-Policy, and the
  offline and live-content checks of finished pages.
* :mod:`analysis.report.summary` — the executive summary's content from the
  recorded results, with :mod:`~analysis.report.methods`,
  :mod:`~analysis.report.equal_voice` and :mod:`~analysis.report.standards`.
* :mod:`analysis.report.findings` — the summary's five key findings (a fixed, stated order).
* :mod:`analysis.report.render` — the summary page's tables and template, with the static charts of
  :mod:`analysis.report.charts`.
* :mod:`analysis.report.formatting` — how numbers are written.

Every name these modules made public is also importable from here (callers import
``analysis.report.build``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.report.equal_voice import equal_voice
from analysis.report.formatting import fmt_int, fmt_interval, fmt_pct, fmt_points
from analysis.report.methods import methods_context
from analysis.report.pages import (
    ASSETS_DIR,
    NOTEBOOK_DESCRIPTIONS,
    NOTEBOOK_TEMPLATE,
    READER_REMOVE_TAGS,
    SHOWN_MIMETYPES,
    TEMPLATES_DIR,
    TRUSTED_FIGURE,
    Audience,
    NotebookPage,
    _plotly_js,
    _plotly_js_hash,
    export_notebook,
    notebook_description,
    notebook_title,
    prepare_notebook,
)
from analysis.report.policy import (
    LIVE_ELEMENTS,
    ReportError,
    _with_policy,
    assert_inert,
    assert_offline,
    content_security_policy,
    live_content,
    remote_resources,
    script_hash,
)
from analysis.report.render import render_index, summary_tables
from analysis.report.sanitise import SAFE_CSS_PROPERTIES, SAFE_TAGS, markdown_to_safe_html, sanitise_html
from analysis.report.standards import NOT_EVIDENCED, STANDARD_NAMES, standards_evidence
from analysis.report.summary import previous_results_dir, summary_context

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig

__all__ = [
    "ASSETS_DIR",
    "LIVE_ELEMENTS",
    "NOTEBOOK_DESCRIPTIONS",
    "NOTEBOOK_TEMPLATE",
    "NOT_EVIDENCED",
    "READER_REMOVE_TAGS",
    "SAFE_CSS_PROPERTIES",
    "SAFE_TAGS",
    "SHOWN_MIMETYPES",
    "STANDARD_NAMES",
    "TEMPLATES_DIR",
    "TRUSTED_FIGURE",
    "Audience",
    "NotebookPage",
    "ReportError",
    "_with_policy",
    "assert_inert",
    "assert_offline",
    "build_report",
    "content_security_policy",
    "equal_voice",
    "export_notebook",
    "fmt_int",
    "fmt_interval",
    "fmt_pct",
    "fmt_points",
    "live_content",
    "markdown_to_safe_html",
    "methods_context",
    "notebook_description",
    "notebook_title",
    "prepare_notebook",
    "previous_results_dir",
    "remote_resources",
    "render_index",
    "sanitise_html",
    "script_hash",
    "standards_evidence",
    "summary_context",
    "summary_tables",
]


def build_report(
    build_dir: Path,
    config: CycleConfig,
    manifest: Mapping[str, Any],
    *,
    self_contained: bool = False,
    final_dir: Path | None = None,
) -> list[Path]:
    """Write every HTML page of a report into ``build_dir``.

    Parameters
    ----------
    build_dir
        Folder holding ``notebooks/*.ipynb`` (executed) and ``results/*.json``.
    config
        The cycle configuration.
    manifest
        The run manifest (see :func:`analysis.report.runner.build_manifest`).
    self_contained
        Also write ``<cycle>-report.html``.
    final_dir
        Where the report will be published (only used to find the previous
        cycle beside it); default ``build_dir``.

    Returns
    -------
    list[Path]
        The HTML files written.
    """
    written: list[Path] = []
    pages: list[NotebookPage] = []
    for executed in sorted((build_dir / "notebooks").glob("*.ipynb")):
        stem = executed.stem
        reader_html, page = export_notebook(executed, audience="reader", config=config,
                                            other_href=f"{stem}-with-code.html")
        researcher_html, _ = export_notebook(executed, audience="researcher", config=config,
                                             other_href=f"{stem}.html")
        for name, text in ((page.reader_href, reader_html), (page.researcher_href, researcher_html)):
            (build_dir / name).write_text(text, encoding="utf-8")
            written.append(build_dir / name)
        pages.append(page)
    previous = previous_results_dir(config)
    context = summary_context(build_dir, config, manifest, previous_dir=previous)
    index = _with_policy(render_index(context, config=config, pages=pages), ())
    (build_dir / "index.html").write_text(index, encoding="utf-8")
    written.append(build_dir / "index.html")
    if self_contained:
        lab_css = next((p.lab_css for p in pages if p.lab_css), "")
        plotly_js = _plotly_js() if any(p.needs_plotly for p in pages) else ""
        single = render_index(context, config=config, pages=pages, single_file=True, lab_css=lab_css,
                              plotly_js=plotly_js)
        single = _with_policy(single, [h for p in pages for h in p.script_hashes]
                              + ([_plotly_js_hash()] if plotly_js else []))
        path = build_dir / f"{config.cycle}-report.html"
        path.write_text(single, encoding="utf-8")
        written.append(path)
    for path in written:
        text = path.read_text(encoding="utf-8")
        refs = remote_resources(text)
        if refs:
            raise ReportError(f"{path.name} would load from the network: {refs[0]}")
        live = live_content(text)
        if live:
            raise ReportError(f"{path.name} holds live content: " + "; ".join(live[:5]))
    return written

