"""Synthetic qualitative documents for the example cycle: interviews, written submissions, event notes.

``write_documents`` writes 19 documents under ``documents/`` (9 interviews: transcripts and
interviewers' notes; 6 written submissions: a letter with a table and a page header in ``.docx``, a
text ``.pdf``, two ``.eml`` e-mails with quoted reply chains, a cp1252 ``.txt`` letter and a ``.md``;
4 event notes), the index ``documents_index.csv`` that ``config/example.yaml`` maps, and
``ground_truth_documents.csv`` (one line per passage: its kind, planted themes and identifiers).

Every document is hand-written text, so each passage's theme is known exactly: the themes are the
example codebook's palliative-care themes (17-25 of :data:`analysis_example.generate.THEMES`). The
identifiers (names, phone numbers, e-mail addresses, NHS numbers) are synthetic: phone numbers from
Ofcom's drama ranges and NHS numbers in the 999 test range, drawn from the seed. Three documents may
not be quoted (two say no, one leaves the consent cell blank, which cleaning treats as no).

The passage numbering here follows the splitting rules of :mod:`analysis.clean.documents` (a test
checks that cleaning finds exactly these passages). Files are byte-identical for the same seed (fixed
``.docx`` metadata and zip timestamps, fixed e-mail boundaries, a hand-written PDF).

(Longer than the usual 500 lines because most of it is the documents' hand-written text.)
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import numpy as np

from analysis_example import generate as gen

FOLDER = "documents"
INDEX_FILE = "documents_index.csv"
GROUND_TRUTH_DOCUMENTS = "ground_truth_documents.csv"
INDEX_HEADERS: dict[str, str] = {
    "document_id": "Document ID", "document_file": "File", "channel": "Channel", "date": "Date",
    "borough": "Borough", "respondent_type": "Respondent type", "consent_to_quote": "Consent to quote",
    "name": "Author or interviewee",
}

PARA, TURN_P, TURN_I, HEADING, PREAMBLE = ("paragraph", "participant turn", "interviewer turn", "heading",
                                           "before the first turn")
NOT_READ = "not read"
THEMED = (PARA, TURN_P)


@dataclass(frozen=True)
class Part:
    """One block of a document as written: what cleaning should make of it, and its planted themes.

    ``kind`` is the passage kind cleaning should give it, or :data:`NOT_READ` for text that is never
    read (a quoted reply, a page header); ``style`` is how it is rendered ("bullet", "row" for a
    table row given as ``cells``, "header" for a .docx page header, "" plain).
    """

    kind: str
    text: str = ""
    themes: tuple[int, ...] = ()
    style: str = ""
    cells: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Doc:
    """One synthetic document and its index row (raw cells as written, canonical values as truth)."""

    doc_id: str
    file: str
    channel: str
    channel_raw: str
    date_raw: str
    borough_raw: str
    type_raw: str
    consent_raw: str
    author: str
    parts: tuple[Part, ...]
    sender: str = ""

    @property
    def consent(self) -> bool:
        return self.consent_raw.strip().lower() in ("yes", "y", "consent given")


def P(text: str, *themes: int, style: str = "") -> Part:  # noqa: N802  (short constructors for the texts)
    return Part(PARA, text, themes, style)


def Pt(text: str, *themes: int) -> Part:  # noqa: N802
    return Part(TURN_P, text, themes)


def It(text: str) -> Part:  # noqa: N802
    return Part(TURN_I, text)


def H(text: str) -> Part:  # noqa: N802
    return Part(HEADING, text)


def _documents(ids: dict[str, str]) -> tuple[Doc, ...]:
    """The 19 documents; ``ids`` holds the drawn phone numbers, NHS numbers and e-mail addresses."""
    return (
        Doc("I01", "interview_01_transcript.txt", "Interview", "Interview", "12/05/2025", "Ealing", "Carer", "Yes",
            "Joan Murphy", (
                Part(PREAMBLE, "Community palliative care review - interview 01. Carer, Ealing; transcribed "
                               "from the recording."),
                It("Thank you for agreeing to talk to me today. Could you start by telling me a bit about your "
                   "situation?"),
                Pt("I looked after my husband Patrick at home for the last eight months of his life. He had lung "
                   "cancer. My name is Joan Murphy, by the way, you can use that if you need to."),
                It("What was the hardest part?"),
                Pt("The nights and the weekends. When he was in pain at two in the morning there was nobody to "
                   "call. The out of hours number rang and rang, and when someone answered they had no idea who "
                   "he was. We waited six hours for a nurse to come with his medicines.", 18),
                It("Did the different services work together?"),
                Pt("Not really. The GP, the district nurses and the hospice all had different notes, and I had "
                   "to tell the same story every time. Nobody was in charge, there was no one point of contact "
                   "and the records were not shared.", 17),
                It("And what about support for you as his carer?"),
                Pt("I was exhausted. Nobody asked how I was coping until the very end. A carers assessment "
                   "would have helped, or even one night of respite so I could sleep.", 19),
                It("Is there anything that worked well?"),
                Pt("The hospice nurses were wonderful, so kind, and they treated him with dignity. Sister Mary "
                   "Doyle in particular went above and beyond.", 25),
                It("Thank you so much. That's everything from me."),
            )),
        Doc("I02", "interview_02_transcript.docx", "Interview", "1:1 interview", "2025-05-14", "brent",
            "Local resident", "yes", "Kwame Mensah", (
                Part(NOT_READ, "Confidential - community palliative care review - interviewer: Grace Okafor",
                     style="header", why="page header"),
                H("Interview 02 - transcript"),
                It("Hello, I'm Priya from the review team. Can you tell me what happened when your mother was "
                   "ill?"),
                Pt("My mother wanted to die at home, in her own bed, and she had written it all down in an "
                   "advance care plan. In the end she died in A&E because the ambulance crew had never seen "
                   "her plan and nobody knew her wishes.", 20),
                It("How were things explained to you?"),
                Pt("The consultant was honest with us and explained what to expect, which I was grateful for. "
                   "But other doctors avoided the conversation about dying altogether.", 22),
                It("Was there anything about her faith or culture?"),
                Pt("She was a devout Christian and wanted a priest to visit. The chaplain came, and they "
                   "respected our faith and our religious customs, that part was good.", 23),
                It("Anything else you want to add?"),
                Pt("After she died nobody from the hospital contacted us again. Some bereavement follow up "
                   f"would have meant a lot. You can ring me on {ids['phone_i02']} if you want to follow up.", 21),
            )),
        Doc("I03", "interview_03_notes.md", "Interview", "Telephone interview", "19/05/2025", "Hillingdom", "Nurse",
            "Y", "", (
                H("Interview 03: district nurse, Hillingdon"),
                P("Notes written up by the interviewer after a telephone interview."),
                H("What works"),
                P("She said the hospice at home team is excellent and families always praise the palliative "
                  "nurses for their kindness.", 25),
                H("What should change"),
                P("Equipment takes far too long: a hospital bed can take a week to arrive and by then the patient "
                  "may have died. Fast track care packages fall apart when the agency cannot staff the care "
                  "hours.", 24, style="bullet"),
                P("Carers are left coping alone; a carers assessment is rarely offered and there is almost no "
                  "respite.", 19, style="bullet"),
                P("There is no shared record, so the GP, the hospice and the acute trust each hold a different "
                  "care plan. A single key worker would make it joined up.", 17, style="bullet"),
            )),
        Doc("I04", "interview_04_transcript.txt", "Interview", "Interview", "2025-05-21", "Harrow",
            "Family member or carer", "No", "Deepa Shah", (
                Part(PREAMBLE, "Interview 04 (carer, Harrow). Consent to record: yes. Consent to quote: no."),
                It("[00:00:04] Thanks for joining. Could you tell me about caring for your dad?"),
                Pt("[00:00:15] I cared for my dad for two years. The worst was the nights, ringing 111 at 3am "
                   "and being passed from one person to another, and no nurse could come out until the "
                   "morning.", 18),
                It("[00:02:40] How did that affect you?"),
                Pt("[00:02:52] I was completely exhausted and coping on my own, working full time. Nobody "
                   "offered me respite or even a carers assessment. My NHS number is "
                   f"{ids['nhs_i04']} if you need to check my records, I am a patient too.", 19),
                It("[00:05:10] Was your dad's culture respected?"),
                Pt("[00:05:21] Mostly. We needed an interpreter for my mum, who only speaks Gujarati, and there "
                   "wasn't one at the hospice, so I translated everything about his dying myself. That should "
                   "not happen.", 23),
                It("[00:07:45] What happened after he died?"),
                Pt("[00:07:58] There was no bereavement follow up at all. Not a call, not a letter. My mum was "
                   "lost in her grief. [pause]", 21),
            )),
        Doc("I05", "interview_05_notes.docx", "Interview", "One-to-one interview", "28/05/2025", "Hounslow",
            "Member of the public", "Yes", "Michael Green", (
                H("Interview 05 notes"),
                P("Mr Green lives alone in Hounslow and was interviewed about his neighbour's last months and "
                  "his own wishes."),
                P("He wants to die at home rather than in hospital, and has asked his GP for an advance care "
                  "plan, but nobody has yet had that conversation with him.", 20),
                P("His neighbour's family waited three weeks for a hospital bed and a hoist; the care package "
                  "from the agency kept changing carers and sometimes nobody turned up.", 24),
                P("He praised the hospice day centre: kind staff, and he said they treat people with dignity.", 25),
                Part(PARA, style="row", cells=("Topic", "What he said")),
                Part(PARA, themes=(19,), style="row", cells=(
                    "Carers", "His neighbour's daughter was exhausted and nobody offered her respite.")),
                Part(PARA, themes=(22,), style="row", cells=(
                    "Communication", "Doctors should be honest and explain what to expect instead of using "
                                     "jargon.")),
            )),
        Doc("I06", "interview_06_transcript.md", "Interview", "Interview", "2 June 2025", "Westminster",
            "Unpaid carer", "Yes", "Fatima Begum", (
                H("Interview 06 transcript"),
                It("Thank you for talking to us. What was most important to your family?"),
                Pt("Our faith. My mother-in-law wanted to die at home with the imam able to visit, and the team "
                   "understood our religious and cultural needs and arranged it. Her wishes were followed and "
                   "she died in her own bed.", 23, 20),
                It("What could have been better?"),
                Pt("Getting help at the weekend. The district nurses only came in the week, and on Saturday "
                   "night we were on our own with the syringe driver. The out of hours service did not call "
                   "back.", 18),
                It("And how are you now?"),
                Pt("The bereavement support has been good. The hospice rang me after she died and I go to a "
                   "grief group once a month now.", 21),
                It("Did services talk to each other?"),
                Pt("The hospital discharge did not tell the GP anything, there was no handover. I had to "
                   "coordinate everything myself between five services.", 17),
            )),
        Doc("I07", "interview_07_notes.txt", "Interview", "Phone interview", "2025-06-04", "RBKC", "GP", "Yes", "", (
            P("Notes from a phone interview with a GP in Kensington and Chelsea, 4 June."),
            P("The GP said coordination is the biggest problem: the practice, the community team and the hospice "
              "use different systems, so records are not shared and nobody knows who the key worker is.", 17),
            P("Out of hours, families ring 111 and get sent to A&E, because the night team cannot see the care "
              "plan or the just-in-case medicines.", 18),
            P("She said honest conversations about dying happen too late. Doctors need training and time to "
              "explain what to expect.", 22),
            P("Equipment is a constant battle: fast track funding for continuing healthcare takes weeks and "
              "care packages collapse.", 24),
        )),
        Doc("I08", "interview_08_transcript.txt", "Interview", "Interview", "09/06/2025", "H&F", "Patient", "Yes",
            "Sunil Gupta", (
                It("What has your experience of palliative care been like?"),
                Pt("I have cancer myself and I'm under the palliative team. The hospice nurses are amazing, "
                   "really kind, and the day hospice is the best thing that has happened to me.", 25),
                It("What would you change?"),
                Pt("At night if I get breathless there is nobody to talk to. The out of hours advice line is "
                   "always engaged and the weekend is worse.", 18),
                It("Anything about the information you get?"),
                Pt("Nobody has been honest with me about what to expect. I would rather know. Email me at "
                   f"{ids['email_i08']} if you want more.", 22),
                It("Thank you."),
                Pt("Thanks."),
            )),
        Doc("I09", "interview_09_notes.pdf", "Interview", "Interview", "2025-06-11", "Ealing", "Carer", "Yes",
            "Margaret Evans", (
                H("Interview 09 notes:"),
                P("Mrs Evans cared for her husband at home. She said support for carers was poor: she was "
                  "exhausted, had no respite for months, and only heard about the carers centre after he "
                  "died.", 19),
                P("She described the out of hours service as a lottery: some nights a nurse came within the hour, "
                  "other nights nobody came at all.", 18),
                P("After his death the hospice offered bereavement counselling, which she said saved her.", 21),
                P("Her husband died at home as he wished, in his own bed, because the advance care plan was "
                  "followed.", 20),
            )),
        Doc("W01", "submission_01_letter.docx", "Written submission", "Letter", "16/05/2025", "Brent", "Carer",
            "Yes", "Bernadette Walker", (
                Part(NOT_READ, f"Bernadette Walker, 14 Harlesden Road, London NW10 4AB, tel {ids['phone_w01']}",
                     style="header", why="page header"),
                H("Response to the community palliative care review"),
                P("Dear review team,"),
                P("I am writing about the care my brother received in his last weeks. I was his main carer and "
                  "I want to set out what went well and what did not."),
                Part(PARA, style="row", cells=("Issue", "What happened", "What should change")),
                Part(PARA, themes=(24,), style="row", cells=(
                    "Equipment", "The hospital bed and commode took nine days to arrive after discharge.",
                    "Equipment should be delivered before someone comes home.")),
                Part(PARA, themes=(24,), style="row", cells=(
                    "Care package", "The agency sent different carers every day and twice nobody came.",
                    "Reliable care hours from the same small team.")),
                Part(PARA, themes=(17,), style="row", cells=(
                    "Coordination", "Nobody was in charge of his care; I rang five services in one day.",
                    "One point of contact, a key worker who knows the family.")),
                P("Yours faithfully,"),
                P("Bernadette Walker"),
            )),
        Doc("W02", "submission_02_hospice.pdf", "Written submission", "Written submission", "2025-05-23",
            "Westminster", "Health or care professional", "Yes", "", (
                H("Submission from a local hospice:"),
                P("Our hospice at home team supports about 300 families a year. Families consistently tell us "
                  "they value the kindness and dignity of the palliative nurses.", 25),
                P("The biggest gap is out of hours: there is no 24/7 specialist advice line for the north of the "
                  "borough, and families end up in A&E at night.", 18),
                P("Many of the families we support are from Bangladeshi and Somali communities. Interpreters are "
                  "hard to book at short notice and leaflets are only in English, so care does not respect "
                  "language and culture.", 23),
                P("We would like a single shared care record across the hospice, GP practices and the acute "
                  "trust, so that care is joined up.", 17),
                P(f"Contact: Dr Alan Whitfield, {ids['email_w02']}"),
            )),
        Doc("W03", "submission_03_email.eml", "Written submission", "Email", "30/05/2025", "Hillingdon", "Resident",
            "No", "Ahmed Hussain", (
                P("Hello,"),
                P("Thank you for asking. My father died last year at Hillingdon Hospital, although he had told "
                  "everyone he wanted to die at home. His advance care plan was never looked at.", 20),
                P("The doctors were not honest with us about how ill he was, and nobody explained what to "
                  "expect in the last days.", 22),
                P("Regards,\nAhmed Hussain"),
                Part(NOT_READ, "On Tue, 27 May 2025 at 09:14, Community Palliative Care Review "
                               "<review@example.org> wrote:", why="quoted reply"),
                Part(NOT_READ, f"> Dear resident,\n>\n> We are asking local people about palliative care. Please "
                               f"reply to this e-mail.\n>\n> Grace Okafor, engagement lead, {ids['phone_w03']}",
                     why="quoted reply"),
            ), sender="Ahmed Hussain <ahmed.hussain@example.com>"),
        Doc("W04", "submission_04_letter.txt", "Written submission", "Written submission", "04/06/2025", "Hounslow",
            "Carer", "", "Irene Campbell", (
                P("Dear Sir or Madam,"),
                P("I\u2019m writing as the daughter of a lady who died at home in Hounslow in February. The "
                  "district nurses were marvellous but the care package was a disaster: the agency could not "
                  "cover the care hours and the hospital bed took a fortnight.", 24),
                P("I paid \u00a3200 for private carers at night because there was no out of hours support. "
                  "Nobody returned my calls at the weekend.", 18),
                P("As her carer I had no respite at all and nobody asked how I was coping. The only people who "
                  "asked were the volunteers at the hospice caf\u00e9.", 19),
                P(f"Yours sincerely,\nIrene Campbell\nTel: {ids['phone_w04']}"),
            )),
        Doc("W05", "submission_05_email.eml", "Written submission", "E-mail", "2025-06-06", "Harrow",
            "Member of the public", "Yes", "Yusuf Ali", (
                P("Dear team,"),
                P("I want to raise the needs of Muslim families. When my uncle was dying the hospital did not "
                  "understand that we needed to pray with him and that burial should happen quickly. An "
                  "interpreter for my aunt was never offered. Faith and culture should be part of every care "
                  "plan.", 23),
                P("Also the equipment: a hospital bed was promised for a Monday and came on the Friday after he "
                  f"had died. His NHS number was {ids['nhs_w05']} if you want to look into it.", 24),
                P("Thanks,\nYusuf"),
                Part(NOT_READ, "-----Original Message-----\nFrom: Community Palliative Care Review\n"
                               "Sent: 02 June 2025 10:00\nTo: Yusuf Ali\nSubject: Your views\n\nPlease tell us what "
                               f"you think. Tom Hughes, {ids['phone_w05']}", why="quoted reply"),
            ), sender="Yusuf Ali <yusuf.ali@example.net>"),
        Doc("W06", "submission_06_discharge_team.md", "Written submission", "Written submission", "2025-06-13",
            "Ealling", "Social worker", "Yes", "Leah Kowalski", (
                H("Written submission: hospital discharge team"),
                P("I am a social worker in the hospital discharge team and I see the same problems every week."),
                H("Coordination"),
                P("Discharges to die at home fall apart because the hospital, community services and the hospice "
                  "do not share records, and there is no one point of contact for the family. A key worker for "
                  "every patient at the end of life would fix most of it.", 17),
                H("Carers"),
                P("Family carers are sent home with a loved one, a bag of medicines and no training. Carers need "
                  "support, respite and someone to ring. One carer, Mrs Rahman, told me she had not slept for "
                  "four nights.", 19),
                H("Equipment"),
                P("Fast track continuing healthcare funding takes too long and equipment arrives late.", 24),
            )),
        Doc("E01", "event_01_brent_dropin.md", "Event", "Drop-in", "10/05/2025", "Brent", "Resident", "Yes", "", (
            H("Community drop-in, Brent library, 10 May 2025"),
            P("About 25 residents came. Notes by the engagement team; views are paraphrased."),
            H("What works well"),
            P("The hospice was praised by almost everyone: kind, caring staff who treat people with dignity.", 25,
              style="bullet"),
            P("Several people said the bereavement group at the hospice helped them through their grief.", 21,
              style="bullet"),
            H("What should change"),
            P("Out of hours support was the biggest complaint: nobody answers the advice line at night and at "
              "weekends.", 18, style="bullet"),
            P("People want interpreters and information in community languages, and care that respects their "
              "faith.", 23, style="bullet"),
            P(f"One woman asked us to call her on {ids['phone_e01']} about her mother's care; we passed this "
              "to PALS.", style="bullet"),
        )),
        Doc("E02", "event_02_carers_webinar.docx", "Event", "Webinar", "2025-05-22", "", "Carer", "Yes", "", (
            Part(NOT_READ, "Webinar notes - facilitator Tom Hughes", style="header", why="page header"),
            H("Carers' webinar: notes"),
            P("Eighteen carers joined online from across the eight boroughs."),
            P("Carers said they are exhausted and nobody offers respite or a carers assessment until it is too "
              "late.", 19, style="bullet"),
            P("Young carers are invisible to services.", 19, style="bullet"),
            P("Several carers said the out of hours line left them alone at night with a dying relative.", 18,
              style="bullet"),
            P("Services do not talk to each other: the GP and the hospice have different care plans and there "
              "is no handover.", 17, style="bullet"),
            P("A carer called Hannah Wright said the hospice nurses were the only people who listened.", 25,
              style="bullet"),
        )),
        Doc("E03", "event_03_interfaith_forum.txt", "Event", "Community event", "2025-06-05", "Harrow",
            "Local resident", "Yes", "", (
                P("Notes from the interfaith forum on end of life care, Harrow, 5 June 2025."),
                P("Faith leaders from the mosque, gurdwara, temples and churches said care must respect "
                  "religious practice at the end of life and after death, including quick release of the body "
                  "for burial or cremation.", 23),
                P("Families want interpreters for honest conversations about dying; too often a child is asked "
                  "to translate.", 23, 22),
                P("Many people want to die at home surrounded by family, but said their wishes are not recorded "
                  "or followed.", 20),
                P("Out of hours help is needed at night and at weekends; families do not know the 111 route.", 18),
                P("Bereavement services do not reach all communities; follow up should be offered in other "
                  "languages.", 21),
            )),
        Doc("E04", "event_04_carers_cafe.md", "Event", "Event", "2025-06-18", "Hounslow", "Family member or carer",
            "Yes", "", (
                H("Carers' caf\u00e9, Hounslow"),
                P("About a dozen carers came; an informal discussion over tea."),
                P("Carers want practical support and respite, and training in giving medicines.", 19,
                  style="bullet"),
                P("Equipment delays and unreliable care packages were mentioned by most people at the table.", 24,
                  style="bullet"),
                P("Carers spend hours on the phone because services are not joined up and nobody coordinates.",
                  17, style="bullet"),
                P("Out of hours: one carer said that at 2am you are completely on your own.", 18, style="bullet"),
            )),
    )


def _identifiers(seed: int) -> dict[str, str]:
    """Phone numbers, NHS numbers and e-mail addresses planted in the documents, drawn from the seed."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    ids = {k: gen._phone(rng) for k in ("phone_i02", "phone_w01", "phone_w03", "phone_w04", "phone_w05",
                                        "phone_e01")}
    ids["nhs_i04"] = gen._format_nhs(rng, gen.nhs_number(rng))
    ids["nhs_w05"] = gen._format_nhs(rng, gen.nhs_number(rng))
    ids["email_i08"] = f"sunil.gupta{int(rng.integers(10, 99))}@{gen._pick(rng, gen.EMAIL_DOMAINS)}"
    ids["email_w02"] = f"a.whitfield@{gen._pick(rng, gen.EMAIL_DOMAINS)}"
    return ids


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------
def _row_text(cells: tuple[str, ...], header: tuple[str, ...] | None) -> str:
    if header is None:
        return " ".join(c for c in cells if c)
    return " ".join(f"{h}: {c}" + ("" if c.endswith((".", "!", "?")) else ".")
                    for h, c in zip(header, cells, strict=True) if c)


