"""The HTML cycle report: notebook pages, the executive summary and a single-file edition.

What is published (``reports/<cycle>/``)
----------------------------------------
* ``<stem>.html`` — reader page per notebook: prose, tables and figures, no code.
* ``<stem>-with-code.html`` — researcher page: the same with code and warnings.
* ``index.html`` — executive summary generated from the recorded results,
  links to every page, methods and assumptions, footnotes.
* ``<cycle>-report.html`` (``--self-contained``) — summary and every reader
  section in one offline file, for e-mail.

Every page works offline: no page loads anything from the network. JupyterLab's
template loads require.js and MathJax from CDNs, so the custom nbconvert
template (``templates/notebook_page.html.j2``) drops those blocks; plotly figures
are re-rendered from their JSON with plotly.js embedded once per page; and
:func:`assert_offline` fails the build if any ``<script src="http...">`` (or a
remote stylesheet, image or frame) remains.

Recorded results read by the summary (all optional; keys read defensively)
---------------------------------------------------------------------------
``01_cleaning``: ``rows_read``, ``rows_kept``, ``rows_rejected``,
``duplicates_removed`` (int); ``redactions`` ({type: count});
``respondents_by_wave`` (records with ``wave`` and ``respondents``, optionally
``dataset``/``group``); ``demo_key`` (bool, synthetic example).

``02_themes``: per open question, the leading themes. Accepted shapes:
``questions: {qid: {label?, n_comments?, share_non_answer?, top_themes: [...]}}``
or ``top_themes: {qid: [...]}`` with ``share_non_answer: {qid: x}`` (or one
number). A theme record has ``theme_id``, ``label`` (or ``theme_label``),
``n`` (or ``people``/``count``), ``pct`` (0..100), ``ci_low``, ``ci_high``
(0..100) and ``reviewed`` (bool). Theme lifecycle across cycles, when the
theme registry recorded it: ``lifecycle: {new: [...], continuing: [...],
no_longer_raised: [...]}`` (lists of labels or theme records) or
``theme_status``: records with ``label`` and ``status``.

``03_change_over_time``: ``items`` as ``{item_id: {...}}`` or a list of records
with ``item_id``; each with ``label`` (or ``short_label``), ``pct`` (or
``latest_pct``; 0..100), ``ci_low``, ``ci_high``, ``wave``, ``n`` and
``sentence`` (plain-English change statement).

``04_reach_and_actions``: written by notebook 04 (see that notebook, section
"Recorded for the report"): ``activities``, ``participants``, ``respondents``,
``boroughs_with_activity``, ``boroughs_in_benchmark``, ``responses_by_channel``,
``under_represented``, ``reach_sentences``, ``ratio_threshold``,
``actions_total``, ``actions_by_status``, ``leading_themes``,
``themes_without_action``, ``coverage_sentences``, ``progress_sentence``,
``actions_completed_since_previous``, ``action_statuses``, ``you_said_we_did``.

Percentages: keys named ``pct``/``ci_*`` are 0..100; keys named ``*_share`` are 0..1.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analysis.core import paths, recording
from analysis.core.errors import UserError
from analysis.core.numerics import numerics_mode

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


class ReportError(UserError):
    """The report could not be built or would not work offline."""


# =========================================================================== helpers
def _first(mapping: Mapping[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """The value of the first key present (and not None) in ``mapping``."""
    if not isinstance(mapping, Mapping):
        return default
    for key in keys:
        if key in mapping and mapping[key] is not None:
            return mapping[key]
    return default


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out  # NaN -> None


def fmt_pct(value: Any, digits: int = 0) -> str:
    """``45.2`` -> ``"45%"``; missing -> ``"–"`` (suppressed or not available)."""
    number = _num(value)
    return "–" if number is None else f"{number:.{digits}f}%"


def fmt_int(value: Any) -> str:
    """``12345`` -> ``"12,345"``; missing -> ``"–"``."""
    number = _num(value)
    return "–" if number is None else f"{number:,.0f}"


def fmt_points(value: Any) -> str:
    """A change in percentage points: ``4.6`` -> ``"+5 points"``, ``-1.2`` -> ``"-1 point"``."""
    number = _num(value)
    if number is None:
        return "–"
    rounded = round(number)
    sign = "+" if rounded > 0 else "" if rounded == 0 else "-"
    return f"{sign}{abs(rounded)} point{'' if abs(rounded) == 1 else 's'}"


def fmt_interval(low: Any, high: Any, digits: int = 0) -> str:
    """``(40.1, 50.3)`` -> ``"40% to 50%"``."""
    lo, hi = _num(low), _num(high)
    if lo is None or hi is None:
        return "–"
    return f"{lo:.{digits}f}% to {hi:.{digits}f}%"


def _as_records(value: Any, key_name: str) -> list[dict[str, Any]]:
    """A list of dicts from either a list of records or a ``{key: record}`` mapping."""
    if isinstance(value, Mapping):
        out = []
        for key, rec in value.items():
            rec = dict(rec) if isinstance(rec, Mapping) else {"value": rec}
            rec.setdefault(key_name, key)
            out.append(rec)
        return out
    if isinstance(value, list):
        return [dict(v) for v in value if isinstance(v, Mapping)]
    return []


def _status_rank(status: str) -> int:
    from analysis.core import vocab

    order = list(vocab.ACTION_STATUSES)
    return order.index(status) if status in order else len(order)


def _status_class(status: str) -> str:
    return "status-" + re.sub(r"[^a-z]+", "-", str(status).lower()).strip("-")


# =========================================================================== notebook pages
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


def _plotly_html(figure: Mapping[str, Any], div_id: str) -> str:
    """A plotly figure as a div + inline script that needs only ``window.Plotly``."""
    import plotly.io as pio

    return pio.to_html(dict(figure), include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config={"displaylogo": False, "responsive": True})


def prepare_notebook(nb: Any, *, audience: Audience, stem: str) -> tuple[Any, bool]:
    """Shape an executed notebook for one audience (returns a modified copy).

    * Plotly outputs are re-rendered from their JSON (``application/vnd.plotly.v1+json``)
      with a deterministic div id and no CDN references; plotly.js init outputs
      (the "notebook" renderer's embedded library) are dropped because the page
      embeds plotly.js once.
    * Reader pages drop the parameters cells, code cells without output,
      warnings (stderr) and cells tagged ``remove-cell``/``hide-reader``.

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
    needs_plotly = False
    kept = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code":
            outputs = []
            for k, output in enumerate(cell.get("outputs", [])):
                data = output.get("data", {})
                if "application/vnd.plotly.v1+json" in data:
                    html = _plotly_html(data["application/vnd.plotly.v1+json"], f"figure-{stem}-{index}-{k}")
                    output["data"] = {"text/html": html, "text/plain": data.get("text/plain", "")}
                    needs_plotly = True
                elif "text/html" in data and "window.PlotlyConfig" in "".join(data["text/html"]):
                    continue  # plotly.js library injected by the notebook renderer: embedded once per page instead
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


_NUMERIC_CELL = re.compile(
    r"^[-+−]?[£$]?\d[\d,]*(\.\d+)?\s*%?(\s*\(?[-+−]?\d[\d,]*(\.\d+)?\s*%?\s*(to|–|-|,)\s*[-+−]?\d[\d,]*(\.\d+)?\s*%?\)?)?$"
)
_BLANK_CELL = {"", "&lt;NA&gt;", "<NA>", "NaN", "nan", "None", "–", "—", "-", "NaT", "suppressed", "[suppressed]"}


def _cell_text(cell_html: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", cell_html)).strip()


def _add_class(open_tag: str, cls: str) -> str:
    if re.search(r'\sclass="', open_tag):
        return re.sub(r'\sclass="', f' class="{cls} ', open_tag, count=1)
    return open_tag[:-1] + f' class="{cls}">'


def align_numeric_columns(html: str) -> str:
    """Mark numeric table columns with class ``num`` so CSS right-aligns them.

    pandas writes plain ``<td>`` cells, and JupyterLab's CSS right-aligns every
    cell, text included. A column counts as numeric when every non-blank body
    cell is a number, a percentage or an interval; its header is aligned too.
    Tables with merged cells (colspan/rowspan) are aligned cell by cell.
    """
    cell_re = re.compile(r"(<t([dh])\b[^>]*>)(.*?)(</t\2>)", re.S)

    def is_num(content: str) -> bool | None:
        text = _cell_text(content)
        if text in _BLANK_CELL:
            return None
        return bool(_NUMERIC_CELL.match(text))

    def align_table(match: re.Match[str]) -> str:
        table = match.group(0)
        if "colspan" in table or "rowspan" in table:
            return cell_re.sub(
                lambda m: (_add_class(m.group(1), "num") if m.group(2) == "d" and is_num(m.group(3)) else m.group(1))
                + m.group(3) + m.group(4), table)
        body = re.search(r"<tbody\b.*?</tbody>", table, re.S)
        rows = re.findall(r"<tr\b.*?</tr>", body.group(0) if body else table, re.S)
        verdict: dict[int, bool] = {}
        for row in rows:
            for j, cell in enumerate(cell_re.finditer(row)):
                if cell.group(2) == "h":  # row labels are never numeric columns
                    verdict[j] = False
                    continue
                flag = is_num(cell.group(3))
                if flag is not None:
                    verdict[j] = verdict.get(j, True) and flag
        numeric = {j for j, ok in verdict.items() if ok}
        if not numeric:
            return table

        def align_row(row_match: re.Match[str]) -> str:
            counter = iter(range(10_000))
            return cell_re.sub(
                lambda m: (_add_class(m.group(1), "num") if next(counter) in numeric else m.group(1))
                + m.group(3) + m.group(4), row_match.group(0))

        return re.sub(r"<tr\b.*?</tr>", align_row, table, flags=re.S)

    return re.sub(r"<table\b.*?</table>", align_table, html, flags=re.S)


_REMOTE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^\"'\s>]+", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^\"'\s>]+", re.I),
    re.compile(r"<(?:img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^\"'\s>]+", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^\"')\s;]+", re.I),
    re.compile(r"\bimport\s*[\"'](?:https?:)?//[^\"']+[\"']", re.I),
)


