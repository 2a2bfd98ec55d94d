"""The disclosure layer: primary and secondary suppression, linked tables, the HES rule, quotes.

The attack tests take the published tables of one report (built from a small, messy respondents
frame with a few small groups), try every subtraction a reader could do with one table or a pair
of them (base minus visible cells, row and column totals, the same field in two tables, a
question's theme table against its by-group and by-wave tables), and fail if any hidden count
comes out exactly. The same attack on primary-only suppression must succeed, so the test can fail.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
import pytest

from analysis.core import vocab
from analysis.present.disclosure import (
    CellSystem,
    DisclosureRule,
    disclosure_rule_text,
    hes_2018_rule,
    is_small,
    publish_counts,
    quote_allowed,
    round_counts,
    rule_from_config,
    suppress_partition,
    threshold_rule,
)
from analysis.reach import representation as reach
from analysis.themes import tables as tt

T = 10
PRIMARY_ONLY = DisclosureRule("threshold", threshold=T, secondary=False)
NOTHING_HIDDEN = DisclosureRule("threshold", threshold=1, secondary=False)


# --------------------------------------------------------------------------- primary
def test_primary_rule_hides_one_to_threshold_minus_one_and_keeps_zero():
    assert is_small([0, 1, 9, 10, 11, None], 10).tolist() == [False, True, True, False, False, True]
    system = CellSystem()
    ids = system.cells([0, 1, 9, 10, 250], "abcde")
    assert system.solve(PRIMARY_ONLY)[ids].tolist() == [False, True, True, False, False]


def test_cell_rejects_negative_or_missing_counts():
    with pytest.raises(ValueError, match="non-negative"):
        CellSystem().cell(-1, "x")
    with pytest.raises(ValueError, match="non-negative"):
        CellSystem().cell(float("nan"), "x")


def test_parts_larger_than_total_is_a_bug_not_a_silent_pass():
    system = CellSystem()
    parts = system.cells([5, 8], "ab")
    with pytest.raises(ValueError, match="more than their total"):
        system.add_sum(system.cell(10, "t"), parts)


# --------------------------------------------------------------------------- secondary within a table
def test_single_hidden_cell_gets_a_complement_the_next_smallest_non_zero():
    # 4 hidden alone would be 40 - 30 - 6 = 4; zeros never count as protection.
    assert suppress_partition([30, 4, 0, 0, 6], T).tolist() == [False, True, False, False, True]


def test_hidden_cells_that_together_are_a_small_number_get_another_complement():
    # 3 and 2 hidden: base minus the rest says "5 people" - still a small number.
    assert suppress_partition([100, 50, 3, 2, 40], T).tolist() == [False, False, True, True, True]
    # 3 and 12 hidden: together 15, and neither can be told apart.
    assert suppress_partition([100, 50, 3, 12, 40], T).tolist() == [False, False, True, True, False]


def test_two_way_table_rows_and_columns_and_no_cell_determined():
    rng = np.random.default_rng(3)
    grid = rng.integers(0, 30, size=(5, 4))
    grid[1, 2], grid[3, 0], grid[4, 3] = 2, 5, 1
    system = CellSystem()
    ids = np.array([[system.cell(v, (i, j)) for j, v in enumerate(row)] for i, row in enumerate(grid)])
    for i in range(grid.shape[0]):
        system.add_sum(system.cell(grid[i].sum(), ("row", i), fixed=True), ids[i])
    for j in range(grid.shape[1]):
        system.add_sum(system.cell(grid[:, j].sum(), ("col", j), fixed=True), ids[:, j])
    hidden = system.solve(T)
    shown = np.where(hidden[ids], np.nan, grid)
    assert not ((shown > 0) & (shown < T)).any()
    assert not system.determined(hidden).any()
    for axis in (0, 1):
        # Every row and column: no hidden cell alone, and hidden cells together not a small number.
        n_hidden = (hidden[ids] & (grid > 0)).sum(axis=axis)
        assert not (n_hidden == 1).any()
        hidden_sum = np.where(hidden[ids], grid, 0).sum(axis=axis)
        assert not ((hidden_sum > 0) & (hidden_sum < T)).any()


def test_rank_check_catches_a_leak_through_several_sums():
    # a + b = 20 (row), a + c = 12 (column), b + c = 14 (another sum): each sum has two hidden cells,
    # yet together they give a = 9. The exact check must see it.
    system = CellSystem()
    a, b, c = system.cells([9, 11, 3], "abc")
    for total, parts in ((20, (a, b)), (12, (a, c)), (14, (b, c))):
        system.add_sum(system.cell(total, ("t", total), fixed=True), parts)
    hidden = np.zeros(len(system.values), dtype=bool)
    hidden[[a, b, c]] = True
    assert system.determined(hidden)[[a, b, c]].all()


def test_linked_cells_are_hidden_together():
    system = CellSystem()
    eq = system.cells([40, 5, 12], ["eq-a", "eq-b", "eq-c"])
    rep = system.cells([38, 5, 12], ["rep-a", "rep-b", "rep-c"])
    for i, j in zip(eq, rep, strict=True):
        system.link((i, j))
    hidden = system.solve(T)
    assert hidden[eq].tolist() == hidden[rep].tolist() == [False, True, False]


# --------------------------------------------------------------------------- a small realistic report
def _respondents() -> pd.DataFrame:
    """A few hundred respondents: big and small boroughs, a small age band, people outside the
    area, answers not stated, a rare gender answer, a rare channel."""
    rng = np.random.default_rng(20251201)
    plan = {"Brent": 70, "Ealing": 64, "Harrow": 52, "Hillingdon": 7, "Hounslow": 13, "Westminster": 41,
            vocab.BOROUGH_OTHER: 6, None: 4}
    ages = list(vocab.AGE_BANDS)
    age_p = np.array([0.02, 0.16, 0.2, 0.2, 0.2, 0.17, 0.05])
    rows, i = [], 0
    for borough, n in plan.items():
        for _ in range(n):
            i += 1
            age = rng.choice(ages + [None], p=np.append(age_p * 0.97, 0.03))
            rows.append({
                "respondent_id": f"R{i:04d}", "borough": borough, "age_band": age,
                "ethnicity": rng.choice(list(vocab.ETHNICITY_GROUPS) + [vocab.NOT_STATED],
                                        p=[0.2, 0.12, 0.04, 0.6, 0.02, 0.02]),
                "gender": rng.choice(["Woman", "Man", "Non-binary or other", None], p=[0.58, 0.38, 0.015, 0.025]),
                "disability": rng.choice(["Yes", "No", None], p=[0.18, 0.78, 0.04]),
                "carer_status": rng.choice(["Yes", "No"], p=[0.25, 0.75]),
                "channel": rng.choice(["Survey", "Event", "Interview", "Written submission", None],
                                      p=[0.7, 0.17, 0.06, 0.02, 0.05]),
            })
    return pd.DataFrame(rows).astype({c: "string" for c in ("borough", "age_band", "ethnicity", "gender",
                                                            "disability", "carer_status", "channel")})


def _population() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    grid = pd.MultiIndex.from_product([["Brent", "Ealing", "Harrow", "Hillingdon", "Hounslow", "Westminster"],
                                       vocab.AGE_BANDS, vocab.ETHNICITY_GROUPS[:-1]],
                                      names=["borough", "age_band", "ethnicity"]).to_frame(index=False)
    grid["population"] = rng.integers(500, 5000, len(grid))
    return grid


def _reach(rule: DisclosureRule | int) -> dict[str, pd.DataFrame]:
    return reach.reach_tables(_respondents(), _population(), threshold=rule, ratio_threshold=0.8)


def _themed() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two waves of answers to one question: themes of 40 down to 3 people, unassigned, an excluded theme."""
    rng = np.random.default_rng(11)
    themes = pd.DataFrame({"theme_id": [1, 2, 3, 4, 5, 6, 100], "label": list("ABCDEFG"),
                           "top_words": "", "excluded": [False] * 6 + [True]})
    rows, k = [], 0
    for wave, sizes in ((2024, {1: 30, 2: 22, 3: 12, 4: 8, 5: 4, 6: 0, 100: 5, -1: 9, -2: 10}),
                        (2025, {1: 40, 2: 25, 3: 15, 4: 9, 5: 3, 6: 7, 100: 6, -1: 11, -2: 12})):
        for tid, n in sizes.items():
            for _ in range(n):
                k += 1
                rows.append({"comment_id": f"c{k}", "respondent_id": f"r{k}", "question_id": "q", "wave": wave,
                             "theme_id": tid, "excluded": tid == 100,
                             "respondent_type": rng.choice(["Staff", "Patient", "Carer"], p=[0.5, 0.4, 0.1]),
                             "borough": rng.choice(["Brent", "Ealing", "Harrow", "Hillingdon", None],
                                                   p=[0.4, 0.3, 0.2, 0.06, 0.04])})
    frame = pd.DataFrame(rows).astype({"borough": "string", "respondent_type": "string"})
    return frame, themes