def passage_texts(doc: Doc) -> list[tuple[Part, str]]:
    """Each read part with the text cleaning should find (tables as "Header: cell." sentences)."""
    header: tuple[str, ...] | None = None
    out = []
    for part in doc.parts:
        if part.kind == NOT_READ:
            continue
        if part.style == "row":
            if header is None and not part.themes:
                header = part.cells
                continue
            out.append((part, _row_text(part.cells, header)))
        else:
            out.append((part, " ".join(part.text.split())))
    return out


def _label(part: Part, doc: Doc) -> str:
    if doc.doc_id == "I08":
        return "Q: " if part.kind == TURN_I else "A: "
    if doc.doc_id == "I06":
        return "**Interviewer:** " if part.kind == TURN_I else "**Participant:** "
    if doc.doc_id == "I04":  # timestamps first, then the label
        return ""
    return "Interviewer: " if part.kind == TURN_I else "Participant: "


def _turn_line(part: Part, doc: Doc) -> str:
    if doc.doc_id == "I04" and part.text.startswith("[") and part.kind in (TURN_I, TURN_P):
        stamp, rest = part.text.split("] ", 1)
        return f"{stamp}] {'Interviewer' if part.kind == TURN_I else 'Participant'}: {rest}"
    return _label(part, doc) + part.text