def remote_resources(html: str) -> list[str]:
    """Every reference in a page that would fetch a script, stylesheet, image or frame from the network."""
    found: list[str] = []
    for pattern in _REMOTE_PATTERNS:
        found.extend(m.group(0)[:160] for m in pattern.finditer(html))
    return found


def assert_offline(folder: Path) -> None:
    """Fail when any HTML page in ``folder`` would load something from the network.

    Raises
    ------
    ReportError
        Naming each page and the offending reference.
    """
    problems = []
    for page in sorted(Path(folder).rglob("*.html")):
        for ref in remote_resources(page.read_text(encoding="utf-8")):
            problems.append(f"  - {page.name}: {ref}")
    if problems:
        raise ReportError("the report would not work offline; remote resources found:\n" + "\n".join(problems))


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


def _read_asset(name: str) -> str:
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


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
    body = align_numeric_columns(body)
    page = NotebookPage(
        stem=stem, title=title, description=notebook_description(nb, stem),
        reader_href=f"{stem}.html", researcher_href=f"{stem}-with-code.html",
        reader_body=_between(body, "<!-- notebook-content:start -->", "<!-- notebook-content:end -->"),
        needs_plotly=needs_plotly,
        lab_css=_between(body, "<!-- lab-css:start -->", "<!-- lab-css:end -->"),
    )
    return body, page


