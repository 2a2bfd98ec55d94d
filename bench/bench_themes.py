"""Benchmark the theme engine against plain BERTopic on real labelled NHS feedback.

Not a test. Run from the repository root::

    .venv/bin/python bench/bench_themes.py            # cold + warm + plain BERTopic
    .venv/bin/python bench/bench_themes.py --skip-plain

Data: the NHS England FFT comments with human codes (../shared, 7.9k rows,
~7.4k non-empty). Each configuration runs in a FRESH process, so timings include
Python imports, model loading and numba compilation exactly as a user sees them:

- ``ours (cold)``: empty embedding cache (a temporary folder).
- ``ours (warm rerun)``: the same command again with the cache now filled.
- ``plain BERTopic``: ``BERTopic(embedding_model=<the same local model>)``
  ``.fit_transform(docs, embeddings)`` with library defaults, on every
  non-empty comment, embeddings made by the same encoder (no cache).

Scoring is identical for both: NMI and ARI against each comment's dominant
human code (the rarest of its codes in the file), (a) over every non-empty
comment, where our "No substantive answer" (-2) counts as one group, as it does
for a reader, and (b) over the substantive comments only (the same rows for
both pipelines: not flagged as non-answers). Outliers (-1) count as one group
in both. AMI (adjusted mutual information) is shown beside NMI because NMI
rises with the number of clusters even by chance, which flatters 100+ topics. Writes a markdown table to stdout and everything to
``bench/results/bench_themes.json`` (committed: the latest results).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
# First, before numpy, torch or numba load: the same arithmetic as `make report` (analysis.core.numerics).
from analysis.core.numerics import apply_portable_numerics  # noqa: E402, I001

apply_portable_numerics()
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_themes.json"
TEXT, QUESTION = "FFT answer", "FFT question"
FIRST_CODE, LAST_CODE = "Not assigned", "Positive experience & gratitude"


def _load_frame():  # noqa: ANN202 - pandas imported lazily to time imports honestly
    import pandas as pd

    from analysis.core import paths
    from analysis.themes.quality import dominant_code

    csv = paths.SHARED_DIR / "data" / "fft_feedback" / "fft_feedback_v6framework.csv"
    if not csv.is_file():
        raise SystemExit(f"shared data not found: {csv}")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame = frame[frame[TEXT].str.strip() != ""].reset_index(drop=True)
    cols = list(frame.columns)
    codes = cols[cols.index(FIRST_CODE): cols.index(LAST_CODE) + 1]
    return frame, dominant_code(frame[codes])


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


def worker_plain() -> dict:
    import warnings

    import numpy as np

    from analysis.themes.embeddings import load_model
    from analysis.themes.model import prepare_comments

    warnings.simplefilter("ignore")
    from bertopic import BERTopic

    t_import = time.perf_counter() - START
    t = time.perf_counter()
    frame, labels = _load_frame()
    docs = frame[TEXT].tolist()
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    model = load_model()
    embeddings = model.model.encode(docs, show_progress_bar=False)
    t_embed = time.perf_counter() - t
    t = time.perf_counter()
    topic_model = BERTopic(embedding_model=model.model)
    topics, _ = topic_model.fit_transform(docs, embeddings)
    t_fit = time.perf_counter() - t
    topics = np.asarray(topics)
    words = {int(k): [w for w, _ in v] for k, v in topic_model.get_topics().items() if int(k) >= 0}
    substantive = ~prepare_comments(frame, text_column=TEXT, question_column=QUESTION)["is_non_answer"].to_numpy()
    return {
        "seconds": {"import": t_import, "read": t_read, "embed": t_embed, "fit": t_fit,
                    "end_to_end_in_process": time.perf_counter() - START},
        "peak_rss_mb": _peak_mb(),
        "quality": _scores(topics, labels, docs, words, substantive),
        "n_rows": len(frame),
    }


def _run(args: list[str]) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - start
    return result


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("ours", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--stability", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-plain", action="store_true", help="do not run plain BERTopic")
    args = parser.parse_args()
    if args.worker == "ours":
        print(json.dumps(worker_ours(Path(args.cache), args.stability)))
        return
    if args.worker == "plain":
        print(json.dumps(worker_plain()))
        return

    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench_themes_cache_") as cache:
        runs["ours (cold)"] = _run(["--worker", "ours", "--cache", cache])
        runs["ours (warm rerun)"] = _run(["--worker", "ours", "--cache", cache])
        runs["ours (stability run)"] = _run(["--worker", "ours", "--cache", cache, "--stability"])
    if not args.skip_plain:
        runs["plain BERTopic"] = _run(["--worker", "plain"])
    stability = runs.pop("ours (stability run)")["quality"]["stability"]
    for name in ("ours (cold)", "ours (warm rerun)"):
        runs[name]["quality"]["stability"] = stability
    for run in runs.values():
        run["comments_per_second"] = run["n_rows"] / run["wall_seconds"]
    table = _table(runs)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "data": "shared/data/fft_feedback/fft_feedback_v6framework.csv (non-empty comments)",
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "runs": runs,
        "markdown": table,
    }, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
