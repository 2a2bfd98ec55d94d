"""Deterministic synthetic example data for the toolkit (no real person appears in it).

Longer than 500 lines: the synthetic example's generator (not part of the runtime package): every
planted effect, theme, mess and identifier with its ground truth, kept together so the ground truth
cannot drift from what is planted.

``make_example`` writes the raw files that ``config/example.yaml`` reads, in the
shapes real NHS involvement and engagement teams hold them: three exports of an
annual involvement survey from three survey systems (cp1252 CSV with numeric
codes, an Excel workbook with text labels, a UTF-8-with-BOM CSV with a mix of
both), a palliative-care service review (survey CSV, activity log workbook and
an illustrative population benchmark) and a "you said, we did" actions log.

Every messy variant it writes comes from the raw-data mess contract shared with
the standardisers (the only variants cleaning is promised to map), and every
planted effect, theme, identifier and piece of mess is recorded in ground-truth
files and in a generated README, so that the cleaning, theming and statistics
stages can be tested against known answers.

The output is byte-identical for the same seed: one ``numpy`` ``Generator``
(split with ``spawn`` so that each dataset has its own stream), fixed workbook
metadata and fixed zip timestamps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analysis.core import paths, vocab

DEFAULT_SEED = 20251123

#: Waves of the annual involvement survey (no survey ran in 2020, the first pandemic year).
WAVES: tuple[int, ...] = (2019, 2021, 2022, 2023, 2024, 2025)
#: Respondents per wave after cleaning (invalid rows, duplicates and superseded resubmissions come on top).
WAVE_SIZES: dict[int, int] = {2019: 290, 2021: 265, 2022: 330, 2023: 365, 2024: 410, 2025: 435}
#: Share of each wave's respondents who answered an earlier wave too (drives ~30% of people in several waves).
RETURN_SHARE = 0.35
STAFF_SHARE = 0.45
#: Share of people with a persistent involvement member id; the rest leave it blank every time.
MEMBER_ID_SHARE = 0.93

ITEM_IDS: tuple[str, ...] = (
    "real_improvements", "personal_impact", "heard_equally",
    "involved_early", "told_outcome", "well_supported",
)
STAFF, EBE = vocab.INVOLVEMENT_GROUPS
#: The five names the config always redacts (config/example.yaml deidentification.staff_names).
STAFF_NAMES: tuple[str, ...] = (
    "Priya Raman", "Tom Hughes", "Grace Okafor", "Dr Alan Whitfield", "Sister Mary Doyle",
)
FIXED_TIMESTAMP = dt.datetime(2025, 11, 23, 9, 0, 0)

# --------------------------------------------------------------------------------------
# Planted Likert effects: P(Agree or Strongly agree | a valid 1..5 answer)
# --------------------------------------------------------------------------------------


def _linear(start: float, end: float) -> dict[int, float]:
    """Probability rising in equal yearly steps from 2019 to 2025 (2020 counted as a year)."""
    return {w: round(start + (end - start) * (w - 2019) / 6, 4) for w in WAVES}


def _flat(value: float) -> dict[int, float]:
    return {w: value for w in WAVES}


#: item -> group -> wave -> generating probability of a positive answer among valid answers.
P_POSITIVE: dict[str, dict[str, dict[int, float]]] = {
    "real_improvements": {STAFF: _linear(0.70, 0.86), EBE: _linear(0.70, 0.86)},
    "personal_impact": {STAFF: _flat(0.88), EBE: _flat(0.88)},
    "heard_equally": {STAFF: _flat(0.85), EBE: _flat(0.68)},
    "involved_early": {STAFF: _flat(0.62), EBE: _flat(0.56)},
    "told_outcome": {STAFF: _linear(0.45, 0.60), EBE: _linear(0.45, 0.60)},
    "well_supported": {STAFF: _flat(0.80), EBE: _flat(0.80)},
}
EFFECT_DESCRIPTIONS: dict[str, str] = {
    "real_improvements": "rising steadily, 70% (2019) to 86% (2025), both groups",
    "personal_impact": "NO TRUE CHANGE: identical generating probabilities every wave, both groups (null item)",
    "heard_equally": "persistent gap, flat over time: staff 85% vs experts by experience 68%",
    "involved_early": "flat: staff 62%, experts by experience 56%, every wave",
    "told_outcome": "low but rising, 45% (2019) to 60% (2025), both groups",
    "well_supported": "flat: 80% both groups, every wave",
}
#: Split of the positive mass (Agree, Strongly agree) and of the rest (Neither, Disagree, Strongly disagree).
POSITIVE_SPLIT = (0.60, 0.40)
NEGATIVE_SPLIT = (0.45, 0.35, 0.20)
#: P(Don't know) per item, before the 1..5 draw.
DK_RATE: dict[str, float] = {
    "real_improvements": 0.07, "personal_impact": 0.05, "heard_equally": 0.06,
    "involved_early": 0.08, "told_outcome": 0.08, "well_supported": 0.05,
}
NA_RATE = 0.01          # "Not applicable" (2022 onwards only: the old system had no such option)
ITEM_BLANK_RATE = 0.015  # an item skipped in an otherwise complete response
PARTIAL_RATE = 0.05      # respondent stopped part-way: later items and both open questions blank


def likert_vector(p_positive: float) -> tuple[float, float, float, float, float]:
    """Generating probabilities of codes 1..5 (Strongly disagree..Strongly agree) for one cell.

    Parameters
    ----------
    p_positive
        P(Agree or Strongly agree) among valid answers.

    Returns
    -------
    tuple of five floats summing to 1.
    """
    q = 1.0 - p_positive
    sd, d, n = q * NEGATIVE_SPLIT[2], q * NEGATIVE_SPLIT[1], q * NEGATIVE_SPLIT[0]
    a, sa = p_positive * POSITIVE_SPLIT[0], p_positive * POSITIVE_SPLIT[1]
    return (sd, d, n, a, sa)


# --------------------------------------------------------------------------------------
# Themes and phrase banks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A planted open-text theme and the phrase bank comments are composed from.

    Fragments may start with a voice tag: ``S|`` staff, ``E|`` expert by experience,
    ``P|`` health or care professional, ``F|`` resident or carer. Untagged fragments
    suit anyone. ``cores``/``details``/``shorts`` give the critical framing
    (make_better, should_change) or the only framing; ``pos_*`` the praise framing
    used for works_well.
    """

    id: int
    name: str
    description: str
    seed_words: tuple[str, ...]
    questions: tuple[str, ...]
    openers: tuple[str, ...] = ()
    cores: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    shorts: tuple[str, ...] = ()
    pos_cores: tuple[str, ...] = ()
    pos_details: tuple[str, ...] = ()
    pos_shorts: tuple[str, ...] = ()

    def fragments(self) -> set[str]:
        """Distinct fragments in the bank (the corpus-variety measure)."""
        return set(self.openers + self.cores + self.details + self.shorts
                   + self.pos_cores + self.pos_details + self.pos_shorts)