# =========================================================================== summary
def _cleaning_summary(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    if not rec:
        return None
    waves: dict[str, int] = {}
    for row in _as_records(rec.get("respondents_by_wave"), "wave"):
        wave = _first(row, "wave")
        n = _num(_first(row, "respondents", "n", "count", "value"))
        if wave is not None and n is not None:
            waves[str(wave)] = waves.get(str(wave), 0) + int(n)
    redactions = rec.get("redactions") if isinstance(rec.get("redactions"), Mapping) else {}
    return {
        "rows_read": _num(rec.get("rows_read")),
        "rows_kept": _num(rec.get("rows_kept")),
        "rows_rejected": _num(rec.get("rows_rejected")),
        "duplicates_removed": _num(rec.get("duplicates_removed")),
        "redactions_total": int(sum(_num(v) or 0 for v in redactions.values())),
        "redactions": {str(k): int(_num(v) or 0) for k, v in sorted(redactions.items())},
        "respondents_by_wave": dict(sorted(waves.items())),
        "demo_key": bool(rec.get("demo_key")),
    }


def _theme_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "theme_id": _first(raw, "theme_id", "id"),
        "label": str(_first(raw, "label", "theme_label", "name", default="(unnamed theme)")),
        "n": _num(_first(raw, "n", "people", "count")),
        "pct": _num(_first(raw, "pct", "percent")),
        "ci_low": _num(_first(raw, "ci_low", "low")),
        "ci_high": _num(_first(raw, "ci_high", "high")),
        "reviewed": bool(raw.get("reviewed", False)),
    }


