"""A hostile copy of the example cycle runs end to end and publishes nothing live, no formula and no identifier.

Payloads go into every text source that is not our own template: the cycle config (title,
organisation, question wording and labels), the codebook, the analysts' review file, the actions log,
the activity log, and respondents' free text and categorical fields. The whole cycle then runs as
``make report`` runs it (papermill, the real notebooks), and every file that leaves the pipeline is read
back: each HTML page through the report's live-content checker, each CSV/XLSX through the formula
checker, and every processed or published file for the planted identifiers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.core import paths
from analysis.present.exports import formula_cells
from analysis.report.build import live_content

pytestmark = pytest.mark.slow

SCRIPT = "<script>alert('x')</script>"
IFRAME = '<iframe srcdoc="<script>alert(1)</script>"></iframe>'
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click me](javascript:alert(1))"
REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example">'
FORMULAS = ['=HYPERLINK("https://evil.example","click")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1,1)", "-2+3"]

#: Identifiers planted where no identifier should ever survive (all synthetic: reserved domains,
#: Ofcom drama numbers, an NHS number in the 999 test range that passes the modulus-11 check).
EMAIL = "hostile.person@example.org"
PHONE = "07700 900461"
NHS_NUMBER = "999 000 0018"
NAME_SENTENCE = "my name is Gareth Evans and my NHS no is " + NHS_NUMBER


def _nhs_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return len(digits) == 10 and check != 10 and check == digits[9]


def _hostile_raw(raw: Path) -> None:
    """Plant payloads and identifiers in the raw example files (same formats and encodings)."""
    survey = raw / "involvement_survey_2024_2025.csv"
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows_2024 = frame.index[frame["completed_on"].str.startswith("2024")][:40]
    payloads = [SCRIPT, IFRAME, IMG, JS_LINK, REFRESH, *FORMULAS, NAME_SENTENCE, f"email me at {EMAIL}",
                f"call {PHONE} any time"]
    for i, row in enumerate(rows_2024[: len(payloads)]):
        frame.loc[row, "q_difference_made"] = f"{payloads[i]} The team listened and changed the leaflet."
    frame.loc[rows_2024[20], "borough"] = EMAIL  # an identifier typed into a categorical field
    frame.loc[rows_2024[21], "age_band"] = PHONE
    frame.loc[rows_2024[22], "ethnicity"] = f"=HYPERLINK(\"https://evil.example\",\"{EMAIL}\")"
    frame.to_csv(survey, index=False, encoding="utf-8-sig")

    actions = raw / "actions_log.csv"
    log = pd.read_csv(actions, dtype=str, keep_default_na=False)
    log.loc[0, "You said"] = f"{SCRIPT} {FORMULAS[0]}"
    log.loc[1, "We did"] = f"{FORMULAS[1]}"
    log.loc[2, "Reason"] = f"{IMG} {JS_LINK}"
    log.to_csv(actions, index=False)

    from openpyxl import load_workbook

    book = raw / "palliative_care_review_activity_log.xlsx"
    workbook = load_workbook(book)
    sheet = workbook["Activity log"]
    headers = [cell.value for cell in sheet[1]]
    text_columns = [i for i, h in enumerate(headers, start=1)
                    if h and any(k in str(h).lower() for k in ("note", "title", "description", "name"))]
    for column in text_columns[:2]:
        sheet.cell(row=2, column=column, value=f"{REFRESH} {FORMULAS[3]}")
    workbook.save(book)


def _hostile_config(tmp: Path, raw: Path) -> Path:
    data = yaml.safe_load((paths.CONFIG_DIR / "example-2024.yaml").read_text(encoding="utf-8"))
    data["title"] = f"Hostile {SCRIPT} cycle"
    data["organisation"] = f"{IFRAME} Trust"
    data["inputs"] = [dict(f, path=str(raw / Path(f["path"]).name)) for f in data["inputs"]]
    data["outputs"] = {"processed_dir": str(tmp / "processed"), "reports_dir": str(tmp / "reports"),
                       "interim_dir": str(paths.INTERIM_DIR)}
    items = data["question_bank"]["items"]
    items[0]["short_label"] = f"Real {IMG} improvements"
    items[1]["wording"] = {year: f"{JS_LINK} {text}" for year, text in items[1]["wording"].items()}
    data["question_bank"]["open_questions"][0]["short_label"] = f"Difference {REFRESH}"

    codebook = yaml.safe_load((paths.CONFIG_DIR / "codebooks" / "example.yaml").read_text(encoding="utf-8"))
    codebook["themes"][0]["name"] = f"Changed {IFRAME} design"
    codebook["themes"][1]["description"] = f"{SCRIPT} {FORMULAS[0]}"
    (tmp / "codebook.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False), encoding="utf-8")
    data["themes"]["codebook"] = str(tmp / "codebook.yaml")

    # The theme book is analysts' input too: payloads in the names and descriptions of its largest themes.
    from analysis.themes.book import load_book, save_book

    book = load_book(paths.CONFIG_DIR / "themes" / "example.yaml")
    active = [t for t in book.themes if t.status == "active"]
    hostile = {t.id: t.model_copy(update={"name": f"{payload} reviewed"[:80], "description": f"{IMG} {FORMULAS[0]}",
                                          "reviewer": "XX", "reviewed_on": "2026-11-30"})
               for t, payload in zip(active[:4], [SCRIPT, JS_LINK, REFRESH, FORMULAS[0]], strict=False)}
    meta = book.meta.model_copy(update={"themes": [hostile.get(t.id, t) for t in book.themes]})
    save_book(type(book)(meta=meta, centroids=book.centroids), tmp / "book.yaml")
    data["themes"]["book"] = str(tmp / "book.yaml")
    data["themes"]["review_dir"] = str(tmp / "review")

    path = tmp / "example-2024.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> dict[str, Path]:
    from analysis.report.runner import run_cycle

    tmp = tmp_path_factory.mktemp("hostile")
    raw = tmp / "raw"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, raw)
    _hostile_raw(raw)
    config = _hostile_config(tmp, raw)
    report = Path(run_cycle(config, tmp / "reports" / "example-2024", progress=lambda _msg: None))
    return {"report": report, "processed": tmp / "processed", "root": tmp}


def _published_files(run: dict[str, Path]) -> list[Path]:
    return [p for folder in (run["report"], run["processed"]) for p in folder.rglob("*") if p.is_file()]


def test_planted_number_is_a_valid_nhs_number() -> None:
    # Otherwise the identifier scan below would prove nothing about NHS numbers.
    assert _nhs_valid(NHS_NUMBER)


def test_no_page_carries_live_content(hostile_run) -> None:
    pages = sorted(hostile_run["report"].rglob("*.html"))
    assert len(pages) >= 5
    problems = {page.name: live_content(page.read_text(encoding="utf-8")) for page in pages}
    assert {name: found for name, found in problems.items() if found} == {}
    # The hostile text is still there for a reader to see, as text.
    index = (hostile_run["report"] / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in index


def test_no_written_table_holds_a_formula(hostile_run) -> None:
    tables = [p for p in _published_files(hostile_run) if p.suffix in (".csv", ".xlsx")]
    assert len(tables) >= 10
    found = {str(p.relative_to(hostile_run["root"])): formula_cells(p) for p in tables}
    assert {name: cells for name, cells in found.items() if cells} == {}


def _readable_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    if path.suffix in (".png", ".jpg", ".svg", ".xlsx"):
        return ""  # figures carry no free text; XLSX cells are read by the formula test
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_planted_identifier_survives_anywhere(hostile_run) -> None:
    planted = [EMAIL, PHONE, NHS_NUMBER, NHS_NUMBER.replace(" ", ""), "Gareth Evans"]
    leaks = {}
    for path in _published_files(hostile_run):
        text = _readable_text(path)
        hits = [value for value in planted if value in text]
        if hits:
            leaks[str(path.relative_to(hostile_run["root"]))] = hits
    assert leaks == {}
