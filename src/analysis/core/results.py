"""The results contract: what each notebook records, typed, and how the report reads it.

Longer than 500 lines: it is the typed contract of all four notebooks' recorded results (one
pydantic model per notebook), which the report reads without look-ups; one module keeps the whole
contract in view.

Each notebook records one JSON file of headline results (``<output_dir>/results/<stem>.json``,
written by :func:`analysis.core.recording.record`). This module says, field by field, what
that file holds: one pydantic model per notebook, strict (``extra="forbid"``, no coercion of
strings into numbers), so a notebook that records something off-contract fails when it
records, with the path of the offending field, instead of the report quietly showing a blank.
The report reads the files back with :func:`load_results`, never with look-ups by alias.

Units (one convention everywhere)
---------------------------------
* Fields named ``pct`` or ``*_pct`` are **percentages, 0 to 100** (``Pct``); a ``ci_low`` /
  ``ci_high`` beside a ``pct`` is on the same scale.
* Fields named ``*_share`` are **shares, 0 to 1** (``Share``).
* ``*_pp`` fields and the ``estimate`` of a difference are percentage points (may be negative).
* Counts of people are whole numbers; where a count can be suppressed it is ``None``.
  Counts that pass through a suppressed pandas column arrive as floats (``150.0``) and are
  typed ``float``.

The one exception is notebook 03's ``pct_positive`` (0 to 100): its name predates the
convention and notebook 03 is changed separately.

A value the disclosure rule hid is ``None`` (JSON ``null``), never a number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis.core.errors import UserError

#: A percentage, 0 to 100.
Pct = Annotated[float, Field(ge=0, le=100)]
#: A share, 0 to 1.
Share = Annotated[float, Field(ge=0, le=1)]
#: A whole-number count, never negative.
Count = Annotated[int, Field(ge=0)]
#: A count that went through a pandas float column (suppression): 150.0, never negative.
FloatCount = Annotated[float, Field(ge=0)]


class ResultsError(UserError):
    """Recorded results do not match the results contract (names the notebook and field)."""


class _Record(BaseModel):
    """Strict: unknown fields are refused and no value is coerced from another type."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


# =========================================================================== 01_cleaning
class ReconciliationRow(_Record):
    """Rows in and out of one input file."""

    source_file: str = Field(description="Input name (config ``inputs[].name``).")
    rows_read: Count
    rows_kept: Count
    rows_rejected: Count
    duplicates_removed: Count
    balanced: bool = Field(description="rows_read == rows_kept + rows_rejected + duplicates_removed.")


class RejectsByReason(_Record):
    """Ledger entries of one input, outcome and reason."""

    source_file: str
    outcome: str = Field(description="'row rejected' or 'value set missing'.")
    reason: str
    entries: Count


class RespondentsByWave(_Record):
    """Respondents kept in one survey, group and wave."""

    dataset: str
    group: str
    wave: int
    respondents: FloatCount | None = Field(description="None when suppressed.")
    suppressed: bool


class CleaningResults(_Record):
    """What ``01_cleaning`` records."""

    cycle: str
    rows_read: Count = Field(description="Rows read over every input file.")
    rows_kept: Count
    rows_rejected: Count
    duplicates_removed: Count
    reconciled: bool = Field(description="Every input file reconciles (see ``reconciliation``).")
    reconciliation: list[ReconciliationRow]
    redactions: dict[str, Count] = Field(description="Placeholder type (EMAIL, NAME, ...) -> identifiers replaced.")
    rejects_by_reason: list[RejectsByReason]
    respondents_by_wave: list[RespondentsByWave]
    tables: dict[str, Count] = Field(description="Processed table -> rows written.")
    demo_key: bool = Field(description="Respondent ids were pseudonymised with the published demo key.")


# =========================================================================== 02_themes
class TopTheme(_Record):
    """One of a question's leading themes."""

    theme_id: int = Field(description="Permanent registry id (1-99 codebook, 100+ model themes).")
    label: str = Field(description="Reviewed label where a reviewer renamed it, else the automatic one.")
    n: Count = Field(description="Respondents raising the theme.")
    pct: Pct = Field(description="Percentage of the question's substantive respondents raising it.")
    ci_low: Pct = Field(description="Wilson 95% interval, same scale as pct.")
    ci_high: Pct
    band: str = Field(description="Words for the size, e.g. 'a minority (10% to 25%)'.")
    reviewed: bool
    reviewer: str | None = Field(description="Reviewer's initials, if reviewed.")
    reviewed_on: str | None = Field(description="ISO date of the review, if reviewed.")


