"""The cycle configuration: one YAML file per survey cycle, validated on load.

Longer than 500 lines: the whole cycle YAML is one validated contract (every section, its strict
loader with duplicate-key errors and the plain-English messages); keeping it in one module keeps
every key's validation and its documentation together.

Config flows one way: YAML -> :class:`CycleConfig` -> papermill parameters ->
notebook -> function arguments. Every model forbids unknown keys so that a typo
(``supression_threshold``) is an error naming the key, never a silent default.

Strict by design, because a typo must never switch off a safeguard:

* types are strict (pydantic strict mode): ``10`` is a number, ``"10"``,
  ``10.5`` and ``yes`` are not; booleans are only ``true``/``false``
  (:class:`ConfigLoader` reads YAML 1.1's ``yes``/``no``/``on``/``off`` as
  text, so they are refused rather than turned into 1 or 0). Paths are the one
  deliberate exception: YAML has no path type, so they are read from text;
* a key written twice in any YAML file the project reads is an error naming
  the key and both lines (PyYAML would keep the last one silently);
* ``suppression_threshold`` must lie in 5..100 unless
  ``allow_unusual_threshold: true`` says that an unusual value is intended;
* ``cycle`` and ``previous_cycle`` are plain folder names
  (:data:`CYCLE_NAME_PATTERN`), so ``previous_cycle: ../../etc`` is refused;
* the published ``deidentification.demo_key`` is only accepted in a config
  that declares ``synthetic_example: true``, and that declaration only when
  every input file sits beside the README that ``python -m analysis
  make-example`` writes (:data:`EXAMPLE_MARKER`), so a real cycle copied from
  the example config stops instead of being pseudonymised with a public key.

Every problem is reported as one line naming the file, the line (where known)
and the key path, in one :class:`ConfigError` (exit code 2).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from analysis.core import paths, vocab
from analysis.core.errors import ConfigError

DatasetKind = Literal[
    "involvement_survey", "engagement_survey", "activities", "actions", "population", "case_studies",
    "documents",
]

#: Canonical column names each dataset may map raw headers onto.
#: ``item.<id>`` and ``open.<id>`` targets are checked against the question bank.
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    "involvement_survey": (
        "respondent_ref", "person_ref", "submitted_at", "wave", "respondent_type",
        "service_line", "borough", "age_band", "ethnicity", "gender", "disability",
        "carer_status", "weight", "name", "email", "phone", "address",
    ),
    "engagement_survey": (
        "respondent_ref", "submitted_at", "respondent_type", "borough", "postcode",
        "channel", "age_band", "ethnicity", "gender", "disability", "carer_status",
        "name", "email", "phone", "address",
    ),
    "activities": (
        "activity_ref", "date", "activity_type", "borough", "audience", "participants",
        "description", "involvement_level", "involved_from_start",
    ),
    "actions": (
        "action_ref", "cycle", "theme_id", "you_said", "we_did", "status", "reason",
        "updated_at",
    ),
    "population": ("borough", "age_band", "ethnicity", "population"),
    "case_studies": (
        "case_ref", "cycle", "title", "theme_ids", "what_people_said", "what_changed", "consent", "quote",
    ),
    # An index CSV of qualitative documents; each file is found relative to the index's folder.
    "documents": (
        "document_id", "document_file", "channel", "date", "borough", "respondent_type", "consent_to_quote",
        "name",
    ),
}
#: Fields that are required in every file of a dataset.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "involvement_survey": ("respondent_ref", "submitted_at", "respondent_type"),
    "engagement_survey": ("respondent_ref", "submitted_at", "respondent_type", "borough"),
    "activities": ("activity_ref", "date", "activity_type", "borough", "participants"),
    "actions": ("action_ref", "theme_id", "you_said", "we_did", "status"),
    "population": ("borough", "age_band", "ethnicity", "population"),
    "case_studies": ("case_ref", "title", "theme_ids", "consent"),
    "documents": ("document_id", "document_file", "channel", "date", "respondent_type", "consent_to_quote"),
}
#: Direct identifiers: read so that names can be redacted from free text, never written out.
DIRECT_IDENTIFIERS: tuple[str, ...] = ("name", "email", "phone", "address", "postcode")

#: A cycle id names folders (``data/processed/<cycle>``, ``reports/<cycle>``) and files
#: (``config/reviews/<cycle>.csv``): lower case (case-insensitive file systems would merge
#: "Example" and "example"), no slash, dot or space, so it can never climb out of its folder.
CYCLE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: The usual range of ``suppression_threshold``; outside it needs ``allow_unusual_threshold: true``.
THRESHOLD_RANGE: tuple[int, int] = (5, 100)
#: Answers left out of an item's base unless its config says otherwise (never "not positive").
DEFAULT_EXCLUDED_ANSWERS: tuple[str, ...] = (
    "Don't know", "Dont know", "Prefer not to say", "Not sure", "Can't say", "Cannot say",
    "Not applicable", "N/A", "NA", "No answer",
)
#: How the generator's synthetic data is recognised: the README that
#: ``python -m analysis make-example`` writes beside the files, and its first line.
EXAMPLE_MARKER: tuple[str, str] = ("README.md", "# Synthetic example data (generated: do not edit by hand)")

#: A path read from YAML text (YAML has no path type, so strict mode would refuse every path).
ConfigPath = Annotated[Path, Strict(False)]


class KeyProblem(ValueError):
    """A validation problem located at a key below the model that raised it.

    Model validators see the whole model but pydantic only knows the model's own
    location; ``loc`` carries the rest (``("deidentification", "demo_key")``) so
    that the message names the key and its line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class InputFile(_Strict):
    """One raw export and how its headers map onto canonical names."""

    name: str = Field(description="Short id for this file, used in ledgers.")
    dataset: DatasetKind
    path: ConfigPath
    encoding: str = Field("auto", description="'auto' detects; otherwise a Python codec name.")
    delimiter: str | None = Field(None, description="None detects the CSV delimiter.")
    sheet: str | None = Field(None, description="XLSX sheet name; required for XLSX files.")
    likert_codes_reversed: bool = Field(
        False, description="True when numeric codes run 1 = strongly agree .. 5 = strongly disagree."
    )
    columns: dict[str, str] = Field(description="Raw header -> canonical field, item.<id> or open.<id>.")

    @field_validator("columns")
    @classmethod
    def _non_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one column mapping is needed")
        targets = list(value.values())
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise ValueError(f"several raw headers map onto {', '.join(dupes)}")
        return value


