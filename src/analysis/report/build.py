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

Escape by default
-----------------
Notebook outputs mix our own wording with text from the cycle config,
codebook, review file, action logs and respondents, and nbconvert keeps raw
HTML. So Markdown (outputs and cells) is rendered with raw HTML escaped
(:func:`markdown_to_safe_html`: a review label ``<script>alert(1)</script>``
reads exactly like that on the page), and everything rendered, HTML outputs
included, then passes :func:`sanitise_html`. What survives is a fixed set of
formatting tags (paragraphs, headings, lists, tables, figures, code) with a
fixed set of attributes; any other tag is shown as text, pandas' ``<style
scoped>`` blocks are dropped, event handlers and ``style`` properties other than
layout ones are removed, images are only ever embedded PNG/JPEG/GIF/WebP/SVG,
JavaScript and widget outputs are dropped, and links are kept only within the
report (``#section``, ``other-page.html``).
Addresses outside the report (``http(s)`` only; ``javascript:``, ``data:``
and every other scheme are dropped) are rendered inert: the link text followed
by the address in brackets, with nothing to click, since the pages are read
offline. Interactive figures are the only scripts: the build makes them from
the figure's JSON itself (plotly escapes ``<``, ``>`` and ``/`` in it), and
every page carries a Content-Security-Policy that allows exactly those scripts
by their SHA-256 (no ``unsafe-inline``, no ``unsafe-eval``), loads nothing from
anywhere but the page itself, and forbids frames, plugins, forms and ``<base>``.
:func:`live_content` is the parser-based check of a finished page; the build
fails if it finds anything.

Recorded results read by the summary
------------------------------------
Each notebook's ``results/<stem>.json`` is read with
:func:`analysis.core.results.load_results`, which checks it against that notebook's
model (``CleaningResults``, ``ThemesResults``, ``ChangeResults``,
``ReachActionsResults``): a file that does not match stops the build with the
field named. A notebook that recorded nothing leaves its section out ("missing").

Units, as the contract fixes them: ``pct``/``*_pct`` (and their ``ci_*``) are 0..100; ``*_share`` are 0..1.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html as html_lib
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analysis.core import paths
from analysis.core.errors import UserError
from analysis.core.numerics import numerics_mode
from analysis.core.results import (
    ChangeEntry,
    ChangeResults,
    CleaningResults,
    ReachActionsResults,
    ThemesResults,
    TopTheme,
    load_results,
)

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


def assert_offline(folder: Path, *, inert: bool = True) -> None:
    """Fail when any HTML page in ``folder`` would load something from the network, or (``inert``) holds live content.

    The runner calls this on the finished build before publishing it, so both
    promises (works offline; no live content, see :func:`live_content`) are
    checked on the files as written.

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
    if inert:
        assert_inert(folder)


# =========================================================================== escape by default
#: Tags that may appear in a rendered notebook output or Markdown cell; any other tag is shown as text.
SAFE_TAGS: frozenset[str] = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
#: Attributes every safe tag may carry.
_GLOBAL_ATTRIBUTES: frozenset[str] = frozenset({"class", "id", "title", "lang", "dir", "aria-label", "aria-hidden",
                                                "role"})
#: Further attributes per tag (``href``/``src`` are checked by value in :func:`_allowed_attribute`).
_TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height", "style"}),
    "table": frozenset({"border", "style"}),
    "tr": frozenset({"style"}), "th": frozenset({"colspan", "rowspan", "scope", "style"}),
    "td": frozenset({"colspan", "rowspan", "style"}), "col": frozenset({"span"}), "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "type"}), "details": frozenset({"open"}),
}
#: Layout properties pandas and our figures set inline; anything else in a ``style`` attribute is dropped.
SAFE_CSS_PROPERTIES: frozenset[str] = frozenset({"text-align", "vertical-align", "max-width", "width", "height",
                                                 "white-space", "font-weight", "font-style"})
#: Embedded images only (an image in an ``<img>`` runs no script; a remote one would break offline reading).
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*\Z", re.I)
#: Links that stay links: a section of this page, or another file of the report (no folder climbing, no scheme).
_REPORT_LINK = re.compile(r"(?:#[^\s\"<>`]+|(?:[\w-]+/)?[\w-][\w.-]*\.(?:html|csv|json|png|md)(?:#[^\s\"<>`]*)?)\Z")
_EXTERNAL_LINK = re.compile(r"https?://[^\s<>\"']+\Z", re.I)
#: pandas puts ``<style scoped>`` before every table it shows; dropped (report.css carries its rules). Any other
#: ``<style>`` is escaped like every other tag.
_DROPPED_BLOCKS = re.compile(r"<style\s+scoped(?:=\"\")?\s*>.*?</style\s*>", re.I | re.S)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """bleach's attribute filter: the allow-list above, with links and image sources checked by value."""
    if name.startswith("on"):
        return False
    if name == "href":
        return tag == "a" and bool(_REPORT_LINK.match(value.strip()) or _EXTERNAL_LINK.match(value.strip()))
    if name == "src":
        return tag == "img" and bool(_DATA_IMAGE.match(value.strip()))
    return name in _GLOBAL_ATTRIBUTES or name in _TAG_ATTRIBUTES.get(tag, frozenset())


def _inert_links_filter() -> type:
    """An html5lib filter (run after bleach's) turning links outside the report into plain text.

    ``<a href="https://x">text</a>`` becomes ``<span class="external-link">text</span> (https://x)``
    (just the address when the text is the address): readable, copyable, not clickable.
    An ``<img>`` left without a source (it was not an embedded image) becomes its alt text.
    """
    from bleach.html5lib_shim import Filter

    class InertLinks(Filter):  # type: ignore[misc]
        def __iter__(self) -> Iterator[dict[str, Any]]:
            buffered: list[dict[str, Any]] | None = None
            url = ""
            depth = 0
            for token in Filter.__iter__(self):
                kind, name = token.get("type"), token.get("name")
                if name == "img" and kind in ("StartTag", "EmptyTag") and (None, "src") not in (token.get("data") or {}):
                    # An image whose source was not embedded (remote, or a script URL): its alt text, not a broken image.
                    alt = (token.get("data") or {}).get((None, "alt"), "")
                    token = {"type": "Characters", "data": f"[image: {alt}]" if alt else ""}
                if buffered is None:
                    href = (token.get("data") or {}).get((None, "href"), "") if name == "a" else ""
                    if kind == "StartTag" and name == "a" and _EXTERNAL_LINK.match(href.strip()):
                        buffered, url, depth = [], href.strip(), 1
                        continue
                    yield token
                    continue
                if name == "a" and kind == "StartTag":
                    depth += 1
                    continue  # a link inside a link: keep only its text
                if name == "a" and kind == "EndTag":
                    depth -= 1
                    if depth:
                        continue
                    text = "".join(f"&{t['name']};" if t.get("type") == "Entity" else t.get("data", "")
                                   for t in buffered if t.get("type") in ("Characters", "SpaceCharacters", "Entity"))
                    # bleach keeps entities in text as written: compare what the reader sees.
                    if html_lib.unescape(text).strip() in (url, urllib.parse.unquote(url)):  # shown once is enough
                        yield from (t for t in buffered if t.get("type") in ("Characters", "SpaceCharacters",
                                                                               "Entity"))
                    else:
                        yield {"type": "StartTag", "name": "span", "namespace": token.get("namespace"),
                               "data": {(None, "class"): "external-link"}}
                        yield from buffered
                        yield {"type": "EndTag", "name": "span", "namespace": token.get("namespace")}
                        yield {"type": "Characters", "data": f" ({url})"}
                    buffered = None
                    continue
                buffered.append(token)
            if buffered is not None:  # unclosed link at the end of the fragment
                yield from buffered
                yield {"type": "Characters", "data": f" ({url})"}

    return InertLinks


@functools.lru_cache(maxsize=1)
def _cleaner() -> Any:
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.Cleaner(
        tags=SAFE_TAGS, attributes=_allowed_attribute, protocols={"http", "https", "data"},
        strip=False, strip_comments=True, css_sanitizer=CSSSanitizer(allowed_css_properties=SAFE_CSS_PROPERTIES),
        filters=[_inert_links_filter()],
    )


def sanitise_html(fragment: Any) -> str:
    """Render untrusted HTML (a notebook output or Markdown converted to HTML) as safe, inert markup.

    Uses bleach (nbconvert's own sanitiser library) with this report's allow-list
    rather than nbconvert's ``sanitize_html`` option, whose list lacks headings,
    paragraphs, table headers, figures and images, so our own pages would lose them.
    The ``<style scoped>`` block pandas adds to every table is dropped; every
    other disallowed tag is escaped, so it reads as the text it was. See the
    module docstring for the whole rule.

    Parameters
    ----------
    fragment
        HTML text (str, or bytes as UTF-8).

    Returns
    -------
    str
    """
    text = fragment.decode("utf-8") if isinstance(fragment, bytes) else str(fragment)
    return _cleaner().clean(_DROPPED_BLOCKS.sub("", text))


def markdown_to_safe_html(source: Any, attachments: Mapping[str, Any] | None = None) -> str:
    """Markdown (a notebook's Markdown cell or output) as safe HTML: raw HTML in it is shown as text.

    nbconvert renders Markdown keeping raw HTML, and with embedded images it
    re-parses every inline tag on its own (``<script>x</script>`` comes out as
    ``<script></script>x``). Here the same renderer runs with ``escape=True``, so
    any tag typed into a label reads exactly as typed, and the result still
    goes through :func:`sanitise_html` (for the links Markdown itself makes:
    ``[x](javascript:...)``).

    Parameters
    ----------
    source
        Markdown text.
    attachments
        The cell's attachments (images referenced as ``attachment:name``).

    Returns
    -------
    str
    """
    from mistune.util import safe_entity
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class EscapingRenderer(IPythonRenderer):  # type: ignore[misc]
        # Raw HTML escaped (escape=True), but character references kept as Markdown means them:
        # notebooks escape respondents' quotes themselves, and "&amp;" must still read "&".
        def text(self, text: str) -> str:
            return str(safe_entity(text))

    renderer = EscapingRenderer(escape=True, attachments=dict(attachments or {}), embed_images=False,
                                anchor_link_text="¶")
    return sanitise_html(MarkdownWithMath(renderer=renderer).render(str(source)))


def script_hash(source: str) -> str:
    """The CSP hash source of an inline script: ``'sha256-<base64>'`` of its UTF-8 text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The page's policy: nothing from the network, no frames, plugins, forms or ``<base>``, only these scripts.

    Styles stay inline (``'unsafe-inline'`` for styles only: the pages are one
    file each and CSS runs no code; untrusted ``<style>`` never reaches a page).
    """
    scripts = " ".join(sorted(set(script_hashes))) or "'none'"
    return ("default-src 'none'; "
            f"script-src {scripts}; "
            "style-src 'unsafe-inline'; img-src data:; font-src data:; "
            "object-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; connect-src 'none'; "
            "base-uri 'none'; form-action 'none'")


class _PageScanner(HTMLParser):
    """Walks a whole page once: scripts with their text, the CSP, and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]], bool, int]] = []  # tag, attrs, in <head>, line
        self.scripts: list[tuple[str, int]] = []
        self.csp: list[str] = []
        self.body_styles: list[int] = []
        self._in_head = False
        self._script: list[str] | None = None
        self._script_line = 0
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag == "head":
            self._in_head = True
        elif tag == "body":
            self._in_head = False
        self.tags.append((tag, attrs, self._in_head, line))
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(values.get("content", ""))
        if tag == "script":
            self._script, self._script_line = [], line
        if tag == "style" and not self._in_head:
            self.body_styles.append(line)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if tag == "script" and self._script is not None:
            self.scripts.append(("".join(self._script), self._script_line))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)


#: Elements that run, embed, submit, restyle or redirect: never in a report page.
LIVE_ELEMENTS: frozenset[str] = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "form",
                                           "input", "button", "textarea", "select", "base", "link", "portal",
                                           "audio", "video", "source", "track", "math"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
                             "ping", "cite", "longdesc", "lowsrc", "dynsrc", "srcset", "manifest", "codebase"})
_BAD_SCHEME = re.compile(r"(?:javascript|vbscript|data|file|blob|filesystem|jar|livescript|mocha):", re.I)
_CSS_LIVE = re.compile(r"url\s*\(|expression\s*\(|@import|behavior\s*:|-moz-binding", re.I)


def _normalised_url(value: str) -> str:
    # Browsers ignore control characters and whitespace inside a scheme ("jav\tascript:"); so does the check.
    return re.sub(r"[\x00-\x20\x7f]+", "", html_lib.unescape(value)).lower()


def live_content(html: str) -> list[str]:
    """Everything in a finished page that could run, load, submit, redirect or navigate away.

    A parser-based check (:mod:`html.parser`, as a browser tokenises), for the
    build and for tests over a whole report. Reported:

    * a ``<script>`` whose SHA-256 is not in the page's Content-Security-Policy
      (the report's own scripts are listed there; a page without the policy has
      no allowed script), and any page without that policy;
    * elements that embed, submit or restyle (:data:`LIVE_ELEMENTS`), ``<style>``
      outside ``<head>``, and ``<meta http-equiv="refresh">``;
    * any ``on*`` event-handler attribute, ``srcdoc``, a ``style`` attribute
      with ``url()``/``expression()``/``@import``;
    * ``javascript:``, ``vbscript:``, ``data:`` (except an embedded image in
      ``<img src>``) and similar URLs in any URL attribute, and links (``href``)
      that leave the report (``http(s)``, ``//host``): external addresses are
      shown as text, never linked.

    Parameters
    ----------
    html
        A whole page.

    Returns
    -------
    list[str]
        One line per finding (line number and what was found); empty when the page is inert.
    """
    scanner = _PageScanner()
    scanner.feed(html)
    scanner.close()
    found: list[str] = []
    allowed: set[str] = set()
    if not scanner.csp:
        found.append("no Content-Security-Policy meta tag")
    for policy in scanner.csp:
        for directive in policy.split(";"):
            parts = directive.split()
            if parts and parts[0].lower() in ("script-src", "default-src"):
                if any(p.strip("'").lower() in ("unsafe-inline", "unsafe-eval", "*", "data:", "http:", "https:")
                       for p in parts[1:]):
                    found.append(f"Content-Security-Policy allows more than hashed scripts: {directive.strip()}")
                allowed.update(p for p in parts[1:] if p.startswith("'sha256-"))
    for source, line in scanner.scripts:
        if script_hash(source) not in allowed:
            found.append(f"line {line}: <script> not allowed by the page's policy: {source.strip()[:80]!r}")
    for line in scanner.body_styles:
        found.append(f"line {line}: <style> element in the body")
    for tag, attrs, _in_head, line in scanner.tags:
        if tag in LIVE_ELEMENTS:
            found.append(f"line {line}: <{tag}> element")
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and "refresh" in values.get("http-equiv", "").lower():
            found.append(f"line {line}: <meta http-equiv=refresh> {values.get('content', '')[:80]!r}")
        if tag == "script" and values.get("src"):
            found.append(f"line {line}: <script src={values['src'][:80]!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                found.append(f"line {line}: <{tag} {name}=...> event handler")
            elif name == "srcdoc":
                found.append(f"line {line}: <{tag} srcdoc=...>")
            elif name == "style" and _CSS_LIVE.search(html_lib.unescape(value)):
                found.append(f"line {line}: <{tag} style={value[:80]!r}>")
            elif name in _URL_ATTRIBUTES:
                url = _normalised_url(value)
                if _BAD_SCHEME.match(url) and not (tag == "img" and name == "src" and _DATA_IMAGE.match(value.strip())):
                    found.append(f"line {line}: <{tag} {name}={value[:80]!r}>")
                elif name == "href" and not url.startswith("#") and (url.startswith("//") or
                                                                     ":" in url.split("/")[0].split("#")[0]):
                    found.append(f"line {line}: live link <{tag} href={value[:80]!r}>")
    return found


def _with_policy(html: str, script_hashes: Sequence[str]) -> str:
    """``html`` with its Content-Security-Policy (and no-referrer) meta tags right after ``<meta charset>``.

    Only scripts the build made itself are allowed, by hash: a page holding any
    other script is refused (:class:`ReportError`), never allowed.
    """
    trusted = set(script_hashes)
    scanner = _PageScanner()
    scanner.feed(html)
    scanner.close()
    present = []
    for source, line in scanner.scripts:
        digest = script_hash(source)
        if digest not in trusted:
            raise ReportError(f"a page holds a script the report did not make (line {line}): {source.strip()[:80]!r}")
        present.append(digest)
    meta = (f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(present)}">\n'
            '<meta name="referrer" content="no-referrer">\n')
    match = re.search(r"<meta\s+charset=[\"']?utf-8[\"']?\s*/?>\s*", html, re.I) or re.search(r"<head\b[^>]*>\s*", html, re.I)
    if match is None:
        raise ReportError("a page has no <head>: cannot add its Content-Security-Policy")
    return html[:match.end()] + meta + html[match.end():]


def assert_inert(folder: Path) -> None:
    """Fail when any HTML page in ``folder`` holds live content (see :func:`live_content`).

    Raises
    ------
    ReportError
        Naming each page and what was found.
    """
    problems = [f"  - {page.name}: {item}" for page in sorted(Path(folder).rglob("*.html"))
                for item in live_content(page.read_text(encoding="utf-8"))]
    if problems:
        raise ReportError("the report holds live content:\n" + "\n".join(problems[:50]))


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


# =========================================================================== summary
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
            "non_answer_pct": 100 * q.non_answer_share, "n_comments": _f(q.n_comments)}
           for qid, q in rec.questions.items()]
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
            "wave": entry.wave, "suppressed": entry.suppressed}


def _change_summary(rec: ChangeResults | None, config: CycleConfig | None, alpha: float = 0.05) -> list[dict[str, Any]] | None:
    """Latest % positive per item, for everyone (group "all", else the first group), with the change statements."""
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
        base = entry.diff_baseline
        change = None
        if base is not None and base.estimate is not None and not base.suppressed:
            # Only the adjusted p-value makes a change "clear": the unadjusted one ignores the other tests.
            change = {"estimate": base.estimate, "ci_low": base.ci_low, "ci_high": base.ci_high,
                      "since": base.comparison_wave,
                      "is_clear": base.p_adjusted is not None and base.p_adjusted < alpha}
        out.append({
            "item_id": item_id,
            "label": labels.get(item_id, item_id),
            **_change_entry(entry),
            "sentence": sentences.get((item_id, main_group)),
            "change": change,
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
    context: dict[str, Any] = {
        "cleaning": _cleaning_summary(current["01_cleaning"]),
        "themes": _themes_summary(current["02_themes"], config),
        "outcomes": _change_summary(current["03_change_over_time"], config,
                                    alpha=config.change.alpha if config else 0.05),
        "reach": _reach_actions_summary(current["04_reach_and_actions"]),
        "missing": [s for s in stems if current[s] is None],
        "comparison": None,
        "counts": _headline_counts(current),
        "equal_voice": equal_voice(current["03_change_over_time"], config),
    }
    if previous_dir is not None and config is not None and config.previous_cycle:
        previous = {stem: load_results(previous_dir.parent, stem) for stem in stems}
        if any(v is not None for v in previous.values()):
            context["comparison"] = _comparison(current, previous, config, config.previous_cycle)
    context["methods"] = methods_context(config, manifest) if config is not None else None
    change_results = current["03_change_over_time"]
    if context["methods"] is not None and change_results is not None:
        # Stated as the kernel computed it (the family and its size come from this run's results).
        context["methods"]["change_statistics"] = change_results.methods_text
    context["standards"] = standards_evidence(context)
    return context


def methods_context(config: CycleConfig, manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The "Methods and assumptions" section, generated from the config and manifest."""
    from analysis.present.tables import display_path

    themes = config.themes
    items = [{"label": q.short_label, "wording": q.wording[max(q.wording)], "positive": ", ".join(q.positive),
              "negative": ", ".join(q.negative) if q.negative else "every other answer on the scale",
              "excluded": ", ".join(q.excluded)}
             for q in config.question_bank.items]
    mix = config.change.standard_group_mix
    standardisation = (
        "“Everyone” is standardised to a fixed mix of groups ("
        + (", ".join(f"{group} {100 * share:.0f}%" for group, share in mix.items()) if mix
           else "the latest wave’s mix of answers by group")
        + "), so that a change in who answered does not read as a change in opinion; the crude figure, "
          "all answers pooled, is kept beside it in the tables, and a statement says so when the two disagree.")
    theme_settings = {
        # Paths as the repository names them: an absolute path names someone's folders (analysis.present.tables).
        "Sentence-embedding model": display_path(themes.model_path) if themes.model_path
        else "all-MiniLM-L6-v2 (packaged locally)",
        "Shortest answer modelled": f"{themes.min_words} words",
        "UMAP": f"{themes.n_neighbors} neighbours, {themes.n_components} components",
        "HDBSCAN": f"minimum cluster size {themes.min_cluster_size or 'scaled with the number of comments'}, "
                   f"minimum samples {themes.min_samples or 'default'}",
        "Outlier reassignment": f"similarity at least {themes.outlier_threshold}",
        "Theme continues from an earlier cycle": f"similarity at least {themes.match_threshold}",
        "Key phrases": f"1 to {themes.ngram_max} words",
        "Codebook": display_path(themes.codebook) if themes.codebook else "none",
        "Encoder arithmetic": f"{themes.precision}; " + (
            "AVX2 code paths whatever the CPU, so any x86-64 machine gives the same themes"
            if (manifest or {}).get("numerics", numerics_mode()) == "portable"
            else "this CPU's fastest code paths, so another machine may give slightly different themes"),
    }
    manifest = manifest or {}
    packages = manifest.get("packages", {}) if isinstance(manifest.get("packages"), Mapping) else {}
    git = manifest.get("git", {}) if isinstance(manifest.get("git"), Mapping) else {}
    from analysis.present.disclosure import disclosure_rule_text

    return {
        "threshold": config.suppression_threshold,
        "disclosure": disclosure_rule_text(config),
        "change_statistics": None,  # filled from notebook 03's recorded results by summary_context
        "standardisation": standardisation,
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




def equal_voice(rec: ChangeResults | None, config: CycleConfig | None) -> dict[str, Any] | None:
    """Each compared group's latest % positive on every outcome, with the recorded gap statements.

    Read from notebook 03's results: the groups are those it recorded besides
    "all" (the notebook's ``groups``, e.g. staff and experts by experience).
    The gap and its interval are given by the recorded between-group sentence
    ("Staff vs Expert by experience"), whose order (reference group first) the
    groups follow; the numbers of that test are not in the results, so the
    chart shows each group's own interval and never a gap computed here.

    Returns
    -------
    dict or None
        ``groups`` (names, in recorded order), ``rows`` (``label``, ``item_id``,
        ``values``: one ``{group, pct, ci_low, ci_high, n}`` per group, None when
        hidden), ``gaps`` (the between-group sentences) and ``svg`` (the chart);
        None without at least two groups on some outcome.
    """
    if rec is None:
        return None
    labels = {q.id: q.short_label for q in config.question_bank.items} if config else {}
    groups: list[str] = []
    for per_group in rec.items.values():
        groups += [g for g in per_group if g != "all" and g not in groups]
    if len(groups) < 2:
        return None
    # Results files sort their keys: the notebook's order (reference group first) is the one its contrasts name.
    named = [part for st in rec.sentences if " vs " in st.group for part in st.group.split(" vs ")]
    groups.sort(key=lambda g: named.index(g) if g in named else len(named))
    rows = []
    for item_id, per_group in rec.items.items():
        values = []
        for g in groups:
            e = per_group.get(g)
            shown = e is not None and e.pct_positive is not None and not e.suppressed
            values.append({"group": g, "pct": e.pct_positive if shown else None, "ci_low": e.ci_low if shown else None,
                           "ci_high": e.ci_high if shown else None, "n": e.n if shown else None})
        rows.append({"item_id": item_id, "label": labels.get(item_id, item_id), "values": values})
    order = list(labels)
    rows.sort(key=lambda r: order.index(r["item_id"]) if r["item_id"] in order else len(order))
    gaps = [s.sentence for s in rec.sentences if " vs " in s.group]
    gaps.sort(key=lambda t: next((k for k, r in enumerate(rows) if t.startswith(r["label"] + ":")), len(rows)))
    return {"groups": groups, "rows": rows, "gaps": gaps, "svg": _equal_voice_svg(groups, rows)}


def _equal_voice_svg(groups: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """A dot-and-interval chart as inline SVG (no script: the summary page runs none).

    Narrow by design (each outcome's name above its dots, the scale across the
    full width), so the same drawing reads on a phone and on paper. Every text
    is escaped here; the description repeats every number for screen readers.
    """
    from markupsafe import Markup, escape

    colours = ["#005EB8", "#DA291C", "#007F3B", "#330072"]
    width, left, right, row_h = 420, 12, 404, 44
    top = 20 * len(groups) + 14

    def x(pct: float) -> float:
        return left + (right - left) * pct / 100

    height = top + row_h * len(rows) + 22
    parts = [f'<svg class="equal-voice-chart" viewBox="0 0 {width} {height}" role="img" '
             'aria-labelledby="equal-voice-title equal-voice-desc" xmlns="http://www.w3.org/2000/svg">']
    described = "; ".join(f"{r['label']}: " + ", ".join(
        f"{v['group']} {fmt_pct(v['pct'])} ({fmt_interval(v['ci_low'], v['ci_high'])})" for v in r["values"])
        for r in rows)
    parts.append(f'<title id="equal-voice-title">Positive answers by group, latest wave</title>'
                 f'<desc id="equal-voice-desc">{escape(described)}</desc>')
    for k, g in enumerate(groups):
        parts.append(f'<circle cx="{left + 5}" cy="{10 + 20 * k}" r="5" fill="{colours[k % len(colours)]}"/>'
                     f'<text x="{left + 16}" y="{15 + 20 * k}" font-size="13">{escape(g)}</text>')
    for tick in (0, 25, 50, 75, 100):
        anchor = "start" if tick == 0 else "end" if tick == 100 else "middle"
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{height - 18}" stroke="#D8DDE0"/>'
                     f'<text x="{x(tick):.1f}" y="{height - 4}" font-size="11" text-anchor="{anchor}" '
                     f'fill="#4C6272">{tick}%</text>')
    for i, r in enumerate(rows):
        y = top + row_h * i
        parts.append(f'<text x="{left}" y="{y + 14}" font-size="13" font-weight="bold">{escape(r["label"])}</text>')
        for k, v in enumerate(r["values"]):
            if v["pct"] is None:
                continue
            dy = y + 25 + k * 9
            colour = colours[k % len(colours)]
            if v["ci_low"] is not None and v["ci_high"] is not None:
                parts.append(f'<line x1="{x(v["ci_low"]):.1f}" x2="{x(v["ci_high"]):.1f}" y1="{dy}" y2="{dy}" '
                             f'stroke="{colour}" stroke-width="3"/>')
            parts.append(f'<circle cx="{x(v["pct"]):.1f}" cy="{dy}" r="4.5" fill="{colour}"/>')
    parts.append("</svg>")
    # Markup: every text above went through escape(); the rest is our own fixed markup and numbers.
    return Markup("".join(parts))


#: Survey items (question bank ids) that speak to a UK Standard for Public Involvement. The example's
#: question bank uses these ids; with another bank the standard says "not evidenced" unless other evidence exists.
STANDARD_ITEMS: dict[str, tuple[str, ...]] = {
    "Working together": ("heard_equally", "involved_early"),
    "Support and learning": ("well_supported",),
    "Communications": ("told_outcome",),
}
NOT_EVIDENCED = "Not evidenced this cycle"


def standards_evidence(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Map the report's evidence to the UK Standards for Public Involvement and GRIPP2 (short form).

    Generated from what this report actually holds, never claimed: a row
    points at a section only when the results that section shows were
    recorded this cycle (for example "Impact" points at the ratings over time
    only when notebook 03 recorded them); otherwise it says "Not evidenced
    this cycle". Governance is never evidenced by these notebooks: nothing
    they read records public members in governance or decision-making.

    Parameters
    ----------
    context
        The summary context (:func:`summary_context`) before this key is added.

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
               "actions": ("#actions", "What we did about it"), "not-possible": ("#not-possible", "What we could not do"),
               "methods": ("#methods", "Methods and assumptions")}

    def row(framework: str, item: str, where: Sequence[str], evidence: str | None) -> dict[str, Any]:
        if not evidence:
            return {"framework": framework, "item": item, "sections": [], "evidence": NOT_EVIDENCED}
        return {"framework": framework, "item": item, "evidence": evidence[0].upper() + evidence[1:],
                "sections": [{"href": section[w][0], "title": section[w][1]} for w in where]}

    def items_said(item: str) -> str | None:
        found = [outcomes[i] for i in STANDARD_ITEMS[item] if i in outcomes and outcomes[i]["pct"] is not None]
        return "; ".join(f"“{o['label']}”: {fmt_pct(o['pct'])} positive ({fmt_interval(o['ci_low'], o['ci_high'])})"
                         for o in found) or None

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
        row("UK Standards", "Working together", ["outcomes"], items_said("Working together")),
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
        return f"{fmt_points(c['estimate'])}{since}"

    def clear(o: Mapping[str, Any]) -> Any:
        return None if not o.get("change") else bool(o["change"]["is_clear"])

    outcomes = context.get("outcomes") or []
    reach = context.get("reach") or {}
    cmp = context.get("comparison") or {}
    methods = context.get("methods") or {}
    return {
        "outcomes": table([{"Outcome": o["label"], "Positive": o["pct"],
                            "95% interval": fmt_interval(o["ci_low"], o["ci_high"]), "People answering": o["n"],
                            "Change since first wave": change(o), "Is it a clear change?": clear(o)}
                           for o in outcomes], "Positive answers by outcome, latest wave",
                          {"Positive": "percent:0", "95% interval": "figures", "People answering": "integer",
                           "Change since first wave": "figures", "Is it a clear change?": "flag"}),
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
        s=context, tables=summary_tables(context), config=config, pages=pages, single_file=single_file,
        sections=sections,
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