class QuestionThemes(_Record):
    """Headline theme figures of one open question (latest wave)."""

    n_comments: Count = Field(description="Answers in the latest wave.")
    n_non_answers: Count = Field(description="'nothing', 'no comment', ...: counted, not themed.")
    n_very_short: Count
    non_answer_share: Share = Field(description="n_non_answers / n_comments.")
    n_respondents_substantive: Count = Field(description="The base of every pct.")
    n_themes: Count = Field(description="Themes reported for the question.")
    outlier_share: Share | None = Field(description="Substantive answers the model could not place.")
    n_excluded_by_reviewer: Count | None = Field(description="None when suppressed.")
    suppressed: bool = Field(description="The whole question is below the suppression threshold.")
    top_themes: list[TopTheme]


class RegistryCounts(_Record):
    """Themes per registry status this cycle."""

    path: str = Field(description="Registry file name (no folders).")
    continuing: Count
    new: Count
    no_longer_raised: Count = Field(alias="no longer raised")
    retired: Count
    candidates: Count = Field(0, description="Themes discovered this run, not yet accepted into the theme book.")
    book_version: int | None = Field(None, description="Edition of the theme book the run assigned to.")


class Lifecycle(_Record):
    """Theme labels by registry status, for the cycle comparison."""

    new: list[str]
    continuing: list[str]
    no_longer_raised: list[str]


class ReviewCounts(_Record):
    """The analyst's review decisions applied this run."""

    decisions_file: str = Field(description="Decisions file name (no folders).")
    template_written: bool = Field(description="No decisions existed, so a template was written.")
    decisions_with_changed_themes: Count = Field(description="Decisions withheld because their theme changed.")
    renamed: Count
    merged: Count
    excluded: Count
    split_requested: Count
    reviewed_rows: Count


class Stability(_Record):
    """Agreement with a refit on a second seed (``stability_check``)."""

    second_seed: int
    nmi: float | None
    ari: float | None
    n: Count
    n_themes_second_seed: Count


class GroundTruth(_Record):
    """Agreement with the synthetic example's planted themes (example only)."""

    nmi: float | None
    ari: float | None
    n: Count
    non_answer_agreement: Share | None
    codebook_recall: Share | None


class ThemeQuality(_Record):
    """How trustworthy the themes are."""

    n_documents: Count
    n_non_answers: Count
    n_themes: Count
    outlier_share: Share | None
    diversity: Share | None = Field(description="Share of unique key words across themes.")
    coherence_npmi: float | None = Field(description="Mean NPMI coherence, -1 to 1.")
    outlier_share_by_question: dict[str, Share | None]
    stability: Stability | None = None
    ground_truth: GroundTruth | None = None
    nmi: float | None = Field(None, description="Against labels given to the quality summary, if any.")
    ari: float | None = None
    n_labelled: Count | None = None


class ModelInfo(_Record):
    """The fitted theme model."""

    n_themes: Count
    model_sha256: str = Field(description="Checksum of the sentence-embedding model.")
    settings: dict[str, str | int | float | bool | None] = Field(
        description="The settings the fit used (for the methods page and the manifest).")


class ThemesResults(_Record):
    """What ``02_themes`` records."""

    cycle: str
    questions: dict[str, QuestionThemes] = Field(description="Open question id -> headline figures.")
    registry: RegistryCounts
    lifecycle: Lifecycle
    review: ReviewCounts
    quality: ThemeQuality
    model: ModelInfo
    channels: list[dict[str, str | int | float | None]] | None = Field(
        None, description="Leading themes by document channel (words or counts per channel) and survey share (0-1).")
    channel_sentences: list[str] = Field(default_factory=list, description="'X was raised in most interviews ...'.")


