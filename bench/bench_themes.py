"""Benchmark the theme engine against plain BERTopic on real labelled NHS feedback.

Not a test. Run from the repository root (``make bench-themes``)::

    .venv/bin/python bench/bench_themes.py                    # every table (about 15 minutes on 2 cores)
    .venv/bin/python bench/bench_themes.py --skip-plain       # without the plain BERTopic runs
    .venv/bin/python bench/bench_themes.py --cycle2-sample 0  # cycle 2 in full (default: 2,000 comments)

Over 500 lines because it is one self-contained script: each configuration runs
this same file as a worker in a fresh process (``--worker``), and splitting it
would put bench code into ``src``.

Data: the NHS England FFT comments with human codes (../shared, 7.9k rows,
~7.4k non-empty). Each configuration runs in a FRESH process, so timings include
Python imports, model loading and numba compilation exactly as a user sees them.
The arithmetic is the host's unless ``INVOLVEMENT_NUMERICS=portable`` is set
(:mod:`analysis.core.numerics`), as for ``make report``.

Table 1, one refit on every comment (``fit_themes``):

- ``ours (cold)``: empty embedding cache (a temporary folder).
- ``ours (warm rerun)``: the same command again with the cache now filled.
- ``plain BERTopic``: ``BERTopic(embedding_model=<the same local model>)``
  ``.fit_transform(docs, embeddings)`` with library defaults, on every
  non-empty comment, embeddings made by the same encoder (no cache).

Tables 2-4, the theme-book workflow on the comments split in time by their
``Date`` (parsed day-first, mixed formats, as ``python -m analysis themes``
does): "cycle 1" = comments dated on or before the median date, "cycle 2" = after.
Cycle 2 is subsampled (``--cycle2-sample``, fixed seed) to keep the bench near
15 minutes on a shared 2-core machine; the tables say how many comments were used.

2. Book workflow: cycle 1 themed with no book (``theme_answers(book=None)``: every
   theme a candidate), every candidate accepted into a book
   (``accept_candidates(..., reviewer="BENCH")``), cycle 2 themed with that book
   (assignment first, candidates discovered among the rest); scored against the
   human codes like table 1, beside plain BERTopic fitted on cycle 2 alone (three
   fits, as its UMAP is unseeded: the bar is judged on their mean), with the quality
   bar of issue 12 checked (NMI +0.03, ARI x2, outliers at most half, tens of themes).
3. Stability between seeds at the assignment level: books from cycle 1 with seeds
   2025 and 2026, cycle 2 assigned to each (no discovery), ARI between the two.
4. The same saved book with and without the numerics pins: fresh processes with
   ``INVOLVEMENT_NUMERICS=portable`` and ``host``, alternating, twice each; cycle 2
   embedded with no cache and assigned (no discovery); whether the assignment files
   are byte-identical, how many answers differ, encoder speed (best of the two
   rounds), and the largest difference between the embeddings.

Scoring is identical for every pipeline: NMI and ARI against each comment's dominant
human code (the rarest of its codes in the file), (a) over every non-empty
comment, where our "No substantive answer" (-2) counts as one group, as it does
for a reader, and (b) over the substantive comments only (the same rows for
both pipelines: not flagged as non-answers). Outliers (-1) count as one group
in both. AMI (adjusted mutual information) is shown beside NMI because NMI
rises with the number of clusters even by chance, which flatters 100+ topics.
Prints one markdown table per part and writes everything to
``bench/results/bench_themes.json`` (committed: the latest results).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
# First, before numpy, torch or numba load: the same arithmetic as `make report` (analysis.core.numerics):
# the host's code paths unless INVOLVEMENT_NUMERICS=portable (the workers of table 4 set it per process).
from analysis.core.numerics import apply_portable_numerics  # noqa: E402, I001

NUMERICS_MODE = apply_portable_numerics()

from common import QUESTION, TEXT, fft_comments  # noqa: E402 - bench/common.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_themes.json"
DATE = "Date"
SEED = 2025
#: Cycle-2 comments used by tables 2-4 (fixed-seed sample; 0 = all), to keep the bench near 15 minutes.
CYCLE2_SAMPLE = 2000
#: Fits of plain BERTopic on cycle 2 (its UMAP is unseeded, so the bar is judged on their mean).
PLAIN_REPEATS = 3
#: Fixed sign-off date of the bench's books, so that the saved book is the same bytes on every run.
REVIEW_DATE = "2026-01-01"


def _load_frame():  # noqa: ANN202 - pandas imported lazily (in common) to time imports honestly
    return fft_comments()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _scores(topics, labels, texts, top_words, substantive) -> dict:  # noqa: ANN001
    """The same figures for both pipelines; ``substantive`` = not a non-answer (same mask for both)."""
    import numpy as np
    from sklearn.metrics import adjusted_mutual_info_score

    from analysis.themes import quality as q

    topics = np.asarray(topics, dtype=int)
    substantive = np.asarray(substantive, dtype=bool)
    out = q.quality_summary(topics, texts, top_words)
    every = q.agreement(topics, labels, include_non_answers=True)
    subs = q.agreement(topics[substantive], np.asarray(labels, dtype=object)[substantive],
                       include_non_answers=True)
    lab = np.asarray(labels, dtype=object).astype(str)
    out.update({"nmi_all": every["nmi"], "ari_all": every["ari"], "n_all": every["n"],
                # AMI corrects NMI for chance, which otherwise rewards splitting into more themes.
                "ami_all": float(adjusted_mutual_info_score(lab, topics)),
                "ami_substantive": float(adjusted_mutual_info_score(lab[substantive], topics[substantive])),
                "nmi_substantive": subs["nmi"], "ari_substantive": subs["ari"], "n_substantive": subs["n"],
                "outlier_share_all": float((topics == -1).mean()),
                "outlier_share_substantive": float((topics[substantive] == -1).mean())})
    return out


def worker_ours(cache: Path, stability: bool) -> dict:
    import numpy as np

    from analysis.core.config import Themes
    from analysis.themes.embeddings import embed_texts, load_model
    from analysis.themes.model import fit_themes, prepare_comments

    t_import = time.perf_counter() - START
    t = time.perf_counter()
    frame, labels = _load_frame()
    prepared = prepare_comments(frame, text_column=TEXT, question_column=QUESTION, min_words=3)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    model = load_model()
    keep = ~prepared["is_non_answer"].to_numpy()
    vectors = np.zeros((len(frame), 384), dtype=np.float32)
    vectors[keep], stats = embed_texts(prepared.loc[keep, "model_text"].tolist(), model=model, cache_dir=cache)
    t_embed = time.perf_counter() - t
    fit = fit_themes(prepared, vectors, Themes(), seed=2025, text_column=TEXT, question_column=QUESTION,
                     model=model, cache_dir=cache)
    topics = fit.assignments["topic"].to_numpy()
    total = time.perf_counter() - START
    result = {
        "seconds": {"import": t_import, "read": t_read, "embed": t_embed, **fit.stage_seconds,
                    "end_to_end_in_process": total},
        "peak_rss_mb": _peak_mb(),
        "embedding": {"n_texts": stats.n_texts, "n_unique": stats.n_unique, "n_cached": stats.n_cached,
                      "n_embedded": stats.n_embedded},
        "model_loaded": model.is_loaded,
        "settings": {k: v for k, v in fit.settings_used.items() if k != "model_name"},
        "quality": _scores(topics, labels, frame[TEXT].tolist(), fit.topics,
                           ~prepared["is_non_answer"].to_numpy()),
        "n_rows": len(frame),
    }
    if stability:
        from analysis.themes.quality import stability as stab

        other = fit_themes(prepared, vectors, Themes(), seed=2026, text_column=TEXT, question_column=QUESTION,
                           model=model, cache_dir=cache)
        result["quality"]["stability"] = stab(topics, other.assignments["topic"].to_numpy())
    return result


def worker_plain(cycle2_sample: int | None = None, repeats: int = 1) -> dict:
    """Plain BERTopic defaults on every non-empty comment, or on cycle 2 alone (``cycle2_sample`` given).

    BERTopic's default UMAP has no seed, so its themes change from run to run: with ``repeats`` > 1
    the same embeddings are fitted that many times, the first fit is the one timed, and the
    quality is the mean over the fits (each fit's figures are kept in ``quality_runs``).
    """
    import warnings

    import numpy as np

    from analysis.themes.embeddings import load_model
    from analysis.themes.model import prepare_comments

    warnings.simplefilter("ignore")
    from bertopic import BERTopic

    t_import = time.perf_counter() - START
    t = time.perf_counter()
    frame, labels = _load_frame()
    if cycle2_sample is not None:
        _, (frame, labels), _ = _cycles(frame, labels, sample=cycle2_sample)
    docs = frame[TEXT].tolist()
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    model = load_model()
    embeddings = model.model.encode(docs, show_progress_bar=False)
    t_embed = time.perf_counter() - t
    substantive = ~prepare_comments(frame, text_column=TEXT, question_column=QUESTION)["is_non_answer"].to_numpy()
    runs, fit_seconds = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        topic_model = BERTopic(embedding_model=model.model)
        topics, _ = topic_model.fit_transform(docs, embeddings)
        fit_seconds.append(time.perf_counter() - t)
        words = {int(k): [w for w, _ in v] for k, v in topic_model.get_topics().items() if int(k) >= 0}
        runs.append(_scores(np.asarray(topics), labels, docs, words, substantive))
    result = {
        "seconds": {"import": t_import, "read": t_read, "embed": t_embed, "fit": fit_seconds[0],
                    "end_to_end_in_process": time.perf_counter() - START},
        "peak_rss_mb": _peak_mb(),
        "numerics": NUMERICS_MODE,
        "quality": runs[0] if repeats == 1 else {k: float(np.mean([r[k] for r in runs])) for k in runs[0]},
        "n_rows": len(frame),
    }
    if repeats > 1:
        result["quality_runs"] = runs
        result["seconds"]["fit_repeats"] = fit_seconds
    return result


# --------------------------------------------------------------------------- the theme-book workflow
def _cycles(frame, labels, *, sample: int):  # noqa: ANN001, ANN202 - pandas imported lazily
    """Cycle 1 = comments dated on or before the median date, cycle 2 = after (then sampled, fixed seed).

    Dates are parsed day-first with mixed formats, as ``analysis.cli.themes.periods`` does;
    undated comments belong to neither cycle. Returns ``(frame, labels)`` per cycle and the split.
    """
    import numpy as np
    import pandas as pd

    text = frame[DATE].astype("string").str.strip()
    dates = pd.to_datetime(text, format="mixed", dayfirst=True, errors="coerce")
    cut = dates.dropna().median()
    rows1 = np.flatnonzero((dates <= cut).to_numpy(dtype=bool))
    rows2 = np.flatnonzero((dates > cut).to_numpy(dtype=bool))
    n2 = len(rows2)
    if sample and n2 > sample:
        rows2 = np.sort(np.random.default_rng(SEED).choice(rows2, size=sample, replace=False))

    def part(rows):  # noqa: ANN001, ANN202
        return frame.iloc[rows].reset_index(drop=True), labels.iloc[rows].reset_index(drop=True)

    split = {"rule": "cycle 1: Date <= median date; cycle 2: Date > median (day-first, mixed formats)",
             "median_date": cut.date().isoformat(),
             "cycle1_dates": [dates.iloc[rows1].min().date().isoformat(), cut.date().isoformat()],
             "cycle2_dates": [dates[dates > cut].min().date().isoformat(), dates.max().date().isoformat()],
             "n_cycle1": len(rows1), "n_cycle2": n2, "n_cycle2_used": len(rows2),
             "cycle2_sample_seed": SEED if len(rows2) < n2 else None, "n_undated": int(dates.isna().sum())}
    return part(rows1), part(rows2), split


def _prepare(frame):  # noqa: ANN001, ANN202
    from analysis.core.config import Themes
    from analysis.themes.model import prepare_comments

    return prepare_comments(frame.assign(question_id=frame[QUESTION]), text_column=TEXT,
                            question_column="question_id", min_words=Themes().min_words)


def _embed(prepared, model, cache):  # noqa: ANN001, ANN202
    """Embeddings of the answers that are not non-answers (zeros for the rest, which are never compared)."""
    import numpy as np

    from analysis.themes.embeddings import embed_texts

    keep = ~prepared["is_non_answer"].to_numpy(dtype=bool)
    vectors, stats = embed_texts(prepared.loc[keep, "model_text"].tolist(), model=model, cache_dir=cache)
    out = np.zeros((len(prepared), vectors.shape[1]), dtype=np.float32)
    out[keep] = vectors
    return out, stats


def _book_from(run, folder: Path, name: str):  # noqa: ANN001, ANN202
    """Accept every candidate of a first-cycle run into a new book, save it and load it back (as a user does)."""
    import datetime as dt

    from analysis.themes.book import load_book, save_book
    from analysis.themes.review import accept_candidates

    if run.candidates is None:
        raise SystemExit("cycle 1 found no candidate themes")
    book, _ = accept_candidates(None, run.candidates, run.candidates.ids(), reviewer="BENCH",
                                today=dt.date.fromisoformat(REVIEW_DATE), programme="bench")
    return load_book(save_book(book, folder / f"{name}.yaml"))


def _first_cycle(seed: int, cache: Path | None, folder: Path, name: str, sample: int):  # noqa: ANN202
    """Cycle 1 themed with no book, every candidate accepted into a saved book; cycle 2 prepared and embedded.

    Returns ``(book, model, (prepared, vectors, frame, labels) of cycle 2, split, seconds, cycle-1 figures)``.
    """
    from analysis.core.config import Themes
    from analysis.themes.embeddings import load_model
    from analysis.themes.pipeline import theme_answers

    frame, labels = _load_frame()
    (c1, _), (c2, labels2), split = _cycles(frame, labels, sample=sample)
    model = load_model()
    p1, p2 = _prepare(c1), _prepare(c2)
    t = time.perf_counter()
    v1, _ = _embed(p1, model, cache)
    v2, _ = _embed(p2, model, cache)
    seconds = {"embed": time.perf_counter() - t}
    t = time.perf_counter()
    run1 = theme_answers(p1, v1, None, Themes(), seed=seed, cycle="cycle 1", model_sha256=model.sha256,
                         text_column=TEXT, cache_dir=cache)
    seconds["theme_cycle1"] = time.perf_counter() - t
    t = time.perf_counter()
    book = _book_from(run1, folder, name)
    seconds["accept_and_save"] = time.perf_counter() - t
    cycle1 = {"n_rows": len(c1), "n_candidates": len(run1.candidates.themes),
              "outlier_share": float((run1.assignments["theme_id"] == -1).mean())}
    return book, model, (p2, v2, c2, labels2), split, seconds, cycle1


def worker_book(cache: Path, folder: Path, sample: int) -> dict:
    """Table 2: cycle 1 to a book, cycle 2 themed with it (assigned first, candidates among the rest)."""
    from analysis.core.config import Themes
    from analysis.themes.pipeline import theme_answers

    t_import = time.perf_counter() - START
    book, model, (p2, v2, c2, labels2), split, seconds, cycle1 = _first_cycle(SEED, cache, folder, "book", sample)
    t = time.perf_counter()
    run2 = theme_answers(p2, v2, book, Themes(), seed=SEED, cycle="cycle 2", model_sha256=model.sha256,
                         text_column=TEXT, cache_dir=cache)
    seconds["theme_cycle2"] = time.perf_counter() - t
    a = run2.assignments
    topics = a["theme_id"].to_numpy(dtype=int)
    substantive = ~a["is_non_answer"].to_numpy(dtype=bool)
    words = {int(r.theme_id): list(r.top_words) for r in run2.themes.itertuples()}
    quality = _scores(topics, labels2, c2[TEXT].tolist(), words, substantive)
    in_book = a["book_theme_id"].notna().to_numpy(dtype=bool)
    candidate = a["candidate"].to_numpy(dtype=bool)
    quality.update({
        "n_book_themes": len(book.themes),
        "n_book_themes_used": len({int(x) for x in topics[in_book]}),
        "n_candidate_themes": len({int(x) for x in topics[candidate]}),
        "book_share_substantive": float(in_book[substantive].mean()),
        "candidate_share_substantive": float(candidate[substantive].mean()),
    })
    seconds.update({"import": t_import, "end_to_end_in_process": time.perf_counter() - START})
    return {"seconds": seconds, "peak_rss_mb": _peak_mb(), "numerics": NUMERICS_MODE, "split": split,
            "cycle1": cycle1, "quality": quality, "n_rows": len(c2),
            "settings": {k: v for k, v in run2.settings.items() if k != "discovery"}}


def worker_book_stability(cache: Path, folder: Path, sample: int) -> dict:
    """Table 3: books from cycle 1 with seeds SEED and SEED + 1; ARI between their cycle-2 assignments."""
    from analysis.core.config import Themes
    from analysis.themes.book import load_book
    from analysis.themes.pipeline import theme_answers
    from analysis.themes.quality import stability

    book_b, model, (p2, v2, _, _), split, _, _ = _first_cycle(SEED + 1, cache, folder, f"book_seed{SEED + 1}",
                                                             sample)
    book_a = load_book(folder / "book.yaml")  # seed SEED, made by worker_book
    assigned = [theme_answers(p2, v2, b, Themes(), seed=SEED, cycle="cycle 2", model_sha256=model.sha256,
                              text_column=TEXT, discover=False).assignments for b in (book_a, book_b)]
    topics = [x["theme_id"].to_numpy(dtype=int) for x in assigned]
    substantive = ~assigned[0]["is_non_answer"].to_numpy(dtype=bool)
    return {"seeds": [SEED, SEED + 1], "n_book_themes": [len(book_a.themes), len(book_b.themes)],
            "assigned_share_substantive": [float((t[substantive] >= 0).mean()) for t in topics],
            "stability": stability(topics[0], topics[1]), "n_rows": len(p2), "split": split}


def worker_numerics(folder: Path, label: str, sample: int) -> dict:
    """Table 4: cycle 2 embedded (no cache) and assigned to the saved book, in this process's numerics mode."""
    import numpy as np
    import pandas as pd
    import torch
    from threadpoolctl import threadpool_info

    from analysis.core.config import Themes
    from analysis.core.numerics import PORTABLE_ENV
    from analysis.themes.book import load_book
    from analysis.themes.embeddings import load_model
    from analysis.themes.pipeline import theme_answers

    book = load_book(folder / "book.yaml")
    frame, labels = _load_frame()
    _, (c2, _), split = _cycles(frame, labels, sample=sample)
    p2 = _prepare(c2)
    model = load_model()
    t = time.perf_counter()
    _ = model.model  # load the network first: the speed below is encoding alone
    t_load = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    v2, stats = _embed(p2, model, None)
    t_embed, cpu_embed = time.perf_counter() - t, time.process_time() - cpu
    run = theme_answers(p2, v2, book, Themes(), seed=SEED, cycle="cycle 2", model_sha256=model.sha256,
                        text_column=TEXT, discover=False)
    a = run.assignments
    table = pd.DataFrame({"row": np.arange(len(a)), "theme_id": a["theme_id"].to_numpy(),
                          "book_theme_id": a["book_theme_id"].to_numpy(), "similarity": a["similarity"].to_numpy()})
    csv = folder / f"assignments_{label}.csv"
    table.to_csv(csv, index=False, float_format="%.4f", lineterminator="\n")
    np.save(folder / f"embeddings_{label}.npy", v2)
    return {"requested": label, "mode": NUMERICS_MODE, "pins": {k: os.environ.get(k) for k in PORTABLE_ENV},
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "blas": sorted({f"{i.get('internal_api')}:{i['architecture']}" for i in threadpool_info()
                            if i.get("architecture")}),
            "n_texts": stats.n_texts, "n_embedded": stats.n_embedded, "model_load_seconds": t_load,
            "embed_seconds": t_embed, "comments_per_second": stats.n_embedded / t_embed,
            # CPU time (all threads) is less disturbed than wall time by other work on a shared machine.
            "embed_cpu_seconds": cpu_embed, "comments_per_cpu_second": stats.n_embedded / cpu_embed,
            "assigned_share_substantive": float(a.loc[~a["is_non_answer"], "book_theme_id"].notna().mean()),
            "assignments_sha256": hashlib.sha256(csv.read_bytes()).hexdigest(), "n_rows": len(p2),
            "peak_rss_mb": _peak_mb(), "split": split}


def _compare_numerics(folder: Path) -> dict:
    """The two modes' assignments (byte for byte and answer by answer) and embeddings (round 1), and each
    mode's round 2 against its round 1."""
    import numpy as np
    import pandas as pd

    files = {m: folder / f"assignments_{m}.csv" for m in ("portable", "host")}
    tables = {m: pd.read_csv(f, dtype=str, keep_default_na=False) for m, f in files.items()}
    a, b = tables["portable"], tables["host"]
    vectors = {m: np.load(folder / f"embeddings_{m}.npy").astype(np.float64) for m in files}
    diff = np.abs(vectors["portable"] - vectors["host"])
    rows = (vectors["portable"] != 0).any(axis=1)
    cos = (vectors["portable"][rows] * vectors["host"][rows]).sum(axis=1)
    rerun = {m: files[m].read_bytes() == (folder / f"assignments_{m}-2.csv").read_bytes() for m in files}
    return {"byte_identical": files["portable"].read_bytes() == files["host"].read_bytes(), "rerun_identical": rerun,
            "n_answers": len(a), "n_theme_differs": int((a["theme_id"] != b["theme_id"]).sum()),
            "n_similarity_differs": int((a["similarity"] != b["similarity"]).sum()),
            "embeddings_identical": bool((diff == 0).all()), "max_abs_difference": float(diff.max()),
            "n_vectors_differ": int((diff > 0).any(axis=1).sum()), "min_cosine": float(cos.min())}


def _run(args: list[str], env: dict[str, str] | None = None) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - start
    return result


def _mode_env(mode: str) -> dict[str, str]:
    """This environment with only INVOLVEMENT_NUMERICS=mode: the worker's own entry point applies (or not) the pins."""
    from analysis.core.numerics import MODE_VARIABLE, PORTABLE_ENV

    env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV}
    env[MODE_VARIABLE] = mode
    return env


