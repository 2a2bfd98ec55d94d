"""Equal voice: gaps between groups, their intervals, and how they moved since the previous cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.change import over_time as change
from analysis.change.gaps import gap_verdict, mover_difference
from analysis.core.results import ChangeResults, validate_results
from analysis.stats.comparisons import newcombe_interval
from tests.change.support import result_row as _row


def _cells(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    """Cells from (item, group, wave, positives, base) rows, with "all" pooled (no standardisation)."""
    frame = pd.DataFrame(rows, columns=["item", "group", "wave", "positives", "base"])
    cells, _ = change.cells_from_aggregate(frame, wave_column="wave", base_column="base", positives_column="positives",
                                           group_column="group", item_column="item", overdispersion=False)
    return cells


def _analysis(rows, groups=("Staff", "Expert by experience")):
    latest = max(r[2] for r in rows)
    return change.analyse_change(_cells(rows), threshold=10, baseline_wave=min(r[2] for r in rows),
                                 latest_wave=latest, group_order=list(groups))


GAP_ROWS = [("heard", "Staff", 2024, 150, 180), ("heard", "Expert by experience", 2024, 140, 210),
            ("heard", "Staff", 2025, 153, 180), ("heard", "Expert by experience", 2025, 143, 210),
            ("told", "Staff", 2024, 90, 180), ("told", "Expert by experience", 2024, 105, 210),
            ("told", "Staff", 2025, 95, 180), ("told", "Expert by experience", 2025, 100, 210)]


def test_gap_records_carry_the_newcombe_gap_at_both_levels_and_agree_with_the_results_table():
    res = _analysis(GAP_ROWS).results
    gaps, notes = change.gap_records(res)
    assert notes == [] and len(gaps) == 2
    heard = next(g for g in gaps if g["item"] == "heard")
    assert (heard["reference"], heard["other"], heard["wave"]) == ("Staff", "Expert by experience", 2025)
    assert heard["gap_pp"] == pytest.approx(100 * (153 / 180 - 143 / 210))
    low, high = newcombe_interval(153, 180, 143, 210, level=0.95)
    assert (heard["ci_low_unadjusted_pp"], heard["ci_high_unadjusted_pp"]) == pytest.approx((100 * low, 100 * high))
    row = _row(res, item="heard", test="diff_groups")
    assert (heard["ci_low_pp"], heard["ci_high_pp"]) == pytest.approx((row["ci_low_adj"], row["ci_high_adj"]))
    assert heard["verdict"] == row["verdict"] and heard["family_size"] == row["family_size"]
    assert heard["reference_pct"] == pytest.approx(100 * 153 / 180) and heard["other_n"] == 210
    assert heard["change"] is None  # no previous cycle given


def _previous_record(res: pd.DataFrame, gaps=None, *, latest: int = 2024) -> ChangeResults:
    """A previous cycle's 03 record made from the same analysis, latest wave ``latest``."""
    sentences = pd.DataFrame(columns=["item", "group", "sentence"])
    rec = {"latest_wave": latest, "baseline_wave": 2024, "suppression_threshold": 10,
           **change.headline_metrics(res, sentences)}
    if gaps is not None:
        rec["group_differences"] = gaps
    return validate_results("03_change_over_time", rec)


def test_change_in_gap_since_previous_cycle_from_its_recorded_group_differences():
    before = _analysis([r for r in GAP_ROWS if r[2] == 2024] + [(i, g, 2023, p, n) for i, g, _, p, n in GAP_ROWS[:2]])
    before_gaps, _ = change.gap_records(before.results)
    previous = _previous_record(before.results, before_gaps)
    now = _analysis(GAP_ROWS).results
    gaps, notes = change.gap_records(now, previous=previous, previous_cycle="last-year")
    assert notes == []
    heard = next(g for g in gaps if g["item"] == "heard")["change"]
    d1, d0 = 100 * (153 / 180 - 143 / 210), 100 * (150 / 180 - 140 / 210)
    assert heard["previous_gap_pp"] == pytest.approx(d0) and heard["change_pp"] == pytest.approx(d1 - d0)
    assert heard["previous_cycle"] == "last-year" and heard["previous_wave"] == 2024
    assert heard["source"] == "group differences" and heard["family_size"] == 2
    # Square-and-add of the two Newcombe intervals, at 95% and at the family's 1 - 0.05/2.
    for level, low_key, high_key in ((0.95, "ci_low_unadjusted_pp", "ci_high_unadjusted_pp"),
                                     (1 - 0.05 / 2, "ci_low_pp", "ci_high_pp")):
        l1, u1 = (100 * v for v in newcombe_interval(153, 180, 143, 210, level=level))
        l0, u0 = (100 * v for v in newcombe_interval(150, 180, 140, 210, level=level))
        expected = mover_difference(d1, float(l1), float(u1), d0, float(l0), float(u0))
        assert (heard[low_key], heard[high_key]) == pytest.approx(expected[1:])
    assert heard["ci_low_pp"] < heard["ci_low_unadjusted_pp"] < 0 < heard["ci_high_unadjusted_pp"] < heard["ci_high_pp"]
    assert heard["verdict"] == "no clear change"