class LikertItem(_Strict):
    """A closed question with a stable id; its wording may change between waves."""

    id: str
    short_label: str
    family: str = Field("involvement", description="Items adjusted together for multiple comparisons.")
    wording: dict[int, str] = Field(description="First wave a wording applies from -> wording.")
    positive: list[str] = Field(default_factory=lambda: ["Agree", "Strongly agree"])
    negative: list[str] | None = Field(
        None, description="Likert levels counted as not positive; default every level not in positive.")
    excluded: list[str | int] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDED_ANSWERS),
        description="Answers left out of the base (Don't know, Prefer not to say, numeric missing codes such "
                    "as 6 or 9, ...). An answer in none of positive, negative and excluded stops the run.")

    @field_validator("positive", "negative")
    @classmethod
    def _known_levels(cls, value: list[str] | None) -> list[str] | None:
        unknown = [v for v in value or [] if v not in vocab.LIKERT_LEVELS]
        if unknown:
            raise ValueError(
                f"unknown Likert level(s) {unknown}; choose from {list(vocab.LIKERT_LEVELS)}"
            )
        return value

    @field_validator("excluded")
    @classmethod
    def _codes_as_text(cls, value: list[str | int]) -> list[str]:
        return [str(v) for v in value]  # numeric missing codes (6, 9) compare as text

    @model_validator(mode="after")
    def _disjoint_scale(self) -> LikertItem:
        lists = {"positive": self.positive, "negative": self.negative or [], "excluded": self.excluded}
        seen: dict[str, str] = {}
        for name, values in lists.items():
            for v in values:
                key = v.strip().casefold()
                if key in seen and seen[key] != name:
                    raise ValueError(f"{v!r} is in both {seen[key]} and {name}")
                seen[key] = name
        return self


class OpenQuestion(_Strict):
    """An open-text question."""

    id: str
    short_label: str
    wording: dict[int, str]
    kind: Literal["praise", "suggestion", "open"] = Field(
        "open", description="What the question invites: 'praise' (what works well), 'suggestion' (what should "
                            "change) or 'open'; weighs in each theme's stance.")


class QuestionBank(_Strict):
    items: list[LikertItem]
    open_questions: list[OpenQuestion]

    @model_validator(mode="after")
    def _unique_ids(self) -> QuestionBank:
        ids = [q.id for q in self.items] + [q.id for q in self.open_questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(dupes)}")
        return self


class Deidentification(_Strict):
    staff_names: list[str] = Field(default_factory=list, description="Names always redacted.")
    key_env_var: str = Field("INVOLVEMENT_PSEUDONYM_KEY", description="Env var holding the hash key.")
    key_file: ConfigPath | None = Field(None, description="Git-ignored file holding the key, if no env var.")
    demo_key: str | None = Field(
        None, description="Only for the synthetic example (the config must declare synthetic_example: true): "
                          "a published key, announced in outputs. Refused in any other config.",
    )


class Cleaning(_Strict):
    duplicate_keep: Literal["first", "last"] = Field(
        "last", description="Which of several submissions by one respondent in one wave to keep."
    )
    min_wave: int = Field(2000, description="Dates before 1 January of this year are rejected as out of range.")