def _table(runs: dict[str, dict]) -> str:
    def g(run: dict, *keys: str) -> str:
        value = run
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        if value is None:
            return "–"
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    rows = [
        ("Wall time, fresh process (s)", ("wall_seconds",)),
        ("  imports (s)", ("seconds", "import")),
        ("  embed incl. model load (s)", ("seconds", "embed")),
        ("  reduce: exact kNN + UMAP (s)", ("seconds", "reduce")),
        ("  cluster: HDBSCAN (s)", ("seconds", "cluster")),
        ("  represent: c-TF-IDF + labels (s)", ("seconds", "represent")),
        ("  plain BERTopic fit_transform (s)", ("seconds", "fit")),
        ("Comments per second (wall)", ("comments_per_second",)),
        ("Peak memory (MB, ru_maxrss)", ("peak_rss_mb",)),
        ("Themes", ("quality", "n_themes")),
        ("Outlier share, all non-empty", ("quality", "outlier_share_all")),
        ("Outlier share, substantive", ("quality", "outlier_share_substantive")),
        ("NMI vs human codes, all non-empty", ("quality", "nmi_all")),
        ("ARI vs human codes, all non-empty", ("quality", "ari_all")),
        ("AMI vs human codes, all non-empty", ("quality", "ami_all")),
        ("NMI, substantive comments only", ("quality", "nmi_substantive")),
        ("ARI, substantive comments only", ("quality", "ari_substantive")),
        ("AMI, substantive comments only", ("quality", "ami_substantive")),
        ("Topic diversity", ("quality", "diversity")),
        ("NPMI coherence (top words)", ("quality", "coherence_npmi")),
        ("Stability between seeds (ARI)", ("quality", "stability", "ari")),
    ]
    names = list(runs)
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, keys in rows:
        lines.append(f"| {label} | " + " | ".join(g(runs[n], *keys) for n in names) + " |")
    return "\n".join(lines)


