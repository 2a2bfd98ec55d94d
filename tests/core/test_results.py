"""The results contract: each notebook's model accepts what the example recorded and refuses the rest.

The fixtures are trimmed copies of the example's recorded results (``reports/example/results``,
a recent run); tests never read ``reports/``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.core import recording
from analysis.core.results import (
    RESULTS_MODELS,
    ChangeResults,
    CleaningResults,
    ReachActionsResults,
    ResultsError,
    ThemesResults,
    load_results,
    validate_results,
)

CLEANING: dict[str, Any] = {'cycle': 'example',
 'demo_key': True,
 'duplicates_removed': 64,
 'reconciled': True,
 'reconciliation': [{'balanced': True,
                     'duplicates_removed': 14,
                     'rows_kept': 555,
                     'rows_read': 577,
                     'rows_rejected': 8,
                     'source_file': 'involvement_2019_2021'},
                    {'balanced': True,
                     'duplicates_removed': 17,
                     'rows_kept': 695,
                     'rows_read': 720,
                     'rows_rejected': 8,
                     'source_file': 'involvement_2022_2023'}],
 'redactions': {'EMAIL': 37, 'NAME': 64},
 'rejects_by_reason': [{'entries': 2,
                        'outcome': 'row rejected',
                        'reason': 'theme id must be a whole number',
                        'source_file': 'actions_log'},
                       {'entries': 2,
                        'outcome': 'row rejected',
                        'reason': 'unknown action status',
                        'source_file': 'actions_log'}],
 'respondents_by_wave': [{'dataset': 'engagement_survey',
                          'group': 'Carer',
                          'respondents': 150.0,
                          'suppressed': False,
                          'wave': 2025},
                         {'dataset': 'engagement_survey',
                          'group': 'Health or care professional',
                          'respondents': 120.0,
                          'suppressed': False,
                          'wave': 2025}],
 'rows_kept': 3070,
 'rows_read': 3176,
 'rows_rejected': 42,
 'tables': {'comments': 3425, 'respondents': 2695}}

THEMES: dict[str, Any] = {'cycle': 'example',
 'lifecycle': {'continuing': ['Changed service design', 'Being listened to'],
               'new': ['Dying at home / place of death', 'Bereavement support'],
               'no_longer_raised': ['ticking box / tick box / listen instead',
                                    'gave views / views happen / views people']},
 'model': {'model_sha256': '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
           'n_themes': 54,
           'settings': {'model_name': 'sentence-transformers/all-MiniLM-L6-v2',
                        'min_cluster_size': 27,
                        'outlier_threshold': 0.3,
                        'sampled': False,
                        'seed': 20251123}},
 'quality': {'coherence_npmi': 0.0113,
             'diversity': 0.9139,
             'ground_truth': {'ari': 0.429,
                              'codebook_recall': 0.2682,
                              'n': 3016,
                              'nmi': 0.6737,
                              'non_answer_agreement': 1.0},
             'n_documents': 3016,
             'n_non_answers': 409,
             'n_themes': 54,
             'outlier_share': 0.0133,
             'outlier_share_by_question': {'works_well': 0.0222},
             'stability': {'ari': 0.8724,
                           'n': 3016,
                           'n_themes_second_seed': 54,
                           'nmi': 0.9242,
                           'second_seed': 20251124}},
 'questions': {'works_well': {'n_comments': 469,
                              'n_excluded_by_reviewer': 0,
                              'n_non_answers': 63,
                              'n_respondents_substantive': 406,
                              'n_themes': 23,
                              'n_very_short': 33,
                              'outlier_share': 0.0222,
                              'suppressed': False,
                              'top_themes': [{'band': 'a substantial minority (25% to 50%)',
                                              'ci_high': 45.2355,
                                              'ci_low': 35.7327,
                                              'label': 'Hospice care praised',
                                              'n': 164,
                                              'pct': 40.3941,
                                              'reviewed': True,
                                              'reviewed_on': '2025-11-21',
                                              'reviewer': 'AB',
                                              'theme_id': 25},
                                             {'band': 'a minority (10% to 25%)',
                                              'ci_high': 20.689,
                                              'ci_low': 13.4319,
                                              'label': 'Advance care planning',
                                              'n': 68,
                                              'pct': 16.7488,
                                              'reviewed': True,
                                              'reviewed_on': '2025-11-21',
                                              'reviewer': 'AB',
                                              'theme_id': 124}],
                              'non_answer_share': 0.1343}},
 'registry': {'continuing': 38, 'new': 16, 'no longer raised': 5, 'path': 'theme_registry.csv', 'retired': 0},
 'review': {'decisions_file': 'example.csv',
            'decisions_with_changed_themes': 0,
            'excluded': 1,
            'merged': 3,
            'renamed': 3,
            'reviewed_rows': 10,
            'split_requested': 1,
            'template_written': False}}

CHANGE: dict[str, Any] = {'baseline_wave': 2019,
 'gee_used': True,
 'items': {'told_outcome': {'all': {'ci_high': 65.057,
                                    'ci_low': 55.2639,
                                    'diff_baseline': {'ci_high': 23.0574,
                                                      'ci_low': 7.4575,
                                                      'comparison_wave': 2019,
                                                      'estimate': 15.3813,
                                                      'p_adjusted': 0.0007,
                                                      'p_value': 0.0001,
                                                      'suppressed': False},
                                    'mdd_pp': 10.0889,
                                    'n': 380.0,
                                    'pct_positive': 60.2632,
                                    'suppressed': False,
                                    'wave': 2025},
                            'Staff': {'ci_high': 67.019,
                                      'ci_low': 52.7784,
                                      'diff_baseline': {'ci_high': 26.7167,
                                                        'ci_low': 3.6789,
                                                        'comparison_wave': 2019,
                                                        'estimate': 15.4695,
                                                        'p_adjusted': 0.0503,
                                                        'p_value': 0.0101,
                                                        'suppressed': False},
                                      'mdd_pp': 14.7714,
                                      'n': 178.0,
                                      'pct_positive': 60.1124,
                                      'suppressed': False,
                                      'wave': 2025}}},
 'latest_wave': 2025,
 'notes': ["Don't know and other missing answers are excluded from the base."],
 'p_adjusted_method': 'Holm (family-wise, across the items of a family)',
 'sentences': [{'group': 'all',
                'item': 'told_outcome',
                'sentence': 'Told what happened (everyone): 60% answered positively in 2025.'}],
 'suppression_threshold': 10}

REACH: dict[str, Any] = {'action_statuses': [{'action_id': 'YSWD-2024-01', 'status': 'Done', 'theme_id': 8}],
 'actions_by_status': {'Done': 14, 'In progress': 6, 'Not possible': 2, 'Planned': 4},
 'actions_completed_since_previous': 0,
 'actions_total': 26,
 'activities': 69,
 'boroughs_in_benchmark': 8,
 'boroughs_with_activity': 8,
 'coverage_sentences': ['2 of the 10 leading themes have at least one action.'],
 'cycle': 'example',
 'leading_themes': [{'ci_high': 21.3435,
                     'ci_low': 16.2156,
                     'gap': False,
                     'has_action': True,
                     'pct': 18.6441,
                     'people': 165.0,
                     'status': 'Done 1',
                     'theme_id': 25,
                     'theme_label': 'Hospice care praised'}],
 'participants': 1653,
 'progress_sentence': 'Of 12 actions agreed in earlier cycles (2024), 9 are now done; 0 of them were '
                      'completed since the last report (example-2024).',
 'ratio_threshold': 0.8,
 'reach_datasets': ['engagement_survey'],
 'reach_sentences': ['Hillingdon (borough): 6% of respondents against 14% of the population, a '
                     'representation ratio of 0.42 (95% interval 0.30 to 0.58).'],
 'respondents': 600,
 'responses_by_channel': [{'channel': 'Survey', 'pct': 66.5, 'respondents': 399.0, 'suppressed': False}],
 'themes_without_action': [{'pct': 14.6893,
                            'people': 130.0,
                            'theme_id': 124,
                            'theme_label': 'Advance care planning'}],
 'under_represented': [{'dimension': 'borough',
                        'group': 'Hillingdon',
                        'population_share': 0.1438,
                        'ratio': 0.4186,
                        'ratio_high': 0.5768,
                        'ratio_low': 0.3017,
                        'respondent_share': 0.0602,
                        'suppressed': False}],
 'you_said_we_did': [{'action_id': 'YSWD-2024-10',
                      'reason': None,
                      'status': 'Done',
                      'theme': 'Changed service design',
                      'we_did': 'Letters redesigned with the reading panel and in use since September.',
                      'you_said': 'Let patients help redesign the appointment letters.'}]}

EXAMPLE: dict[str, dict[str, Any]] = {"01_cleaning": CLEANING, "02_themes": THEMES,
                                      "03_change_over_time": CHANGE, "04_reach_and_actions": REACH}


def example_results(name: str) -> dict[str, Any]:
    """A fresh copy of a notebook's example results (tests change it freely)."""
    return copy.deepcopy(EXAMPLE[name])


