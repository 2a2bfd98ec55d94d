"""Change over time: intervals against published values, tests, models, suppression, sentences, CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.change import over_time as change
from analysis.cli import main as cli
from analysis.core import paths, vocab
from analysis.core.errors import InputFileError
from tests.change.support import result_row as _row

STAFF_SURVEY_CSV = paths.SHARED_DIR / "data" / "staff_survey" / "staff_survey_wellbeing_by_org_2021_2024.csv"
GROUPS = list(vocab.INVOLVEMENT_GROUPS)


def make_responses(
    seed: int = 1,
    waves: tuple[int, ...] = (2019, 2021, 2022, 2023, 2024, 2025),
    n_per_group: tuple[int, int] = (150, 60),
    p_positive: dict | None = None,
    repeat_share: float = 0.0,
    person_sd: float = 0.0,
    weights: bool = False,
    dont_know: float = 0.05,
) -> pd.DataFrame:
    """Synthetic answers in the processed ``responses`` contract (seeded).

    ``p_positive`` maps item -> f(wave, group) -> probability of a positive answer.
    ``repeat_share`` of people carry a persistent ``person_id`` and are drawn from a
    small pool so they recur across waves; ``person_sd`` adds a person effect on the
    logit scale (within-person correlation).
    """
    rng = np.random.default_rng(seed)
    p_positive = p_positive or {
        "real_improvements": lambda w, g: 0.70 + 0.16 * (w - 2019) / 6,
        "personal_impact": lambda w, g: 0.88,
        "heard_equally": lambda w, g: 0.85 if g == "Staff" else 0.68,
    }
    pool = {g: [f"{g[:3].upper()}-{i:04d}" for i in range(max(n_per_group) * 2)] for g in GROUPS}
    effect = {pid: rng.normal(0, person_sd) for g in GROUPS for pid in pool[g]}
    rows, rid = [], 0
    for wave in waves:
        for group, n in zip(GROUPS, n_per_group, strict=False):
            people = rng.choice(pool[group], size=n, replace=False)
            for person in people:
                rid += 1
                known = rng.random() < repeat_share
                weight = float(rng.gamma(4, 0.25)) if weights else np.nan
                for item, f in p_positive.items():
                    if rng.random() < dont_know:
                        rows.append((f"R{rid:06d}", person if known else pd.NA, wave, group, item, pd.NA, pd.NA,
                                     "Don't know", pd.NA, weight))
                        continue
                    logit = np.log(f(wave, group) / (1 - f(wave, group))) + (effect[person] if known else 0.0)
                    positive = rng.random() < 1 / (1 + np.exp(-logit))
                    value = int(rng.choice([4, 5], p=[0.6, 0.4])) if positive else int(rng.choice([1, 2, 3], p=[.2, .4, .4]))
                    rows.append((f"R{rid:06d}", person if known else pd.NA, wave, group, item, value,
                                 vocab.LIKERT_LEVELS[value - 1], pd.NA, value >= 4, weight))
    frame = pd.DataFrame(rows, columns=["respondent_id", "person_id", "wave", "respondent_type", "item_id", "value",
                                        "level", "missing_reason", "positive", "weight"])
    return frame.astype({"respondent_id": "string", "person_id": "string", "wave": "int64",
                         "respondent_type": "string", "item_id": "string", "value": "Int64", "level": "string",
                         "missing_reason": "string", "positive": "boolean", "weight": "Float64"})


def _cells(rows: list[tuple]) -> pd.DataFrame:
    """Aggregate cells from (item, group, wave, positives, base)."""
    table = pd.DataFrame(rows, columns=["item", "group", "wave", "positives", "base"])
    cells, _ = change.cells_from_aggregate(table, wave_column="wave", base_column="base",
                                           positives_column="positives", group_column="group", item_column="item")
    return cells


def _pooled_cells(rows: list[tuple]) -> pd.DataFrame:
    """Aggregate cells of one item for everyone, from (wave, positives, base)."""
    table = pd.DataFrame(rows, columns=["wave", "positives", "base"])
    cells, _ = change.cells_from_aggregate(table, wave_column="wave", base_column="base", positives_column="positives",
                                           item_name="q")
    return cells




# --------------------------------------------------------------------------- published worked examples
def test_wilson_interval_matches_newcombe_1998a_table_i():
    # Newcombe (1998a) Table I / Wilson (1927): 81/263 -> 0.2553 to 0.3662 (score method).
    est = change.estimate_cells(_cells([("q", "A", 1, 81, 263), ("q", "A", 2, 10, 20)]), threshold=10)
    row = est[(est["group"] == "A") & (est["wave"] == 1)].iloc[0]
    assert row["ci_low"] == pytest.approx(25.53, abs=0.005)
    assert row["ci_high"] == pytest.approx(36.62, abs=0.005)
    assert row["pct"] == pytest.approx(100 * 81 / 263)


@pytest.mark.parametrize(
    "x1, n1, x2, n2, diff, low, high",
    [  # Newcombe (1998b) Statistics in Medicine 17:857-872, Table II, method 10 (hybrid score).
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
        (0, 10, 0, 20, 0.0, -0.1611, 0.2775),
    ],
)
def test_newcombe_interval_matches_published_table(x1, n1, x2, n2, diff, low, high):
    res = change.compare_proportions(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2])).iloc[0]
    assert res["estimate"] == pytest.approx(diff, abs=5e-5)
    assert res["ci_low"] == pytest.approx(low, abs=5e-5)
    assert res["ci_high"] == pytest.approx(high, abs=5e-5)
    # Independent hand calculation from the two Wilson intervals (Newcombe's equations).
    from analysis.stats.proportions import wilson_ci

    l1, u1 = (float(v) for v in wilson_ci(x1, n1))
    l2, u2 = (float(v) for v in wilson_ci(x2, n2))
    p1, p2 = x1 / n1, x2 / n2
    assert res["ci_low"] == pytest.approx(p1 - p2 - np.hypot(p1 - l1, u2 - p2), abs=1e-10)
    assert res["ci_high"] == pytest.approx(p1 - p2 + np.hypot(u1 - p1, p2 - l2), abs=1e-10)


@pytest.mark.parametrize("x1, n1, x2, n2", [(120, 160, 100, 150), (9, 10, 3, 10), (8, 60, 2, 60), (5, 56, 0, 29),
                                            (30, 1000, 12, 900), (0, 15, 4, 12)])
def test_p_value_is_the_one_that_inverts_the_newcombe_interval(x1, n1, x2, n2):
    from analysis.stats.comparisons import newcombe_interval

    res = change.compare_proportions(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2])).iloc[0]
    p = res["p_value"]
    assert 0 < p < 1
    # At level 1 - p the bound nearest 0 touches 0; slightly wider it includes 0, slightly narrower it does not.
    low, high = (float(v[0]) for v in newcombe_interval([x1], [n1], [x2], [n2], level=1 - p))
    assert (low if res["estimate"] > 0 else high) == pytest.approx(0.0, abs=1e-9)
    for level, excludes in ((1 - p * 1.01, False), (1 - p * 0.99, True)):
        lo, hi = (float(v[0]) for v in newcombe_interval([x1], [n1], [x2], [n2], level=level))
        assert ((lo > 0) or (hi < 0)) is not excludes or level >= 1, (level, lo, hi)
    assert res["method"].startswith("Newcombe")


def test_p_value_agrees_with_the_score_z_test_for_large_samples():
    from statsmodels.stats.proportion import proportions_ztest

    res = change.compare_proportions(np.array([1200, 610]), np.array([1600, 1000]), np.array([1000, 560]),
                                     np.array([1500, 1000]))
    for i, (x, n) in enumerate((([1200, 1000], [1600, 1500]), ([610, 560], [1000, 1000]))):
        assert res["p_value"].iloc[i] == pytest.approx(proportions_ztest(x, n)[1], rel=0.1)


def test_8_of_60_against_2_of_60_gives_one_verdict():
    """The z-test said p = 0.047 beside a Newcombe interval from -0.3 to 21 points: now one method."""
    res = change.compare_proportions(np.array([8]), np.array([60]), np.array([2]), np.array([60])).iloc[0]
    assert res["ci_low"] < 0 < res["ci_high"]
    assert res["p_value"] > 0.05
    out = change.analyse_change(_pooled_cells([(2025, 8, 60), (2024, 2, 60)]), threshold=10)
    row = _row(out.results, test="diff_previous")
    # The family: the change and the trend (the baseline is the previous wave: one comparison, said once).
    assert row["verdict"] == "no evidence" and row["family_size"] == out.results["claim"].sum() == 2
    text = _row(change.change_sentences(out.results, threshold=10), group="all")["sentence"]
    assert text.count("since 2024") == 1
    assert "no evidence of a change since 2024" in text and "up 10" not in text


def test_small_clear_change_with_large_n_is_worded_small_but_clear():
    n = 400_000
    out = change.analyse_change(_pooled_cells([(2025, int(0.504 * n), n), (2024, int(0.500 * n), n)]), threshold=10)
    row = _row(out.results, test="diff_previous")
    assert row["verdict"] == "up" and row["ci_low_adj"] > 0
    text = _row(change.change_sentences(out.results, threshold=10), group="all")["sentence"]
    assert "a small but clear rise of 0.4 points since 2024" in text, text
    assert not re.search(r"\bup 0 (percentage )?points?\b", text)
    # The bound nearest 0 never prints as 0 beside a clear change.
    interval = re.search(r"simultaneous 95% CI across 2 comparisons ([-\d.]+) to ([-\d.]+) points", text)
    assert interval and float(interval.group(1)) > 0


# --------------------------------------------------------------------------- models against hand calculation
@pytest.mark.parametrize("waves", [(2024, 2025), (2019, 2025)])
def test_trend_glm_equals_log_odds_ratio_by_hand(waves):
    a, b, c, d = 90, 30, 60, 60  # latest: 90 positive, 30 not; earlier: 60 / 60
    cells = _cells([("q", "A", waves[1], a, a + b), ("q", "A", waves[0], c, c + d)])
    row = _row(change.trend_logit(change.estimate_cells(cells, threshold=10)), group="A")
    per_wave = np.log((a / b) / (c / d)) / (waves[1] - waves[0])
    assert np.log(row["estimate"]) == pytest.approx(per_wave, rel=1e-8)
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d) / (waves[1] - waves[0])
    assert np.log(row["ci_high"]) - np.log(row["estimate"]) == pytest.approx(1.959964 * se, rel=1e-5)


def test_interaction_lrt_detects_diverging_trends_only():
    parallel = [("q", g, w, int(n * p), n) for g, shift in (("A", 0.0), ("B", -0.1))
                for w, p0 in zip((1, 2, 3, 4), (0.5, 0.55, 0.6, 0.65), strict=False) for n, p in [(400, p0 + shift)]]
    crossing = [("q", "A", w, int(400 * p), 400) for w, p in zip((1, 2, 3, 4), (0.5, 0.6, 0.7, 0.8), strict=False)] + \
               [("q", "B", w, int(400 * p), 400) for w, p in zip((1, 2, 3, 4), (0.7, 0.65, 0.6, 0.55), strict=False)]
    flat = change.interaction_lrt(change.estimate_cells(_cells(parallel), threshold=10), ["A", "B"]).iloc[0]
    cross = change.interaction_lrt(change.estimate_cells(_cells(crossing), threshold=10), ["A", "B"]).iloc[0]
    assert flat["p_value"] > 0.5
    assert cross["p_value"] < 1e-6
    assert cross["estimate"] < 1  # B's odds ratio per wave is smaller than A's


# --------------------------------------------------------------------------- respondent-level pipeline
@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, change.ChangeAnalysis]:
    responses = make_responses(seed=11, n_per_group=(300, 120), repeat_share=0.5, person_sd=1.0)
    answers = change.prepare_responses(responses)
    result = change.analyse_change(change.count_cells(answers), answers, threshold=10, baseline_wave=2019,
                                   group_order=GROUPS)
    return answers, result


@pytest.mark.slow
def test_results_table_contract(synthetic):
    _, result = synthetic
    res = result.results
    for column in ("item", "group", "wave", "test", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted",
                   "n", "suppressed"):
        assert column in res.columns
    # Model checks always; steps between waves only where the step-vs-slope check fails.
    assert {"trend_linearity", "proportional_odds"} <= set(res["test"])
    assert set(res["test"]) - {"trend_linearity", "proportional_odds", "diff_step"} == {
        "pct_positive", "diff_previous", "diff_baseline", "diff_groups", "trend_logit",
        "interaction_lrt", "ordinal_trend", "gee_trend"}
    pct = res[res["test"] == "pct_positive"]
    assert set(pct["group"]) == {*GROUPS, "all"}
    assert len(pct) == 3 * 3 * 6  # items x groups x waves
    tested = res[res["p_adjusted"].notna()]
    # One family (every claim the sentences can make), Bonferroni: p_adjusted = min(1, m p).
    m = int(res["claim"].sum())
    assert m == 3 * (3 * 3 + 2) and (tested["family_size"] == m).all()  # items x (groups x 3 + 2)
    assert np.allclose(tested["p_adjusted"], np.minimum(1, m * tested["p_value"]))
    claims = res[res["claim"]]
    assert (claims["p_holm"] <= claims["p_adjusted"] + 1e-12).all()
    assert (claims["p_holm"] >= claims["p_value"] - 1e-12).all()
    assert (claims["p_bh"] <= claims["p_holm"] + 1e-12).all()


def test_dont_know_is_excluded_from_base_and_said(synthetic):
    answers, result = synthetic
    sub = answers[(answers["item"] == "real_improvements") & (answers["group"] == "Staff") & (answers["wave"] == 2025)]
    row = _row(result.results, item="real_improvements", group="Staff", wave=2025, test="pct_positive")
    assert row["n"] == (~sub["excluded"]).sum()
    assert row["positives"] == sub["positive"].sum()
    assert row["estimate"] == pytest.approx(100 * sub["positive"].mean())
    assert f"Don't know {int(sub['dont_know'].sum())}" in row["note"] and row["note"].startswith("base excludes")
    assert change.DONT_KNOW_NOTE in result.notes


def test_planted_effects_found_and_flat_item_not_flagged(synthetic):
    _, result = synthetic
    res = result.results
    rising = _row(res, item="real_improvements", group="all", test="diff_baseline")
    assert rising["p_adjusted"] < 0.05 and 8 < rising["estimate"] < 24
    flat = res[(res["item"] == "personal_impact") & res["test"].isin(["diff_baseline", "trend_logit", "gee_trend"])]
    assert (flat["p_adjusted"] > 0.05).all()
    gap = _row(res, item="heard_equally", test="diff_groups")
    assert gap["group"] == "Staff vs Expert by experience"
    assert gap["p_adjusted"] < 0.05 and gap["ci_low"] < 17 < gap["ci_high"]


@pytest.mark.slow
def test_gee_used_automatically_for_repeated_people(synthetic):
    answers, result = synthetic
    assert change.has_repeated_respondents(answers)
    res = result.results
    gee = _row(res, item="real_improvements", group="all", test="gee_trend")
    glm = _row(res, item="real_improvements", group="all", test="trend_logit")
    assert "exchangeable" in gee["method"]
    # Both estimate the population-averaged odds ratio per year: close, not identical.
    assert gee["estimate"] == pytest.approx(glm["estimate"], rel=0.05) and gee["estimate"] != glm["estimate"]
    assert gee["estimate"] > 1 and gee["p_value"] < 0.05
    no_repeat = change.prepare_responses(make_responses(seed=2, n_per_group=(40, 20), repeat_share=0.0))
    assert not change.has_repeated_respondents(no_repeat)
    assert "gee_trend" not in set(change.analyse_change(change.count_cells(no_repeat), no_repeat).results["test"])
    few = change.prepare_responses(make_responses(seed=2, n_per_group=(40, 20), repeat_share=0.05))
    assert change.has_repeated_respondents(few)
    few_res = change.analyse_change(change.count_cells(few), few).results
    # A handful of repeated people cannot support an exchangeable correlation estimate.
    assert _row(few_res, item="heard_equally", group="Expert by experience",
                test="gee_trend")["method"].count("independence working correlation") == 1


def test_ordinal_model_follows_a_shift_up_the_scale():
    responses = make_responses(seed=5, waves=(2023, 2024, 2025), n_per_group=(200, 100),
                               p_positive={"q": lambda w, g: 0.5 + 0.1 * (w - 2023)})
    answers = change.prepare_responses(responses)
    row = _row(change.ordinal_trend(answers), group="all")
    assert row["estimate"] > 1 and row["p_value"] < 0.01
    assert row["n"] == answers["score"].notna().sum()


def test_weighted_estimates_use_kish_effective_n():
    responses = make_responses(seed=3, waves=(2024, 2025), n_per_group=(80, 40), weights=True,
                               p_positive={"q": lambda w, g: 0.7})
    answers = change.prepare_responses(responses)
    cells = change.estimate_cells(change.count_cells(answers), threshold=10)
    sub = answers[(answers["group"] == "Staff") & (answers["wave"] == 2025) & ~answers["excluded"]]
    w, y = sub["weight"].to_numpy(), sub["positive"].to_numpy()
    row = cells[(cells["group"] == "Staff") & (cells["wave"] == 2025)].iloc[0]
    assert row["pct"] == pytest.approx(100 * (w * y).sum() / w.sum())
    assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert row["deff"] == pytest.approx(len(w) / row["effective_n"]) and row["deff"] > 1
    result = change.analyse_change(change.count_cells(answers), answers, threshold=10).results
    diff = _row(result, group="Staff", test="diff_previous")
    assert "design-effect adjusted" in diff["method"]


@pytest.mark.slow
def test_small_cells_are_suppressed_in_table_and_sentences():
    responses = make_responses(seed=4, waves=(2023, 2024, 2025), n_per_group=(60, 60))
    # Keep only 6 experts by experience in 2025: below the threshold of 10.
    ebe25 = responses[(responses["respondent_type"] == "Expert by experience") & (responses["wave"] == 2025)]
    drop = ebe25["respondent_id"].drop_duplicates().iloc[6:]
    responses = responses[~responses["respondent_id"].isin(drop)]
    answers = change.prepare_responses(responses)
    result = change.analyse_change(change.count_cells(answers), answers, threshold=10, group_order=GROUPS)
    res = result.results
    hidden = res[(res["group"].str.contains("Expert")) & (res["wave"] == 2025)
                 & res["test"].isin(["pct_positive", "diff_previous", "diff_baseline", "diff_groups"])]
    assert len(hidden) == 3 * 4 and hidden["suppressed"].all()
    assert hidden[["estimate", "ci_low", "ci_high", "p_value", "n", "positives"]].isna().all().all()
    shown = res[(res["group"] == "Expert by experience") & (res["wave"] == 2024) & (res["test"] == "pct_positive")]
    assert not shown["suppressed"].any() and shown["estimate"].notna().all()
    # The pooled 2025 cell would reveal the experts by subtraction, so it is hidden too.
    pooled = res[(res["group"] == "all") & (res["wave"] == 2025) & (res["test"] == "pct_positive")]
    assert pooled["suppressed"].all() and pooled["estimate"].isna().all()
    assert pooled["note"].str.contains("subtraction").all()
    # Models use every answer (suppression is for publication), say which wave is not shown,
    # and hide their totals, which minus the shown cells would reveal the small cell.
    trend = _row(res, item="heard_equally", group="Expert by experience", test="trend_logit")
    assert trend["wave"] == 2025 and "includes 2025, whose figures are not shown" in trend["note"]
    assert pd.isna(trend["n"]) and pd.isna(trend["positives"]) and pd.notna(trend["estimate"])
    # One small group no longer removes the wave from everyone's trend.
    everyone = _row(res, item="heard_equally", group="all", test="trend_logit")
    assert everyone["wave"] == 2025 and everyone["comparison_wave"] == 2023 and pd.notna(everyone["estimate"])
    used = answers[(answers["item"] == "heard_equally") & ~answers["excluded"]]
    assert _row(change.trend_logit(change.estimate_cells(change.count_cells(answers), threshold=10)),
                item="heard_equally", group="all")["n"] == len(used)
    sentences = change.change_sentences(res, threshold=10)
    for text in sentences.loc[sentences["group"].isin(["Expert by experience", "all"]), "sentence"]:
        assert not re.search(r"\d+% answered", text) and "percentage points" not in text, text
        assert "fewer than 10" in text
    for text in sentences.loc[sentences["group"].str.contains(" vs "), "sentence"]:
        assert "cannot be compared" in text and not re.search(r"\d+ points", text)


def test_sentences_never_claim_no_change_and_use_adjusted_p(synthetic):
    _, result = synthetic
    sentences = change.change_sentences(result.results, threshold=10, item_labels={"personal_impact": "Impact"},
                                        wording_changes={"heard_equally": [2022]})
    text = " ".join(sentences["sentence"])
    assert not re.search(r"\bno change\b", text, flags=re.IGNORECASE)
    impact = _row(sentences, item="personal_impact", group="all")["sentence"]
    assert impact.startswith("Impact (everyone)") and "no evidence of a change since 2019" in impact
    adj = _row(result.results, item="personal_impact", group="all", test="diff_baseline")["p_adjusted"]
    assert f"adjusted p = {adj:.2f}" in impact
    heard = _row(sentences, item="heard_equally", group="all")["sentence"]
    assert "wording changed" in heard  # 2019 baseline vs 2025 spans the 2022 rewording
    assert len(sentences[sentences["group"] == "interaction"]) == 3


def test_minimum_detectable_difference_gives_the_stated_power():
    for p, n in [(0.7, 200), (0.88, 150), (0.45, 60)]:
        mdd = change.minimum_detectable_difference(p, n, n)[()] / 100
        up = change.power_two_proportions(p, min(p + mdd, 0.999), n, n)
        down = change.power_two_proportions(p, p - mdd, n, n)
        # The larger of the two directions is reported: it has the stated power, the other more.
        assert min(up, down) == pytest.approx(0.8, abs=0.02)
        assert max(up, down) >= 0.79


def test_bad_inputs_raise_input_file_error():
    responses = make_responses(seed=1, waves=(2024, 2025), n_per_group=(20, 20))
    with pytest.raises(InputFileError, match="wave_number"):
        change.prepare_responses(responses, wave_column="wave_number")
    bad = responses.astype({"wave": "string"})
    bad.loc[bad.index[5], "wave"] = "twenty25"
    with pytest.raises(InputFileError, match="twenty25") as info:
        change.prepare_responses(bad)
    assert info.value.column == "wave" and info.value.row == 7


# --------------------------------------------------------------------------- CLI
def _write_csv(tmp_path: Path) -> Path:
    responses = make_responses(seed=8, waves=(2021, 2023, 2025), n_per_group=(80, 40), repeat_share=0.3)
    responses = responses[responses["item_id"] == "real_improvements"]
    out = responses.assign(answer=responses["level"].fillna(responses["missing_reason"]))
    path = tmp_path / "survey.csv"
    out[["respondent_id", "person_id", "wave", "respondent_type", "answer"]].to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_cli_respondent_level(tmp_path, capsys):
    path = _write_csv(tmp_path)
    code = cli.main(["change", str(path), "--wave-column", "wave", "--outcome-column", "answer", "--group-column",
                     "respondent_type", "--id-column", "person_id", "--positive", "Agree", "Strongly agree",
                     "--baseline-wave", "2021", "--out", str(tmp_path / "out")])
    assert code == 0
    res = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(res["item"]) == {"answer"}
    assert {"pct_positive", "diff_previous", "diff_baseline", "trend_logit", "ordinal_trend", "gee_trend"} <= set(res["test"])
    assert pd.read_parquet(tmp_path / "out" / "results.parquet").shape == res.shape
    assert "Don't know" in (tmp_path / "out" / "sentences.md").read_text()
    assert (tmp_path / "out" / "figures" / "trends.png").exists()
    assert (tmp_path / "out" / "figures" / "likert_answer.alt.txt").read_text().startswith("Diverging")


@pytest.mark.slow
def test_cli_errors_name_file_and_column(tmp_path, capsys):
    path = _write_csv(tmp_path)
    code = cli.main(["change", str(path), "--wave-column", "Wave", "--outcome-column", "answer", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "survey.csv" in err and "'Wave'" in err and "Traceback" not in err
    code = cli.main(["change", str(path), "--wave-column", "respondent_type", "--outcome-column", "answer",
                     "--out", str(tmp_path)])
    assert code == 1 and "wave must be a number" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "analysis", "change", str(path), "--wave-column", "wave",
                           "--outcome-column", "nope", "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "'nope'" in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- real data and the example cycle
@pytest.mark.shared
@pytest.mark.slow
def test_real_staff_survey_through_function_and_cli(tmp_path, capsys):
    if not STAFF_SURVEY_CSV.exists():
        pytest.skip(f"real NHS Staff Survey table not present at {STAFF_SURVEY_CSV}")
    table = pd.read_csv(STAFF_SURVEY_CSV)
    cells, notes = change.cells_from_aggregate(
        table, wave_column="Year", rate_column="Burned_out_rate", base_column="Burned_out_base",
        group_column="Benchmarking group", weighting_column="Weighting", source=STAFF_SURVEY_CSV)
    assert any("weighting method differs" in n for n in notes)
    result = change.analyse_change(cells, None, threshold=10, notes=notes)
    res = result.results
    acute = table[(table["Benchmarking group"] == "Acute and Acute & Community Trusts") & (table["Year"] == 2024)]
    row = _row(res, group="Acute and Acute & Community Trusts", wave=2024, test="pct_positive")
    expected = (acute["Burned_out_rate"] * acute["Burned_out_base"] / 100).round().sum() / acute["Burned_out_base"].sum()
    assert row["estimate"] == pytest.approx(100 * expected, abs=0.01)
    assert set(res.loc[res["test"] == "pct_positive", "wave"]) == {2021, 2022, 2023, 2024}
    assert res.loc[res["test"] == "diff_baseline", "note"].str.contains("weighting method").all()
    assert "ordinal_trend" not in set(res["test"])
    assert _check_rows_consistency(res) > 0
    assert _check_sentence_consistency(change.change_sentences(res, threshold=10,
                                                               outcome_phrase="reported feeling burnt out")) > 0

    code = cli.main(["change", str(STAFF_SURVEY_CSV), "--wave-column", "Year", "--rate-column", "Burned_out_rate",
                     "--base-column", "Burned_out_base", "--group-column", "Benchmarking group",
                     "--weighting-column", "Weighting", "--out", str(tmp_path / "staff")])
    assert code == 0
    cli_res = pd.read_csv(tmp_path / "staff" / "results.csv")
    assert _row(cli_res, group="all", test="trend_logit")["estimate"] == pytest.approx(
        _row(res, group="all", test="trend_logit")["estimate"], rel=1e-9)
    assert "weighting method differs" in (tmp_path / "staff" / "sentences.md").read_text()


@pytest.mark.slow
def test_example_cycle_recovers_planted_effects():
    from analysis.clean.pipeline import clean_cycle, read_inputs
    from analysis.core.config import load_config

    # Cleaned here from the committed raw files, so the test runs on a fresh clone too.
    config = load_config(paths.EXAMPLE_CONFIG)
    responses = clean_cycle(config, read_inputs(config), "test-key").tables["responses"]
    answers = change.prepare_responses(responses, answer_scales=config.answer_scales())
    result = change.analyse_change(
        change.count_cells(answers), answers, threshold=config.suppression_threshold,
        baseline_wave=config.change.baseline_wave, latest_wave=config.latest_wave,
        families={q.id: q.family for q in config.question_bank.items}, group_order=GROUPS)
    res = result.results
    truth_csv = paths.EXAMPLE_RAW_DIR / "ground_truth_effects.csv"
    if truth_csv.exists():  # the generator's own counts of valid and positive answers per cell
        truth = pd.read_csv(truth_csv).assign(group=lambda t: t["group"].replace({"All": "all"}))
        mine = res[res["test"] == "pct_positive"].rename(columns={"item": "item_id"})
        both = truth.merge(mine, on=["item_id", "wave", "group"], how="left", validate="one_to_one")
        assert both["n"].notna().all()
        assert (both["n"] == both["n_valid"]).all() and (both["positives"] == both["n_positive"]).all()
    pct = res[(res["test"] == "pct_positive") & (res["group"] == "all")].set_index(["item", "wave"])["estimate"]
    assert pct[("real_improvements", 2019)] == pytest.approx(70, abs=6)
    assert pct[("real_improvements", 2025)] == pytest.approx(86, abs=6)
    assert _row(res, item="real_improvements", group="all", test="diff_baseline")["p_adjusted"] < 0.05
    assert _row(res, item="told_outcome", group="all", test="diff_baseline")["p_adjusted"] < 0.05
    flat = res[(res["item"] == "personal_impact") & (res["group"] == "all")
               & res["test"].isin(["diff_previous", "diff_baseline", "trend_logit", "gee_trend"])]
    assert (flat["p_adjusted"].dropna() > 0.05).all()
    heard = res[(res["item"] == "heard_equally") & (res["test"] == "pct_positive") & (res["wave"] == config.latest_wave)]
    by_group = heard.set_index("group")["estimate"]
    assert by_group["Staff"] == pytest.approx(85, abs=7)
    assert by_group["Expert by experience"] == pytest.approx(68, abs=7)
    assert _row(res, item="heard_equally", test="interaction_lrt")["p_adjusted"] > 0.05
    # One family for the report: every claim of every item and group, and no sentence contradicts its interval.
    assert (res.loc[res["claim"], "family_size"] == res["claim"].sum()).all()
    assert _check_rows_consistency(res) > 0
    sentences = change.change_sentences(res, threshold=config.suppression_threshold,
                                        wording_changes=change.wording_changes(config.question_bank.items))
    # Every claim but the interaction (whose sentence quotes only its p) prints its interval.
    with_interval = res["claim"] & (res["test"] != "interaction_lrt")
    assert _check_sentence_consistency(sentences) == with_interval.sum()


@pytest.mark.slow
def test_notebook_runs_on_synthetic_processed_data(tmp_path, example_config_dict):
    """The notebook executes end to end (papermill) on synthetic processed data and records its headlines."""
    import papermill
    import yaml

    from analysis.core import recording

    items = [q["id"] for q in example_config_dict["question_bank"]["items"]]
    planted = {item: (lambda w, g: 0.6) for item in items}
    planted["real_improvements"] = lambda w, g: 0.70 + 0.16 * (w - 2019) / 6
    # Large enough that the planted rise survives the report-wide family adjustment (about 70 comparisons).
    responses = make_responses(seed=21, n_per_group=(500, 200), p_positive=planted, repeat_share=0.4)
    processed = tmp_path / "processed" / example_config_dict["cycle"]
    processed.mkdir(parents=True)
    responses.to_parquet(processed / "responses.parquet", index=False)
    config = dict(example_config_dict, outputs={"processed_dir": str(tmp_path / "processed"),
                                                "reports_dir": str(tmp_path / "reports"),
                                                "interim_dir": str(tmp_path / "interim")})
    config_path = tmp_path / "cycle.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    out = tmp_path / "build"
    papermill.execute_notebook(str(paths.NOTEBOOKS_DIR / "03_change_over_time.ipynb"), str(tmp_path / "run.ipynb"),
                               parameters={"config_path": str(config_path), "output_dir": str(out)},
                               cwd=str(tmp_path), kernel_name="python3", progress_bar=False)
    table = pd.read_parquet(out / "tables" / "change_results.parquet")
    assert set(table["item"]) == set(items)
    assert pd.read_csv(out / "tables" / "change_results.csv").shape[0] == len(table)
    recorded = recording.load(out, "03_change_over_time")
    latest = recorded["items"]["real_improvements"]["all"]
    assert latest["wave"] == 2025 and latest["ci_low"] < latest["pct_positive"] < latest["ci_high"]
    assert latest["gee_trend"]["p_adjusted"] < 0.05 and latest["gee_trend"]["estimate"] > 1
    assert recorded["gee_used"] and recorded["sentences"]
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert "change_trends.png" in pngs and len(pngs) == 1 + len(items)
    from analysis.present.figures import read_alt

    assert all(read_alt(out / "figures" / name) for name in pngs)


# --------------------------------------------------------------------------- one verdict, honest bases
_NUMBER = r"(-?\d+(?:\.\d+)?)"


def _check_sentence_consistency(sentences: pd.DataFrame) -> int:
    """Every clause's words agree with the interval printed in it; returns the clauses checked."""
    checked = 0
    for text in sentences["sentence"]:
        # Sentences, and the wave-by-wave parts of a step description ("; 2022 to 2023 down ...").
        for clause in re.split(r"(?<=\.\)|\)\.)\s|; (?=\d{4} to \d{4})", text):
            interval = re.search(rf"CI(?: across \d+ comparisons)? {_NUMBER} to {_NUMBER}", clause)
            anywhere = re.search(rf"anywhere from {_NUMBER} to {_NUMBER}", clause)
            if "no evidence of a change" in clause:
                low, high = map(float, (anywhere or interval).groups())
                assert low <= 0 <= high, clause
            elif re.search(r"This is (up|down|a small but clear)|^\d{4} to \d{4}.* (up|down|a small but clear) ",
                           clause):
                low, high = map(float, interval.groups())
                assert low > 0 or high < 0, clause
                assert bool(re.search(r"\b(up|rise)\b", clause)) == (low > 0), clause
            elif "no evidence of a trend" in clause:
                low, high = map(float, interval.groups())
                assert low <= 1 <= high, clause
            elif re.search(r"the odds of .* (rose|fell) \(", clause):
                low, high = map(float, interval.groups())
                assert low > 1 or high < 1, clause
                assert (" rose " in clause) == (low > 1), clause
            elif "no evidence of a difference" in clause:
                low, high = map(float, interval.groups())
                assert low <= 0 <= high, clause
            elif "more often" in clause:
                low, high = map(float, interval.groups())
                assert low > 0 or high < 0, clause
            else:
                continue
            checked += 1
    return checked


