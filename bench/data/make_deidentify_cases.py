"""Write ``deidentify_cases.csv``: a labelled set of realistic NHS-feedback sentences.

Each row is one sentence as a patient, carer or member of staff might type it
(British spelling, lower case, typos, text-speak), with the identifiers it
contains: ``identifiers`` is a JSON list of ``{"type": ..., "text": ...}``
where ``text`` is the exact span that must not survive. Benign rows
(``kind == "benign"``) contain look-alikes that must survive unchanged: ward
and bay numbers, "111", dates that are not dates of birth, prices, times, room
numbers, drug doses, boroughs, hospitals and services.

The templates were written by hand; the generator only fills the slots
(names of many origins, check-digit-valid NHS numbers in every grouping,
National Insurance numbers with valid prefixes, trust-format hospital numbers,
registrations, addresses) from a fixed seed, so the file is reproducible:

    python bench/data/make_deidentify_cases.py

``batch`` says how each sentence was used: ``development`` sentences were seen
while the rules were written (a first set, then harder ones added after the
first run); ``held-out`` sentences were written once the rules were frozen and
scored once: structured 100%, names 85.0%, 1 of 14 benign sentences changed
("Physio twice a week" became "[NAME] twice a week"). One fix followed that
score (a lone role word is never a name), so the held-out batch is now seen
data too; extend it with new sentences before quoting it as unseen again.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("deidentify_cases.csv")
SEED = 20261201

FIRST = [
    "Tom", "Jenny", "Gareth", "Priya", "Mohammed", "Aisha", "Kwame", "Siobhan", "Wojciech", "Olumide",
    "Bronagh", "Chloe", "Dev", "Fatima", "Ioana", "Kofi", "Lakshmi", "Mei", "Niamh", "Oluwaseun", "Rhys",
    "Sanjay", "Tendai", "Yusuf", "Zofia", "Aled", "Bushra", "Callum", "Deepa", "Emeka", "Graham", "Hannah",
    "Imran", "Joanne", "Kieran", "Leanne", "Marek", "Nadia", "Paulo", "Rukhsana", "Shauna", "Tariq",
    "Uchenna", "Vikram", "Wendy", "Xin", "Yetunde", "Zainab", "Agnieszka", "Darren",
]
SURNAME = [
    "Evans", "Patel", "Okafor", "Kowalski", "Nguyen", "O'Brien", "Chowdhury", "Mensah", "Adeyemi", "Singh",
    "MacLeod", "Hughes", "Begum", "Novak", "Ferreira", "Oyelaran", "Kaur", "Popescu", "Murphy", "Ahmed",
    "Wiśniewska", "Achterberg", "Osei", "Rahman", "Llewellyn", "Haddad", "Kimura", "Balogun", "Sharma", "Byrne",
]
STREETS = [
    ("14", "Acacia Avenue"), ("3", "Mill Lane"), ("27a", "Harrow Road"), ("112", "Uxbridge Road"),
    ("8", "Kingfisher Close"), ("45", "St John's Street"), ("9", "Elm Grove"), ("201", "Kenton Lane"),
    ("6", "Beaconsfield Terrace"), ("73", "Church Street"), ("18", "Oakwood Drive"), ("2", "Station Road"),
]
POSTCODES = ["HA1 3UJ", "UB8 3PN", "W2 1NY", "NW10 7NS", "TW3 3EB", "SW10 9NH", "W6 8RF", "HA9 0WS"]


def _nhs(rng: random.Random) -> str:
    while True:
        nine = rng.choice("4674") + "".join(rng.choice("0123456789") for _ in range(8))
        total = sum(int(d) * (10 - i) for i, d in enumerate(nine))
        check = (11 - total % 11) % 11
        if check != 10:
            return nine + str(check)


def _group(number: str, rng: random.Random) -> str:
    style = rng.choice(["334", "55", "433", "none", "mixed", "dash334"])
    if style == "334":
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    if style == "55":
        return f"{number[:5]} {number[5:]}"
    if style == "433":
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if style == "mixed":
        return f"{number[:3]}-{number[3:6]} {number[6:]}"
    if style == "dash334":
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


def _nino(rng: random.Random) -> str:
    first = "ABCEGHJKLMNOPRSTWXYZ"
    second = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = rng.choice(first) + rng.choice(second)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = "".join(rng.choice("0123456789") for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    text = f"{prefix}{digits}{suffix}"
    return text.lower() if rng.random() < 0.3 else text


def _reg(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    age = rng.choice(["05", "11", "16", "19", "21", "24", "58", "62", "66", "70", "73"])
    return f"{rng.choice(letters)}{rng.choice(letters)}{age} {''.join(rng.choice(letters) for _ in range(3))}"


def _phone(rng: random.Random) -> str:
    return rng.choice(["07700 900", "07700900", "020 7946 0", "0161 496 0", "+44 7700 900"]) + "".join(
        rng.choice("0123456789") for _ in range(3))


# Identifier templates: {slot:TYPE} marks a span of that type.
IDENTIFIER_TEMPLATES = [
    # Names without a title
    "my son {first:NAME} was seen quickly and the staff were lovely with him",
    "{first:NAME} on reception was so rude to my mum, never again",
    "{first:NAME} {surname:NAME} was lovely and explained everything",
    "saw dr {lsurname:NAME} who was brilliant tbh",
    "big thanks to {first:NAME} and {first2:NAME} on the ward",
    "{first:NAME} from the crisis team rang me back the same day",
    "my daughter {first:NAME} has autism and waited 2 years for an assessment",
    "the receptionist ({first:NAME}) was really helpful",
    "Can I just say {first:NAME} {surname:NAME} went above and beyond for my dad",
    "nurse {lfirst:NAME} sat with me all night",
    "my husband {first:NAME} {surname:NAME} was discharged without his meds",
    "Thank you {first:NAME}!",
    "{first:NAME} the physio got me walking again after the op",
    "Mrs {surname:NAME} on ward 6 was kind",
    "i was seen by {first:NAME} {surname:NAME} and {first2:NAME}, both excellent",
    "our care coordinator {first:NAME} left and nobody told us",
    "my name is {first:NAME} {surname:NAME} and I want to complain",
    "Dr. {surname:NAME} didnt listen to a word i said",
    "{first:NAME}, our social worker, is amazing",
    "please pass my thanks to {first:NAME} {surname:NAME} in the x-ray dept",
    "my mum {first:NAME} is 89 and was left on a trolley",
    "Spoke to {first:NAME} at the front desk who sorted it",
    "I'd like to thank {first:NAME} for her patience",
    "{first:NAME} {surname:NAME} is my carer and she came with me",
    "Dr {surname:NAME} and Nurse {first:NAME} were fab",
    # NHS numbers
    "my nhs number is {nhs:NHS_NUMBER} if you need it",
    "NHS no {nhs:NHS_NUMBER} - still waiting for my letter",
    "Ref nhs number {nhs:NHS_NUMBER}, appointment was cancelled twice",
    "(nhs {nhs:NHS_NUMBER}) please call me",
    "My dads NHS number: {nhs:NHS_NUMBER}",
    # Hospital numbers
    "hospital number {mrn:HOSPITAL_NUMBER} they lost my notes again",
    "MRN {mrn:HOSPITAL_NUMBER}",
    "my hosp no. is {kno:HOSPITAL_NUMBER} on the letter",
    "patient number {kno:HOSPITAL_NUMBER} - no follow up",
    "quote {mrn:HOSPITAL_NUMBER} when you call back",
    # NI numbers
    "they asked for my NI number {nino:NI_NUMBER} for the PIP form",
    "national insurance {nino:NI_NUMBER}",
    "my ni no is {nino:NI_NUMBER} and dob is {dob_words:DOB}",
    # Addresses
    "I live at {address:ADDRESS} and the ambulance went to the wrong house",
    "please send letters to {address:ADDRESS}, {postcode:POSTCODE} not my old address",
    "flat 4, {address:ADDRESS} is where the carers should come",
    "we moved to {address:ADDRESS} last year",
    # Vehicle registrations
    "my car {reg:VEHICLE_REG} got a parking fine while i was in A&E",
    "car reg {reg:VEHICLE_REG}, the barrier didnt lift",
    "someone in {reg:VEHICLE_REG} was parked in the disabled bay for hours",
    # Dates of birth
    "she was born on the {dob_words:DOB} so she's 68",
    "DOB {dob_short:DOB}",
    "my date of birth is {dob_slash:DOB} and they had it wrong",
    "born {dob_words:DOB}, they still sent the letter to the wrong name",
    # Contacts
    "ring me on {phone:PHONE} any time after 3",
    "email {email:EMAIL} if you want more info",
    "postcode {postcode:POSTCODE} - the transport never turned up",
    # Mixed
    "{first:NAME} {surname:NAME}, NHS {nhs:NHS_NUMBER}, {phone:PHONE}",
    "Hi this is {first:NAME}, my hospital no is {kno:HOSPITAL_NUMBER} and I'm on {phone:PHONE}",
    # Harder: lower case, lists, typos, no cue (added after the first run, not tuned for)
    "{lfirst:NAME} {lsurname:NAME} was lovely with my mum",
    "thanks to {lfirst:NAME} and {lfirst2:NAME} on ward 5",
    "The physio {first:NAME} and OT {first2:NAME} were great",
    "asked for {first:NAME} {surname:NAME} but was told she'd left",
    "{first:NAME} {surname:NAME} ({first2:NAME}'s mum) helped us fill in the forms",
    "I complained to {first:NAME} {surname:NAME} about the wait but heard nothing",
    "my nhs no is {nhs:NHS_NUMBER} and my hospital number {mrn:HOSPITAL_NUMBER}",
    "pls call {phone:PHONE} ask for {first:NAME}",
    "DOB: {dob_short:DOB} NI {nino:NI_NUMBER}",
    "i live on {address:ADDRESS} near the park",
]

BENIGN = [
    "Ward 7 was clean and the staff on Bay 3 were kind",
    "I rang 111 and they sent me to A&E at Northwick Park",
    "This is Brent Council's new carers service and it's been great",
    "my appointment on 12/03/2025 was cancelled with two days notice",
    "parking cost £4.50 for an hour which is too much",
    "the clinic runs 9am-5pm Mon to Fri, 10.30 on Saturdays",
    "room 12 on the second floor, next to the lifts",
    "I take 20mg citalopram and 5 mg amlodipine daily",
    "waited 3 hours in A&E on 5th March then sent home",
    "Ealing Hospital and Hillingdon Hospital both need more staff",
    "the GP surgery in Harrow never answers the phone",
    "Hammersmith and Fulham council were helpful about housing",
    "seen at St Mary's in Paddington, very good",
    "the 2019 survey said the same thing",
    "I scored it 8/10 because the wait was long",
    "Called 999 at 2am and the ambulance took 40 minutes",
    "bay 4 bed 12 had no call bell",
    "the nurse practitioner was really thorough",
    "PALS never got back to me",
    "CAMHS waiting list is 18 months in Hounslow",
    "the Recovery College courses are brilliant",
    "Talking Therapies helped me a lot",
    "my GP referred me in January 2024",
    "prescription for 28 tablets, 2 a day",
    "Westminster drug and alcohol service were fab",
    "the crisis team came out within 4 hours",
    "ward 10 staff were stretched but kind",
    "went to the walk in centre then to A&E",
    "I pay £9.90 per item for prescriptions",
    "Kensington and Chelsea need more mental health beds",
    "I had my flu jab on 03/10/2024 at the pharmacy",
    "the 18 week target was missed by months",
    "we waited from 10:15 to 14:40 for a bed",
    "5 out of 10, could do better",
    "The consultant was lovely and explained everything",
    "the doctor said I need another scan",
    "my sister and I both use the service",
    "I hope things improve next year",
    "2 paracetamol every 4 hours for the pain",
    "the bus from Southall to the hospital takes an hour",
    "Central Middlesex Hospital has good parking",
    "I've been a carer for 12 years",
    "The Home Treatment Team visited daily",
    "Staff on Jenner Ward were kind",
    "Outpatients at Charing Cross ran 2 hours late",
    "1 in 4 people have mental health problems",
    "it is a 20 minute drive to the hospital",
    "my son was born in Ealing Hospital and the care was great",
    "NHS 111 online was quicker than waiting for the GP",
    "the pharmacy on the high street is always out of stock",
    "ran out of my 10mg tablets over Christmas",
    "appointment letter said 11.45 but I was seen at 1pm",
    "Hillingdon council need to sort the transport",
    "the A&E in Wembley is closed at night",
    "level 2, outpatients clinic B",
    "I called 0 times because nobody picks up",
    "the bed on bay 2 was broken for a week",
    "Nurses were amazing, doctors too",
    "they said I'd get a call within 48 hours",
    "the 24/7 helpline was useful",
    "waiting list is 52 weeks, shocking",
    "reception staff need training on autism",
    "It took 6 weeks to get a referral to the physio",
    "The receptionist was rude and unhelpful",
    "Covid made everything worse for carers",
    "I went to the drop in at the library in Hayes",
    "sessions every 2 weeks, 1-2-1 and group",
    "Dr appointment was moved 3 times",
    "took the 207 bus down Uxbridge Road to the hospital",
    "Mental health services in Brent have improved",
    "the NHS app is confusing for older people",
    "Grace period for the payment was too short",
    "parking permits cost £65 a year",
    "my dad is 92 and needs help at home",
    "Harrow's new hub is much closer for us",
    "the Crisis Line answered straight away",
    # Harder look-alikes (added after the first run, not tuned for)
    "Will the service still run next year?",
    "Hope House was a lifeline for my family",
    "Sunny ward on the third floor is lovely",
    "I asked the Duty Doctor and the Charge Nurse",
    "My appointment is on 14 May 2025 at 10:40",
    "the Acton Surgery is closing in May",
    "Mark the date in your diary, the group meets every Tuesday",
    "we drove down the M4 and parked in car park B2",
    "Room 2.14, Level 3, Block B",
    "ring 111 option 2 for mental health",
    "a dose of 500mg twice a day for 7 days",
    "St Charles Centre for Health and Wellbeing",
]

# Written once the rules were frozen, scored once (see the module docstring), not edited since.
HELD_OUT_TEMPLATES = [
    "{first:NAME} in the discharge lounge made me a cup of tea",
    "when I phoned, {first:NAME} {surname:NAME} said someone would call back but they never did",
    "shout out to {first:NAME} and the night staff on ward 3",
    "Dr {surname:NAME}'s letter had my mum's nhs number wrong, it should be {nhs:NHS_NUMBER}",
    "my grandson {first:NAME} (he's 6) was terrified and the nurse was brilliant",
    "{first:NAME} {surname:NAME} - ex-patient, happy to talk",
    "I'm {first:NAME}'s carer and nobody asked me anything",
    "the registrar {first:NAME} explained the results properly",
    "my wife {first:NAME} was born {dob_slash:DOB} not 1965 as your records say",
    "please update my address to {address:ADDRESS}",
    "my car ({reg:VEHICLE_REG}) got a ticket even though I had a blue badge",
    "hosp number {kno:HOSPITAL_NUMBER}, please check my notes",
    "call my daughter on {phone:PHONE}, her name is {first:NAME}",
    "NI no. {nino:NI_NUMBER}",
    "{first:NAME} rang me every week, what a star",
    "I was looked after by {first:NAME}, {first2:NAME} and {surname:NAME} on the ward",
    "i asked for dr {lsurname:NAME} but got a locum",
    "email me {email:EMAIL} or write to {address:ADDRESS}",
    "My name's {first:NAME}, NHS no {nhs:NHS_NUMBER}",
    "thank you {first:NAME} {surname:NAME} and all the team",
]
HELD_OUT_BENIGN = [
    "Bed 14 in bay C had a broken light",
    "the 111 call handler was kind but it took 3 hours",
    "Brent Council and the NHS should talk to each other",
    "My mum is 84 and lives alone in Harrow",
    "Appointment on Tuesday 4th June at 9.15 was changed",
    "Take 2 x 500mg tablets four times a day",
    "It costs £3.40 an hour to park at Northwick Park",
    "The Memory Clinic in Ealing is excellent",
    "we waited from 8pm until 2am in A&E",
    "Ward 12 is always short staffed at weekends",
    "the GP practice on Church Road is great",
    "Lovely nurses, thank you all",
    "Physio twice a week for 6 weeks helped",
    "Hounslow Talking Therapies got back to me in 2 weeks",
]

_DOB_MONTHS = ["January", "march", "Sept", "December", "june", "Oct"]


def _fill(template: str, rng: random.Random) -> tuple[str, list[dict[str, str]]]:
    first, first2 = rng.sample(FIRST, 2)
    surname = rng.choice(SURNAME)
    number, street = rng.choice(STREETS)
    day = rng.randint(1, 28)
    year = rng.randint(1935, 1999)
    month = rng.choice(_DOB_MONTHS)
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
    values = {
        "first": first, "first2": first2, "surname": surname,
        "lfirst": first.lower(), "lfirst2": first2.lower(), "lsurname": surname.lower(),
        "nhs": _group(_nhs(rng), rng),
        "mrn": f"R{rng.choice('FQVXY')}{rng.choice('JKMX')}{rng.randint(100000, 9999999)}",
        "kno": rng.choice([f"K{rng.randint(1000000, 9999999)}", str(rng.randint(10000000, 99999999)),
                           f"H{rng.randint(100000, 999999)}A", f"RTX {rng.randint(100000, 999999)}"]),
        "nino": _nino(rng),
        "address": f"{number} {street}" if rng.random() < 0.7 else f"{number} {street.lower()}",
        "postcode": rng.choice(POSTCODES),
        "reg": _reg(rng) if rng.random() < 0.7 else _reg(rng).lower(),
        "dob_words": f"{day}{suffix} of {month} {year}",
        "dob_short": f"{day} {month} {str(year)[2:]}",
        "dob_slash": f"{day:02d}/{rng.randint(1, 12):02d}/{year}",
        "phone": _phone(rng),
        "email": f"{first.lower()}.{surname.lower().replace(chr(39), '')}{rng.randint(1, 99)}@gmail.com",
    }
    spans: list[dict[str, str]] = []
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        slot, kind = out[start + 1:end].split(":")
        value = values[slot]
        spans.append({"type": kind, "text": value})
        out = out[:start] + value + out[end + 1:]
    return out, spans


def main() -> None:
    """Write the cases (two fillings of each identifier template, every benign sentence once)."""
    rng = random.Random(SEED)
    rows = []
    for batch, templates, benign in (("development", IDENTIFIER_TEMPLATES, BENIGN),
                                     ("held-out", HELD_OUT_TEMPLATES, HELD_OUT_BENIGN)):
        for template in templates:
            for _ in range(2):
                text, spans = _fill(template, rng)
                rows.append({"batch": batch, "kind": "identifier", "text": text,
                             "identifiers": json.dumps(spans, ensure_ascii=False)})
        for text in benign:
            rows.append({"batch": batch, "kind": "benign", "text": text, "identifiers": "[]"})
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["case_id", "batch", "kind", "text", "identifiers"], lineterminator="\n")
        writer.writeheader()
        for i, row in enumerate(rows, start=1):
            writer.writerow({"case_id": i, **row})
    print(f"wrote {len(rows)} cases ({sum(r['kind'] == 'benign' for r in rows)} benign) to {OUT}")


if __name__ == "__main__":
    main()
