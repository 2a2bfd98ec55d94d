"""Controlled vocabularies shared by the example generator, the cleaners and the reports.

Keeping them in one place means a new category is added once and every
reader, schema and chart picks it up.

Geography (``BOROUGH*``) and respondent types (``RESPONDENT_TYPE*``) are the
bundled example's values (North West London): a cycle sets its own in the
config's ``vocabularies`` section (:class:`analysis.core.config.Vocabularies`),
and these are only its defaults, so code that cleans or validates a cycle reads
them from the config, never from here.
"""

from __future__ import annotations

#: The eight North West London boroughs used by the example engagement exercise.
BOROUGHS: tuple[str, ...] = (
    "Brent",
    "Ealing",
    "Hammersmith and Fulham",
    "Harrow",
    "Hillingdon",
    "Hounslow",
    "Kensington and Chelsea",
    "Westminster",
)
#: Canonical value for a respondent outside the listed boroughs.
BOROUGH_OTHER = "Outside North West London"
#: The eight boroughs' other names (exact matches; typos are matched by edit distance).
BOROUGH_ALIASES: dict[str, tuple[str, ...]] = {
    "Brent": ("Brent",),
    "Ealing": ("Ealing",),
    "Hammersmith and Fulham": ("Hammersmith and Fulham", "H&F", "Hammersmith", "Fulham", "LBHF"),
    "Harrow": ("Harrow",),
    "Hillingdon": ("Hillingdon",),
    "Hounslow": ("Hounslow",),
    "Kensington and Chelsea": (
        "Kensington and Chelsea", "K&C", "RBKC", "Kensington", "Chelsea",
        "Royal Borough of Kensington and Chelsea",
    ),
    "Westminster": ("Westminster", "City of Westminster", "Westminster City"),
}
#: Answers meaning "outside North West London" that only make sense for this area: the other
#: London local authorities and the neighbouring counties (exact matches only, never fuzzy:
#: "Brnet" must stay a typo of Brent, not become Barnet). Area-free spellings ("Other", "Out of
#: area", "Abroad") are in :data:`analysis.clean.standardise.GENERIC_OUTSIDE_ALIASES`.
BOROUGH_OUTSIDE_ALIASES: tuple[str, ...] = (
    "Outside NW London", "Outside NWL", "Outside London", "Other London borough", "Not in London",
    # the other 25 London local authorities
    "Barking and Dagenham", "Barnet", "Bexley", "Bromley", "Camden", "City of London",
    "Croydon", "Enfield", "Greenwich", "Hackney", "Haringey", "Havering", "Islington",
    "Kingston upon Thames", "Kingston", "Lambeth", "Lewisham", "Merton", "Newham",
    "Redbridge", "Richmond upon Thames", "Richmond", "Southwark", "Sutton", "Tower Hamlets",
    "Waltham Forest", "Wandsworth",
    # neighbouring counties and towns
    "Surrey", "Kent", "Essex", "Hertfordshire", "Buckinghamshire", "Berkshire", "Slough",
    "Watford",
)

#: Five-point agreement scale, lowest to highest (codes 1..5).
LIKERT_LEVELS: tuple[str, ...] = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)
#: Reasons an item answer is missing; kept beside the (missing) value.
MISSING_REASONS: tuple[str, ...] = ("Don't know", "Not applicable", "No answer")

#: Respondent types across the involvement and engagement surveys.
RESPONDENT_TYPES: tuple[str, ...] = (
    "Staff",
    "Expert by experience",
    "Resident",
    "Carer",
    "Health or care professional",
)
#: The two comparison groups of the involvement survey.
INVOLVEMENT_GROUPS: tuple[str, ...] = ("Staff", "Expert by experience")
#: Respondent type spellings per dataset (the same word can mean different
#: groups: "Carer" is an Expert by experience in the involvement survey but a
#: Carer in the engagement survey).
RESPONDENT_TYPE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "involvement_survey": {
        "Staff": ("Staff", "Staff member", "Member of staff", "Employee"),
        "Expert by experience": (
            "Expert by experience", "EbE", "Patient", "Service user", "Carer",
            "Patient/carer", "Patient or carer", "Lived experience",
        ),
    },
    "engagement_survey": {
        "Resident": ("Resident", "Local resident", "Member of the public", "Patient"),
        "Carer": ("Carer", "Family member or carer", "Unpaid carer"),
        "Health or care professional": (
            "Health or care professional", "Health professional", "Care professional",
            "GP", "Nurse", "Social worker", "Professional",
        ),
    },
}

AGE_BANDS: tuple[str, ...] = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
ETHNICITY_GROUPS: tuple[str, ...] = (
    "Asian or Asian British",
    "Black, Black British, Caribbean or African",
    "Mixed or multiple ethnic groups",
    "White",
    "Other ethnic group",
)
GENDERS: tuple[str, ...] = ("Woman", "Man", "Non-binary or other")
YES_NO: tuple[str, ...] = ("Yes", "No")
#: Used in every equality field when a respondent chose not to say or left it blank.
NOT_STATED = "Not stated"

SERVICE_LINES: tuple[str, ...] = (
    "Mental health",
    "Community services",
    "Learning disabilities and autism",
    "Palliative and end of life care",
    "Corporate",
)

ACTIVITY_TYPES: tuple[str, ...] = (
    "Event",
    "Webinar",
    "External meeting",
    "One-to-one interview",
    "Online survey",
    "Written submission",
)
#: Channel a comment or response came through.
CHANNELS: tuple[str, ...] = ("Survey", "Event", "Interview", "Written submission")
#: ``question_id`` of passages from qualitative documents (interviews, submissions, event notes) in comments.
DOCUMENT_QUESTION_ID = "documents"

ACTION_STATUSES: tuple[str, ...] = ("Done", "In progress", "Planned", "Not possible")

#: Default ladder of involvement, lowest rung first (config ``reach.ladder`` may replace it): how far people
#: who use or deliver services shaped an activity, from being told about it to producing it as equals.
INVOLVEMENT_LADDER: tuple[str, ...] = ("inform", "consult", "involve", "collaborate", "co-produce")

#: Reserved theme id and label for non-answers ("nothing", "no comment").
NON_ANSWER_THEME_ID = -2
NON_ANSWER_THEME_LABEL = "No substantive answer"
#: Theme id for a comment the model left unassigned.
OUTLIER_THEME_ID = -1
OUTLIER_THEME_LABEL = "Unassigned"
