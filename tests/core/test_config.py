"""The cycle config: validated on load, with one clear message per problem."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis.core import paths, vocab
from analysis.core.config import ConfigLoader, CycleConfig, is_example_data, load_config, read_yaml
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


@pytest.mark.slow
def test_cli_broken_config_exit_code_2_without_traceback(tmp_path, example_config_dict) -> None:
    example_config_dict["colour"] = "blue"
    path = write_config(tmp_path, example_config_dict)
    proc = subprocess.run([sys.executable, "-m", "analysis", "validate", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "colour" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- strictness (issue 10, item 6)
def _example_text() -> str:
    return paths.EXAMPLE_CONFIG.read_text(encoding="utf-8")


def _line_of(text: str, start: str) -> int:
    """1-based number of the first line that starts with ``start`` (found, never hard-coded)."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


def _write_text(tmp_path, text: str, name: str = "cycle.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _replace_line(text: str, start: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    index = _line_of(text, start) - 1
    lines[index] = new + "\n"
    return "".join(lines)


def test_yes_is_not_a_threshold_and_the_line_is_named(tmp_path) -> None:
    text = _example_text()
    path = _write_text(tmp_path, _replace_line(text, "suppression_threshold:", "suppression_threshold: yes"))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    line = _line_of(text, "suppression_threshold:")
    assert message == (f"config cycle.yaml, line {line}, suppression_threshold: "
                       "must be a whole number written without quotes, not 'yes'")
    assert err.value.exit_code == 2


@pytest.mark.parametrize("value", ["10", 10.5, 10.0, True])
def test_threshold_must_be_an_unquoted_whole_number(tmp_path, example_config_dict, value) -> None:
    example_config_dict["suppression_threshold"] = value
    with pytest.raises(ConfigError, match=r"suppression_threshold: must be a whole number") as err:
        load_config(write_config(tmp_path, example_config_dict))
    assert repr(value) in str(err.value)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "1"])
def test_booleans_are_only_true_or_false(tmp_path, word) -> None:
    text = _example_text().replace("    encoding: auto\n", f"    encoding: auto\n    likert_codes_reversed: {word}\n", 1)
    with pytest.raises(ConfigError, match=r"inputs\.0\.likert_codes_reversed: must be true or false"):
        load_config(_write_text(tmp_path, text))


def test_true_and_false_still_load(tmp_path) -> None:
    text = _example_text().replace("    encoding: auto\n", "    encoding: auto\n    likert_codes_reversed: True\n", 1)
    config = load_config(_write_text(tmp_path, text))
    assert config.inputs[0].likert_codes_reversed is True


def test_other_strict_types_text_and_wording_years(tmp_path, example_config_dict) -> None:
    example_config_dict["title"] = 2025
    example_config_dict["question_bank"]["items"][0]["wording"] = {"2019": "quoted year"}
    example_config_dict["change"]["alpha"] = "0.05"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    lines = str(err.value).splitlines()
    assert len(lines) == 3 and all(line.startswith("config cycle.yaml, line ") for line in lines)
    assert any("title: must be text (put it in quotes), not 2025" in line for line in lines)
    assert any("question_bank.items.0.wording.2019: this key must be a whole number" in line for line in lines)
    assert any("change.alpha: must be a number" in line for line in lines)


def test_paths_still_load_from_yaml_text() -> None:
    config = load_config(paths.EXAMPLE_CONFIG)
    assert isinstance(config.inputs[0].path, Path) and isinstance(config.themes.codebook, Path)
    assert isinstance(config.outputs.processed_dir, Path)


@pytest.mark.parametrize("threshold", [3, 4, 101, 1000])
def test_unusual_threshold_needs_the_allow_key(tmp_path, example_config_dict, threshold) -> None:
    example_config_dict["suppression_threshold"] = threshold
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    message = str(err.value)
    assert "suppression_threshold" in message and "5-100" in message and "allow_unusual_threshold: true" in message
    example_config_dict["allow_unusual_threshold"] = True
    assert load_config(write_config(tmp_path, example_config_dict)).suppression_threshold == threshold


