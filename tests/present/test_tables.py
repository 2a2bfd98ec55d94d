"""Reader-facing tables: one renderer, human headers, formatted and aligned numbers, escaped text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core import paths
from analysis.present import tables
from analysis.report.build import content_security_policy, live_content, sanitise_html


class _Cells(HTMLParser):
    """Rows of (tag, class, text) for every th/td of a table, plus the caption."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str, str]]] = []
        self.caption = ""
        self._cell: list | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = [tag, dict(attrs).get("class") or "", ""]
        elif tag == "caption":
            self._in_caption = True
        elif self._cell is not None:
            raise AssertionError(f"markup inside a cell: <{tag}>")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data
        elif self._in_caption:
            self.caption += data


def cells(markup: str) -> _Cells:
    parser = _Cells()
    parser.feed(markup)
    parser.close()
    return parser


def texts(markup: str) -> list[list[str]]:
    return [[text for _, _, text in row] for row in cells(markup).rows]


# A table as notebooks hold them: filtered (so the index has gaps), nullable dtypes with missing values,
# respondents' text, paths, and the pandas 3 string dtype.
@pytest.fixture
def messy() -> pd.DataFrame:
    frame = pd.DataFrame({
        "theme_id": pd.array([3, 7, 12, 40], dtype="Int64"),
        "label": pd.array(["Waiting <b>times</b>", "Parking & access", pd.NA, "=HYPERLINK(\"x\")"], dtype="string"),
        "n_respondents": pd.array([1234, 15, pd.NA, 1_000_000], dtype="Int64"),
        "pct_positive": [45.25, 3.0, np.nan, 99.95],
        "respondent_share": [0.1625, 0.05, None, 1.0],
        "reviewed": pd.array([True, False, pd.NA, True], dtype="boolean"),
        "wave": [2024, 2024, 2025, 2025],
        "source_file": [paths.REPO_ROOT / "data" / "raw" / "example" / "survey.csv",
                        Path("/home/analyst/private/export.csv"), None, Path("config/example.yaml")],
    }, index=[2, 5, 9, 11])
    return frame


def test_index_is_dropped_unless_it_is_named(messy):
    markup = tables.render_table(messy)
    rows = texts(markup)
    assert rows[0][0] == "Theme ID"  # the first column is the data's, not the index
    assert all(row[0] not in {"2", "5", "9", "11"} for row in rows[1:])
    named = messy.set_index("wave")
    assert texts(tables.render_table(named))[0][0] == "Wave"
    grouped = messy.groupby("wave")["n_respondents"].sum()
    assert texts(tables.render_table(grouped)) == [["Wave", "Number of respondents"], ["2024", "1,249"],
                                                   ["2025", "1,000,000"]]
    labelled = pd.DataFrame({"people": [4, 5]}, index=["Brent", "Ealing"])
    assert [row[0] for row in texts(tables.render_table(labelled))] == ["", "Brent", "Ealing"]  # labels are kept


def test_missing_values_are_blank_never_na_nan_or_none(messy):
    markup = tables.render_table(messy, formats={"pct_positive": "percent", "respondent_share": "share"})
    missing_row = texts(markup)[3]
    assert missing_row == ["12", "", "", "", "", "", "2025", ""]
    for word in ("<NA>", "&lt;NA&gt;", "nan", "NaN", "None", "NaT"):
        assert word not in markup
    dates = pd.DataFrame({"updated": pd.to_datetime(["2025-03-01", None])})
    assert texts(tables.render_table(dates))[1:] == [["2025-03-01"], [""]]
    assert texts(tables.render_table(messy[["label"]], missing="–"))[3] == ["–"]