def _themes_report(rule: DisclosureRule | int) -> dict[str, pd.DataFrame]:
    themed, themes = _themed()
    latest = themed[themed["wave"] == 2025]
    return tt.theme_tables(latest, themes, question_id="q", threshold=rule, themed=themed)


# --------------------------------------------------------------------------- the attacker
Cells = dict[tuple[str, Hashable], float]


def _reach_cells(tables: dict[str, pd.DataFrame], respondents: int) -> tuple[Cells, list]:
    """Every published number of the reach report, and every sum a reader can write with them."""
    cells: Cells = {("all", "respondents"): float(respondents)}
    sums = []
    one_way = {}
    for name, t in tables.items():
        if name.startswith("representation_"):
            keys = t.attrs["dimension"]
            key_of = [tuple(str(r[k]) for k in keys) for _, r in t.iterrows()]
            for key, v in zip(key_of, t["respondents"], strict=True):
                cells[(name, key)] = np.nan if pd.isna(v) else float(v)
            cells[(name, "base")] = float(t.attrs["base"])  # printed beside the table, with "did not state"
            not_stated = t.attrs["not_stated"]
            cells[(name, "not stated")] = np.nan if not_stated is None else float(not_stated)
            sums.append(((name, "base"), [(name, key) for key in key_of]))
            if len(keys) == 1:
                one_way[keys[0]] = name
        elif name == "equality_monitoring":
            for f, c, v in zip(t["field"], t["category"], t["respondents"], strict=True):
                cells[(name, (str(f), str(c)))] = np.nan if pd.isna(v) else float(v)
            for f in t["field"].unique():
                sums.append((("all", "respondents"), [(name, (str(f), str(c)))
                                                      for c in t.loc[t["field"] == f, "category"]]))
        elif name == "responses_by_channel":
            for c, v in zip(t["channel"], t["respondents"], strict=True):
                cells[(name, str(c))] = np.nan if pd.isna(v) else float(v)
            sums.append((("all", "respondents"), [(name, str(c)) for c in t["channel"]]))
    # Pairs of tables: a cross against its one-way margins, equality monitoring against representation.
    for name, t in tables.items():
        keys = t.attrs.get("dimension") or []
        if len(keys) == 2:
            for pos, key in enumerate(keys):
                if key not in one_way:
                    continue
                for value in t[key].astype(str).unique():
                    parts = [(name, k) for (n, k) in cells if n == name and k != "base" and k[pos] == value]
                    sums.append(((one_way[key], (value,)), parts))
    for field_name, name in one_way.items():
        for (n, k) in list(cells):
            if n == "equality_monitoring" and k[0] == field_name and (name, (k[1],)) in cells:
                sums.append((("equality_monitoring", k), [(name, (k[1],))]))
            if n == "equality_monitoring" and k == (field_name, vocab.NOT_STATED):
                sums.append((("equality_monitoring", k), [(name, "not stated")]))
        # All respondents = base + did not state (+ people outside the area, when there are none).
        sums.append((("all", "respondents"), [(name, "base"), (name, "not stated")]))
    return cells, sums


