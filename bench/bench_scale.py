"""Stage and end-to-end benchmarks of the theme engine at national sizes (``make bench-scale``).

Not a test. Run from the repository root::

    .venv/bin/python bench/bench_scale.py                                  # 7900 30000 100000 300000
    .venv/bin/python bench/bench_scale.py --sizes 7900 30000               # small sizes only
    .venv/bin/python bench/bench_scale.py --sizes 7900 --precisions fp32 bf16 int8 --agreement 30000 --dask 10000

Data
----
The real NHS England FFT comments with human codes (``../shared/data/fft_feedback``,
7,908 rows, 7,400 non-empty). Size ``7900`` is the real file (its non-empty
comments). Larger sizes keep every real comment and add synthetic ones, each
built from a randomly drawn real comment (seeded) and carrying that comment's
human code, with light perturbation so that texts are unique (no cache hits
from duplicates) yet read like feedback:

- sentence recombination (30% of comments): the first half of the comment's
  sentences followed by the second half of another comment with the SAME
  dominant human code (so the code still applies);
- word drop: each word dropped with probability 0.05 (at least 3 words kept);
- word swap: each adjacent pair swapped with probability 0.05;
- typo noise (no synonyms, no new words): each word of 4+ letters, with
  probability 0.04, gets one of: two adjacent letters swapped, a letter
  deleted, a letter doubled;
- repeated until the text is new; answers of fewer than 3 words ("Nothing",
  "All good") are copied verbatim, as such answers repeat in real feedback.

Each measured run is a FRESH process, so timings include Python start-up,
imports, model loading and numba compilation as a user sees them:

- ``cold``: empty embedding cache; ``warm``: the same command again, cache filled.
- Stages: ``import``, ``read`` (Parquet), ``prepare`` (non-answers), ``model_load``
  (weights hashed and verified, encoder loaded; 0 when everything is cached, as
  the encoder is then never loaded), ``embed``, ``reduce`` (kNN + UMAP),
  ``cluster`` (HDBSCAN), ``represent`` (c-TF-IDF, labels, outliers), ``place``
  (comments outside the fitted sample and very short ones to the nearest theme),
  ``report`` (theme table, themes.csv, assignments.csv).
- Peak memory: ``ru_maxrss`` of the process (workers of a Dask cluster are separate
  processes and reported separately where used).
- Quality: NMI and AMI against each comment's dominant human code (rarest code),
  over every non-empty comment (non-answers as one group, outliers as one group).

Extras: ``--precisions`` compares encoder arithmetic (fp32, bf16, int8) on the real
comments (speed, cosine similarity to fp32, NMI); ``--agreement N`` fits N comments
in full and on a sample of N/3 and reports their agreement; ``--dask N`` embeds N
new texts in one process and on a LocalCluster (2 workers x 1 thread) and checks
they are equal; ``--imports`` times ``import analysis.<module>`` and the notebooks'
import cells in fresh processes.

Writes ``bench/results/bench_scale.json`` (merged: sizes not rerun keep their
previous figures) and ``bench/results/bench_scale.md``, with a comparison column
against the previous saved run so a regression is visible at a glance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

START = time.perf_counter()
# First, before numpy, torch or numba load: the same arithmetic as `make report` (analysis.core.numerics).
from analysis.core.numerics import apply_portable_numerics  # noqa: E402, I001

apply_portable_numerics()
from analysis.core.numerics import numerics_mode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_scale.json"
MARKDOWN = ROOT / "bench" / "results" / "bench_scale.md"
from common import QUESTION, TEXT, cpu_model, fft_comments  # noqa: E402 - bench/common.py, beside this script

SEED = 2025
REAL_SIZE = 7900
HEAVY = ("torch", "bertopic", "sentence_transformers", "umap", "hdbscan", "statsmodels", "seaborn", "dask",
         "sklearn", "matplotlib", "plotly", "pynndescent", "numba")
PERTURBATION = {
    "recombine_share": 0.3, "word_drop": 0.05, "word_swap": 0.05, "typo": 0.04, "min_words_perturbed": 3,
    "seed": SEED,
    "method": "real comment drawn at random (seeded); 30% recombined with a comment of the same dominant "
              "human code (first half of sentences + second half of the other's); words dropped (p=0.05), "
              "adjacent words swapped (p=0.05), typos in words of 4+ letters (p=0.04: letter swap, deletion or "
              "doubling); repeated until unique; answers under 3 words copied verbatim",
}


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------
def _real_frame():  # noqa: ANN202 - pandas imported lazily so that import time is measured honestly
    import pandas as pd

    frame, labels = fft_comments()
    return pd.DataFrame({"text": frame[TEXT].astype(str), "question": frame[QUESTION].astype(str),
                         "label": labels.astype("string"), "synthetic": False})


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def perturb(text: str, partner: str | None, rng: random.Random) -> str:
    """One light perturbation of a real comment (see the module notes)."""
    if partner is not None and rng.random() < PERTURBATION["recombine_share"]:
        mine, theirs = _SENTENCE.split(text.strip()), _SENTENCE.split(partner.strip())
        if len(mine) > 1 or len(theirs) > 1:
            text = " ".join(mine[: max(1, (len(mine) + 1) // 2)] + theirs[len(theirs) // 2:])
    words = text.split()
    kept = [w for w in words if rng.random() >= PERTURBATION["word_drop"]]
    words = kept if len(kept) >= 3 else words
    for i in range(len(words) - 1):
        if rng.random() < PERTURBATION["word_swap"]:
            words[i], words[i + 1] = words[i + 1], words[i]
    words = [_typo(w, rng) if len(w) >= 4 and rng.random() < PERTURBATION["typo"] else w for w in words]
    return " ".join(words)


def build_corpus(size: int, seed: int = SEED):  # noqa: ANN201
    """The real comments, plus perturbed copies up to ``size`` rows."""
    import pandas as pd

    real = _real_frame()
    if size <= len(real) or size == REAL_SIZE:
        return real.iloc[: min(size, len(real))].reset_index(drop=True)
    rng = random.Random(seed)
    texts, labels = real["text"].tolist(), real["label"].tolist()
    by_label: dict[Any, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab if isinstance(lab, str) else None, []).append(i)
    seen = set(texts)
    rows = []
    for _ in range(size - len(real)):
        src = rng.randrange(len(real))
        text = texts[src]
        if len(text.split()) >= PERTURBATION["min_words_perturbed"]:
            lab = labels[src] if isinstance(labels[src], str) else None
            for _attempt in range(20):
                partner = texts[rng.choice(by_label[lab])] if lab is not None else None
                candidate = perturb(text, partner, rng)
                if candidate not in seen:
                    break
            else:
                candidate = f"{candidate} {rng.choice(text.split())}"  # pragma: no cover - practically never
            text = candidate
            seen.add(text)
        rows.append({"text": text, "question": real.at[src, "question"], "label": real.at[src, "label"],
                     "synthetic": True})
    extra = pd.DataFrame(rows)
    return pd.concat([real, extra], ignore_index=True).astype({"label": "string"})


# ---------------------------------------------------------------------------
# Workers (fresh processes)
# ---------------------------------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _scores(topics, labels) -> dict:  # noqa: ANN001
    import numpy as np
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    lab = np.asarray(labels, dtype=object)
    known = np.array([isinstance(x, str) for x in lab])
    t = np.asarray(topics, dtype=int)[known]
    y = lab[known].astype(str)
    return {"nmi": float(normalized_mutual_info_score(y, t)), "ami": float(adjusted_mutual_info_score(y, t)),
            "n_scored": int(known.sum())}


def worker_run(corpus: Path, cache: Path, out: Path, settings_json: str, *, save_vectors: bool = False) -> dict:
    """Read, prepare, embed, fit, report: one end-to-end run with stage timings."""
    import numpy as np
    import pandas as pd

    from analysis.core.config import Themes
    from analysis.themes.distributed import embed_comments
    from analysis.themes.embeddings import count_uncached, load_model
    from analysis.themes.model import fit_themes, prepare_comments

    seconds: dict[str, float] = {"import": time.perf_counter() - START}
    t = time.perf_counter()
    frame = pd.read_parquet(corpus)
    seconds["read"] = time.perf_counter() - t
    t = time.perf_counter()
    prepared = prepare_comments(frame, text_column="text", question_column="question", min_words=3)
    seconds["prepare"] = time.perf_counter() - t
    settings = Themes(**json.loads(settings_json))
    keep = ~prepared["is_non_answer"].to_numpy()
    texts = prepared.loc[keep, "model_text"].astype(str).tolist()
    t = time.perf_counter()
    model = load_model(settings.model_path, n_threads=settings.torch_threads, precision=settings.precision)
    if count_uncached(texts, model, cache):
        model.model  # noqa: B018 - load the encoder now, to time it apart from embedding
    seconds["model_load"] = time.perf_counter() - t
    t = time.perf_counter()
    embedded, stats = embed_comments(texts, settings, cache_dir=cache)
    seconds["embed"] = time.perf_counter() - t
    vectors = np.zeros((len(frame), embedded.shape[1]), dtype=np.float32)
    vectors[keep] = embedded
    if save_vectors:
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "vectors.npy", embedded)
    del embedded
    fit = fit_themes(prepared, vectors, settings, seed=SEED, text_column="text", question_column="question",
                     model=model, cache_dir=cache)
    for key in ("knn", "umap", "reduce", "cluster", "represent", "outliers", "place"):
        seconds[key] = float(fit.stage_seconds.get(key, 0.0))
    seconds["fit_total"] = float(fit.stage_seconds["total"])
    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    a = fit.assignments
    label_of = dict(zip(fit.topics["topic"].astype(int), fit.topics["label"].astype(str), strict=True))
    # The theme table of the fit (comments per theme and share); written here rather than through the CLI's
    # tables, whose interface follows the notebook's and is not what this benchmark measures.
    table = a.loc[a["topic"] >= 0, "topic"].value_counts().rename_axis("theme_id").reset_index(name="comments")
    table["label"] = table["theme_id"].map(label_of)
    table["share"] = (table["comments"] / max(len(a), 1)).round(4)
    table.to_csv(out / "themes.csv", index=False)
    pd.DataFrame({"row": np.arange(2, len(a) + 2), "theme_id": a["topic"].to_numpy(),
                  "theme_label": a["topic"].map(label_of).to_numpy(),
                  "similarity": a["probability"].round(4).to_numpy()}).to_csv(out / "assignments.csv", index=False)
    seconds["report"] = time.perf_counter() - t
    seconds["in_process_total"] = time.perf_counter() - START
    topics = a["topic"].to_numpy()
    quality = _scores(topics, frame["label"].to_numpy(dtype=object))
    quality.update({"n_themes": int(fit.settings_used["n_themes"]),
                    "outlier_share": float((topics[topics != -2] == -1).mean())})
    settings_used = {k: v for k, v in fit.settings_used.items()
                     if k in ("n_documents", "n_substantive", "sampled", "fit_sample_size", "knn", "precision",
                              "min_cluster_size", "min_samples", "min_df", "n_unsampled_placed",
                              "n_very_short_placed", "outlier_share_before_reduction")}
    np.save(out / "topics.npy", topics)
    return {"seconds": seconds, "peak_rss_mb": _peak_mb(), "n_rows": len(frame),
            # Other work on the machine slows a run: the 1-minute load average at its end says how much.
            "load_average_1min_at_end": os.getloadavg()[0],
            "embedding": {"n_texts": stats.n_texts, "n_unique": stats.n_unique, "n_cached": stats.n_cached,
                          "n_embedded": stats.n_embedded,
                          "texts_per_second": (stats.n_embedded / seconds["embed"]) if stats.n_embedded else None},
            "model_loaded": model.is_loaded, "quality": quality, "settings": settings_used}


def worker_precision(corpus: Path, precision: str, out: Path) -> dict:
    """Embed the real comments at one precision (no cache) and fit; vectors saved for comparison."""
    settings = {"precision": precision, "fit_sample_size": None}
    with tempfile.TemporaryDirectory(prefix="bench_prec_") as cache:
        return worker_run(corpus, Path(cache), out, json.dumps(settings), save_vectors=True)


def worker_agreement(corpus: Path, cache: Path, sample: int) -> dict:
    """Full fit vs a fit on a stratified sample (rest placed), on the same cached embeddings."""
    import numpy as np
    import pandas as pd

    from analysis.core.config import Themes
    from analysis.themes.distributed import embed_comments
    from analysis.themes.model import fit_themes, prepare_comments
    from analysis.themes.quality import stability

    frame = pd.read_parquet(corpus)
    prepared = prepare_comments(frame, text_column="text", question_column="question", min_words=3)
    keep = ~prepared["is_non_answer"].to_numpy()
    full_settings = Themes(fit_sample_size=None)
    embedded, _ = embed_comments(prepared.loc[keep, "model_text"].astype(str).tolist(), full_settings,
                                 cache_dir=cache)
    vectors = np.zeros((len(frame), embedded.shape[1]), dtype=np.float32)
    vectors[keep] = embedded
    out: dict[str, Any] = {"n_rows": len(frame), "sample": sample}
    fits = {}
    for name, settings in (("full", full_settings), ("sampled", Themes(fit_sample_size=sample))):
        t = time.perf_counter()
        fit = fit_themes(prepared, vectors, settings, seed=SEED, text_column="text", question_column="question",
                         cache_dir=cache)
        topics = fit.assignments["topic"].to_numpy()
        fits[name] = topics
        out[name] = {"seconds": time.perf_counter() - t, "n_themes": int(fit.settings_used["n_themes"]),
                     "n_fitted": int(fit.settings_used["n_documents"]),
                     **_scores(topics, frame["label"].to_numpy(dtype=object))}
    substantive = fits["full"] != -2
    out["agreement_substantive"] = stability(fits["full"][substantive], fits["sampled"][substantive])
    return out


def worker_dask(corpus: Path, n_texts: int) -> dict:
    """Embed the same new texts in one process and on a LocalCluster; compare."""
    import numpy as np
    import pandas as pd

    from analysis.themes.distributed import _embed_with_client, dask_client
    from analysis.themes.embeddings import embed_texts, load_model

    frame = pd.read_parquet(corpus)
    texts = frame.loc[frame["synthetic"], "text"].astype(str).tolist()[-n_texts:]
    model = load_model(precision="auto")
    model.model  # noqa: B018 - both runs start with a loaded client model
    result: dict[str, Any] = {"n_texts": len(texts), "precision": model.precision}
    with tempfile.TemporaryDirectory(prefix="bench_dask_") as tmp:
        t = time.perf_counter()
        single, _ = embed_texts(texts, model=model, cache_dir=Path(tmp) / "single")
        result["single_process_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        with dask_client(None, n_workers=2, threads_per_worker=1, processes=True) as client:
            result["cluster_start_seconds"] = time.perf_counter() - t
            t2 = time.perf_counter()
            distributed, _ = _embed_with_client(texts, model, Path(tmp) / "dask", client)
            result["dask_embed_seconds"] = time.perf_counter() - t2
            result["dask_worker_peak_rss_mb"] = [
                float(w.get("metrics", {}).get("memory", 0)) / 2**20
                for w in client.scheduler_info().get("workers", {}).values()]
        result["dask_total_seconds"] = time.perf_counter() - t
    cos = (single * distributed).sum(axis=1)
    result.update({"min_cosine": float(cos.min()), "max_abs_diff": float(np.abs(single - distributed).max()),
                   "allclose_1e-3": bool(np.allclose(single, distributed, atol=1e-3))})
    return result


# ---------------------------------------------------------------------------
# Import times
# ---------------------------------------------------------------------------
_PROBE = ("import sys, time; t = time.perf_counter(); {stmt}; "
          "print(time.perf_counter() - t); print(','.join(sorted(m for m in {heavy!r} if m in sys.modules)) or '-')")


def import_times() -> dict:
    """Fresh-process import time and heavy libraries pulled in, per module and per notebook imports cell."""
    import nbformat

    out: dict[str, Any] = {"modules": {}, "notebooks": {}}
    modules = sorted(p.stem for p in (ROOT / "src" / "analysis").glob("*.py") if not p.stem.startswith("_"))

    def probe(stmt: str) -> dict:
        proc = subprocess.run([sys.executable, "-c", _PROBE.format(stmt=stmt, heavy=HEAVY)], capture_output=True,
                              text=True, cwd=ROOT)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or len(lines) < 2:
            err = proc.stderr.strip().splitlines()
            return {"error": err[-1] if err else "failed"}
        return {"seconds": float(lines[-2]), "heavy": [m for m in lines[-1].split(",") if m and m != "-"]}

    for name in modules:
        out["modules"][name] = probe(f"import analysis.{name}")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = [c for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"]
        if cells:
            stmt = "exec(" + repr(cells[0].source) + ")"
            out["notebooks"][nb.stem] = probe(stmt)
    return out


# ---------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------
def _run(args: list[str]) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - start
    return result


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _delta(new: float | None, old: float | None, *, worse_if_higher: bool = True, tolerance: float = 0.10) -> str:
    if new is None or old is None or old == 0:
        return ""
    change = (new - old) / abs(old)
    flag = " ⚠" if (change > tolerance if worse_if_higher else change < -tolerance) else ""
    return f" ({change:+.0%}{flag})"


def markdown(results: dict, previous: dict | None) -> str:
    """The size table (with changes against the previous run) and the extras."""
    runs = results.get("runs", {})
    prev_runs = (previous or {}).get("runs", {})
    machine = results["machine"]
    lines = [f"Machine: {machine['cpus']} cores ({machine.get('cpu', 'CPU not recorded')}), Python "
             f"{machine['python']}, {machine.get('numerics', '?')} arithmetic (analysis.core.numerics); "
             f"run {results['when']}; previous run {(previous or {}).get('when', '–')}. "
             "(+x%) is the change against the previous saved run; ⚠ marks a regression over 10% "
             "(time, memory) or an NMI drop over 0.02.", ""]
    stages = ["import", "read", "prepare", "model_load", "embed", "reduce", "cluster", "represent", "place",
              "report"]
    head = ["size", "run", "precision", "wall (s)", *[f"{s} (s)" for s in stages], "comments/s", "embedded/s",
            "peak RSS (MB)", "themes", "NMI", "AMI", "fitted on"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(runs, key=lambda k: (int(k.split(":")[0]), k)):
        run = runs[key]
        old = prev_runs.get(key)
        size, mode = key.split(":")
        cells = [size, mode, str(run["settings"].get("precision", "–")), _fmt(run["wall_seconds"]) + _delta(run["wall_seconds"],
                                                                 old and old.get("wall_seconds"))]
        cells += [_fmt(run["seconds"].get(s), 2) for s in stages]
        cells += [_fmt(run["n_rows"] / run["wall_seconds"], 0),
                  _fmt(run["embedding"]["texts_per_second"], 0),
                  _fmt(run["peak_rss_mb"], 0) + _delta(run["peak_rss_mb"], old and old.get("peak_rss_mb"))]
        nmi, old_nmi = run["quality"]["nmi"], old and old["quality"]["nmi"]
        nmi_cell = _fmt(nmi, 3)
        if old_nmi is not None:
            nmi_cell += f" ({nmi - old_nmi:+.3f}{' ⚠' if nmi - old_nmi < -0.02 else ''})"
        cells += [str(run["quality"]["n_themes"]), nmi_cell, _fmt(run["quality"]["ami"], 3),
                  f"{run['settings'].get('n_documents')} of {run['settings'].get('n_substantive')}"]
        lines.append("| " + " | ".join(cells) + " |")
    # Cold and warm runs fit the same vectors: any difference in themes is a reproducibility bug.
    both = {k.split(":")[0] for k in runs if k.endswith(":cold")} & {k.split(":")[0] for k in runs if k.endswith(":warm")}
    differing = sorted((s for s in both if runs[f"{s}:cold"]["quality"] != runs[f"{s}:warm"]["quality"]), key=int)
    if differing:
        lines += ["", f"⚠ Cold and warm runs gave different themes at size(s) {', '.join(differing)}: "
                      "the fit is not reproducible there."]
    elif both:
        lines += ["", "Cold and warm runs gave identical theme quality figures at every size (same fit)."]
    prec = results.get("precisions")
    if prec:
        lines += ["", "Encoder precision on the real comments (cold, no cache, fresh process each):", "",
                  "| precision | embedded/s | cosine to fp32: mean | 1st pct | min | themes | NMI | AMI |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, r in prec.items():
            lines.append(f"| {name} | {_fmt(r['embedding']['texts_per_second'], 0)} | "
                         f"{_fmt(r.get('cosine_mean'), 4)} | {_fmt(r.get('cosine_p1'), 4)} | "
                         f"{_fmt(r.get('cosine_min'), 4)} | {r['quality']['n_themes']} | "
                         f"{_fmt(r['quality']['nmi'], 3)} | {_fmt(r['quality']['ami'], 3)} |")
    agree = results.get("agreement")
    if agree:
        lines += ["", f"Sampled vs full fit on {agree['n_rows']} comments (sample {agree['sample']}):", "",
                  f"- full: {agree['full']['n_themes']} themes, NMI {agree['full']['nmi']:.3f}, "
                  f"{agree['full']['seconds']:.0f} s; sampled: {agree['sampled']['n_themes']} themes, "
                  f"NMI {agree['sampled']['nmi']:.3f}, {agree['sampled']['seconds']:.0f} s",
                  f"- agreement between them (substantive comments): ARI "
                  f"{agree['agreement_substantive']['ari']:.3f}, NMI {agree['agreement_substantive']['nmi']:.3f}"]
    dask = results.get("dask")
    if dask:
        lines += ["", f"Dask LocalCluster (2 workers x 1 thread) vs one process (2 threads), {dask['n_texts']} "
                      f"new texts at {dask['precision']}: one process {dask['single_process_seconds']:.0f} s; "
                      f"cluster start {dask['cluster_start_seconds']:.1f} s + embed "
                      f"{dask['dask_embed_seconds']:.0f} s; min cosine between the two "
                      f"{dask['min_cosine']:.6f}, max abs difference {dask['max_abs_diff']:.2e}."]
    imports = results.get("imports")
    if imports:
        lines += ["", "Fresh-process import times (s) and heavy libraries pulled in:", "",
                  "| import | seconds | heavy libraries |", "|---|---|---|"]
        for kind in ("notebooks", "modules"):
            for name, r in imports.get(kind, {}).items():
                lines.append(f"| {kind[:-1]} {name} | {_fmt(r.get('seconds'), 2)} | "
                             f"{', '.join(r.get('heavy', [])) or r.get('error', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[REAL_SIZE, 30000, 100000, 300000],
                        help="corpus sizes (rows); 7900 = the real file")
    parser.add_argument("--precision", default="auto", help="encoder precision for the size runs")
    parser.add_argument("--no-warm", action="store_true", help="cold runs only")
    parser.add_argument("--precisions", nargs="*", default=[], help="compare these on the real comments")
    parser.add_argument("--agreement", type=int, help="size for the sampled-vs-full fit comparison")
    parser.add_argument("--dask", type=int, help="texts for the Dask vs one-process comparison")
    parser.add_argument("--imports", action="store_true", help="time module and notebook imports")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        corpus = Path(args.corpus)
        if args.worker == "run":
            result = worker_run(corpus, Path(args.cache), Path(args.out), args.settings)
        elif args.worker == "precision":
            result = worker_precision(corpus, json.loads(args.settings)["precision"], Path(args.out))
        elif args.worker == "agreement":
            result = worker_agreement(corpus, Path(args.cache), args.n)
        else:
            result = worker_dask(corpus, args.n)
        print(json.dumps(result, default=float))
        return

    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else None
    results: dict[str, Any] = {
        "data": "shared/data/fft_feedback/fft_feedback_v6framework.csv (non-empty comments) + perturbed copies",
        "perturbation": PERTURBATION,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "cpu": cpu_model(), "numerics": numerics_mode()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "runs": dict((previous or {}).get("runs", {})),
    }
    for key in ("precisions", "agreement", "dask", "imports"):
        if previous and key in previous:
            results[key] = previous[key]
    settings = json.dumps({"precision": args.precision})

    def save() -> None:
        # After every step: a long run that is stopped keeps what it measured.
        table = markdown(results, previous)
        results["markdown"] = table
        results["previous_when"] = (previous or {}).get("when")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, default=float) + "\n", encoding="utf-8")
        MARKDOWN.write_text("# Theme engine at scale\n\n" + table, encoding="utf-8")

    work = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        corpora: dict[int, Path] = {}

        def corpus_of(size: int) -> Path:
            if size not in corpora:
                corpora[size] = work / f"corpus_{size}.parquet"
                build_corpus(size).to_parquet(corpora[size], index=False)
            return corpora[size]

        if args.imports:
            results["imports"] = import_times()
            save()
        if args.precisions:
            import numpy as np

            prec: dict[str, Any] = {}
            vectors = {}
            for name in args.precisions:
                print(f"precision {name} ...", file=sys.stderr, flush=True)
                out = work / f"prec_{name}"
                prec[name] = _run(["--worker", "precision", "--corpus", str(corpus_of(REAL_SIZE)),
                                   "--out", str(out), "--settings", json.dumps({"precision": name})])
                vectors[name] = np.load(out / "vectors.npy")
            if "fp32" in vectors:
                for name, v in vectors.items():
                    cos = (v * vectors["fp32"]).sum(axis=1)
                    prec[name].update({"cosine_mean": float(cos.mean()), "cosine_p1": float(np.percentile(cos, 1)),
                                       "cosine_min": float(cos.min())})
            results["precisions"] = prec
            save()
        if args.dask:
            print(f"dask with {args.dask} texts ...", file=sys.stderr, flush=True)
            results["dask"] = _run(["--worker", "dask", "--corpus", str(corpus_of(max(args.dask * 2, 30000))),
                                    "--n", str(args.dask)])
            save()
        if args.agreement:
            print(f"agreement at {args.agreement} ...", file=sys.stderr, flush=True)
            results["agreement"] = _run(["--worker", "agreement", "--corpus", str(corpus_of(args.agreement)),
                                         "--cache", str(work / f"cache_{args.agreement}"),
                                         "--n", str(args.agreement // 3)])
            save()
        for size in args.sizes:
            cache = work / f"cache_{size}"
            for mode in ("cold",) if args.no_warm else ("cold", "warm"):
                print(f"size {size}, {mode} ...", file=sys.stderr, flush=True)
                run = _run(["--worker", "run", "--corpus", str(corpus_of(size)), "--cache", str(cache),
                            "--out", str(work / f"out_{size}_{mode}"), "--settings", settings])
                results["runs"][f"{size}:{mode}"] = run
                save()
                print(f"  {run['wall_seconds']:.0f} s, peak {run['peak_rss_mb']:.0f} MB, "
                      f"NMI {run['quality']['nmi']:.3f}", file=sys.stderr, flush=True)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    save()
    print(results["markdown"])
    print(f"saved {RESULTS.relative_to(ROOT)} and {MARKDOWN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