def render_text(doc: Doc, *, markdown: bool) -> str:
    """A .txt or .md document: paragraphs on blank lines, bullets as list items, turns labelled."""
    blocks: list[str] = []
    for part in doc.parts:
        if part.kind in (TURN_I, TURN_P):
            blocks.append(_turn_line(part, doc))
        elif part.kind == HEADING:
            blocks.append(("# " if markdown else "") + part.text)
        elif part.style == "bullet":
            line = "- " + part.text
            if blocks and blocks[-1].startswith("- "):
                blocks[-1] += "\n" + line  # consecutive bullets without blank lines between
            else:
                blocks.append(line)
        else:
            blocks.append(part.text)
    return "\n\n".join(blocks) + "\n"


def render_docx(doc: Doc) -> bytes:
    """A .docx with real headings, list paragraphs, a table and a page header (never read)."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "analysis.example_data"
    props.created = props.modified = gen.FIXED_TIMESTAMP
    table = None
    for part in doc.parts:
        if part.style == "header":
            document.sections[0].header.paragraphs[0].text = part.text
        elif part.kind == HEADING:
            document.add_heading(part.text, level=1)
        elif part.style == "row":
            if table is None:
                table = document.add_table(rows=0, cols=len(part.cells))
                table.style = "Table Grid"
            for cell, text in zip(table.add_row().cells, part.cells, strict=True):
                cell.text = text
            continue
        elif part.kind in (TURN_I, TURN_P):
            document.add_paragraph(_turn_line(part, doc))
        else:
            document.add_paragraph(part.text, style="List Bullet" if part.style == "bullet" else None)
        table = None
    raw = io.BytesIO()
    document.save(raw)
    return gen._deterministic_zip(raw.getvalue())


def _pdf_escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def render_pdf(paragraphs: list[str], *, lines_per_page: int = 48, width: int = 88) -> bytes:
    """A minimal PDF 1.4 with a real text layer (Helvetica, WinAnsi), one paragraph never split over pages."""
    pages: list[list[str]] = [[]]
    for para in paragraphs:
        lines = textwrap.wrap(para, width=width, break_on_hyphens=False) + [""]
        if len(pages[-1]) + len(lines) > lines_per_page and pages[-1]:
            pages.append([])
        pages[-1].extend(lines)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               ("<< /Type /Pages /Kids [" + " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
                + f"] /Count {len(pages)} >>").encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, lines in enumerate(pages):
        ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"72 780 Td"]
        ops += [(b"(" + _pdf_escape(line) + b") Tj T*") if line else b"T*" for line in lines]
        stream = b"\n".join([*ops, b"ET"])
        objects.append((f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R "
                        f">> >> /Contents {5 + 2 * i} 0 R >>").encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def render_eml(doc: Doc) -> bytes:
    """An e-mail reply: the writer's text on top, the quoted chain below; W05 also has an HTML part."""
    own = [p.text for p in doc.parts if p.kind != NOT_READ]
    quoted = [p.text for p in doc.parts if p.kind == NOT_READ]
    message = EmailMessage()
    message["From"] = doc.sender
    message["To"] = "Community Palliative Care Review <review@example.org>"
    message["Subject"] = "Re: Community palliative care review - your views"
    message["Date"] = "Fri, 30 May 2025 18:22:05 +0100" if doc.doc_id == "W03" else "Fri, 6 Jun 2025 08:41:10 +0100"
    message["Message-ID"] = f"<{doc.doc_id.lower()}.example@example.org>"
    plain = "\n\n".join(own) + "\n\n" + "\n".join(quoted) + "\n"
    message.set_content(plain)
    if doc.doc_id == "W05":
        html = "".join(f"<p>{t.replace(chr(10), '<br>')}</p>" for t in own)
        message.add_alternative(f"<html><body>{html}<blockquote>{'<br>'.join(quoted)}</blockquote></body></html>",
                                subtype="html")
        message.set_boundary(f"=={doc.doc_id}-example-boundary==")
    return message.as_bytes(policy=SMTP)


