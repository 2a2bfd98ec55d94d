"""Reader-facing tables: formatted numbers, suppressed cells, accessible HTML."""

from __future__ import annotations

import pandas as pd

from analysis.present import tables


def test_format_table_and_html_table():
    table = pd.DataFrame({"borough": ["Brent", "Harrow"], "respondents": pd.array([1234, pd.NA], dtype="Float64"),
                          "respondent_share": [0.1625, None], "ci_low": [0.1344, None], "ci_high": [0.1952, None],
                          "ratio": [1.016, None], "under_represented": [False, True]})
    shown = tables.format_table(
        table, {"borough": "Borough", "respondents": "Respondents", "respondent_share": "% of respondents",
                "interval": "95% interval", "ratio": "Ratio", "under_represented": "Under-represented"},
        counts=["respondents"], shares=["respondent_share"], ratios=["ratio"], flags=["under_represented"],
        intervals={"interval": ("ci_low", "ci_high")})
    assert list(shown.columns) == ["Borough", "Respondents", "% of respondents", "95% interval", "Ratio",
                                   "Under-represented"]
    assert shown.iloc[0].tolist() == ["Brent", "1,234", "16.2", "13.4 to 19.5", "1.02", ""]
    assert shown.iloc[1].tolist() == ["Harrow", "–", "–", "–", "–", "Yes"]
    html = tables.html_table(shown, "Representation by borough & more")
    assert "<caption>Representation by borough &amp; more</caption>" in html
    assert "<th>Borough</th>" in html and ">0<" not in html  # no index column
