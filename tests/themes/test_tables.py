"""Theme tables: Wilson intervals, suppression, quotes from safe groups, plain-English bands, change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from analysis.core import vocab
from analysis.stats.proportions import wilson_ci
from analysis.themes.tables import (
    PREVALENCE_BANDS,
    answer_summary,
    format_theme_table,
    prevalence_band,
    prevalence_change,
    select_quotes,
    theme_by_group,
    theme_sentences,
    theme_table,
    theme_trend,
)

THRESHOLD = 10


def _themes() -> pd.DataFrame:
    return pd.DataFrame({
        "theme_id": [3, 100, 101],
        "label": ["Feedback on what happened", "Travel costs", "Meeting times"],
        "top_words": ["feedback; told; outcome", "travel; expenses", "meetings; evening"],
        "reviewed": [False, True, False],
        "reviewer": [pd.NA, "AB", pd.NA],
        "reviewed_on": [pd.NA, "2025-11-20", pd.NA],
        "excluded": [False, False, False],
    })


def _themed(rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Messy comments: two boroughs big enough, one tiny borough, a missing borough, non-answers."""
    rng = rng or np.random.default_rng(7)
    plan = [  # (borough, respondent_type, theme, count)
        ("Brent", "Carer", 100, 14), ("Brent", "Carer", 3, 6), ("Brent", "Carer", vocab.OUTLIER_THEME_ID, 3),
        ("Ealing", "Resident", 3, 12), ("Ealing", "Resident", 101, 9), ("Ealing", "Resident", 100, 4),
        ("Harrow", "Carer", 100, 3), ("Harrow", "Carer", 101, 1),          # 4 people: a small group
        (pd.NA, "Resident", 3, 11),                                            # borough not recorded
        ("Brent", "Carer", vocab.NON_ANSWER_THEME_ID, 8), ("Ealing", "Resident", vocab.NON_ANSWER_THEME_ID, 5),
    ]
    rows, k = [], 0
    for borough, rtype, tid, count in plan:
        for _ in range(count):
            words = int(rng.integers(9, 40)) if tid > 0 else 1
            rows.append({
                "comment_id": f"c{k:03d}", "respondent_id": f"r{k:03d}", "question_id": "make_better",
                "wave": 2025, "borough": borough, "respondent_type": rtype, "theme_id": tid,
                "text": " ".join(f"word{k}x{j}" for j in range(words)), "n_words": words,
                "probability": float(rng.uniform(0.3, 0.8)) if tid > 0 else np.nan,
                "non_answer_kind": "nothing" if tid == vocab.NON_ANSWER_THEME_ID else pd.NA,
                "excluded": False,
            })
            k += 1
    frame = pd.DataFrame(rows)
    frame["borough"] = frame["borough"].astype("string")
    return frame


@pytest.mark.parametrize(
    ("pct", "index"),
    [(0.51, 0), (0.5001, 0), (0.5, 1), (0.25, 1), (0.2499, 2), (0.10, 2), (0.0999, 3), (0.0, 3), (1.0, 0)],
)
def test_prevalence_bands_edges(pct, index):
    assert prevalence_band(pct) == PREVALENCE_BANDS[index][2]


def test_prevalence_band_missing_is_none():
    assert prevalence_band(np.nan) is None and prevalence_band(None) is None