def _render(doc: Doc) -> bytes:
    suffix = Path(doc.file).suffix
    if suffix == ".docx":
        return render_docx(doc)
    if suffix == ".pdf":
        return render_pdf([p.text for p in doc.parts if p.kind != NOT_READ])
    if suffix == ".eml":
        return render_eml(doc)
    text = render_text(doc, markdown=suffix == ".md")
    if doc.doc_id == "W04":  # a letter typed in Windows: cp1252, CRLF
        return text.replace("\n", "\r\n").encode("cp1252")
    return text.encode("utf-8")


# ---------------------------------------------------------------------------
# Truth, index and README section
# ---------------------------------------------------------------------------
def _planted(ids: dict[str, str], docs: tuple[Doc, ...]) -> list[tuple[str, str, str]]:
    """(document id, kind, value) of every planted identifier, names included."""
    names = {
        "I01": ("Patrick", "Joan Murphy", "Sister Mary Doyle"), "I02": ("Grace Okafor", "Priya"),
        "I05": ("Green",), "I09": ("Evans",), "W01": ("Bernadette Walker",), "W02": ("Dr Alan Whitfield",),
        "W03": ("Ahmed Hussain", "Grace Okafor"), "W04": ("Irene Campbell",), "W05": ("Yusuf", "Tom Hughes"),
        "W06": ("Rahman",), "E02": ("Tom Hughes", "Hannah Wright"),
    }
    out = []
    for doc in docs:
        out += [(doc.doc_id, "name", n) for n in names.get(doc.doc_id, ())]
        suffix = doc.doc_id.lower()
        out += [(doc.doc_id, key.split("_")[0].replace("nhs", "nhs_number"), value)
                for key, value in ids.items() if key.endswith(suffix)]
    return out