def _theme_cells(tables: dict[str, pd.DataFrame]) -> tuple[Cells, list]:
    """Every published number of a question's theme tables, and the sums a reader can write."""
    cells: Cells = {}
    sums = []
    t = tables["table"]
    keys = [str(tid) if rt == "theme" else rt for tid, rt in zip(t["theme_id"], t["row_type"], strict=True)]
    for key, v in zip(keys, t["n"], strict=True):
        cells[("table", key)] = np.nan if pd.isna(v) else float(v)
    cells[("table", "base")] = float(t["base"].iloc[0])
    sums.append((("table", "base"), [("table", k) for k in keys]))
    for name, by in tables.items():
        if name == "table":
            continue
        group = "wave" if name == "by_wave" else "group"
        for g, part in by.groupby(by[group].astype(str)):
            cells[(name, (g, "base"))] = np.nan if pd.isna(part["base"].iloc[0]) else float(part["base"].iloc[0])
            for tid, v in zip(part["theme_id"], part["n"], strict=True):
                cells[(name, (g, str(tid)))] = np.nan if pd.isna(v) else float(v)
            # A group's theme counts, if nobody in it was unassigned or excluded, make up its base.
            sums.append(((name, (g, "base")), [(name, (g, str(tid))) for tid in part["theme_id"]]))
        groups = by[group].astype(str).unique()
        if name == "by_wave":
            latest = "2025"
            sums.append((("table", "base"), [(name, (latest, "base"))]))
            for tid in by["theme_id"].unique():
                if ("table", str(tid)) in cells:
                    sums.append((("table", str(tid)), [(name, (latest, str(tid)))]))
        else:
            sums.append((("table", "base"), [(name, (g, "base")) for g in groups]))
            for tid in by["theme_id"].unique():
                if ("table", str(tid)) in cells:
                    sums.append((("table", str(tid)), [(name, (g, str(tid))) for g in groups]))
    return cells, sums


