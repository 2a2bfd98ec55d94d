"""The cycle benchmark behind ``make bench``: what an evaluator waits for, per stage, cold and warm.

Not a test. Run from the repository root::

    .venv/bin/python bench/bench_cycle.py                 # cycle cold + warm, encoder table
    .venv/bin/python bench/bench_cycle.py --tests         # ... and time the whole test suite (minutes)
    .venv/bin/python bench/bench_cycle.py --no-encoder    # the cycle only

In one run it measures:

- **The example cycle, cold, warm, after one edit, and re-executed.** Cold: a fresh copy of the
  repository's example inputs (``data/raw/example``) and theme book in a temporary folder, with empty
  processed, reports, interim and review folders there, run as a user runs it: ``python -m analysis run``
  on ``config/example-2024.yaml`` then ``config/example.yaml`` (what ``make report`` does on a fresh
  clone), each rewritten only to read the copy and write to the temporary folder. Warm: the same two
  commands again with nothing changed (every step's results reused, :mod:`analysis.report.reuse`).
  Book edited: one theme renamed in the copied theme book, then the example again (what a reviewer's
  decision costs). Rerun all: the example with ``--rerun-all`` (every notebook executed, every
  embedding cached). Per stage: each notebook and the HTML export (from the run's ``manifest.json``,
  marked ``r`` when reused), and ``start-up`` = the rest of the command's wall time (Python start,
  imports, config checks, fingerprints, publishing). The runner's progress goes to the terminal.
- **The encoder table** on the real FFT comments (``../shared``): comments/s at fp32 and bf16 (fresh
  processes through ``bench/bench_scale.py``'s precision worker: no cache, then a full theme fit),
  cosine to fp32, themes identical to fp32 (every comment's theme the same) or not, and the ratio to
  the compute bound: the comments/s the CPU could reach at its measured matrix-multiply peak given
  each comment's floating-point operations (its padded length through the 6 transformer layers).
  ONNX Runtime and OpenVINO run the same exported graph with the same fixed-shape batches when
  their packages are importable (``make bench`` installs them into ``.venv/bench-extras``, outside
  the lock, for benchmarking only); otherwise their rows say why they are missing.
- **The test suite** (``--tests``): ``python -m pytest`` as ``make test`` runs it, wall time and summary.

Writes ``bench/results/bench-<date>.json`` beside the previous runs' files and prints each figure
next to the previous run's. Other work on the machine slows every figure: the load average at the
start and end is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# First, before numpy or torch load: the same arithmetic as `make report` (analysis.core.numerics).
from analysis.core.numerics import apply_portable_numerics  # noqa: I001

NUMERICS = apply_portable_numerics()  # "portable" only when INVOLVEMENT_NUMERICS=portable, as for `make report`

from common import cpu_model  # noqa: E402 - bench/common.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS_DIR = BENCH / "results"
EXTRAS = ROOT / ".venv" / "bench-extras"
CYCLES = ("example-2024", "example")  # in the order `make report` builds them
RUNTIMES = ("onnxruntime", "openvino")
BATCH = 64


# --------------------------------------------------------------------------- the cycle, cold and warm
def prepare_workspace(work: Path) -> dict[str, Path]:
    """Copy the example inputs to ``work`` and write each example config pointed at the copy.

    Returns
    -------
    dict
        cycle -> rewritten config path.
    """
    import yaml

    raw = ROOT / "data" / "raw" / "example"
    shutil.copytree(raw, work / "raw" / "example")
    configs = {}
    for cycle in CYCLES:
        data = yaml.safe_load((ROOT / "config" / f"{cycle}.yaml").read_text(encoding="utf-8"))
        for item in data["inputs"]:
            path = (ROOT / item["path"]).resolve()
            item["path"] = str(work / "raw" / "example" / path.relative_to(raw)) if path.is_relative_to(raw) \
                else str(path)
        # Everything a run writes goes to the temporary folder; what it only reads (codebook, theme book)
        # resolves from the repository root as before.
        data["outputs"] = {"processed_dir": str(work / "processed"), "reports_dir": str(work / "reports"),
                           "interim_dir": str(work / "interim")}
        data.setdefault("themes", {})["review_dir"] = str(work / "review")
        # A copy of the theme book (and its centroids beside it), so the "book edited" run can edit it.
        book = ROOT / data["themes"]["book"]
        copy = work / "config" / "themes" / book.name
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(book, copy)
            centroids = book.with_name(book.name.removesuffix(".yaml") + ".centroids.csv")
            shutil.copy2(centroids, copy.parent / centroids.name)
        data["themes"]["book"] = str(copy)
        configs[cycle] = work / "config" / f"{cycle}.yaml"
        configs[cycle].parent.mkdir(parents=True, exist_ok=True)
        configs[cycle].write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return configs


def run_cycle_timed(config: Path, report_dir: Path, *options: str) -> dict[str, Any]:
    """``python -m analysis run CONFIG [options]`` in a fresh process; wall time and the manifest's stages."""
    print(f"\n$ python -m analysis run {config} {' '.join(options)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "analysis", "run", str(config), *options], cwd=ROOT, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the run of {config.name} failed (exit {done.returncode}); see the messages above")
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    stages = {s["name"]: float(s["seconds"]) for s in manifest.get("stages", [])}
    if not stages:  # a runner without stage timings: notebooks only
        stages = {n["name"]: float(n["seconds"]) for n in manifest.get("notebooks", [])}
    stages["start-up"] = max(0.0, wall - sum(stages.values()))
    reused = [n["name"] for n in manifest.get("notebooks", []) if n.get("reused")]
    return {"wall_seconds": wall, "stages": stages, "reused": reused}


