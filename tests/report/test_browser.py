"""Open every report page in headless Chromium, as a reader would.

Fails on a console error, an image that did not load, or an interactive plotly
figure that did not draw; saves a full-page screenshot of every page.

Which report: a small report built once per module from the stub notebooks of
test_runner.py (two notebooks: a matplotlib figure with alt text, tables, a
plotly figure, Markdown), so that this file runs in well under a minute. The
real example report is exercised by tests/test_notebooks.py; the pages come
from the same template and CSS, so what is checked here holds for it.

The summary's layout on a phone (390 px) and on A4 paper is checked on a
summary rendered from recorded results shaped as the example's, with the
long unbroken words real logs carry (checksums, pasted addresses), because
the stub's summary is too small to overflow anything.

Chromium and its driver come from Debian (``apt-get install chromium
chromium-driver``) and selenium from the dev extras; without them the tests
skip and say why. No network: the browser is started with background
networking off and every page is opened from a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from analysis.report import runner
from tests.report.test_runner import build_stub_project

pytestmark = pytest.mark.slow  # drives a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("headless Chromium not available: apt-get install chromium chromium-driver", allow_module_level=True)

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900",
)

PAGE_STATE_JS = """
const imgs = Array.from(document.images).map(i => ({src: i.src.slice(0, 60), ok: i.complete && i.naturalWidth > 0,
                                                   alt: i.getAttribute('alt')}));
const plots = Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
    id: d.id, drawn: d.querySelector('svg.main-svg') !== null}));
return {ready: document.readyState, imgs: imgs, plots: plots, title: document.title,
        lang: document.documentElement.lang, height: document.documentElement.scrollHeight};
"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    config, notebooks = build_stub_project(root)
    return runner.run_cycle(config, notebooks_dir=notebooks, progress=lambda _: None, self_contained=True)


@pytest.fixture(scope="module")
def driver():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path keeps Selenium Manager from trying to download one.
    os.environ.setdefault("SE_OFFLINE", "true")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, page: Path, timeout: float = 20.0) -> dict:
    """Load a page and wait until it is complete and every plotly figure has drawn (or time runs out)."""
    driver.get_log("browser")  # drop messages from the previous page
    driver.get(page.as_uri())
    deadline = time.monotonic() + timeout
    state = driver.execute_script(PAGE_STATE_JS)
    while time.monotonic() < deadline and (state["ready"] != "complete" or not all(p["drawn"] for p in state["plots"])):
        time.sleep(0.2)
        state = driver.execute_script(PAGE_STATE_JS)
    return state


def _screenshot(driver, page: Path, folder: Path, height: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, min(max(height, 900), 16000))
    path = folder / f"{page.stem}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    return path


@pytest.mark.slow
def test_every_page_loads_cleanly(driver, report_dir, tmp_path_factory):
    shots = tmp_path_factory.mktemp("screenshots")
    pages = sorted(report_dir.glob("*.html"))
    assert len(pages) == 6
    problems: list[str] = []
    saved = []
    for page in pages:
        state = _open(driver, page)
        severe = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        problems += [f"{page.name}: console error: {m}" for m in severe]
        problems += [f"{page.name}: image did not load: {i['src']}" for i in state["imgs"] if not i["ok"]]
        problems += [f"{page.name}: image without alt text: {i['src']}" for i in state["imgs"] if not i["alt"]]
        problems += [f"{page.name}: interactive figure not drawn: {p['id']}" for p in state["plots"] if not p["drawn"]]
        if state["lang"] != "en-GB":
            problems.append(f"{page.name}: lang is {state['lang']!r}")
        saved.append(_screenshot(driver, page, shots, state["height"]))
    assert not problems, "\n".join(problems)
    assert all(p.stat().st_size > 10_000 for p in saved)
    print(f"\nscreenshots: {shots}")


def test_pages_with_figures_really_have_them(driver, report_dir):
    state = _open(driver, report_dir / "01_cleaning.html")
    assert len(state["imgs"]) == 1 and state["imgs"][0]["ok"]
    state = _open(driver, report_dir / "03_change_over_time.html")
    assert len(state["plots"]) == 1 and state["plots"][0]["drawn"]
    state = _open(driver, report_dir / "stub-report.html")
    assert len(state["imgs"]) == 1 and len(state["plots"]) == 1 and all(p["drawn"] for p in state["plots"])