def test_theme_table_base_counts_and_wilson_intervals():
    themed = _themed()
    table = theme_table(themed, _themes(), question_id="make_better", threshold=THRESHOLD)
    substantive = themed[themed["theme_id"] != vocab.NON_ANSWER_THEME_ID]
    base = substantive["respondent_id"].nunique()
    assert (table["base"] == base).all()
    themes = table[table["row_type"] == "theme"]
    assert list(themes["theme_id"]) == [3, 100, 101]  # largest first (29, 21, 10)
    expected_n = substantive[substantive["theme_id"] > 0].groupby("theme_id")["respondent_id"].nunique()
    shown = themes[~themes["suppressed"]]
    assert shown.set_index("theme_id")["n"].astype(int).to_dict() == expected_n[[3, 100]].to_dict()
    low, high = wilson_ci(shown["n"].astype(float).to_numpy(), shown["base"].astype(float).to_numpy())
    np.testing.assert_allclose(shown["ci_low"].astype(float), low)
    np.testing.assert_allclose(shown["ci_high"].astype(float), high)
    # The 3 unassigned are hidden; the rows add up to the base, so the next smallest row (Meeting
    # times, 10) is hidden with them: 63 - 29 - 21 = 13 people in the two hidden rows, not 3.
    unassigned = table[table["row_type"] == "unassigned"]
    assert bool(unassigned["suppressed"].iloc[0]) and pd.isna(unassigned["n"].iloc[0])
    meeting = themes.set_index("theme_id").loc[101]
    assert meeting["suppressed"] and pd.isna(meeting["n"]) and pd.isna(meeting["pct"]) and pd.isna(meeting["band"])
    assert themes.set_index("theme_id").loc[100, "key_words"] == "travel, expenses"
    assert bool(themes.set_index("theme_id").loc[100, "reviewed"])
    assert shown["band"].notna().all()


def test_theme_table_never_shows_a_count_under_the_threshold():
    themed = _themed()
    themed.loc[themed.index[(themed["theme_id"] == 101)][:3], "theme_id"] = 102  # a theme of 3 people
    table = theme_table(themed, _themes(), question_id="make_better", threshold=THRESHOLD)
    n = table["n"].astype(float)
    assert not ((n > 0) & (n < THRESHOLD)).any()
    assert table.loc[table["theme_id"] == 102, "suppressed"].all()
    sentences = theme_sentences(table, question_label="What would make it better?")
    assert any("too few people to report" in s for s in sentences)
    assert not any("Theme 102" in s for s in sentences)


def test_respondent_with_two_comments_in_a_theme_counts_once():
    themed = _themed()
    extra = themed[themed["theme_id"] == 100].iloc[[0]].assign(comment_id="dup")
    table = theme_table(pd.concat([themed, extra]), _themes(), question_id="make_better", threshold=THRESHOLD)
    before = theme_table(themed, _themes(), question_id="make_better", threshold=THRESHOLD)
    assert table.loc[table["theme_id"] == 100, "n"].iloc[0] == before.loc[before["theme_id"] == 100, "n"].iloc[0]


def test_whole_table_suppressed_when_too_few_answered():
    themed = _themed()
    tiny = themed[themed["borough"] == "Harrow"]
    table = theme_table(tiny, _themes(), question_id="make_better", threshold=THRESHOLD)
    assert table["suppressed"].all()
    assert table[["n", "pct", "ci_low", "ci_high"]].isna().all().all()
    assert table["band"].isna().all()
    assert "Too few" in theme_sentences(table, question_label="What would make it better?")[0]


def test_by_borough_suppresses_small_groups_and_keeps_missing_as_not_recorded():
    table = theme_by_group(_themed(), _themes(), question_id="make_better", group_column="borough",
                           threshold=THRESHOLD)
    harrow = table[table["group"] == "Harrow"]
    assert harrow["suppressed"].all() and harrow[["n", "base", "pct", "ci_low"]].isna().all().all()
    brent = table[table["group"] == "Brent"].set_index("theme_id")
    assert brent.loc[100, "base"] == 23  # 14 + 6 + 3 outliers
    assert brent.loc[101, "n"] == 0 and not brent.loc[101, "suppressed"]  # zero cells are kept and shown
    # 6 raised theme 3 (hidden); with the 3 unassigned that is 9 people, which 23 - 14 would reveal,
    # so the 14 is hidden as well.
    assert brent.loc[[3, 100], "suppressed"].all() and brent.loc[[3, 100], "n"].isna().all()
    ealing = table[table["group"] == "Ealing"].set_index("theme_id")
    assert ealing.loc[3, "n"] == 12
    np.testing.assert_allclose(float(ealing.loc[3, "ci_low"]), wilson_ci(12, 25)[0])
    # Harrow's 4 could be worked out from the question's base (63) minus the other groups' bases,
    # so the next smallest group ("Not recorded", 11 people) is hidden too.
    assert "Not recorded" in set(table["group"])
    assert table.loc[table["group"] == "Not recorded", "base"].isna().all()
    n = table["n"].astype(float)
    assert not ((n > 0) & (n < THRESHOLD)).any()


