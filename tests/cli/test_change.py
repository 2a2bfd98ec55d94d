"""``python -m analysis change``: answer options as users type them (repeated flags, scales, bad answers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli.main import main

ANSWERS = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"]


def _survey(tmp_path: Path, extra: dict[str, int] | None = None, seed: int = 3) -> tuple[Path, pd.DataFrame]:
    """Two waves of one question; ``extra`` adds answers (value -> count per wave)."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave in (2024, 2025):
        for answer in rng.choice(ANSWERS, size=120, p=[0.3, 0.2, 0.2, 0.2, 0.1]):
            rows.append({"wave": wave, "answer": str(answer)})
        for value, count in (extra or {}).items():
            rows += [{"wave": wave, "answer": value}] * count
    table = pd.DataFrame(rows)
    path = tmp_path / "survey.csv"
    table.to_csv(path, index=False)
    return path, table


def _latest_pct(out: Path) -> pd.Series:
    res = pd.read_csv(out / "results.csv")
    return res[(res["test"] == "pct_positive") & (res["wave"] == 2025)].iloc[0]


def _run(path: Path, out: Path, *options: str) -> int:
    return main(["change", str(path), "--wave-column", "wave", "--outcome-column", "answer", "--no-figures",
                 "--out", str(out), *options])


def test_repeated_positive_keeps_every_value(tmp_path, capsys):
    path, table = _survey(tmp_path)
    latest = table[table["wave"] == 2025]["answer"]
    expected = 100 * latest.isin(["Agree", "Strongly agree"]).mean()
    assert _run(path, tmp_path / "repeated", "--positive", "Agree", "--positive", "Strongly agree") == 0
    assert _run(path, tmp_path / "listed", "--positive", "Agree", "Strongly agree") == 0
    assert _run(path, tmp_path / "one", "--positive", "Strongly agree") == 0
    assert _latest_pct(tmp_path / "repeated")["estimate"] == pytest.approx(expected)
    assert _latest_pct(tmp_path / "listed")["estimate"] == pytest.approx(expected)
    # Only "Strongly agree" positive: the rest of the scale is negative by default, and the share is smaller.
    assert _latest_pct(tmp_path / "one")["estimate"] == pytest.approx(100 * (latest == "Strongly agree").mean())


def test_excluded_answers_and_missing_codes_stay_out_of_the_base(tmp_path, capsys):
    extra = {"Don't know": 4, "Prefer not to say": 3, "Not sure": 2, "Can\u2019t say": 2, "N/A": 1, "9": 5, "6": 1}
    path, table = _survey(tmp_path, extra)
    # Don't know, Prefer not to say, Not sure, Can't say and N/A are excluded by default; the codes are added.
    assert _run(path, tmp_path / "out", "--exclude", "6", "--exclude", "9") == 0
    row = _latest_pct(tmp_path / "out")
    on_scale = table[(table["wave"] == 2025) & table["answer"].isin(ANSWERS)]
    assert row["n"] == len(on_scale)
    assert row["positives"] == on_scale["answer"].isin(["Agree", "Strongly agree"]).sum()
    for kind, count in (("Don't know", 4), ("Prefer not to say", 3), ("9", 5), ("Can't say", 2)):
        assert f"{kind} {count}" in row["note"]


def test_unknown_answer_stops_with_value_and_count(tmp_path, capsys):
    path, _ = _survey(tmp_path, {"Agree strongly": 3, "9": 2})
    code = _run(path, tmp_path / "out", "--positive", "Agree", "Strongly agree")
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "survey.csv" in err and "'Agree strongly' (6 answers)" in err and "'9' (4 answers)" in err
    assert "answer" in err  # the column
    assert not (tmp_path / "out" / "results.csv").exists()
    # Declaring the missing code and the odd spelling makes the same file run.
    assert _run(path, tmp_path / "ok", "--positive", "Agree", "Strongly agree", "Agree strongly",
                "--exclude", "9") == 0


def test_a_default_exclusion_can_be_counted_as_negative(tmp_path, capsys):
    path, table = _survey(tmp_path, {"Not sure": 10})
    assert _run(path, tmp_path / "out", "--negative", "Not sure", "Neither agree nor disagree", "Disagree",
                "Strongly disagree") == 0
    assert _latest_pct(tmp_path / "out")["n"] == (table["wave"] == 2025).sum()
