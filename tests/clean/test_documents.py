"""Qualitative documents as a data source: readers, passages, the index, and the pipeline's comments rows.

Every fixture is made here, in the shapes real documents come in: a Word letter with a letterhead in
its page header and a table, a PDF written byte by byte (with a text layer, and a "scan" without one),
e-mail replies with their quoted chains, a Windows-1252 letter, Markdown notes and transcripts.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import documents as docs
from analysis.clean import pipeline as clean
from analysis.core import vocab
from analysis.core.config import load_config
from analysis.core.errors import InputFileError, UserError
from tests.conftest import write_config


# ---------------------------------------------------------------------------
# Fixture builders
# ---------------------------------------------------------------------------
def _pdf(pages: list[list[str]] | None = None, *, image_page: bool = False, empty_page: bool = False) -> bytes:
    """A minimal PDF 1.4 written by hand: text pages (Helvetica, WinAnsi), an image-only page, or an empty one.

    An empty string in a page's lines is a blank line (a paragraph break).
    """
    objects: list[bytes] = []
    page_ids: list[int] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects) + 2  # objects 1 and 2 are the catalog and the page tree

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for lines in pages or []:
        ops = [b"BT /F1 11 Tf 14 TL 72 770 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")
            ops.append(b"(" + escaped + b") Tj T*" if line else b"T*")
        stream = b"\n".join([*ops, b"ET"])
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R"
                            b" >> >> /Contents %d 0 R >>" % (font, content)))
    if image_page:  # a "scan": one grey image painted over the page, no text operators at all
        image = add(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x80\x40\x40\x80\nendstream")
        stream = b"q 451 0 0 698 72 72 cm /Im1 Do Q"
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject "
                            b"<< /Im1 %d 0 R >> >> /Contents %d 0 R >>" % (image, content)))
    if empty_page:
        page_ids.append(add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"))
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    everything = [b"<< /Type /Catalog /Pages 2 0 R >>",
                  b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids), *objects]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(everything, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(everything) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(everything) + 1, xref)
    return bytes(out)


def _docx(path: Path) -> Path:
    """A Word letter: letterhead in the page header, a heading, a table with a merged cell, a list."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Gareth Evans, 14 Acacia Road, W5 2AB, tel 07700 900456"
    document.sections[0].footer.paragraphs[0].text = "Page 1"
    document.add_heading("My views on palliative care", level=1)
    document.add_paragraph("Dear team,")
    document.add_paragraph("")  # an empty paragraph is not a passage
    first = document.add_paragraph("The night service\nnever called back.")  # a soft line break inside
    first.runs[0].bold = True
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Issue", "What happened", "What should change"), strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("Equipment", "The bed came after he died", "Deliver it first"),
                          strict=True):
        cell.text = text
    merged = table.rows[2].cells[0].merge(table.rows[2].cells[1])
    merged.text = "Whole row note"
    table.rows[2].cells[2].text = "Ask carers"
    document.add_paragraph("Carers need respite.", style="List Bullet")
    document.add_paragraph("Kind regards, Gareth Evans")
    document.save(str(path))
    return path


def _eml(path: Path, body: str, *, html: str | None = None, sender: str = "Joan Murphy <joan@example.com>",
         attachment_only: bool = False) -> Path:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "review@example.org"
    message["Subject"] = "Re: your views"
    message["Date"] = "Fri, 30 May 2025 18:22:05 +0100"
    if attachment_only:
        message.add_attachment(b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="views.pdf")
    elif html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    path.write_bytes(message.as_bytes(policy=SMTP))
    return path


GMAIL_REPLY = """Hello,

The hospice nurses were so kind to my husband.
Nobody rang back at night though.

Thanks, Joan

On Tue, 27 May 2025 at 09:14, Community Palliative Care Review <review@example.org>
wrote:
> Dear resident,
>
> Please tell us what you think. Grace Okafor, 07700 900123
>> an older quoted line
"""