def test_booleans_read_yes_or_no(messy):
    rows = texts(tables.render_table(messy[["reviewed"]]))
    assert [r[0] for r in rows[1:]] == ["Yes", "No", "", "Yes"]
    plain = pd.DataFrame({"balanced": [True, False], "flag": np.array([True, False], dtype=object)})
    assert texts(tables.render_table(plain))[1:] == [["Yes", "Yes"], ["No", "No"]]
    assert "True" not in tables.render_table(plain) and "False" not in tables.render_table(plain)


def test_paths_are_relative_to_the_repository_never_absolute(messy):
    markup = tables.render_table(messy[["source_file"]])
    assert [r[0] for r in texts(markup)[1:]] == ["data/raw/example/survey.csv", "export.csv", "",
                                                 "config/example.yaml"]
    assert str(paths.REPO_ROOT) not in markup and "/home/analyst" not in markup and "PosixPath" not in markup
    # Paths inside a settings cell, and a path already turned into text.
    settings = pd.DataFrame({"setting": ["model", "cache"],
                             "value": [{"path": paths.REPO_ROOT / "models" / "mini"}, str(paths.REPO_ROOT / "cache")]})
    markup = tables.render_table(settings)
    assert texts(markup)[1:] == [["model", "path: models/mini"], ["cache", "cache"]]
    assert str(paths.REPO_ROOT) not in markup


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</td></tr></table><a href='javascript:alert(1)'>x</a>",
    "Tom & Jerry \"quoted\" 'single'",
    '<a href="http://evil.example">NHS login</a>',
])
def test_hostile_text_is_escaped_in_cells_headers_and_caption(hostile):
    frame = pd.DataFrame({hostile: [hostile, "fine"], "people": [10, 20]})
    markup = tables.render_table(frame, caption=hostile)
    parsed = cells(markup)
    assert parsed.caption == hostile
    assert parsed.rows[0][0][2] == hostile and parsed.rows[1][0][2] == hostile  # reads as typed
    assert "<script" not in markup and "<img" not in markup and "<a " not in markup
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f'content="{content_security_policy()}"></head><body>{markup}</body></html>')
    assert live_content(page) == []
    # Through the old entry points too.
    shown = tables.format_table(frame, {hostile: "Label", "people": "People"}, counts=["people"])
    assert cells(tables.html_table(shown, "Labels")).rows[1][0][2] == hostile


def test_numeric_columns_carry_the_alignment_class_on_header_and_cells(messy):
    markup = tables.render_table(messy, formats={"pct_positive": "percent"})
    classes = {header: [row[j][1] for row in cells(markup).rows]
               for j, header in enumerate(texts(markup)[0])}
    for numeric in ("Number of respondents", "% positive", "Respondent share"):
        assert set(classes[numeric]) == {"num"}, numeric
    for text in ("Theme ID", "Label", "Reviewed", "Wave", "Source file"):
        assert set(classes[text]) == {""}, text
    # The page sanitiser keeps the renderer's markup: the classes and scopes reach the page.
    assert texts(sanitise_html(markup)) == texts(markup)
    assert [[c for _, c, _ in row] for row in cells(sanitise_html(markup)).rows] == \
        [[c for _, c, _ in row] for row in cells(markup).rows]
    assert sanitise_html(markup).count('scope="col"') == 8
    # Formatted text from format_table keeps its alignment through html_table.
    shown = tables.format_table(messy, {"label": "Theme", "n_respondents": "People", "respondent_share": "Share",
                                        "interval": "95% interval"},
                                counts=["n_respondents"], shares=["respondent_share"],
                                intervals={"interval": ("respondent_share", "respondent_share")})
    row = cells(tables.html_table(shown, "x")).rows[1]
    assert [tag for tag, _, _ in row] == ["td"] * 4 and [cls for _, cls, _ in row] == ["", "num", "num", "num"]


