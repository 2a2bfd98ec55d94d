"""Change over time, step 6: writing the results, sentences and headline metrics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.change.verdicts import methods_text
from analysis.present.exports import write_csv

if TYPE_CHECKING:
    from analysis.change.over_time import ChangeAnalysis


# --------------------------------------------------------------------------- output
def write_outputs(analysis: ChangeAnalysis, sentences: pd.DataFrame, out_dir: str | Path, *,
                  stem: str = "results", sentences_name: str = "sentences.md",
                  title: str = "Change over time") -> dict[str, Path]:
    """Write the results table (CSV + Parquet) and the sentences (Markdown).

    Returns
    -------
    dict
        ``{"csv": ..., "parquet": ..., "sentences": ...}`` paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": out / f"{stem}.csv", "parquet": out / f"{stem}.parquet", "sentences": out / sentences_name}
    write_csv(analysis.results, written["csv"], index=False)
    analysis.results.to_parquet(written["parquet"], index=False)
    lines = [f"# {title}", ""]
    lines += [f"- {note}" for note in analysis.notes]
    lines += [f"- {methods_text(analysis.results)}", ""]
    for item, sub in sentences.groupby("item", sort=False):
        lines += [f"## {item}", ""] + [f"- {s}" for s in sub["sentence"]] + [""]
    written["sentences"].write_text("\n".join(lines), encoding="utf-8")
    return written