@pytest.mark.parametrize("threshold", [5, 100])
def test_threshold_range_ends_are_usual(tmp_path, example_config_dict, threshold) -> None:
    example_config_dict["suppression_threshold"] = threshold
    assert load_config(write_config(tmp_path, example_config_dict)).suppression_threshold == threshold


def test_threshold_below_one_is_refused_even_when_allowed(tmp_path, example_config_dict) -> None:
    example_config_dict.update(suppression_threshold=0, allow_unusual_threshold=True)
    with pytest.raises(ConfigError, match="suppression_threshold"):
        load_config(write_config(tmp_path, example_config_dict))


def test_duplicate_top_level_key_names_key_and_both_lines(tmp_path) -> None:
    text = _example_text()
    first = _line_of(text, "suppression_threshold:")
    text = text.replace("suppression_threshold: 10\n", "suppression_threshold: 10\nsuppression_threshold: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(_write_text(tmp_path, text))
    assert str(err.value) == (f"config cycle.yaml, line {first + 1}, suppression_threshold: duplicate key "
                              f"'suppression_threshold' (first written on line {first}); each key may appear only once")


def test_nested_duplicates_are_named_by_path(tmp_path) -> None:
    text = _example_text()
    text = text.replace("  duplicate_keep: last\n", "  duplicate_keep: last\n  duplicate_keep: first\n")
    text = text.replace("    encoding: auto\n", "    encoding: auto\n    encoding: cp1252\n", 1)
    with pytest.raises(ConfigError) as err:
        load_config(_write_text(tmp_path, text))
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    keep = _line_of(text, "  duplicate_keep: first")
    encoding = _line_of(text, "    encoding: cp1252")
    assert f"line {encoding}, inputs.0.encoding: duplicate key 'encoding' (first written on line {encoding - 1})" in lines[0]
    assert f"line {keep}, cleaning.duplicate_keep: duplicate key 'duplicate_keep'" in lines[1]


def test_duplicate_raw_header_in_columns_is_refused(tmp_path) -> None:
    text = _example_text().replace('      "Q1": item.real_improvements\n',
                                   '      "Q1": item.real_improvements\n      Q1: item.told_outcome\n', 1)
    with pytest.raises(ConfigError, match=r"inputs\.0\.columns\.Q1: duplicate key 'Q1'"):
        load_config(_write_text(tmp_path, text))


def test_duplicate_key_in_a_codebook_is_refused(tmp_path) -> None:
    from analysis.themes.model import load_codebook

    path = _write_text(tmp_path, "themes:\n  - id: 1\n    name: Payment\n    name: Expenses\n", "codebook.yaml")
    with pytest.raises(ConfigError) as err:
        load_codebook(path)
    assert str(err.value) == ("codebook codebook.yaml, line 4, themes.0.name: duplicate key 'name' "
                              "(first written on line 3); each key may appear only once")


def test_yaml_loader_keeps_merge_keys_and_reads_yes_as_text(tmp_path) -> None:
    path = _write_text(tmp_path, "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  a: 3\nflags: [yes, no, on, true, FALSE]\n",
                       "any.yaml")
    assert read_yaml(path, "file") == {"base": {"a": 1, "b": 2}, "x": {"a": 3, "b": 2},
                                       "flags": ["yes", "no", "on", True, False]}
    with pytest.raises(yaml.YAMLError, match="duplicate key 'a'"):
        yaml.load("a: 1\nb: 2\na: 3\n", Loader=ConfigLoader)  # noqa: S506 - ConfigLoader is a SafeLoader


def test_bad_yaml_names_its_line(tmp_path) -> None:
    path = _write_text(tmp_path, "cycle: example\ntitle: [unclosed\n")
    with pytest.raises(ConfigError, match=r"^config cycle\.yaml, line \d+: not valid YAML"):
        load_config(path)


def test_nested_unknown_keys_are_named_with_their_line(tmp_path) -> None:
    text = _example_text()
    text = text.replace("    encoding: auto\n", "    encoding: auto\n    delimeter: ';'\n", 1)
    text = text.replace("      short_label: \"Real improvements\"\n",
                        "      short_label: \"Real improvements\"\n      familly: involvement\n", 1)
    with pytest.raises(ConfigError) as err:
        load_config(_write_text(tmp_path, text))
    message = str(err.value)
    assert f"line {_line_of(text, '    delimeter:')}, inputs.0.delimeter: unknown key" in message
    assert f"line {_line_of(text, '      familly:')}, question_bank.items.0.familly: unknown key" in message


@pytest.mark.parametrize("name", ["../../etc", "a/b", "reports/../x", "cycle.2025", ".hidden", "Example", "",
                                  "with space", "x" * 65, "-leading"])
@pytest.mark.parametrize("key", ["cycle", "previous_cycle"])
def test_unsafe_cycle_ids_are_refused(tmp_path, example_config_dict, key, name) -> None:
    example_config_dict[key] = name
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    assert f", {key}: " in str(err.value) and "not a valid cycle id" in str(err.value)


@pytest.mark.parametrize("name", ["example-2024", "trust_2025", "2026", "a"])
def test_safe_cycle_ids_load(tmp_path, example_config_dict, name) -> None:
    example_config_dict["previous_cycle"] = name
    assert load_config(write_config(tmp_path, example_config_dict)).previous_cycle == name


def test_a_cycle_is_not_its_own_previous_cycle(tmp_path, example_config_dict) -> None:
    example_config_dict["previous_cycle"] = example_config_dict["cycle"]
    with pytest.raises(ConfigError, match="previous_cycle: cycle 'example' cannot be its own previous cycle"):
        load_config(write_config(tmp_path, example_config_dict))


def test_demo_key_is_refused_outside_the_synthetic_example(tmp_path, example_config_dict) -> None:
    # A real cycle copied from the example: new name and inputs, demo key kept, no synthetic_example.
    del example_config_dict["synthetic_example"]
    example_config_dict["cycle"] = "trust-2026"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    message = str(err.value)
    assert len(message.splitlines()) == 1
    assert "deidentification.demo_key" in message and "INVOLVEMENT_PSEUDONYM_KEY" in message
    assert "deidentification.key_file" in message
    example_config_dict["synthetic_example"] = False
    with pytest.raises(ConfigError, match="deidentification.demo_key"):
        load_config(write_config(tmp_path, example_config_dict))


def test_real_cycle_with_a_secret_key_loads(tmp_path, example_config_dict) -> None:
    del example_config_dict["synthetic_example"]
    example_config_dict["deidentification"].pop("demo_key")
    example_config_dict["deidentification"]["key_file"] = str(tmp_path / "trust.key")
    config = load_config(write_config(tmp_path, example_config_dict))
    assert not config.synthetic_example and config.deidentification.demo_key is None


def test_synthetic_example_flag_needs_the_generators_data(tmp_path, example_config_dict) -> None:
    # The flag copied along with the demo key into a config reading a real export is refused too.
    real = tmp_path / "trust"
    real.mkdir()
    shutil.copy(paths.resolve(example_config_dict["inputs"][0]["path"]), real / "export.csv")
    example_config_dict["inputs"][0]["path"] = str(real / "export.csv")
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    message = str(err.value)
    assert len(message.splitlines()) == 1
    assert "inputs.0.path: synthetic_example is true but" in message and "export.csv" in message
    assert "INVOLVEMENT_PSEUDONYM_KEY" in message


def test_demo_key_accepted_for_the_example_and_its_copies(example_copy) -> None:
    config_path, _ = example_copy  # the whole generated folder, README included, copied to tmp
    config = load_config(config_path)
    assert config.synthetic_example and config.deidentification.demo_key
    assert all(is_example_data(config.input_path(f)) for f in config.inputs)


@pytest.mark.parametrize("name", ["example.yaml", "example-2024.yaml"])
def test_shipped_example_configs_load_strictly(name) -> None:
    config = load_config(paths.CONFIG_DIR / name)
    assert config.synthetic_example and config.suppression_threshold == 10
    assert not config.allow_unusual_threshold


@pytest.mark.slow
def test_cli_shows_a_strict_config_error_as_one_line(tmp_path) -> None:
    text = _replace_line(_example_text(), "previous_cycle:", "previous_cycle: ../../etc")
    path = _write_text(tmp_path, text)
    proc = subprocess.run([sys.executable, "-m", "analysis", "validate", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: config cycle.yaml, line {_line_of(text, 'previous_cycle:')}, "
                                  "previous_cycle: '../../etc' is not a valid cycle id")


# --------------------------------------------------------------------------- vocabularies
GM = {"geography": {"name": "borough",
                    "values": ["Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport",
                               "Tameside", "Trafford", "Wigan"],
                    "aliases": {"Manchester": ["City of Manchester", "MCR"]},
                    "outside_label": "Outside Greater Manchester",
                    "outside_aliases": ["Cheshire East", "Lancashire"]},
      "respondent_types": {"values": ["Staff", "Expert by experience", "Resident", "Carer",
                                      "Health or care professional"]}}


def test_vocabularies_default_to_the_examples_lists(tmp_path, example_config_dict) -> None:
    # An older config without the section keeps working, with the example's (NW London) lists,
    # which the shipped example configs also write out in full.
    del example_config_dict["vocabularies"]
    default = load_config(write_config(tmp_path, example_config_dict)).vocabularies
    assert default.geography.values == list(vocab.BOROUGHS)
    assert default.geography.outside_label == vocab.BOROUGH_OTHER
    assert default.respondent_types.values == list(vocab.RESPONDENT_TYPES)
    assert default.respondent_types.spellings("involvement_survey")["Expert by experience"][:2] == [
        "Expert by experience", "EbE"]
    written = load_config(paths.EXAMPLE_CONFIG).vocabularies
    assert written.geography.allowed_values() == default.geography.allowed_values()
    assert set(written.geography.outside_aliases) == set(default.geography.outside_aliases)
    for area in default.geography.values:
        assert set(written.geography.aliases.get(area, [])) | {area} == set(default.geography.aliases[area]) | {area}
    for dataset, table in default.respondent_types.aliases.items():
        for kind, spellings in table.items():
            assert set(written.respondent_types.aliases[dataset][kind]) | {kind} == set(spellings) | {kind}


def test_a_cycle_sets_its_own_geography(tmp_path, example_config_dict) -> None:
    example_config_dict["vocabularies"] = GM
    config = load_config(write_config(tmp_path, example_config_dict))
    assert config.vocabularies.geography.allowed_values()[-2:] == ["Wigan", "Outside Greater Manchester"]
    # A survey without aliases accepts every type by its own name.
    assert config.vocabularies.respondent_types.spellings("engagement_survey") == {
        t: [] for t in GM["respondent_types"]["values"]}
    assert config.notebook_parameters("03_change_over_time")["groups"] == GM["respondent_types"]["values"]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda g, t: g["aliases"].update({"Brent": ["Brnt"]}), "vocabularies.geography.aliases.Brent: 'Brent' is not one of values"),
    (lambda g, t: g["aliases"].update({"Bury": ["MCR"]}), "aliases.Manchester: 'MCR' would mean both 'Bury' and 'Manchester'"),
    (lambda g, t: g["aliases"].update({"Bury": ["manchester"]}), "would mean both 'Bury' and 'Manchester'"),
    (lambda g, t: g.update(outside_label="Wigan"), "outside_label: 'Wigan' is also one of values"),
    (lambda g, t: g["outside_aliases"].append("City of Manchester"), "outside_aliases.2: 'City of Manchester' is also an area"),
    (lambda g, t: g["values"].append("Bolton"), "repeated area(s): Bolton"),
    (lambda g, t: g.update(values=[]), "vocabularies.geography.values"),
    (lambda g, t: g.update(name="Borough; DROP"), "is not a plain name"),
    (lambda g, t: g["aliases"].update({"Bolton": ["--"]}), "'--' is blank"),
    (lambda g, t: g.pop("outside_label"), "vocabularies.geography.outside_label: required key is missing"),
    (lambda g, t: t.update(aliases={"staff_survey": {"Staff": []}}), "vocabularies.respondent_types.aliases.staff_survey"),
    (lambda g, t: t.update(aliases={"involvement_survey": {"Patient": []}}), "'Patient' is not one of values"),
    (lambda g, t: t.update(aliases={"engagement_survey": {"Staff": ["Nurse"], "Carer": ["NURSE"]}}),
     "'NURSE' would mean both 'Staff' and 'Carer'"),
    (lambda g, t: t.update(values="Staff"), "vocabularies.respondent_types.values: must be a list"),
])
def test_bad_vocabularies_are_named(tmp_path, example_config_dict, change, expected) -> None:
    vocabularies = copy.deepcopy(GM)
    change(vocabularies["geography"], vocabularies["respondent_types"])
    example_config_dict["vocabularies"] = vocabularies
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, example_config_dict))
    assert expected in str(err.value)
    assert "line " in str(err.value)


