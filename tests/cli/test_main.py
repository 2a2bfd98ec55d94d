"""The command line as users meet it: help, exit codes, clear errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from analysis.cli.main import main


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_command() -> None:
    proc = run("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("make-example", "validate", "clean", "run", "deidentify", "themes", "change"):
        assert command in proc.stdout


@pytest.mark.parametrize("command", ["make-example", "validate", "clean", "run", "deidentify", "themes", "change"])
def test_every_subcommand_has_help(command) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0


@pytest.mark.slow
def test_validate_example_reports_planted_problems_with_exit_1(example_copy, capsys) -> None:
    config_path, _ = example_copy
    code = main(["validate", str(config_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "involvement_survey_2019_2021.csv, row" in out
    assert "unparseable date" in out and "problem(s) found" in out


@pytest.mark.slow
def test_broken_input_file_gives_one_clear_message(example_copy, tmp_path) -> None:
    config_path, data = example_copy
    broken = tmp_path / "raw" / "actions_log.csv"
    broken.write_text("Something else entirely\nx\n")
    proc = run("clean", str(config_path))
    assert proc.returncode == 1
    assert "actions_log.csv" in proc.stderr and "'Action ID'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") <= 2


@pytest.mark.slow
def test_empty_input_file(example_copy, tmp_path) -> None:
    config_path, _ = example_copy
    (tmp_path / "raw" / "population_benchmark.csv").write_bytes(b"")
    proc = run("validate", str(config_path))
    assert proc.returncode == 1
    assert "population_benchmark.csv: the file is empty" in proc.stdout


@pytest.mark.slow
def test_clean_writes_processed_tables(example_copy, tmp_path) -> None:
    config_path, data = example_copy
    proc = run("clean", str(config_path))
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "processed" / "example"
    for name in ("respondents", "responses", "comments", "activities", "actions", "population"):
        assert (out / f"{name}.parquet").is_file()
    for name in ("rejected", "duplicates", "reconciliation", "redactions", "data_dictionary"):
        assert (out / f"{name}.csv").is_file()
    assert "demo key" in proc.stdout


def test_config_typo_exit_2(tmp_path, example_config_dict) -> None:
    example_config_dict["cleaning"] = {"duplicate_keep": "newest"}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(example_config_dict))
    proc = run("run", str(path))
    assert proc.returncode == 2
    assert "cleaning.duplicate_keep" in proc.stderr and "Traceback" not in proc.stderr


def test_run_with_several_configs_refuses_out_and_a_cycle_given_twice(capsys):
    """Both are refused with one message before any run starts."""
    from analysis.cli.main import main

    assert main(["run", "config/example-2024.yaml", "config/example.yaml", "--out", "x"]) == 1
    assert "--out names one report folder" in capsys.readouterr().err
    assert main(["run", "config/example.yaml", "config/example.yaml"]) == 1
    assert "cycle 'example' is given twice" in capsys.readouterr().err
