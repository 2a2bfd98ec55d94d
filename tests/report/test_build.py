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
from analysis.core.errors import UserError
from analysis.report import build as report
from analysis.report import runner
from tests.core.test_results import example_results
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
@pytest.mark.slow
def test_every_page_is_offline_and_in_british_english(built):
    pages = sorted(built.glob("*.html"))
    assert len(pages) == 6  # index, single file, 2 notebooks x 2 audiences
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert report.remote_resources(html) == [], page.name
        assert '<html lang="en-GB">' in html, page.name
        assert 'class="skip-link" href="#content"' in html and 'id="content"' in html, page.name
        assert "require.min.js" not in html and "MathJax.js" not in html, page.name


@pytest.mark.slow
def test_every_image_has_alt_text_and_is_embedded(built):
    for page in sorted(built.glob("*.html")):
        for tag, attrs in parse(page.read_text(encoding="utf-8")):
            if tag == "img":
                assert attrs.get("alt"), f"{page.name}: image without alt text"
                assert (attrs.get("src") or "").startswith("data:image/"), page.name
    reader = (built / "01_cleaning.html").read_text(encoding="utf-8")
    assert 'alt="Bar chart: Brent 120 respondents, Ealing 85."' in reader


@pytest.mark.slow
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


@pytest.mark.slow
def test_plotly_figures_render_from_embedded_library(built):
    html = (built / "03_change_over_time.html").read_text(encoding="utf-8")
    assert 'class="plotly-graph-div"' in html
    assert html.count("<!-- plotly-js:start -->") == 1  # the library once, inline
    assert "Plotly.newPlot" in html
    # plotly.js mentions its CDN (topojson for maps) but nothing is loaded from it.
    assert not re.search(r"""src=["']?https?://cdn\.plot\.ly""", html)


@pytest.mark.slow
def test_numbers_in_tables_are_right_aligned_by_the_renderer(built):
    """Alignment comes from the table renderer's class on th and td; nothing reads the HTML back to guess."""
    index = (built / "index.html").read_text(encoding="utf-8")
    assert '<th class="num" scope="col">People answering</th>' in index
    assert '<td class="num">240</td>' in index and '<td class="num">61%</td>' in index
    assert '<th scope="row">Real improvements</th>' in index  # each row's label is its header
    assert '<table class="report-data">' in index and "report-table" not in index.split("</style>")[-1]
    # A plain pandas display (the stub's last line) is not realigned by the build any more.
    reader = (built / "01_cleaning.html").read_text(encoding="utf-8")
    assert re.search(r"<td>120</td>", reader) and 'class="num"' not in reader.split("</style>")[-1]