def test_by_respondent_type_groups():
    table = theme_by_group(_themed(), _themes(), question_id="make_better", group_column="respondent_type",
                           threshold=THRESHOLD)
    assert set(table["group"]) == {"Carer", "Resident"}
    assert table.groupby("group")["base"].first().to_dict() == {"Carer": 27, "Resident": 36}
    # Two groups against the published theme table: a hidden cell in either group would be the theme's
    # count minus the other group's, so each theme is hidden in both or neither; here every theme has a
    # small cell (Carer 6 and 1, Resident 4 and 9).
    assert table["suppressed"].all()


def test_quotes_never_from_small_groups_and_within_length():
    themed = _themed()
    # Make the single most typical comment of theme 100 come from the tiny Harrow group.
    harrow = themed.index[(themed["borough"] == "Harrow") & (themed["theme_id"] == 100)][0]
    themed.loc[harrow, "probability"] = 0.99
    # and one very long comment that is also very typical
    long_idx = themed.index[(themed["borough"] == "Brent") & (themed["theme_id"] == 100)][0]
    themed.loc[long_idx, ["n_words", "probability"]] = [75, 0.98]
    quotes = select_quotes(themed, threshold=THRESHOLD, max_quotes=3)
    chosen = themed.set_index("comment_id").loc[quotes["comment_id"]]
    cells = themed.groupby(["respondent_type", "borough"], dropna=False)["respondent_id"].transform("nunique")
    sizes = dict(zip(themed["comment_id"], cells, strict=True))
    assert all(sizes[c] >= THRESHOLD for c in quotes["comment_id"])
    assert themed.loc[harrow, "comment_id"] not in set(quotes["comment_id"])
    assert themed.loc[long_idx, "comment_id"] not in set(quotes["comment_id"])
    assert chosen["n_words"].between(8, 60).all()
    assert (quotes.groupby("theme_id").size() <= 3).all()
    assert set(quotes["theme_id"]) == {3, 100, 101}


def test_theme_only_in_small_group_gets_no_quote():
    themed = _themed()
    themed.loc[(themed["borough"] == "Harrow") & (themed["theme_id"] == 101), "theme_id"] = 102
    quotes = select_quotes(themed, threshold=THRESHOLD)
    assert 102 not in set(quotes["theme_id"])


def test_no_quote_from_a_theme_raised_by_fewer_than_the_threshold():
    themed = _themed()
    # Nine people in the big Ealing group raise theme 101 there; with Harrow's one, ten in all.
    # Per question and wave the theme has 10 people: quotable. Move two of them to a new theme of 2.
    assert select_quotes(themed, threshold=THRESHOLD)["theme_id"].eq(101).any()
    moved = themed.index[(themed["theme_id"] == 101) & (themed["borough"] == "Ealing")][:2]
    themed.loc[moved, "theme_id"] = 104
    quotes = select_quotes(themed, threshold=THRESHOLD)
    assert not quotes["theme_id"].isin([101, 104]).any()  # 8 and 2 people: no quote from either


