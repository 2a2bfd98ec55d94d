"""Benchmark de-identification on a labelled set of realistic NHS-feedback sentences.

Not a test. Run from the repository root::

    .venv/bin/python bench/bench_deidentify.py

Data: ``bench/data/deidentify_cases.csv`` (written by
``bench/data/make_deidentify_cases.py``): sentences with identifiers, each with
its expected spans, and benign look-alikes (ward and bay numbers, "111",
dates that are not dates of birth, prices, times, doses, boroughs, hospitals,
services) that must survive unchanged.

Scores, for the rules alone and for rules + the name model:

- **recall** per identifier type: the share of expected spans that no longer
  appear in the output (as a whole word), whatever the placeholder; and the
  share replaced by the right placeholder type ("labelled");
- **structured recall**: every type but NAME together (target >= 95%);
- **names recall** (target >= 85%);
- **benign changed**: the share of benign sentences changed at all (target <= 3%).

Each figure is given over all sentences and over the ``held-out`` batch alone
(written after the rules were frozen; see the generator's docstring).

Speed: the time to de-identify 3,000 comments (the size of the example cycle):
real FFT comments from ../shared when present, else the cases repeated, in a
fresh process (imports and model load included, "cold") and again in the same
process ("warm"). Prints a table and writes ``bench/results/bench_deidentify.json``.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "bench" / "data" / "deidentify_cases.csv"
RESULTS = ROOT / "bench" / "results" / "bench_deidentify.json"
FFT_CSV = ROOT.parent / "shared" / "data" / "fft_feedback" / "fft_feedback_v6framework.csv"
N_SPEED = 3000
TARGETS = {"structured": 0.95, "names": 0.85, "benign_changed": 0.03}

_SPEED_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from analysis.present.deidentify import redact_series
texts = pd.Series(json.load(open(sys.argv[1], encoding="utf-8")), dtype="str")
t1 = time.perf_counter()
redact_series(texts)
t2 = time.perf_counter()
redact_series(texts)
t3 = time.perf_counter()
redact_series(texts, model=False)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "cold_s": t2 - t1, "warm_s": t3 - t2, "rules_only_s": t4 - t3}))
"""


def _survives(span: str, output: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(span)}(?!\w)", output) is not None


def score(cases: pd.DataFrame, outputs: list[str]) -> dict[str, object]:
    """Recall per type, names and structured recall, and the benign change rate."""
    found: dict[str, list[int]] = {}
    labelled: dict[str, list[int]] = {}
    misses: list[dict[str, str]] = []
    false_positives: list[dict[str, str]] = []
    for row, output in zip(cases.itertuples(), outputs, strict=True):
        if row.kind == "benign":
            if output != row.text:
                false_positives.append({"text": row.text, "output": output})
            continue
        for ident in json.loads(row.identifiers):
            kind, span = ident["type"], ident["text"]
            removed = not _survives(span, output)
            found.setdefault(kind, []).append(int(removed))
            labelled.setdefault(kind, []).append(int(removed and f"[{kind}]" in output))
            if not removed:
                misses.append({"type": kind, "span": span, "text": row.text, "output": output})
    per_type = {
        kind: {"n": len(v), "recall": sum(v) / len(v), "labelled": sum(labelled[kind]) / len(v)}
        for kind, v in sorted(found.items())
    }
    structured = [x for kind, v in found.items() if kind != "NAME" for x in v]
    n_benign = int((cases["kind"] == "benign").sum())
    return {
        "per_type": per_type,
        "structured_recall": sum(structured) / len(structured),
        "names_recall": sum(found.get("NAME", [0])) / max(1, len(found.get("NAME", []))),
        "benign_changed": len(false_positives) / n_benign,
        "n_benign": n_benign,
        "misses": misses,
        "false_positives": false_positives,
    }


