"""What a finished page may do: its Content-Security-Policy, and the checks that it runs and loads nothing else.

Interactive figures are the only scripts: the build makes them from the
figure's JSON itself (plotly escapes ``<``, ``>`` and ``/`` in it), and every
page carries a Content-Security-Policy that allows exactly those scripts by
their SHA-256 (no ``unsafe-inline``, no ``unsafe-eval``), loads nothing from
anywhere but the page itself, and forbids frames, plugins, forms and ``<base>``
(:func:`content_security_policy`, added by :func:`_with_policy`).
:func:`live_content` is the parser-based check of a finished page and
:func:`remote_resources` the check that it works offline; the build fails if
either finds anything (:func:`assert_offline`, :func:`assert_inert`).
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from analysis.core.errors import UserError
from analysis.report.sanitise import _DATA_IMAGE


class ReportError(UserError):
    """The report could not be built or would not work offline."""


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