#: The runs of the cycle benchmark, in order: (mode, cycles, extra options of `analysis run`).
MODES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("cold", CYCLES, ()),
    ("warm", CYCLES, ()),
    ("book edited", ("example",), ()),
    ("rerun all", ("example",), ("--rerun-all",)),
)


def _edit_book(config: Path) -> None:
    """A reviewer's rename in the workspace's theme book (what "book edited" measures)."""
    import yaml

    book = Path(yaml.safe_load(config.read_text(encoding="utf-8"))["themes"]["book"])
    text = book.read_text(encoding="utf-8")
    edited = text.replace("name: Being listened to\n", "name: Being listened to and heard\n", 1)
    if edited == text:
        raise SystemExit(f"bench: no theme named 'Being listened to' to rename in {book}")
    book.write_text(edited, encoding="utf-8")


def bench_cycle() -> dict[str, Any]:
    """Both example cycles cold, then warm (nothing changed), then the example after a theme-book edit
    and with ``--rerun-all`` (every notebook executed, every embedding cached), in a temporary copy."""
    out: dict[str, Any] = {mode: {} for mode, _, _ in MODES}
    with tempfile.TemporaryDirectory(prefix="bench_cycle_") as tmp:
        work = Path(tmp)
        configs = prepare_workspace(work)
        for mode, cycles, options in MODES:
            if mode == "book edited":
                _edit_book(configs["example"])
            for cycle in cycles:
                out[mode][cycle] = run_cycle_timed(configs[cycle], work / "reports" / cycle, *options)
    return out


# --------------------------------------------------------------------------- encoders
def _prepared_texts(corpus: Path) -> list[str]:
    """The texts bench_scale's precision worker embeds (non-answers left out), in its order."""
    import pandas as pd

    from analysis.themes.model import prepare_comments

    prepared = prepare_comments(pd.read_parquet(corpus), text_column="text", question_column="question",
                                min_words=3)
    return prepared.loc[~prepared["is_non_answer"].to_numpy(), "model_text"].astype(str).tolist()


class _GraphEncoder:
    """Stands in for the SentenceTransformer in :func:`encode_fixed_shape`: same tokenizer, another runtime."""

    def __init__(self, encoder: Any, run: Any) -> None:
        self.tokenizer, self.max_seq_length, self.device = encoder.tokenizer, encoder.max_seq_length, "cpu"
        self._run = run

    def __call__(self, features: dict) -> dict:
        import torch

        feeds = {k: v.numpy() for k, v in features.items()}
        hidden = torch.from_numpy(self._run(feeds))
        mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        # all-MiniLM-L6-v2's pooling: the mean of the token vectors under the attention mask.
        return {"sentence_embedding": (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)}