def truth_rows(docs: tuple[Doc, ...], ids: dict[str, str]) -> list[dict[str, object]]:
    """One line per passage (and per part never read): kind, planted themes and identifiers."""
    planted = _planted(ids, docs)
    rows = []
    for doc in docs:
        mine = [(k, v) for d, k, v in planted if d == doc.doc_id]
        read = passage_texts(doc)
        numbered = [(n, part, text) for n, (part, text) in enumerate(read, start=1)]
        numbered += [(None, p, " ".join(p.text.split())) for p in doc.parts if p.kind == NOT_READ]
        for number, part, text in numbered:
            found = [f"{k}={v}" for k, v in mine for _ in re.finditer(rf"(?<!\w){re.escape(v)}(?!\w)", text)]
            rows.append({
                "document_id": doc.doc_id, "file": f"{FOLDER}/{doc.file}", "channel": doc.channel,
                "passage_no": "" if number is None else number,
                "kind": part.kind if number is not None else f"{NOT_READ}: {part.why}",
                "themed": part.kind in THEMED and number is not None,
                "theme_ids": "|".join(map(str, part.themes)), "consent_to_quote": doc.consent,
                "identifiers": " | ".join(found),
            })
    return rows


def index_rows(docs: tuple[Doc, ...]) -> list[dict[str, str]]:
    rows = [{"document_id": d.doc_id, "document_file": f"{FOLDER}/{d.file}", "channel": d.channel_raw,
             "date": d.date_raw, "borough": d.borough_raw, "respondent_type": d.type_raw,
             "consent_to_quote": d.consent_raw, "name": d.author} for d in docs]
    return rows