def _themes_summary(rec: Mapping[str, Any], config: CycleConfig | None, top: int = 5) -> list[dict[str, Any]] | None:
    if not rec:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.open_questions} if config else {}
    wording = {q.id: q.wording[max(q.wording)] for q in config.question_bank.open_questions} if config else {}
    questions: dict[str, dict[str, Any]] = {}
    if isinstance(rec.get("questions"), Mapping):
        for qid, q in rec["questions"].items():
            if isinstance(q, Mapping):
                questions[str(qid)] = {"themes": _first(q, "top_themes", "themes", default=[]),
                                       "share_non_answer": _first(q, "share_non_answer"),
                                       "n_comments": _first(q, "n_comments", "comments", "n")}
    elif isinstance(rec.get("top_themes"), Mapping):
        non_answer = rec.get("share_non_answer")
        for qid, themes in rec["top_themes"].items():
            share = non_answer.get(qid) if isinstance(non_answer, Mapping) else None
            questions[str(qid)] = {"themes": themes, "share_non_answer": share, "n_comments": None}
    elif isinstance(rec.get("top_themes"), list):
        for raw in rec["top_themes"]:
            qid = str(_first(raw, "question_id", default="all"))
            questions.setdefault(qid, {"themes": [], "share_non_answer": None, "n_comments": None})["themes"].append(raw)
    out = []
    for qid, q in questions.items():
        share = _num(q["share_non_answer"])
        if share is not None and share <= 1:
            share *= 100  # recorded as a share (0..1); shown as a percentage
        themes = [_theme_record(t) for t in (q["themes"] or []) if isinstance(t, Mapping)][:top]
        out.append({"question_id": qid, "label": labels.get(qid, qid.replace("_", " ").capitalize()),
                    "wording": wording.get(qid), "themes": themes, "non_answer_pct": share,
                    "n_comments": _num(q["n_comments"])})
    order = list(labels)
    out.sort(key=lambda q: order.index(q["question_id"]) if q["question_id"] in order else len(order))
    return out


