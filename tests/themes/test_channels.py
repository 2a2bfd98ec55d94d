"""Themes of documents by channel, beside the survey share: words for small channels, the rule for counts."""

from __future__ import annotations

import pandas as pd

from analysis.present.disclosure import hes_2018_rule
from analysis.themes.channels import channel_sentences, channel_table


def _themes() -> pd.DataFrame:
    return pd.DataFrame({"theme_id": [18, 25, 30], "label": ["Out-of-hours support", "<script>x</script>", "Noise"],
                         "top_words": ["", "", ""], "excluded": [False, False, True],
                         "status": ["active", "candidate", "active"]})


def _themed() -> pd.DataFrame:
    rows = []
    # 9 interviews (under the threshold): 6 raise 18 (two passages each), 3 raise 25.
    for d in range(9):
        theme = 18 if d < 6 else 25
        rows += [{"question_id": "documents", "channel": "Interview", "document_id": f"i{d}",
                  "respondent_id": f"i{d}", "theme_id": theme, "excluded": False, "wave": 2025}] * 2
    # 20 written submissions: 12 raise 18, 3 raise 25, 5 the excluded theme.
    for d in range(20):
        theme = 18 if d < 12 else 25 if d < 15 else 30
        rows.append({"question_id": "documents", "channel": "Written submission", "document_id": f"w{d}",
                     "respondent_id": f"w{d}", "theme_id": theme, "excluded": theme == 30, "wave": 2025})
    # Survey, latest wave 2025: 100 respondents, 23 raise 18, 3 raise 25; the 2024 wave is not counted.
    for r in range(100):
        theme = 18 if r < 23 else 25 if r < 26 else -1
        rows.append({"question_id": "q", "channel": pd.NA, "document_id": pd.NA, "respondent_id": f"s{r}",
                     "theme_id": theme, "excluded": False, "wave": 2025})
    rows += [{"question_id": "q", "channel": pd.NA, "document_id": pd.NA, "respondent_id": f"old{r}",
              "theme_id": 18, "excluded": False, "wave": 2024} for r in range(50)]
    return pd.DataFrame(rows)


def test_small_channels_are_words_and_counts_under_the_threshold_are_never_printed():
    table = channel_table(_themed(), _themes(), document_question="documents", survey_questions=["q"],
                          threshold=10).set_index("theme_id")
    assert list(table.index) == [18, 25]  # ordered by documents raising the theme; the excluded theme is left out
    assert table.loc[18, "Interview"] == "most interviews"  # 6 of 9: a channel under the threshold gets words
    assert table.loc[25, "Interview"] == "some interviews"  # 3 of 9
    assert table.loc[18, "Written submission"] == "12 of 20 written submissions"
    assert table.loc[25, "Written submission"] == "fewer than 10 of 20 written submissions"  # 3 is never printed
    assert table.loc[18, "survey_n"] == 23 and abs(table.loc[18, "survey_pct"] - 0.23) < 1e-12
    assert pd.isna(table.loc[25, "survey_n"]) and pd.isna(table.loc[25, "survey_pct"])  # 3 survey respondents
    text = " ".join(str(v) for v in table.to_numpy().ravel())
    assert " 3 " not in f" {text} " and " 6 " not in f" {text} "


def test_a_rounding_rule_rounds_the_counts_and_the_share():
    table = channel_table(_themed(), _themes(), document_question="documents", survey_questions=["q"],
                          threshold=hes_2018_rule()).set_index("theme_id")
    assert table.loc[18, "Written submission"] == "10 of 20 written submissions"  # 12 rounds to 10
    assert table.loc[18, "survey_n"] == 25 and abs(table.loc[18, "survey_pct"] - 0.25) < 1e-12  # 23 -> 25 of 100


def test_sentences_keep_hostile_labels_as_text():
    table = channel_table(_themed(), _themes(), document_question="documents", survey_questions=["q"], threshold=10)
    sentences = channel_sentences(table)
    assert sentences[0] == ("'Out-of-hours support' was raised in most interviews, 12 of 20 written submissions, "
                            "and by 23% of survey respondents.")
    assert sentences[1] == ("'<script>x</script>' (a new candidate theme, not yet reviewed) was raised in some "
                            "interviews, fewer than 10 of 20 written submissions.")