def test_quotes_prefer_typical_and_skip_near_duplicates():
    themed = _themed()
    idx = themed.index[themed["theme_id"] == 3][:3]
    same = "Nobody ever told us what happened after we gave our views at the meeting"
    themed.loc[idx[0], ["text", "probability"]] = [same, 0.95]
    themed.loc[idx[1], ["text", "probability"]] = [same + " again", 0.94]
    themed.loc[idx[2], ["text", "probability"]] = ["Feedback letters after each panel would show us the "
                                                   "difference our input made", 0.90]
    themed.loc[idx, "n_words"] = 14
    quotes = select_quotes(themed, threshold=THRESHOLD, max_quotes=2)
    q3 = quotes[quotes["theme_id"] == 3]
    assert list(q3["comment_id"]) == [themed.loc[idx[0], "comment_id"], themed.loc[idx[2], "comment_id"]]


def test_excluded_comments_give_no_quotes():
    themed = _themed()
    themed.loc[themed["theme_id"] == 101, "excluded"] = True
    assert 101 not in set(select_quotes(themed, threshold=THRESHOLD)["theme_id"])


def test_answer_summary_counts_non_answers_and_very_short():
    themed = _themed()
    non = themed.index[themed["theme_id"] == vocab.NON_ANSWER_THEME_ID]
    themed.loc[non[:4], "non_answer_kind"] = "very short"
    # a very short real answer the model placed in a theme: counted as very short, stays substantive
    placed = themed.index[themed["theme_id"] == 100][0]
    themed.loc[placed, ["non_answer_kind", "n_words"]] = ["very short", 2]
    summary = answer_summary(themed).set_index("question_id").loc["make_better"]
    assert summary["n_comments"] == len(themed)
    assert summary["n_non_answers"] == 13 and summary["n_very_short"] == 5
    assert summary["n_substantive"] == len(themed) - 13
    assert summary["share_non_answer"] == pytest.approx(13 / len(themed))
    table = theme_table(themed, _themes(), question_id="make_better", threshold=THRESHOLD)
    assert (table["base"] == summary["n_respondents_substantive"]).all()


def _two_waves() -> pd.DataFrame:
    rows = []
    for wave, n100, n3, other in ((2023, 20, 60, 20), (2025, 45, 40, 15)):
        k = 0
        for tid, count in ((100, n100), (3, n3), (vocab.OUTLIER_THEME_ID, other)):
            for _ in range(count):
                rows.append({"comment_id": f"{wave}-{k}", "respondent_id": f"{wave}-{k}", "question_id": "q",
                             "wave": wave, "theme_id": tid, "excluded": False})
                k += 1
    rows += [{"comment_id": "2021-0", "respondent_id": "2021-0", "question_id": "q", "wave": 2021,
              "theme_id": 100, "excluded": False}]  # a wave with one answer: suppressed
    return pd.DataFrame(rows)


def test_prevalence_change_matches_statsmodels_newcombe_and_z_test():
    trend = theme_trend(_two_waves(), _themes(), question_id="q", threshold=THRESHOLD)
    change = prevalence_change(trend, wave_from=2023, wave_to=2025, threshold=THRESHOLD).set_index("theme_id")
    low, high = confint_proportions_2indep(45, 100, 20, 100, method="newcomb", compare="diff")
    assert change.loc[100, "difference"] == pytest.approx(0.25)
    assert change.loc[100, "ci_low"] == pytest.approx(low) and change.loc[100, "ci_high"] == pytest.approx(high)
    # The p-value is the one that inverts the Newcombe interval (analysis.stats.comparisons), so it agrees with
    # the printed interval; here it sits within 1% of the pooled z-test's, as it should for these counts.
    _, p = proportions_ztest([45, 20], [100, 100])
    assert change.loc[100, "p_value"] == pytest.approx(p, rel=0.02)
    assert (change.loc[100, "p_value"] < 0.05) == (change.loc[100, "ci_low"] > 0)
    assert change.loc[100, "p_holm"] >= change.loc[100, "p_value"]
    assert change.loc[3, "difference"] == pytest.approx(-0.20)