def _lifecycle(rec: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """Theme lifecycle from the 02 record, if the theme registry wrote one."""
    life = rec.get("lifecycle") if rec else None
    out: dict[str, list[str]] = {"new": [], "continuing": [], "no_longer_raised": []}
    aliases = {"new": "new", "emerging": "new", "continuing": "continuing", "recurring": "continuing",
               "no_longer_raised": "no_longer_raised", "retired": "no_longer_raised", "dormant": "no_longer_raised",
               "not_raised": "no_longer_raised"}
    if isinstance(life, Mapping):
        for key, items in life.items():
            bucket = aliases.get(str(key).lower().replace(" ", "_"))
            if bucket and isinstance(items, list):
                out[bucket].extend(str(_first(i, "label", "theme_label", "name")) if isinstance(i, Mapping) else str(i)
                                   for i in items)
        return out
    statuses = rec.get("theme_status") if rec else None
    if isinstance(statuses, list):
        for item in statuses:
            bucket = aliases.get(str(_first(item, "status", default="")).lower().replace(" ", "_"))
            if bucket:
                out[bucket].append(str(_first(item, "label", "theme_label", "name")))
        return out
    return None


def _change_entry(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "pct": _num(_first(raw, "pct", "pct_positive", "latest_pct", "percent")),
        "ci_low": _num(_first(raw, "ci_low", "latest_ci_low", "low")),
        "ci_high": _num(_first(raw, "ci_high", "latest_ci_high", "high")),
        "n": _num(_first(raw, "n", "base", "latest_n")),
        "wave": _first(raw, "wave", "latest_wave"),
        "suppressed": bool(raw.get("suppressed", False)),
    }


def _change_summary(rec: Mapping[str, Any], config: CycleConfig | None, alpha: float = 0.05) -> list[dict[str, Any]] | None:
    """Latest % positive per item, overall, with the change statements.

    Accepts the change notebook's shape (``items: {item: {group: entry}}`` with
    ``group`` "all" for everyone, and ``sentences: [{item, group, sentence}]``)
    and a flat shape (``items: {item: {pct, ci_low, ci_high, n, sentence}}``).
    """
    if not rec:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.items} if config else {}
    sentences: dict[tuple[str, str], str] = {}
    for row in _as_records(rec.get("sentences"), "item"):
        sentences[(str(row.get("item")), str(row.get("group", "all")))] = str(row.get("sentence", ""))
    out = []
    for raw in _as_records(rec.get("items"), "item_id"):
        item_id = str(_first(raw, "item_id", "id", default=""))
        groups = {k: v for k, v in raw.items() if isinstance(v, Mapping) and
                  any(key in v for key in ("pct_positive", "pct", "estimate"))}
        if groups:
            main_group = "all" if "all" in groups else next(iter(groups))
            entry = dict(groups[main_group])
            by_group = [{"group": g, **_change_entry(v)} for g, v in groups.items() if g != main_group]
        else:
            main_group, entry, by_group = "all", raw, []
        base = entry.get("diff_baseline") if isinstance(entry.get("diff_baseline"), Mapping) else None
        change = None
        if base and _num(base.get("estimate")) is not None and not base.get("suppressed"):
            p_adj = _num(_first(base, "p_adjusted", "p_value"))
            change = {"estimate": _num(base.get("estimate")), "ci_low": _num(base.get("ci_low")),
                      "ci_high": _num(base.get("ci_high")), "since": base.get("comparison_wave"),
                      "is_clear": p_adj is not None and p_adj < alpha}
        out.append({
            "item_id": item_id,
            "label": str(_first(raw, "label", "short_label", default=labels.get(item_id, item_id))),
            **_change_entry(entry),
            "sentence": _first(raw, "sentence", "statement", default=sentences.get((item_id, main_group))),
            "change": change,
            "groups": by_group,
        })
    order = list(labels)
    out.sort(key=lambda r: order.index(r["item_id"]) if r["item_id"] in order else len(order))
    return out