class Themes(_Strict):
    model_path: ConfigPath | None = Field(None, description="Local sentence-transformers folder; None = packaged all-MiniLM-L6-v2.")
    min_words: int = Field(3, ge=1, description="Answers shorter than this are 'very short', not modelled.")
    n_neighbors: int = Field(15, ge=2)
    n_components: int = Field(5, ge=2)
    min_cluster_size: int | None = Field(None, ge=2, description="None scales with corpus size.")
    min_samples: int | None = Field(None, ge=1)
    outlier_threshold: float = Field(0.3, ge=0, le=1, description="Similarity needed to reassign an outlier.")
    ngram_max: int = Field(2, ge=1, le=3)
    codebook: ConfigPath | None = Field(None, description="YAML of expected themes (fixed ids 1-99) for guided modelling.")
    codebook_min_similarity: float = Field(
        0.5, ge=0, le=1, description="Similarity a comment needs to a codebook theme to take that theme's fixed name.")
    torch_threads: int = Field(2, ge=1, description="CPU threads for the sentence encoder.")
    book: ConfigPath | None = Field(
        None, description="The programme's committed theme book (config/themes/<programme>.yaml); None = a first "
                          "cycle, where every theme found is a candidate for review.")
    review_dir: ConfigPath = Field(
        Path("data/interim/review"),
        description="Git-ignored folder where a run writes its review sheet and candidate themes (never published).")
    max_quotes: int = Field(3, ge=0)
    precision: Literal["auto", "fp32", "bf16", "int8"] = Field(
        "fp32",
        description="Encoder arithmetic. 'fp32' (default) gives the same vectors, so the same themes and theme "
                    "ids, on every x86-64 machine with AVX2 (see analysis.core.numerics); 'bf16' is about 2x faster on "
                    "CPUs with native bfloat16 (cosine 0.9999 to fp32) and 'auto' picks it where available, for large "
                    "corpora; 'int8' = dynamic quantisation (faster, less faithful). Part of the embedding cache key.",
    )
    fit_sample_size: int | None = Field(
        50000, ge=1000,
        description="Above this many substantive comments, fit themes on a sample stratified by question and "
                    "place the rest in the nearest theme centroid; None = always fit on every comment.",
    )
    exact_knn_max_size: int = Field(
        60000, ge=100,
        description="Largest fit for the exact (O(n^2)) kNN graph; larger fits use pynndescent's approximate "
                    "search (about 30 s of numba compilation per process, then sub-quadratic).",
    )
    dask_scheduler: str | None = Field(
        None,
        description="Dask scheduler address (e.g. tcp://10.0.0.5:8786) for embedding and placing comments on "
                    "an existing cluster; the INVOLVEMENT_DASK_SCHEDULER environment variable overrides it.",
    )
    dask_min_texts: int | None = Field(
        None, ge=1,
        description="With no scheduler address, start a local Dask cluster when at least this many new texts "
                    "need embedding; None = never (one process is as fast on a single machine).",
    )


class Change(_Strict):
    baseline_wave: int
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)
    standard_group_mix: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None,
        description="Group -> share of the standard population for the 'everyone' figure (shares sum to 1); "
                    "default: the latest wave's mix of answers by group.",
    )

    @field_validator("standard_group_mix")
    @classmethod
    def _mix_sums_to_one(cls, mix: dict[str, float] | None) -> dict[str, float] | None:
        if mix is not None and (not mix or abs(sum(mix.values()) - 1.0) > 1e-3):
            raise ValueError(f"the shares must sum to 1 (they sum to {sum(mix.values()):.3f})")
        return mix