def _attack(published: Cells, truth: Cells, sums: list, threshold: int) -> list[str]:
    """Subtractions that give a hidden count exactly, or hidden counts that together are a small number."""
    leaks = []
    for total, parts in sums:
        members = [total, *parts]
        hidden = [m for m in members if np.isnan(published[m])]
        if not hidden:
            continue
        if np.isnan(published[total]):
            if len(hidden) == 1 and truth[total] > 0 and sum(published[p] for p in parts) == truth[total]:
                leaks.append(f"{total} = sum of {parts}")
            continue
        residual = published[total] - sum(published[p] for p in parts if not np.isnan(published[p]))
        true_hidden = [truth[p] for p in hidden]
        if residual != sum(true_hidden):
            continue  # the reader's sum is not exact (e.g. people who did not state the other field)
        nonzero = [p for p, v in zip(hidden, true_hidden, strict=True) if v > 0]
        if len(nonzero) == 1:
            leaks.append(f"{nonzero[0]} = {total} minus the shown cells = {residual:.0f}")
        elif 0 < residual < threshold:
            leaks.append(f"hidden cells of {total} together are {residual:.0f} people")
    return leaks


def test_attack_on_the_reach_report_recovers_nothing():
    n = len(_respondents())
    published, sums = _reach_cells(_reach(T), n)
    truth, _ = _reach_cells(_reach(NOTHING_HIDDEN), n)
    assert any(np.isnan(v) for v in published.values())  # there is something to protect
    assert _attack(published, truth, sums, T) == []


def test_attack_on_primary_only_suppression_succeeds():
    """The attack is real: with primary suppression only (the old behaviour) it recovers cells."""
    n = len(_respondents())
    published, sums = _reach_cells(_reach(PRIMARY_ONLY), n)
    truth, _ = _reach_cells(_reach(NOTHING_HIDDEN), n)
    assert _attack(published, truth, sums, T)
    themes_published, theme_sums = _theme_cells(_themes_report(PRIMARY_ONLY))
    themes_truth, _ = _theme_cells(_themes_report(NOTHING_HIDDEN))
    assert _attack(themes_published, themes_truth, theme_sums, T)


def test_attack_on_a_questions_theme_tables_recovers_nothing():
    tables = _themes_report(T)
    published, sums = _theme_cells(tables)
    truth, _ = _theme_cells(_themes_report(NOTHING_HIDDEN))
    assert any(np.isnan(v) for v in published.values())
    assert _attack(published, truth, sums, T) == []
    for t in tables.values():
        n = t["n"].astype(float)
        assert not ((n > 0) & (n < T)).any()


def test_equality_and_representation_hide_the_same_categories_of_a_field():
    tables = _reach(T)
    eq = tables["equality_monitoring"]
    for field_name in ("age_band", "ethnicity"):
        rep = tables[f"representation_{field_name}"]
        hidden_rep = set(rep.loc[rep["suppressed"], field_name].astype(str))
        in_rep = set(rep[field_name].astype(str))
        part = eq[(eq["field"] == field_name) & eq["category"].isin(in_rep)]
        assert set(part.loc[part["suppressed"], "category"].astype(str)) == hidden_rep