def _export_onnx(encoder: Any, path: Path) -> None:
    import torch

    class Graph(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = encoder.tokenizer(["a comment"] * 2, padding="max_length", max_length=16, return_tensors="pt")
    torch.onnx.export(Graph(encoder[0].auto_model).eval(), tuple(sample[n] for n in names), str(path),
                      input_names=names, output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]})


def worker_runtime(corpus: Path, runtime: str, out: Path) -> dict[str, Any]:
    """Embed the real comments with the packaged model exported to ONNX, run by ``runtime``."""
    import numpy as np

    from analysis.themes.embeddings import embed_texts, encode_fixed_shape, load_model

    sys.path.append(str(EXTRAS))
    loaded = load_model(precision="fp32")
    encoder = loaded.model
    out.mkdir(parents=True, exist_ok=True)
    graph = out / "model.onnx"
    _export_onnx(encoder, graph)
    if runtime == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
        session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        version = ort.__version__

        def run(feeds: dict) -> Any:
            return session.run(["last_hidden_state"], feeds)[0]
    else:
        import openvino as ov

        compiled = ov.Core().compile_model(str(graph), "CPU", {"INFERENCE_NUM_THREADS": 2,
                                                               "INFERENCE_PRECISION_HINT": "f32"})
        version = ov.__version__

        def run(feeds: dict) -> Any:
            return compiled(feeds)[0]

    graph_encoder = _GraphEncoder(encoder, run)

    def encode(batch: list[str]) -> np.ndarray:
        vectors = encode_fixed_shape(graph_encoder, batch, batch_size=BATCH)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    texts = _prepared_texts(corpus)
    encode(texts[:BATCH])  # first call: graph optimisation and allocation, not the steady rate
    start = time.perf_counter()
    # Cached like the project's own embeddings, so the theme fit that follows (bench_scale's run worker)
    # takes these vectors instead of embedding again: "themes identical" compares fits, not encoders.
    vectors, stats = embed_texts(texts, model=loaded, encode=encode, cache_dir=out / "cache")
    seconds = time.perf_counter() - start
    np.save(out / "vectors.npy", vectors)
    return {"runtime": runtime, "version": version, "seconds": seconds, "n_embedded": stats.n_embedded,
            "texts_per_second": stats.n_embedded / seconds}