def _check_rows_consistency(results: pd.DataFrame, alpha: float = 0.05) -> int:
    """Interval excludes no-change <=> the verdict claims a change <=> adjusted p < alpha, on every row."""
    rows = results[results["verdict"].notna()]
    null = np.where(rows["test"].isin(["trend_logit", "gee_trend", "ordinal_trend", "interaction_lrt"]), 1.0, 0.0)
    has_ci = rows["ci_low_adj"].notna().to_numpy()
    excludes = ((rows["ci_low_adj"] > null) | (rows["ci_high_adj"] < null)).to_numpy()
    claims = (rows["verdict"] != "no evidence").to_numpy()
    significant = (rows["p_adjusted"] < alpha).to_numpy()
    assert (claims[has_ci] == excludes[has_ci]).all()
    assert (claims == significant).all()
    # The unadjusted pair agrees too: the 95% interval and the raw p come from one method.
    raw_excl = ((rows["ci_low"] > null) | (rows["ci_high"] < null)).to_numpy()
    assert (raw_excl[has_ci] == (rows["p_value"] < alpha).to_numpy()[has_ci]).all()
    assert results.loc[results["claim"], "verdict"].notna().all()
    return len(rows)


def _generated_runs():
    yield "respondents", make_responses(seed=31, n_per_group=(90, 40), dont_know=0.1), None
    yield "respondents, flat", make_responses(seed=32, waves=(2023, 2024, 2025), n_per_group=(60, 30),
                                              p_positive={"q": lambda w, g: 0.5}), None
    rng = np.random.default_rng(33)
    rows = [("q", g, w, int(rng.binomial(n, p)), n) for g, p0, n0 in (("A", 0.3, 400), ("B", 0.9, 80))
            for w in range(2019, 2026) for n, p in [(int(n0 * rng.uniform(0.7, 1.3)), p0 + 0.01 * (w - 2019))]]
    rows += [("r", g, w, int(rng.binomial(n, 0.02)), n) for g in ("A", "B") for w in (2024, 2025) for n in [300]]
    yield "aggregate", None, _cells(rows)
    big = 300_000
    yield "large n", None, _cells([("q", "A", 2025, int(0.503 * big), big), ("q", "A", 2024, int(0.5 * big), big),
                                   ("q", "B", 2025, int(0.7 * big), big), ("q", "B", 2024, int(0.7 * big), big)])