def _f(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _bars(book: dict, plain: dict | None) -> dict[str, dict]:
    """Issue 12's quality bar, each with its target and whether it is met (None: no plain run to compare)."""
    q = book["quality"]
    p = plain["quality"] if plain else None
    out: dict[str, dict] = {}
    for key, rule, target in (
            ("nmi_substantive", "≥ plain + 0.03", None if p is None else p["nmi_substantive"] + 0.03),
            ("ari_substantive", "≥ 2 × plain", None if p is None else 2 * p["ari_substantive"]),
            ("outlier_share_substantive", "≤ ½ × plain", None if p is None else 0.5 * p["outlier_share_substantive"]),
            ("nmi_all", "≥ plain + 0.03", None if p is None else p["nmi_all"] + 0.03),
            ("ari_all", "≥ 2 × plain", None if p is None else 2 * p["ari_all"]),
            ("outlier_share_all", "≤ ½ × plain", None if p is None else 0.5 * p["outlier_share_all"])):
        met = None if target is None else (q[key] <= target if key.startswith("outlier") else q[key] >= target)
        out[key] = {"rule": rule, "target": target, "value": q[key], "met": met}
    out["n_themes"] = {"rule": "tens (10-99)", "target": None, "value": q["n_themes"],
                       "met": 10 <= q["n_themes"] <= 99}
    return out


def _book_table(book: dict, plain: dict | None, bars: dict[str, dict]) -> str:
    split = book["split"]
    sample = (f"{split['n_cycle2_used']:,} of {split['n_cycle2']:,}, fixed-seed sample (seed {SEED})"
              if split["cycle2_sample_seed"] is not None else f"all {split['n_cycle2']:,}")
    head = [f"Cycle 1: {split['n_cycle1']:,} comments dated {split['cycle1_dates'][0]} to "
            f"{split['cycle1_dates'][1]}; cycle 2: comments dated {split['cycle2_dates'][0]} to "
            f"{split['cycle2_dates'][1]}, {sample}. Bars judged on the substantive comments; the all-non-empty "
            "rows are shown for reference."
            + (f" Plain BERTopic (unseeded UMAP): mean of {len(plain['quality_runs'])} fits on the same embeddings "
               "(range in brackets), against which the bars are judged; its wall time includes every fit, the "
               "fit_transform row is the first." if plain and "quality_runs" in plain else ""), ""]
    rows = [
        ("Comments in cycle 2", ("n_rows",), 0, None),
        ("Wall time, fresh process (s)", ("wall_seconds",), 1, None),
        ("  embed cycles 1 + 2, warm cache (s)", ("seconds", "embed"), 1, None),
        ("  theme cycle 1, no book (s)", ("seconds", "theme_cycle1"), 1, None),
        ("  accept all candidates, save book (s)", ("seconds", "accept_and_save"), 2, None),
        ("  theme cycle 2 with the book (s)", ("seconds", "theme_cycle2"), 1, None),
        ("  plain BERTopic embed (s)", ("seconds", "embed_plain"), 1, None),
        ("  plain BERTopic fit_transform (s)", ("seconds", "fit"), 1, None),
        ("Themes in the book (from cycle 1)", ("quality", "n_book_themes"), 0, None),
        ("Themes in cycle 2, incl. candidates", ("quality", "n_themes"), 0, "n_themes"),
        ("  book themes used / candidate themes", None, 0, None),
        ("Share of substantive answers in a book theme", ("quality", "book_share_substantive"), 3, None),
        ("Share of substantive answers in a candidate", ("quality", "candidate_share_substantive"), 3, None),
        ("Outlier share, substantive", ("quality", "outlier_share_substantive"), 3, "outlier_share_substantive"),
        ("NMI, substantive comments", ("quality", "nmi_substantive"), 3, "nmi_substantive"),
        ("ARI, substantive comments", ("quality", "ari_substantive"), 3, "ari_substantive"),
        ("AMI, substantive comments", ("quality", "ami_substantive"), 3, None),
        ("Outlier share, all non-empty", ("quality", "outlier_share_all"), 3, "outlier_share_all"),
        ("NMI, all non-empty", ("quality", "nmi_all"), 3, "nmi_all"),
        ("ARI, all non-empty", ("quality", "ari_all"), 3, "ari_all"),
        ("AMI, all non-empty", ("quality", "ami_all"), 3, None),
        ("Topic diversity", ("quality", "diversity"), 2, None),
        ("NPMI coherence (top words)", ("quality", "coherence_npmi"), 2, None),
    ]
    lines = [*head, "| measure | book workflow, cycle 2 | plain BERTopic, cycle 2 alone | bar (issue 12) | met |",
             "|---|---|---|---|---|"]
    for label, keys, digits, bar in rows:
        if keys is None:
            q = book["quality"]
            cells = [f"{q['n_book_themes_used']} / {q['n_candidate_themes']}", "–"]
        else:
            cells = [_f(_get(run, keys), digits) for run in (book, plain)]
            if plain and "quality_runs" in plain and keys[0] == "quality" and keys[1] in plain["quality"]:
                each = [r[keys[1]] for r in plain["quality_runs"]]
                cells[1] += f" ({_f(float(min(each)), digits)}–{_f(float(max(each)), digits)})"
        rule = met = "–"
        if bar is not None:
            b = bars[bar]
            rule = b["rule"] + (f" = {b['target']:.3f}" if b["target"] is not None else "")
            met = _f(b["met"])
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {rule} | {met} |")
    if plain and plain["quality"]["ari_substantive"] <= 0.01:
        lines += ["", f"Note: plain BERTopic's ARI on the substantive comments is "
                      f"{plain['quality']['ari_substantive']:.3f}, about 0, so \"ARI × 2\" is met by any clearly "
                      "positive ARI; compare the ARI values themselves."]
    return "\n".join(lines)


def _get(run: dict | None, keys: tuple[str, ...]) -> object:
    value: object = run
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return value


def _stability_table(stab: dict) -> str:
    s = stab["stability"]
    return "\n".join([
        f"Books made from cycle 1 with seeds {stab['seeds'][0]} and {stab['seeds'][1]} (every candidate accepted); "
        f"the same {stab['n_rows']:,} cycle-2 comments assigned to each, no discovery "
        "(unassigned answers count as one group, non-answers are left out).", "",
        f"| measure | seed {stab['seeds'][0]} | seed {stab['seeds'][1]} | bar (issue 12) | met |",
        "|---|---|---|---|---|",
        f"| Themes in the book | {stab['n_book_themes'][0]} | {stab['n_book_themes'][1]} | – | – |",
        "| Share of substantive answers assigned | "
        + " | ".join(_f(x) for x in stab["assigned_share_substantive"]) + " | – | – |",
        f"| ARI between the two assignments | {_f(s['ari'])} | | ≥ 0.9 | {_f(s['ari'] >= 0.9)} |",
        f"| NMI between the two assignments | {_f(s['nmi'])} | | – | – |",
        f"| Answers compared | {s['n']:,} | | – | – |",
    ])


def _numerics_table(runs: dict[str, dict], cmp: dict) -> str:
    p, h = runs["portable"], runs["host"]
    rounds = {m: [runs[m], runs[f"{m}-2"]] for m in ("portable", "host")}

    def per_round(key: str) -> list[str]:
        return [" / ".join(f"{r[key]:.1f}" for r in rounds[m]) for m in ("portable", "host")]

    best = {m: max(r["comments_per_second"] for r in rounds[m]) for m in rounds}
    lines = [f"The same saved book (from table 2), cycle 2 ({p['n_rows']:,} comments, {p['n_embedded']:,} unique texts "
             "embedded with no cache) assigned with no discovery, in fresh processes run in the order portable, "
             "host, portable, host (rounds 1 and 2: the machine is shared with other work, so speeds vary; "
             "compare the best rounds).", "",
             "| measure | INVOLVEMENT_NUMERICS=portable | INVOLVEMENT_NUMERICS=host | portable against host |",
             "|---|---|---|---|"]
    mode_rows = [
        ("Mode in effect (analysis.core.numerics)", p["mode"], h["mode"]),
        ("PyTorch CPU capability", p["torch_cpu_capability"], h["torch_cpu_capability"]),
        ("BLAS code path (threadpoolctl)", ", ".join(p["blas"]), ", ".join(h["blas"])),
        ("Encoder: unique comments per second, rounds 1 / 2", *per_round("comments_per_second")),
        ("Encoder: unique comments per CPU-second, rounds 1 / 2", *per_round("comments_per_cpu_second")),
        ("Encoder: best round (comments per second)", f"{best['portable']:.1f}", f"{best['host']:.1f}"),
        ("Share of substantive answers assigned", _f(p["assigned_share_substantive"]),
         _f(h["assigned_share_substantive"])),
        ("Assignments file SHA-256 (first 16)", p["assignments_sha256"][:16], h["assignments_sha256"][:16]),
        ("Round 2 (a second process) byte-identical to round 1", _f(cmp["rerun_identical"]["portable"]),
         _f(cmp["rerun_identical"]["host"])),
    ]
    lines += [f"| {label} | {a} | {b} | – |" for label, a, b in mode_rows]
    both = [
        ("Assignments byte-identical (bar: yes)", _f(cmp["byte_identical"])),
        ("Answers whose theme differs", f"{cmp['n_theme_differs']} of {cmp['n_answers']:,}"),
        ("Answers whose rounded similarity differs", str(cmp["n_similarity_differs"])),
        ("Embeddings identical", _f(cmp["embeddings_identical"])),
        ("Embedding vectors that differ", f"{cmp['n_vectors_differ']:,} of {p['n_texts']:,}"),
        ("Max absolute difference between embeddings", f"{cmp['max_abs_difference']:.1e}"),
        ("Lowest cosine between a comment's two embeddings", f"{cmp['min_cosine']:.7f}"),
        ("Encoder speed, host / portable (best rounds)", f"{best['host'] / best['portable']:.2f}"),
    ]
    lines += [f"| {label} | – | – | {value} |" for label, value in both]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("ours", "plain", "plain-cycle2", "book", "book-stability", "numerics"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    parser.add_argument("--stability", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--skip-plain", action="store_true", help="do not run plain BERTopic")
    parser.add_argument("--cycle2-sample", type=int, default=CYCLE2_SAMPLE,
                        help=f"cycle-2 comments for tables 2-4, fixed-seed sample (0 = all; default {CYCLE2_SAMPLE})")
    args = parser.parse_args()
    n = args.cycle2_sample
    if args.worker:
        cache = Path(args.cache) if args.cache else None
        folder = Path(args.folder) if args.folder else None
        result = {"ours": lambda: worker_ours(cache, args.stability),
                  "plain": worker_plain,
                  "plain-cycle2": lambda: worker_plain(n, args.repeats),
                  "book": lambda: worker_book(cache, folder, n),
                  "book-stability": lambda: worker_book_stability(cache, folder, n),
                  "numerics": lambda: worker_numerics(folder, args.label, n)}[args.worker]()
        print(json.dumps(result, default=_jsonable))
        return

    runs: dict[str, dict] = {}
    sample = ["--cycle2-sample", str(n)]
    with tempfile.TemporaryDirectory(prefix="bench_themes_cache_") as cache, \
            tempfile.TemporaryDirectory(prefix="bench_themes_book_") as folder:
        runs["ours (cold)"] = _run(["--worker", "ours", "--cache", cache])
        runs["ours (warm rerun)"] = _run(["--worker", "ours", "--cache", cache])
        runs["ours (stability run)"] = _run(["--worker", "ours", "--cache", cache, "--stability"])
        book = _run(["--worker", "book", "--cache", cache, "--folder", folder, *sample])
        stab = _run(["--worker", "book-stability", "--cache", cache, "--folder", folder, *sample])
        # Alternating modes, twice, so that a change in the machine's load does not favour one mode.
        numerics = {label: _run(["--worker", "numerics", "--folder", folder, "--label", label, *sample],
                                env=_mode_env(label.split("-")[0]))
                    for label in ("portable", "host", "portable-2", "host-2")}
        compared = _compare_numerics(Path(folder))
    plain_c2 = None
    if not args.skip_plain:
        runs["plain BERTopic"] = _run(["--worker", "plain"])
        plain_c2 = _run(["--worker", "plain-cycle2", *sample, "--repeats", str(PLAIN_REPEATS)])
        plain_c2["seconds"]["embed_plain"] = plain_c2["seconds"].pop("embed")
    stability = runs.pop("ours (stability run)")["quality"]["stability"]
    for name in ("ours (cold)", "ours (warm rerun)"):
        runs[name]["quality"]["stability"] = stability
    for run in runs.values():
        run["comments_per_second"] = run["n_rows"] / run["wall_seconds"]
    bars = _bars(book, plain_c2)
    tables = {
        "refit": _table(runs),
        "book_workflow": _book_table(book, plain_c2, bars),
        "book_stability": _stability_table(stab),
        "numerics": _numerics_table(numerics, compared),
    }
    titles = {"refit": "1. One refit on every comment (fit_themes) against plain BERTopic",
              "book_workflow": "2. Theme book workflow, cycle 2, against plain BERTopic on cycle 2 alone",
              "book_stability": "3. Stability between seeds at the assignment level",
              "numerics": "4. The same book with and without the numerics pins"}
    print(f"Numerics of this run: {NUMERICS_MODE} (INVOLVEMENT_NUMERICS; table 4 sets it per worker).")
    for key, text in tables.items():
        print(f"\n### {titles[key]}\n\n{text}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "data": "shared/data/fft_feedback/fft_feedback_v6framework.csv (non-empty comments)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "numerics": NUMERICS_MODE,
        "runs": runs,
        "markdown": tables["refit"],
        "book_workflow": {"book": book, "plain_cycle2": plain_c2, "bars": bars},
        "book_stability": stab,
        "numerics_pins": {"runs": numerics, "comparison": compared},
        "markdown_tables": {titles[k]: v for k, v in tables.items()},
    }, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS.relative_to(ROOT)}")


def _jsonable(value: object) -> object:
    """numpy scalars and the like as plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


if __name__ == "__main__":
    main()
