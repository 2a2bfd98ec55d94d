"""The HTML report: summary from recorded results, offline pages, accessibility basics."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from analysis.core import recording
from analysis.core.config import load_config
from analysis.report import build as report
from analysis.report import runner
from tests.report.test_runner import build_stub_project


class _Collector(HTMLParser):
    """Collects tags and attributes of a page for structural assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.tags


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    config, notebooks = build_stub_project(root)
    return runner.run_cycle(config, notebooks_dir=notebooks, progress=lambda _: None, self_contained=True)


# --------------------------------------------------------------------------- whole report
def test_every_page_is_offline_and_in_british_english(built):
    pages = sorted(built.glob("*.html"))
    assert len(pages) == 6  # index, single file, 2 notebooks x 2 audiences
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert report.remote_resources(html) == [], page.name
        assert '<html lang="en-GB">' in html, page.name
        assert 'class="skip-link" href="#content"' in html and 'id="content"' in html, page.name
        assert "require.min.js" not in html and "MathJax.js" not in html, page.name


def test_every_image_has_alt_text_and_is_embedded(built):
    for page in sorted(built.glob("*.html")):
        for tag, attrs in parse(page.read_text(encoding="utf-8")):
            if tag == "img":
                assert attrs.get("alt"), f"{page.name}: image without alt text"
                assert (attrs.get("src") or "").startswith("data:image/"), page.name
    reader = (built / "01_cleaning.html").read_text(encoding="utf-8")
    assert 'alt="Bar chart: Brent 120 respondents, Ealing 85."' in reader


def test_reader_hides_code_and_warnings_researcher_shows_them(built):
    reader = (built / "01_cleaning.html").read_text(encoding="utf-8")
    researcher = (built / "01_cleaning-with-code.html").read_text(encoding="utf-8")
    assert "recording.record" not in re.sub(r"<[^>]+>", "", reader)
    assert "recording" in re.sub(r"<[^>]+>", "", researcher) and "record" in researcher
    assert "a warning for researchers" not in reader
    assert "a warning for researchers" in researcher
    assert 'class="jp-InputPrompt' not in reader and "In&nbsp;[" not in reader
    # Links between the two versions and back to the summary.
    assert 'href="01_cleaning-with-code.html"' in reader and 'href="01_cleaning.html"' in researcher
    assert 'href="index.html"' in reader


def test_plotly_figures_render_from_embedded_library(built):
    html = (built / "03_change_over_time.html").read_text(encoding="utf-8")
    assert 'class="plotly-graph-div"' in html
    assert html.count("<!-- plotly-js:start -->") == 1  # the library once, inline
    assert "Plotly.newPlot" in html
    # plotly.js mentions its CDN (topojson for maps) but nothing is loaded from it.
    assert not re.search(r"""src=["']?https?://cdn\.plot\.ly""", html)