@pytest.mark.parametrize("name", ["respondents", "respondents, flat", "aggregate", "large n"])
@pytest.mark.slow
def test_words_never_contradict_the_interval_on_generated_data(name):
    _, responses, cells = next(run for run in _generated_runs() if run[0] == name)
    answers = None
    if responses is not None:
        answers = change.prepare_responses(responses)
        cells = change.count_cells(answers)
    result = change.analyse_change(cells, answers, threshold=10, group_order=GROUPS)
    assert _check_rows_consistency(result.results) > 0
    sentences = change.change_sentences(result.results, threshold=10)
    assert _check_sentence_consistency(sentences) > 0
    assert not re.search(r"\b(up|down) 0 (percentage )?points?\b", " ".join(sentences["sentence"]))


def test_every_excluded_answer_kind_stays_out_of_the_base():
    kinds = ["Don't know", "Prefer not to say", "Not sure", "Can't say", "N/A", "Not applicable", "No answer",
             "Don\u2019t know", "  prefer NOT to say ", "9", "6"]
    rng = np.random.default_rng(4)
    rows = [{"wave": w, "answer": str(a)} for w in (2024, 2025) for a in rng.choice(vocab.LIKERT_LEVELS, 80)]
    rows += [{"wave": w, "answer": k} for w in (2024, 2025) for k in kinds] + [{"wave": 2025, "answer": pd.NA}]
    table = pd.DataFrame(rows)
    scale = change.AnswerScale(excluded=(*change.AnswerScale().excluded, "6", "9"))
    answers = change.prepare_responses(table, item_column=None, item_name="q", group_column=None,
                                       value_column="answer", positive_column=None, answer_scales=scale,
                                       id_column=None, respondent_column=None, weight_column=None,
                                       missing_reason_column=None)
    latest = answers[answers["wave"] == 2025]
    on_scale = table[(table["wave"] == 2025) & table["answer"].isin(vocab.LIKERT_LEVELS)]
    assert (~latest["excluded"]).sum() == len(on_scale)
    assert latest.loc[~latest["excluded"], "positive"].sum() == on_scale["answer"].isin(["Agree", "Strongly agree"]).sum()
    assert latest["dont_know"].sum() == 2  # both spellings of Don't know
    cells = change.count_cells(answers)
    row = cells[(cells["group"] == "all") & (cells["wave"] == 2025)].iloc[0]
    assert row["base"] == len(on_scale) and row["n_excluded"] == len(kinds) + 1
    for text in ("Don't know 2", "Prefer not to say 2", "9 1", "6 1", "blank 1"):
        assert text in row["excluded_detail"]


