"""The cycle configuration: one YAML file per survey cycle, validated on load.

Config flows one way: YAML -> :class:`CycleConfig` -> papermill parameters ->
notebook -> function arguments. Every model forbids unknown keys so that a typo
(``supression_threshold``) is an error naming the key, never a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.core import paths, vocab
from analysis.core.errors import ConfigError

DatasetKind = Literal[
    "involvement_survey", "engagement_survey", "activities", "actions", "population"
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
        "description",
    ),
    "actions": (
        "action_ref", "cycle", "theme_id", "you_said", "we_did", "status", "reason",
        "updated_at",
    ),
    "population": ("borough", "age_band", "ethnicity", "population"),
}
#: Fields that are required in every file of a dataset.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "involvement_survey": ("respondent_ref", "submitted_at", "respondent_type"),
    "engagement_survey": ("respondent_ref", "submitted_at", "respondent_type", "borough"),
    "activities": ("activity_ref", "date", "activity_type", "borough", "participants"),
    "actions": ("action_ref", "theme_id", "you_said", "we_did", "status"),
    "population": ("borough", "age_band", "ethnicity", "population"),
}
#: Direct identifiers: read so that names can be redacted from free text, never written out.
DIRECT_IDENTIFIERS: tuple[str, ...] = ("name", "email", "phone", "address", "postcode")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputFile(_Strict):
    """One raw export and how its headers map onto canonical names."""

    name: str = Field(description="Short id for this file, used in ledgers.")
    dataset: DatasetKind
    path: Path
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

    @field_validator("positive")
    @classmethod
    def _known_levels(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in vocab.LIKERT_LEVELS]
        if unknown:
            raise ValueError(
                f"unknown Likert level(s) {unknown}; choose from {list(vocab.LIKERT_LEVELS)}"
            )
        return value


class OpenQuestion(_Strict):
    """An open-text question."""

    id: str
    short_label: str
    wording: dict[int, str]


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
    key_file: Path | None = Field(None, description="Git-ignored file holding the key, if no env var.")
    demo_key: str | None = Field(
        None, description="Only for the synthetic example: a published key, announced in outputs."
    )


class Cleaning(_Strict):
    duplicate_keep: Literal["first", "last"] = Field(
        "last", description="Which of several submissions by one respondent in one wave to keep."
    )
    min_wave: int = Field(2000, description="Dates before 1 January of this year are rejected as out of range.")


class Themes(_Strict):
    model_path: Path | None = Field(None, description="Local sentence-transformers folder; None = packaged all-MiniLM-L6-v2.")
    min_words: int = Field(3, ge=1, description="Answers shorter than this are 'very short', not modelled.")
    n_neighbors: int = Field(15, ge=2)
    n_components: int = Field(5, ge=2)
    min_cluster_size: int | None = Field(None, ge=2, description="None scales with corpus size.")
    min_samples: int | None = Field(None, ge=1)
    outlier_threshold: float = Field(0.3, ge=0, le=1, description="Similarity needed to reassign an outlier.")
    ngram_max: int = Field(2, ge=1, le=3)
    codebook: Path | None = Field(None, description="YAML of expected themes (fixed ids 1-99) for guided modelling.")
    codebook_min_similarity: float = Field(
        0.5, ge=0, le=1, description="Similarity a comment needs to a codebook theme to take that theme's fixed name.")
    torch_threads: int = Field(2, ge=1, description="CPU threads for the sentence encoder.")
    registry: Path | None = Field(None, description="Theme registry CSV; None = <outputs.processed_dir>/theme_registry.csv.")
    review_dir: Path | None = Field(None, description="Folder of analysts' decisions files <cycle>.csv; None = config/reviews.")
    match_threshold: float = Field(
        0.75, ge=0, le=1,
        description="Centroid cosine similarity for a theme to continue from an earlier cycle (0.6-0.7 paired different subjects on the example).",
    )
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


class Reach(_Strict):
    under_represented_ratio: float = Field(0.8, gt=0, lt=1, description="Representation ratio below which a group is flagged.")


class Outputs(_Strict):
    processed_dir: Path = Path("data/processed")
    reports_dir: Path = Path("reports")
    interim_dir: Path = Path("data/interim")


class CycleConfig(_Strict):
    """A whole survey cycle: what to read, how to read it and how to analyse it."""

    cycle: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]
    title: str
    organisation: str
    latest_wave: int = Field(description="Last survey wave of this cycle; later dates are rejected as out of range.")
    previous_cycle: str | None = Field(None, description="Cycle id whose outputs this cycle is compared with.")
    seed: int = 2025
    suppression_threshold: int = Field(10, ge=1)
    inputs: list[InputFile]
    question_bank: QuestionBank
    deidentification: Deidentification = Deidentification()
    cleaning: Cleaning = Cleaning()
    themes: Themes = Themes()
    change: Change
    reach: Reach = Reach()
    outputs: Outputs = Outputs()

    @model_validator(mode="after")
    def _check_mappings(self) -> CycleConfig:
        item_ids = {q.id for q in self.question_bank.items}
        open_ids = {q.id for q in self.question_bank.open_questions}
        names = [f.name for f in self.inputs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"input names must be unique; repeated: {', '.join(dupes)}")
        for f in self.inputs:
            allowed = set(CANONICAL_FIELDS[f.dataset])
            for raw, target in f.columns.items():
                prefix, _, ident = target.partition(".")
                if prefix == "item" and f.dataset == "involvement_survey":
                    ok = ident in item_ids
                elif prefix == "open" and f.dataset in ("involvement_survey", "engagement_survey"):
                    ok = ident in open_ids
                else:
                    ok = target in allowed
                if not ok:
                    raise ValueError(
                        f"inputs[{f.name}].columns[{raw!r}]: unknown target {target!r} for a "
                        f"{f.dataset} file; use one of {sorted(allowed)}, item.<id> or open.<id>"
                    )
            missing = [r for r in REQUIRED_FIELDS[f.dataset] if r not in f.columns.values()]
            if missing:
                raise ValueError(f"inputs[{f.name}].columns: required field(s) not mapped: {missing}")
        return self

    # Convenience accessors -------------------------------------------------
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

    def inputs_of(self, dataset: str) -> list[InputFile]:
        return [f for f in self.inputs if f.dataset == dataset]


def read_yaml(path: Path, what: str = "config") -> object:
    """Parse a YAML file, turning a missing file or bad YAML into a :class:`ConfigError`.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message ("config", "codebook").
    """
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path.name}: not valid YAML ({exc})") from None


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"config {path.name}: {error.error_count()} problem(s)"]
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; unknown keys are not allowed)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def load_config(path: str | Path, *, check_files: bool = True) -> CycleConfig:
    """Read and validate a cycle YAML.

    Parameters
    ----------
    path
        The YAML file (relative paths are taken from the repository root).
    check_files
        Also check that every input file exists.

    Returns
    -------
    CycleConfig

    Raises
    ------
    ConfigError
        With one message naming every bad key or missing file (exit code 2).
    """
    path = paths.resolve(path) if not Path(path).exists() else Path(path).resolve()
    raw = read_yaml(path, "config")
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path.name}: expected a mapping of keys at the top level")
    try:
        config = CycleConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(path, exc)) from None
    if check_files:
        missing = [f"  - inputs[{f.name}].path: file not found: {f.path}"
                   for f in config.inputs if not config.input_path(f).is_file()]
        for label, value in (("themes.codebook", config.themes.codebook),
                             ("themes.model_path", config.themes.model_path)):
            if value is not None and not paths.resolve(value).exists():
                missing.append(f"  - {label}: not found: {value}")
        if missing:
            raise ConfigError("\n".join([f"config {path.name}: {len(missing)} problem(s)", *missing]))
    return config
