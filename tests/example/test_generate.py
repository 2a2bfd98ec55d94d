"""Tests of the synthetic example generator (analysis_example.generate).

The raw files are read back here with small, independent parsers (not the
toolkit's cleaners), so a planted effect or a piece of mess is checked in the
bytes a user would open, not in the generator's own bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

import analysis_example.generate as ex
from analysis.core import paths, vocab
from analysis.core.config import load_config

SURVEY_CSVS = {
    "involvement_survey_2019_2021.csv": "cp1252",
    "involvement_survey_2024_2025.csv": "utf-8-sig",
    "palliative_care_review_survey.csv": "cp1252",
}
INVOLVEMENT = ("involvement_survey_2019_2021.csv", "involvement_survey_2022_2023.xlsx",
               "involvement_survey_2024_2025.csv")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example_a")
    ex.make_example(out)
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    """A raw file as strings (blank = ""), as a user's spreadsheet shows it."""
    if name.endswith(".xlsx"):
        wb = openpyxl.load_workbook(folder / name)
        ws = wb[ex.SHEETS[name]]
        rows = list(ws.iter_rows(values_only=True))
        return pd.DataFrame([["" if v is None else v for v in r] for r in rows[1:]], columns=rows[0],
                            dtype=object)
    encoding = SURVEY_CSVS.get(name, "utf-8")
    return pd.read_csv(folder / name, encoding=encoding, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def raw(generated: Path) -> dict[str, pd.DataFrame]:
    names = [*INVOLVEMENT, "palliative_care_review_survey.csv", "palliative_care_review_activity_log.xlsx",
             "actions_log.csv", "population_benchmark.csv"]
    return {n: _read(generated, n) for n in names}


# --- determinism, size, committed copy -------------------------------------------------


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(generated: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    written = ex.make_example(again)
    assert {p.relative_to(again) for p in written} == {p.relative_to(generated) for p in generated.rglob("*")
                                                      if p.is_file()}
    for path in written:
        assert path.read_bytes() == (generated / path.relative_to(again)).read_bytes(), path.name


@pytest.mark.slow
def test_other_seed_gives_other_data() -> None:
    files_a, _ = ex.generate(ex.DEFAULT_SEED)
    files_b, _ = ex.generate(ex.DEFAULT_SEED + 1)
    texts_a = [r.cells["open.make_better"] for r in files_a["involvement_survey_2024_2025.csv"]]
    texts_b = [r.cells["open.make_better"] for r in files_b["involvement_survey_2024_2025.csv"]]
    assert texts_a != texts_b


def test_total_size_under_5_mb(generated: Path) -> None:
    total = sum(p.stat().st_size for p in generated.rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024
    assert total > 500 * 1024  # a real amount of data, not an empty shell


def test_committed_files_equal_a_fresh_generation(generated: Path) -> None:
    committed = paths.EXAMPLE_RAW_DIR
    fresh = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    assert committed.is_dir(), "data/raw/example is missing: run `python -m analysis make-example`"
    missing = [n for n in fresh if not (committed / n).is_file()]
    assert not missing, f"not committed: {missing}; run `python -m analysis make-example`"
    stale = [n for n in fresh if (committed / n).read_bytes() != (generated / n).read_bytes()]
    assert not stale, f"committed example differs from the generator: {stale}; rerun make-example"


def test_committed_codebook_matches_generator() -> None:
    path = paths.CONFIG_DIR / "codebooks" / "example.yaml"
    assert path.read_text(encoding="utf-8") == ex.codebook_yaml()


# --- formats and the config contract ---------------------------------------------------


def test_encodings(generated: Path) -> None:
    for name in ("involvement_survey_2019_2021.csv", "palliative_care_review_survey.csv"):
        data = (generated / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("cp1252")
        assert any(ch in text for ch in "\u2019£é"), name
    bom = (generated / "involvement_survey_2024_2025.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf")
    bom.decode("utf-8")
    for name in ("actions_log.csv", "population_benchmark.csv"):
        data = (generated / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")


def test_bom_file_has_quoted_commas_and_newlines(raw: dict[str, pd.DataFrame]) -> None:
    df = raw["involvement_survey_2024_2025.csv"]
    text = pd.concat([df["q_difference_made"], df["q_make_better"]])
    assert text.str.contains("\n").sum() >= 10
    assert text.str.contains(",").sum() >= 50


def test_xlsx_sheet_names(generated: Path) -> None:
    for name, sheet in ex.SHEETS.items():
        assert openpyxl.load_workbook(generated / name, read_only=True).sheetnames == [sheet]


def test_headers_and_names_match_the_config(generated: Path, raw: dict[str, pd.DataFrame]) -> None:
    config = load_config(paths.EXAMPLE_CONFIG, check_files=False)
    assert config.deidentification.staff_names == list(ex.STAFF_NAMES)
    for item in config.inputs:
        name = Path(item.path).name
        table = raw[name] if name in raw else _read(generated, name)
        assert list(table.columns) == list(item.columns), name
        if item.sheet:
            assert ex.SHEETS[name] == item.sheet
    assert {q.id for q in config.question_bank.items} == set(ex.ITEM_IDS)


# --- planted effects, recovered from the raw cells -------------------------------------

_LABELS = {
    "strongly disagree": 1, "disagree strongly": 1, "sd": 1, "disagree": 2, "tend to disagree": 2, "d": 2,
    "neither agree nor disagree": 3, "neither agree or disagree": 3, "neither": 3, "neutral": 3, "n": 3,
    "agree": 4, "tend to agree": 4, "a": 4, "strongly agree": 5, "agree strongly": 5, "sa": 5,
}
_STAFF = {"staff", "member of staff", "staff member", "employee"}
_EBE = {"expert by experience", "ebe", "patient", "service user", "carer", "patient/carer", "patient or carer",
        "lived experience"}


def _likert(value: object) -> int | None:
    text = " ".join(str(value).replace("\u00a0", " ").split()).lower()
    match = re.fullmatch(r"([1-5])(?:\.0)?(?: - (.+))?", text)
    if match:
        return int(match.group(1))
    return _LABELS.get(text)


def _year(value: object) -> int | None:
    if isinstance(value, dt.datetime):
        return value.year
    if isinstance(value, (int, float)):
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).year
    text = str(value)
    if re.fullmatch(r"\d{2}/\d{2}/\d{2}", text):
        return 2000 + int(text[-2:])
    match = re.search(r"(?:19|20)\d\d", text)
    return int(match.group()) if match else None


def _involvement_long(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Item answers with wave and group, after a minimal independent clean-up."""
    config = load_config(paths.EXAMPLE_CONFIG, check_files=False)
    frames = []
    for item in config.inputs_of("involvement_survey"):
        df = raw[Path(item.path).name]
        df = df[~df.astype(str).duplicated()]
        inv = {v: k for k, v in item.columns.items()}
        kind = df[inv["respondent_type"]].astype(str).str.strip().str.lower()
        group = kind.map(lambda k: "Staff" if k in _STAFF else ("Expert by experience" if k in _EBE else None))
        wave = df[inv["submitted_at"]].map(_year)
        ok = (df[inv["respondent_ref"]].astype(str) != "") & group.notna() & wave.isin(ex.WAVES)
        for item_id in ex.ITEM_IDS:
            codes = df[inv[f"item.{item_id}"]].map(_likert)
            frames.append(pd.DataFrame({"item": item_id, "wave": wave[ok], "group": group[ok],
                                        "code": codes[ok]}))
    long = pd.concat(frames, ignore_index=True).dropna(subset=["code"])
    long["positive"] = long["code"] >= 4
    return long


@pytest.fixture(scope="module")
def pct(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    long = _involvement_long(raw)
    by_group = long.groupby(["item", "wave", "group"])["positive"].mean().mul(100)
    overall = long.groupby(["item", "wave"])["positive"].mean().mul(100)
    return pd.concat([by_group, overall.to_frame().assign(group="All").set_index("group", append=True)
                      ["positive"].reorder_levels(["item", "wave", "group"])])


def test_real_improvements_rises(pct: pd.Series) -> None:
    all_ = pct.xs("All", level="group").loc["real_improvements"]
    assert 65 <= all_[2019] <= 76 and 83 <= all_[2025] <= 92
    assert all_[2025] - all_[2019] >= 12
    assert all_.diff().dropna().sum() > 0 and pd.Series(all_.values).corr(pd.Series(ex.WAVES)) > 0.9


def test_personal_impact_is_flat(pct: pd.Series) -> None:
    all_ = pct.xs("All", level="group").loc["personal_impact"]
    assert all_.max() - all_.min() < 4
    assert ((all_ > 84) & (all_ < 92)).all()
    gen = {w: {g: ex.P_POSITIVE["personal_impact"][g][w] for g in vocab.INVOLVEMENT_GROUPS} for w in ex.WAVES}
    assert len({v for d in gen.values() for v in d.values()}) == 1  # truly identical generating values


def test_told_outcome_low_but_rising(pct: pd.Series) -> None:
    all_ = pct.xs("All", level="group").loc["told_outcome"]
    assert all_[2019] < 50 and all_[2025] > 56
    assert pd.Series(all_.values).corr(pd.Series(ex.WAVES)) > 0.8


def test_heard_equally_gap_between_groups(pct: pd.Series) -> None:
    staff = pct.xs("Staff", level="group").loc["heard_equally"]
    ebe = pct.xs("Expert by experience", level="group").loc["heard_equally"]
    assert ((staff - ebe) > 8).all()
    assert 12 < (staff - ebe).mean() < 22
    assert staff.max() - staff.min() < 10 and ebe.max() - ebe.min() < 10


def test_readme_and_effects_file_match_the_raw_data(generated: Path, pct: pd.Series) -> None:
    effects = pd.read_csv(generated / ex.GROUND_TRUTH_EFFECTS)
    effects = effects.set_index(["item_id", "wave", "group"])["observed_pct_positive"]
    # the test's crude clean-up keeps superseded resubmissions, so allow a small difference
    diff = (effects - pct.reindex(effects.index)).abs()
    assert diff.max() < 2.5, diff.sort_values().tail()
    readme = (generated / ex.README).read_text(encoding="utf-8")
    row = effects.loc[("real_improvements", 2025, "All")]
    assert f"{row:.1f}" in readme


def test_dont_know_and_partial_rates(raw: dict[str, pd.DataFrame]) -> None:
    old = raw["involvement_survey_2019_2021.csv"]
    items = old[[f"Q{i}" for i in range(1, 7)]]
    dk = (items == "9").to_numpy().mean()
    assert 0.04 < dk < 0.09
    blank_rows = (items == "").any(axis=1).mean()
    assert 0.05 < blank_rows < 0.16  # partial responses plus single skipped items


def test_people_repeat_across_waves(raw: dict[str, pd.DataFrame]) -> None:
    ids = []
    for name, col, date in (("involvement_survey_2019_2021.csv", "Member ID", "Date Completed"),
                            ("involvement_survey_2022_2023.xlsx", "Involvement member ID", "Submitted"),
                            ("involvement_survey_2024_2025.csv", "member_id", "completed_on")):
        df = raw[name]
        ids.append(pd.DataFrame({"id": df[col], "wave": df[date].map(_year)}))
    panel = pd.concat(ids)
    panel = panel[(panel["id"] != "") & panel["wave"].isin(ex.WAVES)].drop_duplicates()
    waves_per_person = panel.groupby("id")["wave"].nunique()
    assert 0.2 < (waves_per_person > 1).mean() < 0.45


# --- open text, identifiers, themes ----------------------------------------------------


@pytest.fixture(scope="module")
def themes_gt(generated: Path) -> pd.DataFrame:
    return pd.read_csv(generated / ex.GROUND_TRUTH_THEMES, keep_default_na=False)


def test_ground_truth_points_at_every_open_text_cell(raw: dict[str, pd.DataFrame],
                                                     themes_gt: pd.DataFrame) -> None:
    for name in (*INVOLVEMENT, "palliative_care_review_survey.csv"):
        df = raw[name]
        gt = themes_gt[themes_gt["file"] == name]
        open_cols = sorted(set(gt["column"]))
        assert len(open_cols) == 2
        cells = {(i + 2, c) for c in open_cols for i, v in enumerate(df[c]) if str(v).strip()}
        assert cells == set(zip(gt["row"], gt["column"], strict=True)), name


def test_identifiers_present_in_raw_text(raw: dict[str, pd.DataFrame], themes_gt: pd.DataFrame) -> None:
    text = "\n".join(str(v) for name in (*INVOLVEMENT, "palliative_care_review_survey.csv")
                     for c in set(themes_gt.loc[themes_gt["file"] == name, "column"]) for v in raw[name][c])
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    phones = re.findall(r"(?:\+44\s?|0)(?:7700|20|161)[\s-]?\(?\d{3,4}\)?[\s-]?\d{3,4}|\(020\) 7946 \d{4}", text)
    nhs = [n for n in re.findall(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b", text) if ex.nhs_number_is_valid(n)]
    postcodes = re.findall(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b", text)
    assert len(emails) >= 20 and len(phones) >= 20 and len(nhs) >= 10 and len(postcodes) >= 10
    assert any(" " in n for n in nhs) and any(" " not in n for n in nhs)
    assert sum(text.count(n) for n in ex.STAFF_NAMES) >= 10
    assert re.search(r"(?:https?://|www\.)\S+", text)
    assert re.search(r"(?:DOB|d\.o\.b\.|born) \d", text)
    # every planted identifier value really is in its cell
    planted = themes_gt[themes_gt["identifiers"] != ""]
    assert 0.04 < len(planted) / len(themes_gt) < 0.08
    for rec in planted.itertuples():
        cell = str(raw[rec.file].iloc[rec.row - 2][rec.column])
        for pair in rec.identifiers.split(" | "):
            assert pair.split("=", 1)[1] in cell, (rec.file, rec.row, pair)


def test_open_text_is_varied_and_human(themes_gt: pd.DataFrame, raw: dict[str, pd.DataFrame]) -> None:
    texts = [str(raw[rec.file].iloc[rec.row - 2][rec.column]) for rec in themes_gt.itertuples()]
    words = pd.Series([len(t.split()) for t in texts])
    assert words.min() <= 2 and words.max() >= 50 and 8 <= words.median() <= 25
    substantive = [t for t, na in zip(texts, themes_gt["is_non_answer"], strict=True) if not na]
    assert len(set(substantive)) / len(substantive) > 0.8
    assert sum(t == t.lower() and any(c.isalpha() for c in t) for t in texts) > 100
    assert 0.08 < themes_gt["is_non_answer"].mean() < 0.2
    assert {"N/A", "nothing", "no comment", "-"} <= set(texts)


def test_codebook_and_theme_banks() -> None:
    book = yaml.safe_load((paths.CONFIG_DIR / "codebooks" / "example.yaml").read_text(encoding="utf-8"))
    ids = [t["id"] for t in book["themes"]]
    assert ids == list(range(1, len(ids) + 1))
    per_question = Counter(q for t in book["themes"] for q in t["questions"])
    assert all(6 <= n <= 9 for n in per_question.values()), per_question
    assert all(15 <= len(t.fragments()) <= 40 for t in ex.THEMES)


def test_leading_theme_without_action(raw: dict[str, pd.DataFrame], themes_gt: pd.DataFrame) -> None:
    kept = themes_gt[(themes_gt["row_status"] == "kept") & ~themes_gt["is_non_answer"]]
    top_change = kept[kept["question_id"] == "should_change"]["theme_id"].value_counts()
    top_better = kept[(kept["question_id"] == "make_better") & (kept["theme_id"] != 16)]["theme_id"].value_counts()
    actions = raw["actions_log.csv"]
    acted = {int(v) for v in actions["Theme ID"] if str(v).isdigit()}
    assert top_change.index[0] == 18 and 18 not in acted
    assert 10 in top_better.index[:5] and 10 not in acted
    assert top_better.index[0] in acted  # the leading substantive theme does have actions


# --- mess ------------------------------------------------------------------------------


def test_survey_mess_present(raw: dict[str, pd.DataFrame]) -> None:
    config = load_config(paths.EXAMPLE_CONFIG, check_files=False)
    for item in [*config.inputs_of("involvement_survey"), *config.inputs_of("engagement_survey")]:
        name = Path(item.path).name
        df = raw[name]
        inv = {v: k for k, v in item.columns.items()}
        assert 1 <= df.astype(str).duplicated().sum() <= 0.02 * len(df), name
        assert (df[inv["respondent_ref"]] == "").sum() >= 1, name
        dates = df[inv["submitted_at"]].astype(str)
        assert dates.str.contains(r"31/02/|next Tuesday|-13-01").sum() >= 1, name
        years = df[inv["submitted_at"]].map(_year)
        assert years.isin([1925, 2026]).sum() >= 1, name
        types = df[inv["respondent_type"]].astype(str).str.strip()
        assert ((types == "") | (types == "Visitor")).sum() >= 1, name
        boroughs = set(df[inv["borough"]].astype(str))
        assert boroughs & set(ex.UNKNOWN_BOROUGHS), name
        assert boroughs & set(ex.BOROUGH_TYPOS.values()), name
        assert any("\u00a0" in b or b != b.strip() for b in boroughs), name
        assert (df[inv["ethnicity"]] == "BAME").sum() >= 1, name
        deduped = df[~df.astype(str).duplicated()]
        key = inv.get("person_ref", inv["email"])
        sub = deduped[deduped[key] != ""]
        wave = sub[inv["submitted_at"]].map(_year)
        assert pd.DataFrame({"k": sub[key], "w": wave}).duplicated().sum() >= 3, f"{name}: no resubmissions"
        opens = [c for c, t in item.columns.items() if t.startswith("open.")]
        assert any(((df[c].astype(str) != "") & (df[c].astype(str).str.strip() == "")).any() for c in opens)


def test_likert_and_date_variants_present(raw: dict[str, pd.DataFrame]) -> None:
    values: set[str] = set()
    for name in INVOLVEMENT:
        df = raw[name]
        cols = [c for c in df.columns if c.startswith(("Q", "q_")) and len(c) < 30
                or c.startswith(("Involvement has", "Being involved", "My views", "I was"))]
        values |= {str(v) for c in cols for v in df[c]}
    mess_list = {"strongly  agree", "STRONGLY AGREE", "Agree strongly", "Disagree strongly", "Neither", "Neutral",
                 "Neither agree or disagree", "SA", "A", "N", "D", "SD", "Strongly Agree ", "Tend to agree",
                 "Tend to disagree", "5 - Strongly agree", "1 - Strongly disagree", "Don't know", "Dont know",
                 "DK", "Don\u2019t know", "9", "N/A", "4.0", "Agreee?", "7", "maybe"}
    assert mess_list <= values, mess_list - values
    old = raw["involvement_survey_2019_2021.csv"]["Date Completed"]
    assert old.str.fullmatch(r"\d{2}/\d{2}/\d{4}").sum() > 300 and old.str.fullmatch(r"\d{2}/\d{2}/\d{2}").sum() > 30
    xl = raw["involvement_survey_2022_2023.xlsx"]["Submitted"]
    assert xl.map(lambda v: isinstance(v, dt.datetime)).mean() > 0.7
    assert xl.map(lambda v: isinstance(v, str) and re.fullmatch(r"\d{2}/\d{2}/\d{4}", v) is not None).sum() > 30
    new = raw["involvement_survey_2024_2025.csv"]["completed_on"]
    assert new.str.match(r"\d{4}-\d{2}-\d{2}").sum() > 200 and new.str.fullmatch(r"\d{2}/\d{2}/\d{4}").sum() > 100


def test_activity_and_action_mess(raw: dict[str, pd.DataFrame]) -> None:
    acts = raw["palliative_care_review_activity_log.xlsx"]
    assert 60 <= len(acts) <= 90
    participants = acts["Participants"]
    assert (participants.map(lambda v: isinstance(v, int) and v < 0)).sum() >= 1
    assert (participants == "approx 20").sum() == 1
    assert set(acts["Type"]) >= {"Webinar", "1:1 interview", "Letter", "Meeting"}
    dates = acts["Date"].map(lambda v: v if isinstance(v, dt.datetime) else None).dropna()
    assert dates.min() >= dt.datetime(2025, 2, 1) and dates.max() <= dt.datetime(2025, 7, 31)
    actions = raw["actions_log.csv"]
    assert 20 <= len(actions) <= 40
    assert {"Complete", "Ongoing", "Not started", "Not feasible"} & set(actions["Status"])
    assert (~actions["Theme ID"].str.fullmatch(r"\d+")).sum() >= 1
    assert set(actions["Status"]) - {v for vs in ex.STATUS_RENDER.values() for v in vs}  # unknown status
    not_possible = actions[actions["Status"].isin(ex.STATUS_RENDER["Not possible"])]
    assert len(not_possible) >= 1 and (not_possible["Reason"].str.len() > 10).all()
    assert set(actions["Cycle"]) == {"2024", "2025"}


def test_population_benchmark_shape(raw: dict[str, pd.DataFrame]) -> None:
    pop = raw["population_benchmark.csv"]
    assert len(pop) == 8 * 7 * 5
    assert set(pop["Borough"]) == set(vocab.BOROUGHS) and set(pop["Age band"]) == set(vocab.AGE_BANDS)
    assert set(pop["Ethnic group"]) == set(vocab.ETHNICITY_GROUPS)
    totals = pop.assign(n=pop["Population"].astype(int)).groupby("Borough")["n"].sum()
    assert totals.between(80_000, 400_000).all()


def test_review_under_representation(raw: dict[str, pd.DataFrame]) -> None:
    """Young people are clearly under-represented in the raw answers (independent age parsing)."""
    ages = raw["palliative_care_review_survey.csv"]["Age"].str.strip()

    def band(v: str) -> str | None:
        if v.isdigit():
            return "16-24" if int(v) < 25 else "older"
        if v in ("16-24", "16 - 24", "Under 25", "18-24"):
            return "16-24"
        return "older" if re.match(r"\d", v) else None

    b = ages.map(band).dropna()
    pop = raw["population_benchmark.csv"].assign(n=lambda d: d["Population"].astype(int))
    pop_share = pop.loc[pop["Age band"] == "16-24", "n"].sum() / pop["n"].sum()
    assert (b == "16-24").mean() < 0.4 * pop_share


def test_mess_ledger_counts_in_readme(generated: Path) -> None:
    mess = pd.read_csv(generated / ex.GROUND_TRUTH_MESS, keep_default_na=False)
    readme = (generated / ex.README).read_text(encoding="utf-8")
    for (file, kind), n in mess.groupby(["file", "kind"]).size().items():
        assert f"| {file} | {kind} | {n} |" in readme
    invalid = mess[mess["row_status"] == "invalid"].groupby("file").size()
    for name in (*INVOLVEMENT, "palliative_care_review_survey.csv", "palliative_care_review_activity_log.xlsx",
                 "actions_log.csv"):
        assert 5 <= invalid.get(name, 0) <= 15, name


def test_review_borough_reach(raw: dict[str, pd.DataFrame]) -> None:
    """Hillingdon and Hounslow are under-represented; judged on rows giving the exact borough name."""
    survey = raw["palliative_care_review_survey.csv"]
    exact = survey["Borough"][survey["Borough"].isin(vocab.BOROUGHS)]
    pop = raw["population_benchmark.csv"].assign(n=lambda d: d["Population"].astype(int))
    pop_share = pop.groupby("Borough")["n"].sum() / pop["n"].sum()
    ratio = exact.value_counts(normalize=True) / pop_share
    assert ratio["Hillingdon"] < 0.65 and ratio["Hounslow"] < 0.65
    assert ratio["Kensington and Chelsea"] > 1.4


# --- co-production ladder and case studies ------------------------------------------------------------


def _coproduced(frame: pd.DataFrame) -> tuple[int, int]:
    """(co-produced, with a level) among rows that cleaning keeps, parsed independently of the cleaners."""
    level = frame["Involvement level"].map(lambda v: re.sub(r"[\s\-]", "", str(v)).lower())
    valid = frame["Activity ID"].astype(str).str.strip().ne("") & level.ne("")
    participants = pd.to_numeric(frame["Participants"], errors="coerce")
    valid &= participants.notna() & (participants >= 0)
    valid &= ~frame.astype(str).duplicated()  # an exact duplicate row is removed by cleaning
    return int((level[valid] == "coproduce").sum()), int(valid.sum())


def test_planted_rise_in_coproduction_is_clear_in_the_raw_files(generated: Path) -> None:
    from analysis.stats.comparisons import compare_proportions

    after = _read(generated, "palliative_care_review_activity_log.xlsx")
    before = _read(generated, ex.ACTIVITY_LOG_2024)
    rungs = {re.sub(r"[\s\-]", "", str(v)).lower() for v in [*after["Involvement level"], *before["Involvement level"]]}
    assert rungs == {"inform", "consult", "involve", "collaborate", "coproduce"}  # variants of the five rungs only
    assert set(after["Experts by experience involved from the start"]) <= {"", "Yes", "Y", "yes", "No", "N", "no"}
    (x1, n1), (x2, n2) = _coproduced(after), _coproduced(before)
    assert n1 >= 60 and n2 >= 40
    change = compare_proportions([x1], [n1], [x2], [n2]).iloc[0]
    assert x1 / n1 > 2 * x2 / n2 and change["ci_low"] > 0  # clearly higher in 2025, by the Newcombe interval
    dates = pd.to_datetime(before["Date"], format="%Y-%m-%d")
    assert dates.dt.year.eq(2024).all()  # the 2024 cycle's own log: nothing the 2025 cycle would count


def test_example_2024_maps_its_own_activity_log() -> None:
    config = load_config(paths.CONFIG_DIR / "example-2024.yaml", check_files=False)
    logs = [Path(f.path).name for f in config.inputs_of("activities")]
    assert ex.ACTIVITY_LOG_2024 in logs
    example = load_config(paths.EXAMPLE_CONFIG, check_files=False)
    assert ex.ACTIVITY_LOG_2024 not in [Path(f.path).name for f in example.inputs]
    for cfg in (config, example):
        for f in cfg.inputs_of("activities"):
            assert list(f.columns) == list(ex.HEADERS[Path(f.path).name].values())


def test_case_studies_two_consented_one_not(generated: Path) -> None:
    cases = _read(generated, ex.CASE_STUDIES_FILE)
    consent = cases["Consent to publish"].str.strip().str.lower().str[0]
    assert (consent == "y").sum() == 2 and (consent == "n").sum() == 1
    assert cases["Theme IDs"].str.fullmatch(r"\d+(; ?\d+)*").all()
    assert cases["What changed"].str.contains("Grace Okafor").any()  # planted for de-identification
    readme = (generated / ex.README).read_text(encoding="utf-8")
    assert "## e. Case studies" in readme and "Planted rise in co-production" in readme