@pytest.mark.parametrize("name", list(EXAMPLE))
def test_each_model_accepts_the_example_results(name: str) -> None:
    model = validate_results(name, example_results(name))
    assert isinstance(model, RESULTS_MODELS[name])


def test_models_read_the_fields_the_report_uses() -> None:
    themes = ThemesResults.model_validate(example_results("02_themes"))
    assert themes.questions["works_well"].top_themes[0].pct == pytest.approx(40.3941)
    assert themes.registry.no_longer_raised == 5  # recorded under the registry's own "no longer raised"
    change = ChangeResults.model_validate(example_results("03_change_over_time"))
    assert change.items["told_outcome"]["all"].diff_baseline.p_adjusted == pytest.approx(0.0007)
    assert CleaningResults.model_validate(example_results("01_cleaning")).respondents_by_wave[0].respondents == 150
    assert ReachActionsResults.model_validate(example_results("04_reach_and_actions")).leading_themes[0].gap is False


@pytest.mark.parametrize(("name", "path", "value", "where"), [
    # Percentages are 0..100 and shares 0..1: a value on the other scale, or out of range, is refused.
    ("02_themes", ("questions", "works_well", "top_themes", 0, "pct"), 130.0, "questions.works_well.top_themes.0.pct"),
    ("02_themes", ("questions", "works_well", "non_answer_share"), 13.4, "questions.works_well.non_answer_share"),
    ("04_reach_and_actions", ("under_represented", 0, "respondent_share"), 6.0, "under_represented.0.respondent_share"),
    ("04_reach_and_actions", ("responses_by_channel", 0, "pct"), "66.5%", "responses_by_channel.0.pct"),
    ("03_change_over_time", ("items", "told_outcome", "all", "pct_positive"), -1.0, "items.told_outcome.all.pct_positive"),
    ("01_cleaning", ("rows_read",), "3176", "rows_read"),
    ("01_cleaning", ("demo_key",), 1, "demo_key"),
])
def test_wrong_units_and_types_are_refused_naming_the_field(name, path, value, where) -> None:
    data = example_results(name)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ResultsError, match=rf"(?s){name}.*\n  {where}:"):
        validate_results(name, data)