THEMES: tuple[Theme, ...] = (
    Theme(
        1, "Changed service design",
        "Involvement changed how a service, leaflet or pathway was designed",
        ("changed", "redesign", "co-designed", "leaflet", "pathway", "service design"),
        ("difference_made",),
        openers=("The biggest thing is", "Most obviously", "In our team", "A good example,"),
        cores=(
            "we changed {project} because of what patients told us",
            "{project} was completely rewritten after we went through it line by line",
            "E|I saw my suggestions actually end up in {project}",
            "the way {service} books appointments was changed after our feedback",
            "we co-designed {project} with the people who use it",
            "patients helped redesign {project} and it is much better now",
            "you can see real changes in {service}, things we asked for",
            "our input shaped the new pathway from the start",
            "the service was redesigned around what families said mattered",
            "{project} now has things in it that only came from experts by experience",
            "the changes to {project} came straight from the group",
            "they moved the clinic times because carers said evenings were impossible",
            "S|our service plans now start with what patients and carers tell us",
        ),
        details=(
            "it took a while but it got there",
            "not everything we asked for but a lot of it",
            "staff say it has cut down complaints",
            "which I never thought would happen",
            "and other teams are now copying it",
            "the old version was confusing for everyone",
            "it felt like a proper partnership for once",
            "patients on the ward have noticed the difference",
        ),
        shorts=("Changed {project}", "real changes to services", "service redesign", "new leaflets and letters"),
    ),
    Theme(
        2, "Confidence and skills",
        "Personal growth: confidence, new skills, routes back into work",
        ("confidence", "skills", "training", "recovery", "self esteem", "cv"),
        ("difference_made",),
        openers=("Personally,", "On a personal level", "For me", "Speaking for myself"),
        cores=(
            "E|it has given me so much more confidence",
            "E|I have learnt skills I never thought I would have, like chairing a meeting",
            "E|being involved helped me get back into work",
            "I feel more confident speaking up, in meetings and in my own care",
            "I have done training in interviewing and presenting",
            "E|it got me out of the house and gave me a reason to get up",
            "E|I now help facilitate sessions which I could never have done two years ago",
            "E|my self esteem has really improved",
            "E|I went from being too anxious to speak to presenting to the board",
            "E|it helped my recovery more than any medication",
            "I have gained experience that I have put on my CV",
            "S|it has made me better at explaining things to patients",
            "S|I have learnt a lot about running co-production sessions",
        ),
        details=(
            "E|I am now applying for peer support worker jobs",
            "my family have noticed a change in me",
            "the training sessions were really good",
            "I still get nervous but I do it anyway",
            "E|it has been a big part of my recovery",
            "I would recommend it to anyone",
            "thanks to the involvement team for believing in me",
        ),
        shorts=("more confident", "confidence!!", "new skills", "I have grown so much"),
    ),
    Theme(
        3, "Being listened to",
        "Feeling heard, valued and treated as an equal",
        ("listened", "heard", "valued", "voice", "equal", "respected"),
        ("difference_made",),
        openers=("Honestly", "Most of all", "The main thing is", "Above everything"),
        cores=(
            "E|for the first time I feel like my voice actually counts",
            "E|I feel listened to and taken seriously",
            "staff really listen now instead of just ticking a box",
            "people at {meeting} treat us as equals",
            "it feels like our experience is valued",
            "they actually want to hear what it is like from our side",
            "E|being heard has made a huge difference after years of being ignored",
            "E|my views are respected even when they are not what staff want to hear",
            "E|I feel like I am part of the team rather than a token patient",
            "the managers listen and ask follow up questions",
            "S|patients' voices are now heard at {meeting} and it shows",
            "being able to tell my story and have it taken seriously",
        ),
        details=(
            "which means a lot after everything",
            "even if things don't always change",
            "that was not the case a few years ago",
            "it makes me want to keep going",
            "it is nice to be asked",
            "not just a tick box exercise",
        ),
        shorts=("being listened to", "feeling heard", "my voice counts", "they listen"),
    ),
    Theme(
        4, "Peer connection",
        "Friendship, belonging and support from others with lived experience",
        ("friends", "peer", "community", "less alone", "group", "isolated"),
        ("difference_made",),
        openers=("Socially,", "Apart from anything else", "The best bit is"),
        cores=(
            "E|I have met people who understand what I have been through",
            "I have made real friends through {meeting}",
            "it is good to be around others with lived experience",
            "E|meeting other carers made me feel less alone",
            "the group has become like a second family",
            "we support each other outside the meetings too",
            "I feel part of a community now",
            "E|talking to other patients has helped me more than I expected",
            "the peer support from the group keeps me going",
            "E|it helped with loneliness, I was very isolated before",
            "S|the peer network has brought staff and patients closer together",
        ),
        details=(
            "we have a whatsapp group now",
            "we go for a coffee after meetings",
            "especially during the bad times",
            "I did not expect that when I joined",
            "it is a lovely group of people",
        ),
        shorts=("friendship", "not feeling alone", "met great people", "peer support"),
    ),
    Theme(
        5, "Better information for patients",
        "Clearer letters, leaflets and web information because people with lived experience checked them",
        ("information", "leaflets", "plain english", "easy read", "letters", "website"),
        ("difference_made",),
        openers=("One good example:", "Practically,", "A concrete change is"),
        cores=(
            "the information patients get is much clearer now",
            "leaflets are written in plain English because we checked them",
            "{project} is easier to understand since the reading panel looked at it",
            "patients get better information before appointments",
            "we made easy read versions of the letters",
            "the website now explains what to expect in plain language",
            "the information is translated into more languages",
            "families now get a proper information pack when someone is admitted",
            "the discharge information is clearer so fewer people ring back confused",
            "we fixed the letters that used to scare people",
        ),
        details=(
            "which reduces anxiety for people",
            "patients have said they find it really helpful",
            "still more to do on other leaflets",
            "the GP practices like it too",
            "the old ones were full of jargon",
        ),
        shorts=("clearer leaflets", "better info", "plain English letters", "easy read info"),
    ),
    Theme(
        6, "Shaping staff recruitment and training",
        "Experts by experience on interview panels and co-delivering staff training",
        ("interview panel", "recruitment", "staff training", "induction", "student nurses"),
        ("difference_made",),
        openers=("Something I am proud of:", "A big one for me", "Also"),
        cores=(
            "experts by experience now sit on interview panels for new staff",
            "E|I helped interview the new ward manager",
            "we co-deliver training to new staff about what it is like to be a patient",
            "staff induction now includes a session run by people with lived experience",
            "patients have a say in who gets hired",
            "E|I talk to student nurses about my experiences",
            "we helped write the questions for recruitment",
            "our stories are used in staff training",
            "S|having a patient on the panel changed who we appointed",
        ),
        details=(
            "the staff say it is the most useful part",
            "it changes how they think about patients",
            "E|I get paid for it which helps",
            "it is hard work but worth it",
        ),
        shorts=("interview panels", "staff training", "recruitment panels"),
    ),
    Theme(
        7, "Nothing has changed",
        "No visible difference; involvement felt tokenistic",
        ("nothing changed", "tick box", "no difference", "same problems", "tokenistic"),
        ("difference_made",),
        openers=("Sadly", "To be honest", "Truthfully"),
        cores=(
            "honestly I cannot see that anything has changed",
            "we give our views but nothing seems to happen",
            "it feels like a tick box exercise",
            "decisions are already made before we are asked",
            "same problems year after year",
            "I have not seen any real difference to be honest",
            "lots of meetings, not much change",
            "we said the same things last year and nothing came of it",
            "it makes no difference, the managers do what they want anyway",
            "very little, things are still as bad for patients",
            "not sure it has made any difference at all",
        ),
        details=(
            "which is really disappointing",
            "I am starting to wonder why I bother",
            "maybe it is happening behind the scenes but we do not hear about it",
            "people are losing faith in it",
            "sorry to be negative",
            "I hope that changes",
        ),
        shorts=("Nothing has changed", "not much", "very little tbh", "no difference", "tick box"),
    ),
    Theme(
        8, "Feedback on what happened",
        "Being told what changed as a result of input (closing the loop)",
        ("feedback", "told", "outcome", "heard back", "update", "you said we did"),
        ("make_better",),
        openers=("Most importantly", "Please", "Number one for me:", "Simple really,"),
        cores=(
            "tell us what happened after we gave our views",
            "more feedback on what changed as a result",
            "we never hear back about what was done with our input",
            "a 'you said, we did' update after every meeting would help",
            "let people know the outcome, even if the answer is no",
            "close the loop, we give our time and then hear nothing",
            "send a short update a few months later about what happened",
            "feedback to the people who took part, not just the managers",
            "a newsletter showing what our input led to",
            "explain why things we suggested did not happen",
            "E|I would like to know if my comments made any difference",
            "report back at the next meeting what was decided",
            "S|we need a proper way to report back to patients on what changed",
        ),
        details=(
            "otherwise it feels pointless",
            "people stop coming when they hear nothing",
            "even a quick email would do",
            "it would keep people motivated",
            "this has been said many times before",
            "we are not asking for much",
        ),
        shorts=("more feedback pls", "feedback!", "tell us the outcome", "hear back", "you said we did"),
    ),
    Theme(
        9, "Earlier involvement",
        "Involving people at the start, before decisions are made",
        ("earlier", "start", "from the beginning", "design stage", "already decided"),
        ("make_better",),
        openers=("Key thing:", "Above all", "Honestly"),
        cores=(
            "involve us at the start, not when decisions are already made",
            "ask patients earlier in the process",
            "bring us in at the design stage not at the end for sign off",
            "too often we are asked to comment on something that is already finished",
            "get experts by experience involved from day one of a project",
            "involve people before the plans are written",
            "include us when the problem is being defined",
            "earlier involvement so we can actually influence things",
            "we should be in the room when the options are decided",
            "S|build involvement into project plans from the very start",
        ),
        details=(
            "otherwise it is just consultation",
            "by the time we see it, it is too late to change",
            "that is what co-production actually means",
            "staff need time built into projects for this",
        ),
        shorts=("earlier involvement", "involve us earlier", "at the start!", "earlier"),
    ),
    Theme(
        10, "Payment and expenses",
        "Fair, prompt payment and expenses for experts by experience",
        ("payment", "expenses", "pay", "voucher", "travel", "benefits"),
        ("make_better",),
        openers=("Practical point:", "Money wise", "One thing that would help:"),
        cores=(
            "pay people properly for their time",
            "E|expenses take far too long to come through",
            "E|I was out of pocket for travel for weeks",
            "a fair payment rate for experts by experience",
            "E|the £20 voucher does not cover my time",
            "make the payment process simpler, the forms are a nightmare",
            "E|payment worries me because of my benefits",
            "reimburse travel on the day instead of months later",
            "pay us the same as other professionals in the room",
            "clear guidance on payment and how it affects benefits",
            "cover the cost of a carer so people can attend",
            "S|the payment policy is too complicated for staff to use",
        ),
        details=(
            "E|I cannot afford to keep paying up front",
            "it is a barrier for a lot of people",
            "some of us are on low incomes",
            "it is about respect really",
            "E|I nearly gave up because of it",
            "other trusts pay £25 an hour",
        ),
        shorts=("pay us", "faster expenses", "payment", "pay people fairly", "expenses!!"),
    ),
    Theme(
        11, "Accessible meetings and venues",
        "Step-free venues, papers in advance and in accessible formats, workable times",
        ("accessible", "venue", "step free", "papers", "large print", "hearing loop"),
        ("make_better",),
        openers=("Access wise", "As a wheelchair user", "For disabled members"),
        cores=(
            "hold meetings somewhere with step free access",
            "venues need to be accessible, the last one had no lift",
            "papers should be sent out in advance and in large print",
            "meetings at times that work for people who work or care",
            "provide a hearing loop and BSL interpreters",
            "better venues near public transport",
            "shorter meetings with proper breaks",
            "make the papers accessible for people with learning disabilities",
            "the room was too hot and noisy to hear anyone",
            "send papers as word documents for screen readers",
            "some meetings in the evening for working people",
        ),
        details=(
            "I had to leave early because I could not cope",
            "it puts disabled people off",
            "it is basic stuff really",
            "parking was also a problem",
            "not everyone can get to central London",
        ),
        shorts=("accessible venues", "step free access pls", "papers in advance", "better venues"),
    ),
    Theme(
        12, "Training and support",
        "Induction, training, mentoring and debriefs for people who get involved",
        ("training", "support", "induction", "mentor", "debrief", "buddy"),
        ("make_better",),
        openers=("For new people", "Support wise", "From my experience"),
        cores=(
            "more training for new members so they know what to expect",
            "better support after difficult meetings",
            "a buddy or mentor when you first join",
            "training on how the NHS works and who makes decisions",
            "support to prepare before meetings",
            "staff need training on how to involve people properly",
            "a proper induction for experts by experience",
            "someone to debrief with after sharing your story",
            "training in chairing and presenting",
            "more support from the involvement team between meetings",
        ),
        details=(
            "it can be overwhelming at first",
            "sharing your experience can bring things back",
            "E|I felt thrown in at the deep end",
            "the team is stretched though",
        ),
        shorts=("more training", "support", "induction", "mentoring"),
    ),
    Theme(
        13, "Diverse voices",
        "Reaching beyond the usual faces: young people, ethnic minority and faith communities",
        ("diverse", "young people", "communities", "ethnic minority", "same faces", "reach"),
        ("make_better",),
        openers=("Looking at who is in the room", "Importantly", "Also"),
        cores=(
            "involve a wider range of people not the same few faces",
            "we need more young people involved",
            "reach out to ethnic minority communities",
            "the group is mostly white and older, it does not reflect our patients",
            "go to community groups instead of expecting people to come to us",
            "include people whose first language is not English",
            "more men and more people from LGBTQ+ communities",
            "hear from people who are not happy with services, not just the ones who are",
            "work with faith groups and mosques and temples to reach people",
            "interpreters so more people can take part",
        ),
        details=(
            "otherwise we only hear one side",
            "the same people get asked every time",
            "our patients are very diverse",
            "community organisations can help with this",
        ),
        shorts=("more diverse voices", "wider range of people", "more young people", "diversity"),
    ),
    Theme(
        14, "Less jargon",
        "Plain English in meetings and papers; fewer acronyms",
        ("jargon", "acronyms", "plain english", "abbreviations", "glossary"),
        ("make_better",),
        openers=("Please", "Small thing but", "Simple one:"),
        cores=(
            "less jargon and fewer acronyms",
            "plain English in meetings please",
            "staff talk in acronyms and I have no idea what they mean",
            "papers are full of NHS jargon",
            "explain the terms being used, not everyone knows what an ICB is",
            "too many abbreviations in the papers",
            "use everyday language so everyone can follow",
            "a glossary would help",
        ),
        details=(
            "I felt stupid asking every time",
            "it makes people feel excluded",
            "half the room were lost",
            "it is a barrier for people like me",
        ),
        shorts=("less jargon", "no acronyms!", "plain English", "jargon"),
    ),
    Theme(
        15, "Online vs in-person",
        "The format of meetings: online, face to face or hybrid",
        ("online", "face to face", "hybrid", "teams", "zoom", "in person"),
        ("make_better",),
        openers=("Since the pandemic", "Format wise", "Honestly"),
        cores=(
            "keep an online option, I cannot always travel",
            "more face to face meetings, online is not the same",
            "hybrid meetings so people can choose",
            "online meetings exclude people without internet or a laptop",
            "teams meetings are easier for me because of my health",
            "go back to meeting in person sometimes",
            "help people get online with devices and data",
            "the hybrid setup never works, people online cannot hear",
            "zoom is fine but we lose the chat over a cup of tea",
        ),
        details=(
            "since covid everything has moved online",
            "not everyone is comfortable with technology",
            "it saves me a long journey",
            "the sound quality is often poor",
        ),
        shorts=("hybrid meetings", "more face to face", "keep online option", "in person please"),
    ),
    Theme(
        16, "Nothing to improve",
        "Satisfied: nothing to change, keep it up",
        ("nothing to improve", "keep it up", "works well", "happy", "good work"),
        ("make_better",),
        openers=("Honestly,", "Really"),
        cores=(
            "nothing to improve, keep doing what you are doing",
            "it works well as it is",
            "I cannot think of anything, the team are great",
            "nothing really, very happy with how it runs",
            "keep up the good work",
            "it is already really good",
            "honestly nothing, I enjoy being involved",
            "no complaints from me",
        ),
        details=(
            "thanks to the involvement team",
            "they are always helpful",
            "well done everyone",
        ),
        shorts=("All good", "keep it up", "nothing to improve", "all fine", "its great as is"),
    ),
    Theme(
        17, "Coordination between services",
        "Services talking to each other; one point of contact; shared records and care plans",
        ("coordination", "joined up", "one point of contact", "share records", "handover", "key worker"),
        ("works_well", "should_change"),
        openers=("Biggest issue:", "Overall", "From start to finish"),
        cores=(
            "services don't talk to each other, we told our story again and again",
            "one point of contact who coordinates everything",
            "F|the hospital discharged mum without telling the district nurses",
            "records are not shared between the hospital, GP and hospice",
            "too many different teams and nobody in charge",
            "a single care plan that every service can see",
            "the handover between hospital and community is very poor",
            "P|GPs need to be better linked in with the palliative team",
            "social care and health need to work as one team",
        ),
        details=(
            "F|as a carer I became the coordinator and it exhausted me",
            "F|we had five different numbers to ring",
            "it caused delays in getting medication",
            "P|as a professional I see this every week",
            "nobody seemed to know the whole picture",
        ),
        shorts=("join up services", "one point of contact", "better coordination", "share records"),
        pos_cores=(
            "the district nurses, GP and hospice team all talked to each other",
            "F|having one key worker who coordinated everything",
            "the care coordinator made sure everyone knew the plan",
            "the GP and the palliative team worked together really well",
            "P|multi-disciplinary meetings mean nobody falls through the gaps",
            "F|information was shared so we didn't have to repeat ourselves",
        ),
        pos_details=(
            "it made a huge difference at a very hard time",
            "F|we always knew who to call",
            "it felt joined up for once",
        ),
        pos_shorts=("joined up care", "good coordination", "key worker"),
    ),
    Theme(
        18, "Out-of-hours support",
        "Help at night and at weekends: advice line, visits, medicines",
        ("out of hours", "night", "weekend", "24/7", "111", "advice line"),
        ("works_well", "should_change"),
        openers=("Urgently,", "Most of all", "The worst part"),
        cores=(
            "there is no help at night or weekends",
            "F|we waited six hours for a nurse to come out at night",
            "24/7 support for people dying at home",
            "the out of hours number just went to voicemail",
            "weekend cover is terrible, everything stops on Friday afternoon",
            "out of hours GPs don't know the patient and won't give medication",
            "F|we ended up calling 999 because there was nobody else",
            "a night sitting service in every borough",
            "access to end of life drugs out of hours",
            "a single number to call day or night that is actually answered",
        ),
        details=(
            "F|mum ended up in A&E which is exactly what she did not want",
            "F|it was the most frightening night of my life",
            "111 had no idea what to do",
            "families are left on their own when it matters most",
            "this needs fixing urgently",
        ),
        shorts=("24/7 support", "out of hours!!", "nights and weekends", "someone to call at night"),
        pos_cores=(
            "the 24 hour advice line was a lifeline",
            "F|the night sitting service meant I could sleep",
            "F|a nurse came out at 2am when we needed her",
            "being able to ring the hospice at any time",
        ),
        pos_details=("F|I don't know what we would have done without it", "they were calm and kind"),
        pos_shorts=("24 hour line", "night sitters"),
    ),
    Theme(
        19, "Support for carers",
        "Practical and emotional support, respite and training for unpaid carers",
        ("carers", "respite", "carers assessment", "coping", "exhausted", "young carers"),
        ("works_well", "should_change"),
        openers=("For carers", "Please remember carers", "As a family"),
        cores=(
            "more support for carers, we are exhausted",
            "F|nobody asked how I was coping",
            "respite is almost impossible to get",
            "carers need training in giving medication and moving someone",
            "a carers assessment that actually leads to help",
            "F|I gave up work to care and got no support at all",
            "support for young carers looking after a parent",
            "help with the practical stuff, benefits, forms, blue badge",
        ),
        details=(
            "F|I was running on empty",
            "carers are the backbone of the system",
            "F|I didn't know what I was entitled to",
        ),
        shorts=("support carers", "respite please", "help for carers"),
        pos_cores=(
            "F|the carers support worker checked in on me every week",
            "respite care gave me a break when I really needed it",
            "the hospice offered counselling to the carer as well",
            "F|they asked how I was coping, not just about my husband",
        ),
        pos_details=("F|it kept me going", "I hope every carer gets the same"),
        pos_shorts=("support for me as carer", "respite"),
    ),
    Theme(
        20, "Dying at home / place of death",
        "Being able to die in the place of one's choosing; advance care plans followed",
        ("die at home", "place of death", "wishes", "advance care plan", "own bed"),
        ("works_well", "should_change"),
        openers=("At the end", "What mattered most"),
        cores=(
            "F|she wanted to die at home but ended up in hospital",
            "respect people's wishes about where they die",
            "advance care plans are not followed when an ambulance comes",
            "people should be asked early where they want to be at the end",
            "not enough support to make dying at home possible",
            "F|the hospital would not discharge him in time to go home",
        ),
        details=("it mattered so much to the whole family", "F|we only had days", "his wishes were clear"),
        shorts=("respect wishes", "choice of place of death"),
        pos_cores=(
            "F|dad was able to die at home like he wanted",
            "they respected mum's wishes to stay at home",
            "advance care planning meant her wishes were written down and followed",
            "the team made it possible for him to be in his own bed at the end",
        ),
        pos_details=("it mattered so much to the whole family", "it was peaceful"),
        pos_shorts=("died at home as wished", "wishes respected"),
    ),
    Theme(
        21, "Bereavement support",
        "Support for families after a death: follow-up, counselling, groups",
        ("bereavement", "after he died", "grief", "counselling", "follow up call"),
        ("works_well", "should_change"),
        openers=("Afterwards", "After the death"),
        cores=(
            "F|after he died the support just stopped",
            "bereavement support for families, not just a leaflet",
            "a follow up call after the death would mean a lot",
            "waiting lists for bereavement counselling are months long",
            "support for children who lose a parent",
            "F|nobody contacted us after she died",
        ),
        details=("grief hits you later", "F|I felt completely alone afterwards", "it is part of end of life care too"),
        shorts=("bereavement support", "aftercare for families"),
        pos_cores=(
            "F|the bereavement counsellor from the hospice helped me so much",
            "F|they phoned me a few weeks after mum died to check on me",
            "the bereavement group was really helpful",
        ),
        pos_details=("grief hits you later so it was needed", "F|I didn't feel forgotten"),
        pos_shorts=("bereavement group", "follow up call after"),
    ),
    Theme(
        22, "Communication and honesty",
        "Honest, clear, kind conversations about dying and what to expect",
        ("honest", "communication", "explained", "conversation", "what to expect"),
        ("works_well", "should_change"),
        openers=("Communication wise", "Simply"),
        cores=(
            "be honest with families about what is happening",
            "F|nobody told us he was dying until the last day",
            "doctors avoided the conversation",
            "clearer communication about what to expect at the end",
            "F|we got conflicting information from different staff",
            "talk to the patient not over them",
            "explain the medication and what it is for",
        ),
        details=("it helped us prepare", "we needed to know to say goodbye", "jargon made it worse"),
        shorts=("honest conversations", "better communication", "tell families the truth"),
        pos_cores=(
            "the consultant was honest with us about what was happening",
            "staff explained everything clearly and kindly",
            "they were open about how long he might have",
            "good communication from the palliative nurses",
        ),
        pos_details=("it helped us prepare", "we had time to say goodbye"),
        pos_shorts=("honesty", "clear explanations"),
    ),
    Theme(
        23, "Cultural and faith needs",
        "Care that respects culture, faith and language, including interpreters",
        ("culture", "faith", "interpreter", "language", "religious", "mosque"),
        ("works_well", "should_change"),
        openers=("In our community", "For families like mine"),
        cores=(
            "services need to understand different cultures and faiths",
            "information in other languages, not just English",
            "an interpreter was not available when we needed one",
            "respect faith needs around death, like quick burial",
            "the staff didn't understand our customs",
            "work with temples, mosques and churches to reach families",
            "many South Asian families don't know the hospice exists",
            "cultural training for staff",
        ),
        details=(
            "family members had to interpret which was not right",
            "it made a painful time harder",
            "there is a lot of stigma around talking about death",
        ),
        shorts=("interpreters", "cultural awareness", "faith needs"),
        pos_cores=(
            "the chaplain arranged for our imam to visit",
            "staff respected our religious customs after she passed",
        ),
        pos_details=("it meant a great deal to the family", "not every service gets this right"),
        pos_shorts=("faith respected",),
    ),
    Theme(
        24, "Equipment and care packages",
        "Timely equipment, reliable home care and continuing healthcare funding",
        ("equipment", "hospital bed", "care package", "agency", "fast track", "care hours"),
        ("works_well", "should_change"),
        openers=("Practically", "On the practical side"),
        cores=(
            "F|we waited weeks for a hospital bed",
            "care packages take too long to set up",
            "carers coming at different times, never the same person",
            "equipment should be delivered before discharge",
            "the care agency kept cancelling visits",
            "fast track funding took so long he died before it was agreed",
            "more care hours at home",
            "collecting equipment after the death took months",
        ),
        details=("it was very upsetting", "F|we had to buy things ourselves", "the paperwork was endless"),
        shorts=("faster equipment", "care packages", "reliable carers"),
        pos_cores=(
            "the hospital bed and equipment arrived the next day",
            "the care package was set up quickly",
            "the OT sorted everything we needed at home",
        ),
        pos_details=("it made caring at home possible", "no fuss at all"),
        pos_shorts=("quick equipment", "good care package"),
    ),
    Theme(
        25, "Hospice care praised",
        "Praise for hospice and palliative nursing care",
        ("hospice", "palliative nurses", "dignity", "wonderful", "amazing", "kind"),
        ("works_well",),
        openers=("Without doubt", "First of all", "I have to say"),
        pos_cores=(
            "the hospice was amazing, I cannot praise them enough",
            "the hospice staff treated mum with such dignity",
            "the care at the hospice was outstanding",
            "the hospice at home team were wonderful",
            "everyone at the hospice, from the nurses to the café staff, was kind",
            "the hospice gave dad peace at the end",
            "hospice day services kept her going for months",
            "the palliative nurses were angels",
            "P|the local hospice team are brilliant to work with",
        ),
        pos_details=(
            "nothing was too much trouble",
            "they looked after the whole family",
            "we will always be grateful",
            "they made a terrible time bearable",
            "I now volunteer there",
        ),
        pos_shorts=("the hospice", "hospice staff", "the palliative nurses", "brilliant hospice"),
    ),
)
THEME_BY_ID: dict[int, Theme] = {t.id: t for t in THEMES}
#: Leading themes deliberately left WITHOUT any action in the actions log.
NO_ACTION_THEMES: tuple[int, ...] = (10, 18)

# Theme prevalence: theme id -> (staff, expert by experience, relative change per year since 2019).
DIFFERENCE_MADE_WEIGHTS: dict[int, tuple[float, float, float]] = {
    1: (0.22, 0.14, 0.08), 2: (0.06, 0.20, 0.0), 3: (0.10, 0.20, 0.0), 4: (0.04, 0.12, 0.0),
    5: (0.16, 0.07, 0.03), 6: (0.10, 0.07, 0.0), 7: (0.13, 0.17, -0.09),
}
MAKE_BETTER_WEIGHTS: dict[int, tuple[float, float, float]] = {
    8: (0.25, 0.25, -0.05), 9: (0.12, 0.10, 0.0), 10: (0.04, 0.17, 0.0), 11: (0.04, 0.10, 0.0),
    12: (0.09, 0.08, 0.0), 13: (0.12, 0.05, 0.0), 14: (0.03, 0.09, 0.0), 15: (0.05, 0.06, 0.10),
    16: (0.13, 0.13, 0.0),
}
# Palliative review: theme id -> (resident, carer, health or care professional).
WORKS_WELL_WEIGHTS: dict[int, tuple[float, float, float]] = {
    25: (0.28, 0.26, 0.18), 22: (0.13, 0.14, 0.10), 19: (0.05, 0.12, 0.05), 17: (0.08, 0.08, 0.20),
    20: (0.09, 0.12, 0.10), 21: (0.07, 0.08, 0.04), 24: (0.06, 0.06, 0.08), 18: (0.04, 0.05, 0.06),
    23: (0.03, 0.02, 0.03),
}
SHOULD_CHANGE_WEIGHTS: dict[int, tuple[float, float, float]] = {
    18: (0.27, 0.27, 0.24), 17: (0.14, 0.14, 0.26), 19: (0.10, 0.24, 0.08), 24: (0.10, 0.10, 0.12),
    22: (0.11, 0.09, 0.07), 20: (0.08, 0.08, 0.10), 21: (0.08, 0.08, 0.05), 23: (0.07, 0.05, 0.08),
}
#: Asian and Black respondents raise cultural and faith needs more often (multiplier).
CULTURAL_THEME_BOOST = 2.5
ANSWER_RATE = {"difference_made": 0.64, "make_better": 0.60, "works_well": 0.74, "should_change": 0.84}
NON_ANSWER_RATE = {"difference_made": 0.13, "make_better": 0.12, "works_well": 0.14, "should_change": 0.10}
WHITESPACE_ANSWER_COUNT = 4  # per survey file: answers that are only spaces (not comments at all)
IDENTIFIER_RATE = 0.05

#: Non-answers exactly as the mess contract lists them (flagged downstream, not deleted).
NON_ANSWERS: tuple[str, ...] = (
    "N/A", "n/a", "NA", "nothing", "Nothing.", "nothing really", "Nothing to add", "no comment",
    "No comments", "none", "None.", "not sure", "don't know", "dont know", "-", ".", "no", "nope",
    "Nothing really",
)

