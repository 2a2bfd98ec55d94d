"""Controlled vocabularies shared by the example generator, the cleaners and the reports.

Keeping them in one place means a new category is added once and every
reader, schema and chart picks it up.
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

ACTION_STATUSES: tuple[str, ...] = ("Done", "In progress", "Planned", "Not possible")

#: Reserved theme id and label for non-answers ("nothing", "no comment").
NON_ANSWER_THEME_ID = -2
NON_ANSWER_THEME_LABEL = "No substantive answer"
#: Theme id for a comment the model left unassigned.
OUTLIER_THEME_ID = -1
OUTLIER_THEME_LABEL = "Unassigned"
