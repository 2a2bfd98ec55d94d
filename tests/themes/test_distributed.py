"""Scaling: Dask embedding and placing give the single-process results; sampling by question.

A two-worker LocalCluster (threads, one thread each) stands in for a real
cluster: the tasks, the model check on the worker and the gathering are the
same; only the transport differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.config import Themes
from analysis.themes import distributed as scale
from analysis.themes import embeddings as emb
from analysis.themes.model import fit_themes, place_by_centroid, stratified_sample
from tests.themes.test_model import make_corpus

COMMENTS = [
    "The nurses were kind and explained everything to my mum.",
    "Waited four hours in A&E with no update",
    "Parking costs too much and the machines never work",
    "Staff were lovely",
    "Staff were lovely",  # repeated: embedded once
    "nothing",
    "The food on the ward was cold and there was no vegetarian choice, which for a week-long stay "
    "meant I lived on sandwiches my husband brought in; please look at the menu again.",
    "Receptionist was rude on the phone when I rang to rearrange.",
    "Clean ward, quiet at night, good physio.",
    "  Could not get through to the 111 line for two hours  ",
    "Appointment letters arrive after the appointment date!!",
    "Dr was brilliant. Listened properly.",
] + [f"Comment {i}: the discharge took {i} hours longer than promised" for i in range(30)]


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with scale.dask_client(None, n_workers=2, threads_per_worker=1, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def model() -> emb.LoadedModel:
    return emb.load_model(precision="fp32")


@pytest.mark.slow
def test_dask_embeddings_and_cache_equal_the_single_process_run(client, model, tmp_path: Path) -> None:
    single, s_stats = emb.embed_texts(COMMENTS, model=model, cache_dir=tmp_path / "single")
    # A small chunk size: several chunks, each split into pieces for the two workers.
    encode = scale.dask_encoder(client, model)
    spread, d_stats = emb.embed_texts(COMMENTS, model=model, cache_dir=tmp_path / "dask", encode=encode,
                                      chunk_size=7)
    np.testing.assert_allclose(spread, single, atol=1e-5)
    assert (d_stats.n_unique, d_stats.n_embedded) == (s_stats.n_unique, s_stats.n_embedded) == (41, 41)

    def cache_content(root: Path) -> pd.DataFrame:
        folder = root / model.cache_key
        index = pd.read_parquet(folder / "index.parquet")
        vectors = np.stack([np.load(folder / s)[r] for s, r in zip(index["shard"], index["row"], strict=True)])
        return pd.DataFrame(vectors, index=index["text_sha256"]).sort_index()

    a, b = cache_content(tmp_path / "single"), cache_content(tmp_path / "dask")
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), atol=1e-5)

    # The chunked Dask run cached as it went, so a rerun in one process embeds nothing.
    again, stats = emb.embed_texts(COMMENTS, model=model, cache_dir=tmp_path / "dask")
    assert stats.n_embedded == 0 and stats.n_cached == 41
    np.testing.assert_allclose(again, spread, atol=1e-6)


@pytest.mark.slow
def test_embed_comments_uses_the_given_client_and_settings(client, tmp_path: Path) -> None:
    settings = Themes(precision="fp32")
    vectors, stats = scale.embed_comments(COMMENTS[:12], settings, cache_dir=tmp_path, client=client)
    local, _ = emb.embed_texts(COMMENTS[:12], precision="fp32")
    np.testing.assert_allclose(vectors, local, atol=1e-5)
    assert stats.n_embedded == 11 and (tmp_path / emb.load_model().cache_key).is_dir()


def test_a_worker_with_different_weights_refuses_to_embed(client) -> None:
    future = client.submit(scale.encode_on_worker, ["The ward was clean"], model_path=None, sha256="0" * 64,
                           precision="fp32", n_threads=1, encoder_batch_size=8, pure=False)
    with pytest.raises(emb.ModelIntegrityError, match="same model on every worker"):
        future.result()


def test_dask_placing_is_identical_to_local(client) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(1003, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    centres = rng.normal(size=(7, 16)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    ids = np.array([0, 1, 2, 3, 5, 8, 13])
    local = place_by_centroid(vectors, centres, ids, 0.3, chunk_size=128)
    spread = scale.dask_placer(client, chunk_size=100)(vectors, centres, ids, 0.3)
    np.testing.assert_array_equal(spread, local)
    assert (local == -1).any() and set(local[local >= 0]) <= set(ids)  # the threshold really applies


@pytest.mark.slow
def test_sampled_fit_places_the_rest_identically_with_dask(client, model, tmp_path: Path) -> None:
    frame = make_corpus()
    vectors, _ = emb.embed_texts(frame["text"].fillna("").tolist(), model=model, cache_dir=tmp_path)
    settings = Themes(precision="fp32").model_copy(update={"fit_sample_size": 200})
    local = fit_themes(frame, vectors, settings, seed=5, model=model, cache_dir=tmp_path)
    spread = fit_themes(frame, vectors, settings, seed=5, model=model, cache_dir=tmp_path,
                        placer=scale.dask_placer(client, chunk_size=50))
    pd.testing.assert_frame_equal(spread.assignments, local.assignments)
    used = local.settings_used
    assert used["sampled"] and used["n_documents"] == 200 and used["n_substantive"] > 250
    a = local.assignments
    assert int(a["model_input"].sum()) == 200
    # Comments outside the sample are placed, not dropped: most of them land in a theme.
    unsampled = (~a["model_input"]) & (a["topic"] != -2) & a["non_answer_kind"].isna()
    assert unsampled.sum() == used["n_substantive"] - 200
    assert (a.loc[unsampled, "topic"] >= 0).mean() > 0.8
    # Both questions are represented in the fitted sample in proportion.
    share = frame.loc[a["model_input"].to_numpy(), "question_id"].value_counts(normalize=True)
    overall = frame.loc[a["non_answer_kind"].isna().to_numpy(), "question_id"].value_counts(normalize=True)
    assert (share - overall).abs().max() < 0.02


def test_stratified_sample_is_proportional_seeded_and_keeps_small_groups() -> None:
    groups = pd.Series(["a"] * 700 + ["b"] * 250 + ["c"] * 49 + [None])
    picked = stratified_sample(groups, 100, seed=1)
    counts = groups.iloc[picked].fillna("(missing)").value_counts()
    assert len(picked) == 100 and len(set(picked)) == 100
    assert counts["a"] == 70 and counts["b"] == 25 and counts["c"] in (4, 5) and counts["(missing)"] == 1
    np.testing.assert_array_equal(picked, stratified_sample(groups, 100, seed=1))
    assert not np.array_equal(picked, stratified_sample(groups, 100, seed=2))
    np.testing.assert_array_equal(stratified_sample(groups, 5000, seed=1), np.arange(1000))


def test_scheduler_address_and_when_dask_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(scale.ENV_SCHEDULER, raising=False)
    assert scale.scheduler_address(Themes()) is None
    assert not scale.wants_dask(10**6, Themes())  # one process unless asked
    assert scale.wants_dask(50_000, Themes(dask_min_texts=50_000))
    assert not scale.wants_dask(49_999, Themes(dask_min_texts=50_000))
    configured = Themes(dask_scheduler="tcp://10.0.0.5:8786")
    assert scale.scheduler_address(configured) == "tcp://10.0.0.5:8786" and scale.wants_dask(1, configured)
    monkeypatch.setenv(scale.ENV_SCHEDULER, "tcp://cluster:8786")
    assert scale.scheduler_address(configured) == "tcp://cluster:8786"


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_user_error() -> None:
    with pytest.raises(scale.DaskUnavailableError, match="cannot reach the Dask scheduler"):
        with scale.dask_client("tcp://127.0.0.1:9", connect_timeout=1.0):  # nothing listens on port 9
            pass
