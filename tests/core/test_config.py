"""The cycle config: validated on load, with one clear message per problem."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.core import paths
from analysis.core.config import CycleConfig, load_config
from analysis.core.errors import ConfigError
from tests.conftest import write_config


def test_example_config_loads() -> None:
    config = load_config(paths.EXAMPLE_CONFIG)
    assert isinstance(config, CycleConfig)
    assert config.cycle == "example"
    assert config.suppression_threshold == 10
    assert {q.id for q in config.question_bank.items} >= {"real_improvements", "personal_impact", "told_outcome"}
    # wording changes across waves are kept per item
    heard = next(q for q in config.question_bank.items if q.id == "heard_equally")
    assert len(heard.wording) == 2
    assert config.positive_levels()["real_improvements"] == ["Agree", "Strongly agree"]


def test_unknown_key_is_named(tmp_path, example_config_dict) -> None:
    example_config_dict["supression_threshold"] = 5  # typo
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    assert "supression_threshold" in str(err.value)
    assert "unknown key" in str(err.value)
    assert err.value.exit_code == 2


def test_nested_unknown_key_and_wrong_type(tmp_path, example_config_dict) -> None:
    example_config_dict["themes"] = {"min_wrods": 3}
    example_config_dict["seed"] = "not a number"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    message = str(err.value)
    assert "themes.min_wrods" in message and "seed" in message


def test_missing_input_file_is_named(tmp_path, example_config_dict) -> None:
    example_config_dict["inputs"][0]["path"] = "data/raw/example/does_not_exist.csv"
    with pytest.raises(ConfigError, match="does_not_exist.csv"):
        load_config(write_config(tmp_path, example_config_dict))


def test_mapping_to_unknown_item_is_rejected(tmp_path, example_config_dict) -> None:
    example_config_dict["inputs"][0]["columns"]["Q1"] = "item.real_improvment"
    with pytest.raises(ConfigError, match="real_improvment"):
        load_config(write_config(tmp_path, example_config_dict))


def test_unknown_positive_level_is_rejected(tmp_path, example_config_dict) -> None:
    example_config_dict["question_bank"]["items"][0]["positive"] = ["Agree", "Strongly agre"]
    with pytest.raises(ConfigError, match="Strongly agre"):
        load_config(write_config(tmp_path, example_config_dict))


def test_required_field_must_be_mapped(tmp_path, example_config_dict) -> None:
    cols = example_config_dict["inputs"][0]["columns"]
    del cols["Date Completed"]
    with pytest.raises(ConfigError, match="submitted_at"):
        load_config(write_config(tmp_path, example_config_dict))


def test_not_yaml(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("cycle: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_cli_broken_config_exit_code_2_without_traceback(tmp_path, example_config_dict) -> None:
    example_config_dict["colour"] = "blue"
    path = write_config(tmp_path, example_config_dict)
    proc = subprocess.run([sys.executable, "-m", "analysis", "validate", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "colour" in proc.stderr
    assert "Traceback" not in proc.stderr