def test_previous_gap_rebuilt_from_recorded_group_figures_only_when_they_are_unweighted():
    before = _analysis([r for r in GAP_ROWS if r[2] == 2024] + [(i, g, 2023, p, n) for i, g, _, p, n in GAP_ROWS[:2]])
    previous = _previous_record(before.results)  # recorded before group_differences existed
    assert previous.group_differences is None
    gaps, notes = change.gap_records(_analysis(GAP_ROWS).results, previous=previous, previous_cycle="old")
    assert notes == [] and all(g["change"]["source"] == "group figures" for g in gaps)
    told = next(g for g in gaps if g["item"] == "told")["change"]
    assert told["previous_gap_pp"] == pytest.approx(100 * (90 / 180 - 105 / 210))

    # A weighted previous record: its interval does not come back from share and base, so no change is given.
    data = previous.model_dump()
    data["items"]["told"]["Staff"]["ci_low"] -= 2.0
    weighted = validate_results("03_change_over_time", data)
    gaps, notes = change.gap_records(_analysis(GAP_ROWS).results, previous=weighted, previous_cycle="old")
    assert next(g for g in gaps if g["item"] == "told")["change"] is None
    assert next(g for g in gaps if g["item"] == "heard")["change"] is not None
    assert any("told" in n and "weighted" in n for n in notes)


def test_a_clear_change_in_a_gap_is_called_from_its_interval():
    rows = [("heard", "Staff", 2024, 170, 200), ("heard", "Expert by experience", 2024, 100, 200),
            ("heard", "Staff", 2025, 150, 200), ("heard", "Expert by experience", 2025, 148, 200)]
    before = _analysis([r for r in rows if r[2] == 2024] + [("heard", "Staff", 2023, 160, 200),
                                                            ("heard", "Expert by experience", 2023, 100, 200)])
    before_gaps, _ = change.gap_records(before.results)
    gaps, _ = change.gap_records(_analysis(rows).results, previous=_previous_record(before.results, before_gaps),
                                 previous_cycle="last-year")
    c = gaps[0]["change"]
    assert c["ci_high_pp"] < 0 and c["verdict"] == "narrowed"
    assert gap_verdict(20, 5, -25, -5) == "narrowed" and gap_verdict(5, 20, 5, 25) == "widened"
    assert gap_verdict(10, -10, -30, -10) == "reversed" and gap_verdict(10, 8, -12, 8) == "no clear change"


def test_hidden_groups_give_no_gap_and_no_change():
    rows = GAP_ROWS[:2] + [("heard", "Staff", 2025, 5, 8), ("heard", "Expert by experience", 2025, 143, 210)]
    gaps, _ = change.gap_records(_analysis(rows).results)
    heard = gaps[0]
    assert heard["suppressed"] and heard["gap_pp"] is None and heard["reference_pct"] is None
    assert heard["reference_n"] is None and heard["change"] is None


def test_three_groups_compare_each_with_the_reference():
    rows = GAP_ROWS[:4] + [("heard", "Carer", 2024, 60, 90), ("heard", "Carer", 2025, 50, 95)]
    res = _analysis(rows, groups=("Staff", "Expert by experience", "Carer")).results
    contrasts = sorted(res.loc[res["test"] == "diff_groups", "group"])
    assert contrasts == ["Staff vs Carer", "Staff vs Expert by experience"]
    gaps, _ = change.gap_records(res)
    assert {(g["reference"], g["other"]) for g in gaps} == {("Staff", "Carer"), ("Staff", "Expert by experience")}
    carer = next(g for g in gaps if g["other"] == "Carer")
    assert carer["gap_pp"] == pytest.approx(100 * (153 / 180 - 50 / 95))


def test_series_and_family_mdd_are_recorded_for_the_summary():
    res = _analysis(GAP_ROWS).results
    metrics = change.headline_metrics(res, pd.DataFrame(columns=["item", "group", "sentence"]))
    rec = validate_results("03_change_over_time", {"latest_wave": 2025, "baseline_wave": 2024,
                                                   "suppression_threshold": 10, **metrics})
    staff = rec.series["heard"]["Staff"]
    assert [p.wave for p in staff] == [2024, 2025] and staff[0].pct_positive == pytest.approx(100 * 150 / 180)
    entry = rec.items["heard"]["Staff"]
    # Allowing for the family, a next wave has to move further to be called clear.
    assert entry.mdd_family_pp > entry.mdd_pp > 0
    single = change.family_mdd(res, alpha=0.05)
    assert single[("heard", "Staff")] == pytest.approx(entry.mdd_family_pp)
    assert np.isfinite(list(single.values())).all()