class Reach(_Strict):
    under_represented_ratio: float = Field(0.8, gt=0, lt=1, description="Representation ratio below which a group is flagged.")
    ladder: list[str] = Field(
        default_factory=lambda: list(vocab.INVOLVEMENT_LADDER), min_length=2,
        description="Levels of involvement an activity can record, lowest rung first (activities' "
                    "involvement_level must be one of them; case, spaces and hyphens are ignored when matching).")
    coproduced_rungs: int = Field(
        1, ge=1, description="How many top rungs of the ladder count as co-produced (1 = the top rung only, "
                             "2 = the top two, e.g. collaborate and co-produce).")

    @field_validator("ladder")
    @classmethod
    def _distinct_rungs(cls, ladder: list[str]) -> list[str]:
        keys = [ladder_key(rung) for rung in ladder]
        if any(not key for key in keys):
            raise ValueError("a rung of the ladder is blank")
        repeated = sorted({rung for rung, key in zip(ladder, keys, strict=True) if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"rungs must differ (ignoring case, spaces and hyphens); repeated: {', '.join(repeated)}")
        return ladder

    @model_validator(mode="after")
    def _rungs_fit_the_ladder(self) -> Reach:
        if self.coproduced_rungs >= len(self.ladder):
            raise KeyProblem(("coproduced_rungs",),
                             f"{self.coproduced_rungs} top rungs would be the whole ladder of {len(self.ladder)} "
                             "(co-produced must be a part of it)")
        return self

    def coproduced_levels(self) -> list[str]:
        """The rungs counted as co-produced (the top ``coproduced_rungs``), lowest first."""
        return list(self.ladder[-self.coproduced_rungs:])


def ladder_key(value: str) -> str:
    """How a ladder level is matched: case-folded, without spaces, hyphens or underscores ("Co-produce" = "coproduce")."""
    return re.sub(r"[\s\-_\u2010-\u2015]+", "", str(value)).casefold()


class ThemesNotebook(_Strict):
    """Parameters of ``notebooks/02_themes.ipynb``."""

    questions: list[str] | None = Field(
        None, min_length=1,
        description="Open question ids to theme, in the order shown; None = every question_bank.open_questions id.")
    stability_check: bool = Field(True, description="Refit with a second seed to measure how stable the themes are.")
    document_map: bool = Field(False, description="Add an interactive map of answers (embeds about 5 MB of plotly).")


class ChangeNotebook(_Strict):
    """Parameters of ``notebooks/03_change_over_time.ipynb``."""

    groups_column: str = Field("respondent_type", description="Column of responses.parquet holding the groups.")
    groups: list[str] | None = Field(
        None, min_length=1,
        description="Group order, the first being the reference in group contrasts; None = the "
                    "involvement survey's respondent types in vocabularies.respondent_types (the example's: "
                    "Staff, Expert by experience).")


class ReachNotebook(_Strict):
    """Parameters of ``notebooks/04_reach_and_actions.ipynb``."""

    reach_datasets: list[Literal["involvement_survey", "engagement_survey"]] = Field(
        ["engagement_survey"], min_length=1,
        description="Surveys whose respondents are compared with the population benchmark.")
    top_themes: int = Field(10, ge=1, description="How many leading themes are checked for an action.")
    examples_in_summary: int = Field(5, ge=0, description="'You said, we did' rows quoted in the report summary.")
    suggest_min_similarity: float = Field(
        0.08, ge=0, le=1,
        description="TF-IDF cosine similarity an existing action needs to be suggested for a leading theme "
                    "with no action (below it, no suggestion is made).")


class Notebooks(_Strict):
    """Notebook parameters beyond config_path and output_dir, one section per notebook.

    A section is named after its notebook without the number (``02_themes`` -> ``themes``) and
    its fields are exactly the notebook's parameters; the runner passes them to papermill
    (tests/report/test_runner.py checks both sides against ``papermill.inspect_notebook``).
    """

    themes: ThemesNotebook = ThemesNotebook()
    change_over_time: ChangeNotebook = ChangeNotebook()
    reach_and_actions: ReachNotebook = ReachNotebook()


class Outputs(_Strict):
    processed_dir: ConfigPath = Path("data/processed")
    reports_dir: ConfigPath = Path("reports")
    interim_dir: ConfigPath = Path("data/interim")


# --------------------------------------------------------------------------- vocabularies
SurveyDataset = Literal["involvement_survey", "engagement_survey"]
#: A geography name: it is written into problem messages ("unknown borough") and reports.
_GEOGRAPHY_NAME = re.compile(r"^[a-z][a-z -]{0,39}$")


def _alias_clashes(tables: dict[str, list[str]], where: tuple[str | int, ...]) -> None:
    """Refuse a spelling that would map onto two values (compared as the standardisers compare)."""
    from analysis.core.text import match_key  # pandas-backed; imported only when a config is validated

    seen: dict[str, str] = {}
    for canonical, spellings in tables.items():
        for spelling in (canonical, *spellings):
            key = match_key(spelling)
            if not key:
                raise KeyProblem((*where, canonical), f"{spelling!r} is blank once case and punctuation are ignored")
            if seen.get(key, canonical) != canonical:
                raise KeyProblem((*where, canonical),
                                 f"{spelling!r} would mean both {seen[key]!r} and {canonical!r}")
            seen[key] = canonical


class Geography(_Strict):
    """The areas respondents, activities and the population benchmark are placed in (column ``borough``).

    Default: the bundled example's eight North West London boroughs
    (:data:`analysis.core.vocab.BOROUGHS`), so a config without this section cleans as before.
    Answers are matched by name or alias (case, spacing, "&" and punctuation ignored, and
    administrative words such as "London Borough of" or "Council" removed), then typos by edit
    distance against ``values`` and ``aliases`` only; ``outside_aliases`` (and area-free answers
    such as "Other" or "Out of area") become ``outside_label``; anything else is set missing and
    logged as "unknown <name>" (a benchmark row with it is rejected).
    """

    name: str = Field("borough", description="What one area is called in messages and reports (lower case).")
    values: list[str] = Field(min_length=1, description="The areas, as they should appear in the report.")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="Area -> other spellings people use (exact matches after normalising).")
    outside_label: str = Field(description="The value for an answer outside the listed areas.")
    outside_aliases: list[str] = Field(
        default_factory=list,
        description="Answers meaning outside the area (neighbouring places); exact matches only, never fuzzy.")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _GEOGRAPHY_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a plain name: use lower-case letters, spaces or '-' (e.g. borough)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Geography:
        dupes = sorted({v for v in self.values if self.values.count(v) > 1})
        if dupes:
            raise KeyProblem(("values",), f"repeated area(s): {', '.join(dupes)}")
        for canonical in self.aliases:
            if canonical not in self.values:
                raise KeyProblem(("aliases", canonical), f"{canonical!r} is not one of values")
        if self.outside_label in self.values:
            raise KeyProblem(("outside_label",), f"{self.outside_label!r} is also one of values")
        _alias_clashes({v: list(self.aliases.get(v, [])) for v in self.values}, ("aliases",))
        from analysis.core.text import match_key

        inside = {match_key(s) for v in self.values for s in (v, *self.aliases.get(v, []))}
        for index, spelling in enumerate(self.outside_aliases):
            if match_key(spelling) in inside:
                raise KeyProblem(("outside_aliases", index), f"{spelling!r} is also an area or an alias of one")
        return self

    def allowed_values(self) -> list[str]:
        """Every value the cleaned ``borough`` column may hold: the areas, then ``outside_label``."""
        return [*self.values, self.outside_label]