def _speed_texts() -> tuple[list[str], str]:
    if FFT_CSV.is_file():
        comments = pd.read_csv(FFT_CSV, usecols=["FFT answer"])["FFT answer"].dropna().astype(str)
        return comments.head(N_SPEED).tolist(), f"first {N_SPEED} real FFT comments (../shared)"
    cases = pd.read_csv(CASES, dtype="str")["text"].tolist()
    return (cases * (N_SPEED // len(cases) + 1))[:N_SPEED], f"{N_SPEED} benchmark sentences (cases repeated)"


def main() -> int:
    from analysis.present.deidentify import MODEL_FILES_SHA256, MODEL_PACKAGE, MODEL_VERSION, redact_text

    cases = pd.read_csv(CASES, dtype="str", keep_default_na=False)
    results: dict[str, object] = {}
    held_out = (cases["batch"] == "held-out").to_numpy()
    for label, use_model in (("rules only", False), ("rules + name model", True)):
        outputs = [redact_text(text, model=use_model)[0] for text in cases["text"]]
        results[label] = score(cases, outputs)
        results[f"{label}, held-out only"] = score(cases[held_out], [o for o, h in zip(outputs, held_out, strict=True) if h])

    texts, source = _speed_texts()
    tmp = ROOT / "bench" / "results" / ".speed_texts.json"
    tmp.write_text(json.dumps(texts), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-c", _SPEED_SCRIPT, str(tmp)], capture_output=True, text=True,
                              check=True, cwd=ROOT, timeout=600)
    finally:
        tmp.unlink(missing_ok=True)
    speed = json.loads(done.stdout.strip().splitlines()[-1])
    speed.update({"n_comments": len(texts), "source": source})

    n_cases = len(cases)
    print(f"De-identification benchmark: {n_cases} sentences ({results['rules only']['n_benign']} benign)\n")
    types = list(results["rules + name model"]["per_type"])
    print(f"| {'type':<16} | {'n':>3} | {'rules only':>10} | {'rules + model':>13} | {'right label':>11} |")
    print(f"|{'-' * 18}|{'-' * 5}|{'-' * 12}|{'-' * 15}|{'-' * 13}|")
    for kind in types:
        a = results["rules only"]["per_type"][kind]
        b = results["rules + name model"]["per_type"][kind]
        print(f"| {kind:<16} | {b['n']:>3} | {a['recall']:>10.1%} | {b['recall']:>13.1%} | {b['labelled']:>11.1%} |")
    for name, key in (("structured", "structured_recall"), ("names", "names_recall"),
                      ("benign changed", "benign_changed")):
        a, b = results["rules only"][key], results["rules + name model"][key]
        target = TARGETS["benign_changed" if key == "benign_changed" else name]
        sign = "<=" if key == "benign_changed" else ">="
        print(f"| {name:<16} |     | {a:>10.1%} | {b:>13.1%} | {sign} {target:.0%} {'ok' if (b <= target if sign == '<=' else b >= target) else 'MISSED':>6} |")
    held = results["rules + name model, held-out only"]
    print(f"\nHeld-out sentences only ({int(held_out.sum())}, written after the rules were frozen), rules + model: "
          f"structured {held['structured_recall']:.1%}, names {held['names_recall']:.1%}, "
          f"benign changed {held['benign_changed']:.1%} of {held['n_benign']}")
    print(f"\nSpeed ({speed['source']}): cold {speed['cold_s']:.1f} s (model load included; imports "
          f"{speed['import_s']:.1f} s), warm {speed['warm_s']:.1f} s, rules only {speed['rules_only_s']:.1f} s")
    final = results["rules + name model"]
    for miss in final["misses"]:
        print(f"  missed {miss['type']}: {miss['span']!r} in {miss['output']!r}")
    for fp in final["false_positives"]:
        print(f"  changed benign: {fp['output']!r}")

    payload = {
        "cases": str(CASES.relative_to(ROOT)),
        "n_cases": n_cases,
        "model": {"package": MODEL_PACKAGE, "version": MODEL_VERSION, "files_sha256": MODEL_FILES_SHA256},
        "targets": TARGETS,
        "results": results,
        "speed": speed,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