PROJECTS = (
    "the discharge leaflet", "the new waiting room", "the crisis line script", "the appointment letters",
    "the carers' handbook", "the ward welcome pack", "the new website", "the memory clinic pathway",
    "the easy read leaflets", "the patient app", "the menu on the ward", "the signage at the hospital",
    "the referral form", "the visiting policy", "the care plan template",
)
MEETINGS = (
    "the patient panel", "the steering group", "the co-production group", "the reading panel",
    "the quality committee", "the service user forum", "the carers' forum", "the working group",
    "the involvement network",
)
SERVICES = (
    "the ward", "the community team", "the crisis team", "the memory clinic", "the CMHT", "the LD team",
    "the district nurses", "the outpatient clinic", "the recovery college", "the early intervention team",
)
GENERIC_OPENERS: dict[str, tuple[str, ...]] = {
    "staff": ("As a member of staff", "From a staff point of view", "Working with {service}",
              "Speaking for my team", "In my role"),
    "ebe": ("As a carer", "As someone with lived experience", "Speaking as a service user",
            "As a patient", "As an expert by experience"),
    "resident": ("In my experience", "From what I have seen", "When my neighbour was dying",
                 "My dad had cancer and", "Honestly"),
    "carer": ("As a carer", "When my mum was dying", "Looking after my husband", "When my wife was ill",
              "From our family's experience"),
    "professional": ("As a district nurse", "Speaking as a GP", "From a professional point of view",
                     "In my role as a social worker", "As a community nurse"),
}
#: Scene-setting sentences carrying no theme, which make some answers long and story-like.
CONTEXT: dict[str, tuple[str, ...]] = {
    "staff": ("I have worked here for about six years, mostly in {service}.",
              "I lead on involvement for my team alongside my clinical job.",
              "We have had a lot of staff changes this year so it has been hard to keep things going.",
              "I joined the involvement network last spring after a colleague recommended it."),
    "ebe": ("I have been involved for about three years now, mostly with {meeting}.",
            "I started getting involved after my own time on {service}.",
            "I care for my son who uses mental health services and joined to make things better for others.",
            "I was quite unwell a few years ago and this was part of getting back on my feet.",
            "I have been to most of the meetings this year, some online and some in person."),
    "resident": ("My father was diagnosed with cancer last year and was under the palliative team for eight months.",
                 "I live on my own and have been thinking about what would happen to me at the end.",
                 "My neighbour died at home in the spring and I helped the family where I could.",
                 "I went to one of the drop-in sessions at the library."),
    "carer": ("I looked after my wife for two years before she died in March.",
              "My mum had dementia and then cancer, and I was her main carer with my sister.",
              "I cared for my husband at home while working part time.",
              "Our son was 34 when he died, and we cared for him at home for the last months."),
    "professional": ("I have been a district nurse in the borough for eleven years.",
                     "I work in a GP practice and see a lot of patients at the end of life.",
                     "I am a social worker in the hospital discharge team.",
                     "I manage a care home with a lot of residents at the end of life."),
}
CLOSERS = ("Thank you.", "thanks", "Thanks for asking.", "Keep it up!", "Hope this helps.",
           "Just my opinion.", "That's all.", "many thanks", "Thank you for listening")
NEG_CLOSERS = ("Please do something.", "Sorry to moan.", "It really matters.", "Please listen.",
               "Something has to change.")
MISSPELLINGS = {
    "definitely": "definately", "receive": "recieve", "separate": "seperate", "a lot": "alot",
    "really": "realy", "because": "becuase", "meetings": "meetins", "appointment": "appointmnet",
    "their": "there", "information": "infomation", "experience": "experiance", "necessary": "neccessary",
    "wheelchair": "wheelchiar", "professional": "proffesional",
}
CONTRACTIONS = {
    "do not": "don't", "cannot": "can't", "did not": "didn't", "is not": "isn't", "I am": "I'm",
    "it is": "it's", "are not": "aren't", "does not": "doesn't", "could not": "couldn't",
}

# --------------------------------------------------------------------------------------
# People, places and identifiers (all synthetic)
# --------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Sarah", "James", "Mohammed", "Aisha", "David", "Fatima", "John", "Olu", "Chen", "Maria", "Tomasz",
    "Anita", "Kwame", "Emma", "Ravi", "Sophie", "Ahmed", "Zoë", "Renée", "Patrick", "Bernadette", "Yusuf",
    "Deepa", "Hannah", "Michael", "Amara", "Lucy", "Sunil", "Joan", "Kofi", "Irene", "Nadia", "Gareth",
    "Siobhan", "Hamid", "Leah", "Winston", "Margaret", "Ana", "Daniel",
)
LAST_NAMES = (
    "Smith", "Patel", "Khan", "Jones", "Ahmed", "Williams", "Begum", "Brown", "Singh", "Okoro", "Murphy",
    "Nowak", "Ali", "Taylor", "Shah", "Mensah", "Evans", "O'Brien", "Hussain", "Wilson", "Kaur", "Davies",
    "Ibrahim", "Clarke", "Gupta", "Walker", "Asante", "Campbell", "Wright", "Mistry", "Hall", "Da Silva",
    "Kowalski", "Chowdhury", "Green", "Rahman",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "example.co.uk", "mail.example.com")
URLS = (
    "https://www.example.org/involvement", "www.example.com/carers-support", "http://example.net/my-story",
    "https://forms.example.com/feedback?id=2231", "www.example.org.uk/hospice-news",
)
#: Real outward codes per borough with synthetic inward codes.
OUTWARD_CODES: dict[str, tuple[str, ...]] = {
    "Brent": ("NW10", "NW2", "HA0", "HA9", "NW6"),
    "Ealing": ("W5", "W13", "UB1", "UB6", "W3"),
    "Hammersmith and Fulham": ("W6", "W12", "W14", "SW6"),
    "Harrow": ("HA1", "HA2", "HA3", "HA5"),
    "Hillingdon": ("UB8", "UB10", "UB4", "HA4"),
    "Hounslow": ("TW3", "TW4", "TW7", "W4"),
    "Kensington and Chelsea": ("W8", "W10", "SW5", "SW7"),
    "Westminster": ("W2", "W9", "NW8", "SW1V"),
    vocab.BOROUGH_OTHER: ("KT1", "SL1", "WD17", "EN5"),
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

BOROUGH_ALIASES: dict[str, tuple[str, ...]] = {
    "Brent": ("London Borough of Brent", "LB Brent"),
    "Ealing": ("LB Ealing", "London Borough of Ealing"),
    "Hammersmith and Fulham": ("H&F", "Hammersmith & Fulham", "Hammersmith", "Fulham", "LBHF"),
    "Harrow": ("London Borough of Harrow", "LB Harrow"),
    "Hillingdon": ("LB Hillingdon", "London Borough of Hillingdon"),
    "Hounslow": ("London Borough of Hounslow", "LB Hounslow"),
    "Kensington and Chelsea": ("K&C", "RBKC", "Kensington", "Chelsea", "Kensington & Chelsea",
                               "Royal Borough of Kensington and Chelsea"),
    "Westminster": ("City of Westminster", "Westminster City"),
}
BOROUGH_TYPOS: dict[str, str] = {
    "Brent": "Brnet", "Ealing": "Ealling", "Harrow": "Harow", "Hillingdon": "Hillingdom",
    "Hounslow": "Hounslo", "Westminster": "Westminister",
}
OUTSIDE_BOROUGH = ("Outside NW London", "Other", "Surrey")
UNKNOWN_BOROUGHS = ("Narnia", "12345")

ETHNIC_DETAIL: dict[str, tuple[str, ...]] = {
    "Asian or Asian British": ("Indian", "Pakistani", "Bangladeshi", "Chinese", "Any other Asian background"),
    "Black, Black British, Caribbean or African": ("Black African", "Black Caribbean", "African", "Caribbean"),
    "Mixed or multiple ethnic groups": ("Mixed White and Black Caribbean", "Mixed"),
    "White": ("White British", "White - Irish", "Any other White background"),
    "Other ethnic group": ("Arab", "Any other ethnic group"),
}
#: How often each detailed answer is given within its group (White British far more common than Irish).
ETHNIC_DETAIL_WEIGHTS: dict[str, tuple[float, ...]] = {
    "Asian or Asian British": (0.35, 0.2, 0.15, 0.1, 0.2),
    "Black, Black British, Caribbean or African": (0.35, 0.25, 0.25, 0.15),
    "Mixed or multiple ethnic groups": (0.4, 0.6),
    "White": (0.6, 0.1, 0.3),
    "Other ethnic group": (0.45, 0.55),
}
LIKERT_VARIANTS: dict[int, tuple[str, ...]] = {
    5: ("strongly  agree", "STRONGLY AGREE", "Agree strongly", "SA", "Strongly Agree "),
    4: ("Tend to agree", "A", "agree"),
    3: ("Neither", "Neutral", "Neither agree or disagree", "N"),
    2: ("Tend to disagree", "D", "disagree"),
    1: ("Disagree strongly", "SD", "strongly disagree"),
}
DK_VARIANTS = ("Don't know", "Dont know", "don't know", "DK", "Don\u2019t know")
NA_VARIANTS = ("N/A", "NA", "n/a", "Not applicable")
NOT_STATED_VARIANTS = ("", "Prefer not to say", "Prefer not to answer", "PNTS")

#: Illustrative 16+ population (thousands-scale magnitudes, NOT census figures).
BOROUGH_POPULATION: dict[str, int] = {
    "Brent": 272_000, "Ealing": 295_000, "Hammersmith and Fulham": 152_000, "Harrow": 210_000,
    "Hillingdon": 243_000, "Hounslow": 230_000, "Kensington and Chelsea": 120_000, "Westminster": 172_000,
}
#: Illustrative ethnic composition per borough (order of vocab.ETHNICITY_GROUPS).
BOROUGH_ETHNICITY: dict[str, tuple[float, float, float, float, float]] = {
    "Brent": (0.34, 0.18, 0.06, 0.33, 0.09), "Ealing": (0.31, 0.11, 0.06, 0.43, 0.09),
    "Hammersmith and Fulham": (0.11, 0.12, 0.08, 0.63, 0.06), "Harrow": (0.46, 0.07, 0.05, 0.34, 0.08),
    "Hillingdon": (0.33, 0.08, 0.05, 0.49, 0.05), "Hounslow": (0.37, 0.07, 0.05, 0.44, 0.07),
    "Kensington and Chelsea": (0.12, 0.07, 0.08, 0.63, 0.10), "Westminster": (0.16, 0.07, 0.07, 0.55, 0.15),
}
AGE_SHARE = (0.12, 0.21, 0.19, 0.16, 0.14, 0.10, 0.08)
#: Older age bands are whiter, younger more mixed (multipliers per age band, per ethnic group).
AGE_ETHNIC_TILT = (
    (1.10, 1.05, 1.05, 1.00, 0.90, 0.75, 0.60),
    (1.15, 1.10, 1.00, 1.00, 0.95, 0.80, 0.60),
    (1.60, 1.30, 1.10, 0.90, 0.70, 0.50, 0.40),
    (0.80, 0.85, 0.90, 1.00, 1.15, 1.35, 1.50),
    (1.10, 1.10, 1.05, 1.00, 0.90, 0.75, 0.60),
)

# Palliative review reach: planted under- and over-representation.
REVIEW_BOROUGH_FACTOR: dict[str, float] = {
    "Brent": 1.0, "Ealing": 1.0, "Hammersmith and Fulham": 1.35, "Harrow": 0.9, "Hillingdon": 0.40,
    "Hounslow": 0.5, "Kensington and Chelsea": 1.9, "Westminster": 1.3,
}
REVIEW_AGE_SHARE_PUBLIC = (0.02, 0.19, 0.17, 0.18, 0.18, 0.14, 0.12)
REVIEW_AGE_SHARE_PROFESSIONAL = (0.01, 0.22, 0.30, 0.27, 0.18, 0.02, 0.0)
#: Within Harrow, Asian residents take part at this fraction of their population share.
HARROW_ASIAN_FACTOR = 0.2
REVIEW_SIZE = 600
REVIEW_TYPES = ("Resident", "Carer", "Health or care professional")
REVIEW_TYPE_SHARE = (0.55, 0.25, 0.20)
REVIEW_START, REVIEW_END = dt.date(2025, 2, 10), dt.date(2025, 7, 31)

# --------------------------------------------------------------------------------------
# Raw headers (must equal config/example.yaml; the tests check this)
# --------------------------------------------------------------------------------------

_INVOLVEMENT_FIELDS = ("respondent_ref", "person_ref", "submitted_at", "respondent_type", "service_line",
                       "borough", "age_band", "ethnicity", "gender", "disability", "carer_status", "name",
                       "email", "phone")
HEADERS: dict[str, dict[str, str]] = {
    "involvement_survey_2019_2021.csv": {
        "respondent_ref": "Response No", "person_ref": "Member ID", "submitted_at": "Date Completed",
        "respondent_type": "You are", "service_line": "Service", "borough": "Borough", "age_band": "Age",
        "ethnicity": "Ethnic group", "gender": "Gender", "disability": "Disability", "carer_status": "Carer",
        "name": "Your name (optional)", "email": "Email (optional)",
        "item.real_improvements": "Q1", "item.personal_impact": "Q2", "item.heard_equally": "Q3",
        "item.involved_early": "Q4", "item.told_outcome": "Q5", "item.well_supported": "Q6",
        "open.difference_made": "Q7 What difference has involvement made?",
        "open.make_better": "Q8 What would make involvement better?",
    },
    "involvement_survey_2022_2023.xlsx": {
        "respondent_ref": "ID", "person_ref": "Involvement member ID", "submitted_at": "Submitted",
        "respondent_type": "Respondent type", "service_line": "Service line", "borough": "Borough",
        "age_band": "Age band", "ethnicity": "Ethnicity", "gender": "Gender", "disability": "Disability",
        "carer_status": "Carer status", "name": "Name", "email": "Email address", "phone": "Phone",
        "item.real_improvements": "Involvement has led to real improvements",
        "item.personal_impact": "Being involved had a positive impact on me",
        "item.heard_equally": "My views were heard as equally as others",
        "item.involved_early": "I was involved early enough to influence decisions",
        "item.told_outcome": "I was told what happened as a result of my input",
        "item.well_supported": "I was well supported to take part",
        "open.difference_made": "What difference has involvement made?",
        "open.make_better": "What would make involvement better?",
    },
    "involvement_survey_2024_2025.csv": {
        "respondent_ref": "response_id", "person_ref": "member_id", "submitted_at": "completed_on",
        "respondent_type": "respondent_type", "service_line": "service_line", "borough": "borough",
        "age_band": "age_band", "ethnicity": "ethnicity", "gender": "gender", "disability": "disability",
        "carer_status": "carer", "name": "full_name", "email": "email", "phone": "telephone",
        **{f"item.{i}": f"q_{i}" for i in ITEM_IDS},
        "open.difference_made": "q_difference_made", "open.make_better": "q_make_better",
    },
    "palliative_care_review_survey.csv": {
        "respondent_ref": "Ref", "submitted_at": "Date", "respondent_type": "I am responding as",
        "borough": "Borough", "postcode": "Postcode", "channel": "How did you take part?", "age_band": "Age",
        "ethnicity": "Ethnicity", "gender": "Gender", "disability": "Disability", "carer_status": "Unpaid carer",
        "name": "Name", "email": "Email",
        "open.works_well": "What works well in palliative and end of life care now?",
        "open.should_change": "What should change?",
    },
    "palliative_care_review_activity_log.xlsx": {
        "activity_ref": "Activity ID", "date": "Date", "activity_type": "Type", "borough": "Borough",
        "audience": "Audience", "participants": "Participants", "description": "Notes",
        "involvement_level": "Involvement level",
        "involved_from_start": "Experts by experience involved from the start",
    },
    "engagement_activity_log_2024.csv": {
        "activity_ref": "Activity ID", "date": "Date", "activity_type": "Type", "borough": "Borough",
        "audience": "Audience", "participants": "Participants", "description": "Notes",
        "involvement_level": "Involvement level",
        "involved_from_start": "Experts by experience involved from the start",
    },
    "case_studies.csv": {
        "case_ref": "Case ID", "cycle": "Cycle", "title": "Title", "theme_ids": "Theme IDs",
        "what_people_said": "What people said", "what_changed": "What changed", "consent": "Consent to publish",
        "quote": "Quote",
    },
    "actions_log.csv": {
        "action_ref": "Action ID", "cycle": "Cycle", "theme_id": "Theme ID", "you_said": "You said",
        "we_did": "We did", "status": "Status", "reason": "Reason", "updated_at": "Last updated",
    },
    "population_benchmark.csv": {
        "borough": "Borough", "age_band": "Age band", "ethnicity": "Ethnic group", "population": "Population",
    },
}
SHEETS = {"involvement_survey_2022_2023.xlsx": "Responses",
          "palliative_care_review_activity_log.xlsx": "Activity log"}
INVOLVEMENT_FILES: dict[str, tuple[int, ...]] = {
    "involvement_survey_2019_2021.csv": (2019, 2021),
    "involvement_survey_2022_2023.xlsx": (2022, 2023),
    "involvement_survey_2024_2025.csv": (2024, 2025),
}
STYLE = {"involvement_survey_2019_2021.csv": "old", "involvement_survey_2022_2023.xlsx": "xlsx",
         "involvement_survey_2024_2025.csv": "new"}
GROUND_TRUTH_THEMES = "ground_truth_themes.csv"
GROUND_TRUTH_MESS = "ground_truth_mess.csv"
GROUND_TRUTH_EFFECTS = "ground_truth_effects.csv"
README = "README.md"

# --------------------------------------------------------------------------------------
# Small random helpers
# --------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, seq: Sequence[Any], p: Sequence[float] | None = None) -> Any:
    """One element of ``seq`` (by index, so numpy never converts the element's type)."""
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return seq[int(rng.choice(len(seq), p=p))]


def _chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def nhs_number(rng: np.random.Generator) -> str:
    """A synthetic NHS number in the 999 test range with a valid modulus-11 check digit."""
    while True:
        digits = [9, 9, 9] + [int(d) for d in rng.integers(0, 10, size=6)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(str(d) for d in digits + [check])


def nhs_number_is_valid(number: str) -> bool:
    """Modulus-11 check of a 10-digit NHS number (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def _format_nhs(rng: np.random.Generator, number: str) -> str:
    if _chance(rng, 0.55):
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    return number


def _phone(rng: np.random.Generator) -> str:
    """A UK phone number from Ofcom's drama ranges (never a real line), in a varied format."""
    tail = f"{int(rng.integers(0, 1000)):03d}"
    return _pick(rng, (
        f"07700 900{tail}", f"07700900{tail}", f"+44 7700 900{tail}", f"+447700900{tail}",
        f"07700-900-{tail}", f"020 7946 0{tail}", f"(020) 7946 0{tail}", f"0207946 0{tail}",
        f"+44 20 7946 0{tail}", f"0161 496 0{tail}",
    ))


def _postcode(rng: np.random.Generator, borough: str) -> str:
    outward = _pick(rng, OUTWARD_CODES.get(borough, OUTWARD_CODES[vocab.BOROUGH_OTHER]))
    inward = f"{int(rng.integers(1, 10))}{_pick(rng, INWARD_LETTERS)}{_pick(rng, INWARD_LETTERS)}"
    return f"{outward} {inward}"


def _dob(rng: np.random.Generator) -> str:
    day = dt.date(1935, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 70)))
    return _pick(rng, (day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y"),
                       f"{day.day} {day.strftime('%B %Y')}"))


# --------------------------------------------------------------------------------------
# Open text composition
# --------------------------------------------------------------------------------------

_VOICE_TAGS = {"staff": ("S",), "ebe": ("E",), "resident": ("F",), "carer": ("F",), "professional": ("P",)}


def _for_voice(fragments: Iterable[str], voice: str) -> list[str]:
    out = []
    for frag in fragments:
        tag, sep, rest = frag.partition("|")
        if sep and len(tag) == 1:
            if tag in _VOICE_TAGS[voice]:
                out.append(rest)
        else:
            out.append(frag)
    return out


def _typo(rng: np.random.Generator, word: str) -> str:
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


@dataclass
class Comment:
    """One generated open-text answer and the truth about it."""

    text: str
    theme_id: int | None           # None: blank (no comment at all)
    identifiers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def theme_name(self) -> str:
        if self.theme_id == vocab.NON_ANSWER_THEME_ID:
            return vocab.NON_ANSWER_THEME_LABEL
        return THEME_BY_ID[self.theme_id].name if self.theme_id else ""