def worker_bound(corpus: Path) -> dict[str, Any]:
    """The CPU's measured matrix-multiply peak (2 threads, as the encoder runs) and the work per comment.

    The peak is the best of OpenBLAS (numpy, started without this machine's OPENBLAS_CORETYPE pin, see
    :func:`_self`) and torch's GEMM for fp32, torch's for bf16, on 4096 x 4096 products.
    """
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from analysis.themes.embeddings import bucket_length, load_model

    torch.set_num_threads(2)

    def best_rate(product: Any, n: int) -> float:
        product()
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            product()
            best = min(best, time.perf_counter() - t)
        return 2 * n**3 / best

    n = 4096
    a32 = np.random.default_rng(0).random((n, n), dtype=np.float32)
    t32, t16 = torch.from_numpy(a32), torch.from_numpy(a32).to(torch.bfloat16)
    with threadpool_limits(2):
        gemm = {"numpy fp32": best_rate(lambda: a32 @ a32, n), "torch fp32": best_rate(lambda: torch.mm(t32, t32), n),
                "torch bf16": best_rate(lambda: torch.mm(t16, t16), n)}
        kernels = sorted({f"{i['internal_api']} {i.get('architecture') or ''}".strip() for i in threadpool_info()})
    peak = {"fp32": max(gemm["numpy fp32"], gemm["torch fp32"]), "bf16": gemm["torch bf16"]}
    encoder = load_model(precision="fp32").model
    layers = encoder[0].auto_model.encoder
    linear = sum(m.weight.numel() for m in layers.modules() if isinstance(m, torch.nn.Linear))
    width, depth = encoder.get_sentence_embedding_dimension(), len(layers.layer)
    texts = list(dict.fromkeys(_prepared_texts(corpus)))
    max_length = int(encoder.max_seq_length)
    counts = [len(ids) for ids in encoder.tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    padded = np.array([bucket_length(n, max_length) for n in counts], dtype=np.float64)
    # Each padded token through every linear layer (2 operations per weight), plus attention's two
    # L x L x width products per layer. Filler rows of the last batches are not counted (waste, not work).
    flops = padded * 2 * linear + depth * 4 * padded**2 * width
    per_comment = float(flops.mean())
    return {"peak_flops_per_second": peak, "gemm_flops_per_second": gemm, "blas": kernels,
            "flops_per_comment": per_comment, "n_unique_texts": len(texts),
            "mean_padded_tokens": float(padded.mean()), "mean_tokens": float(np.mean(counts)),
            "bound_comments_per_second": {k: v / per_comment for k, v in peak.items()}}


def _self(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run this script as a worker in a fresh process; its JSON answer."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False,
                          env=env)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_encoders(precisions: list[str]) -> dict[str, Any]:
    """The encoder table: precisions through bench_scale's worker, runtimes through ours, and the bound."""
    import numpy as np

    sys.path.insert(0, str(BENCH))
    import bench_scale

    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_enc_") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.parquet"
        try:
            bench_scale.build_corpus(bench_scale.REAL_SIZE).to_parquet(corpus, index=False)
        except SystemExit as exc:  # no ../shared: say so in the table rather than lose the cycle figures
            return {"rows": {}, "bound": {}, "error": str(exc)}
        print("compute bound ...", file=sys.stderr, flush=True)
        # OpenBLAS pinned to an older kernel (set on some machines, see the env notes) would understate the peak.
        unpinned = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        bound = _self(["--worker", "bound", "--corpus", str(corpus)], env=unpinned)
        vectors, topics = {}, {}
        for name in precisions:
            print(f"encoder {name} (embed, then fit themes) ...", file=sys.stderr, flush=True)
            out = work / name
            try:
                run = bench_scale._run(["--worker", "precision", "--corpus", str(corpus), "--out", str(out),
                                        "--settings", json.dumps({"precision": name})])
            except SystemExit as exc:
                rows[name] = {"error": str(exc).strip().splitlines()[-1]}
                continue
            vectors[name], topics[name] = np.load(out / "vectors.npy"), np.load(out / "topics.npy")
            rows[name] = {"texts_per_second": run["embedding"]["texts_per_second"],
                          "n_embedded": run["embedding"]["n_embedded"], "n_themes": run["quality"]["n_themes"],
                          "nmi": run["quality"]["nmi"]}
        for runtime in RUNTIMES:
            name = f"{runtime} fp32"
            if not _importable(runtime):
                rows[name] = {"error": f"{runtime} is not installed (make bench installs it into {EXTRAS.name})"}
                continue
            print(f"encoder {name} ...", file=sys.stderr, flush=True)
            out = work / runtime
            rows[name] = _self(["--worker", "runtime", "--runtime", runtime, "--corpus", str(corpus),
                                "--out", str(out)])
            if "error" not in rows[name]:
                vectors[name] = np.load(out / "vectors.npy")
                print(f"encoder {name}: fit themes on its vectors ...", file=sys.stderr, flush=True)
                try:
                    bench_scale._run(["--worker", "run", "--corpus", str(corpus), "--cache", str(out / "cache"),
                                      "--out", str(out / "fit"), "--settings", json.dumps({"fit_sample_size": None})])
                    topics[name] = np.load(out / "fit" / "topics.npy")
                except SystemExit as exc:
                    rows[name]["themes_error"] = str(exc).strip().splitlines()[-1]
    reference = vectors.get("fp32")
    for name, row in rows.items():
        if reference is not None and name in vectors:
            cos = (vectors[name] * reference).sum(axis=1)
            row.update({"cosine_mean": float(cos.mean()), "cosine_min": float(cos.min())})
        if "fp32" in topics and name in topics:
            row["themes_identical"] = bool(np.array_equal(topics[name], topics["fp32"]))
        rate = row.get("texts_per_second")
        limit = bound.get("bound_comments_per_second", {}).get("bf16" if "bf16" in name else "fp32")
        if rate and limit:
            row["ratio_to_bound"] = rate / limit
    return {"rows": rows, "bound": bound}


def _importable(module: str) -> bool:
    code = f"import sys; sys.path.append({str(EXTRAS)!r}); import {module}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0


# --------------------------------------------------------------------------- the test suite
def bench_tests() -> dict[str, Any]:
    """``python -m pytest`` as ``make test`` runs it: wall time, exit code and pytest's closing line."""
    print("\n$ python -m pytest (the whole suite)", file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    return {"seconds": time.perf_counter() - start, "exit_code": done.returncode,
            "summary": lines[-1].strip("= ") if lines else ""}


# --------------------------------------------------------------------------- results
SECTIONS = ("cycle", "totals", "encoders", "tests")


def previous_results(results_dir: Path = RESULTS_DIR) -> tuple[Path | None, dict | None]:
    """The previous figures: each section from the newest earlier ``bench-*.json`` that has it.

    A run may leave sections out (``--no-encoder``, no ``--tests``), so each section is compared
    with the last run that measured it; ``sections_when`` says which run that was.

    Returns
    -------
    (path of the newest earlier file, merged figures) or (None, None).
    """
    found = []
    for path in results_dir.glob("bench-*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        found.append((str(data.get("when", "")), path.name, path, data))
    if not found:
        return None, None
    found.sort(key=lambda item: item[:2], reverse=True)
    merged: dict[str, Any] = {"when": found[0][0], "sections_when": {}}
    for when, _, _, data in found:
        for key in SECTIONS:
            if key in data and key not in merged:
                merged[key] = data[key]
                merged["sections_when"][key] = when
    return found[0][2], merged


def results_path(when: str, results_dir: Path = RESULTS_DIR) -> Path:
    """``bench-<date>.json``; a second run on the same day gets ``-2``, ``-3``, ... (earlier runs are kept)."""
    path = results_dir / f"bench-{when[:10]}.json"
    number = 2
    while path.exists():
        path = results_dir / f"bench-{when[:10]}-{number}.json"
        number += 1
    return path


def _cell(value: Any, old: Any = None, digits: int = 1) -> str:
    def fmt(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, bool):
            return "yes" if v else "no"
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    return fmt(value) + (f" ({fmt(old)})" if old is not None else "")


def _get(data: dict | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def report(results: dict, previous: dict | None) -> str:
    """Markdown tables, each figure followed by the previous run's in brackets."""
    lines = [f"Run {results['when']} on {results['machine']['cpus']} cores ({results['machine']['cpu']}), "
             f"load average {results['load_average'][0]:.1f} at the start, {results['load_average'][1]:.1f} at "
             f"the end. (x) = previous run's figure: "
             + (", ".join(f"{k} {w}" for k, w in previous.get("sections_when", {}).items()) if previous else "none")
             + "."]
    cycle = results.get("cycle")
    if cycle:
        modes = [mode for mode, _, _ in MODES]
        lines += ["", "Example cycle, seconds (fresh `python -m analysis run` per cycle; cold = empty folders; "
                      "warm = everything built, nothing changed; book edited = one theme renamed in the theme "
                      "book; rerun all = `--rerun-all`, every notebook executed with every embedding cached). "
                      "r = results reused (nothing the step depends on changed):", "",
                  "| cycle | stage | " + " | ".join(modes) + " |", "|---|---|" + "---|" * len(modes)]
        for name in CYCLES:
            stages = list(dict.fromkeys(s for mode in modes for s in (_get(cycle, mode, name, "stages") or {})))
            for stage in [*stages, "wall"]:
                cells = []
                for mode in modes:
                    keys = (mode, name, "wall_seconds") if stage == "wall" else (mode, name, "stages", stage)
                    value = _cell(_get(cycle, *keys), _get(previous, "cycle", *keys))
                    if stage in (_get(cycle, mode, name, "reused") or []):
                        value += " r"
                    cells.append(value)
                label = f"**{stage}**" if stage == "wall" else stage
                lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
        totals = results["totals"]
        old = (previous or {}).get("totals", {})
        lines += ["", f"- cold `make report` (both cycles from nothing): {_cell(totals['cold_report'], old.get('cold_report'))} s"
                      " (target under 90 s)",
                  f"- warm rerun of the example cycle: {_cell(totals['warm_example'], old.get('warm_example'))} s"
                  " (target under 15 s)",
                  f"- the example after one theme-book edit: {_cell(totals.get('book_edited'), old.get('book_edited'))} s; "
                  f"re-executing everything (`--rerun-all`, warm caches): "
                  f"{_cell(totals.get('rerun_all'), old.get('rerun_all'))} s"]
    encoders = results.get("encoders")
    if encoders:
        bound = encoders.get("bound", {})
        peak = bound.get("peak_flops_per_second", {})
        if encoders.get("error"):
            lines += ["", f"Encoder table not measured: {encoders['error']}"]
        lines += ["", f"Encoder on the real FFT comments (all-MiniLM-L6-v2, 2 threads, "
                      f"{results['machine'].get('numerics', '?')} arithmetic):", "",
                  "| encoder | comments/s | ratio to bound | cosine to fp32: mean | min | themes identical to fp32 |",
                  "|---|---|---|---|---|---|"]
        for name, row in encoders["rows"].items():
            old = _get(previous, "encoders", "rows", name) or {}
            if "error" in row:
                lines.append(f"| {name} | {row['error']} | | | | |")
                continue
            lines.append(f"| {name} | {_cell(row.get('texts_per_second'), old.get('texts_per_second'), 0)} | "
                         f"{_cell(row.get('ratio_to_bound'), old.get('ratio_to_bound'), 2)} | "
                         f"{_cell(row.get('cosine_mean'), None, 6)} | {_cell(row.get('cosine_min'), None, 6)} | "
                         f"{_cell(row.get('themes_identical'))} |")
        if peak:
            lines += ["", f"Compute bound: matrix-multiply peak {peak.get('fp32', 0) / 1e9:.0f} GFLOP/s fp32, "
                          f"{peak.get('bf16', 0) / 1e9:.0f} GFLOP/s bf16 (2 threads); "
                          f"{bound['flops_per_comment'] / 1e6:.0f} MFLOP per comment ({bound['mean_tokens']:.0f} "
                          f"tokens, padded to {bound['mean_padded_tokens']:.0f}); so at most "
                          f"{bound['bound_comments_per_second']['fp32']:.0f} comments/s fp32, "
                          f"{bound['bound_comments_per_second']['bf16']:.0f} bf16."]
    tests = results.get("tests")
    if tests:
        old = (previous or {}).get("tests") or {}
        lines += ["", f"Test suite (`python -m pytest`): {_cell(tests['seconds'], old.get('seconds'), 0)} s, "
                      f"exit {tests['exit_code']}: {tests['summary']} (target under 300 s)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", action="store_true", help="also time the whole test suite (several minutes)")
    parser.add_argument("--no-cycle", action="store_true", help="skip the example cycle runs")
    parser.add_argument("--no-encoder", action="store_true", help="skip the encoder table")
    parser.add_argument("--precisions", nargs="*", default=["fp32", "bf16"], help="encoder precisions (fp32 first)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["runtime", "bound"], help=argparse.SUPPRESS)
    parser.add_argument("--runtime", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "runtime":
        print(json.dumps(worker_runtime(Path(args.corpus), args.runtime, Path(args.out))))
        return
    if args.worker == "bound":
        print(json.dumps(worker_bound(Path(args.corpus))))
        return

    previous_path, previous = previous_results(args.results_dir)
    when = time.strftime("%Y-%m-%dT%H:%M:%S")
    results: dict[str, Any] = {
        "when": when, "previous": previous_path.name if previous_path else None,
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
                    "platform": platform.platform(), "numerics": NUMERICS},
    }
    load_start = os.getloadavg()[0]
    if not args.no_cycle:
        cycle = bench_cycle()
        results["cycle"] = cycle
        results["totals"] = {"cold_report": sum(cycle["cold"][c]["wall_seconds"] for c in CYCLES),
                             "warm_example": cycle["warm"]["example"]["wall_seconds"],
                             "book_edited": cycle["book edited"]["example"]["wall_seconds"],
                             "rerun_all": cycle["rerun all"]["example"]["wall_seconds"]}
    if not args.no_encoder:
        results["encoders"] = bench_encoders(args.precisions)
    if args.tests:
        results["tests"] = bench_tests()
    results["load_average"] = [load_start, os.getloadavg()[0]]
    text = report(results, previous)
    results["markdown"] = text
    path = results_path(when, args.results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(text)
    print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
          + (f"; previous run: {previous_path.name}" if previous_path else ""))


if __name__ == "__main__":
    main()
