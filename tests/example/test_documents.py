"""The example's synthetic documents (analysis_example.documents): planted passages, themes, identifiers, consent.

The documents are read back with the toolkit's own readers (that is the contract under test: cleaning
must find exactly the passages the generator planted) and the ground truth is read back from the CSV
the generator writes, not from its in-memory bookkeeping.
"""

from __future__ import annotations

import csv
import email
import email.policy
import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import documents as cd
from analysis.clean import pipeline as clean
from analysis.core import vocab
from analysis.core.config import load_config
from analysis.present import deidentify
from analysis_example import documents as ed
from analysis_example import generate as gen
from tests.conftest import write_config


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ed.WrittenDocuments]:
    out = tmp_path_factory.mktemp("documents")
    return out, ed.write_documents(out)


@pytest.fixture(scope="module")
def truth(written) -> list[dict[str, str]]:
    out, _ = written
    with (out / ed.GROUND_TRUTH_DOCUMENTS).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def index(written) -> pd.DataFrame:
    out, _ = written
    return pd.read_csv(out / ed.INDEX_FILE, dtype=str, keep_default_na=False)


def test_index_shape_channels_and_consent(index: pd.DataFrame, truth) -> None:
    assert list(index.columns) == list(ed.INDEX_HEADERS.values())
    assert len(index) == 19 and not index["Document ID"].duplicated().any()
    docs = index
    channel = cd.standardise_document_channel(docs["Channel"])["value"]
    assert Counter(channel) == {"Interview": 9, "Written submission": 6, "Event": 4}
    suffixes = Counter(Path(f).suffix for f in docs["File"])
    assert {".txt", ".md", ".docx", ".pdf", ".eml"} == set(suffixes)
    consent = cd.standardise_consent(docs["Consent to quote"])
    not_quotable = set(docs.loc[~consent["value"].to_numpy(), "Document ID"])
    assert not_quotable == {"I04", "W03", "W04"}
    assert set(docs.loc[consent["problem"].notna().to_numpy(), "Document ID"]) == {"W04"}  # the blank cell
    truth_consent = {t["document_id"]: t["consent_to_quote"] == "True" for t in truth}
    assert {d for d, ok in truth_consent.items() if not ok} == not_quotable


def test_cleaning_finds_exactly_the_planted_passages(written, index: pd.DataFrame, truth) -> None:
    out, _ = written
    for row in index.itertuples():
        found = cd.split_passages(cd.read_document(out / row.File).text)
        planted = [(int(t["passage_no"]), t["kind"], t["themed"] == "True") for t in truth
                   if t["document_id"] == row._1 and t["passage_no"]]
        assert [(p.passage_no, p.kind, p.themed) for p in found] == planted, row._1


def test_readme_reports_the_planted_themes_by_channel(written, truth) -> None:
    _, result = written
    docs_per_channel = Counter(t["channel"] for t in {t["document_id"]: t for t in truth}.values())
    for theme in (17, 18, 19, 23, 24, 25):
        raising = {c: len({t["document_id"] for t in truth if t["channel"] == c and t["themed"] == "True"
                           and str(theme) in t["theme_ids"].split("|")}) for c in docs_per_channel}
        row = (f"| {theme} | {gen.THEME_BY_ID[theme].name} | {raising['Interview']} of 9 | "
               f"{raising['Written submission']} of 6 | {raising['Event']} of 4 |")
        assert row in result.readme, row
    assert "| 18 | Out-of-hours support | 6 of 9 |" in result.readme  # the planted headline
    assert all(int(x) in gen.THEME_BY_ID for t in truth for x in t["theme_ids"].split("|") if x)
    passages = sum(1 for t in truth if t["passage_no"])
    assert f"Passages: {passages}, of which {sum(t['themed'] == 'True' for t in truth)} are themed" in result.readme