def test_unknown_answer_stops_validation_with_value_and_count():
    responses = make_responses(seed=1, waves=(2024, 2025), n_per_group=(20, 20), dont_know=0.0)
    responses = responses.astype({"level": "string"})
    responses.loc[responses.index[:7], "level"] = "Agree strongly"
    responses.loc[responses.index[7:9], "level"] = "Prefer not to answer"
    with pytest.raises(InputFileError) as info:
        change.prepare_responses(responses, value_column="level", positive_levels={
            "real_improvements": ["Agree", "Strongly agree"], "personal_impact": ["Agree", "Strongly agree"],
            "heard_equally": ["Agree", "Strongly agree"]}, source="survey.csv")
    message = str(info.value)
    assert "survey.csv" in message and info.value.column == "level"
    assert "'Agree strongly' (" in message and "answers)" in message and "'Prefer not to answer'" in message
    counts = responses.loc[responses.index[:9]].groupby(["item_id", "level"]).size()
    for (item, value), count in counts.items():
        assert f"item {item!r}" in message and f"{value!r} ({count} answer" in message
    # A missing reason the scale does not know stops too.
    odd = make_responses(seed=1, waves=(2024, 2025), n_per_group=(20, 20), dont_know=0.2)
    odd = odd.astype({"missing_reason": "string"})
    odd.loc[odd["missing_reason"].notna(), "missing_reason"] = "Refused"
    with pytest.raises(InputFileError, match="'Refused'"):
        change.prepare_responses(odd, positive_levels=["Agree", "Strongly agree"])


