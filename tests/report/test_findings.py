"""Key findings: numbers that never contradict the verdict beside them."""

from __future__ import annotations

import pytest

from analysis.report import findings


@pytest.mark.parametrize(("low", "high", "text"), [
    (5.2, 27.4, "5 to 27 points"),
    (0.4, 27.0, "0.4 to 27 points"),       # clear: the near bound never prints as 0
    (0.004, 9.0, "0.00 to 9 points"),      # at most two decimals (then the verdict's words carry it)
    (-27.0, -0.3, "-27 to -0.3 points"),
    (-0.3, 12.0, "-0 to 12 points".replace("-0", "0")),  # not clear: no extra decimals
])
def test_interval_text_keeps_a_clear_interval_off_zero(low, high, text):
    assert findings.interval_text(low, high) == text


def test_points_are_singular_for_one_and_never_minus_zero():
    assert findings.points(1.2) == "+1 point" and findings.points(-0.4) == "0 points"
    assert findings.points(-17.4, signed=False) == "17 points" and findings.points(-1.0) == "-1 point"


def test_change_findings_words_come_from_the_interval_not_the_estimate():
    outcomes = [
        {"label": "A", "pct": 60.0, "wave": 2025, "series": [],
         "change": {"estimate": 3.0, "ci_low": -2.0, "ci_high": 8.0, "since": 2019}},   # not clear although up
        {"label": "B", "pct": 40.0, "wave": 2025, "series": [{"wave": 2019, "pct": 52.0}],
         "change": {"estimate": -12.0, "ci_low": -20.0, "ci_high": -4.0, "since": 2019}},
        {"label": "C", "pct": 90.0, "wave": 2025, "series": [],
         "change": {"estimate": 20.0, "ci_low": 11.0, "ci_high": 29.0, "since": 2019}},
    ]
    out = findings.change_findings(outcomes)
    assert out == ["C: 90% answered positively in 2025, up 20 points since 2019; 95% interval 11 to 29 points.",
                   "B: 40% answered positively in 2025, down 12 points since 2019 (52% then); 95% interval -20 to "
                   "-4 points."]


def test_key_findings_follow_the_rule_and_stop_at_five():
    reach = {"under_represented": [], "actions_total": 4,
             "actions_by_status": [{"status": "Done", "n": 4}]}
    context = {"outcomes": [], "reach": reach, "counts": {"reach_respondents": 600.0, "reach_datasets": ["survey"]},
               "coproduction": {"plain_sentence": "Co-production rose."}}
    out = findings.key_findings(context)
    assert [f["kind"] for f in out] == ["reach", "actions", "coproduction"]
    assert out[0]["text"] == "No group was clearly under-represented among the 600 survey respondents, against the local population."
    assert out[1]["text"] == "All 4 actions in the “you said, we did” log are done."
    assert findings.key_findings({}) == []