def _reach_actions_summary(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    if not rec:
        return None
    by_status = rec.get("actions_by_status") if isinstance(rec.get("actions_by_status"), Mapping) else {}
    return {
        "activities": _num(rec.get("activities")),
        "participants": _num(rec.get("participants")),
        "respondents": _num(rec.get("respondents")),
        "boroughs_with_activity": _num(rec.get("boroughs_with_activity")),
        "boroughs_in_benchmark": _num(rec.get("boroughs_in_benchmark")),
        "by_channel": _as_records(rec.get("responses_by_channel"), "channel"),
        "under_represented": _as_records(rec.get("under_represented"), "group"),
        "reach_sentences": [str(s) for s in rec.get("reach_sentences", []) or []],
        "ratio_threshold": _num(rec.get("ratio_threshold")),
        "actions_total": _num(rec.get("actions_total")),
        "actions_by_status": [{"status": str(k), "n": int(_num(v) or 0), "css": _status_class(k)}
                              for k, v in sorted(by_status.items(), key=lambda kv: _status_rank(kv[0]))],
        "leading_themes": _as_records(rec.get("leading_themes"), "theme_id"),
        "themes_without_action": _as_records(rec.get("themes_without_action"), "theme_id"),
        "coverage_sentences": [str(s) for s in rec.get("coverage_sentences", []) or []],
        "progress_sentence": rec.get("progress_sentence"),
        "completed_since_previous": _num(rec.get("actions_completed_since_previous")),
        "you_said_we_did": _as_records(rec.get("you_said_we_did"), "action_id"),
    }


def _comparison(current: Mapping[str, Mapping[str, Any]], previous: Mapping[str, Mapping[str, Any]],
                config: CycleConfig | None, previous_cycle: str) -> dict[str, Any]:
    """What changed since the previous cycle's report."""
    now = {o["item_id"]: o for o in (_change_summary(current.get("03_change_over_time", {}), config) or [])}
    before = {o["item_id"]: o for o in (_change_summary(previous.get("03_change_over_time", {}), config) or [])}
    outcomes = []
    for item_id, o in now.items():
        b = before.get(item_id)
        if b is None or o["pct"] is None or b["pct"] is None:
            continue
        diff = o["pct"] - b["pct"]
        direction = "up" if diff > 0.5 else "down" if diff < -0.5 else "about the same"
        outcomes.append({"label": o["label"], "now": o["pct"], "before": b["pct"], "diff": diff, "direction": direction})

    lifecycle = _lifecycle(current.get("02_themes", {}))
    if lifecycle is None:
        def leading(rec: Mapping[str, Any]) -> dict[str, str]:
            out: dict[str, str] = {}
            for q in _themes_summary(rec, config, top=10) or []:
                for t in q["themes"]:
                    out[str(t["theme_id"] if t["theme_id"] is not None else t["label"])] = t["label"]
            return out

        now_t, before_t = leading(current.get("02_themes", {})), leading(previous.get("02_themes", {}))
        lifecycle = {
            "new": [now_t[k] for k in now_t if k not in before_t],
            "continuing": [now_t[k] for k in now_t if k in before_t],
            "no_longer_raised": [before_t[k] for k in before_t if k not in now_t],
        } if now_t or before_t else None
    rec04 = current.get("04_reach_and_actions", {})
    completed = _num(rec04.get("actions_completed_since_previous")) if rec04 else None
    return {"previous_cycle": previous_cycle, "outcomes": outcomes, "themes": lifecycle,
            "actions_completed": completed, "progress_sentence": rec04.get("progress_sentence") if rec04 else None}


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
    current = {stem: recording.load(output_dir, stem) for stem in stems}
    context: dict[str, Any] = {
        "cleaning": _cleaning_summary(current["01_cleaning"]),
        "themes": _themes_summary(current["02_themes"], config),
        "outcomes": _change_summary(current["03_change_over_time"], config,
                                    alpha=config.change.alpha if config else 0.05),
        "reach": _reach_actions_summary(current["04_reach_and_actions"]),
        "missing": [s for s in stems if not current[s]],
        "comparison": None,
    }
    if previous_dir is not None and config is not None and config.previous_cycle:
        previous = {stem: recording.load(previous_dir.parent, stem) for stem in stems}
        if any(previous.values()):
            context["comparison"] = _comparison(current, previous, config, config.previous_cycle)
    context["methods"] = methods_context(config, manifest) if config is not None else None
    return context


def methods_context(config: CycleConfig, manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The "Methods and assumptions" section, generated from the config and manifest."""
    themes = config.themes
    items = [{"label": q.short_label, "wording": q.wording[max(q.wording)], "positive": ", ".join(q.positive)}
             for q in config.question_bank.items]
    theme_settings = {
        "Sentence-embedding model": str(themes.model_path) if themes.model_path else "all-MiniLM-L6-v2 (packaged locally)",
        "Shortest answer modelled": f"{themes.min_words} words",
        "UMAP": f"{themes.n_neighbors} neighbours, {themes.n_components} components",
        "HDBSCAN": f"minimum cluster size {themes.min_cluster_size or 'scaled with the number of comments'}, "
                   f"minimum samples {themes.min_samples or 'default'}",
        "Outlier reassignment": f"similarity at least {themes.outlier_threshold}",
        "Theme continues from an earlier cycle": f"similarity at least {themes.match_threshold}",
        "Key phrases": f"1 to {themes.ngram_max} words",
        "Codebook": str(themes.codebook) if themes.codebook else "none",
        "Encoder arithmetic": f"{themes.precision}; " + (
            "AVX2 code paths whatever the CPU, so any x86-64 machine gives the same themes"
            if (manifest or {}).get("numerics", numerics_mode()) == "portable"
            else "this CPU's fastest code paths, so another machine may give slightly different themes"),
    }
    manifest = manifest or {}
    packages = manifest.get("packages", {}) if isinstance(manifest.get("packages"), Mapping) else {}
    git = manifest.get("git", {}) if isinstance(manifest.get("git"), Mapping) else {}
    return {
        "threshold": config.suppression_threshold,
        "seed": config.seed,
        "latest_wave": config.latest_wave,
        "baseline_wave": config.change.baseline_wave,
        "alpha": config.change.alpha,
        "power": config.change.power,
        "ratio_threshold": config.reach.under_represented_ratio,
        "item_definitions": items,
        "theme_settings": theme_settings,
        "packages": [{"name": k, "version": v or "not installed"} for k, v in sorted(packages.items())],
        "python": manifest.get("python"),
        "git_commit": git.get("commit", "unknown"),
        "git_dirty": git.get("dirty"),
        "inputs": [{"name": i.get("name"), "path": i.get("path"), "sha256": (i.get("sha256") or "")[:12]}
                   for i in manifest.get("inputs", []) if isinstance(i, Mapping)],
        "previous_cycle": config.previous_cycle,
    }


# =========================================================================== rendering
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
        s=context, config=config, pages=pages, single_file=single_file, sections=sections,
        css=Markup(_read_asset("report.css")), lab_css=Markup(lab_css), plotly_js=Markup(plotly_js),
        generator=f"involvement-evaluation {_version()}",
    )


def _version() -> str:
    try:
        return metadata.version("involvement-evaluation")
    except metadata.PackageNotFoundError:
        return "unknown"


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
    index = align_numeric_columns(render_index(context, config=config, pages=pages))
    (build_dir / "index.html").write_text(index, encoding="utf-8")
    written.append(build_dir / "index.html")
    if self_contained:
        lab_css = next((p.lab_css for p in pages if p.lab_css), "")
        plotly_js = _plotly_js() if any(p.needs_plotly for p in pages) else ""
        single = align_numeric_columns(render_index(context, config=config, pages=pages, single_file=True,
                                                    lab_css=lab_css, plotly_js=plotly_js))
        path = build_dir / f"{config.cycle}-report.html"
        path.write_text(single, encoding="utf-8")
        written.append(path)
    for path in written:
        refs = remote_resources(path.read_text(encoding="utf-8"))
        if refs:
            raise ReportError(f"{path.name} would load from the network: {refs[0]}")
    return written

