"""Fair pooling (standardised "everyone"), blank groups, and aggregate data modelled as what it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.change import over_time as change
from analysis.core.errors import InputFileError, UserError
from analysis.stats.proportions import wilson_ci
from tests.change.support import result_row as _row
from tests.conftest import STAFF_SURVEY_CSV

GROUPS = ["Staff", "Expert by experience"]




def _composition_shift(rng: np.random.Generator, n_sets: int, *, total: int = 600) -> pd.DataFrame:
    """Both groups flat (80% and 50% positive); experts' share of answers rises from 20% to 60%."""
    rows = []
    for k in range(n_sets):
        for wave, share in zip((2021, 2022, 2023, 2024), (0.2, 0.33, 0.47, 0.6), strict=True):
            n_ebe = int(round(total * share))
            for group, n, p in (("Staff", total - n_ebe, 0.8), ("Expert by experience", n_ebe, 0.5)):
                rows.append({"item": f"sim{k:03d}", "group": group, "wave": wave,
                             "positives": int(rng.binomial(n, p)), "base": n})
    cells, _ = change.cells_from_aggregate(pd.DataFrame(rows), wave_column="wave", base_column="base",
                                           positives_column="positives", group_column="group", item_column="item")
    return cells


# --------------------------------------------------------------------------- fair pooling
def test_standardised_everyone_equals_crude_in_the_latest_wave_and_holds_the_mix_earlier():
    cells = _composition_shift(np.random.default_rng(1), 1)
    std, crude, notes = change.standardise_pooled(cells)
    latest_std = _row(std, group="all", wave=2024)
    latest_crude = _row(crude, group="all", wave=2024)
    assert latest_std["p_hat"] == pytest.approx(latest_crude["p_hat"], rel=1e-12)
    # 2021 by hand: the 2024 shares applied to the 2021 group proportions.
    at24 = cells[(cells["wave"] == 2024) & (cells["group"] != "all")].set_index("group")
    at21 = cells[(cells["wave"] == 2021) & (cells["group"] != "all")].set_index("group")
    m = at24["base"] / at24["base"].sum()
    p = at21["positives"] / at21["base"]
    assert _row(std, group="all", wave=2021)["p_hat"] == pytest.approx(float((m * p).sum()), rel=1e-12)
    var = float((m ** 2 * p * (1 - p) / at21["base"]).sum())
    p_std = float((m * p).sum())
    assert _row(std, group="all", wave=2021)["effective_n"] == pytest.approx(p_std * (1 - p_std) / var, rel=1e-9)
    assert any("standardised to the 2024 mix" in n for n in notes)


def test_composition_shift_crude_pool_falls_standardised_figure_claims_no_change():
    cells = _composition_shift(np.random.default_rng(20251202), 1, total=2000)
    result = change.analyse_change(cells, threshold=10, baseline_wave=2021)
    res = result.results
    base = _row(res, group="all", test="diff_baseline")
    # The crude pool falls by about 0.3 x 0.4 = 12 points although no group changed ...
    assert base["crude_ci_high"] < -5
    # ... the standardised figure claims no change (its own false-positive rate is checked in the slow
    # test below; one dataset can be a 1-in-20 draw), and neither does its trend.
    assert base["verdict"] == "no evidence" and abs(base["estimate"]) < abs(base["crude_estimate"]) / 2
    trend = _row(res, group="all", test="trend_logit")
    assert trend["verdict"] == "no evidence" and trend["crude_ci_high"] < 1
    assert "standardised" in base["method"] and "standardised" in trend["method"]
    sentence = _row(change.change_sentences(res, threshold=10), group="all")["sentence"]
    assert "no evidence of a change since 2021" in sentence and "no evidence of a trend" in sentence
    assert "without holding the mix of groups fixed" in sentence and "change in who answered" in sentence


@pytest.mark.slow
def test_composition_shift_false_positive_rate_of_the_standardised_figure():
    res = change.analyse_change(_composition_shift(np.random.default_rng(7), 300), threshold=10,
                                baseline_wave=2021).results
    for test in ("diff_baseline", "diff_previous", "trend_logit"):
        rows = res[(res["group"] == "all") & (res["test"] == test)]
        rate = float((rows["p_value"] < 0.05).mean())
        assert 0.02 <= rate <= 0.08, f"{test}: standardised false-positive rate {rate:.3f}"
    crude = res[(res["group"] == "all") & (res["test"] == "diff_baseline")]
    assert (crude["crude_p_value"] < 0.05).mean() > 0.95  # the crude pool is fooled nearly every time


def test_configured_mix_is_used_and_must_name_every_group():
    cells = _composition_shift(np.random.default_rng(2), 1)
    std, _, notes = change.standardise_pooled(cells, mix={"Staff": 0.5, "Expert by experience": 0.5})
    at = cells[(cells["wave"] == 2022) & (cells["group"] != "all")]
    expected = float((at["positives"] / at["base"]).mean())
    assert _row(std, group="all", wave=2022)["p_hat"] == pytest.approx(expected, rel=1e-12)
    assert any("configured group mix" in n for n in notes)
    with pytest.raises(UserError, match="Expert by experience"):
        change.standardise_pooled(cells, mix={"Staff": 1.0})


