"""Scaling the theme engine past one process: embedding and placing comments as Dask tasks.

When Dask is used
-----------------
One process is the default, and for most cycles the right choice: starting a
cluster costs seconds, each worker loads its own copy of the encoder, and on a
single machine one process with all its cores (torch's own threads) embeds as
fast as several single-threaded workers (measured: bench/results/bench_scale.json).
Dask is used when

1. a scheduler address is given, by the environment variable
   ``INVOLVEMENT_DASK_SCHEDULER`` (which wins) or ``themes.dask_scheduler`` in the
   cycle configuration: the same work is sent to that existing cluster; or
2. ``themes.dask_min_texts`` is set and at least that many texts still need
   embedding (not in the cache): a ``LocalCluster`` on this machine is started
   for the run and closed afterwards.

What runs on the workers
------------------------
- Embedding (:func:`dask_encoder`): the texts not yet cached are cut into
  length-balanced pieces; each worker loads the encoder from ITS OWN local
  model folder (offline, the packaged all-MiniLM-L6-v2 or the same
  ``themes.model_path``), checks the weights' SHA-256 against the one the
  client loaded (and, for the packaged model, against the published hash), and
  returns vectors. Only the client reads and writes the embedding cache, so the
  cache is never written concurrently and its content is the same as from a
  single-process run.
- Placing comments in themes (:func:`dask_placer`): for corpora fitted on a
  sample, the remaining comments are placed in the nearest theme centroid in
  chunks, with the same function as in one process
  (:func:`analysis.themes.model.place_by_centroid`), so assignments are identical.

The theme model itself (UMAP, HDBSCAN, c-TF-IDF) is fitted in the client
process: past ``themes.fit_sample_size`` comments it is fitted on a sample, so
its cost does not grow with the corpus.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.core.errors import UserError

if TYPE_CHECKING:  # heavy imports stay out of module import time
    from analysis.core.config import Themes
    from analysis.themes.embeddings import EmbeddingStats, LoadedModel

#: Environment variable naming a Dask scheduler; overrides ``themes.dask_scheduler``.
ENV_SCHEDULER = "INVOLVEMENT_DASK_SCHEDULER"
#: Pieces each worker gets per embedding chunk (more pieces, better balance, more overhead).
PIECES_PER_WORKER = 2
#: Rows per placing task.
PLACE_CHUNK = 65536


class DaskUnavailableError(UserError):
    """A Dask scheduler was asked for but cannot be reached."""

    exit_code = 2


def scheduler_address(settings: Themes | None = None) -> str | None:
    """The Dask scheduler to use: ``INVOLVEMENT_DASK_SCHEDULER``, else ``themes.dask_scheduler``, else None."""
    env = os.environ.get(ENV_SCHEDULER, "").strip()
    if env:
        return env
    configured = getattr(settings, "dask_scheduler", None) if settings is not None else None
    return configured.strip() if isinstance(configured, str) and configured.strip() else None


def wants_dask(n_new_texts: int, settings: Themes | None = None) -> bool:
    """Whether a run with ``n_new_texts`` texts still to embed should use Dask (see the module notes)."""
    if scheduler_address(settings) is not None:
        return True
    threshold = getattr(settings, "dask_min_texts", None) if settings is not None else None
    return threshold is not None and n_new_texts >= threshold


@contextlib.contextmanager
def dask_client(address: str | None = None, *, n_workers: int | None = None, threads_per_worker: int = 1,
                processes: bool = True, connect_timeout: float = 20.0) -> Iterator[Any]:
    """A ``distributed.Client`` on ``address``, or on a LocalCluster started (and closed) here.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:8786``); None = start a LocalCluster.
    n_workers
        LocalCluster workers; None = CPU cores // ``threads_per_worker``.
    threads_per_worker
        Threads per LocalCluster worker (each worker's torch uses as many).
    processes
        LocalCluster workers as processes (True) or threads of this process.
    connect_timeout
        Seconds to wait for the scheduler at ``address`` before giving up.

    Raises
    ------
    DaskUnavailableError
        The scheduler at ``address`` cannot be reached.
    """
    from dask.distributed import Client, LocalCluster

    if address is not None:
        try:
            client = Client(address, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailableError(
                f"cannot reach the Dask scheduler at {address} ({exc}); check the address in "
                f"themes.dask_scheduler or {ENV_SCHEDULER}, or unset both to run in one process"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers or max(1, (os.cpu_count() or 1) // threads_per_worker)
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=processes,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def encode_on_worker(texts: list[str], *, model_path: str | None, sha256: str, precision: str,
                     n_threads: int, encoder_batch_size: int) -> np.ndarray:
    """Embed texts on a Dask worker with the worker's own local copy of the model.

    The worker loads the model offline from its own package folder (or the
    given path on its own disk), verifies it (the packaged model against the
    published SHA-256) and refuses to run if its weights differ from the
    client's (``sha256``): embeddings from two different models must never be mixed.

    Returns
    -------
    np.ndarray
        float32, L2-normalised rows, in the order given.

    Raises
    ------
    analysis.themes.embeddings.ModelIntegrityError
        The worker's weights do not match.
    """
    from analysis.themes.embeddings import ModelIntegrityError, _encode_here, load_model

    loaded = load_model(model_path, n_threads=n_threads, precision=precision)
    if loaded.sha256 != sha256:
        raise ModelIntegrityError(
            f"the Dask worker's embedding model {loaded.path} has sha256 {loaded.sha256}, but the client "
            f"used {sha256}; install the same model on every worker"
        )
    return _encode_here(loaded, texts, encoder_batch_size)


def dask_encoder(client: Any, model: LoadedModel, *, threads_per_task: int = 1, batch_size: int = 64,
                 pieces_per_worker: int = PIECES_PER_WORKER) -> Callable[[list[str]], np.ndarray]:
    """An ``encode`` function for :func:`analysis.themes.embeddings.embed_texts` that runs on Dask workers.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    model
        The client's loaded model: its folder (None for the packaged model), hash and
        precision are what every worker must reproduce.
    threads_per_task
        Torch threads per task (match the workers' threads).
    batch_size
        Encoder batch size on the workers.
    pieces_per_worker
        Tasks per worker for each chunk.

    Returns
    -------
    Callable[[list[str]], np.ndarray]
    """
    path = None if model.packaged else str(model.path)

    def encode(texts: list[str]) -> np.ndarray:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        n_pieces = max(1, min(len(texts), n_workers * pieces_per_worker))
        # Texts come sorted by length: strided pieces give every task a similar mix of lengths.
        pieces = [texts[i::n_pieces] for i in range(n_pieces)]
        futures = client.map(encode_on_worker, pieces, model_path=path, sha256=model.sha256,
                             precision=model.precision, n_threads=threads_per_task,
                             encoder_batch_size=batch_size,
                             pure=False)
        results = client.gather(futures)
        out = np.empty((len(texts), results[0].shape[1]), dtype=np.float32)
        for i, block in enumerate(results):
            out[i::n_pieces] = block
        return out

    return encode


def dask_placer(client: Any, *, chunk_size: int = PLACE_CHUNK) -> Callable[..., np.ndarray]:
    """A ``placer`` for :func:`analysis.themes.model.fit_themes` that places comments on Dask workers.

    Each task runs :func:`analysis.themes.model.place_by_centroid` on one chunk
    of vectors, so the result is identical to placing in one process.
    """
    from analysis.themes.model import place_by_centroid

    def place(vectors: np.ndarray, centroid_matrix: np.ndarray, centroid_ids: np.ndarray,
              threshold: float) -> np.ndarray:
        if len(vectors) == 0 or len(centroid_ids) == 0:
            return place_by_centroid(vectors, centroid_matrix, centroid_ids, threshold)
        centres, ids = client.scatter([centroid_matrix, centroid_ids], broadcast=True)
        futures = [client.submit(place_by_centroid, vectors[lo:lo + chunk_size], centres, ids, threshold,
                                 pure=False)
                   for lo in range(0, len(vectors), chunk_size)]
        return np.concatenate(client.gather(futures))

    return place


def embed_comments(texts: list[str], settings: Themes, *, cache_dir: str | Path | None,
                   client: Any | None = None) -> tuple[np.ndarray, EmbeddingStats]:
    """Embed texts as the cycle configuration says: precision, threads, cache, and Dask when due.

    The single entry point for notebooks and commands. Runs in this process
    unless a client is given or :func:`wants_dask` says so for the number of
    texts not yet cached; results are the same either way (tested).

    Parameters
    ----------
    texts
        De-identified strings (duplicates are embedded once).
    settings
        ``config.themes`` (model_path, torch_threads, precision, dask_scheduler, dask_min_texts).
    cache_dir
        Embedding cache root; None = no cache.
    client
        An existing ``distributed.Client`` to use.

    Returns
    -------
    (embeddings, stats)
        As :func:`analysis.themes.embeddings.embed_texts`.
    """
    from analysis.themes.embeddings import count_uncached, embed_texts, load_model

    model = load_model(settings.model_path, n_threads=settings.torch_threads, precision=settings.precision)
    if client is not None:
        return _embed_with_client(texts, model, cache_dir, client)
    if not wants_dask(count_uncached(texts, model, cache_dir), settings):
        return embed_texts(texts, model=model, cache_dir=cache_dir)
    address = scheduler_address(settings)
    threads = 1 if address is None else settings.torch_threads
    with dask_client(address, threads_per_worker=threads) as started:
        return _embed_with_client(texts, model, cache_dir, started)


def _embed_with_client(texts: list[str], model: LoadedModel, cache_dir: str | Path | None,
                       client: Any) -> tuple[np.ndarray, EmbeddingStats]:
    from analysis.themes.embeddings import DEFAULT_CHUNK_SIZE, embed_texts

    workers = client.scheduler_info().get("workers", {})
    threads = max((int(w.get("nthreads", 1)) for w in workers.values()), default=1)
    encode = dask_encoder(client, model, threads_per_task=threads)
    # Bigger chunks than in one process, so that every worker has several pieces per chunk.
    return embed_texts(texts, model=model, cache_dir=cache_dir, encode=encode,
                       chunk_size=DEFAULT_CHUNK_SIZE * max(1, len(workers)))