# --- reach: the co-production ladder and the case-study log ---------------------------------------------
def test_reach_ladder_defaults_to_the_five_rungs(tmp_path, example_config_dict) -> None:
    example_config_dict.pop("reach", None)
    config = load_config(write_config(tmp_path, example_config_dict))
    assert config.reach.ladder == list(vocab.INVOLVEMENT_LADDER)
    assert config.reach.coproduced_levels() == ["co-produce"]


def test_a_cycle_sets_its_own_ladder_and_top_rungs(tmp_path, example_config_dict) -> None:
    example_config_dict["reach"] = {"ladder": ["told", "asked", "shaped", "led"], "coproduced_rungs": 2}
    config = load_config(write_config(tmp_path, example_config_dict))
    assert config.reach.coproduced_levels() == ["shaped", "led"]


@pytest.mark.parametrize(("reach", "expected"), [
    ({"ladder": ["inform", "Co-produce", "co produce"]}, r"reach\.ladder: rungs must differ.*co produce"),
    ({"ladder": ["inform"]}, r"reach\.ladder"),
    ({"ladder": ["inform", " "]}, r"reach\.ladder: a rung of the ladder is blank"),
    ({"coproduced_rungs": 5}, r"reach\.coproduced_rungs: 5 top rungs would be the whole ladder of 5"),
    ({"coproduced_rungs": 0}, r"reach\.coproduced_rungs"),
    ({"coproduced_rungs": "2"}, r"reach\.coproduced_rungs: must be a whole number"),
])
def test_bad_ladders_are_named(tmp_path, example_config_dict, reach, expected) -> None:
    example_config_dict["reach"] = reach
    with pytest.raises(ConfigError, match=expected):
        load_config(write_config(tmp_path, example_config_dict))


