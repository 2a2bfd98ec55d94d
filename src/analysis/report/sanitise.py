"""Escape by default: untrusted notebook output and Markdown rendered as inert, offline HTML.

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
and links are kept only within the report (``#section``, ``other-page.html``).
Addresses outside the report (``http(s)`` only; ``javascript:``, ``data:``
and every other scheme are dropped) are rendered inert: the link text followed
by the address in brackets, with nothing to click, since the pages are read
offline. The finished page is then checked as a whole by
:mod:`analysis.report.policy`.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

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