# =========================================================================== 03_change_over_time
class Comparison(_Record):
    """One change or trend of an item and group.

    ``estimate`` is in percentage points for ``diff_*`` and an odds ratio per wave for
    ``trend_logit``/``gee_trend``; ``ci_low``/``ci_high`` are on the same scale.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: Share | None
    p_adjusted: Share | None
    comparison_wave: int | None
    suppressed: bool
    # Added by the change stage's simultaneous intervals (optional: earlier records lack them).
    ci_low_unadjusted: float | None = None
    ci_high_unadjusted: float | None = None
    verdict: str | None = None
    family_size: float | None = None
    claim: bool | None = None


class ChangeEntry(_Record):
    """Latest % positive of one item and group, with its changes."""

    wave: int
    pct_positive: Pct | None = Field(description="Percentage answering positively, 0 to 100; None if suppressed.")
    ci_low: Pct | None
    ci_high: Pct | None
    n: FloatCount | None
    suppressed: bool
    mdd_pp: float | None = Field(description="Minimum detectable difference, percentage points.")
    mdd_family_pp: float | None = Field(
        None, description="Smallest change the next wave would call clear, allowing for the family (points).")
    diff_previous: Comparison | None = None
    diff_baseline: Comparison | None = None
    trend_logit: Comparison | None = None
    gee_trend: Comparison | None = None


class ChangeSentence(_Record):
    """A plain-English change statement."""

    item: str
    group: str
    sentence: str


class WavePoint(_Record):
    """% positive of one item and group in one wave (the summary's chart of outcomes over time)."""

    wave: int
    pct_positive: Pct | None = Field(description="0 to 100; None if suppressed.")
    ci_low: Pct | None = Field(description="Wilson 95% interval, same scale.")
    ci_high: Pct | None
    n: FloatCount | None = Field(description="People answering; None if suppressed.")
    suppressed: bool


class GapChange(_Record):
    """How a gap between groups moved since the previous cycle's report (``analysis.change.gaps``)."""

    previous_cycle: str
    previous_wave: int
    previous_gap_pp: float = Field(description="The previous cycle's gap, reference minus other, points.")
    previous_ci_low_pp: float = Field(description="Its Newcombe 95% interval.")
    previous_ci_high_pp: float
    change_pp: float = Field(description="Gap now minus gap then, percentage points.")
    ci_low_pp: float = Field(description="Simultaneous interval over the gap changes (the verdict's).")
    ci_high_pp: float
    ci_low_unadjusted_pp: float = Field(description="Its own 95% interval (square-and-add of the two Newcombe intervals).")
    ci_high_unadjusted_pp: float
    family_size: float = Field(description="Gap changes allowed for together (Bonferroni).")
    verdict: str = Field(description="'narrowed', 'widened', 'reversed' or 'no clear change', from the interval.")
    source: str = Field(description="'group differences' or 'group figures': what the previous record held.")


class GroupDifference(_Record):
    """The reference group minus another group on one item in the latest wave, with its change since last cycle."""

    item: str
    wave: int
    reference: str = Field(description="The reference group (notebook 03's first group, e.g. Staff).")
    other: str
    reference_pct: Pct | None = Field(description="None when the contrast is suppressed.")
    other_pct: Pct | None
    reference_n: FloatCount | None
    other_n: FloatCount | None
    reference_effective_n: float | None = Field(description="Effective base (the base itself when unweighted).")
    other_effective_n: float | None
    gap_pp: float | None = Field(description="Reference minus other, percentage points.")
    ci_low_pp: float | None = Field(description="Simultaneous interval across the family (the verdict's).")
    ci_high_pp: float | None
    ci_low_unadjusted_pp: float | None = Field(description="Newcombe 95% interval of this contrast alone.")
    ci_high_unadjusted_pp: float | None
    family_size: float | None
    verdict: str | None = Field(description="'up' (reference higher), 'down' or 'no evidence'.")
    suppressed: bool
    change: GapChange | None = Field(description="None without a previous cycle's gap.")


class ChangeResults(_Record):
    """What ``03_change_over_time`` records."""

    latest_wave: int
    baseline_wave: int
    suppression_threshold: Count
    items: dict[str, dict[str, ChangeEntry]] = Field(description="Item id -> group ('all' = everyone) -> entry.")
    sentences: list[ChangeSentence]
    notes: list[str]
    p_adjusted_method: str
    gee_used: bool
    methods_text: str | None = None
    # Added for the board summary; optional so that a previous cycle's results recorded before them still load.
    series: dict[str, dict[str, list[WavePoint]]] | None = Field(
        None, description="Item id -> group -> every wave, earliest first (None: not recorded).")
    group_differences: list[GroupDifference] | None = Field(
        None, description="Every group contrast of the latest wave (None: not recorded).")


# =========================================================================== 04_reach_and_actions
class ChannelRow(_Record):
    channel: str
    respondents: FloatCount | None
    pct: Pct | None = Field(description="Percentage of respondents with a channel.")
    suppressed: bool


class UnderRepresented(_Record):
    """A group flagged as under-represented against the population benchmark."""

    dimension: str
    group: str
    respondent_share: Share | None
    population_share: Share
    ratio: float | None = Field(description="respondent_share / population_share.")
    ratio_low: float | None
    ratio_high: float | None
    suppressed: bool


class ActionStatus(_Record):
    action_id: str
    theme_id: int | None
    status: str


class YouSaidWeDid(_Record):
    action_id: str
    theme: str
    you_said: str
    we_did: str | None
    status: str
    reason: str | None = Field(description="Why not possible, for that status.")


class LeadingTheme(_Record):
    theme_id: int
    theme_label: str
    people: FloatCount | None
    pct: Pct | None = Field(description="Percentage of people commenting in the latest wave.")
    ci_low: Pct | None
    ci_high: Pct | None
    status: str = Field(description="Actions by status, e.g. 'Done 1'.")
    has_action: bool
    gap: bool = Field(description="A leading theme with no action.")


class ThemeWithoutAction(_Record):
    theme_id: int
    theme_label: str
    people: FloatCount | None
    pct: Pct | None


class LadderLevel(_Record):
    """Activities and participants at one rung of the involvement ladder in one cycle."""

    cycle: str
    level: str = Field(description="A rung of reach.ladder, or 'not recorded'.")
    rung: int | None = Field(description="1 = the lowest rung; None for 'not recorded'.")
    activities: Count
    activity_share: Share | None = Field(description="Of activities with a recorded level; None for 'not recorded'.")
    participants: float = Field(ge=0, description="Participants (or participant-hours, see Coproduction.weight).")
    participant_share: Share | None


class CoproductionCycle(_Record):
    """One cycle's co-produced share and how often experts by experience were involved from the start."""

    cycle: str
    activities: Count
    recorded: Count = Field(description="Activities with a recorded level (the base of coproduced_share).")
    coproduced: Count
    coproduced_share: Share | None
    participants_recorded: float = Field(ge=0)
    coproduced_participants: float = Field(ge=0)
    coproduced_participant_share: Share | None
    from_start: Count | None = Field(description="Activities with experts by experience involved from the start.")
    from_start_recorded: Count | None = Field(description="Activities that recorded it (the base of from_start_share).")
    from_start_share: Share | None


class CoproductionChange(_Record):
    """Change in the co-produced share of activities since the previous cycle (Newcombe interval)."""

    current_cycle: str
    previous_cycle: str
    current_share: Share
    previous_share: Share
    difference_pp: float = Field(description="Percentage points, current minus previous.")
    ci_low_pp: float
    ci_high_pp: float
    p_value: Share = Field(description="Two-sided p of the test that inverts the interval.")
    level: Share = Field(description="Confidence level of the interval, e.g. 0.95.")
    verdict: str = Field(description="'clear rise', 'clear fall' or 'no clear change', from the interval.")


class Coproduction(_Record):
    """Co-production on the ladder of involvement, this cycle and the previous one."""

    ladder: list[str]
    coproduced_levels: list[str] = Field(description="The top rungs counted as co-produced.")
    weight: str = Field(description="What the participant shares weigh: 'participants' or 'participant-hours'.")
    levels: list[LadderLevel] = Field(description="Every rung of every cycle shown, earliest cycle first.")
    cycles: list[CoproductionCycle] = Field(description="Earliest first; the last is this cycle.")
    change: CoproductionChange | None = Field(description="None when no earlier cycle recorded levels.")
    sentence: str
    notes: list[str] = Field(default_factory=list, description="Why a comparison was not made, etc.")


class CaseStudy(_Record):
    """A consented case study, linked to the themes it is about (text de-identified, shown escaped)."""

    case_id: str
    title: str
    theme_ids: list[int] = Field(description="Theme-book ids, merges followed.")
    themes: list[str] = Field(description="Their labels, same order.")
    what_people_said: str | None
    what_changed: str | None
    quote: str | None


class CaseStudies(_Record):
    shown: list[CaseStudy] = Field(description="Only stories with consent.")
    withheld: Count = Field(description="Stories without (clear) consent: counted, never shown.")


class NotPossible(_Record):
    """An action that could not be done, with the reason the log gives ("What we could not do, and why")."""

    action_id: str
    theme: str
    you_said: str
    we_did: str | None
    reason: str | None = Field(description="None when the log records no reason (the report says so).")


class ThemeLinkWarning(_Record):
    """An action or case study whose theme link needs a person: retired/excluded theme, id not in the book, ..."""

    source: str = Field(description="'action' or 'case study'.")
    ref: str = Field(description="Action id or case id.")
    theme_id: int | None = Field(description="The id as the log wrote it.")
    resolved_id: int | None = Field(description="Where it leads after following merges.")
    problem: str
    message: str


class SuggestedAction(_Record):
    """For a leading theme with no action: the most similar existing action (suggested, not linked)."""

    theme_id: int
    theme_label: str
    suggested_action_id: str | None = Field(description="None when no action was similar enough.")
    suggested_you_said: str | None
    suggested_we_did: str | None
    suggested_status: str | None
    action_theme: str | None = Field(description="The theme the suggested action is linked to now.")
    similarity: float | None = Field(description="TF-IDF cosine similarity, 0 to 1.")


class ReachActionsResults(_Record):
    """What ``04_reach_and_actions`` records."""

    cycle: str
    reach_datasets: list[str] = Field(description="Datasets whose respondents were compared with the population.")
    ratio_threshold: float = Field(description="Representation ratio below which a group is flagged.")
    activities: Count
    participants: Count
    respondents: Count
    boroughs_with_activity: Count
    boroughs_in_benchmark: Count
    responses_by_channel: list[ChannelRow]
    under_represented: list[UnderRepresented]
    reach_sentences: list[str]
    actions_total: Count
    actions_by_status: dict[str, Count]
    action_statuses: list[ActionStatus] = Field(description="Read by the next cycle's progress section.")
    you_said_we_did: list[YouSaidWeDid] = Field(description="Examples for the summary (done first).")
    leading_themes: list[LeadingTheme]
    themes_without_action: list[ThemeWithoutAction]
    coverage_sentences: list[str]
    progress_sentence: str
    actions_completed_since_previous: Count
    # Added with the co-production ladder, case studies and the theme book; optional so that a previous
    # cycle's results recorded before them still load.
    coproduction: Coproduction | None = Field(None, description="The co-production trend (None: no activity log).")
    case_studies: CaseStudies | None = Field(None, description="Consented case studies (None: no case-study log).")
    not_possible: list[NotPossible] = Field(default_factory=list, description="Every action not possible, with its reason.")
    theme_link_warnings: list[ThemeLinkWarning] = Field(default_factory=list)
    suggested_actions: list[SuggestedAction] = Field(
        default_factory=list, description="One per leading theme with no action.")


#: Notebook stem -> the model of what it records.
RESULTS_MODELS: dict[str, type[_Record]] = {
    "01_cleaning": CleaningResults,
    "02_themes": ThemesResults,
    "03_change_over_time": ChangeResults,
    "04_reach_and_actions": ReachActionsResults,
}
#: What :func:`load_results` returns for a recorded notebook.
AnyResults = CleaningResults | ThemesResults | ChangeResults | ReachActionsResults


def _model_of(name: str) -> type[_Record]:
    try:
        return RESULTS_MODELS[name]
    except KeyError:
        raise ResultsError(f"no results contract for notebook {name!r}; known: {', '.join(RESULTS_MODELS)} "
                           "(add its model to analysis.core.results)") from None


def _problems(error: ValidationError) -> str:
    """One line per problem: the field path, then what is wrong."""
    lines = []
    for e in error.errors():
        where = ".".join(str(part) for part in e["loc"]) or "(top level)"
        lines.append(f"  {where}: {e['msg']} (got {str(e.get('input'))[:60]!r})" if e["type"] != "missing"
                     else f"  {where}: field required")
    return "\n".join(lines)


def validate_results(name: str, data: Any, *, source: str | Path | None = None) -> AnyResults:
    """Check a notebook's results against its contract.

    Parameters
    ----------
    name
        Notebook stem, e.g. ``"02_themes"``.
    data
        The JSON-able results (as :func:`analysis.core.recording.to_jsonable` makes them).
    source
        The file they came from, for the message.

    Returns
    -------
    The validated model.

    Raises
    ------
    ResultsError
        Unknown notebook, or a field missing, unknown, of the wrong type or out of range;
        the message names the notebook (and file) and every offending field path.
    """
    model = _model_of(name)
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        where = f" ({source})" if source is not None else ""
        raise ResultsError(f"results of {name}{where} do not match the results contract "
                           f"(analysis.core.results.{model.__name__}):\n{_problems(exc)}") from None


def results_path(folder: str | Path, name: str) -> Path:
    """``<folder>/results/<name>.json``."""
    return Path(folder) / "results" / f"{name}.json"


def load_results(folder: str | Path, name: str) -> AnyResults | None:
    """Read and validate what a notebook recorded; None if it recorded nothing.

    Parameters
    ----------
    folder
        The report (or build) folder holding ``results/<name>.json``.
    name
        Notebook stem.

    Returns
    -------
    The notebook's results model (e.g. :class:`ThemesResults`), or None when the file is absent.

    Raises
    ------
    ResultsError
        The file is not JSON or does not match the contract (names the file and field).
    """
    path = results_path(folder, name)
    _model_of(name)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc})") from None
    return validate_results(name, data, source=path)