def test_config_answer_scale_is_validated_and_keeps_the_example():
    from pydantic import ValidationError

    from analysis.core.config import LikertItem, load_config

    item = LikertItem(id="q", short_label="Q", wording={2024: "Q?"}, excluded=["Don't know", 9])
    assert item.excluded == ["Don't know", "9"] and item.negative is None
    with pytest.raises(ValidationError, match="both positive and excluded"):
        LikertItem(id="q", short_label="Q", wording={2024: "Q?"}, excluded=["Agree"])
    with pytest.raises(ValidationError, match="unknown Likert level"):
        LikertItem(id="q", short_label="Q", wording={2024: "Q?"}, negative=["Disagree strongly"])
    scales = load_config(paths.EXAMPLE_CONFIG, check_files=False).answer_scales()
    assert all(s["positive"] == ["Agree", "Strongly agree"] and "Don't know" in s["excluded"] for s in scales.values())


def test_a_few_answers_without_a_group_cannot_be_recovered_from_everyone():
    # Everyone minus the named groups would give away how many gave no group: under the threshold
    # they are left out of that wave's "everyone", and the note says so without the number.
    responses = make_responses(seed=5, n_per_group=(60, 40))
    latest = int(responses["wave"].max())
    four = responses.loc[responses["wave"] == latest, "respondent_id"].drop_duplicates().iloc[:4]
    responses["respondent_type"] = responses["respondent_type"].astype(object)
    responses.loc[responses["respondent_id"].isin(four), "respondent_type"] = None
    answers = change.prepare_responses(responses, group_column="respondent_type")
    assert (answers["group"] == "group not recorded").sum() > 0
    analysis = change.analyse_change(change.count_cells(answers), answers, threshold=10)
    shown = analysis.results[(analysis.results["test"] == "pct_positive") & (analysis.results["wave"] == latest)]
    for _, cells in shown.groupby("item"):
        named = cells[~cells["group"].isin(["all", "group not recorded"])]["n"].sum()
        assert cells.loc[cells["group"] == "all", "n"].iloc[0] == named
    assert any("fewer than 10 answers" in note and "no group recorded" in note for note in analysis.notes)
    assert not any(note.startswith("4 answer") for note in analysis.notes)
