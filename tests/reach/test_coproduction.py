"""Co-production on the ladder of involvement: shares by rung, the co-produced share and its tested change."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.reach import coproduction as cop
from analysis.stats.comparisons import compare_proportions

matplotlib.use("Agg")
LADDER = ["inform", "consult", "involve", "collaborate", "co-produce"]


def activities(levels: list[object], participants: list[object] | None = None, **extra: list[object]) -> pd.DataFrame:
    n = len(levels)
    frame = pd.DataFrame({"activity_id": [f"A{i:03d}" for i in range(n)],
                          "involvement_level": pd.array(levels, dtype="string"),
                          "participants": participants if participants is not None else [10] * n})
    for name, values in extra.items():
        frame[name] = values
    return frame


def cycle(name: str, counts: dict[str, int], *, from_start: list[object] | None = None) -> tuple[pd.DataFrame, dict]:
    levels = [level for level, n in counts.items() for _ in range(n)]
    frame = activities(levels, **({"involved_from_start": pd.array(from_start, dtype="boolean")} if from_start else {}))
    shares = cop.level_shares(frame, LADDER, cycle=name)
    return shares, cop.cycle_summary(shares, ["co-produce"], frame)


def test_level_shares_count_every_rung_in_ladder_order_with_zeros_and_not_recorded() -> None:
    frame = activities(["Co-produce", "consult ", "CO PRODUCE", None, "consult", "co\u2011produce"],
                       participants=[30, 5, 10, 40, 5, 15])
    shares = cop.level_shares(frame, LADDER, cycle="2025")
    assert shares["level"].tolist() == [*LADDER, cop.NOT_RECORDED]
    by = shares.set_index("level")
    assert by.loc["co-produce", "activities"] == 3 and by.loc["consult", "activities"] == 2
    assert by.loc["inform", "activities"] == 0 and by.loc["inform", "activity_share"] == 0
    assert by.loc[cop.NOT_RECORDED, "activities"] == 1 and pd.isna(by.loc[cop.NOT_RECORDED, "activity_share"])
    # Shares are of the five activities with a level, participants of their 65 participants.
    assert by.loc["co-produce", "activity_share"] == pytest.approx(3 / 5)
    assert by.loc["co-produce", "participant_share"] == pytest.approx(55 / 65)
    assert shares.attrs["weight"] == cop.PARTICIPANTS


def test_participant_hours_only_when_every_levelled_activity_records_hours() -> None:
    full = activities(["co-produce", "inform"], participants=[10, 10], duration_hours=[3.0, 1.0])
    shares = cop.level_shares(full, LADDER, cycle="c").set_index("level")
    assert shares.attrs["weight"] == cop.PARTICIPANT_HOURS
    assert shares.loc["co-produce", "participants"] == 30 and shares.loc["co-produce", "participant_share"] == 0.75
    partial = activities(["co-produce", "inform"], participants=[10, 10], duration_hours=[3.0, None])
    assert cop.level_shares(partial, LADDER, cycle="c").attrs["weight"] == cop.PARTICIPANTS


def test_a_level_off_the_ladder_is_refused_not_guessed() -> None:
    frame = activities(["co-design", "inform"])
    assert cop.off_ladder_levels(frame, LADDER) == ["co-design"]
    with pytest.raises(ValueError, match="co-design"):
        cop.level_shares(frame, LADDER, cycle="c")


def test_has_levels_on_tables_cleaned_before_the_ladder() -> None:
    assert not cop.has_levels(None)
    assert not cop.has_levels(pd.DataFrame({"activity_id": ["A"], "participants": [3]}))
    assert not cop.has_levels(activities([None, None]))
    assert cop.has_levels(activities([None, "inform"]))


def test_cycle_summary_top_rung_or_top_two_and_from_start() -> None:
    frame = activities(["co-produce", "collaborate", "collaborate", "inform", None],
                       involved_from_start=pd.array([True, True, False, None, False], dtype="boolean"))
    shares = cop.level_shares(frame, LADDER, cycle="now")
    top = cop.cycle_summary(shares, ["co-produce"], frame)
    assert (top["recorded"], top["coproduced"], top["activities"]) == (4, 1, 5)
    assert top["coproduced_share"] == pytest.approx(0.25)
    assert (top["from_start"], top["from_start_recorded"]) == (2, 4)
    two = cop.cycle_summary(shares, ["collaborate", "co-produce"], frame)
    assert two["coproduced"] == 3 and two["coproduced_share"] == pytest.approx(0.75)
    # From recorded rows only (no activities table), the from-start share is unknown.
    recorded = cop.cycle_summary(pd.DataFrame(shares.to_dict("records")), ["co-produce"])
    assert recorded["coproduced"] == 1 and recorded["from_start"] is None and np.isnan(recorded["from_start_share"])


def test_change_uses_the_newcombe_comparison_and_its_verdict() -> None:
    _, before = cycle("2024", {"consult": 45, "co-produce": 3})
    _, after = cycle("2025", {"consult": 50, "co-produce": 20})
    change = cop.coproduction_change(after, before)
    expected = compare_proportions(np.array([20]), np.array([70]), np.array([3]), np.array([48])).iloc[0]
    assert change["difference_pp"] == pytest.approx(100 * expected["estimate"])
    assert change["ci_low_pp"] == pytest.approx(100 * expected["ci_low"])
    assert change["p_value"] == pytest.approx(expected["p_value"])
    assert change["ci_low_pp"] > 0 and change["verdict"] == "clear rise" and change["p_value"] < 0.05
    fall = cop.coproduction_change(before, after)
    assert fall["ci_high_pp"] < 0 and fall["verdict"] == "clear fall"


def test_small_difference_is_no_clear_change_and_the_sentence_says_so() -> None:
    _, before = cycle("2024", {"consult": 18, "co-produce": 2})
    _, after = cycle("2025", {"consult": 17, "co-produce": 3})
    change = cop.coproduction_change(after, before)
    assert change["ci_low_pp"] < 0 < change["ci_high_pp"] and change["verdict"] == "no clear change"
    sentence = cop.coproduction_sentence(after, ["co-produce"], change, before)
    assert "no clear change" in sentence and "rose" not in sentence
    assert "10% (2 of 20) in 2024" in sentence and "15% (3 of 20) in 2025" in sentence
    assert f"{change['ci_low_pp']:+.0f} to {change['ci_high_pp']:+.0f} points" in sentence


def test_sentence_of_a_clear_rise_prints_the_interval_that_made_the_verdict() -> None:
    _, before = cycle("example-2024", {"inform": 40, "co-produce": 2})
    _, after = cycle("example", {"inform": 40, "co-produce": 25})
    change = cop.coproduction_change(after, before)
    sentence = cop.coproduction_sentence(after, ["collaborate", "co-produce"], change, before)
    assert sentence.startswith('The co-produced share of activities (level "collaborate" or "co-produce") rose')
    assert "a clear rise of" in sentence and f"+{change['ci_low_pp']:.0f} to" in sentence and "p " in sentence


def test_sentences_without_a_comparison() -> None:
    _, now = cycle("now", {"inform": 3, "co-produce": 1})
    assert "no earlier cycle" in cop.coproduction_sentence(now, ["co-produce"])
    empty = cop.cycle_summary(cop.level_shares(activities([None, None]), LADDER, cycle="x"), ["co-produce"])
    assert "cannot be measured" in cop.coproduction_sentence(empty, ["co-produce"])
    with pytest.raises(ValueError, match="recorded involvement level"):
        cop.coproduction_change(now, empty)


def test_from_start_sentence() -> None:
    _, before = cycle("2024", {"inform": 2, "consult": 2}, from_start=[False, False, True, None])
    _, after = cycle("2025", {"inform": 2, "co-produce": 2}, from_start=[True, True, True, False])
    text = cop.from_start_sentence(after, before)
    assert "75% of activities (3 of 4 that recorded it)" in text and "33% (1 of 3) in 2024" in text
    _, unknown = cycle("2023", {"inform": 1})
    assert cop.from_start_sentence(unknown) is None


def test_figure_has_alt_text_naming_each_cycles_coproduced_share() -> None:
    before, _ = cycle("2024", {"consult": 9, "co-produce": 1})
    after, _ = cycle("2025", {"consult": 6, "co-produce": 4})
    fig, alt = cop.coproduction_figure(pd.concat([before, after]), ["co-produce"], title="Ladder")
    assert "2024: 10% co-produced" in alt and "2025: 40% co-produced" in alt
    assert len(fig.axes[0].patches) == 2 * len(LADDER)