class RespondentTypes(_Strict):
    """Who answered (column ``respondent_type``), with the spellings accepted in each survey.

    Default: the bundled example's types (:data:`analysis.core.vocab.RESPONDENT_TYPES`, with
    :data:`analysis.core.vocab.RESPONDENT_TYPE_ALIASES`). ``aliases`` is per survey because one
    word can mean different groups ("Carer" is an expert by experience in the involvement survey,
    a carer in the engagement survey); a survey listed in ``aliases`` accepts only the types listed
    under it, a survey not listed accepts every value by its own name. A blank or unknown type
    rejects the row (the type is required).
    """

    values: list[str] = Field(min_length=1, description="Every respondent type, in report order.")
    aliases: dict[SurveyDataset, dict[str, list[str]]] = Field(
        default_factory=dict, description="Survey -> type -> other spellings accepted in that survey.")

    @model_validator(mode="after")
    def _consistent(self) -> RespondentTypes:
        dupes = sorted({v for v in self.values if self.values.count(v) > 1})
        if dupes:
            raise KeyProblem(("values",), f"repeated type(s): {', '.join(dupes)}")
        for dataset, table in self.aliases.items():
            for canonical in table:
                if canonical not in self.values:
                    raise KeyProblem(("aliases", dataset, canonical), f"{canonical!r} is not one of values")
            _alias_clashes(table, ("aliases", dataset))
        return self

    def spellings(self, dataset: str) -> dict[str, list[str]]:
        """Type -> accepted spellings in one survey (every value by its own name if the survey has no aliases)."""
        if dataset in self.aliases:
            return {t: list(s) for t, s in self.aliases[dataset].items()}  # type: ignore[index]
        return {t: [] for t in self.values}


def _example_geography() -> Geography:
    return Geography(values=list(vocab.BOROUGHS), aliases={k: list(v) for k, v in vocab.BOROUGH_ALIASES.items()},
                     outside_label=vocab.BOROUGH_OTHER, outside_aliases=list(vocab.BOROUGH_OUTSIDE_ALIASES))


def _example_respondent_types() -> RespondentTypes:
    return RespondentTypes(values=list(vocab.RESPONDENT_TYPES), aliases={
        dataset: {t: list(s) for t, s in table.items()} for dataset, table in vocab.RESPONDENT_TYPE_ALIASES.items()})


class Vocabularies(_Strict):
    """Vocabularies that differ between organisations; each defaults to the example's (North West London)."""

    geography: Geography = Field(default_factory=_example_geography)
    respondent_types: RespondentTypes = Field(default_factory=_example_respondent_types)


#: The six UK Standards for Public Involvement, as keys of the config's ``standards`` section.
StandardKey = Literal["inclusive_opportunities", "working_together", "support_and_learning", "communications",
                      "governance", "impact"]