def readme_section(docs: tuple[Doc, ...], truth: list[dict[str, object]]) -> str:
    """The README's documents section: files, passages, planted themes by channel, identifiers."""
    md = gen._md_table
    channels = ("Interview", "Written submission", "Event")
    n_docs = Counter(d.channel for d in docs)
    lines = ["## d. Qualitative documents (interviews, written submissions, event notes)\n",
             f"`{INDEX_FILE}` indexes {len(docs)} documents in `{FOLDER}/` ("
             + ", ".join(f"{n_docs[c]} {label}" for c, label in zip(
                 channels, ("interviews", "written submissions", "event notes"), strict=True))
             + "), one data row each. Headers: " + ", ".join(f"`{h}`" for h in INDEX_HEADERS.values())
             + ". Channels, dates, boroughs and respondent types are written in the messy variants the "
             "standardisers map (\"1:1 interview\", \"Letter\", \"Webinar\", \"H&F\", \"Hillingdom\", \"Ealling\", "
             "a blank borough for an online webinar, \"2 June 2025\"); one consent cell is blank, which "
             "cleaning logs and treats as no consent. Documents are named relative to the index's folder. "
             f"`{GROUND_TRUTH_DOCUMENTS}` is generator ground truth (not an input): one line per passage "
             "(document_id, file, channel, passage_no, kind, themed = sent to theming, planted theme_ids, "
             "consent_to_quote, identifiers as `kind=value | ...`) and one per part never read (passage_no "
             "blank).\n"]
    file_rows = []
    for d in docs:
        passages = [t for t in truth if t["document_id"] == d.doc_id and t["passage_no"] != ""]
        themed = [t for t in passages if t["themed"]]
        file_rows.append((d.doc_id, f"`{d.file}`", d.channel, len(passages), len(themed),
                          ", ".join(sorted({x for t in themed for x in str(t["theme_ids"]).split("|") if x},
                                           key=int)) or "-",
                          {"": "blank (treated as no)"}.get(d.consent_raw, d.consent_raw)))
    lines.append(md(("id", "file", "channel", "passages", "themed", "planted themes", "consent to quote"),
                     file_rows) + "\n")
    n_pass = sum(1 for t in truth if t["passage_no"] != "")
    n_themed = sum(1 for t in truth if t["themed"])
    kinds = Counter(str(t["kind"]) for t in truth if t["passage_no"] != "" and not t["themed"])
    plural = {TURN_I: "interviewer turns", HEADING: "headings", PREAMBLE: "lines before a transcript's first turn"}
    lines.append(f"Passages: {n_pass}, of which {n_themed} are themed (paragraphs, bullets, table rows and "
                 "participants' turns: the respondents' words) and " + ", ".join(
                     f"{v} {plural.get(k, k)}" for k, v in sorted(kinds.items())) + " are counted but not themed. "
                 f"{sum(1 for d in docs if not d.consent)} documents may not be quoted: "
                 + ", ".join(d.doc_id for d in docs if not d.consent) + ".\n")
    rows = []
    for theme in sorted({int(x) for t in truth if t["themed"] for x in str(t["theme_ids"]).split("|") if x}):
        per = []
        for c in channels:
            raising = {t["document_id"] for t in truth if t["themed"] and t["channel"] == c
                       and str(theme) in str(t["theme_ids"]).split("|")}
            per.append(f"{len(raising)} of {n_docs[c]}")
        n_passages = sum(1 for t in truth if t["themed"] and str(theme) in str(t["theme_ids"]).split("|"))
        rows.append((theme, gen.THEME_BY_ID[theme].name, *per, n_passages))
    lines.append("Planted themes (codebook ids), as documents raising each theme per channel:\n")
    lines.append(md(("theme id", "theme", "interviews", "written submissions", "event notes", "passages"), rows)
                 + "\n")
    where = Counter()
    for t in truth:
        for item in filter(None, str(t["identifiers"]).split(" | ")):
            kind = item.split("=", 1)[0]
            place = ("themed passages" if t["themed"] else
                     "not read (quoted replies, page headers)" if t["passage_no"] == "" else "passages not themed")
            where[(kind, place)] += 1
    lines.append("Identifiers planted in the documents (each occurrence counted; names include staff names, "
                 "relatives and sign-offs). Those in themed passages must come out as placeholders; those in "
                 "parts never read must never appear at all:\n")
    lines.append(md(("identifier kind", "where", "count"), [(k, p, c) for (k, p), c in sorted(where.items())])
                 + "\n")
    return "\n".join(lines)