def test_prevalence_change_suppressed_when_a_wave_is_small():
    trend = theme_trend(_two_waves(), _themes(), question_id="q", threshold=THRESHOLD)
    assert trend.loc[trend["wave"] == 2021, "suppressed"].all()
    change = prevalence_change(trend, wave_from=2021, wave_to=2025, threshold=THRESHOLD)
    assert change["suppressed"].all() and change["p_value"].isna().all()


def test_lifecycle_uses_reviewed_labels_and_skips_excluded_and_merged():
    from analysis.themes.tables import lifecycle

    status = pd.DataFrame({"theme_id": [3, 100, 101, 102, 90], "label": ["a", "b", "c", "d", "old"],
                           "status": ["continuing", "new", "new", "new", "no longer raised"]})
    themes = _themes().assign(excluded=[False, False, True])  # 102 was merged away: absent
    assert lifecycle(status, themes) == {"new": ["Travel costs"], "continuing": ["Feedback on what happened"],
                                         "no_longer_raised": ["old"]}


@pytest.mark.shared
@pytest.mark.slow
def test_real_fft_comments_tables_and_quotes_respect_small_groups():
    """Real NHS Friends and Family Test comments, themed by human coders (../shared)."""
    from tests.conftest import FFT_CSV

    if not FFT_CSV.exists():
        pytest.skip("real FFT data (../shared/data/fft_feedback) not available on this machine")
    raw = pd.read_csv(FFT_CSV)
    codes = list(raw.columns[raw.columns.get_loc("Not assigned") + 1:])
    codes = [c for c in codes if c != "Labelling not possible"]
    coded = raw[codes].fillna(0).astype(float).to_numpy() > 0
    text = raw["FFT answer"].astype("string").str.strip()
    n_words = text.fillna("").str.split().str.len().astype(int)
    theme = np.where(coded.any(axis=1), 100 + coded.argmax(axis=1), vocab.OUTLIER_THEME_ID)
    non_answer = text.isna() | (n_words < 3)
    themed = pd.DataFrame({
        "comment_id": raw["Comment ID"].astype(str), "respondent_id": raw["Comment ID"].astype(str),
        "question_id": "fft", "wave": pd.to_datetime(raw["Date"], dayfirst=True, errors="coerce").dt.year,
        "respondent_type": raw["Trust"], "borough": raw["Service type 1"].astype("string"),
        "theme_id": np.where(non_answer, vocab.NON_ANSWER_THEME_ID, theme),
        "text": text, "n_words": n_words, "probability": 1.0, "excluded": False,
        "non_answer_kind": np.where(non_answer, "very short", None),
    })
    themes = pd.DataFrame({"theme_id": [100 + i for i in range(len(codes))], "label": codes, "top_words": ""})
    table = theme_table(themed, themes, question_id="fft", threshold=THRESHOLD)
    base = themed.loc[~non_answer, "respondent_id"].nunique()
    assert (table["base"] == base).all()
    top = table[table["row_type"] == "theme"].iloc[0]
    assert top["n"] == (themed["theme_id"] == top["theme_id"]).sum()
    np.testing.assert_allclose(float(top["ci_low"]), wilson_ci(top["n"], base)[0])

    by = theme_by_group(themed, themes, question_id="fft", group_column="borough", threshold=THRESHOLD)
    small = themed[~non_answer].groupby("borough")["respondent_id"].nunique()
    small = set(small[small < THRESHOLD].index)
    assert small  # the real data has a service type with only a handful of comments
    assert small <= set(by.loc[by["base"].isna(), "group"])
    n = by["n"].astype(float)
    assert not ((n > 0) & (n < THRESHOLD)).any()
    assert (~by["suppressed"]).sum() > 20  # large services still show their themes

    quotes = select_quotes(themed, threshold=THRESHOLD, max_quotes=3, scope_columns=("question_id",))
    cells = themed.groupby(["respondent_type", "borough"], dropna=False)["respondent_id"].transform("nunique")
    cell_of = dict(zip(themed["comment_id"], cells, strict=True))
    assert len(quotes) > 20
    assert all(cell_of[c] >= THRESHOLD for c in quotes["comment_id"])
    theme_size = themed.groupby("theme_id")["respondent_id"].nunique()
    assert (quotes["theme_id"].map(theme_size) >= THRESHOLD).all()
    chosen = themed.set_index("comment_id").loc[quotes["comment_id"]]
    assert chosen["n_words"].between(8, 60).all()