class TextMaker:
    """Composes open-text answers from the phrase banks with human noise.

    Parameters
    ----------
    rng
        The generator all randomness comes from.
    allow_newlines
        Whether multi-line answers may be written (free-text boxes in newer systems).
    """

    def __init__(self, rng: np.random.Generator, *, allow_newlines: bool) -> None:
        self.rng = rng
        self.allow_newlines = allow_newlines

    def _fill(self, text: str, voice: str) -> str:
        rng = self.rng
        text = text.replace("{project}", _pick(rng, PROJECTS)).replace("{meeting}", _pick(rng, MEETINGS))
        return text.replace("{service}", _pick(rng, SERVICES))

    def substantive(self, theme: Theme, question: str, voice: str, channel: str | None = None) -> str:
        """A comment written from one theme."""
        rng = self.rng
        praise = question == "works_well"
        cores = _for_voice(theme.pos_cores if praise else theme.cores, voice)
        details = _for_voice(theme.pos_details if praise else theme.details, voice)
        shorts = _for_voice(theme.pos_shorts if praise else theme.shorts, voice)
        p_short = {"Event": 0.30, "Written submission": 0.0, "Interview": 0.03}.get(channel or "", 0.12)
        if shorts and _chance(rng, p_short):
            text = self._fill(_pick(rng, shorts), voice)
            critical = question in ("make_better", "should_change") and theme.id != 16
            text = text + _pick(rng, ("", "", "", "!", ".", " pls" if critical else "!!"))
            return self._noise(text, short=True)
        long_form = channel in ("Written submission", "Interview")
        n_cores = 2 if (long_form and len(cores) > 1 and _chance(rng, 0.6)) else 1
        chosen = [cores[int(i)] for i in rng.choice(len(cores), size=n_cores, replace=False)]
        sentences = [self._fill(c, voice) for c in chosen]
        if details:
            n_det = int(_pick(rng, (1, 2, 3), (0.4, 0.4, 0.2)) if long_form
                        else _pick(rng, (0, 1, 2), (0.35, 0.45, 0.20)))
            n_det = min(n_det, len(details))
            sentences += [self._fill(details[int(i)], voice)
                          for i in rng.choice(len(details), size=n_det, replace=False)]
        has_context = _chance(rng, 0.7 if long_form else 0.10)
        if has_context:
            sentences = [self._fill(_pick(rng, CONTEXT[voice]), voice).rstrip(".")] + sentences
        opener = ""
        if not has_context and _chance(rng, 0.35):
            pool = theme.openers if (theme.openers and _chance(rng, 0.5)) else GENERIC_OPENERS[voice]
            opener = self._fill(_pick(rng, pool), voice)
        closer = ""
        if _chance(rng, 0.18):
            negative = question in ("should_change", "make_better") or theme.id == 7
            closer = _pick(rng, NEG_CLOSERS if negative and _chance(rng, 0.6) else CLOSERS)
        return self._join(opener, sentences, closer)

    def _join(self, opener: str, sentences: list[str], closer: str) -> str:
        rng = self.rng
        out = ""
        if opener:
            sep = " " if opener.endswith((":", ",", "and")) else _pick(rng, (", ", " ", " - "))
            out = opener + sep
        for k, sentence in enumerate(sentences):
            if k == 0:
                out += sentence
                continue
            seps = [". ", ", ", " - ", "... ", " and "]
            probs = [0.5, 0.2, 0.1, 0.05, 0.15]
            if self.allow_newlines:
                seps.append("\n")
                probs.append(0.12)
            sep = _pick(rng, seps, probs)
            out += sep + (sentence[0].upper() + sentence[1:] if sep in (". ", "... ", "\n") else sentence)
        end = _pick(rng, (".", "", "!", "!!"), (0.6, 0.25, 0.1, 0.05))
        out = out.rstrip(".") + end
        if closer:
            out += (" " if end else ". ") + closer
        return self._noise(out, short=False)

    def _noise(self, text: str, *, short: bool) -> str:
        rng = self.rng
        if _chance(rng, 0.5):
            for full, short_form in CONTRACTIONS.items():
                # only mid-sentence: "it works well as it is" must not become "as it's"
                text = re.sub(rf"\b{full}(?= \w)", short_form, text)
                text = re.sub(rf"\b{full.capitalize()}(?= \w)", short_form.capitalize(), text)
        for right, wrong in MISSPELLINGS.items():
            if right in text and _chance(rng, 0.25):
                text = text.replace(right, wrong, 1)
        if _chance(rng, 0.1):
            text = text.replace(" and ", " & ")
        words = text.split(" ")
        for i, word in enumerate(words):
            if len(word) >= 5 and word.isalpha() and _chance(rng, 0.012):
                words[i] = _typo(rng, word)
        text = " ".join(words)
        if _chance(rng, 0.02):
            text = text.replace(" ", "  ", 1)
        if _chance(rng, 0.2 if not short else 0.45):
            text = text.lower()
        else:
            text = text[0].upper() + text[1:]
        if _chance(rng, 0.25):
            text = text.replace("'", "\u2019")
        return text

    def non_answer(self) -> str:
        return _pick(self.rng, NON_ANSWERS)

    def plant_identifiers(self, text: str, person: dict[str, str], borough: str | None) -> tuple[str, list]:
        """Add one or two identifiers to a comment, as people really do."""
        rng = self.rng
        kinds = ("email", "phone", "nhs_number", "postcode", "staff_name", "own_name", "url", "dob")
        kind = _pick(rng, kinds, (0.18, 0.18, 0.12, 0.12, 0.16, 0.12, 0.06, 0.06))
        found: list[tuple[str, str]] = []
        if kind == "email":
            value = person["email"]
            add = _pick(rng, (f"you can email me at {value}", f"contact me on {value} if you want to discuss",
                              f"{value}", f"my email is {value}"))
        elif kind == "phone":
            value = _phone(rng)
            add = _pick(rng, (f"my number is {value}", f"call me {value}", f"ring {value} anytime",
                              f"tel {value}"))
        elif kind == "nhs_number":
            value = _format_nhs(rng, nhs_number(rng))
            add = _pick(rng, (f"my NHS number is {value} in case you need to check my records",
                              f"(NHS no {value})", f"NHS number {value}"))
        elif kind == "postcode":
            value = _postcode(rng, borough or "Brent")
            add = _pick(rng, (f"I live in {value}", f"we are at {value} and the bus service is rubbish",
                              f"postcode {value}"))
        elif kind == "staff_name":
            value = _pick(rng, STAFF_NAMES)
            add = _pick(rng, (f"{value} was brilliant", f"special thanks to {value}",
                              f"{value} never got back to me", f"please pass my thanks to {value}"))
        elif kind == "own_name":
            value = person["name"]
            add = _pick(rng, (f"my name is {value}, happy to talk more", f"Regards, {value}",
                              f"- {value}", f"this is {value} from the carers group"))
        elif kind == "url":
            value = _pick(rng, URLS)
            add = _pick(rng, (f"see {value}", f"there is good info at {value}"))
        else:
            value = _dob(rng)
            add = _pick(rng, (f"I was born {value}", f"DOB {value}", f"(d.o.b. {value})"))
        found.append((kind, value))
        if kind == "own_name" and _chance(rng, 0.4):
            found.append(("email", person["email"]))
            add += f" {person['email']}"
        text = text.rstrip()
        # an e-mail address or URL keeps its case when it starts the added sentence
        cap = add if add.startswith(("http", "www", person["email"])) else add[0].upper() + add[1:]
        if text.endswith((".", "!", "?")):
            return text + " " + cap, found
        sep = _pick(rng, (". ", " - ", ", "))
        return text + sep + (cap if sep == ". " else add), found


# --------------------------------------------------------------------------------------
# Rendering of categorical values in each system's style
# --------------------------------------------------------------------------------------


def _weighted_theme(rng: np.random.Generator, weights: dict[int, float]) -> int:
    ids = list(weights)
    return int(_pick(rng, ids, [weights[i] for i in ids]))


def _render_borough(rng: np.random.Generator, borough: str | None, mess: list, header: str) -> str:
    if borough is None:
        value = _pick(rng, ("", "", "", "Prefer not to say"))
        return value
    if borough == vocab.BOROUGH_OTHER:
        return _pick(rng, OUTSIDE_BOROUGH)
    u = rng.random()
    if u < 0.80:
        return borough
    if u < 0.86:
        kind = "borough case/space variant"
        value = _pick(rng, (borough.upper(), borough.lower(), borough + " ", "  " + borough,
                            borough.replace(" ", "\u00a0", 1) if " " in borough else "\u00a0" + borough))
    elif u < 0.975 or borough not in BOROUGH_TYPOS:
        kind, value = "borough alias", _pick(rng, BOROUGH_ALIASES[borough])
    else:
        kind, value = "borough typo", BOROUGH_TYPOS[borough]
    mess.append((header, kind, value))
    return value


def _render_age(rng: np.random.Generator, band: str, style: str) -> str:
    if band == vocab.NOT_STATED:
        return _pick(rng, NOT_STATED_VARIANTS, (0.55, 0.3, 0.08, 0.07))
    if style == "old":
        return band
    u = rng.random()
    numeric_share = {"xlsx": 0.0, "new": 0.4, "survey": 0.25}[style]
    if u < numeric_share:
        lo = int(band[:2])
        hi = 92 if band == "75+" else int(band[-2:])
        lo = 18 if band == "16-24" else lo
        return str(int(rng.integers(lo, hi + 1)))
    if u < numeric_share + 0.12:
        special = {"16-24": ("Under 25", "18-24"), "75+": ("75 and over",)}.get(band)
        if special:
            return _pick(rng, special)
        return band.replace("-", " - ")
    return band


def _render_ethnicity(rng: np.random.Generator, group: str, style: str) -> str:
    if group == vocab.NOT_STATED:
        return _pick(rng, NOT_STATED_VARIANTS, (0.5, 0.35, 0.08, 0.07))
    if style == "old" or _chance(rng, 0.5):
        return group
    return _pick(rng, ETHNIC_DETAIL[group], ETHNIC_DETAIL_WEIGHTS[group])


def _render_gender(rng: np.random.Generator, gender: str, style: str) -> str:
    if gender == vocab.NOT_STATED:
        return _pick(rng, NOT_STATED_VARIANTS, (0.5, 0.35, 0.08, 0.07))
    table = {
        "old": {"Woman": ("Female",), "Man": ("Male",), "Non-binary or other": ("Other",)},
        "xlsx": {"Woman": ("Woman", "Female"), "Man": ("Man", "Male"),
                 "Non-binary or other": ("Non-binary", "Prefer to self-describe")},
        "new": {"Woman": ("Woman", "F", "female", "Female"), "Man": ("Man", "M", "Male"),
                "Non-binary or other": ("Nonbinary", "Non-binary", "Other")},
    }
    return _pick(rng, table["xlsx" if style == "survey" else style][gender])


def _render_yes_no(rng: np.random.Generator, value: str, style: str) -> str:
    if value == vocab.NOT_STATED:
        return _pick(rng, NOT_STATED_VARIANTS, (0.55, 0.3, 0.08, 0.07))
    options = {"old": {"Yes": ("Yes",), "No": ("No",)},
               "xlsx": {"Yes": ("Yes", "Y"), "No": ("No", "N")},
               "new": {"Yes": ("yes", "Yes", "Y"), "No": ("no", "No", "N")},
               "survey": {"Yes": ("Yes", "Y"), "No": ("No", "N")}}[style]
    return _pick(rng, options[value])


SERVICE_RENDER = {
    "old": {"Mental health": ("MH",), "Community services": ("Community",), "Learning disabilities and autism":
            ("LD&A",), "Palliative and end of life care": ("Palliative care",), "Corporate": ("Corporate services",)},
    "xlsx": {s: (s, s.lower(), s.upper()) for s in vocab.SERVICE_LINES},
    "new": {"Mental health": ("Mental health", "Mental Health", "MH"),
            "Community services": ("Community services", "Community"),
            "Learning disabilities and autism": ("Learning disabilities", "Learning disabilities and autism"),
            "Palliative and end of life care": ("End of life care", "Palliative care"),
            "Corporate": ("Corporate", "Corporate services")},
}
TYPE_RENDER = {
    "old": {STAFF: ("Member of staff",), EBE: ("Patient or carer",)},
    "xlsx": {STAFF: ("Staff", "Staff", "Staff", "STAFF", "staff member"),
             EBE: ("Expert by experience", "Expert by experience", "Expert by Experience", "EbE")},
    "new": {STAFF: ("Staff", "Employee", "Member of staff", "staff member"),
            EBE: ("Expert by experience", "Lived experience", "Patient", "Carer", "Patient/carer", "EBE",
                  "Service user")},
    "survey": {"Resident": ("Resident", "Local resident", "Member of the public", "Patient"),
               "Carer": ("Carer", "Family member or carer", "Unpaid carer"),
               "Health or care professional": ("Health professional", "Care professional",
                                               "Health or care professional", "GP", "Nurse", "Social worker",
                                               "Professional")},
}
CHANNEL_RENDER = {
    "Survey": ("Online survey", "Online survey", "Paper survey", "Survey", ""),
    "Event": ("Event", "Community event", "Drop-in", "Webinar"),
    "Interview": ("Interview", "1:1 interview", "Phone interview"),
    "Written submission": ("Letter", "Email", "Written submission"),
}