@dataclass
class WrittenDocuments:
    """What :func:`write_documents` wrote and the README section describing it."""

    paths: list[Path] = field(default_factory=list)
    readme: str = ""

    def insert_into(self, readme: str) -> str:
        """The main README with the documents section as its section d (after c, before e or the ground truth)."""
        for marker in ("\n## e. ", "\n## Mess", "\n## Regenerate"):
            if marker in readme:
                return readme.replace(marker, "\n" + self.readme + marker, 1)
        return readme + "\n" + self.readme


def write_documents(out_dir: Path, seed: int = gen.DEFAULT_SEED) -> WrittenDocuments:
    """Write the documents, their index and their ground truth under ``out_dir``.

    Parameters
    ----------
    out_dir
        The example's raw folder; documents go to ``out_dir/documents/``.
    seed
        Seed for the planted phone numbers, NHS numbers and e-mail addresses.

    Returns
    -------
    WrittenDocuments
        Every file written (documents, index, ground truth) and the README section.
    """
    ids = _identifiers(seed)
    docs = _documents(ids)
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    result = WrittenDocuments()
    for doc in docs:
        path = folder / doc.file
        path.write_bytes(_render(doc))
        result.paths.append(path)
    index = Path(out_dir) / INDEX_FILE
    gen._write_csv(index, INDEX_HEADERS, index_rows(docs), encoding="utf-8")
    truth = truth_rows(docs, ids)
    path = Path(out_dir) / GROUND_TRUTH_DOCUMENTS
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(truth[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth)
    result.paths += [index, path]
    result.readme = readme_section(docs, truth)
    return result