OUTLOOK_REPLY = """Dear team,

Interpreters were never offered to my aunt.

-----Original Message-----
From: Community Palliative Care Review
Sent: 02 June 2025 10:00
To: Yusuf Ali
Subject: Your views

Please tell us what you think. Tom Hughes, 020 7946 0123
"""

TRANSCRIPT = """Interview 3 (carer, Harrow)
Recorded by phone.

[00:00:05] Interviewer: Thanks for talking to me. I'm Priya from the review team.
[00:00:12] Participant: No problem. My husband Winston died at home in March.
He wanted to be in his own bed. [pause] It was hard.

INTERVIEWER: What about nights?
P: The out of hours line never answered [inaudible 00:03:10] we waited all night.
Note: this was in March.
**Interviewer:** Anything else?
Participant 1: Yes.
Interviewer:
"""


# ---------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------
def test_docx_reads_body_headings_tables_and_lists_but_not_page_headers(tmp_path: Path) -> None:
    text = docs.read_document(_docx(tmp_path / "letter.docx")).text
    assert "Acacia Road" not in text and "07700 900456" not in text and "Page 1" not in text
    passages = docs.split_passages(text)
    assert [(p.kind, p.text) for p in passages] == [
        (docs.KIND_HEADING, "My views on palliative care"),
        (docs.KIND_PARAGRAPH, "Dear team,"),
        (docs.KIND_PARAGRAPH, "The night service never called back."),
        (docs.KIND_PARAGRAPH, "Issue: Equipment. What happened: The bed came after he died. What should change: "
                              "Deliver it first."),
        (docs.KIND_PARAGRAPH, "Issue: Whole row note. What should change: Ask carers."),  # merged cell once
        (docs.KIND_PARAGRAPH, "Carers need respite."),
        (docs.KIND_PARAGRAPH, "Kind regards, Gareth Evans"),
    ]
    assert [p.passage_no for p in passages] == list(range(1, 8))


def test_pdf_text_layer_keeps_paragraphs_and_pages(tmp_path: Path) -> None:
    path = tmp_path / "submission.pdf"
    path.write_bytes(_pdf([["Dear review team,", "", "The out of hours line never answered when my husband",
                            "was dying (we waited all night).", "", "Carers need respite, \u00a35 caf\u00e9 vouchers."],
                           ["Second page: the hospice was wonderful."]]))
    passages = docs.split_passages(docs.read_document(path).text)
    assert [p.text for p in passages] == [
        "Dear review team,",
        "The out of hours line never answered when my husband was dying (we waited all night).",
        "Carers need respite, \u00a35 caf\u00e9 vouchers.",
        "Second page: the hospice was wonderful.",
    ]


