"""Pieces every benchmark needs: the shared FFT comments with their human codes, and the CPU's name.

Nothing heavy at import: the benchmarks choose the arithmetic (:mod:`analysis.core.numerics`)
before numpy loads and time their own imports, so pandas is imported inside the functions.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

#: Columns of the shared FFT file (``../shared/data/fft_feedback/``).
TEXT, QUESTION = "FFT answer", "FFT question"
#: The first and last one-hot human-code columns, inclusive, in file order.
FIRST_CODE, LAST_CODE = "Not assigned", "Positive experience & gratitude"


def fft_comments() -> tuple[Any, Any]:
    """The non-empty FFT comments (all columns as text) and each one's dominant human code (its rarest)."""
    import pandas as pd

    from analysis.core import paths
    from analysis.themes.quality import dominant_code

    csv = paths.SHARED_DIR / "data" / "fft_feedback" / "fft_feedback_v6framework.csv"
    if not csv.is_file():
        raise SystemExit(f"shared data not found: {csv} (the benchmarks need ../shared)")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame = frame[frame[TEXT].str.strip() != ""].reset_index(drop=True)
    cols = list(frame.columns)
    return frame, dominant_code(frame[cols[cols.index(FIRST_CODE): cols.index(LAST_CODE) + 1]])


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    return next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                "unknown")