def _render_likert(rng: np.random.Generator, code: int | str | None, style: str) -> Any:
    """Raw cell for one Likert answer. ``code`` is 1..5, "DK", "NA" or None (blank)."""
    if code is None:
        return "" if style != "xlsx" else None
    if code == "DK":
        return "9" if style == "old" else _pick(rng, DK_VARIANTS, (0.5, 0.15, 0.15, 0.1, 0.1))
    if code == "NA":
        return _pick(rng, NA_VARIANTS)
    label = vocab.LIKERT_LEVELS[code - 1]
    if style == "old":
        return f"{code}.0" if _chance(rng, 0.03) else str(code)
    u = rng.random()
    if style == "xlsx":
        if u < 0.74:
            return label
        if u < 0.97:
            return _pick(rng, LIKERT_VARIANTS[code])
        return int(code)
    if u < 0.45:
        return label
    if u < 0.70:
        return f"{code} - {label}"
    if u < 0.90:
        return str(code)
    return _pick(rng, LIKERT_VARIANTS[code])


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One raw row plus what the generator knows about it."""

    cells: dict[str, Any]                     # canonical field -> raw value
    when: dt.datetime                         # true submission time (orders rows in the export)
    status: str = "kept"                      # kept | exact_duplicate | superseded_resubmission | invalid
    truth: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)   # open field -> comment
    mess: list[tuple[str, str, Any]] = field(default_factory=list)  # (field, kind, value or None)
    date_style: str = ""


def _email_for(name: str, rng: np.random.Generator, taken: set[str]) -> str:
    first, _, last = _ascii(name).lower().replace("'", "").partition(" ")
    last = last.replace(" ", "")
    while True:
        pattern = _pick(rng, ("{f}.{l}", "{f}{l}", "{fi}{l}", "{f}_{l}{n}", "{f}{n}"))
        local = pattern.format(f=first, l=last, fi=first[:1], n=int(rng.integers(1, 99)))
        email = f"{local}@{_pick(rng, EMAIL_DOMAINS)}"
        if email not in taken:
            taken.add(email)
            return email


def _new_identity(rng: np.random.Generator, taken: set[str]) -> dict[str, str]:
    name = f"{_pick(rng, FIRST_NAMES)} {_pick(rng, LAST_NAMES)}"
    return {"name": name, "email": _email_for(name, rng, taken), "phone": _phone(rng)}


def quota_counts(n: int, probs: Sequence[float]) -> list[int]:
    """Split ``n`` answers over levels as close to ``probs`` as integers allow (largest remainder).

    Parameters
    ----------
    n
        Number of valid answers in one item x wave x group cell.
    probs
        Generating probabilities of the levels.

    Returns
    -------
    list of int
        Counts per level summing to ``n``; ties go to the lower level, so the result is deterministic.
    """
    exact = [n * p for p in probs]
    counts = [int(np.floor(x)) for x in exact]
    order = sorted(range(len(probs)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _allocate_likert(rng: np.random.Generator, rows: list[Row], style: str) -> None:
    """Give the valid answers of each item x wave x group cell exactly the generating distribution.

    Answers are allocated by quota and then shuffled among the cell's respondents, so
    the observed % positive equals the planted value up to rounding: a planted
    change is there in every seed and the null item really is flat (sampling noise
    would otherwise put a chance 4-6 point drift into some group).
    """
    cells: dict[tuple[int, str], list[Row]] = defaultdict(list)
    for row in rows:
        cells[(row.truth["wave"], row.truth["group"])].append(row)
    for (wave, group), members in sorted(cells.items()):
        for item in ITEM_IDS:
            valid = [r for r in members if r.truth["items"][item] == "VALID"]
            counts = quota_counts(len(valid), likert_vector(P_POSITIVE[item][group][wave]))
            codes = np.repeat(np.arange(1, 6), counts)
            for row, code in zip(valid, rng.permutation(codes), strict=True):
                row.truth["items"][item] = int(code)
    for row in rows:
        for item in ITEM_IDS:
            row.cells[f"item.{item}"] = _render_likert(rng, row.truth["items"][item], style)


def _draw_items(rng: np.random.Generator, group: str, wave: int,
                allocate: bool = False) -> tuple[dict[str, Any], bool]:
    """Canonical item answers for one response: 1..5, "DK", "NA" or None; and whether it is partial.

    With ``allocate`` the valid answers are left as "VALID" for :func:`_allocate_likert`.
    """
    answers: dict[str, Any] = {}
    partial = _chance(rng, PARTIAL_RATE)
    stop = int(rng.integers(1, len(ITEM_IDS))) if partial else len(ITEM_IDS)
    for k, item in enumerate(ITEM_IDS):
        if k >= stop:
            answers[item] = None
            continue
        if _chance(rng, DK_RATE[item]):
            answers[item] = "DK"
        elif wave >= 2022 and _chance(rng, NA_RATE):
            answers[item] = "NA"
        elif _chance(rng, ITEM_BLANK_RATE):
            answers[item] = None
        elif allocate:
            answers[item] = "VALID"
        else:
            answers[item] = int(rng.choice(5, p=likert_vector(P_POSITIVE[item][group][wave]))) + 1
    return answers, partial


# --------------------------------------------------------------------------------------
# a. Involvement survey
# --------------------------------------------------------------------------------------


def _involvement_people(rng: np.random.Generator, taken: set[str]) -> list[tuple[int, dict[str, Any]]]:
    """(wave, person) pairs: a panel in which about 30% of people answer several waves."""
    people: list[dict[str, Any]] = []
    sample: list[tuple[int, dict[str, Any]]] = []
    for wave in WAVES:
        n = WAVE_SIZES[wave]
        n_return = 0 if wave == WAVES[0] else int(round(n * RETURN_SHARE))
        returning = [people[int(i)] for i in rng.choice(len(people), size=n_return, replace=False)] if n_return else []
        for _ in range(n - n_return):
            group = STAFF if _chance(rng, STAFF_SHARE) else EBE
            person = _new_person(rng, group, len(people), taken)
            people.append(person)
            returning.append(person)
        sample += [(wave, p) for p in returning]
    return sample


def _new_person(rng: np.random.Generator, group: str, index: int, taken: set[str]) -> dict[str, Any]:
    staff = group == STAFF
    age = _pick(rng, vocab.AGE_BANDS, (0.03, 0.22, 0.26, 0.25, 0.20, 0.04, 0.0) if staff
                else (0.06, 0.12, 0.15, 0.18, 0.21, 0.17, 0.11))
    ethnicity = _pick(rng, vocab.ETHNICITY_GROUPS, (0.24, 0.15, 0.05, 0.48, 0.08) if staff
                      else (0.22, 0.13, 0.06, 0.52, 0.07))
    person = {
        "index": index, "group": group,
        # (index * 7) mod 90000 is a bijection, so ids are unique but not in join order
        "member_id": f"IM{10000 + (index * 7) % 90000:05d}" if _chance(rng, MEMBER_ID_SHARE) else "",
        "age_band": age, "ethnicity": ethnicity,
        "gender": _pick(rng, vocab.GENDERS, (0.72, 0.26, 0.02) if staff else (0.60, 0.37, 0.03)),
        "disability": "Yes" if _chance(rng, 0.09 if staff else 0.36) else "No",
        "carer_status": "Yes" if _chance(rng, 0.16 if staff else 0.32) else "No",
        "borough": _pick(rng, (*vocab.BOROUGHS, vocab.BOROUGH_OTHER),
                         (0.14, 0.16, 0.10, 0.11, 0.13, 0.12, 0.08, 0.12, 0.04)),
        "service_line": _pick(rng, vocab.SERVICE_LINES, (0.40, 0.30, 0.10, 0.08, 0.12) if staff
                              else (0.50, 0.28, 0.14, 0.08, 0.0)),
        **_new_identity(rng, taken),
    }
    return person


def _involvement_row(rng: np.random.Generator, wave: int, person: dict[str, Any], style: str,
                     text: TextMaker, *, when: dt.datetime, allocate: bool = False) -> Row:
    group = person["group"]
    items, partial = _draw_items(rng, group, wave, allocate)
    truth: dict[str, Any] = {"wave": wave, "group": group, "items": dict(items), "partial": partial,
                             "person": person["member_id"], "person_index": person["index"]}
    row = Row(cells={}, when=when, truth=truth)
    cells = row.cells
    cells["person_ref"] = person["member_id"]
    cells["respondent_type"] = _pick(rng, TYPE_RENDER[style][group])
    cells["service_line"] = "" if _chance(rng, 0.03) else _pick(rng, SERVICE_RENDER[style][person["service_line"]])
    borough = None if _chance(rng, 0.04) else person["borough"]
    cells["borough"] = _render_borough(rng, borough, row.mess, "borough")
    stated = {f: (vocab.NOT_STATED if _chance(rng, 0.08) else person[f])
              for f in ("age_band", "ethnicity", "gender", "disability", "carer_status")}
    truth.update(stated)
    cells["age_band"] = _render_age(rng, stated["age_band"], style)
    cells["ethnicity"] = _render_ethnicity(rng, stated["ethnicity"], style)
    cells["gender"] = _render_gender(rng, stated["gender"], style)
    cells["disability"] = _render_yes_no(rng, stated["disability"], style)
    cells["carer_status"] = _render_yes_no(rng, stated["carer_status"], style)
    cells["name"] = person["name"] if _chance(rng, 0.10) else ""
    cells["email"] = person["email"] if _chance(rng, 0.12) else ""
    if style != "old":
        cells["phone"] = person["phone"] if _chance(rng, 0.06) else ""
    if not allocate:
        for item in ITEM_IDS:
            cells[f"item.{item}"] = _render_likert(rng, items[item], style)
    voice = "staff" if group == STAFF else "ebe"
    for question, weights in (("difference_made", DIFFERENCE_MADE_WEIGHTS), ("make_better", MAKE_BETTER_WEIGHTS)):
        key = f"open.{question}"
        if partial or not _chance(rng, ANSWER_RATE[question]):
            cells[key] = ""
            continue
        if _chance(rng, NON_ANSWER_RATE[question]):
            comment = Comment(text.non_answer(), vocab.NON_ANSWER_THEME_ID)
        else:
            gi = 0 if group == STAFF else 1
            w = {t: max(0.02, v[gi] * (1 + v[2] * (wave - 2019))) for t, v in weights.items()}
            theme = THEME_BY_ID[_weighted_theme(rng, w)]
            comment = Comment(text.substantive(theme, question, voice), theme.id)
            if _chance(rng, IDENTIFIER_RATE / (1 - NON_ANSWER_RATE[question])):
                comment.text, comment.identifiers = text.plant_identifiers(comment.text, person, person["borough"])
                if any(k == "own_name" for k, _ in comment.identifiers) and _chance(rng, 0.7):
                    cells["name"] = person["name"]
        cells[key] = comment.text
        row.comments[key] = comment
    return row


def _fieldwork_time(rng: np.random.Generator, wave: int) -> dt.datetime:
    day = dt.date(wave, 10, 1) + dt.timedelta(days=int(rng.integers(0, 61)))
    return dt.datetime.combine(day, dt.time(int(rng.integers(7, 23)), int(rng.integers(0, 60)),
                                            int(rng.integers(0, 60))))


def _render_date(rng: np.random.Generator, when: dt.datetime, style: str) -> tuple[Any, str]:
    """Raw date cell in the system's style and a label of the format used (for the README)."""
    if style == "old":
        return (when.strftime("%d/%m/%y"), "dd/mm/yy") if _chance(rng, 0.15) else (when.strftime("%d/%m/%Y"),
                                                                                    "dd/mm/yyyy")
    if style in ("xlsx", "activity"):
        u = rng.random()
        if u < 0.85:
            return (when if style == "xlsx" else dt.datetime.combine(when.date(), dt.time())), "Excel date"
        if u < 0.97:
            return when.strftime("%d/%m/%Y"), "text dd/mm/yyyy"
        return (when.date() - dt.date(1899, 12, 30)).days, "Excel serial number"
    if style == "survey":
        u = rng.random()
        if u < 0.8:
            return when.strftime("%d/%m/%Y"), "dd/mm/yyyy"
        if u < 0.9:
            return when.strftime("%d/%m/%y"), "dd/mm/yy"
        return when.strftime("%Y-%m-%d"), "ISO yyyy-mm-dd"
    formats = (("%Y-%m-%d", "ISO yyyy-mm-dd"), ("%Y-%m-%dT%H:%M:%S", "ISO with T time"),
               ("%Y-%m-%d %H:%M", "ISO with time"), ("%d/%m/%Y", "dd/mm/yyyy"), ("%d-%m-%Y", "dd-mm-yyyy"),
               ("%d.%m.%Y", "dd.mm.yyyy"), ("%d %b %Y", "d Mon yyyy"), ("%d %B %Y", "d Month yyyy"))
    fmt, label = _pick(rng, formats, (0.25, 0.2, 0.15, 0.25, 0.05, 0.04, 0.03, 0.03))
    return when.strftime(fmt), label


def _date_cell(rng: np.random.Generator, row: Row, style: str) -> None:
    value, label = _render_date(rng, row.when, style)
    row.cells["submitted_at" if "submitted_at" in HEADERS_CANON[style] else "date"] = value
    row.date_style = label


HEADERS_CANON = {"old": HEADERS["involvement_survey_2019_2021.csv"],
                 "xlsx": HEADERS["involvement_survey_2022_2023.xlsx"],
                 "new": HEADERS["involvement_survey_2024_2025.csv"],
                 "survey": HEADERS["palliative_care_review_survey.csv"],
                 "activity": HEADERS["palliative_care_review_activity_log.xlsx"]}