def test_linking_closes_the_equality_versus_age_table_gap():
    """The issue's case: equality monitoring hides 75+ (4 people) and, as its complement, 16-24 (10);
    the age table (whose benchmark has no 75+ band) publishes 16-24 = 10, so 75+ = all - the rest."""
    ages = {"25-34": 40, "35-44": 30, "16-24": 10, "75+": 4}
    rows = [{"borough": "Brent", "age_band": a} for a, n in ages.items() for _ in range(n)]
    rows += [{"borough": "Brent", "age_band": None}] * 12
    resp = pd.DataFrame(rows).assign(respondent_id=lambda f: [f"R{i}" for i in range(len(f))]).astype(
        {"borough": "string", "age_band": "string"})
    population = pd.DataFrame({"borough": "Brent", "age_band": ["25-34", "35-44", "16-24"], "ethnicity": "White",
                               "population": [4000, 3000, 1000]})
    eq_alone = reach.equality_summary(resp, threshold=T, fields=("age_band",)).set_index("category")
    rep_alone = reach.representation(resp, population, "age_band", threshold=T, ratio_threshold=0.8)
    assert eq_alone.loc["16-24", "suppressed"] and not rep_alone["suppressed"].any()  # the old mismatch
    linked = reach.reach_tables(resp, population, threshold=T, ratio_threshold=0.8, crosses=(),
                                dimensions=("age_band",), equality_fields=("age_band",), channel_column=None)
    eq = linked["equality_monitoring"].set_index("category")
    rep = linked["representation_age_band"].set_index("age_band")
    assert set(rep.index[rep["suppressed"]]) == {"16-24", "35-44"}
    # and "Not stated" too: the age table's base (80 = 16-24 + 35-44 + 25-34) against equality's total
    # would otherwise still give 75+ = 96 - 40 - 12 - (80 - 40).
    assert set(eq.index[eq["suppressed"]]) == {"16-24", "35-44", "75+", vocab.NOT_STATED}
    assert rep.attrs["not_stated"] is None


def test_reach_tables_with_no_respondents_or_no_benchmark():
    empty = pd.DataFrame(columns=["respondent_id", "borough", "channel", *reach.EQUALITY_FIELDS]).astype("string")
    out = reach.reach_tables(empty, _population(), threshold=T, ratio_threshold=0.8)
    assert out["representation_borough"]["respondents"].fillna(0).eq(0).all()
    assert not out["equality_monitoring"]["suppressed"].any()
    no_benchmark = reach.reach_tables(_respondents(), None, threshold=T, ratio_threshold=0.8)
    assert set(no_benchmark) == {"equality_monitoring", "responses_by_channel"}


def test_base_note_hides_a_small_not_stated_count():
    resp = _respondents()
    table = reach.reach_tables(resp, _population(), threshold=T, ratio_threshold=0.8)["representation_borough"]
    assert table.attrs["not_stated"] is None  # 4 with no borough
    assert "too few to show" in reach.base_note(table, "Borough")
    age = reach.reach_tables(resp, _population(), threshold=T, ratio_threshold=0.8)["representation_age_band"]
    if age.attrs["not_stated"] is not None:
        assert f"({age.attrs['not_stated']:,} did not" in reach.base_note(age, "Age band")


def test_linked_tables_keep_percentages_consistent_with_published_counts():
    for name, t in _reach(T).items():
        shown = t.loc[~t["suppressed"]]
        hidden = t.loc[t["suppressed"]]
        value = "respondent_share" if "respondent_share" in t else "pct"
        assert hidden[["respondents", value]].isna().all().all(), name
        if name.startswith("representation_"):
            np.testing.assert_allclose(shown["respondent_share"].astype(float),
                                       shown["respondents"].astype(float) / t.attrs["base"])


# --------------------------------------------------------------------------- HES 2018
def test_hes_rule_hides_one_to_seven_and_rounds_the_rest_to_five():
    rule = hes_2018_rule()
    counts = [0, 1, 7, 8, 9, 12, 13, 17, 18, 102]
    assert is_small(counts, rule).tolist() == [False, True, True] + [False] * 7
    shown = publish_counts(counts, is_small(counts, rule), rule)
    assert shown.isna().tolist() == [False, True, True] + [False] * 7
    assert shown.dropna().tolist() == [0, 10, 10, 10, 15, 15, 20, 100]
    assert round_counts([2.5, 7.5], rule).tolist() == [5, 10]  # halves go up


