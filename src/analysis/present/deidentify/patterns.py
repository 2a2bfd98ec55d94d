"""The patterns and word lists of the rule layer: every identifier's regular expression, cue words, the allow-list.

Read by an information governance lead as the rules themselves; the order they are
applied in, and why, is in the package docstring (:mod:`analysis.present.deidentify`).
"""

from __future__ import annotations

import re

from analysis.core import vocab

#: Placeholder types in the order they are applied; also the row order of the counts table.
PLACEHOLDER_TYPES: tuple[str, ...] = (
    "URL", "EMAIL", "DOB", "NHS_NUMBER", "NI_NUMBER", "HOSPITAL_NUMBER", "PHONE", "POSTCODE",
    "VEHICLE_REG", "ADDRESS", "NAME",
)


# A placeholder is "[" TYPE "]"; rules must not start inside or right after one.
_URL = re.compile(
    r"(?:\bhttps?://|(?<![\w@./-])www\.)[^\s<>\"'\[\]]+",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)'\""

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1956-03-12
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"  # 12/03/1956, 3/4/61
    rf"|{_DAY}(?:\s+of)?[\s-]+{_MONTHS}\.?,?[\s-]+(?:\d{{4}}|'?\d{{2}})"  # 12 March 1956, third of march 56
    rf"|{_MONTHS}\.?\s+(?:the\s+)?{_DAY},?\s+\d{{4}}"  # March 12, 1956
    rf"|{_MONTHS}\.?,?\s+\d{{4}}"  # March 1956 (after a cue only, like all of these)
    r"|[0-3]\d[01]\d(?:19|20)\d\d)"  # 03031956
)
# The cue is kept so the sentence still reads ("DOB [DOB]"); only the date goes.
_DOB = re.compile(
    r"(?P<cue>\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|born)"
    r"(?:\s*(?:is|was|=|:|-|–|on|of|the)\s*){0,3}\s*)"
    rf"(?P<date>{_DATE})(?![\d/.-]\d)",
    re.IGNORECASE,
)

# Ten digits in any grouping, with spaces, dashes or dots (one at most between two
# digits; "943 476 5919", "94347 65919", "9434 765 919", "943-476 5919"). Not
# directly after "+44" (that is a phone number in international form).
_NHS = re.compile(
    r"(?<![\w£$€./+-])(?<!\+44 )(?<!\+44-)"
    r"(?P<number>\d(?:[ .-]?\d){9})(?![\w/]|[.,-]\d)"
)
# "NHS no", "nhs number:", "NHS#": a number after this cue is an NHS number even if
# mistyped (a wrong check digit still points at one person in a few).
_NHS_CUE = re.compile(r"\bnhs\s*(?:no\b\.?|num(?:ber)?\b|#|n[or]\b)\s*(?:is|was|:|-|=)?\s*$", re.IGNORECASE)

# National Insurance number: two prefix letters (neither D, F, I, Q, U, V; second not
# O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A-D. HMRC's published rules.
_NINO = re.compile(
    r"(?<![\w\[])(?P<prefix>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[ \t]?"
    r"\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-D](?![\w])",
    re.IGNORECASE,
)
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

# Hospital numbers. The NHS trust format "R" + two letters + 6-7 digits stands alone;
# anything else needs a cue (the number alone is just a number).
_MRN_TRUST = re.compile(r"(?<![\w\[])R[A-Z]{2}\d{6,7}(?![\w])")
_MRN_CUED = re.compile(
    r"(?P<cue>\b(?:hospital|hosp|patient|unit|pas|medical\s+record|case|k|rtx|trust)"
    r"\s*(?:no\b\.?|num(?:ber)?\b|#|id\b|ref(?:erence)?\b)"
    r"|\bmrn\b|\bm\.r\.n\.?)"
    r"(?P<gap>\s*(?:is|was|:|-|=|\()?\s*)"
    r"(?P<number>[A-Z]{0,3}[ -]?\d(?:[ -]?\d){4,9}[A-Z]?)(?![\w])",
    re.IGNORECASE,
)

_PSEP = r"[ .-]?"
_PHONE = re.compile(
    r"(?<![\w£$€./+-])"
    r"(?:"
    rf"(?P<intl>(?:\+|\b00){_PSEP}44{_PSEP}(?:(?:\(0\)|0){_PSEP})?)[1-9](?:{_PSEP}\d){{8,9}}"
    rf"|\(0\d{{2,4}}\){_PSEP}\d(?:{_PSEP}\d){{5,7}}"
    rf"|0\d(?:{_PSEP}\d){{8,9}}"
    r")(?![\w/]|[.,]\d)"
)

