"""Tests for analysis.present.deidentify: redaction rules, pseudonyms, key lookup and the CLI."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import deidentify as deidentify_cli
from analysis.core import paths
from analysis.core.errors import ConfigError, InputFileError
from analysis.present.deidentify import (
    PLACEHOLDER_TYPES,
    nhs_number_is_valid,
    pseudonymise,
    redact_series,
    redact_text,
    resolve_key,
)

FFT_CSV = paths.SHARED_DIR / "data/fft_feedback/fft_feedback_v6framework.csv"


def _check_digit(nine: str) -> int | None:
    """Modulus-11 check digit for the first nine digits of an NHS number (None = unusable)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(nine))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def _nhs_numbers(n: int, *, valid: bool, seed: int = 7, first: str = "4") -> list[str]:
    """Ten-digit numbers that pass (or fail) the NHS check, computed from the algorithm."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        nine = first + "".join(rng.choice("0123456789") for _ in range(8))
        check = _check_digit(nine)
        if check is None:
            continue
        last = check if valid else (check + rng.randint(1, 9)) % 10
        out.append(nine + str(last))
    return out


def _redacted(text: str, names: tuple[str, ...] = ()) -> str:
    return redact_text(text, names)[0]


# ---------------------------------------------------------------------------
# E-mails and URLs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pls email me at Jo.Bloggs+nhs@gmail.com thx", "pls email me at [EMAIL] thx"),
        ("contact priya.raman@nhs.net.", "contact [EMAIL]."),
        ("(my email is sam_o'neill@hotmail.co.uk)", "(my email is [EMAIL])"),
        ("see https://www.nhs.uk/conditions/asthma/, it helped", "see [URL], it helped"),
        ("went on www.mind.org.uk?", "went on [URL]?"),
        ("link (http://bit.ly/abc123) was broken", "link ([URL]) was broken"),
    ],
)
def test_emails_and_urls(text: str, expected: str) -> None:
    assert _redacted(text) == expected


def test_email_is_one_placeholder_not_a_name_or_fragments() -> None:
    out, counts = redact_text("email priya.raman@nhs.net or Priya on 07700 900123", ["Priya Raman"])
    assert out == "email [EMAIL] or [NAME] on [PHONE]"
    assert counts == {"EMAIL": 1, "NAME": 1, "PHONE": 1}


def test_url_containing_an_email_is_one_url() -> None:
    out, counts = redact_text("form at https://forms.example.org/?to=pals@nhs.net ok")
    assert out == "form at [URL] ok"
    assert counts == {"URL": 1}


# ---------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------

PHONES = [
    "+44 (0)20 7946 0958", "+44 20 7946 0958", "020 7946 0958", "(020) 7946 0958",
    "02079460958", "07700 900123", "07700-900-123", "07700900123", "+447700900123",
    "0161 496 0000", "01632 960001", "0800 123 4567", "0044 7700 900123", "+44 020 7946 0958",
]


@pytest.mark.parametrize("phone", PHONES)
def test_uk_phone_formats(phone: str) -> None:
    text = f"if u need me ring {phone}, ask for my daughter"
    out, counts = redact_text(text)
    assert out == "if u need me ring [PHONE], ask for my daughter"
    assert counts == {"PHONE": 1}


def test_messy_sentence_with_several_phones() -> None:
    text = "called 0161 496 0000 at 9am then mobile 07700900123.no answer!!"
    out, counts = redact_text(text)
    assert out == "called [PHONE] at 9am then mobile [PHONE].no answer!!"
    assert counts["PHONE"] == 2


def test_phone_then_count_does_not_swallow_the_count() -> None:
    assert _redacted("text 07700 900123 12 people came") == "text [PHONE] 12 people came"


# ---------------------------------------------------------------------------
# NHS numbers
# ---------------------------------------------------------------------------

def test_documented_nhs_number_example_is_valid_and_redacted() -> None:
    assert nhs_number_is_valid("943 476 5919")
    for form in ("943 476 5919", "943-476-5919", "9434765919"):
        out, counts = redact_text(f"my nhs no. is {form} if that helps")
        assert out == "my nhs no. is [NHS_NUMBER] if that helps"
        assert counts == {"NHS_NUMBER": 1}


@pytest.mark.parametrize("number", _nhs_numbers(20, valid=True))
def test_computed_valid_nhs_numbers(number: str) -> None:
    assert nhs_number_is_valid(number)
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert _redacted(f"NHS number:{spaced}") == "NHS number:[NHS_NUMBER]"
    assert _redacted(f"nhs#{number}.") == "nhs#[NHS_NUMBER]."


@pytest.mark.parametrize("number", _nhs_numbers(20, valid=False))
def test_ten_digits_failing_mod11_are_not_nhs_numbers(number: str) -> None:
    assert not nhs_number_is_valid(number)
    text = f"ref {number[:3]}-{number[3:6]}-{number[6:]} on the letter"
    assert _redacted(text) == text


def test_ten_digit_number_failing_check_but_starting_0_is_a_phone() -> None:
    (number,) = _nhs_numbers(1, valid=False, first="0")
    out, counts = redact_text(f"ring {number} please")
    assert out == "ring [PHONE] please"
    assert counts == {"PHONE": 1}


def test_nhs_validity_rejects_wrong_lengths_and_check_digit_ten() -> None:
    assert not nhs_number_is_valid("943476591")
    assert not nhs_number_is_valid("94347659190")
    nine = next(n for n in (f"{i:09d}" for i in range(400000000, 400001000)) if _check_digit(n) is None)
    assert all(not nhs_number_is_valid(nine + str(d)) for d in range(10))


# ---------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("postcode", ["SW1A 1AA", "W2 1NY", "ub8 3pn", "HA01AA", "EC1A 1BB", "m1 1ae", "CR2 6XH"])
def test_full_postcodes(postcode: str) -> None:
    out, counts = redact_text(f"i live at 12 some rd, {postcode}. near the park")
    assert out == "i live at 12 some rd, [POSTCODE]. near the park"
    assert counts == {"POSTCODE": 1}


@pytest.mark.parametrize(
    "text",
    [
        "parking in W2 was a nightmare",
        "moved from Ward 10 to ward 7b",
        "take the A1 3rd exit then b12 1st floor",
        "vitamin B12 injections every 3 months",
        "M25 was jammed",
    ],
)
def test_postcode_lookalikes_survive(text: str) -> None:
    assert _redacted(text) == text


# ---------------------------------------------------------------------------
# Dates of birth
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mum (DOB 12/03/1956) was seen", "Mum (DOB [DOB]) was seen"),
        ("date of birth: 12 March 1956.", "date of birth: [DOB]."),
        ("he was born on 3/4/61 so hes 63", "he was born on [DOB] so hes 63"),
        ("d.o.b. 1956-03-12", "d.o.b. [DOB]"),
        ("my dob is 3rd of march 1956", "my dob is [DOB]"),
        ("Date Of Birth - 12.03.56", "Date Of Birth - [DOB]"),
    ],
)
def test_dates_of_birth(text: str, expected: str) -> None:
    out, counts = redact_text(text)
    assert out == expected
    assert counts == {"DOB": 1}


@pytest.mark.parametrize(
    "text",
    [
        "my appointment on 12/03/2025 was cancelled",
        "seen 1st March 2024 and again 2024-04-02",
        "waited from 21/09/2021 till 23/09/2021",
    ],
)
def test_ordinary_dates_survive(text: str) -> None:
    assert _redacted(text) == text


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

STAFF = ("Priya Raman", "Tom Hughes", "Dr Alan Whitfield", "Sister Mary Doyle")


def test_configured_full_name_in_any_case_is_one_placeholder() -> None:
    out, counts = redact_text("priya raman and PRIYA  RAMAN were both great", STAFF)
    assert out == "[NAME] and [NAME] were both great"
    assert counts == {"NAME": 2}


def test_configured_name_parts_only_when_capitalised() -> None:
    text = "Priya was kind, Raman's team too. tom said see u tomorrow, Tom rang"
    out = _redacted(text, STAFF)
    assert out == "[NAME] was kind, [NAME]'s team too. tom said see u tomorrow, [NAME] rang"


def test_titles_are_kept_before_configured_names() -> None:
    out, counts = redact_text("Dr Whitfield and Dr Alan Whitfield and Sister Mary were lovely", STAFF)
    assert out == "Dr [NAME] and Dr [NAME] and Sister [NAME] were lovely"
    assert counts == {"NAME": 3}


def test_configured_names_do_not_eat_inside_words_or_placeholders() -> None:
    names = ("Tom", "Name", "Al Smith")
    text = "Tomorrow the Albany clinic; already [NAME] here"
    assert _redacted(text, names) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Patel was brilliant", "Dr [NAME] was brilliant"),
        ("the nurse Jenny sat with me", "the nurse [NAME] sat with me"),
        ("Mrs O'Brien's son", "Mrs [NAME]'s son"),
        ("Sister Mary, and Dr. McDonald", "Sister [NAME], and Dr. [NAME]"),
        ("Mr J Smith from pals", "Mr [NAME] from pals"),
        ("my sister Mary Jones was with me", "my sister [NAME] was with me"),
        ("Nurse Jenny Thank you", "Nurse [NAME] Thank you"),
    ],
)
def test_title_rule(text: str, expected: str) -> None:
    assert _redacted(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the Nurse Practitioner was great",
        "MS Society support group",
        "I told the nurse. Wanted to go home",
        "waited for a dr. However they came",
        "my sister and I",
        "Sister Ward 4 was clean",
        "Dr [NAME] already done",
    ],
)
def test_title_rule_leaves_service_words(text: str) -> None:
    assert _redacted(text) == text


def test_introductions() -> None:
    text = "hi my name is Sarah Collins and this is Jenny from the Crisis Team. This is Ward 10. this is great"
    out, counts = redact_text(text)
    assert out == "hi my name is [NAME] and this is [NAME] from the Crisis Team. This is Ward 10. this is great"
    assert counts == {"NAME": 2}


# ---------------------------------------------------------------------------
# Ordinary text survives
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "moved to Ward 10 at 14:30, seen at 2pm and again 10.30am",
        "parking cost £25.50 and the taxi £1,200 over the year!!",
        "waited 3 weeks then 18 months for CAMHS, 45% of the time",
        "been coming since 2019, 12 people in the group, A&E and 111 and 999",
        "scored it 8/10, room 2b, bay 4, 1-2-1 sessions twice a week",
        "I hope Will and Grace come back",  # no configured names here
        "appointment 12.03.2025 at 09:00 - 0900 start",
    ],
)
def test_ordinary_text_is_not_damaged(text: str) -> None:
    out, counts = redact_text(text)
    assert out == text
    assert sum(counts.values()) == 0


def test_redaction_is_idempotent() -> None:
    text = ("DOB 12/03/1956, nhs 943 476 5919, ring 07700 900123 or jo@x.com, "
            "W2 1NY, Dr Patel and Priya Raman, https://x.org")
    once = _redacted(text, STAFF)
    assert _redacted(once, STAFF) == once
    assert not re.search(r"\d{3}", once)


# ---------------------------------------------------------------------------
# Series and counts
# ---------------------------------------------------------------------------

def test_redact_series_rows_names_counts_and_na() -> None:
    texts = pd.Series(
        ["Amara helped me, ring 07700 900123", pd.NA, "Amara? dont know her. Dr Patel", "", "Tom was good"],
        index=[10, 11, 12, 13, 14],
        dtype="str",
        name="comment",
    )
    names = pd.Series(["Amara Obi", "Zed", pd.NA, None, None], index=[10, 11, 12, 13, 14])
    out, counts = redact_series(texts, names, staff_names=["Tom Hughes"])
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert out.name == "comment"
    assert out.dtype == texts.dtype
    assert out.isna().tolist() == [False, True, False, False, False]
    # Row 12's own name is blank: "Amara" belongs to row 10 only.
    assert out.tolist()[0] == "[NAME] helped me, ring [PHONE]"
    assert out.tolist()[2] == "Amara? dont know her. Dr [NAME]"
    assert out.tolist()[3] == ""
    assert out.tolist()[4] == "[NAME] was good"
    assert list(counts.columns) == ["type", "count"]
    assert sorted(counts["type"]) == sorted(PLACEHOLDER_TYPES)
    got = dict(zip(counts["type"], counts["count"], strict=True))
    assert got == {"NAME": 3, "PHONE": 1, "URL": 0, "EMAIL": 0, "DOB": 0, "NHS_NUMBER": 0, "POSTCODE": 0}
    assert counts["count"].is_monotonic_decreasing
    zeros = counts.loc[counts["count"] == 0, "type"].tolist()
    assert zeros == [t for t in PLACEHOLDER_TYPES if t in zeros]  # stable: canonical order kept


def test_redact_series_with_split_name_fields() -> None:
    texts = pd.Series(["thanks from amara obi (Amara)"])
    names = pd.Series([("Amara", "Obi")])
    out, counts = redact_series(texts, names)
    assert out.iloc[0] == "thanks from [NAME] ([NAME])"
    assert counts.set_index("type").loc["NAME", "count"] == 2


def test_redact_series_object_dtype_and_all_types_zero() -> None:
    texts = pd.Series(["nothing to add", None], dtype=object)
    out, counts = redact_series(texts)
    assert out.dtype == object
    assert out.iloc[1] is None
    assert counts["count"].sum() == 0
    assert counts["type"].tolist() == list(PLACEHOLDER_TYPES)


# ---------------------------------------------------------------------------
# Pseudonyms and keys
# ---------------------------------------------------------------------------

def test_pseudonymise_matches_hmac_and_is_deterministic() -> None:
    values = pd.Series([" jo@x.com", "jo@x.com ", pd.NA, "sam", "  "], index=list("abcde"), name="email")
    out = pseudonymise(values, "k1", namespace="person")
    expected = hmac.new(b"k1", b"person:jo@x.com", hashlib.sha256).hexdigest()[:16]
    assert out["a"] == out["b"] == expected
    assert re.fullmatch(r"[0-9a-f]{16}", out["d"])
    assert out[["c", "e"]].isna().all()
    assert out.index.tolist() == list("abcde") and out.name == "email"
    pd.testing.assert_series_equal(out, pseudonymise(values, "k1", namespace="person"))


def test_pseudonymise_depends_on_key_and_namespace() -> None:
    values = pd.Series(["R001", "R002"])
    base = pseudonymise(values, "k1", namespace="respondent")
    assert base.iloc[0] != base.iloc[1]
    assert (pseudonymise(values, "k2", namespace="respondent") != base).all()
    assert (pseudonymise(values, "k1", namespace="person") != base).all()


def test_pseudonymise_refuses_empty_key() -> None:
    with pytest.raises(ConfigError):
        pseudonymise(pd.Series(["a"]), "", namespace="person")


def test_resolve_key_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text("  from-file\n", encoding="utf-8")
    env = {"PSEUDO_KEY": "from-env"}
    assert resolve_key("PSEUDO_KEY", key_file, "demo", env) == ("from-env", False)
    assert resolve_key("PSEUDO_KEY", key_file, "demo", {"PSEUDO_KEY": "  "}) == ("from-file", False)
    assert resolve_key("PSEUDO_KEY", tmp_path / "absent.txt", "demo", {}) == ("demo", True)
    assert resolve_key("PSEUDO_KEY", None, "demo", {}) == ("demo", True)
    monkeypatch.chdir(tmp_path)
    assert resolve_key("PSEUDO_KEY", Path("key.txt"), "demo", {}) == ("demo", True)  # cwd is not used


def test_resolve_key_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PSEUDO_KEY") as info:
        resolve_key("PSEUDO_KEY", tmp_path / "absent.txt", None, {})
    assert "key_file" in str(info.value) and info.value.exit_code == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        resolve_key("PSEUDO_KEY", empty, "demo", {})


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

def _write_input(tmp_path: Path) -> Path:
    src = tmp_path / "raw.csv"
    frame = pd.DataFrame(
        {
            "ref": ["001", "002", "003"],
            "first": ["Amara", "Bob", None],
            "surname": ["Obi", "Smith", None],
            "comment": ["Amara here, call 07700 900123", "Dr Patel & Tom were great", None],
            "other": ["W2 1NY", "fine – café", "DOB 1/2/1950"],
        }
    )
    frame.to_csv(src, index=False, encoding="cp1252")
    return src


def _check_output(out: Path) -> None:
    result = pd.read_csv(out, dtype="str", encoding="utf-8")
    assert list(result.columns) == ["ref", "comment", "other"]
    assert result["ref"].tolist() == ["001", "002", "003"]
    assert result["comment"].tolist()[:2] == ["[NAME] here, call [PHONE]", "Dr [NAME] & [NAME] were great"]
    assert pd.isna(result["comment"].iloc[2])
    assert result["other"].tolist() == ["[POSTCODE]", "fine – café", "DOB [DOB]"]


def _argv(src: Path, out: Path, staff: Path) -> list[str]:
    return ["deidentify", str(src), "--text-column", "comment", "--text-column", "other",
            "--name-column", "first", "--name-column", "surname", "--staff-names", str(staff),
            "--out", str(out)]


def test_cli_direct(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write_input(tmp_path)
    staff = tmp_path / "staff.txt"
    staff.write_text("# staff\nTom Hughes\n\n", encoding="utf-8")
    out = tmp_path / "sub" / "clean.csv"
    parser = argparse.ArgumentParser(prog="analysis")
    deidentify_cli.add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(_argv(src, out, staff))
    assert args.func(args) == 0
    _check_output(out)
    printed = capsys.readouterr().out
    assert re.search(r"NAME\s+3\b", printed) and re.search(r"PHONE\s+1\b", printed)
    assert re.search(r"EMAIL\s+0\b", printed)

    bad = parser.parse_args(["deidentify", str(src), "--text-column", "Comments", "--out", str(out)])
    with pytest.raises(InputFileError, match="column 'Comments' not found; columns are") as info:
        bad.func(bad)
    assert info.value.column == "Comments"


def test_cli_subprocess_round_trip(tmp_path: Path) -> None:
    src = _write_input(tmp_path)
    staff = tmp_path / "staff.txt"
    staff.write_text("Tom Hughes\n", encoding="utf-8")
    out = tmp_path / "clean.csv"
    done = subprocess.run([sys.executable, "-m", "analysis", *_argv(src, out, staff)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    _check_output(out)
    missing = subprocess.run([sys.executable, "-m", "analysis", "deidentify", str(src), "--text-column",
                              "nope", "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 1
    assert "column 'nope' not found" in missing.stdout + missing.stderr
    assert "Traceback" not in missing.stderr


# ---------------------------------------------------------------------------
# Real published feedback
# ---------------------------------------------------------------------------

# Independent, deliberately loose detectors: anything like these left behind is a leak.
_LEAK_PATTERNS = {
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "phone": re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3}[\s-]?\d{3,4}(?!\d)"),
    "nhs": re.compile(r"(?<!\d)\d{3}[\s-]?\d{3}[\s-]?\d{4}(?!\d)"),
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"),
}


@pytest.mark.shared
def test_real_fft_comments() -> None:
    if not FFT_CSV.is_file():
        pytest.skip(f"real FFT feedback not available at {FFT_CSV}")
    comments = pd.read_csv(FFT_CSV, usecols=["FFT answer"])["FFT answer"].dropna()
    assert len(comments) > 5000
    out, counts = redact_series(comments, staff_names=list(STAFF))
    for kind, pattern in _LEAK_PATTERNS.items():
        found = [m.group(0) for text in out for m in pattern.finditer(text)]
        if kind == "nhs":  # ten digits failing the check digit are not NHS numbers
            found = [f for f in found if _check_digit(re.sub(r"\D", "", f)[:9]) == int(f[-1])]
        assert not found, (kind, found[:5])
    changed = (out != comments).mean()
    assert changed < 0.05
    assert counts["count"].sum() == (out.str.count(r"\[(?:" + "|".join(PLACEHOLDER_TYPES) + r")\]")).sum()