def test_hes_rule_needs_no_secondary_suppression_and_percentages_use_rounded_figures():
    rule = hes_2018_rule()
    system = CellSystem()
    ids = system.cells([30, 4, 0, 6], "abcd")
    system.add_sum(system.cell(40, "t", fixed=True), ids)
    assert system.solve(rule)[ids].tolist() == [False, True, False, True]  # 6 is hidden by the rule itself
    respondents = pd.DataFrame({"respondent_id": range(63), "gender": ["Woman"] * 37 + ["Man"] * 22 + [None] * 4})
    eq = reach.equality_summary(respondents, threshold=rule, fields=("gender",)).set_index("category")
    assert eq.loc["Woman", "respondents"] == 35 and eq.loc["Man", "respondents"] == 20
    assert pd.isna(eq.loc[vocab.NOT_STATED, "respondents"])
    assert eq.loc["Woman", "pct"] == pytest.approx(100 * 35 / 65)  # 63 is published as 65
    assert eq.loc["Non-binary or other", "respondents"] == 0


def test_hes_rule_in_theme_tables_rounds_counts_and_intervals():
    tables = _themes_report(hes_2018_rule())
    t = tables["table"]
    shown = t.loc[~t["suppressed"]]
    assert (shown["n"].astype(float) % 5 == 0).all() and (t["base"].astype(float) % 5 == 0).all()
    np.testing.assert_allclose(shown["pct"].astype(float), shown["n"].astype(float) / shown["base"].astype(float))
    assert t.loc[t["suppressed"], "n"].isna().all()


# --------------------------------------------------------------------------- quotes and wording
def test_quote_policy_needs_both_theme_and_group_at_the_threshold():
    allowed = quote_allowed([9, 10, 40, 40], [50, 50, 9, 10], T)
    assert allowed.tolist() == [False, True, False, True]
    assert quote_allowed([8], [8], hes_2018_rule(quote_threshold=5)).tolist() == [True]  # HES floor is 8
    assert hes_2018_rule(quote_threshold=5).quote_threshold == 8


def test_quotes_of_the_report_come_only_from_themes_of_ten_or_more():
    themed, _ = _themed()
    latest = themed[themed["wave"] == 2025].assign(text=lambda f: [f"answer {i} " + "word " * 10 for i in
                                                                   range(len(f))], n_words=12, probability=0.5)
    quotes = tt.select_quotes(latest, threshold=T, cell_columns=())
    size = latest.groupby("theme_id")["respondent_id"].nunique()
    assert len(quotes) and (quotes["theme_id"].map(size) >= T).all()
    assert not quotes["theme_id"].isin([4, 5, 6]).any()  # 9, 3 and 7 people


def test_rule_text_states_the_rule_as_implemented():
    text = disclosure_rule_text(12)
    assert "1 to 11 people" in text and "fewer than 12" in text and "at least 12 people" in text
    hes = disclosure_rule_text(hes_2018_rule(quote_threshold=10))
    assert "1 to 7 people" in hes and "nearest 5" in hes and "rounded figures" in hes
    assert "Hospital Episode Statistics in 2018" in hes


def test_rule_from_config_reads_the_disclosure_field(tmp_path, example_config_dict):
    from analysis.core.config import load_config
    from tests.conftest import write_config

    default = load_config(write_config(tmp_path, example_config_dict))
    assert rule_from_config(default) == threshold_rule(example_config_dict["suppression_threshold"])
    hes = load_config(write_config(tmp_path, {**example_config_dict, "disclosure_rule": "hes_2018"}, "hes.yaml"))
    assert rule_from_config(hes).name == "hes_2018" and rule_from_config(hes).rounding == 5
    assert "Hospital Episode Statistics" in disclosure_rule_text(hes)
    from analysis.core.errors import ConfigError

    with pytest.raises(ConfigError):
        load_config(write_config(tmp_path, {**example_config_dict, "disclosure_rule": "round5"}, "bad.yaml"))


def test_cleaning_summary_by_wave_and_group_has_secondary_suppression():
    from analysis.clean.summary import responses_by_wave_and_group

    respondents = pd.DataFrame({"dataset": "survey", "wave": [2024] * 57 + [2025] * 40,
                                "respondent_type": ["Staff"] * 30 + ["Carer"] * 4 + ["Patient"] * 23
                                + ["Staff"] * 25 + ["Patient"] * 15})
    out = responses_by_wave_and_group(respondents, T).set_index(["wave", "group"])
    # 2024: the 4 carers could be worked out from the wave's 57 respondents, so the 23 patients are hidden too.
    assert out.loc[[(2024, "Carer"), (2024, "Patient")], "suppressed"].all()
    assert out.loc[(2024, "Staff"), "respondents"] == 30
    assert not out.loc[2025, "suppressed"].any()