@pytest.mark.parametrize("shape", ["image", "empty"])
def test_pdf_without_a_text_layer_stops_with_its_name(tmp_path: Path, shape: str) -> None:
    path = tmp_path / f"scanned_letter_{shape}.pdf"
    path.write_bytes(_pdf(image_page=shape == "image", empty_page=shape == "empty"))
    with pytest.raises(InputFileError, match=r"scanned_letter_\w+\.pdf.*no text layer.*OCR"):
        docs.read_document(path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old_letter.docx", b"\xd0\xcf\x11\xe0 an old binary .doc renamed", r"old_letter\.docx.*not a Word package"),
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", r"broken\.pdf.*(not a readable PDF|no text layer)"),
    ("notes.doc", b"anything", r"notes\.doc.*unsupported document type '\.doc'.*\.docx"),
    ("blank.txt", b"  \r\n\r\n ", r"blank\.txt.*no text"),
])
def test_unreadable_documents_are_named(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        docs.read_document(path)


def test_eml_drops_the_quoted_reply_chain_and_names_the_sender(tmp_path: Path) -> None:
    result = docs.read_document(_eml(tmp_path / "reply.eml", GMAIL_REPLY))
    assert result.names == ("Joan Murphy",)
    assert "Grace Okafor" not in result.text and "07700 900123" not in result.text and "wrote" not in result.text
    assert [p.text for p in docs.split_passages(result.text)] == [
        "Hello,", "The hospice nurses were so kind to my husband. Nobody rang back at night though.", "Thanks, Joan"]


def test_eml_outlook_chain_html_alternative_and_signature(tmp_path: Path) -> None:
    html = "<p>Dear team,</p><p>Interpreters were <b>never</b> offered.</p><blockquote>Tom Hughes</blockquote>"
    result = docs.read_document(_eml(tmp_path / "outlook.eml", OUTLOOK_REPLY, html=html, sender="Yusuf Ali <y@x.org>"))
    assert "Tom Hughes" not in result.text and "Sent:" not in result.text  # plain part preferred, chain cut
    assert [p.text for p in docs.split_passages(result.text)] == ["Dear team,",
                                                                  "Interpreters were never offered to my aunt."]
    signed = docs.strip_quoted_reply("Please fix the night line.\n-- \nDr Sam Lee\n07700 900111\n")
    assert signed.strip() == "Please fix the night line."


def test_eml_html_only_body_skips_gmail_quote(tmp_path: Path) -> None:
    html = ("<html><head><style>p {color: red}</style></head><body><p>Faith &amp; culture matter.</p>"
            "<div>Line one<br>line two</div><div class='gmail_quote'><div>On Mon Grace wrote:</div>"
            "<blockquote>old <div>nested</div> text</blockquote></div><p>After the quote.</p></body></html>")
    text = docs.read_document(_eml(tmp_path / "html.eml", "", html=html)).text
    assert [p.text for p in docs.split_passages(text)] == ["Faith & culture matter.", "Line one line two",
                                                          "After the quote."]


def test_eml_with_only_an_attachment_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"attach\.eml.*no text body.*attachments are not read"):
        docs.read_document(_eml(tmp_path / "attach.eml", "", attachment_only=True))


def test_cp1252_txt_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_bytes("I\u2019m writing about the hospice caf\u00e9.\r\nIt cost \u00a3200.\r\n\r\nYours,"
                     .encode("cp1252"))
    text = docs.read_document(path).text
    assert [p.text for p in docs.split_passages(text)] == [
        "I\u2019m writing about the hospice caf\u00e9. It cost \u00a3200.", "Yours,"]


def test_markdown_headings_bullets_and_markup(tmp_path: Path) -> None:
    path = tmp_path / "event.md"
    path.write_text("# Drop-in, Brent ##\n\nAbout **25** residents came; see [the notes](https://x.example/n).\n\n"
                    "## What should change\n- Out of hours support,\n  at night too\n* Interpreters\n1. Respite\n\n"
                    "---\n> A carer said: nobody came.\n", encoding="utf-8")
    passages = docs.split_passages(docs.read_document(path).text)
    assert [(p.kind, p.text) for p in passages] == [
        (docs.KIND_HEADING, "Drop-in, Brent"),
        (docs.KIND_PARAGRAPH, "About 25 residents came; see the notes (https://x.example/n)."),
        (docs.KIND_HEADING, "What should change"),
        (docs.KIND_PARAGRAPH, "Out of hours support, at night too"),
        (docs.KIND_PARAGRAPH, "Interpreters"),
        (docs.KIND_PARAGRAPH, "Respite"),
        (docs.KIND_PARAGRAPH, "A carer said: nobody came."),
    ]