def test_a_broken_page_is_caught(driver, tmp_path):
    """The checks above can fail: a missing image and a script error are reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html lang="en-GB"><body><img alt="x" src="missing.png">'
                    '<script>undefinedFunction()</script></body></html>', encoding="utf-8")
    state = _open(driver, page, timeout=3)
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not state["imgs"][0]["ok"]
    assert any("undefinedFunction" in e["message"] for e in severe)


def test_summary_page_skip_link_reaches_main_content(driver, report_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(driver, report_dir / "index.html")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    assert focused.is_displayed()  # visible when focused, for keyboard users
    focused.send_keys(Keys.ENTER)
    assert driver.execute_script("return location.hash") == "#content"


# --------------------------------------------------------------------------- phone and A4 print
#: A4 printable width at the stylesheet's @page margins (210 mm less 14 mm each side), in CSS pixels (96 per inch).
A4_CONTENT_PX = int((210 - 2 * 14) / 25.4 * 96)

OVERFLOW_JS = """
const limit = arguments[0];
const wide = Array.from(document.querySelectorAll('body *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > limit + 1 && !e.parentElement.closest('.table-wrap, .chart-wrap');
});
const clipped = Array.from(document.querySelectorAll('.table-wrap, .chart-wrap')).filter(w => w.scrollWidth > w.clientWidth + 1);
return {scroll_width: document.documentElement.scrollWidth,
        wide: wide.slice(0, 5).map(e => e.tagName + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right)),
        scrolling_wrappers: clipped.length, wrappers: document.querySelectorAll('.table-wrap').length};
"""


CHARTS_JS = """
const imgs = Array.from(document.querySelectorAll('figure.chart img'));
const shown = imgs.filter(i => getComputedStyle(i).display !== 'none');
return {shown: shown.map(i => i.className), hidden: imgs.filter(i => getComputedStyle(i).display === 'none').map(i => i.className),
        rights: shown.map(i => Math.round(i.getBoundingClientRect().right)),
        loaded: shown.every(i => i.complete && i.naturalWidth > 0)};