def test_numbers_in_tables_are_right_aligned(built):
    html = (built / "01_cleaning.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="num">120</td>', html)
    assert re.search(r"<td>Brent</td>", html)


def test_index_summary_links_and_methods(built):
    html = (built / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Executive summary" in text
    assert "61%" in text and "55% to 66%" in text  # headline with its interval
    assert "+13 points since 2023" in text and "clear change" in text
    assert "Real improvements (everyone): 61% answered positively in 2025" in text
    assert "02_themes" in text and "04_reach_and_actions" in text  # missing sections named
    assert "Synthetic example" in text
    assert "fewer than 10 people" in text and "Agree, Strongly agree" in text
    assert "Methods and assumptions" in text and "20" not in "" and "seed" in text.lower()
    hrefs = [a.get("href") for tag, a in parse(html) if tag == "a"]
    for href in hrefs:
        if href and not href.startswith(("#", "http")):
            assert (built / href).exists(), href
    ids = {a.get("id") for _, a in parse(html) if a.get("id")}
    for href in hrefs:
        if href and href.startswith("#"):
            assert href[1:] in ids, href
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["packages"]["pandas"] in text


def test_single_file_holds_summary_and_every_reader_section(built):
    html = (built / "stub-report.html").read_text(encoding="utf-8")
    assert 'id="nb-01_cleaning"' in html and 'id="nb-03_change_over_time"' in html
    assert "Executive summary" in html
    assert html.count("<h1") == 1  # notebook headings are demoted under the report's title
    ids = [a.get("id") for _, a in parse(html) if a.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert "plotly-graph-div" in html and "data:image/png;base64," in html


def test_pages_are_reproducible_across_runs(built, tmp_path):
    """The same inputs give byte-identical pages (times live in the manifest only)."""
    config, notebooks = build_stub_project(tmp_path, cycle="stub")
    again = runner.run_cycle(config, tmp_path / "again", notebooks_dir=notebooks, progress=lambda _: None)
    for name in ("01_cleaning.html", "03_change_over_time-with-code.html"):
        # Only the folders differ between the two runs (the config lives in each test's folder).
        first = (built / name).read_text(encoding="utf-8").replace(str(built), "OUT").replace(str(built.parents[1]), "ROOT")
        second = (again / name).read_text(encoding="utf-8").replace(str(again), "OUT").replace(str(tmp_path), "ROOT")
        assert first == second, name
    assert (built / "results" / "03_change_over_time.json").read_bytes() == \
        (again / "results" / "03_change_over_time.json").read_bytes()


# --------------------------------------------------------------------------- units
def test_remote_resources_detects_cdn_scripts_styles_and_module_imports(tmp_path):
    html = ('<script src="https://cdn.plot.ly/plotly.min.js"></script>'
            '<link rel="stylesheet" href="//fonts.example.org/a.css">'
            '<script type="module">import "https://cdn.example/x.js"</script>'
            '<a href="https://www.nhs.uk">fine: a link, not a resource</a><script>var x = 1;</script>')
    found = report.remote_resources(html)
    assert len(found) == 3
    (tmp_path / "page.html").write_text(html)
    with pytest.raises(report.ReportError, match="page.html"):
        report.assert_offline(tmp_path)
    (tmp_path / "page.html").write_text('<a href="https://www.nhs.uk">ok</a>')
    report.assert_offline(tmp_path)


def test_formatting_helpers():
    assert report.fmt_pct(45.55) == "46%" and report.fmt_pct(None) == "–" and report.fmt_pct(float("nan")) == "–"
    assert report.fmt_int(12345.0) == "12,345"
    assert report.fmt_interval(40.1, 50.3) == "40% to 50%"
    assert [report.fmt_points(v) for v in (4.6, -1.2, 0.2, 1.0)] == ["+5 points", "-1 point", "0 points", "+1 point"]


def test_align_numeric_columns():
    html = ("<table><thead><tr><th></th><th>group</th><th>n</th><th>pct</th></tr></thead><tbody>"
            "<tr><th>0</th><td>Staff</td><td>1,204</td><td>45.2%</td></tr>"
            "<tr><th>1</th><td>Carers</td><td>&lt;NA&gt;</td><td>12.0 (10.1 to 14.2)</td></tr></tbody></table>")
    out = report.align_numeric_columns(html)
    assert '<td class="num">1,204</td>' in out and '<td class="num">&lt;NA&gt;</td>' in out
    assert '<td class="num">12.0 (10.1 to 14.2)</td>' in out
    assert "<td>Staff</td>" in out
    assert '<th class="num">n</th>' in out and "<th>group</th>" in out


def test_prepare_notebook_for_readers():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("fig.show()", outputs=[nbformat.v4.new_output(
            "display_data", data={"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": [1], "y": [2]}],
                                                                     "layout": {}}, "text/plain": ["Figure"]})]),
        nbformat.v4.new_code_cell("warn()", outputs=[nbformat.v4.new_output("stream", name="stderr", text="careful")]),
        nbformat.v4.new_markdown_cell("## 1. Text"),
    ]
    reader, needs_plotly = report.prepare_notebook(nb, audience="reader", stem="09_x")
    assert needs_plotly
    assert [c.cell_type for c in reader.cells] == ["code", "markdown"]
    html = reader.cells[0].outputs[0]["data"]["text/html"]
    assert 'id="figure-09_x-1-0"' in html and "cdn" not in html
    researcher, _ = report.prepare_notebook(nb, audience="researcher", stem="09_x")
    assert len(researcher.cells) == 4
    assert nb.cells[1].outputs[0]["data"].get("application/vnd.plotly.v1+json")  # input left untouched