@pytest.mark.parametrize(("name", "path", "where"), [
    ("01_cleaning", (), "python"),
    ("02_themes", ("questions", "works_well"), "questions.works_well.share_non_answer"),
    ("04_reach_and_actions", ("leading_themes", 0), "leading_themes.0.percent"),
])
def test_unknown_fields_are_refused_naming_the_field(name, path, where) -> None:
    data = example_results(name)
    target = data
    for key in path:
        target = target[key]
    target[where.rsplit(".", 1)[-1]] = 0.1
    with pytest.raises(ResultsError, match=rf"\n  {where}: Extra inputs are not permitted"):
        validate_results(name, data)


def test_missing_fields_are_named() -> None:
    data = example_results("04_reach_and_actions")
    del data["progress_sentence"]
    with pytest.raises(ResultsError, match=r"\n  progress_sentence: field required"):
        validate_results("04_reach_and_actions", data)


def test_record_validates_before_writing(tmp_path: Path) -> None:
    data = example_results("01_cleaning")
    data["rows_kept"] = -3
    with pytest.raises(ResultsError, match=r"rows_kept"):
        recording.record(tmp_path, "01_cleaning", data)
    assert not (tmp_path / "results" / "01_cleaning.json").exists()
    with pytest.raises(ResultsError, match=r"no results contract for notebook '99_new'"):
        recording.record(tmp_path, "99_new", {})


def test_record_writes_jsonable_results_that_load_back(tmp_path: Path) -> None:
    data = example_results("01_cleaning")
    # What notebooks pass: numpy scalars, NA and DataFrames become plain JSON.
    data["rows_read"] = np.int64(3176)
    data["reconciled"] = np.bool_(True)
    data["respondents_by_wave"] = pd.DataFrame(data["respondents_by_wave"])
    data["respondents_by_wave"].loc[1, "respondents"] = np.nan
    path = recording.record(tmp_path, "01_cleaning", data)
    written = json.loads(path.read_text())
    assert written["rows_read"] == 3176 and written["respondents_by_wave"][1]["respondents"] is None
    loaded = load_results(tmp_path, "01_cleaning")
    assert isinstance(loaded, CleaningResults) and loaded.rows_read == 3176
    assert load_results(tmp_path, "02_themes") is None  # not recorded: None, never an empty guess


def test_record_replaces_and_is_byte_stable(tmp_path: Path) -> None:
    first = example_results("04_reach_and_actions")
    recording.record(tmp_path / "a", "04_reach_and_actions", first)
    recording.record(tmp_path / "b", "04_reach_and_actions", dict(reversed(list(first.items()))))
    assert (tmp_path / "a/results/04_reach_and_actions.json").read_bytes() == \
        (tmp_path / "b/results/04_reach_and_actions.json").read_bytes()


