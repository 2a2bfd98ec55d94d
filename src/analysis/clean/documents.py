"""Qualitative documents as a data source: interviews, written submissions, letters, e-mails, event notes.

Longer than 500 lines: one reader per document format (txt/md, docx, pdf, eml) with the quirks each
needs (tables and headings, missing text layers, quoted reply chains), plus passage splitting and
the index checks, behind one entry point.

A ``documents`` input is an index CSV (one row per document: id, file, channel,
date, borough, respondent type, consent to quote) beside a folder of ``.txt``,
``.md``, ``.docx``, ``.pdf`` and ``.eml`` files, named relative to the index's
folder. Each document is read to plain text, split into passages and handed to
the cleaning pipeline, which de-identifies every passage exactly as it does a
survey's free text and appends it to ``comments.parquet``.

What a passage is (documented choices):

* a paragraph (text between blank lines), a bullet point, or a table row (a
  ``.docx`` table with a header row gives "Header: cell." sentences);
* in a transcript (lines labelled ``Interviewer:`` / ``Participant:``, or
  ``Q:`` / ``A:``, optionally after a timestamp), one speaker turn. Interviewer
  turns, headings and the lines before the first turn are passages too, so
  they are counted, but they are not themed: they are not the respondent's words.

Never read, so never passages: page headers and footers of a ``.docx``, the
e-mail headers, attachments, the signature after a ``--`` line, and quoted
reply chains ("On ... wrote:" and ``>`` lines, Outlook's "Original Message").
A document with no text at all (a scan without a text layer) stops the run
with a message naming it: it must be typed up or run through OCR first, never
silently skipped.

(Longer than the usual 500 lines on purpose: the five readers, the passage rules, the index checks and
the comments rows are one source type, and the rules that decide what a passage is stay in one place.)
"""

from __future__ import annotations

import email
import email.policy
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from analysis.clean import standardise
from analysis.core import paths
from analysis.core.config import RespondentTypes
from analysis.core.errors import InputFileError, ReconciliationError
from analysis.core.readers import SOURCE_ROW, decode_bytes
from analysis.core.text import is_missing, match_key
from analysis.core.vocab import DOCUMENT_QUESTION_ID, NOT_STATED
from analysis.present.deidentify import pseudonymise

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".docx", ".pdf", ".eml")
#: Columns :func:`attach_documents` adds to the mapped index.
PASSAGES = "passages"
DOCUMENT_NAMES = "document_names"
#: Larger files (or .docx packages unpacking to more) are refused: no real note is this big.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

KIND_PARAGRAPH = "paragraph"
KIND_PARTICIPANT = "participant turn"
KIND_INTERVIEWER = "interviewer turn"
KIND_HEADING = "heading"
KIND_PREAMBLE = "before the first turn"
THEMED_KINDS: tuple[str, ...] = (KIND_PARAGRAPH, KIND_PARTICIPANT)

INTERVIEWER_LABELS = frozenset({"interviewer", "int", "i", "q", "question", "facilitator", "moderator",
                                "researcher"})
PARTICIPANT_LABELS = frozenset({"participant", "interviewee", "respondent", "p", "a", "answer", "r"})

CONSENT_YES = frozenset({"yes", "y", "true", "1", "consented", "consent given", "agreed", "yes anonymised"})
CONSENT_NO = frozenset({"no", "n", "false", "0", "no consent", "not given", "declined", "withdrawn",
                        "consent withdrawn"})
PROBLEM_CONSENT = "consent to quote is blank or not yes/no: treated as no consent (never quoted)"
PROBLEM_CHANNEL_BLANK = "channel is blank"
PROBLEM_TYPE_BLANK = "respondent type is blank"


@dataclass(frozen=True)
class Passage:
    """One passage of a document: its 1-based position, what it is, and its text."""

    passage_no: int
    kind: str
    text: str

    @property
    def themed(self) -> bool:
        """Whether the passage is the respondent's own words (themed), not an interviewer or a heading."""
        return self.kind in THEMED_KINDS


@dataclass(frozen=True)
class DocumentText:
    """A document's readable text and the names its metadata gives (redacted wherever they occur)."""

    text: str
    names: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------