# ---------------------------------------------------------------------------
# Passages
# ---------------------------------------------------------------------------
def test_transcript_is_split_by_turn_and_interviewer_turns_are_not_themed() -> None:
    assert docs.is_transcript(TRANSCRIPT)
    passages = docs.split_passages(TRANSCRIPT)
    assert [(p.passage_no, p.kind, p.text) for p in passages] == [
        (1, docs.KIND_PREAMBLE, "Interview 3 (carer, Harrow) Recorded by phone."),
        (2, docs.KIND_INTERVIEWER, "Thanks for talking to me. I'm Priya from the review team."),
        (3, docs.KIND_PARTICIPANT, "No problem. My husband Winston died at home in March. He wanted to be in his "
                                   "own bed. It was hard."),
        (4, docs.KIND_INTERVIEWER, "What about nights?"),
        (5, docs.KIND_PARTICIPANT, "The out of hours line never answered we waited all night. Note: this was in "
                                   "March."),
        (6, docs.KIND_INTERVIEWER, "Anything else?"),
        (7, docs.KIND_PARTICIPANT, "Yes."),
    ]  # the last, empty interviewer label gives no passage
    assert [p.passage_no for p in passages if p.themed] == [3, 5, 7]


def test_prose_with_colons_is_not_a_transcript() -> None:
    text = ("Note: the meeting ran late.\nA: this line looks like an answer.\n\nWhat should change:\n\n"
            "Nothing was joined up: the GP and the hospice kept separate notes.")
    assert not docs.is_transcript(text)
    passages = docs.split_passages(text)
    assert [p.kind for p in passages] == [docs.KIND_PARAGRAPH, docs.KIND_HEADING, docs.KIND_PARAGRAPH]
    assert all(p.themed for p in passages if p.kind == docs.KIND_PARAGRAPH)