def test_ground_truth_join_and_codebook_recovery():
    from analysis.themes.tables import codebook_recovery, ground_truth_labels

    themed = pd.DataFrame({"respondent_id": ["a", "a", "b", "c", "d"],
                           "question_id": ["q1", "q2", "q1", "q1", "q1"],
                           "theme_id": [5, 100, 5, -2, 7]}, index=[10, 11, 12, 13, 14])
    respondents = pd.DataFrame({"respondent_id": ["a", "b", "c", "d"], "source_file": ["in1", "in1", "in2", "in2"],
                                "source_row": [2, 3, 2, 9]})
    truth = pd.DataFrame({"file": ["one.csv", "one.csv", "one.csv", "two.csv", "two.csv"],
                          "row": [2, 2, 3, 2, 3], "question_id": ["q1", "q2", "q1", "q1", "q1"],
                          "theme_id": [5, 6, 7, -2, 5],
                          "row_status": ["kept", "kept", "kept", "kept", "kept"]})
    labels = ground_truth_labels(themed, respondents, truth, {"in1": "one.csv", "in2": "two.csv"})
    assert list(labels.index) == [10, 11, 12, 13, 14]
    assert labels.tolist()[:4] == [5, 6, 7, -2] and pd.isna(labels.iloc[4])  # d's row 9 has no truth
    rec = codebook_recovery(themed, labels).set_index("true_theme_id")
    assert rec.loc[5, "recovered"] == 1 and rec.loc[5, "recall"] == 1.0
    assert rec.loc[5, "precision"] == pytest.approx(0.5)  # theme 5 also holds b's planted-7 answer
    assert rec.loc[7, "recall"] == 0.0 and rec.loc[6, "recall"] == 0.0


def test_quality_sentences_cover_what_was_measured():
    from analysis.themes.tables import quality_sentences

    base = {"outlier_share": 0.05, "diversity": 0.9, "coherence_npmi": 0.1}
    assert len(quality_sentences(base)) == 3
    lines = quality_sentences({**base, "stability": {"second_seed": 2, "ari": 0.7, "nmi": 0.8}})
    assert "adjusted Rand index of 0.70" in lines[-1] and "seed 2" in lines[-1]


def test_quote_markdown_escapes_html_and_markup():
    from analysis.themes.tables import quote_markdown

    out = quote_markdown("Staff <b>never</b> *listened* to [NAME]\n  at all")
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert r"\*listened\*" in out and r"\[NAME\]" in out and "\n" not in out


def test_reader_table_never_rounds_a_share_across_its_band() -> None:
    # 9.62% is "a few (under 10%)": printed as a whole "10%" the number would contradict the words.
    table = pd.DataFrame({
        "label": ["Travel costs"], "key_words": ["bus; fares"], "n": [25], "pct": [0.0962],
        "ci_low": [0.066], "ci_high": [0.138], "band": ["a few (under 10%)"], "reviewed": [False],
        "row_type": ["theme"], "reviewer": [pd.NA], "reviewed_on": [pd.NA], "merged_from": [pd.NA],
        "split_note": [pd.NA],
    })
    shown = format_theme_table(table)
    assert shown.loc[0, "%"] == "9.6%" and shown.loc[0, "95% CI"] == "6.6% to 13.8%"