@pytest.mark.slow
def test_index_summary_links_and_methods(built):
    html = (built / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Executive summary" in text
    assert "61%" in text and "55% to 66%" in text  # headline with its interval
    assert "+13 points since 2023" in text and "clear change" in text
    # The first key finding: the clear change, its number and its interval (the recorded sentence, with its
    # statistics, stays on the change-over-time page).
    assert "Real improvements: 61% answered positively in 2025, up 13 points since 2023; 95% interval 7 to 19" in text
    assert "Real improvements (everyone): 61% answered positively in 2025" not in text
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


@pytest.mark.slow
def test_single_file_holds_summary_and_every_reader_section(built):
    html = (built / "stub-report.html").read_text(encoding="utf-8")
    assert 'id="nb-01_cleaning"' in html and 'id="nb-03_change_over_time"' in html
    assert "Executive summary" in html
    assert html.count("<h1") == 1  # notebook headings are demoted under the report's title
    ids = [a.get("id") for _, a in parse(html) if a.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert "plotly-graph-div" in html and "data:image/png;base64," in html


@pytest.mark.slow
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
    report.assert_offline(tmp_path, inert=False)  # a link is not a resource...
    with pytest.raises(report.ReportError, match="live link"):
        report.assert_offline(tmp_path)  # ...but the pages show addresses as text, never as links


def test_formatting_helpers():
    assert report.fmt_pct(45.55) == "46%" and report.fmt_pct(None) == "–" and report.fmt_pct(float("nan")) == "–"
    assert report.fmt_int(12345.0) == "12,345"
    assert report.fmt_interval(40.1, 50.3) == "40% to 50%"
    assert [report.fmt_points(v) for v in (4.6, -1.2, 0.2, 1.0)] == ["+5 points", "-1 point", "0 points", "+1 point"]


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


def _config(tmp_path: Path, previous: str | None = None, standards: dict | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path, _ = build_stub_project(tmp_path, cycle="now", previous=previous)
    if standards is not None:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["standards"] = standards
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def _themes(**questions: list[dict]) -> dict:
    """02 results with the given leading themes per question (the example's other figures)."""
    rec = example_results("02_themes")
    template = rec["questions"]["works_well"]
    rec["questions"] = {q: {**template, "top_themes": [
        {"band": "a minority (10% to 25%)", "ci_low": 0.0, "ci_high": 100.0, "reviewed": False, "reviewer": None,
         "reviewed_on": None, **t} for t in themes]} for q, themes in questions.items()}
    return rec


def _change(**pct_all: float) -> dict:
    """03 results with everyone's latest % positive per item."""
    rec = example_results("03_change_over_time")
    entry = rec["items"]["told_outcome"]["all"]
    rec["items"] = {item: {"all": {**entry, "pct_positive": pct}} for item, pct in pct_all.items()}
    rec["sentences"] = [{"item": item, "group": "all", "sentence": f"Sentence for {item}."} for item in pct_all]
    return rec


def test_summary_reads_the_recorded_results_and_escapes_text(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    themes = _themes(make_better=[
        {"theme_id": 8, "label": "Feedback <script>alert(1)</script>", "n": 40, "pct": 21.5, "ci_low": 16.0,
         "ci_high": 27.9, "reviewed": True, "reviewer": "AB", "reviewed_on": "2025-11-21"},
        {"theme_id": 101, "label": "Travel costs", "n": 25, "pct": 13.4, "ci_low": 9.0, "ci_high": 19.0}])
    themes["questions"]["make_better"]["non_answer_share"] = 0.12
    recording.record(out, "02_themes", themes)
    recording.record(out, "03_change_over_time", _change(told_outcome=35.5))
    context = report.summary_context(out, config)
    assert context["missing"] == ["01_cleaning", "04_reach_and_actions"]
    assert context["cleaning"] is None and context["reach"] is None
    q = context["themes"][0]
    # Shares are recorded 0..1 and shown as percentages.
    assert q["label"] == "Make involvement better" and q["non_answer_pct"] == pytest.approx(12.0)
    assert [t["label"] for t in q["themes"]][1] == "Travel costs" and q["themes"][1]["n"] == 25
    assert not q["themes"][1]["reviewed"]
    assert context["outcomes"][0]["sentence"] == "Sentence for told_outcome."
    assert context["outcomes"][0]["pct"] == 35.5
    html = report.render_index(context, config=config, pages=[])
    assert "<script>alert(1)</script>" not in html
    assert "Feedback &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(not yet reviewed)" in html
    assert 'id="reach"' not in html  # section omitted, not broken


def test_summary_refuses_results_off_the_contract(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    path = out / "results" / "02_themes.json"
    path.parent.mkdir(parents=True)
    # The old shape, read "defensively" before the contract: now a clear error naming the file and field.
    path.write_text(json.dumps({"top_themes": {"make_better": [{"theme_id": 8, "label": "Feedback", "pct": 0.2}]}}))
    with pytest.raises(UserError, match=r"(?s)02_themes\.json.*\n  top_themes: Extra inputs"):
        report.summary_context(out, config)


def test_comparison_with_previous_cycle(tmp_path):
    config = _config(tmp_path, previous="before")
    reports_dir = Path(config.outputs.reports_dir)
    before, now = reports_dir / "before", tmp_path / "build"
    themes_before = _themes(make_better=[{"theme_id": 8, "label": "Feedback", "n": 30, "pct": 20},
                                         {"theme_id": 9, "label": "Too late", "n": 20, "pct": 12}])
    themes_now = _themes(make_better=[{"theme_id": 8, "label": "Feedback", "n": 30, "pct": 20},
                                      {"theme_id": 104, "label": "Parking", "n": 15, "pct": 9}])
    # The registry's statuses decide what is new, continuing or no longer raised.
    themes_now["lifecycle"] = {"new": ["Parking"], "continuing": ["Feedback"], "no_longer_raised": ["Too late"]}
    recording.record(before, "02_themes", themes_before)
    recording.record(now, "02_themes", themes_now)
    recording.record(before, "03_change_over_time", _change(told_outcome=30.0))
    recording.record(now, "03_change_over_time", _change(told_outcome=36.0))
    reach = example_results("04_reach_and_actions")
    reach.update(actions_completed_since_previous=3,
                 progress_sentence="Of 5 actions agreed in earlier cycles, 3 are now done.")
    recording.record(now, "04_reach_and_actions", reach)
    previous = report.previous_results_dir(config)
    assert previous == before / "results"
    context = report.summary_context(now, config, previous_dir=previous)
    cmp = context["comparison"]
    assert cmp["outcomes"] == [{"label": "Told what happened", "now": 36.0, "before": 30.0, "diff": 6.0, "direction": "up"}]
    assert cmp["themes"] == {"new": ["Parking"], "continuing": ["Feedback"], "no_longer_raised": ["Too late"]}
    assert cmp["actions_completed"] == 3
    html = report.render_index(context, config=config, pages=[])
    assert "Since the previous cycle (before)" in html and "+6 points" in html


def test_no_previous_cycle_means_no_comparison(tmp_path):
    config = _config(tmp_path, previous="never-run")
    assert report.previous_results_dir(config) is None


# --------------------------------------------------------------------------- escape by default
#: Payloads as they could arrive in a review label, codebook, config or action log.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "[click me](javascript:alert(1))",
    '<meta http-equiv="refresh" content="0;url=http://evil.example">',
    '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
    '<a href="http://evil.example/phish">NHS login</a>',
    "[NHS login](http://evil.example/phish) and <https://evil.example/auto>",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<form action=\"http://evil.example\"><button>Submit</button></form>",
    "<style>body{display:none}</style><link rel=stylesheet href=\"http://evil.example/x.css\">",
    "<svg onload=alert(1)><a xlink:href=\"javascript:alert(1)\">s</a></svg>",
    "<a href=\" jav&#x09;ascript:alert(1)\">tabbed scheme</a>",
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]

#: 02 results whose leading theme labels the stub notebook replaces with hostile text.
HOSTILE_THEMES = _themes(make_better=[
    {"theme_id": 8, "label": "x", "n": 40, "pct": 21.5, "ci_low": 16.0, "ci_high": 27.9, "reviewed": True,
     "reviewer": "AB", "reviewed_on": "2025-11-21"},
    {"theme_id": 9, "label": "y", "n": 25, "pct": 13.4, "ci_low": 9.0, "ci_high": 19.0}])

HOSTILE_CELLS = [
    "# 02 · Themes (hostile stub)\n\nA label typed by an analyst: <script>alert('cell')</script> "
    "and [a link](javascript:alert('cell')).",
    ("code", f"""\
        import pandas as pd
        import plotly.express as px
        from IPython.display import HTML, Javascript, Markdown, display
        from analysis.core.config import load_config
        from analysis.present.tables import html_table
        config = load_config(config_path)
        hostile = {HOSTILE!r}
        for text in hostile:
            display(Markdown(f"Reviewed label: {{text}}"))
        display(Markdown(f"**Cycle:** {{config.title}}; **question:** {{config.question_bank.items[0].short_label}}"))
        display(HTML("<table><tr><td>" + "</td></tr><tr><td>".join(hostile) + "</td></tr></table>"))
        display(HTML(html_table(pd.DataFrame({{"label": hostile, "people": range(10, 10 + len(hostile))}}), "Labels")))
        display(Javascript("alert('js-output')"))
        from analysis.core import recording
        themes = {HOSTILE_THEMES!r}
        for theme, label in zip(themes["questions"]["make_better"]["top_themes"], (hostile[0], hostile[3])):
            theme["label"] = label
        recording.record(output_dir, "02_themes", themes)
        display(HTML("<script>alert('forged')</script>"), metadata={{"analysis_report_figure": {{"script_sha256": []}}}})
        fig = px.bar(x=hostile[:3] + ['<a href="http://evil.example">linked bar</a>'], y=[1, 2, 3, 4],
                     title="<a href='http://evil.example'>Figure</a> <script>alert(2)</script>")
        fig.show()
        pd.DataFrame({{"label": hostile}})"""),
]


def _visible_text(html: str) -> str:
    """The text a reader sees (scripts and styles left out)."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style", "title")

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style", "title")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.fixture(scope="module")
def hostile_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stub report with a notebook whose outputs carry every payload, and a hostile config."""
    import yaml

    from tests.report.test_runner import make_notebook

    root = tmp_path_factory.mktemp("hostile")
    config_path, notebooks = build_stub_project(root, cycle="hostile")
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["title"] = "Cycle <script>alert('title')</script>"
    data["organisation"] = "<img src=x onerror=alert(1)> NHS Trust"
    data["question_bank"]["items"][0]["short_label"] = "[Real](javascript:alert(1)) <b onmouseover=alert(1)>improvements</b>"
    config_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    make_notebook(notebooks / "02_themes.ipynb", HOSTILE_CELLS)
    return runner.run_cycle(config_path, notebooks_dir=notebooks, progress=lambda _: None, self_contained=True)


@pytest.mark.slow
def test_hostile_text_reaches_no_page_as_live_content(hostile_built):
    pages = sorted(hostile_built.glob("*.html"))
    assert len(pages) == 8
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert report.live_content(html) == [], page.name
        assert report.remote_resources(html) == [], page.name
    report.assert_inert(hostile_built)


@pytest.mark.slow
def test_hostile_text_reads_as_the_text_it_was(hostile_built):
    for name in ("02_themes.html", "02_themes-with-code.html", "hostile-report.html"):
        html = (hostile_built / name).read_text(encoding="utf-8")
        text = _visible_text(html)
        for payload in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                        '<meta http-equiv="refresh" content="0;url=http://evil.example">',
                        "<style>body{display:none}</style>", '=HYPERLINK("http://evil.example","x")'):
            assert f"Reviewed label: {payload}" in text, (name, payload)
        assert "<script>alert('forged')</script>" in text  # a forged "trusted figure" mark is ignored
        # JavaScript outputs never reach a page (the researcher page shows the code that made one, as text).
        assert not any("js-output" in js for js in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S))
        assert name != "02_themes.html" or "js-output" not in html
        # Links: javascript:/data: dropped (text kept), http(s) shown as text, never linked.
        assert "Reviewed label: click me" in text and "data link" in text
        assert "Reviewed label: NHS login (http://evil.example/phish) and https://evil.example/auto" in text
        hrefs = [a.get("href") or "" for tag, a in parse(html) if "href" in a]
        assert hrefs and not [h for h in hrefs if not re.fullmatch(r"#[^\s\"<>]+|[\w.-]+\.(?:html|json)(#[\w-]*)?", h)], name
        # The notebook's own Markdown cell is sanitised the same way.
        assert "<script>alert('cell')</script>" in text
    researcher = (hostile_built / "02_themes-with-code.html").read_text(encoding="utf-8")
    assert "display(Javascript(" in _visible_text(researcher)  # the code is shown, as code


@pytest.mark.slow
def test_hostile_config_text_is_escaped_in_every_page(hostile_built):
    for page in sorted(hostile_built.glob("*.html")):
        text = _visible_text(page.read_text(encoding="utf-8"))
        assert "<img src=x onerror=alert(1)> NHS Trust" in text, page.name
    for name in ("index.html", "hostile-report.html"):
        summary = _visible_text((hostile_built / name).read_text(encoding="utf-8"))
        assert "Cycle <script>alert('title')</script>" in summary, name
        # A reviewed theme label recorded for the summary reads as typed.
        assert "<script>alert(1)</script>" in summary and "[click me](javascript:alert(1))" in summary, name


@pytest.mark.slow
def test_every_page_carries_a_policy_allowing_only_its_own_scripts(hostile_built):
    for page in sorted(hostile_built.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        policies = [a["content"] for tag, a in parse(html)
                    if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(policies) == 1, page.name
        policy = policies[0]
        assert "default-src 'none'" in policy and "base-uri 'none'" in policy and "form-action 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "unsafe-eval" not in policy
        assert "<script" not in html or html.index("Content-Security-Policy") < html.index("<script"), page.name
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
        allowed = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", policy)
        assert sorted(report.script_hash(s) for s in set(scripts)) == sorted(allowed), page.name
        if page.name.startswith(("01_", "index")):
            assert "script-src 'none'" in policy and not scripts
    figure_page = (hostile_built / "02_themes.html").read_text(encoding="utf-8")
    assert figure_page.count('class="plotly-graph-div"') == 1
    figure_script = next(s for s in re.findall(r"<script\b[^>]*>(.*?)</script>", figure_page, re.S)
                         if s.strip().startswith("window.PLOTLYENV"))
    assert "linked bar" in figure_script and "evil.example" not in figure_script  # links out of figure text
    assert "\\u003cscript\\u003e" in figure_script and "<script>alert" not in figure_script  # JSON escaped


def test_live_content_finds_every_payload_in_a_raw_page():
    """The checker itself: each payload pasted raw into a page is found (so a passing page means something)."""
    policy = report.content_security_policy()
    clean = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
             f'content="{policy}"><style>p {{ color: red; }}</style></head><body>BODY</body></html>')
    assert report.live_content(clean.replace("BODY", '<p><a href="#top">top</a> <a href="02_themes.html#x">page</a> '
                                             '<img src="data:image/png;base64,iVBORw0KGgo=" alt="chart"></p>')) == []
    live = [p for p in HOSTILE if p.startswith("<") or p.startswith("[")][:12]
    for payload in live:
        if payload.startswith("["):  # Markdown: the raw page would carry the link nbconvert makes of it
            payload = '<a href="javascript:alert(1)">click me</a>'
        assert report.live_content(clean.replace("BODY", payload)), payload
    assert report.live_content("<html><head></head><body>no policy</body></html>") == [
        "no Content-Security-Policy meta tag"]
    loose = clean.replace("script-src 'none'", "script-src 'unsafe-inline'")
    assert any("allows more than hashed scripts" in f for f in report.live_content(loose.replace("BODY", "")))
    assert any("style" in f for f in report.live_content(clean.replace("BODY", '<p style="background:url(//x)">p</p>')))


def test_scripts_run_only_when_the_policy_lists_their_hash():
    script = "window.ready = 1;"
    page = report._with_policy(f'<html><head><meta charset="utf-8"></head><body><script>{script}</script></body></html>',
                               [report.script_hash(script), report.script_hash("unused")])
    assert report.live_content(page) == []
    assert report.script_hash("unused") not in page  # only scripts present are listed
    tampered = page.replace(script, script + " alert(1);")
    assert any("not allowed by the page's policy" in f for f in report.live_content(tampered))
    with pytest.raises(report.ReportError, match="did not make"):
        report._with_policy("<html><head></head><body><script>alert(1)</script></body></html>", [])


def test_sanitise_html_keeps_report_markup_and_makes_links_inert():
    table = ('<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th>group</th></tr></thead>'
             '<tbody><tr><td colspan="2">&lt;NA&gt;</td></tr></tbody></table>')
    assert report.sanitise_html(table) == table
    heading = '<h2 id="1.-Counts">1. Counts<a class="anchor-link" href="#1.-Counts">¶</a></h2>'
    assert report.sanitise_html(heading) == heading
    assert report.sanitise_html('<a href="https://www.nhs.uk">NHS</a>') == \
        '<span class="external-link">NHS</span> (https://www.nhs.uk)'
    assert report.sanitise_html('<a href="https://www.nhs.uk">https://www.nhs.uk</a>') == "https://www.nhs.uk"
    assert report.sanitise_html('<a href="../../etc/passwd">x</a>') == "<a>x</a>"
    assert report.sanitise_html('<img src="http://evil.example/t.png" alt="tracker">') == "[image: tracker]"
    assert report.sanitise_html("<div><style scoped>.dataframe { color: red }</style><p>x</p></div>") == \
        "<div><p>x</p></div>"


@pytest.mark.slow
def test_renderer_tables_keep_their_alignment_through_the_sanitiser(hostile_built):
    html = (hostile_built / "02_themes.html").read_text(encoding="utf-8")
    assert '<th scope="col">Label</th><th class="num" scope="col">People</th>' in html
    assert '<td class="num">10</td>' in html and '<table class="report-data">' in html


# --------------------------------------------------------------------------- front page counts
def _key_figures(html: str) -> list[tuple[str, str]]:
    """(value, label) of every key figure on the summary, in page order."""
    block = html.split('<ul class="key-figures"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<span class="figure-value">(.*?)</span><span class="figure-label">(.*?)</span>', block)


def _cleaning_results(by_wave: list[dict], tables: dict[str, int] | None = None) -> dict:
    """A complete 01_cleaning record (the results contract refuses partial ones)."""
    return {"cycle": "now", "rows_read": 3176, "rows_kept": 3070, "rows_rejected": 42, "duplicates_removed": 64,
            "reconciled": True, "reconciliation": [], "redactions": {}, "rejects_by_reason": [],
            "respondents_by_wave": by_wave, "tables": tables or {}, "demo_key": False}


def _reach_results(**overrides) -> dict:
    """A complete 04_reach_and_actions record, shaped as the example's."""
    rec = {"cycle": "now", "reach_datasets": ["engagement_survey"], "ratio_threshold": 0.8, "activities": 69,
           "participants": 1653, "respondents": 600, "boroughs_with_activity": 8, "boroughs_in_benchmark": 8,
           "responses_by_channel": [], "under_represented": [
               {"dimension": "borough", "group": "Hillingdon", "respondent_share": 0.06, "population_share": 0.14,
                "ratio": 0.42, "ratio_low": 0.30, "ratio_high": 0.58, "suppressed": False}],
           "reach_sentences": [], "actions_total": 26,
           "actions_by_status": {"Done": 14, "In progress": 6, "Not possible": 2, "Planned": 4},
           "action_statuses": [], "leading_themes": [], "themes_without_action": [], "coverage_sentences": [],
           "progress_sentence": "No earlier actions.", "actions_completed_since_previous": 0,
           "you_said_we_did": [
               {"action_id": "YSWD-2024-10", "theme": "Changed service design", "status": "Done", "reason": None,
                "you_said": "Let patients help redesign the appointment letters.", "we_did": "Letters redesigned."},
               {"action_id": "YSWD-2024-12", "theme": "Shaping staff recruitment", "status": "Not possible",
                "you_said": "Put experts by experience on more interview panels.",
                "we_did": "Lived-experience panel member for all band 7 and above posts.",
                "reason": "HR policy requires trained panel members; training funded for band 8 only."},
               {"action_id": "YSWD-2025-08", "theme": "<img src=x onerror=alert(1)>", "status": "Not possible",
                "you_said": "Respite is <script>alert(1)</script> impossible to get.", "we_did": "Extra respite beds.",
                "reason": None}]}
    rec.update(overrides)
    return rec


def _example_shaped_results(out: Path) -> None:
    """Recorded results shaped as the example's: 3,070 rows kept of which 2,695 are respondents."""
    by_wave = [{"dataset": "engagement_survey", "group": "Resident", "respondents": 600.0, "suppressed": False, "wave": 2025}]
    by_wave += [{"dataset": "involvement_survey", "group": g, "respondents": n, "suppressed": False, "wave": w}
                for w, g, n in [(2019, "Staff", 290.0), (2021, "Staff", 265.0), (2022, "Staff", 330.0),
                                (2023, "Staff", 365.0), (2024, "Staff", 410.0), (2025, "Staff", 435.0)]]
    recording.record(out, "01_cleaning", _cleaning_results(by_wave, {
        "actions": 26, "activities": 69, "comments": 3425, "population": 280, "respondents": 2695, "responses": 12570}))
    recording.record(out, "04_reach_and_actions", _reach_results())


def test_first_number_on_the_summary_is_the_number_of_respondents(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    _example_shaped_results(out)
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    figures = _key_figures(html)
    assert figures[0] == ("2,695", "survey respondents")
    assert ("3,425", "written comments and document passages") in figures and ("69", "engagement activities") in figures
    assert "3,070" not in [value for value, _ in figures]  # rows kept across every input are not respondents
    text = re.sub(r"\s+", " ", _visible_text(html))
    assert "what 2,695 survey respondents told us, in 3,425 written comments and document passages, and 69 engagement activities" in text
    assert "2 surveys, 6 waves, 2019 to 2025" in text
    assert "1,653 participants (someone at two activities counts twice); 8 of 8 boroughs" in text
    assert "among the 600 engagement survey respondents in 2025" in text
    assert "3,176 rows read from every input file" in text and "3,070 kept" in text


def test_respondents_are_not_shown_when_a_hidden_cell_would_make_the_sum_too_small(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    cells = [{"dataset": "s", "group": "Staff", "wave": 2024, "respondents": 100.0, "suppressed": False},
             {"dataset": "s", "group": "Carer", "wave": 2025, "respondents": None, "suppressed": True}]
    recording.record(out, "01_cleaning", _cleaning_results(cells))
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    assert _key_figures(html) == []
    cells[1].update(respondents=105.0, suppressed=False)
    recording.record(out, "01_cleaning", _cleaning_results(cells))
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    assert _key_figures(html)[0] == ("205", "survey respondents")


def test_what_we_could_not_do_lists_reasons_and_escapes_the_log(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    _example_shaped_results(out)
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    assert report.live_content(report._with_policy(html, ())) == []
    section = html.split('<h3 id="not-possible">', 1)[1].split("</div>", 1)[0]
    text = re.sub(r"\s+", " ", _visible_text(section))
    assert text.startswith("What we could not do, and why")
    assert "Why not: HR policy requires trained panel members; training funded for band 8 only." in text
    assert "Why not: no reason was recorded in the actions log." in text
    assert "<img src=x onerror=alert(1)>" in text and "Respite is <script>alert(1)</script> impossible" in text
    assert "<script>alert(1)</script>" not in section and "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "other" not in text  # every one is listed
    assert 'href="#not-possible"' in html and "2 not possible" in html  # the key figure links to the reasons
    examples = html.split("Examples from the actions log", 1)[1].split("</table>", 1)[0]
    assert "Letters redesigned." in examples and "Extra respite beds" not in examples  # listed once, above

    # Fewer listed than the status count (results recorded before every one was listed): never implied complete.
    recording.record(out, "04_reach_and_actions", _reach_results(
        actions_by_status={"Done": 14, "In progress": 6, "Not possible": 3, "Planned": 4}))
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    assert "In all, 3 actions were marked not possible; the reasons for the others are given" in html
    recording.record(out, "04_reach_and_actions", _reach_results(
        actions_by_status={"Done": 14, "In progress": 6, "Not possible": 0, "Planned": 4}, you_said_we_did=[]))
    html = report.render_index(report.summary_context(out, config), config=config, pages=[])
    assert "What we could not do" not in html and 'href="#not-possible"' not in html


# --------------------------------------------------------------------------- standards in the methods
def _standards(html: str) -> dict[str, tuple[list[str], str]]:
    """Standards table: item -> (section titles, evidence text)."""
    block = html.split('id="standards"', 1)[1].split("</table>", 1)[0]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", block, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        out[cells[0]] = ([] if cells[2] == "–" else cells[2].split("; "), cells[3])
    return out


def test_standards_point_only_at_sections_whose_results_were_recorded(tmp_path):
    # Which items evidence which standard is the cycle's config, not the report's code.
    config = _config(tmp_path, standards={"communications": ["told_outcome"]})
    out = tmp_path / "out"
    _example_shaped_results(out)  # 01 and 04: no ratings (03) or themes (02) this cycle
    html = report.render_index(report.summary_context(out, config, {}), config=config, pages=[])
    table = _standards(html)
    assert len(table) == 11  # six UK Standards, five GRIPP2 short-form items
    assert table["Governance"] == ([], "Not evidenced this cycle")
    assert table["Working together"] == ([], "Not evidenced this cycle")  # its outcomes come from 03
    assert table["Impact"] == (["What we did about it"], "14 of 26 actions in the “you said, we did” log done")
    assert table["Inclusive opportunities"][0] == ["Who we heard from"]
    assert table["Inclusive opportunities"][1].startswith("600 engagement survey respondents compared")
    assert table["Reflections"] == (["What we could not do", "Who we heard from"],
                                    "2 actions not possible, with reasons; 1 group under-represented")
    assert table["Results"] == ([], "Not evidenced this cycle")
    headings = set(re.findall(r"<h[23][^>]*>([^<]+)", html))
    assert all(any(h.startswith(t) for h in headings) for titles, _ in table.values() for t in titles)

    # Notebook 03 recorded its results: impact now points at the ratings over time.
    items = {"told_outcome": {"all": {"wave": 2025, "pct_positive": 60.0, "ci_low": 55.0, "ci_high": 65.0, "n": 380.0,
                                      "suppressed": False, "mdd_pp": 9.0,
                                      "diff_baseline": {"estimate": 15.0, "ci_low": 7.0, "ci_high": 23.0,
                                                        "p_value": 0.0001, "p_adjusted": 0.0004,
                                                        "comparison_wave": 2019, "suppressed": False}}}}
    recording.record(out, "03_change_over_time", {
        "latest_wave": 2025, "baseline_wave": 2019, "suppression_threshold": 10, "items": items, "sentences": [],
        "notes": [], "p_adjusted_method": "Holm", "gee_used": False})
    html = report.render_index(report.summary_context(out, config, {}), config=config, pages=[])
    table = _standards(html)
    assert table["Impact"][0] == ["How people rated involvement", "What we did about it"]
    assert table["Impact"][1].startswith("Change since the first wave tested for 1 outcome: 1 clear change")
    assert table["Communications"] == (["How people rated involvement", "What we did about it"], "“Told what happened”: 60% positive (55% to 65%); "
                                       "14 of 26 actions in the “you said, we did” log done")
    assert table["Support and learning"] == ([], "Not evidenced this cycle")


# --------------------------------------------------------------------------- equal voice
def _entry(pct, low, high, n, *, suppressed=False, wave=2025, baseline=None, mdd=None, mdd_family=None):
    """One 03 entry (items -> group -> entry); ``baseline`` = (estimate, low, high) of the change since 2019."""
    e = {"wave": wave, "pct_positive": None if suppressed else pct, "ci_low": None if suppressed else low,
         "ci_high": None if suppressed else high, "n": None if suppressed else n, "suppressed": suppressed,
         "mdd_pp": mdd, "mdd_family_pp": mdd_family}
    if baseline is not None:
        est, lo, hi = baseline
        e["diff_baseline"] = {"estimate": est, "ci_low": lo, "ci_high": hi, "p_value": 0.5, "p_adjusted": 1.0,
                              "comparison_wave": 2019, "suppressed": False, "family_size": 24.0,
                              "verdict": "up" if lo > 0 else "down" if hi < 0 else "no evidence"}
    return e


def _gap(item, gap, low, high, ref_pct, other_pct, *, other="Expert by experience", change=None, suppressed=False):
    g = {"item": item, "wave": 2025, "reference": "Staff", "other": other,
         "reference_pct": None if suppressed else ref_pct, "other_pct": None if suppressed else other_pct,
         "reference_n": None if suppressed else 170.0, "other_n": None if suppressed else 206.0,
         "reference_effective_n": None if suppressed else 170.0, "other_effective_n": None if suppressed else 206.0,
         "gap_pp": None if suppressed else gap, "ci_low_pp": None if suppressed else low,
         "ci_high_pp": None if suppressed else high, "ci_low_unadjusted_pp": None if suppressed else low + 4,
         "ci_high_unadjusted_pp": None if suppressed else high - 4, "family_size": None if suppressed else 24.0,
         "verdict": None, "suppressed": suppressed, "change": None}
    if change is not None:
        before, d, lo, hi, verdict = change
        g["change"] = {"previous_cycle": "last-year", "previous_wave": 2024, "previous_gap_pp": before,
                       "previous_ci_low_pp": before - 8, "previous_ci_high_pp": before + 8, "change_pp": d,
                       "ci_low_pp": lo, "ci_high_pp": hi, "ci_low_unadjusted_pp": lo + 3, "ci_high_unadjusted_pp": hi - 3,
                       "family_size": 2.0, "verdict": verdict, "source": "group differences"}
    return g


HOSTILE_GROUP = "Expert <script>alert(1)</script>"


def _equal_voice_record(*, hostile: bool = False) -> dict:
    """03 results with two groups on two ratings, everyone's series and the recorded gaps."""
    other = HOSTILE_GROUP if hostile else "Expert by experience"
    series = {"real_improvements": {"all": [
        {"wave": w, "pct_positive": p, "ci_low": p - 5, "ci_high": p + 5, "n": 300.0, "suppressed": False}
        for w, p in ((2019, 70.0), (2022, 78.0), (2025, 86.0))] + [
        {"wave": 2026, "pct_positive": None, "ci_low": None, "ci_high": None, "n": None, "suppressed": True}]},
        "told_outcome": {"all": [
            {"wave": w, "pct_positive": p, "ci_low": p - 5, "ci_high": p + 5, "n": 300.0, "suppressed": False}
            for w, p in ((2019, 58.0), (2025, 60.0))]}}
    items = {"real_improvements": {"all": _entry(86.0, 82.0, 89.0, 388.0, baseline=(16.0, 0.4, 27.0), mdd=7.7,
                                                 mdd_family=12.0),
                                   "Staff": _entry(85.2, 79.1, 89.8, 170.0, mdd=11.0, mdd_family=17.0),
                                   other: _entry(68.0, 61.3, 74.0, 206.0, mdd=12.0, mdd_family=18.0)},
             "told_outcome": {"all": _entry(60.0, 55.0, 65.0, 380.0, baseline=(2.0, -11.0, 15.0), mdd=9.0,
                                            mdd_family=14.0),
                              "Staff": _entry(61.0, 53.0, 68.0, 170.0, mdd=14.0, mdd_family=21.0),
                              other: _entry(0, 0, 0, 0, suppressed=True)}}
    return {"latest_wave": 2025, "baseline_wave": 2019, "suppression_threshold": 10, "items": items, "series": series,
            "sentences": [{"item": "real_improvements", "group": "all",
                           "sentence": "Real improvements (everyone): 86% (95% CI 82% to 89%; adjusted p = 1.00)."}],
            "notes": [], "p_adjusted_method": "Bonferroni", "gee_used": False,
            "group_differences": [
                _gap("real_improvements", 17.2, 2.2, 30.8, 85.2, 68.0, other=other, change=(17.1, 0.1, -15.7, 16.3,
                                                                                             "no clear change")),
                _gap("told_outcome", None, None, None, None, None, other=other, suppressed=True)]}


def test_equal_voice_shows_each_group_the_gap_its_interval_and_its_change_as_one_chart(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    recording.record(out, "03_change_over_time", _equal_voice_record(hostile=True))
    context = report.summary_context(out, config, {})
    ev = context["equal_voice"]
    assert ev["groups"] == ["Staff", HOSTILE_GROUP] and ev["recorded"] and ev["previous_cycle"] == "last-year"
    real = next(r for r in ev["rows"] if r["item_id"] == "real_improvements")
    gap = real["gaps"][0]
    assert gap["clear"] and gap["gap"] == 17.2 and not gap["change"]["clear"]
    assert real["sentences"][0] == (
        f"Real improvements: the Staff group answered positively 17 points more often than the {HOSTILE_GROUP} group "
        "(85% against 68%; 95% interval 2 to 31 points). No clear change since last-year (+17 points then; "
        "change 0 points, 95% interval -16 to 16 points).")
    told = next(r for r in ev["rows"] if r["item_id"] == "told_outcome")
    assert told["values"][1] == {"group": HOSTILE_GROUP, "pct": None, "ci_low": None, "ci_high": None, "n": None}
    assert "cannot be compared: fewer than 10 people" in told["sentences"][0]
    html = report.render_index(context, config=config, pages=[])
    assert report.live_content(report._with_policy(html, ())) == []
    section = html.split('<section id="equal-voice"', 1)[1].split("</section>", 1)[0]
    # One static chart with alt text repeating every number drawn; the hidden group is not drawn.
    images = [a for tag, a in parse(section) if tag == "img"]
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")
    alt = images[0]["alt"]
    assert f"Real improvements, Staff minus {HOSTILE_GROUP}: +17 points (+2 to +31), last-year +17" in alt
    assert "Told what happened, " + HOSTILE_GROUP + ": too few answers to compare" in alt
    assert "<script>" not in section and "Expert &lt;script&gt;alert(1)&lt;/script&gt;" in section
    text = re.sub(r"\s+", " ", _visible_text(section))
    assert "+17 points (2 to 31 points)" in text and "0 points (-16 to 16 points): no clear change" in text
    # Sentences for the clear gaps only (the table holds every one): here the one clear gap.
    listed = section.split('<ul class="summary-list">', 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == 1 and "the Staff group answered positively 17 points" in listed
    assert "adjusted p =" not in _visible_text(html)


def test_equal_voice_without_recorded_gaps_shows_the_groups_and_says_so(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    rec = _equal_voice_record()
    del rec["group_differences"]  # recorded before the field existed
    recording.record(out, "03_change_over_time", rec)
    context = report.summary_context(out, config, {})
    assert not context["equal_voice"]["recorded"]
    html = report.render_index(context, config=config, pages=[])
    section = html.split('<section id="equal-voice"', 1)[1].split("</section>", 1)[0]
    assert "were not recorded by this run" in section and "<img" not in section

    # One group only: no equal-voice section, and nothing broken.
    rec = _equal_voice_record()
    rec["items"] = {"real_improvements": {"all": rec["items"]["real_improvements"]["all"]}}
    rec["group_differences"] = []
    recording.record(out, "03_change_over_time", rec)
    context = report.summary_context(out, config, {})
    assert context["equal_voice"] is None
    assert 'id="equal-voice"' not in report.render_index(context, config=config, pages=[])


# --------------------------------------------------------------------------- key findings and the headline chart
def test_key_findings_are_five_sentences_in_the_documented_order_and_never_contradict_their_interval(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    _example_shaped_results(out)
    recording.record(out, "03_change_over_time", _equal_voice_record())
    recording.record(out, "02_themes", _themes(make_better=[
        {"theme_id": 8, "label": "Feedback on what happened", "n": 40, "pct": 21.5, "ci_low": 16.0, "ci_high": 27.9,
         "reviewed": True, "reviewer": "AB", "reviewed_on": "2025-11-21"}]))
    context = report.summary_context(out, config, {})
    findings = context["findings"]
    assert [f["kind"] for f in findings] == ["change", "gap", "theme", "reach", "actions"]
    # The clear change's near bound is 0.4: printed with the decimal that keeps it off 0.
    assert findings[0]["text"] == ("Real improvements: 86% answered positively in 2025, up 16 points since 2019 "
                                   "(70% then); 95% interval 0.4 to 27 points.")
    assert "Told what happened" not in " ".join(f["text"] for f in findings)  # no clear change: not a finding
    assert findings[1]["text"].startswith("Equal voice, Real improvements: the Staff group answered positively 17 "
                                          "points more often")
    assert "no clear change since last-year" in findings[1]["text"]
    assert findings[2]["text"] == ("The most common theme in answers to “What would make involvement better?” was "
                                   "“Feedback on what happened”: 40 people, 22% of those who gave a substantive "
                                   "answer (95% interval 16% to 28%).")
    assert findings[3]["text"].startswith("1 group was under-represented among the 600 engagement survey respondents; "
                                          "the largest shortfall: Hillingdon (borough), 6% of respondents")
    assert findings[4]["text"] == ("12 of the 26 actions in the “you said, we did” log are not yet done: 6 in "
                                   "progress, 4 planned and 2 not possible.")
    html = report.render_index(context, config=config, pages=[])
    block = html.split('<ol class="key-findings">', 1)[1].split("</ol>", 1)[0]
    assert block.count("<li") == 5 and "Ordered by a fixed rule" in html

    # No clear change anywhere: the first finding says so, with the largest change and its interval.
    rec = _equal_voice_record()
    rec["items"]["real_improvements"]["all"] = _entry(86.0, 82.0, 89.0, 388.0, baseline=(6.0, -1.0, 13.0))
    recording.record(out, "03_change_over_time", rec)
    first = report.summary_context(out, config, {})["findings"][0]
    assert first == {"kind": "change", "text": "None of the 2 ratings changed clearly since 2019; the largest change, "
                                               "Real improvements, was +6 points (95% interval -1 to 13 points), too "
                                               "uncertain to call."}


def test_headline_chart_draws_every_wave_from_published_figures_only(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    recording.record(out, "03_change_over_time", _equal_voice_record())
    context = report.summary_context(out, config, {})
    html = report.render_index(context, config=config, pages=[])
    section = html.split('<section id="outcomes"', 1)[1].split("</section>", 1)[0]
    images = [a for tag, a in parse(section) if tag == "img"]
    # A page-wide and a phone-wide drawing of the same chart, each with the same alt text.
    assert [i["class"] for i in images] == ["chart-wide", "chart-narrow"] and images[0]["alt"] == images[1]["alt"]
    alt = images[0]["alt"]
    assert "Real improvements: 70% in 2019 to 86% in 2025 (1 wave not shown)" in alt
    assert "Told what happened: 58% in 2019 to 60% in 2025" in alt
    # The same results give the same bytes.
    again = report.render_index(report.summary_context(out, config, {}), config=config, pages=[])
    assert again == html


def test_the_summary_keeps_statistical_detail_on_the_change_page(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    recording.record(out, "03_change_over_time", _equal_voice_record())
    html = report.render_index(report.summary_context(out, config, {}), config=config, pages=[])
    text = _visible_text(html)
    assert "adjusted p =" not in text and "p = 1.00" not in text and "Bonferroni" not in text
    assert "are in the change-over-time section" in text


def test_next_wave_says_what_it_can_detect_in_plain_words(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    recording.record(out, "03_change_over_time", _equal_voice_record())
    nw = report.summary_context(out, config, {})["next_wave"]
    assert nw["family"]
    assert nw["sentences"][0] == ("If the next wave has as many answers as 2025 (about 380 to 388 people per question), "
                                  "a change of about 12 to 14 percentage points in the share of everyone answering "
                                  "positively would be detected 8 times in 10, as a clear change, allowing for every "
                                  "comparison made.")
    assert "Within Staff alone (about 170 people), it would take a change of about 17 to 21 points." in nw["sentences"]
    assert nw["sentences"][-1].startswith("Smaller real changes may be missed")


def _coproduction_record() -> dict:
    """04's co-production trend, shaped as the example's (two cycles, a clear rise in the co-produced share)."""
    ladder = ["inform", "consult", "involve", "collaborate", "co-produce"]
    counts = {"before": [10, 26, 8, 4, 2], "now": [5, 32, 9, 9, 14]}
    levels = [{"cycle": c, "level": lv, "rung": k + 1, "activities": n, "activity_share": n / sum(counts[c]),
               "participants": 10.0 * n, "participant_share": n / sum(counts[c])}
              for c in counts for k, (lv, n) in enumerate(zip(ladder, counts[c], strict=True))]
    cycles = [{"cycle": c, "activities": sum(v), "recorded": sum(v), "coproduced": v[-1],
               "coproduced_share": v[-1] / sum(v), "participants_recorded": 10.0 * sum(v),
               "coproduced_participants": 10.0 * v[-1], "coproduced_participant_share": v[-1] / sum(v),
               "from_start": 4, "from_start_recorded": sum(v), "from_start_share": 4 / sum(v)}
              for c, v in counts.items()]
    return {"ladder": ladder, "coproduced_levels": ["co-produce"], "weight": "participants", "levels": levels,
            "cycles": cycles, "notes": [],
            "change": {"current_cycle": "now", "previous_cycle": "before", "current_share": 14 / 69,
                       "previous_share": 0.04, "difference_pp": 16.3, "ci_low_pp": 4.0, "ci_high_pp": 27.6,
                       "p_value": 0.013, "level": 0.95, "verdict": "clear rise"},
            "sentence": "The co-produced share of activities rose from 4% (2 of 50) in before to 20% (14 of 69) in now, "
                        "a clear rise of 16 points (95% interval +4 to +28 points; p = 0.01)."}


def test_coproduction_trend_is_shown_only_when_recorded(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out"
    _example_shaped_results(out)
    html = report.render_index(report.summary_context(out, config, {}), config=config, pages=[])
    assert 'id="coproduction"' not in html  # 04 recorded no co-production: nothing said
    recording.record(out, "04_reach_and_actions", _reach_results(coproduction=_coproduction_record()))
    context = report.summary_context(out, config, {})
    assert context["coproduction"]["plain_sentence"] == (
        "The co-produced share of activities rose from 4% (2 of 50) in before to 20% (14 of 69) in now, a clear rise "
        "of 16 points (95% interval +4 to +28 points).")
    html = report.render_index(context, config=config, pages=[])
    section = html.split('<section id="coproduction"', 1)[1].split("</section>", 1)[0]
    assert context["coproduction"]["plain_sentence"] in _visible_text(section)
    images = [a for tag, a in parse(section) if tag == "img"]
    assert len(images) == 1 and images[0]["alt"].startswith("Stacked bar chart of the share of activities")
    assert "Co-production by cycle" in section


def test_standards_items_come_from_the_config_and_are_checked(tmp_path):
    out = tmp_path / "out"
    _example_shaped_results(out)
    recording.record(out, "03_change_over_time", _equal_voice_record())
    # No standards section: the ratings evidence no standard by themselves, whatever the item ids are.
    config = _config(tmp_path / "plain")
    table = _standards(report.render_index(report.summary_context(out, config, {}), config=config, pages=[]))
    assert table["Support and learning"] == ([], "Not evidenced this cycle")
    assert "Told what happened" not in table["Communications"][1]
    # Mapped in the config: the same results now evidence it.
    config = _config(tmp_path / "mapped", standards={"support_and_learning": ["real_improvements"]})
    table = _standards(report.render_index(report.summary_context(out, config, {}), config=config, pages=[]))
    assert table["Support and learning"] == (["How people rated involvement"],
                                             "“Real improvements”: 86% positive (82% to 89%)")
    # The equal-voice gaps evidence working together.
    assert table["Working together"][0] == ["Equal voice"]
    assert table["Working together"][1].startswith("Gaps between Staff and Expert by experience on 2 ratings: 1 clear")
    with pytest.raises(UserError, match=r"standards.*not_an_item"):
        _config(tmp_path / "typo", standards={"impact": ["not_an_item"]})
    with pytest.raises(UserError, match=r"standards"):
        _config(tmp_path / "key", standards={"inclusion": ["real_improvements"]})