def test_human_headers_keep_acronyms_and_mapping_wins():
    assert tables.human_header("theme_id") == "Theme ID"
    assert tables.human_header("nhs_number_count") == "NHS number count"
    assert tables.human_header("ci_low") == "CI low"
    assert tables.human_header("mdd_pp") == "MDD points"
    assert tables.human_header("pct_missing") == "% missing"
    assert tables.human_header("n_comments") == "Number of comments"
    assert tables.human_header("p_bh") == "P BH"
    assert tables.human_header("described as") == "Described as"
    for kept in ("95% CI", "Rows read", "2024", "n", "p", "Already Words", "simultaneous 95% CI"):
        assert tables.human_header(kept) == kept
    frame = pd.DataFrame({"service_line": ["Adult mental health"], "icb_code": ["QMJ"], "rows": [3]})
    assert texts(tables.render_table(frame, columns={"rows": "Rows kept"}))[0] == ["Service line", "ICB code",
                                                                                  "Rows kept"]
    with pytest.raises(KeyError, match="no column 'missing'"):
        tables.render_table(frame, columns={"missing": "Missing"})


def test_numbers_have_thousands_separators_and_chosen_decimals(messy):
    markup = tables.render_table(messy, formats={"pct_positive": "percent:0", "respondent_share": "share:1"})
    rows = texts(markup)
    by = dict(zip(rows[0], zip(*rows[1:], strict=True), strict=True))
    assert by["Number of respondents"] == ("1,234", "15", "", "1,000,000")
    assert by["% positive"] == ("45%", "3%", "", "100%")
    assert by["Respondent share"] == ("16.2%", "5.0%", "", "100.0%")
    assert by["Wave"] == ("2024", "2024", "2025", "2025")  # a wave is a label: no "2,024"
    floats = pd.DataFrame({"ratio": [1.016, 12345.678], "p_value": [0.00049, 0.5], "count": [1200.0, np.nan]})
    rows = texts(tables.render_table(floats, formats={"p_value": "number:3"}))
    assert rows[1:] == [["1.02", "0.000", "1,200"], ["12,345.68", "0.500", ""]]
    with pytest.raises(ValueError, match="unknown table format"):
        tables.render_table(floats, formats={"ratio": "money"})


def test_format_table_and_html_table():
    table = pd.DataFrame({"borough": ["Brent", "Harrow"], "respondents": pd.array([1234, pd.NA], dtype="Float64"),
                          "respondent_share": [0.1625, None], "ci_low": [0.1344, None], "ci_high": [0.1952, None],
                          "ratio": [1.016, None], "under_represented": [False, True]}, index=[4, 8])
    shown = tables.format_table(
        table, {"borough": "Borough", "respondents": "Respondents", "respondent_share": "% of respondents",
                "interval": "95% interval", "ratio": "Ratio", "under_represented": "Under-represented"},
        counts=["respondents"], shares=["respondent_share"], ratios=["ratio"], flags=["under_represented"],
        intervals={"interval": ("ci_low", "ci_high")})
    assert list(shown.columns) == ["Borough", "Respondents", "% of respondents", "95% interval", "Ratio",
                                   "Under-represented"]
    assert shown.iloc[0].tolist() == ["Brent", "1,234", "16.2%", "13.4% to 19.5%", "1.02", "No"]
    assert shown.iloc[1].tolist() == ["Harrow", "–", "–", "–", "–", "Yes"]  # hidden values read "–"
    html = tables.html_table(shown, "Representation by borough & more")
    assert "<caption>Representation by borough &amp; more</caption>" in html
    assert texts(html)[0][0] == "Borough" and len(texts(html)[1]) == 6  # no index column
    assert html._repr_html_() == str(html)  # display(html) shows the table


def test_suppressed_text_in_a_number_column_is_shown_not_guessed():
    frame = pd.DataFrame({"people": [12, "suppressed", None]})
    assert [r[0] for r in texts(tables.render_table(frame, formats={"people": "integer"}))[1:]] == \
        ["12", "suppressed", ""]
    assert re.search(r'<td class="num">suppressed</td>', tables.render_table(frame, formats={"people": "integer"}))