class CycleConfig(_Strict):
    """A whole survey cycle: what to read, how to read it and how to analyse it."""

    cycle: str = Field(description="Cycle id: 1-64 lower-case letters, digits, '-' or '_' (it names folders).")
    title: str
    organisation: str
    latest_wave: int = Field(description="Last survey wave of this cycle; later dates are rejected as out of range.")
    previous_cycle: str | None = Field(
        None, description="Cycle id (same pattern as cycle) whose outputs this cycle is compared with.")
    synthetic_example: bool = Field(
        False,
        description="True only for the bundled synthetic example: allows deidentification.demo_key, and is "
                    "itself refused unless every input file sits beside the README written by "
                    "`python -m analysis make-example`. Never set it for real data.",
    )
    seed: int = 2025
    suppression_threshold: int = Field(
        10, ge=1,
        description="Counts of people below this are not shown. Must be 5..100 unless "
                    "allow_unusual_threshold is true.",
    )
    allow_unusual_threshold: bool = Field(
        False,
        description="Set true to accept a suppression_threshold below 5 or above 100 deliberately (e.g. a "
                    "stricter local rule); without it such a value is taken for a typo and refused.",
    )
    disclosure_rule: Literal["threshold", "hes_2018"] = Field(
        "threshold", description="Small-number rule: 'threshold' (hide 1..threshold-1 with secondary suppression) "
        "or 'hes_2018' (NHS Digital HES: hide 1-7, round others to 5); see analysis.present.disclosure.")
    inputs: list[InputFile]
    question_bank: QuestionBank
    deidentification: Deidentification = Deidentification()
    cleaning: Cleaning = Cleaning()
    themes: Themes = Themes()
    change: Change
    reach: Reach = Reach()
    vocabularies: Vocabularies = Vocabularies()
    notebooks: Notebooks = Notebooks()
    outputs: Outputs = Outputs()
    standards: dict[StandardKey, list[str]] = Field(
        default_factory=dict,
        description="UK Standard for Public Involvement -> question_bank.items ids whose ratings evidence it "
                    "(the methods' standards table); a standard with no items is evidenced only by the other "
                    "sections' results, or says 'not evidenced this cycle'.")

    @field_validator("cycle", "previous_cycle")
    @classmethod
    def _safe_cycle_name(cls, value: str | None) -> str | None:
        if value is not None and not CYCLE_NAME_PATTERN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid cycle id: use 1-64 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit (no '/', '.' or spaces: the id names folders)"
            )
        return value

    @model_validator(mode="after")
    def _check_safeguards(self) -> CycleConfig:
        if self.previous_cycle is not None and self.previous_cycle == self.cycle:
            raise KeyProblem(("previous_cycle",), f"cycle {self.cycle!r} cannot be its own previous cycle")
        low, high = THRESHOLD_RANGE
        if not low <= self.suppression_threshold <= high and not self.allow_unusual_threshold:
            raise KeyProblem(
                ("suppression_threshold",),
                f"{self.suppression_threshold} is outside the usual range {low}-{high} (counts of people "
                f"under the threshold are hidden); if this value is intended, also set "
                "allow_unusual_threshold: true",
            )
        d = self.deidentification
        if d.demo_key is not None and not self.synthetic_example:
            raise KeyProblem(
                ("deidentification", "demo_key"),
                "the published demo key may only pseudonymise the bundled synthetic example (a config "
                "declaring synthetic_example: true); anyone could re-identify this cycle's respondents with "
                f"it. Remove demo_key and give a secret key: set the environment variable {d.key_env_var} "
                f"(e.g. `export {d.key_env_var}=...`) or set deidentification.key_file to a git-ignored "
                "file holding the key",
            )
        return self

    @model_validator(mode="after")
    def _check_mappings(self) -> CycleConfig:
        item_ids = {q.id for q in self.question_bank.items}
        open_ids = {q.id for q in self.question_bank.open_questions}
        names = [f.name for f in self.inputs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"input names must be unique; repeated: {', '.join(dupes)}")
        for index, f in enumerate(self.inputs):
            allowed = set(CANONICAL_FIELDS[f.dataset])
            for raw, target in f.columns.items():
                prefix, _, ident = target.partition(".")
                if prefix == "open" and ident == vocab.DOCUMENT_QUESTION_ID:
                    raise KeyProblem(("inputs", index, "columns", raw),
                                     f"open.{ident} is reserved for the passages of documents inputs; "
                                     "give this question another id")
                if prefix == "item" and f.dataset == "involvement_survey":
                    ok = ident in item_ids
                elif prefix == "open" and f.dataset in ("involvement_survey", "engagement_survey"):
                    ok = ident in open_ids
                else:
                    ok = target in allowed
                if not ok:
                    raise KeyProblem(
                        ("inputs", index, "columns", raw),
                        f"unknown target {target!r} for a {f.dataset} file ({f.name}); use one of "
                        f"{sorted(allowed)}, item.<id> or open.<id>",
                    )
            missing = [r for r in REQUIRED_FIELDS[f.dataset] if r not in f.columns.values()]
            if missing:
                raise KeyProblem(("inputs", index, "columns"),
                                 f"required field(s) not mapped in {f.name}: {missing}")
        return self

    @model_validator(mode="after")
    def _check_standards(self) -> CycleConfig:
        item_ids = [q.id for q in self.question_bank.items]
        for standard, ids in self.standards.items():
            for index, item_id in enumerate(ids):
                if item_id not in item_ids:
                    raise KeyProblem(("standards", standard, index),
                                     f"{item_id!r} is not an item of question_bank.items ({', '.join(item_ids)})")
        return self

    @model_validator(mode="after")
    def _check_notebook_parameters(self) -> CycleConfig:
        # An unknown question id would theme nothing without a word; refuse it here instead.
        open_ids = [q.id for q in self.question_bank.open_questions]
        for index, qid in enumerate(self.notebooks.themes.questions or []):
            if qid not in open_ids:
                raise KeyProblem(("notebooks", "themes", "questions", index),
                                 f"{qid!r} is not an open question of question_bank.open_questions "
                                 f"({', '.join(open_ids) or 'none'})")
        datasets = {f.dataset for f in self.inputs}
        reach = self.notebooks.reach_and_actions
        # The default names the usual engagement survey; a cycle without one simply reports no respondents.
        for index, dataset in enumerate(reach.reach_datasets if "reach_datasets" in reach.model_fields_set else []):
            if dataset not in datasets:
                raise KeyProblem(("notebooks", "reach_and_actions", "reach_datasets", index),
                                 f"no input file of dataset {dataset!r} in inputs")
        return self

    # Convenience accessors -------------------------------------------------
    def notebook_parameters(self, stem: str) -> dict[str, Any]:
        """Papermill parameters for ``notebooks/<stem>.ipynb`` beyond ``config_path`` and ``output_dir``.

        Unset values are derived from the rest of the config: ``questions`` = every open
        question id, ``groups`` = the involvement survey's respondent types (``vocabularies``).
        """
        section = re.sub(r"^\d+_", "", stem)
        if section not in Notebooks.model_fields:
            return {}
        values = getattr(self.notebooks, section).model_dump()
        if section == "themes" and values["questions"] is None:
            values["questions"] = [q.id for q in self.question_bank.open_questions]
        if section == "change_over_time" and values["groups"] is None:
            values["groups"] = list(self.vocabularies.respondent_types.spellings("involvement_survey"))
        return values

    def input_path(self, item: InputFile) -> Path:
        return paths.resolve(item.path)

    def processed_path(self) -> Path:
        return paths.resolve(self.outputs.processed_dir) / self.cycle

    def report_path(self) -> Path:
        return paths.resolve(self.outputs.reports_dir) / self.cycle

    def interim_path(self) -> Path:
        return paths.resolve(self.outputs.interim_dir)

    def positive_levels(self) -> dict[str, list[str]]:
        """Item id -> Likert levels counted as positive."""
        return {q.id: list(q.positive) for q in self.question_bank.items}

    def answer_scales(self) -> dict[str, dict[str, list[str] | None]]:
        """Item id -> ``{"positive", "negative", "excluded"}`` answers (``negative`` None: the other levels)."""
        return {q.id: {"positive": list(q.positive), "negative": None if q.negative is None else list(q.negative),
                       "excluded": list(q.excluded)} for q in self.question_bank.items}

    def inputs_of(self, dataset: str) -> list[InputFile]:
        return [f for f in self.inputs if f.dataset == dataset]


