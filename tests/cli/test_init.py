"""``python -m analysis init``: writes a draft that validates, never overwrites by accident, clear errors."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.cli.main import main
from analysis.core import paths
from analysis.core.config import load_config


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "trust-2025"
    folder.mkdir()
    pd.DataFrame({"Response ID": ["R1", "R2"], "Date completed": ["01/02/2025", "02/02/2025"],
                  "You are": ["Staff", "Patient"], "Borough": ["Brent", "Ealing"],
                  "I was told what happened as a result of my input": ["Agree", "SD"],
                  "Favourite colour": ["red", "blue"]}).to_csv(folder / "survey.csv", index=False)
    pd.DataFrame({"Ward": ["5B"], "Bed number": ["3"]}).to_csv(folder / "ward_audit.csv", index=False)
    return folder


def test_init_writes_a_config_that_validates_and_names_what_it_could_not_map(exports, tmp_path, capsys) -> None:
    out = tmp_path / "config" / "trust.yaml"
    code = main(["init", str(exports), "--out", str(out), "--question-bank", str(paths.EXAMPLE_CONFIG)])
    printed = capsys.readouterr().out
    assert code == 0
    config = load_config(out)
    assert config.cycle == "trust-2025"
    assert config.inputs[0].columns["I was told what happened as a result of my input"] == "item.told_outcome"
    assert "survey.csv: involvement_survey, 5 column(s) mapped; could not map 'Favourite colour'" in printed
    assert "ward_audit.csv: not recognised; could not map 'Ward', 'Bed number'" in printed
    assert "it validates; 3 line(s) marked TODO" in printed


def test_init_refuses_to_overwrite_without_force(exports, tmp_path, capsys) -> None:
    out = tmp_path / "cycle.yaml"
    out.write_text("# my hand-edited config\n", encoding="utf-8")
    assert main(["init", str(exports), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "# my hand-edited config\n"
    assert main(["init", str(exports), "--out", str(out), "--force", "--cycle", "trust"]) == 0
    assert load_config(out).cycle == "trust"


def test_init_default_output_is_config_cycle_yaml_and_is_never_clobbered(exports, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(paths, "CONFIG_DIR", tmp_path / "config")
    assert main(["init", str(exports)]) == 0
    written = tmp_path / "config" / "trust-2025.yaml"
    before = written.read_bytes()
    assert main(["init", str(exports)]) == 1
    assert written.read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["init", "/no/such/folder"], "folder not found"),
    (["init", "{empty}"], "no export in"),
    (["init", "{exports}", "--cycle", "../etc"], "not a valid cycle id"),
    (["init", "{exports}", "--question-bank", "/no/bank.yaml"], "not found"),
])
def test_init_errors_are_one_clear_line(args, message, exports, tmp_path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("nothing here", encoding="utf-8")
    argv = [a.format(exports=exports, empty=empty) for a in args] + ["--out", str(tmp_path / "x.yaml")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (1, 2) and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.slow
def test_init_on_a_copy_of_the_example_validates_from_the_shell(tmp_path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "example"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, folder)
    out = tmp_path / "example.yaml"
    proc = subprocess.run([sys.executable, "-m", "analysis", "init", str(folder), "--out", str(out),
                           "--question-bank", str(paths.EXAMPLE_CONFIG)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "it validates" in proc.stdout
    assert len(load_config(out).inputs) >= len(load_config(paths.EXAMPLE_CONFIG).inputs)


def test_init_has_help() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["init", "--help"])
    assert exit_.value.code == 0
