"""Open every report page in headless Chromium, as a reader would.

Fails on a console error, an image that did not load, or an interactive plotly
figure that did not draw; saves a full-page screenshot of every page.

Which report: a small report built once per module from the stub notebooks of
test_runner.py (two notebooks: a matplotlib figure with alt text, tables, a
plotly figure, Markdown), so that this file runs in well under a minute. The
real example report is exercised by tests/test_notebooks.py; the pages come
from the same template and CSS, so what is checked here holds for it.

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