def _invalidate(rng: np.random.Generator, row: Row, kind: str, style: str, year: int) -> None:
    """Break a row in one of the ways the mess contract says cleaning must reject."""
    row.status = "invalid"
    date_field = "submitted_at" if "submitted_at" in HEADERS_CANON[style] else "date"
    if kind == "missing respondent_ref":
        row.mess.append(("respondent_ref", kind, ""))
        row.truth["blank_ref"] = True
    elif kind == "unparseable date":
        value = _pick(rng, (f"31/02/{year}", "next Tuesday", f"{year}-13-01"))
        row.cells[date_field] = value
        row.mess.append((date_field, kind, value))
    elif kind == "date outside cycle range":
        bad = dt.datetime(1925, row.when.month, row.when.day) if _chance(rng, 0.5) else \
            dt.datetime(2026, int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        value = {"old": bad.strftime("%d/%m/%Y"), "new": bad.strftime("%Y-%m-%d"), "xlsx": bad,
                 "survey": bad.strftime("%d/%m/%Y")}[style]
        row.cells[date_field] = value
        row.mess.append((date_field, kind, bad.strftime("%Y-%m-%d")))
    elif kind == "unknown respondent type":
        value = _pick(rng, ("", "Visitor"))
        row.cells["respondent_type"] = value
        row.mess.append(("respondent_type", kind, value))
    else:  # pragma: no cover - programming error
        raise ValueError(kind)


INVALID_KINDS = ("missing respondent_ref", "unparseable date", "date outside cycle range", "unknown respondent type")


def _build_involvement(rng: np.random.Generator, taken: set[str]) -> dict[str, list[Row]]:
    sample = _involvement_people(rng, taken)
    out: dict[str, list[Row]] = {}
    for filename, waves in INVOLVEMENT_FILES.items():
        style = STYLE[filename]
        text = TextMaker(rng, allow_newlines=style != "old")
        rows = [_involvement_row(rng, wave, person, style, text, when=_fieldwork_time(rng, wave), allocate=True)
                for wave, person in sample if wave in waves]
        _allocate_likert(rng, rows, style)
        kept = list(rows)
        # Resubmissions: an earlier submission by the same member in the same wave, different answers.
        candidates = [r for r in kept if r.truth["person"] and not r.truth["partial"]
                      and r.when.date() > dt.date(r.truth["wave"], 10, 3)]
        n_resub = int(round(0.015 * len(kept)))
        for k in rng.choice(len(candidates), size=n_resub, replace=False):
            later = candidates[int(k)]
            person = next(p for w, p in sample if p["index"] == later.truth["person_index"])
            earlier_when = later.when - dt.timedelta(days=int(rng.integers(1, 3)), hours=int(rng.integers(0, 5)))
            early = _involvement_row(rng, later.truth["wave"], person, style, text, when=earlier_when)
            if early.truth["items"] == later.truth["items"]:
                early.truth["items"]["real_improvements"] = (later.truth["items"]["real_improvements"] or 2) % 5 + 1
                early.cells["item.real_improvements"] = _render_likert(
                    rng, early.truth["items"]["real_improvements"], style)
            early.status = "superseded_resubmission"
            early.mess.append(("person_ref", "resubmission (earlier, superseded)", person["member_id"]))
            later.mess.append(("person_ref", "resubmission (later, kept)", person["member_id"]))
            rows.append(early)
        # Invalid rows: extra respondents broken in each rejected way (two of each kind).
        for kind in INVALID_KINDS:
            for _ in range(2):
                wave = _pick(rng, waves)
                group = STAFF if _chance(rng, STAFF_SHARE) else EBE
                person = _new_person(rng, group, 80000 + len(rows), taken)
                bad = _involvement_row(rng, wave, person, style, text, when=_fieldwork_time(rng, wave))
                bad.truth["invalid_kind"] = kind
                rows.append(bad)
        for r in rows:
            _date_cell(rng, r, style)
        for r in rows:
            if "invalid_kind" in r.truth:
                _invalidate(rng, r, r.truth["invalid_kind"], style, r.truth["wave"])
        _plant_kept_mess(rng, kept, style)
        out[filename] = _finalise(rng, rows, style, filename)
    return out


def _plant_whitespace(rng: np.random.Generator, kept: list[Row], questions: Sequence[str]) -> None:
    """Blank open answers that are really spaces (or a non-breaking space): not comments at all."""
    blanks = [(r, q) for r in kept for q in questions if r.cells[f"open.{q}"] == ""]
    for k in rng.choice(len(blanks), size=WHITESPACE_ANSWER_COUNT, replace=False):
        row, question = blanks[int(k)]
        value = _pick(rng, ("  ", " ", "\u00a0", "   "))
        row.cells[f"open.{question}"] = value
        row.mess.append((f"open.{question}", "whitespace-only answer", value))


def _plant_kept_mess(rng: np.random.Generator, kept: list[Row], style: str) -> None:
    """Values cleaning must flag but keep the row for (ledger entries)."""
    _plant_whitespace(rng, kept, ("difference_made", "make_better"))
    idx = rng.choice(len(kept), size=12, replace=False)
    unknown_likert = {"old": ("7", "7", "6", "0"), "xlsx": ("Agreee?", "maybe", "7", "Agreee?"),
                      "new": ("maybe", "7", "Agreee?", "maybe")}[style]
    for j, value in zip(idx[:4], unknown_likert, strict=True):
        row = kept[int(j)]
        item = _pick(rng, ITEM_IDS)
        row.cells[f"item.{item}"] = value
        row.truth["items"][item] = None
        row.mess.append((f"item.{item}", "unknown Likert value", value))
    for j, value in zip(idx[4:6], UNKNOWN_BOROUGHS, strict=True):
        row = kept[int(j)]
        row.cells["borough"] = value
        row.mess.append(("borough", "unknown borough", value))
    for j in idx[6:8]:
        row = kept[int(j)]
        row.cells["ethnicity"] = "BAME"
        row.truth["ethnicity"] = vocab.NOT_STATED
        row.mess.append(("ethnicity", "ambiguous ethnicity", "BAME"))
    for j, (f, value) in zip(idx[8:10], (("age_band", "old enough"), ("disability", "sometimes")), strict=True):
        row = kept[int(j)]
        row.cells[f] = value
        row.truth[f] = vocab.NOT_STATED
        row.mess.append((f, f"unknown {f.replace('_band', '').replace('_', ' ')} value", value))


_REF_FORMATS = {
    "old": lambda i, r: str(10001 + i),
    "xlsx": lambda i, r: f"R{str(r.when.year)[2:]}-{i + 1:04d}",
    "new": lambda i, r: f"resp_{r.when.year}_{i + 1:05d}",
    "survey": lambda i, r: f"PCR{i + 1:04d}",
}


def _finalise(rng: np.random.Generator, rows: list[Row], style: str, filename: str) -> list[Row]:
    """Order rows as the export would, assign refs, add exact duplicates and record the mess."""
    rows = sorted(rows, key=lambda r: (r.when, r.cells.get("person_ref", ""), r.cells.get("email", "")))
    for i, r in enumerate(rows):
        r.cells["respondent_ref"] = "" if r.truth.get("blank_ref") else _REF_FORMATS[style](i, r)
    kept = [i for i, r in enumerate(rows) if r.status == "kept"]
    n_dup = max(1, int(round(0.01 * len(rows))))
    dup_at = sorted(int(kept[int(k)]) for k in rng.choice(len(kept), size=n_dup, replace=False))
    final: list[Row] = []
    for i, r in enumerate(rows):
        final.append(r)
        if i in dup_at:
            copy = Row(cells=dict(r.cells), when=r.when, status="exact_duplicate", truth=r.truth,
                       comments=r.comments, mess=[("respondent_ref", "exact duplicate row", r.cells["respondent_ref"])],
                       date_style=r.date_style)
            final.append(copy)
    return final


# --------------------------------------------------------------------------------------
# b. Palliative care review
# --------------------------------------------------------------------------------------


def population_benchmark(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Illustrative borough x age band x ethnic group counts (NOT census figures)."""
    rows = []
    for borough, total in BOROUGH_POPULATION.items():
        for a, band in enumerate(vocab.AGE_BANDS):
            mix = np.array([BOROUGH_ETHNICITY[borough][e] * AGE_ETHNIC_TILT[e][a] for e in range(5)])
            mix = mix / mix.sum()
            for e, group in enumerate(vocab.ETHNICITY_GROUPS):
                noise = 1 + rng.uniform(-0.04, 0.04)
                count = int(round(total * AGE_SHARE[a] * mix[e] * noise / 10) * 10)
                rows.append({"borough": borough, "age_band": band, "ethnicity": group, "population": count})
    return rows


def _population_shares(pop: list[dict[str, Any]]) -> dict[str, Any]:
    by_borough: Counter = Counter()
    by_age: Counter = Counter()
    by_borough_eth: Counter = Counter()
    for r in pop:
        by_borough[r["borough"]] += r["population"]
        by_age[r["age_band"]] += r["population"]
        by_borough_eth[(r["borough"], r["ethnicity"])] += r["population"]
    total = sum(by_borough.values())
    return {"borough": {b: v / total for b, v in by_borough.items()},
            "age": {a: v / total for a, v in by_age.items()},
            "borough_eth": {k: v / by_borough[k[0]] for k, v in by_borough_eth.items()}}


def _build_review(rng: np.random.Generator, taken: set[str], shares: dict[str, Any]) -> list[Row]:
    text = TextMaker(rng, allow_newlines=True)
    b_names = list(vocab.BOROUGHS)
    b_weights = [shares["borough"][b] * REVIEW_BOROUGH_FACTOR[b] for b in b_names]
    span = (REVIEW_END - REVIEW_START).days
    rows: list[Row] = []

    def ethnic_weights(borough: str) -> list[float]:
        weights = list(BOROUGH_ETHNICITY.get(borough, (0.2, 0.12, 0.06, 0.55, 0.07)))
        if borough == "Harrow":
            weights[0] *= HARROW_ASIAN_FACTOR
        return weights

    def age_weights(rtype: str) -> tuple[float, ...]:
        professional = rtype == "Health or care professional"
        return REVIEW_AGE_SHARE_PROFESSIONAL if professional else REVIEW_AGE_SHARE_PUBLIC

    def respondent(when: dt.datetime, slot: dict[str, str] | None = None) -> Row:
        if slot is None:  # extra rows (superseded, invalid): drawn at random
            rtype = _pick(rng, REVIEW_TYPES, REVIEW_TYPE_SHARE)
            borough = vocab.BOROUGH_OTHER if _chance(rng, 0.03) else _pick(rng, b_names, b_weights)
            slot = {"group": rtype, "borough": borough, "age_band": _pick(rng, vocab.AGE_BANDS, age_weights(rtype)),
                    "ethnicity": _pick(rng, vocab.ETHNICITY_GROUPS, ethnic_weights(borough))}
        rtype, borough, age, ethnicity = slot["group"], slot["borough"], slot["age_band"], slot["ethnicity"]
        channel = _pick(rng, vocab.CHANNELS, (0.64, 0.20, 0.09, 0.07))
        identity = _new_identity(rng, taken)
        person = {"group": rtype, "borough": borough, "age_band": age, "ethnicity": ethnicity,
                  "gender": _pick(rng, vocab.GENDERS, (0.64, 0.34, 0.02)),
                  "disability": "Yes" if _chance(rng, 0.22) else "No",
                  "carer_status": "Yes" if (rtype == "Carer" or _chance(rng, 0.12)) else "No", **identity}
        row = Row(cells={}, when=when, truth={"wave": 2025, "group": rtype, "channel": channel,
                                              "borough": None, "email": identity["email"]})
        stated = {f: (vocab.NOT_STATED if _chance(rng, 0.09) else person[f])
                  for f in ("age_band", "ethnicity", "gender", "disability", "carer_status")}
        row.truth.update(stated)
        cells = row.cells
        cells["respondent_type"] = _pick(rng, TYPE_RENDER["survey"][rtype])
        stated_borough = None if _chance(rng, 0.03) else borough
        row.truth["borough"] = stated_borough
        cells["borough"] = _render_borough(rng, stated_borough, row.mess, "borough")
        pc = _postcode(rng, borough)
        pc = _pick(rng, (pc, pc, pc, pc.lower(), pc.replace(" ", "")))
        cells["postcode"] = "" if _chance(rng, 0.18) else pc
        cells["channel"] = _pick(rng, CHANNEL_RENDER[channel])
        cells["age_band"] = _render_age(rng, stated["age_band"], "survey")
        cells["ethnicity"] = _render_ethnicity(rng, stated["ethnicity"], "survey")
        cells["gender"] = _render_gender(rng, stated["gender"], "survey")
        cells["disability"] = _render_yes_no(rng, stated["disability"], "survey")
        cells["carer_status"] = _render_yes_no(rng, stated["carer_status"], "survey")
        cells["name"] = identity["name"] if _chance(rng, 0.15) else ""
        cells["email"] = identity["email"] if _chance(rng, 0.2) else ""
        voice = {"Resident": "resident", "Carer": "carer", "Health or care professional": "professional"}[rtype]
        col = REVIEW_TYPES.index(rtype)
        for question, weights in (("works_well", WORKS_WELL_WEIGHTS), ("should_change", SHOULD_CHANGE_WEIGHTS)):
            key = f"open.{question}"
            rate = ANSWER_RATE[question] + (0.1 if channel != "Survey" else 0.0)
            if not _chance(rng, rate):
                cells[key] = ""
                continue
            if _chance(rng, NON_ANSWER_RATE[question]):
                comment = Comment(text.non_answer(), vocab.NON_ANSWER_THEME_ID)
            else:
                w = {t: v[col] * (CULTURAL_THEME_BOOST if t == 23 and ethnicity in vocab.ETHNICITY_GROUPS[:2] else 1)
                     for t, v in weights.items()}
                theme = THEME_BY_ID[_weighted_theme(rng, w)]
                comment = Comment(text.substantive(theme, question, voice, channel), theme.id)
                if _chance(rng, IDENTIFIER_RATE * 1.2):
                    comment.text, comment.identifiers = text.plant_identifiers(comment.text, identity, borough)
                    if any(k == "own_name" for k, _ in comment.identifiers):
                        cells["name"] = identity["name"]
            cells[key] = comment.text
            row.comments[key] = comment
        return row

    def when_() -> dt.datetime:
        day = REVIEW_START + dt.timedelta(days=int(rng.integers(0, span + 1)))
        return dt.datetime.combine(day, dt.time(int(rng.integers(8, 22)), int(rng.integers(0, 60))))

    rows = [respondent(when_(), slot) for slot in _review_slots(rng, b_names, b_weights, ethnic_weights, age_weights)]
    kept = list(rows)
    # Resubmissions: no member id in this survey, so the same e-mail identifies the person.
    with_email = [r for r in kept if r.cells["email"] and r.when.date() > REVIEW_START + dt.timedelta(days=5)]
    for k in rng.choice(len(with_email), size=4, replace=False):
        later = with_email[int(k)]
        early = respondent(later.when - dt.timedelta(days=int(rng.integers(1, 5))))
        for f in ("respondent_type", "borough", "postcode", "age_band", "ethnicity", "gender", "name", "email"):
            early.cells[f] = later.cells[f]
        early.truth.update({k2: later.truth[k2] for k2 in ("borough", "email")})
        early.status = "superseded_resubmission"
        early.mess.append(("email", "resubmission (earlier, superseded)", later.cells["email"]))
        later.mess.append(("email", "resubmission (later, kept)", later.cells["email"]))
        rows.append(early)
    for kind in INVALID_KINDS:
        for _ in range(2):
            bad = respondent(when_())
            bad.truth["invalid_kind"] = kind
            rows.append(bad)
    for r in rows:
        _date_cell(rng, r, "survey")
    for r in rows:
        if "invalid_kind" in r.truth:
            _invalidate(rng, r, r.truth["invalid_kind"], "survey", 2025)
    idx = rng.choice(len(kept), size=6, replace=False)
    for j, value in zip(idx[:2], UNKNOWN_BOROUGHS, strict=True):
        kept[int(j)].cells["borough"] = value
        kept[int(j)].truth["borough"] = None
        kept[int(j)].mess.append(("borough", "unknown borough", value))
    for j in idx[2:5]:
        kept[int(j)].cells["ethnicity"] = "BAME"
        kept[int(j)].truth["ethnicity"] = vocab.NOT_STATED
        kept[int(j)].mess.append(("ethnicity", "ambiguous ethnicity", "BAME"))
    _plant_whitespace(rng, kept, ("works_well", "should_change"))
    kept[int(idx[5])].cells["gender"] = "ask me"
    kept[int(idx[5])].truth["gender"] = vocab.NOT_STATED
    kept[int(idx[5])].mess.append(("gender", "unknown gender value", "ask me"))
    return _finalise(rng, rows, "survey", "palliative_care_review_survey.csv")


def _quota_list(rng: np.random.Generator, n: int, values: Sequence[str], weights: Sequence[float]) -> list[str]:
    """``n`` values in exactly the weighted proportions (largest remainder), in random order."""
    total = float(sum(weights))
    counts = quota_counts(n, [w / total for w in weights])
    out = [v for v, c in zip(values, counts, strict=True) for _ in range(c)]
    return [out[int(i)] for i in rng.permutation(len(out))]


def _review_slots(rng: np.random.Generator, b_names: list[str], b_weights: list[float],
                  ethnic_weights: Callable[[str], list[float]],
                  age_weights: Callable[[str], tuple[float, ...]]) -> list[dict[str, str]]:
    """Who the review's kept respondents are, allocated by quota.

    Quotas (not independent draws) make the planted under-representation
    (Hillingdon, Hounslow, 16-24 year olds, Asian residents of Harrow) exact
    instead of at the mercy of sampling noise in cells of 50-100 people.
    """
    n = REVIEW_SIZE
    types = _quota_list(rng, n, REVIEW_TYPES, REVIEW_TYPE_SHARE)
    places = [*b_names, vocab.BOROUGH_OTHER]
    boroughs = _quota_list(rng, n, places, [w / sum(b_weights) * 0.97 for w in b_weights] + [0.03])
    slots = [{"group": t, "borough": b} for t, b in zip(types, boroughs, strict=True)]
    for place in places:
        members = [s for s in slots if s["borough"] == place]
        for s, e in zip(members, _quota_list(rng, len(members), vocab.ETHNICITY_GROUPS, ethnic_weights(place)), strict=True):
            s["ethnicity"] = e
    for rtype in REVIEW_TYPES:
        members = [s for s in slots if s["group"] == rtype]
        for s, a in zip(members, _quota_list(rng, len(members), vocab.AGE_BANDS, age_weights(rtype)), strict=True):
            s["age_band"] = a
    return slots


ACTIVITY_TYPE_RENDER = {
    "Event": ("Event", "event", "Community event"), "Webinar": ("Webinar", "Online webinar"),
    "External meeting": ("External meeting", "Meeting"),
    "One-to-one interview": ("One-to-one interview", "Interview", "1:1 interview", "One to one interview"),
    "Online survey": ("Online survey", "Survey"),
    "Written submission": ("Written submission", "Letter", "Email submission"),
}
ACTIVITY_PLAN = {"Event": 22, "Webinar": 8, "External meeting": 16, "One-to-one interview": 14,
                 "Online survey": 6, "Written submission": 8}
AUDIENCES = {
    "Event": ("Residents", "Carers", "Residents", "Faith groups", "Older people's groups"),
    "Webinar": ("Residents", "GPs and community nurses", "Carers", "Voluntary sector"),
    "External meeting": ("Voluntary sector", "GPs and community nurses", "Faith groups", "Care home managers",
                         "Borough health and wellbeing board"),
    "One-to-one interview": ("Carers", "Residents", "Bereaved families"),
    "Online survey": ("Residents", "Carers", "Health and care staff"),
    "Written submission": ("Voluntary sector", "Residents", "Carers"),
}
VENUES = {
    "Brent": ("Willesden Green library", "Kilburn community centre", "Wembley mosque hall"),
    "Ealing": ("Southall community centre", "Ealing town hall", "Acton gurdwara hall"),
    "Hammersmith and Fulham": ("Hammersmith library", "Fulham pensioners' club"),
    "Harrow": ("Harrow civic centre", "Wealdstone youth centre"),
    "Hillingdon": ("Uxbridge library",),
    "Hounslow": ("Hounslow community hub", "Feltham library"),
    "Kensington and Chelsea": ("North Kensington library", "Chelsea old town hall", "Golborne Road café"),
    "Westminster": ("Church Street library", "Marylebone hospice café", "Paddington community hall"),
}
ACTIVITY_BOROUGH_WEIGHTS = (0.14, 0.15, 0.15, 0.12, 0.06, 0.08, 0.16, 0.14)


def _activity_note(rng: np.random.Generator, kind: str, borough: str, audience: str) -> tuple[str, list]:
    topics = [THEME_BY_ID[t].name.lower() for t in (17, 18, 19, 20, 21, 22, 23, 24, 25)]
    t1, t2 = (topics[int(i)] for i in rng.choice(len(topics), size=2, replace=False))
    venue = _pick(rng, VENUES[borough])
    templates = {
        "Event": (f"Drop-in at {venue}. Main issues raised: {t1} and {t2}.",
                  f"Stall at {venue}, busy morning. Lots about {t1}.",
                  f"Community event at {venue} with {audience.lower()}; {t1} came up repeatedly"),
        "Webinar": (f"Lunchtime webinar for {audience.lower()}. Questions mostly on {t1}.",
                    f"Evening webinar, recording shared afterwards. Discussion: {t1}, {t2}"),
        "External meeting": (f"Presented the review to {audience.lower()} meeting. Feedback on {t1}.",
                             f"Attended {borough} partnership meeting; agreed to share findings on {t1}"),
        "One-to-one interview": (f"Interview ({audience.lower()}) referred by the hospice. Key points: {t1}.",
                                 f"Phone interview. Strong views on {t1} and {t2}."),
        "Online survey": (f"Survey promoted through {borough} council newsletter",
                          f"Survey link shared via {audience.lower()} networks"),
        "Written submission": (f"Letter received about {t1}.",
                               f"Email submission from {audience.lower()} organisation covering {t1} and {t2}"),
    }
    note = _pick(rng, templates[kind])
    ids: list[tuple[str, str]] = []
    if _chance(rng, 0.2):
        staff = _pick(rng, STAFF_NAMES)
        note += f" Facilitated by {staff}."
        ids.append(("staff_name", staff))
    if kind in ("Written submission", "One-to-one interview") and _chance(rng, 0.25):
        ident = _new_identity(rng, set())
        extra = _pick(rng, (("email", ident["email"]), ("phone", ident["phone"]), ("name", ident["name"])))
        note += {"email": f" Reply to {extra[1]}.", "phone": f" Call back on {extra[1]}.",
                 "name": f" Contact: {extra[1]}."}[extra[0]]
        ids.append(extra)
    return note, ids


def _build_activities(rng: np.random.Generator) -> list[Row]:
    rows: list[Row] = []
    span = (REVIEW_END - dt.date(2025, 2, 3)).days
    for kind, n in ACTIVITY_PLAN.items():
        for _ in range(n):
            borough = _pick(rng, vocab.BOROUGHS, ACTIVITY_BOROUGH_WEIGHTS)
            audience = _pick(rng, AUDIENCES[kind])
            when = dt.datetime.combine(dt.date(2025, 2, 3) + dt.timedelta(days=int(rng.integers(0, span + 1))),
                                       dt.time())
            participants = {"Event": (8, 60), "Webinar": (12, 85), "External meeting": (4, 20),
                            "One-to-one interview": (1, 1), "Online survey": (20, 150),
                            "Written submission": (1, 3)}[kind]
            row = Row(cells={}, when=when, truth={"activity_type": kind, "borough": borough})
            note, ids = _activity_note(rng, kind, borough, audience)
            row.cells.update({
                "activity_type": _pick(rng, ACTIVITY_TYPE_RENDER[kind]),
                "borough": _render_borough(rng, borough, row.mess, "borough"),
                "audience": audience,
                "participants": int(rng.integers(participants[0], participants[1] + 1)),
                "description": note,
            })
            row.truth["identifiers"] = ids
            rows.append(row)
    rows.sort(key=lambda r: (r.when, r.cells["activity_type"], r.cells["description"]))
    for r in rows:
        value, label = _render_date(rng, r.when, "activity")
        r.cells["date"], r.date_style = value, label
    invalid = rng.choice(len(rows), size=5, replace=False)
    for j, (f, kind, value) in zip(invalid, (
            ("participants", "participants negative", -3), ("participants", "participants negative", -12),
            ("participants", "participants non-numeric", "approx 20"),
            ("date", "unparseable date", "31/02/2025"), ("activity_ref", "missing activity ref", "")), strict=True):
        row = rows[int(j)]
        row.status = "invalid"
        if f != "activity_ref":
            row.cells[f] = value
        row.truth["blank_ref"] = f == "activity_ref"
        row.mess.append((f, kind, value))
    for i, r in enumerate(rows):
        r.cells["activity_ref"] = "" if r.truth.get("blank_ref") else f"PCR-A{i + 1:03d}"
    dup = int(_pick(rng, [i for i, r in enumerate(rows) if r.status == "kept"]))
    copy = Row(cells=dict(rows[dup].cells), when=rows[dup].when, status="exact_duplicate", truth=rows[dup].truth,
               mess=[("activity_ref", "exact duplicate row", rows[dup].cells["activity_ref"])],
               date_style=rows[dup].date_style)
    rows.insert(dup + 1, copy)
    return rows


# --------------------------------------------------------------------------------------
# b2. Co-production ladder (both cycles' activity logs) and the 2024 cycle's activity log
# --------------------------------------------------------------------------------------

#: The ladder (config reach.ladder's default), lowest rung first.
LADDER: tuple[str, ...] = vocab.INVOLVEMENT_LADDER
#: Activity types that are consultation by nature: always "consult".
CONSULTATIVE_TYPES: frozenset[str] = frozenset({"One-to-one interview", "Online survey", "Written submission"})
#: Shares of the ladder's rungs among the other activities (events, webinars, external meetings), by cycle.
#: The planted effect: the 2025 cycle co-produces far more than the 2024 cycle.
LADDER_SHARES: dict[int, tuple[float, ...]] = {
    2024: (0.30, 0.25, 0.25, 0.12, 0.08),
    2025: (0.10, 0.15, 0.20, 0.20, 0.35),
}
#: P(experts by experience involved from the start | rung), and P(left blank).
FROM_START_P: dict[str, float] = {"inform": 0.05, "consult": 0.05, "involve": 0.3, "collaborate": 0.7,
                                  "co-produce": 1.0}
FROM_START_BLANK = 0.05
LEVEL_RENDER: dict[str, tuple[str, ...]] = {
    "inform": ("inform", "Inform", "INFORM"), "consult": ("consult", "Consult", "consult "),
    "involve": ("involve", "Involve"), "collaborate": ("collaborate", "Collaborate"),
    "co-produce": ("co-produce", "Co-produce", "CO-PRODUCE", "co produce", "Coproduce"),
}
FLAG_RENDER: dict[bool, tuple[str, ...]] = {True: ("Yes", "Y", "yes"), False: ("No", "N", "no")}
#: Independent random streams (seeded from the seed and these tags, not spawned from the root generator), so
#: that adding them left every other file's draws, and bytes, unchanged.
LADDER_STREAM, ACTIVITIES_2024_STREAM = 0x1ADDE2, 0xAC2024
ACTIVITY_LOG_2024 = "engagement_activity_log_2024.csv"
ACTIVITY_PLAN_2024 = {"Event": 14, "Webinar": 6, "External meeting": 12, "One-to-one interview": 8,
                      "Online survey": 4, "Written submission": 6}
CASE_STUDIES_FILE = "case_studies.csv"


def plant_ladder(rng: np.random.Generator, rows: list[Row], year: int) -> None:
    """Give every activity a rung of the ladder and an involved-from-the-start answer (in place).

    Consultative activities (interviews, surveys, written submissions) consult; the others take rungs by quota
    (largest remainder, then shuffled) to exactly :data:`LADDER_SHARES` of their cycle. An exact duplicate row
    copies the row it duplicates, so it stays an exact duplicate.
    """
    originals = [r for r in rows if r.status != "exact_duplicate"]
    open_rows = [r for r in originals if r.truth["activity_type"] not in CONSULTATIVE_TYPES]
    levels = [level for level, n in zip(LADDER, quota_counts(len(open_rows), LADDER_SHARES[year]), strict=True)
              for _ in range(n)]
    for row, level in zip(open_rows, rng.permutation(levels), strict=True):
        row.truth["involvement_level"] = str(level)
    for row in originals:
        level = row.truth.setdefault("involvement_level", "consult")
        from_start = None if _chance(rng, FROM_START_BLANK) else _chance(rng, FROM_START_P[level])
        row.truth["involved_from_start"] = from_start
        row.cells["involvement_level"] = _pick(rng, LEVEL_RENDER[level])
        row.cells["involved_from_start"] = "" if from_start is None else _pick(rng, FLAG_RENDER[from_start])
    for i, row in enumerate(rows):
        if row.status == "exact_duplicate":
            source = rows[i - 1]
            for key in ("involvement_level", "involved_from_start"):
                row.cells[key] = source.cells[key]


def _build_activities_2024(rng: np.random.Generator) -> list[Row]:
    """The 2024 cycle's engagement activity log: tidy (no planted mess), so it only carries the ladder."""
    rows: list[Row] = []
    start, end = dt.date(2024, 2, 5), dt.date(2024, 7, 31)
    topics = [THEME_BY_ID[t].name.lower() for t in (8, 9, 11, 12, 13, 15, 17, 19, 21)]
    for kind, n in ACTIVITY_PLAN_2024.items():
        for _ in range(n):
            borough = _pick(rng, vocab.BOROUGHS, ACTIVITY_BOROUGH_WEIGHTS)
            audience = _pick(rng, AUDIENCES[kind])
            when = dt.datetime.combine(start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1))),
                                       dt.time())
            low, high = {"Event": (8, 50), "Webinar": (10, 60), "External meeting": (4, 18),
                         "One-to-one interview": (1, 1), "Online survey": (20, 120), "Written submission": (1, 2)}[kind]
            row = Row(cells={"activity_type": kind, "borough": borough, "audience": audience,
                             "participants": int(rng.integers(low, high + 1)),
                             "description": f"{kind} with {audience if audience.startswith('GP') else audience.lower()} "
                                            f"in {borough}; "
                                            f"main topic: {_pick(rng, topics)}."},
                      when=when, truth={"activity_type": kind, "borough": borough})
            rows.append(row)
    rows.sort(key=lambda r: (r.when, r.cells["activity_type"], r.cells["description"]))
    for i, r in enumerate(rows):
        r.cells["activity_ref"] = f"ENG24-A{i + 1:03d}"
        r.cells["date"] = r.when.strftime("%Y-%m-%d")
    return rows


