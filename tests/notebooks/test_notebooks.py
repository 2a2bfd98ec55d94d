"""Execute the real notebooks on the bundled example, as `make report` does, and assert on what they record.

One cycle run (session-scoped) into a temporary folder feeds every assertion here, so
the notebooks are tested exactly as evaluators run them: papermill, injected
parameters, the real processed data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import paths, recording
from analysis.present.deidentify import nhs_number_is_valid

pytestmark = pytest.mark.slow

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
UK_PHONE = re.compile(r"(?:\+44\s?\(?0?\)?\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
TEN_DIGITS = re.compile(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b")


@pytest.fixture(scope="session")
def example_run(tmp_path_factory) -> dict:
    """Run the example exactly as `make report` does, into a temporary folder.

    The previous cycle (example-2024) runs first, so that the 2025 report compares itself
    with it; both assign their answers to the committed theme book (config/themes/example.yaml).
    """
    import shutil

    import yaml

    from analysis.report.runner import run_cycle

    tmp = tmp_path_factory.mktemp("cycle")
    raw = tmp / "raw"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, raw)
    reports, configs = {}, {}
    for name in ("example-2024", "example"):
        data = yaml.safe_load((paths.CONFIG_DIR / f"{name}.yaml").read_text())
        data["inputs"] = [dict(f, path=str(raw / Path(f["path"]).name)) for f in data["inputs"]]
        # the embedding cache is safe to share (keyed by model and text hash) and saves minutes
        data["outputs"] = {"processed_dir": str(tmp / "processed"), "reports_dir": str(tmp / "reports"),
                           "interim_dir": str(paths.INTERIM_DIR)}
        data["themes"]["codebook"] = str(paths.resolve(data["themes"]["codebook"]))
        data["themes"]["book"] = str(paths.resolve(data["themes"]["book"]))
        data["themes"]["review_dir"] = str(tmp / "review")
        config_path = tmp / f"{name}.yaml"
        config_path.write_text(yaml.safe_dump(data, sort_keys=False))
        configs[name] = config_path
        reports[name] = Path(run_cycle(config_path, tmp / "reports" / name, progress=lambda _msg: None))
    return {"report": reports["example"], "previous": reports["example-2024"],
            "processed": tmp / "processed" / "example", "raw": raw, "review": tmp / "review",
            "configs": configs, "tmp": tmp}


def _raw_identifiers(raw: Path) -> set[str]:
    found: set[str] = set()
    for path in raw.glob("*.csv"):
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        found |= set(EMAIL.findall(text))
        found |= {m for m in TEN_DIGITS.findall(text) if nhs_number_is_valid(m)}
    return found


def test_report_is_complete(example_run) -> None:
    report = example_run["report"]
    assert (report / "index.html").is_file()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["seed"] == 20251123
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    for stem in ("01_cleaning",):
        assert list(report.rglob(f"{stem}*.html")), stem


def test_cleaning_reconciles_and_recovers_planted_mess(example_run) -> None:
    rec = recording.load(example_run["report"], "01_cleaning")
    assert rec["reconciled"] is True
    assert rec["rows_read"] == rec["rows_kept"] + rec["rows_rejected"] + rec["duplicates_removed"]
    ledger = pd.read_csv(example_run["processed"] / "rejected.csv")
    duplicates = pd.read_csv(example_run["processed"] / "duplicates.csv")
    truth = pd.read_csv(paths.EXAMPLE_RAW_DIR / "ground_truth_mess.csv").drop_duplicates(["file", "row"])
    status = truth["row_status"].value_counts()
    assert rec["rows_rejected"] == status["invalid"] == (ledger["outcome"] == "row rejected").groupby(
        [ledger["source_file"], ledger["source_row"]]).any().sum()
    assert rec["duplicates_removed"] == len(duplicates) == status["exact_duplicate"] + status["superseded_resubmission"]
    assert ledger["source_row"].ge(2).all()
    assert sum(rec["redactions"].values()) > 0


def test_no_identifier_survives_in_processed_text_or_html(example_run) -> None:
    planted = _raw_identifiers(example_run["raw"])
    assert planted, "the example must plant identifiers for this test to mean anything"
    comments = pd.read_parquet(example_run["processed"] / "comments.parquet")
    processed_text = "\n".join(comments["text"])
    html = "\n".join(p.read_text(errors="replace") for p in example_run["report"].rglob("*.html"))
    for corpus, where in ((processed_text, "processed comments"), (html, "HTML report")):
        leaked = sorted(i for i in planted if i in corpus)
        assert not leaked, f"identifiers leaked into the {where}: {leaked[:5]}"
    assert not EMAIL.search(processed_text)
    assert not [m for m in TEN_DIGITS.findall(processed_text) if nhs_number_is_valid(m)]


def test_themes_follow_the_book_and_reserve_non_answers(example_run) -> None:
    from analysis.themes.book import load_book

    book = load_book(paths.CONFIG_DIR / "themes" / "example.yaml")
    rec = recording.load(example_run["report"], "02_themes")
    review = rec["review"]
    assert review["merged"] == sum(t.status == "merged" for t in book.themes)
    assert review["excluded"] == sum(t.status == "excluded" for t in book.themes)
    assert review["decisions_with_changed_themes"] == 0
    assert rec["registry"]["book_version"] == book.meta.book_version
    assignments = pd.read_parquet(example_run["processed"] / "theme_assignments.parquet")
    comments = pd.read_parquet(example_run["processed"] / "comments.parquet")
    non_answers = comments.loc[comments["is_non_answer"], "comment_id"]
    assert set(assignments.loc[assignments["comment_id"].isin(non_answers), "theme_id"]) == {-2}
    # merged themes never appear: their answers count under the theme they were merged into
    merged = {t.id for t in book.themes if t.status == "merged"}
    assert not merged & set(assignments["theme_id"])
    for question in ("difference_made", "make_better", "works_well", "should_change"):
        q = rec["questions"][question]
        assert 0 < q["non_answer_share"] < 0.5
        assert q["top_themes"], question
    assert rec["quality"]["outlier_share"] < 0.1
    # more than half the answers land in their planted codebook theme (27% before the theme book)
    assert rec["quality"]["ground_truth"]["codebook_recall"] > 0.5
    # a reviewed name in the book is what readers see
    works_well = pd.read_csv(example_run["report"] / "tables" / "themes_works_well.csv")
    assert "Hospice care praised" in set(works_well["label"])
    # the run wrote its review folder outside the report, with no quotes in the report tables folder
    assert (example_run["review"] / "example" / "theme_review.csv").is_file()
    assert not list(example_run["report"].rglob("theme_review*"))


def test_change_notebook_recovers_planted_effects(example_run) -> None:
    items = recording.load(example_run["report"], "03_change_over_time")["items"]
    rising = items["real_improvements"]["all"]
    assert 82 < rising["pct_positive"] < 90
    assert rising["diff_baseline"]["estimate"] > 10 and rising["diff_baseline"]["p_adjusted"] < 0.05
    assert items["told_outcome"]["all"]["trend_logit"]["estimate"] > 1
    assert items["told_outcome"]["all"]["trend_logit"]["p_adjusted"] < 0.05
    null_item = items["personal_impact"]["all"]
    assert null_item["diff_previous"]["p_adjusted"] > 0.05 and null_item["diff_baseline"]["p_adjusted"] > 0.05
    assert null_item["trend_logit"]["p_adjusted"] > 0.05
    gap = items["heard_equally"]
    assert gap["Staff"]["pct_positive"] - gap["Expert by experience"]["pct_positive"] > 10


def test_reach_notebook_finds_who_we_have_not_heard_from(example_run) -> None:
    rec = recording.load(example_run["report"], "04_reach_and_actions")
    flagged = " ".join(str(g) for g in rec["under_represented"])
    for group in ("Hillingdon", "Hounslow", "16-24"):
        assert group in flagged
    assert "Kensington and Chelsea" not in flagged
    assert rec["actions_total"] == 26


def test_reach_notebook_detects_the_planted_rise_in_coproduction_and_follows_themes(example_run) -> None:
    rec = recording.load(example_run["report"], "04_reach_and_actions")
    change = rec["coproduction"]["change"]
    assert change["previous_cycle"] == "example-2024" and change["verdict"] == "clear rise"
    assert change["ci_low_pp"] > 0 and "rose" in rec["coproduction"]["sentence"]
    assert [c["case_id"] for c in rec["case_studies"]["shown"]] == ["CS-2025-01", "CS-2025-02"]
    assert rec["case_studies"]["withheld"] == 1
    assert len(rec["not_possible"]) == rec["actions_by_status"]["Not possible"]
    assert all(r["reason"] for r in rec["not_possible"])
    gaps = {t["theme_label"] for t in rec["themes_without_action"]}
    assert "Advance care planning" not in gaps  # the theme book carries the action on its merged theme


def test_summary_page_reads_like_a_report_and_compares_cycles(example_run) -> None:
    index = (example_run["report"] / "index.html").read_text()
    assert "Executive summary" in index
    assert "Real improvements" in index and "example-2024" in index
    assert "<script src=\"http" not in index and "cdn." not in index
    assert 'lang="en-GB"' in index


def test_attack_on_the_example_report_recovers_nothing(example_run) -> None:
    """The example's processed tables, as this session's run wrote them: reach tables and every theme table."""
    from analysis.reach import representation as reach
    from analysis.themes import tables as tt
    from tests.present.test_disclosure import NOTHING_HIDDEN, T, _attack, _reach_cells, _theme_cells

    folder = example_run["processed"]
    names = ("respondents", "population", "comments", "theme_assignments", "themes")
    data = {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}
    r = data["respondents"]
    resp = r[(r["dataset"] == "engagement_survey") & (r["wave"] == r["wave"].max())].drop_duplicates("respondent_id")
    published, sums = _reach_cells(reach.reach_tables(resp, data["population"], threshold=T, ratio_threshold=0.8),
                                   len(resp))
    truth, _ = _reach_cells(reach.reach_tables(resp, data["population"], threshold=NOTHING_HIDDEN,
                                               ratio_threshold=0.8), len(resp))
    assert _attack(published, truth, sums, T) == []
    themed = data["comments"].merge(data["theme_assignments"][["comment_id", "theme_id", "excluded"]], on="comment_id")
    for q, frame in themed.groupby("question_id"):
        latest = frame[frame["wave"] == frame["wave"].max()]
        if latest["wave"].iloc[0] != 2025:
            continue  # the attacker's by-wave sums use the 2025 wave as the latest
        tables = tt.theme_tables(latest, data["themes"], question_id=q, threshold=T, themed=frame)
        truth, _ = _theme_cells(tt.theme_tables(latest, data["themes"], question_id=q, threshold=NOTHING_HIDDEN,
                                                themed=frame))
        published, sums = _theme_cells(tables)
        assert _attack(published, truth, sums, T) == [], q


def test_rerunning_a_previous_cycle_reproduces_its_published_tables(example_run) -> None:
    """Re-running example-2024 (every notebook executed again) gives byte-identical tables and results."""
    from analysis.report.runner import run_cycle

    first = example_run["previous"]
    second = Path(run_cycle(example_run["configs"]["example-2024"], example_run["tmp"] / "again" / "example-2024",
                            progress=lambda _msg: None, reuse=False))
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["cycle"] == "example-2024"
    assert not any(n["reused"] for n in manifest["notebooks"])  # executed, not copied

    def tables(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.glob("tables/**/*.csv")}

    one, two = tables(first), tables(second)
    assert len(one) >= 10, "the cycle published too few tables"
    assert sorted(one) == sorted(two)
    differing = [name for name in one if one[name] != two[name]]
    assert not differing, f"tables not reproduced byte for byte: {differing}"
    # Recorded results feed the summary: identical too.
    for path in sorted((first / "results").glob("*.json")):
        a = json.loads(path.read_text(encoding="utf-8").replace(str(first), "OUT"))
        b = json.loads((second / "results" / path.name).read_text(encoding="utf-8").replace(str(second), "OUT"))
        assert a == b, path.name
    # The executed notebooks too (no time stamps or run-specific paths in their outputs). Only the line saying
    # how many embeddings came from the cache may differ: the session's first run may have found it empty.
    def executed(path: Path, root: Path) -> str:
        text = path.read_text(encoding="utf-8").replace(str(root), "OUT")
        return re.sub(r"\(\d[\d,]* from the cache, \d[\d,]* new\)", "(N from the cache, M new)", text)

    for path in sorted((first / "notebooks").glob("*.ipynb")):
        assert executed(path, first) == executed(second / "notebooks" / path.name, second), path.name