def test_load_results_names_the_file_of_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "results" / "02_themes.json"
    path.parent.mkdir()
    data = example_results("02_themes")
    data["quality"]["diversity"] = "high"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"(?s)02_themes\.json.*\n  quality\.diversity:"):
        load_results(tmp_path, "02_themes")
    path.write_text("{not json")
    with pytest.raises(ResultsError, match="not valid JSON"):
        load_results(tmp_path, "02_themes")


# --- 04: co-production, case studies, what we could not do, theme links --------------------------------
def reach_with_new_sections() -> dict[str, Any]:
    data = example_results("04_reach_and_actions")
    data["coproduction"] = {
        "ladder": ["inform", "consult", "involve", "collaborate", "co-produce"], "coproduced_levels": ["co-produce"],
        "weight": "participants",
        "levels": [{"cycle": "example-2024", "level": "co-produce", "rung": 5, "activities": 2, "activity_share": 0.04,
                    "participants": 19.0, "participant_share": 0.019},
                   {"cycle": "example", "level": "not recorded", "rung": None, "activities": 0, "activity_share": None,
                    "participants": 0.0, "participant_share": None}],
        "cycles": [{"cycle": "example", "activities": 69, "recorded": 69, "coproduced": 14, "coproduced_share": 0.2029,
                    "participants_recorded": 1653.0, "coproduced_participants": 294.0,
                    "coproduced_participant_share": 0.1779, "from_start": 28, "from_start_recorded": 67,
                    "from_start_share": 0.4179}],
        "change": {"current_cycle": "example", "previous_cycle": "example-2024", "current_share": 0.2029,
                   "previous_share": 0.04, "difference_pp": 16.29, "ci_low_pp": 4.03, "ci_high_pp": 27.6,
                   "p_value": 0.0127, "level": 0.95, "verdict": "clear rise"},
        "sentence": "The co-produced share of activities rose ...", "notes": []}
    data["case_studies"] = {"shown": [{"case_id": "CS-2025-01", "title": "One number to call", "theme_ids": [17, 19],
                                       "themes": ["Coordination between services", "Support for carers"],
                                       "what_people_said": "Families repeat their story", "what_changed": None,
                                       "quote": "Someone rang us first"}], "withheld": 1}
    data["not_possible"] = [{"action_id": "YSWD-2025-08", "theme": "Support for carers", "you_said": "Respite",
                             "we_did": "Extra respite beds", "reason": None}]
    data["theme_link_warnings"] = [{"source": "action", "ref": "A2", "theme_id": 7, "resolved_id": 7,
                                    "problem": "points at a retired theme", "message": "Action A2 is linked to ..."}]
    data["suggested_actions"] = [{"theme_id": 18, "theme_label": "Out-of-hours support", "suggested_action_id": None,
                                  "suggested_you_said": None, "suggested_we_did": None, "suggested_status": None,
                                  "action_theme": None, "similarity": None}]
    return data


def test_reach_records_coproduction_case_studies_and_theme_links() -> None:
    model = validate_results("04_reach_and_actions", reach_with_new_sections())
    assert model.coproduction.change.verdict == "clear rise" and model.coproduction.cycles[0].from_start == 28
    assert model.case_studies.withheld == 1 and model.case_studies.shown[0].theme_ids == [17, 19]
    assert model.not_possible[0].reason is None and model.theme_link_warnings[0].ref == "A2"
    # Recorded before these sections existed (the previous cycle's file): still valid, with empty defaults.
    old = validate_results("04_reach_and_actions", example_results("04_reach_and_actions"))
    assert old.coproduction is None and old.case_studies is None and old.not_possible == []


@pytest.mark.parametrize(("path", "value", "where"), [
    (("coproduction", "cycles", 0, "coproduced_share"), 20.3, "coproduction.cycles.0.coproduced_share"),
    (("coproduction", "change", "p_value"), 1.5, "coproduction.change.p_value"),
    (("coproduction", "levels", 0, "activities"), "2", "coproduction.levels.0.activities"),
    (("case_studies", "withheld"), -1, "case_studies.withheld"),
    (("case_studies", "shown", 0, "theme_ids", 0), "17", "case_studies.shown.0.theme_ids.0"),
])
def test_new_reach_fields_refuse_wrong_units_and_types(path, value, where) -> None:
    data = reach_with_new_sections()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ResultsError, match=rf"\n  {re.escape(where)}:"):
        validate_results("04_reach_and_actions", data)