# --------------------------------------------------------------------------------------
# b3. Case-study log
# --------------------------------------------------------------------------------------

#: (title, theme ids, what people said, what changed, consent as written, quote). Two consented stories and one
#: without consent, which the report must never show; a staff name is planted for de-identification.
CASE_STUDIES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("One number to call: a named key worker for families", "17; 19",
     "Families told us they had to repeat their story to every service and did not know who to ring at night.",
     "A named key worker for every person on the palliative care register is being piloted in Brent and Ealing; "
     "families now have one number to call.", "Yes",
     "For the first time someone rang us before we had to chase. It made the last weeks calmer for all of us."),
    ("A follow-up call designed with bereaved families", "21",
     "Bereaved relatives said support stopped on the day their person died.",
     "Families and hospice staff co-produced a follow-up call six weeks after every death; Grace Okafor trained "
     "the volunteers who make the calls.", "Y",
     "The call came just when everyone else had stopped asking how we were."),
    ("Waiting for respite", "19",
     "A carer described two years without a night's respite.",
     "The bid for extra respite beds was resubmitted.", "No",
     "I have not slept properly in a year. Please do not use my name."),
)


def _build_case_studies() -> list[Row]:
    rows = []
    for i, (title, themes, said, changed, consent, quote) in enumerate(CASE_STUDIES, start=1):
        row = Row(cells={"case_ref": f"CS-2025-{i:02d}", "cycle": "2025", "title": title, "theme_ids": themes,
                         "what_people_said": said, "what_changed": changed, "consent": consent, "quote": quote},
                  when=dt.datetime(2025, 10, i), truth={"consent": consent.lower().startswith("y"),
                                                        "theme_ids": [int(t) for t in themes.split(";")]})
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------
# c. Actions log
# --------------------------------------------------------------------------------------

#: (cycle, theme id, you said, we did, status, reason)
ACTIONS: tuple[tuple[str, int, str, str, str, str], ...] = (
    ("2024", 8, "You never hear back about what happened to your ideas.",
     "We now send a 'you said, we did' update to every group three months after each meeting.", "Done", ""),
    ("2024", 8, "Tell people who took part what changed, not just managers.",
     "Quarterly involvement newsletter listing outcomes of each project, posted and emailed.", "Done", ""),
    ("2024", 9, "You are asked too late, when decisions are already made.",
     "Involvement is now a required step at project initiation in the trust's project template.", "In progress",
     "Template updated; roll-out to all directorates by March."),
    ("2024", 11, "The venues are not always accessible and papers arrive late.",
     "Accessibility checklist for all venues; papers sent at least five working days before meetings.", "Done", ""),
    ("2024", 12, "New members feel thrown in at the deep end.",
     "Induction session and buddy scheme for new experts by experience.", "Done", ""),
    ("2024", 14, "Too much jargon and too many acronyms.",
     "Jargon buster glossary added to every meeting pack; chairs asked to check language.", "Done", ""),
    ("2024", 13, "The same few faces are always asked.",
     "Outreach sessions with three community and faith organisations.", "In progress",
     "Two of three sessions held."),
    ("2024", 15, "Keep an online option but bring back face to face.",
     "All core groups now meet hybrid with a tested room kit.", "Done", ""),
    ("2024", 7, "Involvement feels like a tick-box exercise.",
     "Annual impact report co-written with members showing what changed.", "Done", ""),
    ("2024", 1, "Let patients help redesign the appointment letters.",
     "Letters redesigned with the reading panel and in use since September.", "Done", ""),
    ("2024", 2, "Offer training so members can chair and present.",
     "Chairing and presenting course, two cohorts a year.", "Done", ""),
    ("2024", 6, "Put experts by experience on more interview panels.",
     "Lived-experience panel member for all band 7 and above clinical posts.", "Not possible",
     "HR policy requires trained panel members for every post; training capacity funded for band 8 only this year."),
    ("2025", 8, "Still not always told what happened.",
     "Outcome tracker on the involvement web page, updated monthly.", "Planned", ""),
    ("2025", 9, "Involve us at the start of the community services redesign.",
     "Two experts by experience joined the redesign steering group from its first meeting.", "Done", ""),
    ("2025", 12, "More support after difficult meetings.",
     "Optional debrief call offered after every meeting where personal stories are shared.", "In progress",
     "Pilot running in mental health groups."),
    ("2025", 13, "Hear from younger people.",
     "Youth involvement panel with the local college.", "Planned", ""),
    ("2025", 17, "Services do not talk to each other; one point of contact is needed.",
     "Named key worker for every person on the palliative care register, piloted in two boroughs.", "In progress",
     "Pilot in Brent and Ealing; evaluation due in the autumn."),
    ("2025", 17, "Records are not shared between hospital, GP and hospice.",
     "Shared end of life care plan on the London care record for all palliative patients.", "Planned", ""),
    ("2025", 19, "Carers are exhausted and nobody asks how they are coping.",
     "Carer check-in call at every palliative review and referral to borough carers' services.", "Done", ""),
    ("2025", 19, "Respite is almost impossible to get.",
     "Extra respite beds at the hospice.", "Not possible",
     "No capital funding this year; the bid has been resubmitted for next year."),
    ("2025", 20, "People's wishes about where they die are not followed.",
     "Advance care plan prompts added to ambulance handover and care home records.", "In progress", ""),
    ("2025", 21, "Support stops after the death.",
     "Follow-up call to the family six weeks after every death on the caseload.", "Done", ""),
    ("2025", 22, "Families want honest conversations earlier.",
     "Communication skills training for ward and community staff on end of life conversations.", "Planned", ""),
    ("2025", 23, "Services do not understand our culture and faith.",
     "Faith and culture guide written with local faith leaders; interpreters bookable 24/7.", "In progress", ""),
    ("2025", 24, "Equipment and care packages take too long.",
     "Equipment ordered before discharge for everyone on the fast-track pathway.", "Done", ""),
    ("2025", 25, "The hospice is valued; keep it.",
     "Findings shared with commissioners to support the hospice contract renewal.", "Done", ""),
)
STATUS_RENDER = {"Done": ("Done", "done", "Complete", "Completed"), "In progress": ("In progress", "Ongoing", "WIP"),
                 "Planned": ("Planned", "Not started"), "Not possible": ("Not possible", "Not feasible", "Can't do")}


def _build_actions(rng: np.random.Generator) -> list[Row]:
    rows: list[Row] = []
    counters: Counter = Counter()
    for cycle, theme_id, said, did, status, reason in ACTIONS:
        counters[cycle] += 1
        year = int(cycle)
        updated = dt.date(year, 11, 1) + dt.timedelta(days=int(rng.integers(0, 55)))
        updated = min(updated, dt.date(2025, 11, 20))
        row = Row(cells={}, when=dt.datetime.combine(updated, dt.time()), truth={"status": status,
                                                                              "theme_id": theme_id})
        status_raw = _pick(rng, STATUS_RENDER[status])
        if status_raw != status:
            row.mess.append(("status", "action status variant", status_raw))
        fmt = _pick(rng, ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y"))
        row.cells.update({"action_ref": f"YSWD-{cycle}-{counters[cycle]:02d}", "cycle": cycle,
                          "theme_id": str(theme_id), "you_said": said, "we_did": did, "status": status_raw,
                          "reason": reason, "updated_at": updated.strftime(fmt)})
        rows.append(row)
    bad = (("status", "unknown action status", "TBC", 9), ("status", "unknown action status", "see notes", 12),
           ("theme_id", "theme_id not an integer", "7a", 7), ("theme_id", "theme_id not an integer", "tbc", 22),
           ("action_ref", "missing action ref", "", 14))
    for k, (f, kind, value, theme_id) in enumerate(bad):
        updated = dt.date(2025, 10, 6) + dt.timedelta(days=k * 3)
        row = Row(cells={"action_ref": f"YSWD-2025-{counters['2025'] + k + 1:02d}", "cycle": "2025",
                         "theme_id": str(theme_id), "you_said": _pick(rng, THEME_BY_ID[theme_id].cores),
                         "we_did": "To be agreed at the next involvement board.", "status": "Planned", "reason": "",
                         "updated_at": updated.strftime("%d/%m/%Y")},
                  when=dt.datetime.combine(updated, dt.time()), status="invalid")
        row.cells["you_said"] = re.sub(r"^[A-Z]\|", "", row.cells["you_said"]).replace("{project}", "the leaflets") \
            .replace("{service}", "the community team").replace("{meeting}", "the panel")
        row.cells["you_said"] = row.cells["you_said"][0].upper() + row.cells["you_said"][1:] + "."
        row.cells[f] = value
        row.mess.append((f, kind, value))
        rows.insert(int(rng.integers(3, len(rows))), row)
    return rows


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def _write_csv(path: Path, header_map: dict[str, str], rows: Iterable[dict[str, Any]], *, encoding: str,
               lineterminator: str = "\r\n") -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(header_map.values()))
    for cells in rows:
        writer.writerow(["" if cells.get(f) is None else cells.get(f) for f in header_map])
    # encode explicitly so that an unencodable character is a loud error, never a silent '?'
    path.write_bytes(buf.getvalue().encode(encoding, errors="strict"))


