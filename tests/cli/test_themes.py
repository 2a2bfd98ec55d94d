"""``python -m analysis themes`` on a synthetic CSV and on a sample of the real FFT file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli.main import main
from analysis.core import paths, vocab
from tests.conftest import FFT_CSV
from tests.themes.test_model import make_corpus

FFT_FIRST_CODE, FFT_LAST_CODE = "Not assigned", "Positive experience & gratitude"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_embeddings")


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> tuple[pd.DataFrame, Path, int]:
    tmp = tmp_path_factory.mktemp("cli_synthetic")
    frame = make_corpus().reset_index()
    frame["text"] = frame["text"].fillna("")
    source = tmp / "comments.csv"
    # A Windows export: cp1252 with a curly apostrophe in a comment.
    frame.loc[5, "text"] = "The nurse\u2019s care was kind and gentle throughout"
    # Every parking comment carries a phone number, so any parking quote must show it redacted.
    parking = frame["subject"] == "parking"
    frame.loc[parking, "text"] = frame.loc[parking, "text"] + " Ring me on 07700 900123."
    frame.to_csv(source, index=False, encoding="cp1252")
    out = tmp / "out"
    code = main(["themes", str(source), "--text-column", "text", "--id-column", "comment_id",
                 "--group-column", "borough", "--time-column", "date", "--label-column", "subject",
                 "--seed", "5", "--cache-dir", str(cache_dir), "--out", str(out)])
    return frame, out, code


@pytest.mark.slow
def test_cli_writes_all_outputs(synthetic_run) -> None:
    frame, out, code = synthetic_run
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {"themes.csv", "assignments.csv", "quality.json", "report.html"}


@pytest.mark.slow
def test_assignments_one_row_per_input_row_in_order(synthetic_run) -> None:
    frame, out, _ = synthetic_run
    assign = pd.read_csv(out / "assignments.csv", dtype={"id": str})
    assert len(assign) == len(frame)
    assert assign["id"].tolist() == frame["comment_id"].tolist()
    assert assign["row"].tolist() == list(range(2, len(frame) + 2))
    blank = frame["text"].str.strip() == ""
    assert (assign.loc[blank, "theme_id"] == vocab.NON_ANSWER_THEME_ID).all()
    assert (assign.loc[blank, "non_answer_kind"] == "blank").all()
    assert (assign.loc[blank, "theme_label"] == vocab.NON_ANSWER_THEME_LABEL).all()
    non_answer = frame["text"].isin(["Nothing", "N/A", "No comment", "Did not answer"])
    assert (assign.loc[non_answer, "theme_id"] == -2).all()
    assert "text" not in assign.columns  # no comment text in the row-level file


@pytest.mark.slow
def test_themes_table_and_quality(synthetic_run) -> None:
    frame, out, _ = synthetic_run
    themes = pd.read_csv(out / "themes.csv")
    quality = json.loads((out / "quality.json").read_text())
    assert quality["n_rows"] == len(frame)
    rows = themes[themes["row_type"] == "theme"]
    assert quality["n_themes"] == len(rows) >= 4
    # no theme book: every theme is a candidate for review
    assert quality["n_candidates"] == len(rows) and set(rows["status"]) == {"candidate"}
    assert {"n_documents", "outlier_share", "nmi", "ari", "diversity", "coherence_npmi"} <= set(quality)
    assert quality["nmi"] > 0.5 and quality["ari"] > 0.4  # six clearly different subjects
    assert quality["model_sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    # the cycle's prevalence: respondents with a substantive answer, 95% Wilson interval around it
    shown = rows[~rows["suppressed"]]
    assert ((shown["ci_low"] <= shown["pct"]) & (shown["pct"] <= shown["ci_high"])).all()
    assert (shown["n"] >= 10).all() and rows["base"].nunique() == 1
    assert shown["pct"].round(6).tolist() == (shown["n"] / shown["base"]).round(6).tolist()


@pytest.mark.slow
def test_report_is_self_contained_readable_and_deidentified(synthetic_run) -> None:
    _, out, _ = synthetic_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html and "<link" not in html
    for heading in ("Themes", "No substantive", "by borough", "over time", "Quality"):
        assert heading in html
    assert "<blockquote>" in html
    assert "07700 900123" not in html and "[PHONE]" in html


@pytest.mark.slow
def test_second_run_uses_the_cache(synthetic_run, cache_dir: Path, tmp_path: Path) -> None:
    frame, out, _ = synthetic_run
    source = tmp_path / "again.csv"
    frame.to_csv(source, index=False)
    code = main(["themes", str(source), "--text-column", "text", "--seed", "5",
                 "--cache-dir", str(cache_dir), "--out", str(tmp_path / "o")])
    assert code == 0
    quality = json.loads((tmp_path / "o" / "quality.json").read_text())
    assert quality["embedding"]["n_embedded"] == 0 and quality["embedding"]["n_cached"] > 0
    first = pd.read_csv(out / "assignments.csv")["theme_id"]
    second = pd.read_csv(tmp_path / "o" / "assignments.csv")["theme_id"]
    assert first.tolist() == second.tolist()  # same data, same seed => same themes


def test_bad_column_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "c.csv"
    pd.DataFrame({"comment": ["a", "b"]}).to_csv(source, index=False)
    code = main(["themes", str(source), "--text-column", "answer", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "--text-column: no column 'answer'" in err and "Traceback" not in err
    code = main(["themes", str(source), "--text-column", "comment", "--label-onehot", "comment",
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "FIRST:LAST" in capsys.readouterr().err


def test_module_import_stays_light() -> None:
    code = ("import sys, analysis.cli.themes; "
            "print(any(m in sys.modules for m in ('torch', 'bertopic', 'umap', 'sentence_transformers')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=paths.REPO_ROOT)
    assert result.stdout.strip() == "False"


@pytest.mark.shared
@pytest.mark.slow
def test_cli_on_a_sample_of_real_fft_comments(tmp_path: Path, cache_dir: Path) -> None:
    if not FFT_CSV.is_file():
        pytest.skip("shared FFT feedback file not available (../shared)")
    sample = pd.read_csv(FFT_CSV, dtype=str, keep_default_na=False).sample(600, random_state=1)
    source = tmp_path / "fft_sample.csv"
    sample.to_csv(source, index=False)
    out = tmp_path / "out"
    code = main(["themes", str(source), "--text-column", "FFT answer", "--id-column", "Comment ID",
                 "--group-column", "Trust", "--time-column", "Date",
                 "--label-onehot", f"{FFT_FIRST_CODE}:{FFT_LAST_CODE}",
                 "--cache-dir", str(cache_dir), "--out", str(out)])
    assert code == 0
    assign = pd.read_csv(out / "assignments.csv", dtype={"id": str})
    assert assign["id"].tolist() == sample["Comment ID"].tolist()
    did_not = sample["FFT answer"].str.strip().str.lower() == "did not answer"
    assert (assign.loc[did_not.to_numpy(), "theme_id"] == -2).all()
    quality = json.loads((out / "quality.json").read_text())
    assert quality["n_rows"] == 600 and 3 <= quality["n_themes"] <= 40
    assert 0 < quality["nmi"] < 1 and -1 < quality["ari"] < 1
    assert quality["outlier_share"] < 0.2
    assert (out / "theme_precision_recall.csv").is_file()