def read_text_file(path: Path) -> str:
    """A ``.txt`` or ``.md`` file: UTF-8 (with or without BOM), else Windows-1252."""
    return decode_bytes(path.read_bytes(), path, "auto")[0]


_MD_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]*)\)")


def read_markdown(path: Path) -> str:
    """A ``.md`` file with emphasis and link markup removed (headings stay ``#`` lines)."""
    text = read_text_file(path)
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    text = _MD_BOLD.sub(r"\2", text)
    return re.sub(r"(?m)^\s{0,3}>\s?", "", text)  # a block quote is still the note-taker's text


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InputFileError(path, "not a readable .docx (not a Word package; an old .doc must be saved "
                                   "as .docx)") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputFileError(path, f"the .docx unpacks to {unpacked:,} bytes, more than the "
                                   f"{MAX_UNPACKED_BYTES:,} allowed")


def _table_lines(table: object) -> list[str]:
    """Each table row as one line; with a header row, as "Header: cell." sentences.

    A merged cell is read once, under the header of the first grid column it spans.
    """
    rows: list[dict[int, str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        seen: set[int] = set()
        cells: dict[int, str] = {}
        for column, cell in enumerate(row.cells):  # a merged cell repeats in each column it spans
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells[column] = " ".join(cell.text.split())
        if any(cells.values()):
            rows.append(cells)
    if len(rows) >= 2 and len(rows[0]) > 1 and all(rows[0].values()):
        header, body = rows[0], rows[1:]
        return [" ".join(f"{header.get(j, '').rstrip(':')}: {c}".lstrip(": ")
                         + ("" if c.endswith((".", "!", "?")) else ".")
                         for j, c in cells.items() if c) for cells in body]
    return [" ".join(c for c in cells.values() if c) for cells in rows]


def read_docx(path: Path) -> str:
    """A ``.docx`` body in reading order: headings as ``#`` lines, list items as bullets, table rows.

    Page headers and footers are not read (letterheads, page numbers).
    """
    import docx
    from docx.text.paragraph import Paragraph

    _check_package(path)
    try:
        document = docx.Document(str(path))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if not isinstance(block, Paragraph):
                blocks.extend(_table_lines(block))
                continue
            text = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if not text:
                continue
            if style.startswith("Heading") or style == "Title":
                blocks.append("# " + " ".join(text.split()))
            elif style.startswith("List"):
                blocks.append("- " + text)
            else:
                blocks.append(text)
    except Exception as exc:  # python-docx raises many types for a damaged package
        raise InputFileError(path, f"not a readable .docx ({type(exc).__name__}: {exc})") from None
    return "\n\n".join(blocks)


def read_pdf(path: Path) -> str:
    """A PDF's text layer, page by page (layout mode keeps the blank lines between paragraphs).

    Raises
    ------
    InputFileError
        For an unreadable or password-protected PDF, or one with no text layer (a scan).
    """
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputFileError(path, "the PDF is password-protected; save an unprotected copy")
        pages = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text(extraction_mode="layout") or "")
            except Exception:  # layout mode is stricter; fall back to the plain text order
                pages.append(page.extract_text() or "")
    except InputFileError:
        raise
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise InputFileError(path, f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputFileError(path, f"the PDF has no text layer ({len(pages)} page(s) of images or nothing): "
                                   "it looks scanned. Run OCR on it or type it up, and list that file in the index")
    return text


class _HtmlText(HTMLParser):
    """Visible text of an HTML e-mail body, without quoted replies (``blockquote``) or scripts."""

    _SKIP = frozenset({"script", "style", "head", "blockquote", "title"})
    _BREAK = frozenset({"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})
    _VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "area", "base", "col", "embed",
                       "param", "source", "track"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth = 0  # > 0 inside a skipped element: the nesting depth below it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in self._VOID
            return
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        if tag in self._SKIP or "gmail_quote" in classes:
            self.depth = 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self._BREAK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= tag not in self._VOID
        elif tag in self._BREAK:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: paragraphs on blank lines; quoted replies and scripts left out.

    A ``div`` with class ``gmail_quote`` (Gmail's quoted reply) is skipped with everything in it.
    """
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


_ATTRIBUTION = re.compile(r"^\s*(?:On\b.*\bwrote|Le\b.*\ba écrit|Am\b.*\bschrieb)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*(?:-{2,}\s*(?:Original|Forwarded) Message\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^\s*(?:From|Sent|Date|To|Cc|Subject)\s*:", re.IGNORECASE)


def strip_quoted_reply(text: str) -> str:
    """Drop an e-mail's quoted reply chain and signature; keep the writer's own lines.

    Removes ``>`` lines, "On <date>, <name> wrote:" attribution lines (also wrapped over two
    lines), and everything from an Outlook "Original Message" block, a "From:/Sent:" header
    block or a ``--`` signature line onward.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _ORIGINAL.match(line) or stripped in ("--", "-- ") or line == "-- ":
            break
        if _HEADER_LINE.match(line) and sum(bool(_HEADER_LINE.match(x)) for x in lines[i:i + 4]) >= 2:
            break
        if stripped.startswith(">"):
            i += 1
            continue
        if _ATTRIBUTION.match(line):
            i += 1
            continue
        if stripped.startswith("On ") and i + 1 < len(lines) and _ATTRIBUTION.match(
                line.rstrip() + " " + lines[i + 1].strip()):
            i += 2
            continue
        kept.append(line)
        i += 1
    return "\n".join(kept)


def read_eml(path: Path) -> DocumentText:
    """An e-mail's own text (plain part preferred, else HTML) and its sender's display name."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise InputFileError(path, "the e-mail has no text body (attachments are not read: save each one and "
                                   "list it in the index)")
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):  # an unknown or wrong charset label
        content = (body.get_payload(decode=True) or b"").decode("cp1252", errors="replace")
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    names: tuple[str, ...] = ()
    try:
        sender = message["from"]
        names = tuple(a.display_name for a in getattr(sender, "addresses", ()) if a.display_name)
    except (ValueError, IndexError, AttributeError):  # a malformed From header names nobody
        names = ()
    return DocumentText(strip_quoted_reply(content), names)


def read_document(path: Path) -> DocumentText:
    """Read any supported document to plain text.

    Raises
    ------
    InputFileError
        Naming the file: unsupported type, too large, unreadable, or no text at all.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(path, f"unsupported document type {suffix or '(none)'!r}; supported: "
                                   f"{', '.join(SUPPORTED_SUFFIXES)} (save a .doc as .docx)")
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise InputFileError(path, f"the document is {size:,} bytes, more than the {MAX_DOCUMENT_BYTES:,} allowed")
    if suffix == ".eml":
        result = read_eml(path)
    else:
        reader = {".txt": read_text_file, ".md": read_markdown, ".docx": read_docx, ".pdf": read_pdf}[suffix]
        result = DocumentText(reader(path))
    if not result.text.strip():
        raise InputFileError(path, "the document has no text")
    return result


# ---------------------------------------------------------------------------
# Passages
# ---------------------------------------------------------------------------
_TURN = re.compile(
    r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*[-–]?\s*)?"  # optional timestamp
    r"(?:\*\*)?(?P<label>[A-Za-z]+)(?:\s*\d{1,2})?\s*(?:\*\*)?\s*:(?:\*\*)?(?P<rest>.*)$")
_ANNOTATION = re.compile(r"\[(?:\d{1,2}:\d{2}(?::\d{2})?|(?:laughs?|laughter|pause[sd]?|inaudible|crosstalk|"
                         r"sighs?|unclear|coughs?)[^\]]*)\]", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>\S.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•–·]|\d{1,2}[.)])\s+(?P<text>\S.*)$")
_RULE = re.compile(r"^\s*([-*_=])(?:\s*\1){2,}\s*$")


def _role(line: str) -> tuple[str | None, str]:
    match = _TURN.match(line)
    if not match:
        return None, line
    label = match.group("label").casefold()
    if label in INTERVIEWER_LABELS:
        return KIND_INTERVIEWER, match.group("rest")
    if label in PARTICIPANT_LABELS:
        return KIND_PARTICIPANT, match.group("rest")
    return None, line


def is_transcript(text: str) -> bool:
    """Whether the text is a transcript: labelled turns of an interviewer and a participant."""
    roles = [_role(line)[0] for line in text.splitlines()]
    return KIND_INTERVIEWER in roles and KIND_PARTICIPANT in roles and sum(r is not None for r in roles) >= 2


def _paragraphs(lines: list[str]) -> list[tuple[str, str]]:
    """Blocks of non-transcript text: (kind, text) for paragraphs, bullets and headings."""
    blocks: list[tuple[str, str]] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(current).split())
        if text:
            # A lone short line ending with a colon ("What should change:") labels what follows.
            short_label = len(current) == 1 and text.endswith(":") and len(text.split()) <= 8
            blocks.append((KIND_HEADING if short_label else KIND_PARAGRAPH, text))
        current.clear()

    for line in lines:
        if not line.strip() or _RULE.match(line):
            flush()
        elif heading := _HEADING.match(line):
            flush()
            blocks.append((KIND_HEADING, heading.group("text")))
        elif bullet := _BULLET.match(line):
            flush()  # a bullet is its own passage; lines after it (wrapped text) continue it
            current.append(bullet.group("text"))
        else:
            current.append(line)
    flush()
    return blocks


def _turns(lines: list[str]) -> list[tuple[str, str]]:
    """Blocks of a transcript: one per speaker turn; what comes before the first turn is not themed."""
    blocks: list[tuple[str, str]] = []
    preamble: list[str] = []
    kind: str | None = None
    current: list[str] = []

    def flush() -> None:
        text = " ".join(_ANNOTATION.sub(" ", " ".join(current)).split())
        if kind is not None and text:
            blocks.append((kind, text))
        current.clear()

    for line in lines:
        role, rest = _role(line)
        if role is not None:
            flush()
            if kind is None:
                blocks.extend((KIND_HEADING if k == KIND_HEADING else KIND_PREAMBLE, t)
                              for k, t in _paragraphs(preamble))
            kind = role
            current.append(rest)
        elif kind is None:
            preamble.append(line)
        else:
            current.append(line)
    flush()
    return blocks


def split_passages(text: str) -> list[Passage]:
    """Split a document's text into numbered passages (see the module notes for the rules)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    lines = text.split("\n")
    blocks = _turns(lines) if is_transcript(text) else _paragraphs(lines)
    return [Passage(i, kind, body) for i, (kind, body) in enumerate(blocks, start=1)]


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------
def resolve_document(folder: Path, value: str, *, index_path: Path, row: int, column: str) -> Path:
    """The file an index row names, which must lie inside the index's folder.

    Raises
    ------
    InputFileError
        Naming the index file, row and column: an absolute path, a path leaving the folder,
        a missing file.
    """
    def fail(problem: str) -> InputFileError:
        return InputFileError(index_path, f"document {value!r}: {problem}", row=row, column=column)

    relative = Path(value.strip().replace("\\", "/"))
    if relative.is_absolute() or relative.drive or value.strip().startswith(("/", "\\")):
        raise fail("must be a path relative to the index's folder")
    base = folder.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base):
        raise fail("points outside the index's folder")
    if not candidate.is_file():
        raise fail(f"not found (looked in {paths.shown(base)})")
    return candidate


def attach_documents(index: pd.DataFrame, index_path: Path) -> pd.DataFrame:
    """Read every document an index names; add its passages and metadata names as columns.

    Parameters
    ----------
    index
        The mapped index (canonical columns, ``source_row``), as ``map_columns`` gives it.
    index_path
        The index CSV; documents are found relative to its folder.

    Returns
    -------
    pd.DataFrame
        A copy with :data:`PASSAGES` (tuple of :class:`Passage`, empty for a blank file cell,
        which cleaning rejects) and :data:`DOCUMENT_NAMES` (tuple of str).

    Raises
    ------
    InputFileError
        Naming the index row and the document for a missing, unsafe or unreadable document.
    """
    column = index.attrs.get("raw_headers", {}).get("document_file", "document_file")
    passages: list[tuple[Passage, ...]] = []
    names: list[tuple[str, ...]] = []
    for row, value in zip(index[SOURCE_ROW].astype(int), index["document_file"], strict=True):
        if is_missing(value) or not str(value).strip():
            passages.append(())
            names.append(())
            continue
        path = resolve_document(index_path.parent, str(value), index_path=index_path, row=row, column=column)
        try:
            document = read_document(path)
        except InputFileError as exc:
            where = f" (line {exc.row})" if exc.row is not None else ""
            raise InputFileError(index_path, f"cannot read document {str(value)!r}{where}: {exc.problem}",
                                 row=row, column=column) from None
        passages.append(tuple(split_passages(document.text)))
        names.append(document.names)
    out = index.copy()
    out[PASSAGES] = pd.Series(passages, index=index.index, dtype=object)
    out[DOCUMENT_NAMES] = pd.Series(names, index=index.index, dtype=object)
    return out


def _blank(raw: pd.Series) -> pd.Series:
    return raw.map(lambda v: is_missing(v) or not str(v).strip()).astype(bool)


def standardise_consent(raw: pd.Series) -> pd.DataFrame:
    """Consent to quote as True/False; blank or unclear answers are False with a problem.

    Returns
    -------
    pandas.DataFrame
        Same index; ``value`` (bool, never missing: no consent unless clearly given) and
        ``problem`` (str or NA).
    """
    keys = raw.map(lambda v: "" if is_missing(v) else match_key(v))
    yes, no = keys.isin(CONSENT_YES), keys.isin(CONSENT_NO)
    problem = pd.Series(pd.NA, index=raw.index, dtype="str").mask(~yes & ~no, PROBLEM_CONSENT)
    return pd.DataFrame({"value": yes.astype(bool), "problem": problem})


def standardise_document_channel(raw: pd.Series) -> pd.DataFrame:
    """A document's channel (``vocab.CHANNELS``); unlike a survey's, a blank channel is a problem."""
    result = standardise.standardise_channel(raw)
    blank = _blank(raw)
    result["value"] = result["value"].mask(blank)
    result["problem"] = result["problem"].mask(blank, PROBLEM_CHANNEL_BLANK)
    return result


def standardise_document_respondent_type(raw: pd.Series, *, types: RespondentTypes) -> pd.DataFrame:
    """Respondent type of a document's author or participants, in either survey's spelling.

    A document is not a survey answer, so every spelling the cycle accepts counts: the
    engagement survey's first ("Carer" is a carer, "Patient" a resident in the example), then the
    involvement survey's ("Staff", "EbE"), then any type by its own name. Blank or unknown is a
    problem (the type is required).

    Parameters
    ----------
    raw
        Raw respondent type column of the index.
    types
        The cycle's respondent types (``config.vocabularies.respondent_types``).
    """
    own_names = {match_key(t): t for t in types.values}
    value = pd.Series(pd.NA, index=raw.index, dtype="str")
    for dataset in ("engagement_survey", "involvement_survey"):
        found = standardise.standardise_respondent_type(raw, dataset=dataset, types=types)["value"]
        value = value.fillna(found)
    value = value.fillna(raw.map(lambda v: pd.NA if is_missing(v) else own_names.get(match_key(v), pd.NA)))
    problem = pd.Series(pd.NA, index=raw.index, dtype="str").mask(value.isna(), standardise.PROBLEM_RESPONDENT_TYPE)
    problem = problem.mask(_blank(raw), PROBLEM_TYPE_BLANK)
    return pd.DataFrame({"value": value.astype("str"), "problem": problem.astype("str")})


# ---------------------------------------------------------------------------
# Passages as comments
# ---------------------------------------------------------------------------
def expand_passages(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per passage of each kept document, with the document's columns beside it."""
    repeat = documents[PASSAGES].map(len).astype(int)
    rows = documents.loc[documents.index.repeat(repeat)].reset_index(drop=True)
    flat = [p for group in documents[PASSAGES] for p in group]
    rows["passage_no"] = pd.Series([p.passage_no for p in flat], dtype="int64")
    rows["passage_kind"] = pd.Series([p.kind for p in flat], dtype="str")
    rows["passage_text"] = pd.Series([p.text for p in flat], dtype="str")
    rows["themed"] = pd.Series([p.themed for p in flat], dtype=bool)
    return rows


def document_comments(
    documents: pd.DataFrame, *, key: str, cycle: str, min_words: int,
    redact: Callable[[pd.Series, pd.Series], pd.Series],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Themed passages as ``comments`` rows, and the passage accounting per input.

    Parameters
    ----------
    documents
        Kept, standardised index rows with ``source_file``, ``document_id``, ``date``, ``channel``,
        ``borough``, ``respondent_type``, ``consent_to_quote``, ``own_name`` and the passages.
    key
        Pseudonymisation key (the document id is hashed as respondent ids are).
    cycle
        Cycle id written on every row.
    min_words
        Passages shorter than this are "very short" (config ``themes.min_words``).
    redact
        ``(texts, names) -> texts``: the cleaning stage's free-text de-identification.

    Returns
    -------
    comments
        Columns of the comments schema; ``dataset`` "documents", ``question_id``
        :data:`~analysis.core.vocab.DOCUMENT_QUESTION_ID`.
    accounting
        Reconciliation rows ``"<input> passages"``: passages read = themed (kept) + not themed.
    """
    passages = expand_passages(documents)
    themed = passages[passages["themed"]].reset_index(drop=True)
    pseudonym = pseudonymise(themed["source_file"] + "/" + themed["document_id"], key, namespace="document")
    names = pd.Series([(own, *extra) if isinstance(own, str) else extra
                       for own, extra in zip(themed["own_name"], themed[DOCUMENT_NAMES], strict=True)],
                      index=themed.index, dtype=object)
    texts = redact(standardise.normalise_text(themed["passage_text"]), names).astype("str")
    flags = standardise.classify_non_answer(texts, min_words=min_words)
    comments = pd.DataFrame({
        "comment_id": pseudonym + f":{DOCUMENT_QUESTION_ID}:" + themed["passage_no"].map("{:04d}".format),
        "respondent_id": pseudonym,
        "dataset": "documents",
        "question_id": DOCUMENT_QUESTION_ID,
        "wave": pd.to_datetime(themed["date"]).dt.year.astype(int),
        "cycle": cycle,
        "respondent_type": themed["respondent_type"].astype("str"),
        "borough": themed["borough"].astype("str"),
        "channel": themed["channel"].astype("str"),
        "age_band": NOT_STATED,
        "ethnicity": NOT_STATED,
        "text": texts,
        "is_non_answer": flags["is_non_answer"].astype(bool),
        "non_answer_kind": flags["non_answer_kind"].astype("str"),
        "n_words": standardise.word_count(texts).astype(int),
        "document_id": pseudonym,
        "passage_no": themed["passage_no"].astype("Int64"),
        "consent_to_quote": themed["consent_to_quote"].astype(bool),
    })
    read = passages.groupby("source_file", sort=False).size()
    kept = comments.groupby(themed["source_file"], sort=False).size().reindex(read.index, fill_value=0)
    not_themed = passages[~passages["themed"]].groupby("source_file", sort=False).size()
    accounting = pd.DataFrame({
        "source_file": [f"{name} passages" for name in read.index],
        "rows_read": read.to_numpy(), "rows_kept": kept.to_numpy(),
        "rows_rejected": not_themed.reindex(read.index, fill_value=0).to_numpy(), "duplicates_removed": 0,
    })
    accounting["balanced"] = accounting["rows_read"] == accounting["rows_kept"] + accounting["rows_rejected"]
    if not accounting["balanced"].all():
        bad = accounting[~accounting["balanced"]]
        raise ReconciliationError("passages do not reconcile; the run is stopped:\n  " + "\n  ".join(
            f"{r.source_file}: read {r.rows_read} but kept {r.rows_kept} + not themed {r.rows_rejected}"
            for r in bad.itertuples()))
    return comments, accounting