# --------------------------------------------------------------------------- YAML
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 booleans and duplicate keys refused.

    PyYAML follows YAML 1.1, which reads ``yes``/``no``/``on``/``off`` as booleans, so
    ``suppression_threshold: yes`` became 1 and a seed word ``no`` became False; here
    only ``true``/``false`` (also ``True``, ``TRUE``, ...) are booleans and anything
    else stays text, which strict validation then refuses where a number or a boolean
    is expected. A mapping that repeats a key raises instead of keeping the last value.
    Hand-written because PyYAML has neither option and a second YAML library
    (ruamel.yaml) is not a dependency; both changes are a few lines over SafeLoader.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Refuse a repeated key, then construct as SafeLoader does (merge keys included)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, _ in node.value:
                key = _scalar_key(key_node)
                if key is None:
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first written on line {seen[key]})",
                        key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _scalar_key(node: yaml.Node) -> str | None:
    """The text of a plain mapping key; None for merge keys (``<<``) and non-scalar keys."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _MERGE_TAG:
        return None
    return str(node.value)


def _index_keys(root: yaml.Node) -> tuple[dict[tuple[str, ...], int], list[tuple[int, str, str, int]]]:
    """Line of every key and list item, and every repeated key, from the composed YAML.

    Returns
    -------
    (lines, duplicates)
        ``lines`` maps a key path (``("inputs", "0", "path")``; list positions as text)
        to its 1-based line; ``duplicates`` holds ``(line, key_path, key, first_line)``.
    """
    lines: dict[tuple[str, ...], int] = {}
    duplicates: list[tuple[int, str, str, int]] = []
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    visited: set[int] = set()  # an alias repeats a node; index it once
    while stack:
        node, where = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = _scalar_key(key_node)
                if key is None:
                    # merged mappings (<<: *base) lend their keys to this path
                    stack.append((value_node, where))
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    duplicates.append((line, ".".join((*where, key)), key, seen[key]))
                    continue
                seen[key] = line
                lines[(*where, key)] = line
                stack.append((value_node, (*where, key)))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                lines[(*where, str(position))] = item.start_mark.line + 1
                stack.append((item, (*where, str(position))))
    duplicates.sort()
    return lines, duplicates


def _problem(what: str, path: Path, message: str, *, line: int | None = None, key: str = "") -> str:
    """One self-contained problem line: ``config cycle.yaml, line 9, seed: ...``."""
    where = [f"{what} {path.name}"]
    if line is not None:
        where.append(f"line {line}")
    if key:
        where.append(key)
    return f"{', '.join(where)}: {message}"


def _parse_yaml(path: Path, what: str) -> tuple[object, dict[tuple[str, ...], int]]:
    """Parse a YAML file with :class:`ConfigLoader`; returns the data and the line of each key."""
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path.name}: not valid YAML (not UTF-8 text: {exc})") from None
    loader = ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines, duplicates = _index_keys(node)
        if duplicates:
            raise ConfigError("\n".join(
                _problem(what, path, f"duplicate key {key!r} (first written on line {first}); "
                         "each key may appear only once", line=line, key=key_path)
                for line, key_path, key, first in duplicates))
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            detail = " ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
            raise ConfigError(_problem(what, path, f"not valid YAML ({detail})", line=mark.line + 1)) from None
        raise ConfigError(f"{what} {path.name}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()


def read_yaml(path: Path, what: str = "config") -> object:
    """Parse a YAML file strictly, turning a missing file or bad YAML into a :class:`ConfigError`.

    Booleans are only ``true``/``false`` and a repeated key is an error naming
    the file, the key and its line (see :class:`ConfigLoader`).

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message ("config", "codebook").
    """
    return _parse_yaml(Path(path), what)[0]


#: Plain-English messages for pydantic's strict type errors (the value is appended).
_TYPE_MESSAGES: dict[str, str] = {
    "int_type": "must be a whole number written without quotes",
    "float_type": "must be a number written without quotes",
    "bool_type": "must be true or false",
    "string_type": "must be text (put it in quotes)",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
}


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_validation_error(path: Path, error: ValidationError,
                             lines: dict[tuple[str, ...], int] | None = None) -> str:
    """One line per problem, each naming the file, the line (where known) and the key path."""
    lines = lines or {}
    out: list[str] = []
    for err in error.errors():
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, KeyProblem):
            loc = loc + cause.loc
        is_key = bool(loc) and loc[-1] == "[key]"
        parts = tuple(str(p) for p in loc if p != "[key]")
        line = next((lines[parts[:n]] for n in range(len(parts), 0, -1) if parts[:n] in lines), None)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown key (check the spelling; unknown keys are not allowed)"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind in _TYPE_MESSAGES:
            msg = f"{'this key ' if is_key else ''}{_TYPE_MESSAGES[kind]}, not {_shown(err['input'])}"
        elif kind == "value_error":
            msg = str(err["msg"]).removeprefix("Value error, ")
        else:
            msg = f"{err['msg']} (got {_shown(err['input'])})"
        out.append(_problem("config", path, msg, line=line, key=".".join(parts)))
    return "\n".join(out)


def is_example_data(path: str | Path) -> bool:
    """Whether a file sits beside the README that ``python -m analysis make-example`` writes.

    This is how ``synthetic_example: true`` is checked (:data:`EXAMPLE_MARKER`): by
    what is in the input folder, not by its name, so copies of the example data
    (tests copy it to a temporary folder) qualify and a real export does not.
    """
    name, first_line = EXAMPLE_MARKER
    readme = Path(path).parent / name
    try:
        with readme.open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n") == first_line
    except (OSError, UnicodeDecodeError):
        return False


def load_config(path: str | Path, *, check_files: bool = True) -> CycleConfig:
    """Read and validate a cycle YAML.

    Parameters
    ----------
    path
        The YAML file (relative paths are taken from the repository root).
    check_files
        Also check that every input file exists and, for ``synthetic_example: true``,
        that every input is the generator's synthetic data (:func:`is_example_data`).

    Returns
    -------
    CycleConfig

    Raises
    ------
    ConfigError
        With one line per problem, naming the file, line and key (exit code 2):
        repeated or unknown keys, wrong types, unsafe cycle ids, an unusual
        threshold, the demo key outside the example, missing files.
    """
    path = paths.resolve(path) if not Path(path).exists() else Path(path).resolve()
    raw, lines = _parse_yaml(path, "config")
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path.name}: expected a mapping of keys at the top level")
    try:
        config = CycleConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(path, exc, lines)) from None
    if check_files:
        def problem(loc: tuple[str, ...], message: str) -> str:
            return _problem("config", path, message, line=lines.get(loc), key=".".join(loc))

        problems: list[str] = []
        for index, f in enumerate(config.inputs):
            loc = ("inputs", str(index), "path")
            if not config.input_path(f).is_file():
                problems.append(problem(loc, f"file not found: {f.path}"))
            elif config.synthetic_example and not is_example_data(config.input_path(f)):
                problems.append(problem(loc, (
                    f"synthetic_example is true but {f.path} is not the synthetic example data (no "
                    f"{EXAMPLE_MARKER[0]} written by `python -m analysis make-example` beside it). For real "
                    "data remove synthetic_example and deidentification.demo_key and set the key in "
                    f"{config.deidentification.key_env_var} or deidentification.key_file")))
        for loc, value in ((("themes", "codebook"), config.themes.codebook),
                           (("themes", "model_path"), config.themes.model_path)):
            if value is not None and not paths.resolve(value).exists():
                problems.append(problem(loc, f"not found: {value}"))
        if problems:
            raise ConfigError("\n".join(problems))
    return config