def _everything_in(path: Path) -> str:
    """All text a file holds, read or not: every XML part of a .docx, the whole body of an e-mail."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as package:
            xml = " ".join(package.read(n).decode("utf-8") for n in package.namelist() if n.endswith(".xml"))
        return re.sub(r"<[^>]+>", "", xml)
    if path.suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        return message.get_body(preferencelist=("plain",)).get_content()
    return cd.read_document(path).text


def test_identifiers_are_where_the_truth_says(written, index: pd.DataFrame, truth) -> None:
    out, _ = written
    counts: Counter[tuple[str, bool]] = Counter()
    for row in index.itertuples():
        read = cd.read_document(out / row.File).text
        raw = _everything_in(out / row.File)
        mine = [t for t in truth if t["document_id"] == row._1]
        in_passages = {i.split("=", 1)[1] for t in mine if t["passage_no"] for i in t["identifiers"].split(" | ") if i}
        for t in mine:
            for item in filter(None, t["identifiers"].split(" | ")):
                kind, value = item.split("=", 1)
                never_read = not t["passage_no"]
                counts[(kind, never_read)] += 1
                assert value in raw, (row._1, value)
                if never_read and value not in in_passages:  # a quoted reply or page header is never read
                    assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", read), (row._1, value)
                elif not never_read:
                    assert value in read, (row._1, value)
    assert counts[("phone", False)] == 3 and counts[("email", False)] == 2 and counts[("nhs_number", False)] == 2
    assert counts[("phone", True)] == 3 and counts[("name", True)] >= 4 and counts[("name", False)] >= 10
    nhs = [i.split("=", 1)[1] for t in truth for i in t["identifiers"].split(" | ") if i.startswith("nhs_number=")]
    assert all(gen.nhs_number_is_valid(n) and n.replace(" ", "").startswith("999") for n in nhs)


def test_same_seed_same_bytes_other_seed_other_identifiers(written, tmp_path: Path) -> None:
    out, first = written
    again = ed.write_documents(tmp_path / "a")
    for a, b in zip(first.paths, again.paths, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = ed.write_documents(tmp_path / "b", seed=gen.DEFAULT_SEED + 1)
    phones = [p for p in other.paths if p.name == "interview_02_transcript.docx"]
    assert phones and phones[0].read_bytes() != (out / ed.FOLDER / "interview_02_transcript.docx").read_bytes()


def test_example_documents_clean_into_deidentified_comments(example_copy, truth) -> None:
    config_path, data = example_copy
    data = dict(data, inputs=[f for f in data["inputs"] if f["dataset"] == "documents"])
    data.pop("notebooks", None)
    config = load_config(write_config(config_path.parent, data, name="documents_only.yaml"))
    spec = config.inputs_of("documents")[0]
    result = clean.run_cleaning(config)
    rec = result.reconciliation.set_index("source_file")
    assert rec.loc[spec.name, ["rows_read", "rows_kept", "rows_rejected", "duplicates_removed"]].tolist() == [
        19, 19, 0, 0]
    consent = result.rejected[result.rejected["source_file"] == spec.name]
    assert consent[["source_row", "column", "outcome"]].values.tolist() == [
        [14, "Consent to quote", clean.VALUE_SET_MISSING]]  # W04's blank cell: kept, never quoted
    passages = [t for t in truth if t["passage_no"]]
    themed = [t for t in passages if t["themed"] == "True"]
    assert rec.loc[f"{spec.name} passages", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [
        len(passages), len(themed), len(passages) - len(themed)]

    comments = result.tables["comments"]
    assert (comments["dataset"] == "documents").all() and len(comments) == len(themed)
    key, _ = clean.pseudonym_key(config)
    ids = sorted({t["document_id"] for t in truth})
    pseudonym = dict(zip(ids, deidentify.pseudonymise(pd.Series([f"{spec.name}/{i}" for i in ids]), key,
                                                      namespace="document"), strict=True))
    by_doc = comments.groupby("document_id")
    for doc in ids:
        mine = [t for t in themed if t["document_id"] == doc]
        rows = by_doc.get_group(pseudonym[doc])
        assert sorted(rows["passage_no"].astype(int)) == [int(t["passage_no"]) for t in mine], doc
        assert set(rows["consent_to_quote"]) == {mine[0]["consent_to_quote"] == "True"}, doc
        assert set(rows["channel"]) == {mine[0]["channel"]}, doc
    text = "\n".join(comments["text"])
    for t in truth:
        for item in filter(None, t["identifiers"].split(" | ")):
            value = item.split("=", 1)[1]
            assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text), (t["document_id"], value)
    redacted = result.redactions[result.redactions["field"] == vocab.DOCUMENT_QUESTION_ID].set_index("type")["count"]
    planted = Counter(i.split("=", 1)[0] for t in themed for i in t["identifiers"].split(" | ") if i)
    assert redacted["PHONE"] == planted["phone"] and redacted["EMAIL"] == planted["email"]
    assert redacted["NHS_NUMBER"] == planted["nhs_number"] and redacted["NAME"] >= planted["name"]