"""


@pytest.fixture(scope="module")
def summary_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """index.html rendered from example-shaped results, with a wide outcomes table and long unbroken words."""
    from analysis.core import recording
    from analysis.core.config import load_config
    from analysis.report import build as report
    from tests.report.test_build import (
        _coproduction_record,
        _equal_voice_record,
        _example_shaped_results,
        _reach_results,
    )

    root = tmp_path_factory.mktemp("summary-layout")
    config_path, _ = build_stub_project(root)
    config = load_config(config_path)
    out = root / "out"
    _example_shaped_results(out)
    long_word = "https://example.nhs.uk/" + "involvement-feedback-" * 8 + "final.pdf"
    rec = _reach_results(coproduction=_coproduction_record())
    rec["you_said_we_did"][0]["we_did"] = f"Letters redesigned; see {long_word}"
    rec["themes_without_action"] = [{"theme_id": 130, "theme_label": "Out-of-hours" + "-phone-line" * 10,
                                     "people": 96.0, "pct": 10.8}]
    recording.record(out, "04_reach_and_actions", rec)
    # Two groups, every wave and the recorded gaps: the headline and equal-voice charts (static PNG) must fit a
    # phone and a page too.
    recording.record(out, "03_change_over_time", _equal_voice_record())
    manifest = {"git": {"commit": "f" * 40, "dirty": True}, "python": "3.11",
                "inputs": [{"name": "survey", "path": "data/raw/" + "very_long_export_name_" * 6 + ".csv",
                            "sha256": "a" * 64}], "packages": {"pandas": "3.0.0"}}
    html = report._with_policy(report.render_index(report.summary_context(out, config, manifest), config=config,
                                                   pages=[]), ())
    page = out / "index.html"
    page.write_text(html, encoding="utf-8")
    return page


def _emulate(driver, width: int, height: int = 900, *, print_media: bool = False, mobile: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print" if print_media else ""})


def _reset(driver) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_summary_fits_a_390px_phone_and_tables_scroll_inside_their_wrapper(driver, summary_page):
    try:
        _emulate(driver, 390, mobile=True)
        _open(driver, summary_page)
        state = driver.execute_script(OVERFLOW_JS, 390)
        assert state["scroll_width"] <= 390, state
        assert state["wide"] == [], state
        # The outcomes table is wider than a phone: it scrolls inside its wrapper, the page does not.
        assert state["wrappers"] >= 3 and state["scrolling_wrappers"] >= 1, state
        # Every chart is drawn, within the screen; the ratings over time in their phone drawing.
        charts = driver.execute_script(CHARTS_JS)
        assert charts["loaded"] and charts["shown"] == ["chart-narrow", "", ""] and charts["hidden"] == ["chart-wide"], charts
        assert len(charts["rights"]) == 3 and all(0 < right <= 390 for right in charts["rights"]), charts
    finally:
        _reset(driver)


def test_summary_prints_on_a4_pages_with_nothing_clipped(driver, summary_page):
    import base64
    import re

    try:
        _open(driver, summary_page)
        # No paper size given: the page's own @page rule must choose A4 (595 x 842 points), not US Letter.
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
        boxes = {tuple(round(float(v)) for v in m.split()[2:]) for m in re.findall(rb"/MediaBox \[([^\]]+)\]", pdf)
                 for m in [m.decode()]}
        assert boxes == {(595, 842)}, boxes
        assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) >= 3  # major sections start new pages

        _emulate(driver, A4_CONTENT_PX, 1123, print_media=True)
        _open(driver, summary_page)
        state = driver.execute_script(OVERFLOW_JS, A4_CONTENT_PX)
        assert state["scroll_width"] <= A4_CONTENT_PX, state
        assert state["wide"] == [], state
        assert state["scrolling_wrappers"] == 0, state  # on paper nothing may hide in a scrolling wrapper
        # On paper: the page-wide drawing of each chart, inside the printable width; the phone drawing hidden.
        charts = driver.execute_script(CHARTS_JS)
        assert charts["shown"] == ["chart-wide", "", ""] and charts["hidden"] == ["chart-narrow"], charts
        assert all(0 < right <= A4_CONTENT_PX for right in charts["rights"]), charts
        style = driver.execute_script("""return {
            outcomes: getComputedStyle(document.getElementById('outcomes')).breakBefore,
            card: getComputedStyle(document.querySelector('.key-figures li')).breakInside,
            callout: getComputedStyle(document.querySelector('.callout')).breakInside,
            nav: getComputedStyle(document.querySelector('.breadcrumb')).display};""")
        assert style == {"outcomes": "page", "card": "avoid", "callout": "avoid", "nav": "none"}, style
    finally:
        _reset(driver)


def test_the_overflow_check_can_fail(driver, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html lang="en-GB"><head><meta name="viewport" content="width=device-width">'
                    '</head><body><p style="width:900px">wide</p><div class="table-wrap" style="overflow-x:auto">'
                    '<table><tr><td style="min-width:900px">t</td></tr></table></div></body></html>', encoding="utf-8")
    try:
        _emulate(driver, 390, mobile=True)
        _open(driver, page, timeout=3)
        state = driver.execute_script(OVERFLOW_JS, 390)
        assert state["scroll_width"] > 390 and state["wide"] and state["scrolling_wrappers"] == 1
    finally:
        _reset(driver)


@pytest.mark.slow
def test_summary_screenshots_at_desktop_and_phone_widths(driver, summary_page, tmp_path_factory):
    """Full-page screenshots for checking by eye (the path is printed); each must be a real image."""
    shots = tmp_path_factory.mktemp("summary-screenshots")
    try:
        for width in (1366, 390):
            _emulate(driver, width, mobile=width < 500)
            _open(driver, summary_page)
            height = min(driver.execute_script("return document.documentElement.scrollHeight"), 16000)
            _emulate(driver, width, height, mobile=width < 500)
            path = shots / f"summary-{width}.png"
            driver.save_screenshot(str(path))
            assert path.stat().st_size > 20_000
    finally:
        _reset(driver)
    print(f"\nsummary screenshots: {shots}")