# UK Government Data Standards postcode pattern (strict letters per position),
# full postcodes only: an outward code alone ("W2") is too common a fragment.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>GIR(?=\s?0AA)"
    r"|[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"\s?(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# "the A1 3rd exit", "bay 2 b12 1st floor": an ordinal is not an inward code.
_ORDINAL = re.compile(r"(?:1st|2nd|3rd|[04-9]th)", re.IGNORECASE)

# Current GB registration (since 2001): two area letters, the age identifier
# (March: year 02-26; September: year + 50, 51-76), three letters (never I or Q).
_REG_CURRENT = r"[A-HJ-PR-Y][A-HJ-PR-Y](?:0[2-9]|1\d|2[0-6]|5[1-9]|6\d|7[0-6])[ \t]?[A-HJ-PR-Z]{3}"
_REG_OLDER = (
    r"[A-HJ-NP-Y]\d{1,3}[ \t]?[A-Z]{3}"  # prefix, 1983-2001: A123 BCD
    r"|[A-Z]{3}[ \t]?\d{1,3}[ \t]?[A-HJ-NP-Y]"  # suffix, 1963-1983: ABC 123D
    r"|[A-Z]{1,3}[ \t]?\d{1,4}|\d{1,4}[ \t]?[A-Z]{1,3}"  # dateless
)
_VEHICLE_UPPER = re.compile(rf"(?<![\w\[])(?:{_REG_CURRENT})(?![\w])")
_VEHICLE_CUED = re.compile(
    r"(?P<cue>\b(?:reg(?:istration)?(?:\s+(?:no\b\.?|number|plate|mark))?|number\s*plate|plate|car|vehicle|van"
    r"|motorbike|parked|clamped)\b[^\n.,;!?]{0,25}?(?:is|was|:|-|=|\()?\s*)"
    rf"(?<![\w\[])(?P<reg>(?i:{_REG_CURRENT})|(?i:{_REG_OLDER}))(?![\w])",
)
# Lower-case look-alikes of registrations and dateless plates that are ordinary text.
_REG_WORDS = frozenset({"and", "the", "for", "was", "are", "not", "but", "you", "all", "had", "has", "her",
                        "his", "its", "our", "out", "day", "hrs", "min", "mph", "yrs", "am", "pm", "mins"})

# Street addresses: a house number (and an optional flat), one to three words of
# street name, then a street type. Capitalised names take every street type;
# lower-case names only the unambiguous ones, so "a 2 hour drive" and "3 car park"
# stay.
_STREET_TYPES_ANY_CASE = r"road|rd|street|lane|avenue|ave|crescent|cres|gardens|gdns|grove|terrace|mews"
_STREET_TYPES_CAPITALISED = (
    r"Close|Drive|Place|Court|Way|Square|Sq|Rd|St|Ln|Ave|Dr|Cl|Ct|Pl|Park|Hill|Rise|View|Walk|Row|Green"
    r"|Parade|Broadway|Gate|Vale|Wharf|Yard|Approach|Chase|End"
)
_FLAT = r"(?:(?i:flat|apartment|apt|unit)\s*\d{1,4}[a-zA-Z]?,?\s+)?"
_HOUSE = r"\d{1,4}[a-zA-Z]?(?:[-–/]\d{1,4}[a-zA-Z]?)?,?\s+"
_STREET_CAP = r"(?:[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?\s+){1,3}"
_STREET_LOW = r"(?:[a-z][a-z'’-]+\s+){1,2}"
_ADDRESS = re.compile(
    rf"(?<![\w£$€.:/\[])(?P<address>{_FLAT}{_HOUSE}"
    rf"(?:(?P<cap>{_STREET_CAP})(?:(?i:{_STREET_TYPES_ANY_CASE})|{_STREET_TYPES_CAPITALISED})"
    rf"|(?P<low>{_STREET_LOW})(?:{_STREET_TYPES_ANY_CASE}))\b\.?)"
)
# Words that can sit between a number and "road"/"way"/"drive" without being a street name.
_NOT_STREET = frozenset(
    """
    hour hours hr hrs minute minutes min mins mile miles day days week weeks month months year years
    time times mins people patients more of the a an to on in at by for from my our your his her their
    and or but very long short quick whole separate different other same long-way way ways step steps
    trip trips car bus buses train trains taxi taxis stop stops lane lanes is was with this that
    these those down up along across off over near past
    """.split()  # noqa: SIM905 - a word list reads better as text than as quoted strings
)

_UPPER = "A-ZÀ-ÖØ-Þ"
# Letters, with inner apostrophes/hyphens (O'Brien, Smith-Jones) but not a possessive "'s".
_NAME_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’-](?=[^\W\d_]{{2}}))*(?![\w&])"
_LOWER_WORD = r"[a-zß-öø-ÿ](?:[a-zß-öø-ÿ]|['’-](?=[a-zß-öø-ÿ]{2}))+(?![\w&])"
# Only capitalised abbreviations take a full stop: "Dr. Patel" is a title, but
# "the nurse. Wanted" and "a call off a dr. However" end a sentence.
_TITLES = (
    r"(?:(?:Dr|DR|Mrs|MRS|Mr|MR|Prof|PROF|Ms|MS)\.|(?i:dr|mrs|mr|prof)(?!\.)|Ms"
    r"|(?i:doctor|nurse|sister|matron|professor)|Miss)"
)
_TITLE_NAME = re.compile(
    rf"(?<![\w\[])(?P<cue>{_TITLES}[ \t]+)(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# "dr patel", "nurse okafor": a lower-case word after a title is a name unless it is English.
_TITLE_LOWER = re.compile(
    rf"(?<![\w\[])(?P<cue>(?i:dr|doctor|nurse|mr|mrs|ms|miss|matron|prof|professor)\.?[ \t]+)"
    rf"(?P<name>{_LOWER_WORD})"
)
_RELATIONS = (
    r"son|daughter|husband|wife|partner|mum|mom|mother|dad|father|brother|sister|nan|nana|nanna|gran|granny"
    r"|grandma|grandmother|grandad|granddad|grandpa|grandfather|grandson|granddaughter|grandchild|child|baby"
    r"|boy|girl|auntie|aunty|aunt|uncle|niece|nephew|cousin|friend|neighbour|carer|fiance|fiancee|fiancé"
    r"|fiancée|boyfriend|girlfriend|stepson|stepdaughter|stepmum|stepdad|twin|twins|brother-in-law"
    r"|sister-in-law|mother-in-law|father-in-law|son-in-law|daughter-in-law|godson|goddaughter|kids|children"
)
# "my son Tom", "our daughter (Amira)", "my late husband Bill": the name follows a relation.
_RELATION_NAME = re.compile(
    rf"(?P<cue>\b(?i:my|our|his|her|their)[ \t]+(?:(?i:late|little|eldest|youngest|older|younger|elder|baby"
    rf"|step|adult|\d{{1,2}}[ -]?(?:yr|year)s?[ -]?old)[ \t]+)?(?i:{_RELATIONS}),?[ \t]+\(?)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?|{_LOWER_WORD})"
)
_ROLES = (
    r"medic|driver|"
    r"nurse|nurses|receptionist|doctor|dr|gp|consultant|physio|physiotherapist|ot|therapist|psychiatrist"
    r"|psychologist|hca|healthcare\s+assistant|care\s+coordinator|coordinator|co-ordinator|social\s+worker"
    r"|manager|midwife|health\s+visitor|paramedic|pharmacist|porter|cleaner|volunteer|chaplain|counsellor"
    r"|support\s+worker|key\s+worker|keyworker|student|registrar|sister|matron|surgeon|dentist|optician"
    r"|advocate|peer\s+supporter|navigator|link\s+worker|officer|lead|administrator|admin|secretary"
)
# "Jenny on reception", "Sandra from the crisis team", "Ahmed (the receptionist)",
# "Kwame, our care coordinator", "Tom the physio": a name followed by a role.
_ROLE_NAME = re.compile(
    rf"(?<![\w\[])(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?|{_LOWER_WORD})"
    rf"(?=[ \t]*(?:,|\(|-|–)?[ \t]*(?:"
    r"(?i:on|at|from|in)[ \t]+(?i:the[ \t]+)?(?i:reception|front[ \t]+desk|desk|switchboard|phones?"
    r"|(?:[\w&-]+[ \t]+){0,3}(?:team|service|ward|unit|pals|office|clinic|surgery|practice|hub|line))\b"
    rf"|(?i:the|our|my|his|her|a)[ \t]+(?:(?i:lovely|amazing|kind|student|senior|junior|duty|head|charge|"
    rf"staff|ward|community|mental[ \t]+health|specialist)[ \t]+)?(?i:{_ROLES})\b))"
)
_ROLE_WORDS = frozenset(w for w in _ROLES.replace("\\s+", " ").split("|") if " " not in w)
# "the physio Jenny", "our OT Tom", "receptionist (Sandra)": a capitalised name right after a role.
_ROLE_BEFORE_NAME = re.compile(
    rf"(?P<cue>\b(?:(?i:the|our|my|his|her|their|a)[ \t]+)?(?i:{_ROLES})[ \t]*[,(]?[ \t]*)"
    rf"(?<![\w\[])(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_INTRO_NAME = re.compile(
    rf"(?P<cue>\b(?i:my\s+name\s+is|my\s+name's|i\s+am\s+called|i'm\s+called|this\s+is"
    rf"|signed|regards|kind\s+regards|thanks|thank\s+you|cheers)[ \t,]+)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# A signature at the very end: "... It really matters. - Patrick Hussain", "~ Ana Nowak [EMAIL]".
_SIGNATURE = re.compile(
    rf"(?<!\S)(?P<cue>[-–—~]+[ \t]*)(?P<name>{_NAME_WORD}[ \t]+{_NAME_WORD})"
    r"(?=[ \t.!,]*(?:\[(?:EMAIL|PHONE|URL)\][ \t.!,]*)*$)"
)
# Only the first of these cues is strong enough for a lone capitalised word; the rest
# ("from", "thanks", ...) must be followed by a full name or end the text.
_STRONG_INTRO = re.compile(r"(?i:my\s+name\s+is|my\s+name's|i\s+am\s+called|i'm\s+called|this\s+is|signed)")
_TITLE_WORDS = frozenset(
    {"dr", "doctor", "nurse", "sister", "matron", "mr", "mrs", "ms", "miss", "prof", "professor"}
)
# Capitalised words that follow a title or cue without being a name.
_NOT_NAMES = frozenset(
    """
    i a an the and or but so of to in on at by for from with as if it its is was are were be
    he she they we you me my our your his her their them us who which what when where why how
    that this these those there here all any some every everyone everybody nobody someone
    not no yes very really just also too thank thanks please hello hi dear sir madam
    team teams ward wards unit units clinic clinics service services department dept staff
    practitioner practitioners specialist specialists consultant consultants manager managers
    lead led leads station surgery practice hospital hospitals trust nhs gp gps ae a&e er icu
    crisis community mental health home care team's district school night day duty charge
    receptionist reception assistant assistants support worker workers student students
    associate associates registrar registrars on-call who's mum dad
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    great good amazing excellent brilliant fantastic wonderful lovely kind helpful best
    however then after before when while although unfortunately because since until
    people person lady ladies man men woman women guy guys girl girls boy boys chap gentleman
    nurses doctors receptionists everyone's someone's carer carers mother father son daughter
    husband wife partner family friends friend patient patients client clients member members
    council borough centre center college university covid coronavirus lockdown christmas easter
    ramadan eid diwali mr mrs ms dr sister nurse doctor matron miss prof professor being having
    pals camhs iapt nhs111 who ok okay sorry again still now later soon always never sometimes
    tel tel. tele mob mobile phone telephone email e-mail fax ring call text contact address postcode
    info meds xray x-ray drs asap na ps tv wifi xbox driver drivers crew crews operator handler handlers
    everything anything nothing something anyone anybody somebody noone no-one each both either neither
    others another many much most few several lots loads things stuff
    """.split()  # noqa: SIM905 - a word list reads better as text than as 150 quoted strings
)
# Nouns that follow a title, relation or role in ordinary text ("dr appointment", "my son school").
_NOT_LOWER_NAMES = frozenset(
    """
    appointment appointments appt appts surgery surgeries letter letters note notes visit visits call calls
    station bank office room rooms home homes referral referrals report reports prescription prescriptions
    practitioner practitioners staff team teams who which that whom whose said told says asked rang called
    school nursery college work job care carer dementia autism adhd cancer diabetes stroke asthma epilepsy
    depression anxiety condition illness disability needs issues problems health mental physical aged age
    has had was is are and or but with who's is's at in on of to for from by as went goes got gets came comes
    also too then now still again never always often sometimes usually just only even really very
    out up down off over about into onto through around back away not no nor yet lol pls plz thx etc
    doesnt dont didnt isnt wasnt cant couldnt wont wouldnt hasnt havent hes shes theyre ive im
    """.split()  # noqa: SIM905
)
_ORG_WORDS = (
    r"council|borough|hospital|hospitals|trust|ward|wards|unit|wing|house|centre|center|surgery|practice"
    r"|clinic|team|service|services|road|street|lane|avenue|park|college|university|school|library|station"
    r"|hub|nhs(?![ \t]*(?:no|num|number|#|n[or])\b)|foundation|icb|ccg|healthwatch|society|charity|group|network|partnership|pharmacy|chemist"
    r"|hospice|court|building|block|suite|floor|line|helpline|university's|council's|hospital's|trust's"
)
_ORG_AFTER = re.compile(rf"^[’']?s?[ \t]*(?:{_ORG_WORDS})\b", re.IGNORECASE)

#: Places, services and institutions that are never a person's name, whatever the model says.
ALLOW_LIST: frozenset[str] = frozenset(
    w.lower() for w in (
        *vocab.BOROUGHS, "Hammersmith", "Fulham", "Kensington", "Chelsea", "H&F", "K&C", "RBKC",
        "North West London", "NW London", "NWL", "London", "England", "UK", "Britain", "Great Britain",
        # Towns and areas of North West London.
        "Acton", "Alperton", "Brentford", "Chiswick", "Ealing Broadway", "Edgware", "Feltham", "Greenford",
        "Hanwell", "Hanworth", "Harlesden", "Harefield", "Hayes", "Heathrow", "Hillingdon", "Isleworth",
        "Kenton", "Kilburn", "Kingsbury", "Maida Vale", "Marylebone", "Neasden", "Northolt", "Northwood",
        "Notting Hill", "Paddington", "Park Royal", "Pimlico", "Pinner", "Queens Park", "Ruislip", "Shepherd's Bush",
        "Southall", "Stanmore", "Sudbury", "Twickenham", "Uxbridge", "Wembley", "West Drayton", "White City",
        "Willesden", "Yiewsley", "Soho", "Mayfair", "Victoria", "Westminster", "Earls Court", "Earl's Court",
        "Hounslow West", "Osterley", "Perivale", "Cricklewood", "Wealdstone", "Harrow on the Hill", "Colindale",
        # Hospitals and sites.
        "Northwick Park", "St Mary's", "St Marys", "Charing Cross", "Hammersmith Hospital", "Ealing Hospital",
        "Hillingdon Hospital", "Mount Vernon", "Central Middlesex", "West Middlesex", "West Mid", "Chelsea and Westminster",
        "Chelsea & Westminster", "St Charles", "Lakeside", "Royal Brompton", "Harefield Hospital", "St Bart's",
        "Guy's", "St Thomas'", "Moorfields", "Great Ormond Street", "GOSH", "Whittington", "UCLH", "Imperial",
        "Royal Marsden", "Marie Curie", "Macmillan", "Mind", "Samaritans", "Age UK", "Healthwatch",
        # Services and words the model takes for names.
        "NHS", "GP", "GPs", "A&E", "A and E", "AE", "111", "999", "NHS 111", "PALS", "CAMHS", "IAPT", "ICB", "CCG",
        "CQC", "NICE", "DWP", "PIP", "ESA", "UC", "HCA", "HCAs", "OT", "OTs", "CPN", "CMHT", "CRHTT", "HTT",
        "ICU", "ITU", "MRI", "CT", "ECG", "ADHD", "ASD", "OCD", "PTSD", "COVID", "Covid", "Covid-19", "Zoom",
        "Teams", "Microsoft Teams", "WhatsApp", "Facebook", "Google", "Talking Therapies", "Recovery College",
        "Crisis Team", "Home Treatment Team", "Crisis Line", "Patient Advice and Liaison Service", "Mencap",
        "Ward", "Bay", "Room", "Christmas", "Easter", "Ramadan", "Eid", "Diwali", "Brexit", "Oxford Road",
        "Dr", "Nurse", "Sister", "Matron", "Sir", "Madam", "Dear", "Thanks", "Thank", "Hello", "Hi",
        "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Monday",
        "Amazon", "Tesco", "Boots", "Uber", "Google Meet", "Sainsbury's", "Asda", "Lidl", "Aldi",
        "Jenner", "Nightingale", "Florence", "Seacole", "Mary Seacole", "Florence Nightingale",
    )
)


_ORG_WORD_RE = re.compile(rf"(?:{_ORG_WORDS})", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(PLACEHOLDER_TYPES) + r")\]")

# What follows a person's name at the start of a sentence ("Peter was", "Grace, the HCA,", "Will rang").
_NAME_CONTEXT = re.compile(
    r"[’']s\b|[ \t]*(?:[,.!?;:()\-–]|$)|[ \t]+(?:was|is|has|had|and|said|told|rang|called|came|helped|explained"
    r"|sorted|went|on|from|at|who|did|does|made|gave|took|spoke|listened|always|never|really|also|just"
    r"|looked|kept|stayed|phoned|visited|arranged|asked|answered)\b"
)