def _config(tmp_path: Path, previous: str | None = None):
    path, _ = build_stub_project(tmp_path, cycle="now", previous=previous)
    return load_config(path)


def test_summary_reads_flat_and_nested_shapes_and_escapes_text(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    recording.record(out, "02_themes", {
        "questions": {"make_better": {"share_non_answer": 0.12, "top_themes": [
            {"theme_id": 8, "label": "Feedback <script>alert(1)</script>", "n": 40, "pct": 21.5, "ci_low": 16.0,
             "ci_high": 27.9, "reviewed": True},
            {"theme_id": 101, "theme_label": "Travel costs", "people": 25, "pct": 13.4, "ci_low": 9.0, "ci_high": 19.0},
        ]}}})
    recording.record(out, "03_change_over_time", {"items": [
        {"item_id": "told_outcome", "pct": 35.5, "ci_low": 29.8, "ci_high": 41.6, "n": 238, "sentence": "Flat shape."}]})
    context = report.summary_context(out, config)
    assert context["missing"] == ["01_cleaning", "04_reach_and_actions"]
    assert context["cleaning"] is None and context["reach"] is None
    q = context["themes"][0]
    assert q["label"] == "Make involvement better" and q["non_answer_pct"] == pytest.approx(12.0)
    assert [t["label"] for t in q["themes"]][1] == "Travel costs" and q["themes"][1]["n"] == 25
    assert not q["themes"][1]["reviewed"]
    assert context["outcomes"][0]["sentence"] == "Flat shape."
    html = report.render_index(context, config=config, pages=[])
    assert "<script>alert(1)</script>" not in html
    assert "Feedback &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(not yet reviewed)" in html
    assert 'id="reach"' not in html  # section omitted, not broken


def test_comparison_with_previous_cycle(tmp_path):
    config = _config(tmp_path, previous="before")
    reports_dir = Path(config.outputs.reports_dir)
    before, now = reports_dir / "before", tmp_path / "build"
    themes_before = {"top_themes": {"make_better": [{"theme_id": 8, "label": "Feedback", "n": 30, "pct": 20},
                                                    {"theme_id": 9, "label": "Too late", "n": 20, "pct": 12}]}}
    themes_now = {"top_themes": {"make_better": [{"theme_id": 8, "label": "Feedback", "n": 30, "pct": 20},
                                                 {"theme_id": 104, "label": "Parking", "n": 15, "pct": 9}]}}
    recording.record(before, "02_themes", themes_before)
    recording.record(now, "02_themes", themes_now)
    recording.record(before, "03_change_over_time", {"items": {"told_outcome": {"all": {"pct_positive": 30.0}}}})
    recording.record(now, "03_change_over_time", {"items": {"told_outcome": {"all": {"pct_positive": 36.0}}}})
    recording.record(now, "04_reach_and_actions", {"actions_completed_since_previous": 3,
                                                   "progress_sentence": "Of 5 actions agreed in earlier cycles, 3 are now done."})
    previous = report.previous_results_dir(config)
    assert previous == before / "results"
    context = report.summary_context(now, config, previous_dir=previous)
    cmp = context["comparison"]
    assert cmp["outcomes"] == [{"label": "Told what happened", "now": 36.0, "before": 30.0, "diff": 6.0, "direction": "up"}]
    assert cmp["themes"] == {"new": ["Parking"], "continuing": ["Feedback"], "no_longer_raised": ["Too late"]}
    assert cmp["actions_completed"] == 3
    html = report.render_index(context, config=config, pages=[])
    assert "Since the previous cycle (before)" in html and "+6 points" in html

    # A lifecycle recorded by the theme registry wins over the comparison of leading themes.
    recording.record(now, "02_themes", {"lifecycle": {"new": [{"label": "Parking"}], "continuing": ["Feedback"],
                                                      "retired": ["Too late", "Jargon"]}})
    cmp = report.summary_context(now, config, previous_dir=previous)["comparison"]
    assert cmp["themes"]["no_longer_raised"] == ["Too late", "Jargon"]


def test_no_previous_cycle_means_no_comparison(tmp_path):
    config = _config(tmp_path, previous="never-run")
    assert report.previous_results_dir(config) is None