def test_blank_group_counts_in_everyone_as_its_own_group_and_is_said():
    rng = np.random.default_rng(3)
    rows = []
    for wave in (2024, 2025):
        for i in range(300):
            group = ["Staff", "Expert by experience", pd.NA][i % 3]
            rows.append({"wave": wave, "respondent_type": group, "answer": "Agree" if rng.random() < 0.6 else "Disagree"})
    table = pd.DataFrame(rows).astype({"respondent_type": "string"})
    answers = change.prepare_responses(table, item_column=None, item_name="q", value_column="answer",
                                       positive_column=None, id_column=None, respondent_column=None,
                                       weight_column=None, missing_reason_column=None,
                                       positive_levels=["Agree", "Strongly agree"])
    result = change.analyse_change(change.count_cells(answers), answers, threshold=10, group_order=GROUPS)
    res = result.results
    assert _row(res, group="all", wave=2025, test="pct_positive")["n"] == 300  # nobody drops out of everyone
    blank = _row(res, group=change.MISSING_GROUP, wave=2025, test="pct_positive")
    assert blank["n"] == 100
    assert result.groups == GROUPS  # shown, never compared
    assert _row(res, test="diff_groups")["group"] == "Staff vs Expert by experience"
    assert any(n.startswith("200 answer(s) had no group") for n in result.notes)


# --------------------------------------------------------------------------- aggregate data
def _orgs(rng: np.random.Generator, *, waves=(2021, 2022, 2023, 2024), n_orgs: int = 60, sd: float = 0.3,
          step: dict | None = None) -> pd.DataFrame:
    """Organisation-level rates: a stable organisation effect and size, wave-to-wave noise (sd), optional steps.

    Sizes stay put (within 5%): if they moved freely, the pooled rate would truly change with the
    mix of organisations even when none of them changed.
    """
    effect = rng.normal(0, 0.4, n_orgs)
    size = rng.integers(200, 2000, n_orgs)
    rows = []
    for wave in waves:
        shift = (step or {}).get(wave, 0.0)
        for org in range(n_orgs):
            base = int(size[org] * rng.uniform(0.95, 1.05))
            logit = -0.7 + effect[org] + shift + rng.normal(0, sd)
            rows.append({"org": f"O{org:03d}", "year": wave, "base": base,
                         "positives": int(rng.binomial(base, 1 / (1 + np.exp(-logit))))})
    return pd.DataFrame(rows)


def test_dispersion_inflates_intervals_by_its_square_root():
    table = _orgs(np.random.default_rng(4))
    cells, notes = change.cells_from_aggregate(table, wave_column="year", base_column="base",
                                               positives_column="positives", unit_column="org")
    est = change.estimate_cells(cells, threshold=10)
    row = est[(est["group"] == "all") & (est["wave"] == 2024)].iloc[0]
    phi = row["dispersion"]
    assert phi > 5  # organisation-by-wave noise far beyond binomial
    low, high = wilson_ci(row["positives"], row["base"])
    binomial = 100 * (float(high) - float(low))
    assert (row["ci_high"] - row["ci_low"]) / binomial == pytest.approx(np.sqrt(phi), rel=0.02)
    assert any("intra-organisation correlation" in n for n in notes)
    flat = change.cells_from_aggregate(table, wave_column="year", base_column="base",
                                       positives_column="positives", unit_column="org", overdispersion=False)[0]
    assert flat["dispersion"].isna().all() and (flat["effective_n"] == flat["base"]).all()


def test_panel_of_units_present_in_every_wave_sits_beside_everyone():
    table = _orgs(np.random.default_rng(5), n_orgs=30)
    table = table[~((table["org"] == "O001") & (table["year"] == 2022))]  # one organisation misses a wave
    cells, notes = change.cells_from_aggregate(table, wave_column="year", base_column="base",
                                               positives_column="positives", unit_column="org")
    panel = cells[cells["group"] == change.PANEL_GROUP]
    assert (panel["n_units"] == 29).all() and len(panel) == 4
    everyone = cells[cells["group"] == "all"].set_index("wave")
    assert everyone.loc[2024, "n_units"] == 30 and everyone.loc[2022, "n_units"] == 29
    kept = table[table["org"] != "O001"]
    assert panel.set_index("wave").loc[2024, "base"] == kept.loc[kept["year"] == 2024, "base"].sum()
    assert any("29 of 30 units" in n for n in notes)
    doubled = pd.concat([table, table.iloc[[0]]])
    with pytest.raises(InputFileError, match="more than once"):
        change.cells_from_aggregate(doubled, wave_column="year", base_column="base", positives_column="positives",
                                    unit_column="org")


