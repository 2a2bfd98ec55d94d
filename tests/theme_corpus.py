"""A synthetic, realistic-looking feedback corpus built from phrase lists (shared by theme tests).

Six known subjects, each written many ways, plus the usual mess: non-answers,
blanks, very short answers, a phone number and a name inside comments.
"""

from __future__ import annotations

import itertools
import random

import pandas as pd

#: subject -> (beginnings, endings); every pairing reads as a plausible comment on that subject.
SUBJECTS: dict[str, tuple[list[str], list[str]]] = {
    "parking": (
        ["the car park", "parking at the hospital", "the parking charges", "finding a parking space",
         "the disabled parking bays", "the pay and display parking machines"],
        ["was a nightmare", "cost far too much for patients", "needs sorting out urgently",
         "made us late for the appointment", "was full every single time", "is a disgrace for visitors",
         "took forty minutes", "was impossible with a wheelchair"],
    ),
    "waiting": (
        ["the wait in the emergency department", "waiting for my appointment", "the delay before being seen",
         "the waiting time for the referral", "sitting in the waiting room", "waiting for the results"],
        ["took over four hours", "was far too long", "went on for months", "left my mother exhausted",
         "meant we were there all night", "needs to be much shorter", "was longer than we were told",
         "felt endless"],
    ),
    "kind_staff": (
        ["the nurses", "every member of staff", "the doctor", "the healthcare assistants",
         "the reception team", "the midwives"],
        ["were kind and caring", "treated me with dignity and respect", "were friendly and reassuring",
         "were compassionate and gentle", "made my dad feel safe", "could not have been kinder",
         "were polite and warm", "really cared about us"],
    ),
    "food": (
        ["the food on the ward", "the hospital meals", "the menu", "the sandwiches and drinks",
         "breakfast on the ward", "the hot dinners"],
        ["were cold and tasteless", "had no vegetarian choice", "arrived late and were not very nice",
         "were surprisingly good", "need more healthy options", "were stale", "lacked any variety",
         "were too salty to eat"],
    ),
    "information": (
        ["nobody explaining my treatment", "the information about my medication",
         "the letter about my discharge", "being told about my scan results", "the care plan we were given",
         "updates from the doctors"],
        ["left me confused", "was contradictory", "came far too late", "was clear and helpful",
         "needs to be in plain English", "never happened at all", "kept us informed",
         "was missing important details"],
    ),
    "cleanliness": (
        ["the toilets on the ward", "the bathroom", "the floors in the waiting area", "the bed sheets",
         "the hand gel dispensers", "the bins on the corridor"],
        ["were dirty", "were not cleaned for two days", "were spotless", "smelt awful",
         "were stained and grubby", "were empty or overflowing", "need cleaning more often",
         "were filthy and unhygienic"],
    ),
}
OPENERS = ["", "Honestly, ", "I felt that ", "Overall ", "Sadly "]
CLOSERS = ["", ".", ".", "!", " on both visits.", ", thank you."]
NON_ANSWERS = ["Nothing", "N/A", "nothing really", "No comment", "don't know", "-", "None.", "Did not answer"]
VERY_SHORT = ["Parking!", "Long waits", "Cold food", "Dirty toilets", "Lovely nurses"]


def make_corpus(per_subject: int = 60, seed: int = 7) -> pd.DataFrame:
    """Comments with a known subject, question, group and date; messy rows included."""
    rng = random.Random(seed)
    rows = []
    for subject, (heads, tails) in SUBJECTS.items():
        combos = list(itertools.product(heads, tails))
        rng.shuffle(combos)
        for head, tail in combos[:per_subject]:
            text = f"{rng.choice(OPENERS)}{head} {tail}{rng.choice(CLOSERS)}".strip()
            rows.append({"text": text[0].upper() + text[1:], "subject": subject})
    # A phone number and a name inside real comments, as respondents write them.
    rows[0]["text"] += " Ring me on 07700 900123 if you want to discuss."
    rows[1]["text"] += " Sister Mary Doyle was wonderful."
    for text in NON_ANSWERS * 4:
        rows.append({"text": text, "subject": None})
    for text in VERY_SHORT:
        rows.append({"text": text, "subject": None})
    rows += [{"text": "", "subject": None}, {"text": None, "subject": None}, {"text": "   ", "subject": None}]
    rng.shuffle(rows)
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame["question_id"] = [rng.choice(["works_well", "should_change"]) for _ in range(n)]
    frame["borough"] = [rng.choice(["Brent", "Ealing", "Harrow"]) for _ in range(n)]
    frame["date"] = [f"{rng.randint(1, 28):02d}/{rng.choice([1, 4, 7, 10]):02d}/202{rng.randint(3, 4)}"
                     for _ in range(n)]
    frame.index = [f"c{i:04d}" for i in range(n)]
    frame.index.name = "comment_id"
    return frame