def test_ladder_levels_match_ignoring_case_spaces_and_hyphens() -> None:
    from analysis.core.config import ladder_key

    assert ladder_key("Co-produce") == ladder_key(" co produce ") == ladder_key("CO\u2011PRODUCE") == "coproduce"
    assert ladder_key("co-design") != ladder_key("co-produce")


def test_case_study_log_needs_its_required_fields(tmp_path, example_config_dict) -> None:
    case = next(f for f in example_config_dict["inputs"] if f["dataset"] == "case_studies")
    assert set(case["columns"].values()) >= {"case_ref", "title", "theme_ids", "consent"}
    del case["columns"]["Consent to publish"]
    with pytest.raises(ConfigError, match=r"required field\(s\) not mapped in case_studies: \['consent'\]"):
        load_config(write_config(tmp_path, example_config_dict))


def test_documents_index_needs_its_fields_and_open_documents_is_reserved(tmp_path, example_config_dict) -> None:
    config = load_config(paths.EXAMPLE_CONFIG)
    (documents,) = config.inputs_of("documents")
    assert set(documents.columns.values()) >= {"document_id", "document_file", "channel", "date", "borough",
                                               "respondent_type", "consent_to_quote"}
    assert vocab.DOCUMENT_QUESTION_ID in {q.id for q in config.question_bank.open_questions}
    data = copy.deepcopy(example_config_dict)
    index = next(f for f in data["inputs"] if f["dataset"] == "documents")
    del index["columns"]["Consent to quote"]
    with pytest.raises(ConfigError, match=r"required field\(s\) not mapped in engagement_documents: "
                                          r"\['consent_to_quote'\]"):
        load_config(write_config(tmp_path, data))
    data = copy.deepcopy(example_config_dict)
    data["inputs"][0]["columns"]["Q8 What would make involvement better?"] = "open.documents"
    with pytest.raises(ConfigError, match="open.documents is reserved for the passages of documents inputs"):
        load_config(write_config(tmp_path, data))