def test_a_step_between_waves_is_described_as_a_step():
    table = _orgs(np.random.default_rng(6), sd=0.05, step={2023: -0.4, 2024: -0.4})
    cells, notes = change.cells_from_aggregate(table, wave_column="year", base_column="base",
                                               positives_column="positives", unit_column="org", item_name="q")
    res = change.analyse_change(cells, threshold=10, notes=notes).results
    check = _row(res, group="all", test="trend_linearity")
    assert check["p_value"] < 0.001 and "F =" in check["method"]
    steps = res[(res["group"] == "all") & (res["test"] == "diff_step")].set_index("wave")
    assert list(steps.index) == [2022, 2023, 2024]
    assert steps.loc[2023, "ci_high"] < -5 and steps.loc[2024, "ci_low"] < 0 < steps.loc[2024, "ci_high"]
    sentence = _row(change.change_sentences(res, threshold=10), group="all")["sentence"]
    assert "not a steady trend" in sentence and "2022 to 2023 down" in sentence
    assert "the odds of" not in sentence  # no linear trend is described


# --------------------------------------------------------------------------- the real Staff Survey file
@pytest.fixture(scope="module")
def staff_survey() -> tuple[pd.DataFrame, list[str], change.ChangeAnalysis]:
    if not STAFF_SURVEY_CSV.exists():
        pytest.skip(f"real NHS Staff Survey table not present at {STAFF_SURVEY_CSV}")
    table = pd.read_csv(STAFF_SURVEY_CSV)
    cells, notes = change.cells_from_aggregate(
        table, wave_column="Year", rate_column="Burned_out_rate", base_column="Burned_out_base",
        group_column="Benchmarking group", weighting_column="Weighting", unit_column="ODS code",
        item_name="burnout", source=STAFF_SURVEY_CSV)
    return cells, notes, change.analyse_change(cells, None, threshold=10, notes=notes)


@pytest.mark.shared
def test_staff_survey_overdispersion_is_estimated_and_used(staff_survey):
    cells, notes, result = staff_survey
    phi = float(_row(cells, group="all", wave=2024)["dispersion"])
    assert 2 < phi < 6  # within organisations, after their stable differences
    for group in ("all", change.PANEL_GROUP, "Acute and Acute & Community Trusts"):
        row = _row(result.results, group=group, wave=2024, test="pct_positive")
        low, high = wilson_ci(row["positives"], row["n"])
        ratio = (row["ci_high"] - row["ci_low"]) / (100 * (float(high) - float(low)))
        # "all" is standardised over the groups' own dispersions: about the pooled cell's.
        assert ratio == pytest.approx(np.sqrt(row["dispersion"]), rel=0.1 if group == "all" else 0.02)
        assert ratio > 1.4
    assert "extra-binomial" in _row(result.results, group=change.PANEL_GROUP, wave=2024,
                                    test="pct_positive")["method"]
    naive_mdd = float(change.minimum_detectable_difference(row["estimate"] / 100, row["n"], row["n"])[()])
    assert row["mdd_pp"] > 1.5 * naive_mdd


@pytest.mark.shared
def test_staff_survey_panel_step_and_weighting_break(staff_survey):
    _, notes, result = staff_survey
    res = result.results
    panel = res[(res["group"] == change.PANEL_GROUP) & (res["test"] == "pct_positive")]
    assert (panel["n_units"] == 218).all()
    trend = _row(res, group="all", test="trend_logit")
    assert "a step at 2022" in trend["method"]  # the weighting method changed from 2022
    check = _row(res, group="all", test="trend_linearity")
    assert check["p_value"] < 0.001
    sentences = change.change_sentences(res, threshold=10, outcome_phrase="reported feeling burnt out")
    for group in ("all", change.PANEL_GROUP):
        text = _row(sentences, group=group)["sentence"]
        assert "not a steady trend" in text and "2022 to 2023" in text and "the odds of" not in text


@pytest.mark.slow
def test_extra_binomial_variance_keeps_the_false_positive_rate_for_organisation_data():
    # No true change; organisations differ and wobble from wave to wave beyond binomial noise.
    rng = np.random.default_rng(11)
    frames = []
    for k in range(200):
        frames.append(_orgs(rng, waves=(2023, 2024), n_orgs=120, sd=0.08).assign(item=f"sim{k:03d}"))
    table = pd.concat(frames, ignore_index=True)
    rates = {}
    for use in (True, False):
        cells, _ = change.cells_from_aggregate(table, wave_column="year", base_column="base",
                                               positives_column="positives", unit_column="org", item_column="item",
                                               overdispersion=use)
        res = change.analyse_change(cells, threshold=10).results
        p = res.loc[(res["group"] == "all") & (res["test"] == "diff_previous"), "p_value"]
        rates[use] = float((p < 0.05).mean())
    assert 0.03 <= rates[True] <= 0.08, f"over-dispersed false-positive rate {rates[True]:.3f}"
    assert rates[False] > rates[True] + 0.15, f"binomial {rates[False]:.3f} vs over-dispersed {rates[True]:.3f}"