def _write_xlsx(path: Path, sheet: str, header_map: dict[str, str], rows: Iterable[dict[str, Any]],
                date_field: str) -> None:
    from openpyxl import Workbook  # local: keeps `python -m analysis` start-up fast

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(header_map.values()))
    date_col = list(header_map).index(date_field) + 1
    for cells in rows:
        ws.append([None if cells.get(f) in ("", None) else cells.get(f) for f in header_map])
        cell = ws.cell(row=ws.max_row, column=date_col)
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "dd/mm/yyyy hh:mm" if cell.value.time() != dt.time() else "dd/mm/yyyy"
    for col, header in enumerate(header_map.values(), start=1):
        ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = min(60, max(10, len(header) + 2))
    wb.properties.creator = "analysis.example_data"  # kept: part of the committed example files' bytes
    wb.properties.lastModifiedBy = "analysis.example_data"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    raw = io.BytesIO()
    wb.save(raw)
    path.write_bytes(_deterministic_zip(raw.getvalue()))


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an XLSX with fixed member timestamps and fixed core-properties dates.

    openpyxl stamps ``dcterms:modified`` with the save time and zip members with
    the wall clock, so the same workbook would otherwise differ byte for byte.
    """
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{stamp}\g<2>", text)
                content = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 11, 23, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def _row_number_map(rows: list[Row]) -> list[int]:
    """1-based spreadsheet row of each data row (header is row 1)."""
    return [i + 2 for i in range(len(rows))]


# --------------------------------------------------------------------------------------
# Ground truth and README
# --------------------------------------------------------------------------------------


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}" if den else "-"


def expected_effects(files: dict[str, list[Row]]) -> list[dict[str, Any]]:
    """Observed % positive per item, wave and group in the rows cleaning should keep.

    Invalid rows, exact duplicates and superseded resubmissions are excluded;
    Don't know, Not applicable, blank and unknown values are not valid answers.
    """
    counts: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for name in INVOLVEMENT_FILES:
        for row in files[name]:
            if row.status != "kept":
                continue
            for item, code in row.truth["items"].items():
                if isinstance(code, int):
                    for group in (row.truth["group"], "All"):
                        c = counts[(item, row.truth["wave"], group)]
                        c[0] += 1
                        c[1] += code >= 4
    out = []
    for item in ITEM_IDS:
        for group in (STAFF, EBE, "All"):
            for wave in WAVES:
                n, pos = counts[(item, wave, group)]
                gen = P_POSITIVE[item][group][wave] if group != "All" else None
                out.append({"item_id": item, "wave": wave, "group": group,
                            "generating_p_positive": "" if gen is None else f"{gen:.4f}",
                            "n_valid": n, "n_positive": pos, "observed_pct_positive": _pct(pos, n)})
    return out


def _ground_truth_rows(files: dict[str, list[Row]]) -> tuple[list[dict], list[dict]]:
    themes, mess = [], []
    for name, rows in files.items():
        header_map = HEADERS[name]
        for row_no, row in zip(_row_number_map(rows), rows, strict=True):
            for key, comment in row.comments.items():
                themes.append({
                    "file": name, "row": row_no, "column": header_map[key], "question_id": key.split(".", 1)[1],
                    "theme_id": comment.theme_id, "theme": comment.theme_name,
                    "is_non_answer": comment.theme_id == vocab.NON_ANSWER_THEME_ID, "row_status": row.status,
                    "identifiers": " | ".join(f"{k}={v}" for k, v in comment.identifiers),
                })
            for f, kind, value in row.mess:
                mess.append({"file": name, "row": row_no, "column": header_map[f], "kind": kind,
                             "value": _show(value), "row_status": row.status})
            if name == "palliative_care_review_activity_log.xlsx" and row.truth.get("identifiers"):
                for k, v in row.truth["identifiers"]:
                    mess.append({"file": name, "row": row_no, "column": header_map["description"],
                                 "kind": f"identifier in notes ({k})", "value": v, "row_status": row.status})
    return themes, mess


def _show(value: Any) -> str:
    """A raw cell as text for the ground truth and README (blank stays blank)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _readme(files: dict[str, list[Row]], effects: list[dict], themes_gt: list[dict], mess_gt: list[dict],
            pop: list[dict], shares: dict[str, Any], seed: int, sizes: dict[str, int]) -> str:
    inv_kept = [r for n in INVOLVEMENT_FILES for r in files[n] if r.status == "kept"]
    per_person = Counter(r.truth["person_index"] for r in inv_kept)
    multi = sum(1 for v in per_person.values() if v > 1)
    with_id = Counter(r.truth["person"] for r in inv_kept if r.truth["person"])
    parts: list[str] = []
    add = parts.append
    add("# Synthetic example data (generated: do not edit by hand)\n")
    add(f"Written by `python -m analysis make-example` (`analysis_example.generate.make_example`, seed {seed}). "
        "Every person, comment, number and identifier in these files is synthetic: names are drawn from short "
        "lists, e-mail domains are reserved `example` domains, phone numbers come from Ofcom's drama ranges "
        "(07700 900xxx, 020 7946 0xxx, 0161 496 0xxx), NHS numbers are in the 999 test range (valid modulus-11 "
        "check digits), and postcodes combine real outward codes with random inward codes. "
        "This README is generated by the same code, so every count below matches the files exactly.\n")
    add("## Files\n")
    enc = {"involvement_survey_2019_2021.csv": "cp1252 (Windows-1252), CRLF", "involvement_survey_2022_2023.xlsx":
           "Excel workbook, sheet `Responses`", "involvement_survey_2024_2025.csv": "UTF-8 with BOM, CRLF",
           "palliative_care_review_survey.csv": "cp1252, CRLF", "palliative_care_review_activity_log.xlsx":
           "Excel workbook, sheet `Activity log`", "actions_log.csv": "UTF-8, CRLF",
           "population_benchmark.csv": "UTF-8, CRLF", ACTIVITY_LOG_2024: "UTF-8, CRLF (2024 cycle only)",
           CASE_STUDIES_FILE: "UTF-8, CRLF", GROUND_TRUTH_THEMES: "UTF-8 (generator ground truth)",
           GROUND_TRUTH_MESS: "UTF-8 (generator ground truth)", GROUND_TRUTH_EFFECTS: "UTF-8 (generator ground truth)"}
    file_rows = []
    for name, size in sizes.items():
        n = len(files[name]) if name in files else {"population_benchmark.csv": len(pop)}.get(name, "")
        file_rows.append((f"`{name}`", enc.get(name, ""), n, f"{size / 1024:.0f} KB"))
    add(_md_table(("file", "format", "data rows", "size"), file_rows) + "\n")
    add("The raw headers are exactly those mapped in `config/example.yaml`. The three `ground_truth_*.csv` files "
        "are **generator ground truth for tests, not inputs**: the pipeline never reads them and no config maps "
        "them. `row` is the 1-based spreadsheet row (header = row 1; for CSVs a record with line breaks inside "
        "quotes is still one row).\n")
    add("- `ground_truth_themes.csv`: one line per non-blank open-text cell: file, row, column (raw header), "
        "question_id, theme_id (codebook id, or -2 for a non-answer), theme, is_non_answer, row_status "
        "(kept / exact_duplicate / superseded_resubmission / invalid) and the identifiers planted in it "
        "(`kind=value | ...`).\n"
        "- `ground_truth_mess.csv`: one line per planted piece of mess (file, row, column, kind, value, row_status).\n"
        "- `ground_truth_effects.csv`: the generating probability and the expected observed % positive per item, "
        "wave and group (kept rows only).\n")

    add("## a. Annual involvement survey\n")
    wave_n = Counter(r.truth["wave"] for r in inv_kept)
    grp_n = Counter(r.truth["group"] for r in inv_kept)
    add(f"Waves {', '.join(map(str, WAVES))} (no 2020 survey: pandemic). Respondents kept after cleaning per wave: "
        + ", ".join(f"{w}: {wave_n[w]}" for w in WAVES) + f" (total {len(inv_kept)}; staff {grp_n[STAFF]}, "
        f"experts by experience {grp_n[EBE]}). Distinct people: {len(per_person)}; people answering two or more "
        f"waves: {multi} ({100 * multi / len(per_person):.1f}%). Persistent member ids present on "
        f"{sum(with_id.values())} kept rows ({len(with_id)} distinct ids; the same id is used in all three "
        "systems); the rest left the member id blank. Fieldwork runs 1 October to 30 November each year, so the "
        "wave is the year of the submission date.\n")
    add("### Planted effects (ground truth for the change-over-time analysis)\n")
    add("% positive = (Agree + Strongly agree) / valid answers (1..5); Don't know, Not applicable, blank and "
        "unknown values are excluded. Each cell's answer is drawn from a per-item, per-group, per-wave vector: "
        f"P(Don't know) first (per item: {', '.join(f'{k} {v:.0%}' for k, v in DK_RATE.items())}); "
        f"from 2022 P(Not applicable) = {NA_RATE:.0%}; P(item skipped) = {ITEM_BLANK_RATE:.1%}; "
        f"{PARTIAL_RATE:.0%} of responses stop part-way (later items and both open questions blank). "
        f"The remaining (valid) answers take codes 1..5 with P(positive) = p split Agree {POSITIVE_SPLIT[0]:.0%} / "
        f"Strongly agree {POSITIVE_SPLIT[1]:.0%} of p, and the rest Neither {NEGATIVE_SPLIT[0]:.0%} / Disagree "
        f"{NEGATIVE_SPLIT[1]:.0%} / Strongly disagree {NEGATIVE_SPLIT[2]:.0%} of (1 - p). In the rows cleaning "
        "keeps, the valid answers of each item x wave x group cell are allocated by quota (largest remainder) "
        "to exactly this vector and shuffled among the cell's respondents, so the observed % equals the "
        "generating value up to rounding and the few planted unknown values: the planted changes are certain and "
        "the null item shows no chance drift. Superseded resubmissions and invalid rows are drawn at random from "
        "the same vectors.\n")
    add(_md_table(("item", "planted effect"), [(f"`{k}`", v) for k, v in EFFECT_DESCRIPTIONS.items()]) + "\n")
    add("Generating P(positive) (%), then the observed % positive in the kept rows (n valid in brackets):\n")
    eff = {(e["item_id"], e["wave"], e["group"]): e for e in effects}
    table = []
    for item in ITEM_IDS:
        for group in (STAFF, EBE, "All"):
            cells = []
            for w in WAVES:
                e = eff[(item, w, group)]
                gen = f"{100 * float(e['generating_p_positive']):.1f} / " if e["generating_p_positive"] else ""
                cells.append(f"{gen}{e['observed_pct_positive']} ({e['n_valid']})")
            table.append((f"`{item}`", group, *cells))
    add(_md_table(("item", "group", *map(str, WAVES)), table) + "\n")
    add("Exact generating vectors P(code 1..5 | valid answer) for each distinct p used:\n")
    ps = sorted({p for item in P_POSITIVE.values() for g in item.values() for p in g.values()})
    add(_md_table(("p positive", "1 Strongly disagree", "2 Disagree", "3 Neither", "4 Agree", "5 Strongly agree"),
                  [(f"{p:.4f}", *(f"{v:.4f}" for v in likert_vector(p))) for p in ps]) + "\n")

    add("## b. Palliative care review (2025)\n")
    review = [r for r in files["palliative_care_review_survey.csv"] if r.status == "kept"]
    acts = [r for r in files["palliative_care_review_activity_log.xlsx"] if r.status == "kept"]
    add(f"Survey respondents kept after cleaning: {len(review)} ("
        + ", ".join(f"{t}: {c}" for t, c in Counter(r.truth['group'] for r in review).most_common())
        + "); channels: " + ", ".join(f"{t}: {c}" for t, c in Counter(r.truth['channel'] for r in review).most_common())
        + f". Fieldwork {REVIEW_START:%d %B} to {REVIEW_END:%d %B %Y}. Activity log: {len(acts)} valid activities "
        "(" + ", ".join(f"{t}: {c}" for t, c in Counter(r.truth['activity_type'] for r in acts).most_common())
        + f"), {sum(int(r.cells['participants']) for r in acts)} participants in total.\n")
    add(_ladder_readme(files))
    add("`population_benchmark.csv` is **ILLUSTRATIVE**: plausible magnitudes for the 16+ population of each "
        "borough by age band and ethnic group, shaped like Census 2021 but NOT census figures. Users must supply "
        "real ONS figures for a real review.\n")
    add("### Planted under-representation (ground truth for the reach analysis)\n")
    add("Representation ratio = share of respondents (kept rows, value stated, inside the eight boroughs) / share "
        "of the illustrative population. Kept respondents are allocated by quota (largest remainder, then "
        "shuffled) to exactly these proportions: borough weights = population share x "
        + ", ".join(f"{b} {f}" for b, f in REVIEW_BOROUGH_FACTOR.items())
        + f"; ages drawn from {dict(zip(vocab.AGE_BANDS, REVIEW_AGE_SHARE_PUBLIC, strict=True))} for residents and carers; "
        f"ethnic groups within each borough in the population mix, except Asian respondents in Harrow at "
        f"{HARROW_ASIAN_FACTOR} x their population share.\n")
    stated_b = [r for r in review if r.truth["borough"] in vocab.BOROUGHS]
    bc = Counter(r.truth["borough"] for r in stated_b)
    rep_rows = [(b, bc[b], f"{100 * bc[b] / len(stated_b):.1f}", f"{100 * shares['borough'][b]:.1f}",
                 f"{bc[b] / len(stated_b) / shares['borough'][b]:.2f}") for b in vocab.BOROUGHS]
    add(_md_table(("borough", "respondents", "% respondents", "% population", "ratio"), rep_rows) + "\n")
    stated_a = [r for r in review if r.truth["age_band"] != vocab.NOT_STATED and r.truth["borough"] in vocab.BOROUGHS]
    ac = Counter(r.truth["age_band"] for r in stated_a)
    add(_md_table(("age band", "respondents", "% respondents", "% population", "ratio"),
                  [(a, ac[a], f"{100 * ac[a] / len(stated_a):.1f}", f"{100 * shares['age'][a]:.1f}",
                    f"{ac[a] / len(stated_a) / shares['age'][a]:.2f}") for a in vocab.AGE_BANDS]) + "\n")
    harrow = [r for r in review if r.truth["borough"] == "Harrow" and r.truth["ethnicity"] != vocab.NOT_STATED]
    hc = Counter(r.truth["ethnicity"] for r in harrow)
    add("Ethnicity within Harrow:\n")
    add(_md_table(("ethnic group", "respondents", "% respondents", "% population", "ratio"),
                  [(e, hc[e], _pct(hc[e], len(harrow)), f"{100 * shares['borough_eth'][('Harrow', e)]:.1f}",
                    f"{hc[e] / max(1, len(harrow)) / shares['borough_eth'][('Harrow', e)]:.2f}")
                   for e in vocab.ETHNICITY_GROUPS]) + "\n")
    add("Clearly under-represented by design: **Hillingdon** and **Hounslow** (boroughs), **16-24 year olds** "
        "(all boroughs), **Asian or Asian British residents in Harrow**. Kensington and Chelsea is "
        "over-represented, as are people aged 45 and over (palliative care draws older respondents). The activity "
        "log mirrors the borough pattern (few activities in Hillingdon and Hounslow).\n")

    add("## Open-text themes (ground truth for theming)\n")
    add("Comments are composed from per-theme phrase banks (openers, cores, details, short forms, in critical and "
        "praise framings) with contractions, misspellings, letter swaps/drops, lower-casing, run-ons and line "
        "breaks. One theme per comment. Codebook: `config/codebooks/example.yaml` (ids 1..25); non-answers have "
        f"theme_id {vocab.NON_ANSWER_THEME_ID}. Counts of comments in kept rows:\n")
    kept_keys = {(name, row_no) for name, rows in files.items()
                 for row_no, r in zip(_row_number_map(rows), rows, strict=True) if r.status == "kept"}
    tc = Counter((t["question_id"], t["theme_id"]) for t in themes_gt if (t["file"], t["row"]) in kept_keys)
    q_tot = Counter(t["question_id"] for t in themes_gt if (t["file"], t["row"]) in kept_keys)
    theme_rows = []
    for q in ("difference_made", "make_better", "works_well", "should_change"):
        for (qq, tid), c in sorted(tc.items(), key=lambda kv: -kv[1]):
            if qq == q:
                name = vocab.NON_ANSWER_THEME_LABEL if tid == vocab.NON_ANSWER_THEME_ID else THEME_BY_ID[tid].name
                theme_rows.append((q, tid, name, c, _pct(c, q_tot[q])))
    add(_md_table(("question", "theme id", "theme", "comments", "% of question"), theme_rows) + "\n")
    add("Prevalence differs by group and wave: e.g. *Payment and expenses*, *Confidence and skills* and *Less "
        "jargon* come mostly from experts by experience; *Changed service design* grows and *Nothing has changed* "
        "shrinks over the waves; *Feedback on what happened* shrinks slowly; *Online vs in-person* grows; carers "
        "raise *Support for carers* most; professionals raise *Coordination between services* most; Asian and Black "
        "respondents raise *Cultural and faith needs* 2.5 times as often.\n")
    add("## c. Actions log (\"you said, we did\")\n")
    valid_actions = [r for r in files["actions_log.csv"] if r.status == "kept"]
    acted = {r.truth["theme_id"] for r in valid_actions}
    add(f"{len(valid_actions)} valid actions (cycle 2024: "
        f"{sum(r.cells['cycle'] == '2024' for r in valid_actions)}, cycle 2025: "
        f"{sum(r.cells['cycle'] == '2025' for r in valid_actions)}); status: "
        + ", ".join(f"{s}: {c}" for s, c in Counter(r.truth['status'] for r in valid_actions).most_common())
        + ". Themes with NO action, deliberately: "
        + ", ".join(f"**{THEME_BY_ID[t].name}** (id {t})" for t in NO_ACTION_THEMES)
        + " — a leading make_better theme (mostly experts by experience) and the leading should_change theme of the "
          "palliative review, so the report can show a gap. Themes with no action at all: "
        + ", ".join(f"{t} {THEME_BY_ID[t].name}" for t in sorted(set(THEME_BY_ID) - acted)) + ".\n")

    add(_case_studies_readme(files))
    add("## Mess (ground truth for cleaning)\n")
    add("Only variants from the team's mess contract are used. Counts of planted mess per file "
        "(each row of `ground_truth_mess.csv`):\n")
    mc = Counter((m["file"], m["kind"]) for m in mess_gt)
    add(_md_table(("file", "kind", "count"), [(f, k, c) for (f, k), c in sorted(mc.items())]) + "\n")
    add("Rows by status (what cleaning should do with them):\n")
    sc = Counter((name, r.status) for name, rows in files.items() for r in rows)
    add(_md_table(("file", "status", "rows"), [(f, s, c) for (f, s), c in sorted(sc.items())]) + "\n")
    add("Variant counts per file (raw values as written):\n")
    var_rows = []

    def counts(rows: list[Row], f: str) -> str:
        c = Counter(_show(r.cells.get(f)).replace("\u00a0", "&#160;").replace("|", "/") for r in rows)
        return "; ".join(f"`{k}` {v}" if k.strip() else f"(blank{', spaces' if k else ''}) {v}"
                         for k, v in sorted(c.items()))

    for name, rows in files.items():
        fields: tuple[str, ...] = ()
        if name in INVOLVEMENT_FILES:
            fields = tuple(f"item.{i}" for i in ITEM_IDS[:1]) + ("respondent_type", "service_line", "borough",
                                                                  "age_band", "ethnicity", "gender", "disability",
                                                                  "carer_status")
            lik = Counter(_show(r.cells[f"item.{i}"]) or "(blank)" for r in rows for i in ITEM_IDS)
            var_rows.append((name, "Likert values (all six items)",
                             "; ".join(f"`{k}` {v}" for k, v in sorted(lik.items()))))
            fields = fields[1:]
        elif name == "palliative_care_review_survey.csv":
            fields = ("respondent_type", "channel", "borough", "age_band", "ethnicity", "gender", "disability",
                      "carer_status")
        elif name == "palliative_care_review_activity_log.xlsx":
            fields = ("activity_type", "borough", "involvement_level", "involved_from_start")
        elif name == ACTIVITY_LOG_2024:
            fields = ("involvement_level", "involved_from_start")
        elif name == "actions_log.csv":
            fields = ("status", "theme_id")
        for f in fields:
            var_rows.append((name, f, counts(rows, f)))
        if any(r.date_style for r in rows):
            ds = Counter(r.date_style for r in rows)
            var_rows.append((name, "date formats", "; ".join(f"{k} {v}" for k, v in sorted(ds.items()))))
    add(_md_table(("file", "field", "values and counts"), var_rows) + "\n")
    idc = Counter((t["file"], kv.split("=", 1)[0]) for t in themes_gt for kv in t["identifiers"].split(" | ") if kv)
    na = Counter(t["file"] for t in themes_gt if t["is_non_answer"])
    add("Identifiers planted in open text (for de-identification), per file and kind, and non-answers:\n")
    add(_md_table(("file", "identifier kind", "count"), [(f, k, c) for (f, k), c in sorted(idc.items())]) + "\n")
    add(_md_table(("file", "non-answers"), sorted(na.items())) + "\n")
    add("## Regenerate\n")
    add("```\npython -m analysis make-example            # writes data/raw/example/\n"
        "python -m analysis make-example --out /tmp/x --seed 7\n```\n"
        "The same seed always gives byte-identical files (fixed workbook metadata and zip timestamps).\n")
    return "\n".join(parts)


def _ladder_readme(files: dict[str, list[Row]]) -> str:
    """The planted rise in co-production, with exact counts of the rows cleaning keeps."""
    cycles = {2024: [r for r in files[ACTIVITY_LOG_2024] if r.status == "kept"],
              2025: [r for r in files["palliative_care_review_activity_log.xlsx"] if r.status == "kept"]}
    rows = []
    for year, acts in cycles.items():
        levels = Counter(r.truth["involvement_level"] for r in acts)
        people = Counter()
        for r in acts:
            people[r.truth["involvement_level"]] += int(r.cells["participants"])
        total_people = sum(people.values())
        for level in LADDER:
            rows.append((year, level, levels[level], _pct(levels[level], len(acts)), people[level],
                         _pct(people[level], total_people)))
    from_start = {year: (sum(r.truth["involved_from_start"] is True for r in acts),
                         sum(r.truth["involved_from_start"] is not None for r in acts)) for year, acts in cycles.items()}
    return ("### Planted rise in co-production (ground truth for the co-production ladder)\n\n"
            "Each activity records its `Involvement level` on the ladder " + ", ".join(f"`{x}`" for x in LADDER)
            + " (config `reach.ladder`, written with case and spacing variants) and whether `Experts by experience "
            "involved from the start` (yes/no variants, some blank). Interviews, online surveys and written "
            "submissions always consult; the other activities take rungs by quota: 2024 "
            + ", ".join(f"{x} {p:.0%}" for x, p in zip(LADDER, LADDER_SHARES[2024], strict=True)) + "; 2025 "
            + ", ".join(f"{x} {p:.0%}" for x, p in zip(LADDER, LADDER_SHARES[2025], strict=True))
            + f". The 2024 cycle's activities are in `{ACTIVITY_LOG_2024}` (mapped only by "
            "`config/example-2024.yaml`; tidy, no planted mess). Valid activities by rung:\n\n"
            + _md_table(("cycle", "level", "activities", "% of activities", "participants", "% of participants"), rows)
            + "\n\nExperts by experience involved from the start: "
            + "; ".join(f"{year}: {yes} of {known} activities that recorded it" for year, (yes, known) in from_start.items())
            + ". Activity logs record no durations, so shares are of activities and of participants (not "
            "participant-hours).\n")


def _case_studies_readme(files: dict[str, list[Row]]) -> str:
    rows = [(r.cells["case_ref"], r.cells["title"], r.cells["theme_ids"], r.cells["consent"])
            for r in files[CASE_STUDIES_FILE]]
    return ("## e. Case studies\n\n"
            f"`{CASE_STUDIES_FILE}`: {len(rows)} stories (title, theme ids, what people said, what changed, consent to "
            f"publish, quote); {sum(r.truth['consent'] for r in files[CASE_STUDIES_FILE])} consented. The story "
            "without consent must never be shown. A staff name (Grace Okafor) is planted in one `What changed` "
            "for de-identification.\n\n" + _md_table(("case", "title", "theme ids", "consent as written"), rows) + "\n")


def codebook_yaml() -> str:
    """The example codebook (config/codebooks/example.yaml) for the planted themes."""
    lines = ["# Codebook for the synthetic example cycle: one entry per planted theme.",
             "# Generated from analysis_example.generate.THEMES by analysis_example.generate.write_codebook();",
             "# ids are fixed and referenced by data/raw/example/actions_log.csv.", "themes:"]
    for t in THEMES:
        lines += [f"  - id: {t.id}", f"    name: \"{t.name}\"", f"    description: \"{t.description}\"",
                  "    seed_words: [" + ", ".join(f'"{w}"' for w in t.seed_words) + "]",
                  f"    questions: [{', '.join(t.questions)}]"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED) -> tuple[dict[str, list[Row]], list[dict[str, Any]]]:
    """Build every raw dataset in memory (no I/O).

    Returns
    -------
    files
        Raw file name -> rows (with truth) for the row-based files.
    population
        Rows of the illustrative population benchmark.
    """
    root = np.random.default_rng(seed)
    rng_inv, rng_review, rng_act, rng_actions, rng_pop = root.spawn(5)
    taken: set[str] = set()
    files = _build_involvement(rng_inv, taken)
    pop = population_benchmark(rng_pop)
    files["palliative_care_review_survey.csv"] = _build_review(rng_review, taken, _population_shares(pop))
    files["palliative_care_review_activity_log.xlsx"] = _build_activities(rng_act)
    files["actions_log.csv"] = _build_actions(rng_actions)
    plant_ladder(np.random.default_rng([seed, LADDER_STREAM]), files["palliative_care_review_activity_log.xlsx"], 2025)
    rng_2024 = np.random.default_rng([seed, ACTIVITIES_2024_STREAM])
    files[ACTIVITY_LOG_2024] = _build_activities_2024(rng_2024)
    plant_ladder(rng_2024, files[ACTIVITY_LOG_2024], 2024)
    files[CASE_STUDIES_FILE] = _build_case_studies()
    return files, pop


def make_example(out_dir: Path = paths.EXAMPLE_RAW_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic example raw files, ground truth and README.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed); existing files of the same names are replaced.
    seed
        Seed of the single random generator; the same seed gives byte-identical files.

    Returns
    -------
    list of Path
        Every file written, in a fixed order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, pop = generate(seed)
    written: list[Path] = []
    encodings = {"involvement_survey_2019_2021.csv": "cp1252", "involvement_survey_2024_2025.csv": "utf-8-sig",
                 "palliative_care_review_survey.csv": "cp1252", "actions_log.csv": "utf-8",
                 ACTIVITY_LOG_2024: "utf-8", CASE_STUDIES_FILE: "utf-8"}
    for name, rows in files.items():
        path = out_dir / name
        if name.endswith(".xlsx"):
            date_field = "submitted_at" if "submitted_at" in HEADERS[name] else "date"
            _write_xlsx(path, SHEETS[name], HEADERS[name], (r.cells for r in rows), date_field)
        else:
            _write_csv(path, HEADERS[name], (r.cells for r in rows), encoding=encodings[name])
        written.append(path)
    path = out_dir / "population_benchmark.csv"
    _write_csv(path, HEADERS["population_benchmark.csv"], pop, encoding="utf-8")
    written.append(path)
    effects = expected_effects(files)
    themes_gt, mess_gt = _ground_truth_rows(files)
    for name, rows in ((GROUND_TRUTH_THEMES, themes_gt), (GROUND_TRUTH_MESS, mess_gt),
                       (GROUND_TRUTH_EFFECTS, effects)):
        path = out_dir / name
        header = {k: k for k in rows[0]}
        _write_csv(path, header, rows, encoding="utf-8", lineterminator="\n")
        written.append(path)
    sizes = {p.name: p.stat().st_size for p in written}
    from analysis_example.documents import write_documents  # here: that module imports this one

    documents = write_documents(out_dir, seed)
    readme = out_dir / README
    readme.write_text(documents.insert_into(
        _readme(files, effects, themes_gt, mess_gt, pop, _population_shares(pop), seed, sizes)),
        encoding="utf-8", newline="\n")
    written.append(readme)
    return written + documents.paths


def write_codebook(path: Path = paths.CONFIG_DIR / "codebooks" / "example.yaml") -> Path:
    """Write the example codebook YAML (kept in step with the generator's themes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(codebook_yaml(), encoding="utf-8", newline="\n")
    return path