def test_paragraphs_join_wrapped_lines_and_split_on_blank_lines() -> None:
    text = "First paragraph\nwrapped here.\r\n\r\n\n   Second   one.\f* bullet\nSecond page line."
    assert [p.text for p in docs.split_passages(text)] == [
        "First paragraph wrapped here.", "Second one.", "bullet Second page line."]


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------
def test_document_paths_must_stay_inside_the_index_folder(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "ok.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    index = folder / "index.csv"
    assert docs.resolve_document(folder, "sub\\ok.txt", index_path=index, row=2, column="File") == (
        folder / "sub" / "ok.txt").resolve()
    for value, problem in (("../secret.txt", "outside the index's folder"),
                           (str(tmp_path / "secret.txt"), "relative to the index's folder"),
                           ("sub/missing.txt", "not found")):
        with pytest.raises(InputFileError, match=rf"index\.csv, row 7, column 'File': document .*{problem}"):
            docs.resolve_document(folder, value, index_path=index, row=7, column="File")


def test_attach_documents_names_the_index_row_of_an_unreadable_document(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kind nurses.", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(_pdf(image_page=True))
    index = pd.DataFrame({"source_row": [2, 3, 4], "document_file": ["a.txt", "", "scan.pdf"]})
    index.attrs["raw_headers"] = {"document_file": "File name"}
    with pytest.raises(InputFileError, match=r"index\.csv, row 4, column 'File name': cannot read document "
                                             r"'scan\.pdf'.*no text layer"):
        docs.attach_documents(index, tmp_path / "index.csv")
    attached = docs.attach_documents(index.iloc[:2], tmp_path / "index.csv")
    assert [len(p) for p in attached[docs.PASSAGES]] == [1, 0]  # a blank file cell is left for cleaning to reject


def test_consent_is_only_yes_when_clearly_given() -> None:
    raw = pd.Series(["Yes", "y", "TRUE", 1, "Consent given", "No", "n", "withdrawn", "", None, "maybe", "Yes but not my name"])
    result = docs.standardise_consent(raw)
    assert result["value"].tolist() == [True] * 5 + [False] * 7
    assert result["problem"].notna().tolist() == [False] * 8 + [True] * 4
    assert result["problem"].dropna().unique().tolist() == [docs.PROBLEM_CONSENT]


def test_document_channel_and_respondent_type(small_documents_cycle) -> None:
    channel = docs.standardise_document_channel(pd.Series(["Letter", "1:1 interview", "Webinar", "", "Fax"]))
    assert channel["value"].tolist()[:3] == ["Written submission", "Interview", "Event"]
    assert channel["value"].isna().tolist()[3:] == [True, True]
    assert channel["problem"].tolist()[3] == docs.PROBLEM_CHANNEL_BLANK
    types = small_documents_cycle.vocabularies.respondent_types
    result = docs.standardise_document_respondent_type(
        pd.Series(["Carer", "Patient", "GP", "Staff", "EbE", "Visitor", " "]), types=types)
    assert result["value"].tolist()[:5] == ["Carer", "Resident", "Health or care professional", "Staff",
                                            "Expert by experience"]
    assert result["problem"].tolist()[5:] == ["unknown respondent type", docs.PROBLEM_TYPE_BLANK]


# ---------------------------------------------------------------------------
# The pipeline: passages become comments
# ---------------------------------------------------------------------------
INDEX_CSV = """Doc,File,How,When,Area,Who,Quote OK,Author
D1,notes/interview.txt,1:1 interview,12/05/2025,Hillingdom,Family member or carer,Yes,Winifred Okonjo
D2,reply.eml,Email,2025-05-30,H&F,Resident,No,
D3,letter.docx,Letter,3 June 2025,,Patient,,Gareth Evans
D4,notes/interview.txt,Interview,31/02/2025,Brent,Carer,Yes,
D5,notes/interview.txt,Fax,12/05/2025,Brent,Carer,Yes,
D1,notes/interview.txt,1:1 interview,12/05/2025,Hillingdom,Family member or carer,Yes,Winifred Okonjo
"""
SURVEY_CSV = """Ref,Date,Type,Borough,Better
R1,03/04/2025,Resident,Ealing,The nurses were lovely but nights were hard
"""
INTERVIEW = """Interviewer: Hello, I'm Priya Raman. Tell me about your mum?
Participant: My mum died at home as she wished. I'm Winifred Okonjo, ring me on 07700 900461.
Interviewer: And nights?
Participant: Nobody came out at night. Nobody.
"""


@pytest.fixture
def small_documents_cycle(tmp_path, example_config_dict):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "interview.txt").write_text(INTERVIEW, encoding="utf-8")
    _eml(tmp_path / "reply.eml", GMAIL_REPLY)
    _docx(tmp_path / "letter.docx")
    (tmp_path / "index.csv").write_text(INDEX_CSV, encoding="utf-8")
    (tmp_path / "survey.csv").write_text(SURVEY_CSV, encoding="utf-8")
    data = dict(example_config_dict)
    data["inputs"] = [
        {"name": "survey", "dataset": "engagement_survey", "path": str(tmp_path / "survey.csv"),
         "columns": {"Ref": "respondent_ref", "Date": "submitted_at", "Type": "respondent_type", "Borough": "borough",
                     "Better": "open.should_change"}},
        {"name": "docs", "dataset": "documents", "path": str(tmp_path / "index.csv"),
         "columns": {"Doc": "document_id", "File": "document_file", "How": "channel", "When": "date",
                     "Area": "borough", "Who": "respondent_type", "Quote OK": "consent_to_quote", "Author": "name"}},
    ]
    data["themes"] = {}
    data["outputs"] = {"processed_dir": str(tmp_path / "processed"), "reports_dir": str(tmp_path / "reports"),
                       "interim_dir": str(tmp_path / "interim")}
    (tmp_path / "pseudonym.key").write_text("documents-test-key\n", encoding="utf-8")
    data["synthetic_example"] = False
    data["deidentification"] = dict(data["deidentification"], demo_key=None, key_file=str(tmp_path / "pseudonym.key"))
    data.pop("notebooks", None)
    return load_config(write_config(tmp_path, data))


@pytest.fixture
def cleaned(small_documents_cycle):
    return clean.run_cleaning(small_documents_cycle)


def test_every_index_row_and_every_passage_is_accounted_for(cleaned) -> None:
    rec = cleaned.reconciliation.set_index("source_file")
    assert rec["balanced"].all()
    # 6 rows: D1 repeated exactly; D4 has 31 February, D5 an unknown channel
    assert rec.loc["docs", ["rows_read", "rows_kept", "rows_rejected", "duplicates_removed"]].tolist() == [6, 3, 2, 1]
    # D1: 4 turns (2 interviewer); D2: 3 paragraphs; D3: 7 passages, one heading
    assert rec.loc["docs passages", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [14, 11, 3]
    documents = cleaned.tables["comments"].query("dataset == 'documents'")
    assert len(documents) == 11 and documents["document_id"].nunique() == 3
    ledger = cleaned.rejected[cleaned.rejected["source_file"] == "docs"]
    assert set(ledger.loc[ledger["outcome"] == clean.ROW_REJECTED, "source_row"]) == {5, 6}
    consent = ledger[ledger["column"] == "Quote OK"]
    assert consent[["source_row", "reason", "outcome"]].values.tolist() == [
        [4, docs.PROBLEM_CONSENT, clean.VALUE_SET_MISSING]]


def test_passages_are_comments_with_document_columns(cleaned) -> None:
    comments = cleaned.tables["comments"]
    survey = comments[comments["dataset"] == "engagement_survey"]
    assert survey["consent_to_quote"].all() and survey["passage_no"].isna().all() and survey["document_id"].isna().all()
    documents = comments[comments["dataset"] == "documents"].sort_values(["channel", "passage_no"])
    assert set(documents["question_id"]) == {vocab.DOCUMENT_QUESTION_ID}
    assert comments["comment_id"].is_unique
    by_channel = documents.groupby("channel")
    assert by_channel["passage_no"].apply(list).to_dict() == {
        "Interview": [2, 4], "Written submission": [1, 2, 2, 3, 3, 4, 5, 6, 7]}
    interview = documents[documents["channel"] == "Interview"]
    assert interview["borough"].unique().tolist() == ["Hillingdon"]
    assert interview["respondent_type"].unique().tolist() == ["Carer"]
    assert interview["wave"].unique().tolist() == [2025]
    assert (interview["respondent_id"] == interview["document_id"]).all()
    assert re.fullmatch(r"[0-9a-f]{16}", interview["document_id"].iloc[0])
    assert "D1" not in "".join(documents["document_id"]) + "".join(documents["comment_id"])
    consent = documents.groupby("document_id")["consent_to_quote"].first().sort_values().tolist()
    assert consent == [False, False, True]  # D2 said no, D3 left it blank
    assert documents["age_band"].eq(vocab.NOT_STATED).all()
    assert documents.loc[documents["text"] == "Nobody came out at night. Nobody.", "is_non_answer"].tolist() == [False]


def test_passages_are_deidentified_like_survey_answers(cleaned) -> None:
    comments = cleaned.tables["comments"]
    text = "\n".join(comments["text"])
    for identifier in ("Winifred", "Okonjo", "07700 900461", "Gareth", "Joan", "Priya", "Acacia",
                       "Grace Okafor", "07700 900123"):
        assert identifier not in text, identifier
    assert "I'm [NAME], ring me on [PHONE]." in text
    redactions = cleaned.redactions[cleaned.redactions["field"] == vocab.DOCUMENT_QUESTION_ID]
    assert redactions.set_index("type").loc[["NAME", "PHONE"], "count"].tolist() == [3, 1]


def test_processed_documents_are_byte_identical_on_rerun(small_documents_cycle, tmp_path) -> None:
    first = clean.write_processed(clean.run_cleaning(small_documents_cycle), tmp_path / "a")
    second = clean.write_processed(clean.run_cleaning(small_documents_cycle), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_missing_document_stops_cleaning_and_validate_names_it(small_documents_cycle, tmp_path) -> None:
    (tmp_path / "reply.eml").unlink()
    with pytest.raises(InputFileError, match=r"index\.csv, row 3, column 'File': document 'reply\.eml': not found"):
        clean.run_cleaning(small_documents_cycle)
    problems = clean.validate_inputs(small_documents_cycle)
    assert any("row 3" in p and "reply.eml" in p for p in problems)
