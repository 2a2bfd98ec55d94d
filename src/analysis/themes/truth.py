"""Scoring themes against the synthetic example's planted ground truth (notebook 02, section "How good").

Only the example has a ground truth; a real cycle skips all of this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.core import vocab


# --------------------------------------------------------------------------- ground truth (example)
def ground_truth_labels(themed: pd.DataFrame, respondents: pd.DataFrame, truth: pd.DataFrame,
                        file_of_input: dict[str, str]) -> pd.Series:
    """The planted theme of each comment, where a generator's ground truth is available.

    Joins comments to the ground truth through the respondent's source file and row
    (``respondents.source_file`` is the config input name; ``truth.file`` the file name).

    Parameters
    ----------
    themed
        Comments with ``respondent_id`` and ``question_id``.
    respondents
        ``respondents.parquet``: ``respondent_id, source_file, source_row``.
    truth
        ``ground_truth_themes.csv``: ``file, row, question_id, theme_id`` (and ``row_status``).
    file_of_input
        Config input name -> file name (``{f.name: Path(f.path).name for f in config.inputs}``).

    Returns
    -------
    pd.Series
        Planted theme id (Int64; NA where the comment has no ground truth), same index as ``themed``.
    """
    if "row_status" in truth.columns:
        truth = truth[truth["row_status"] == "kept"]
    where = respondents.loc[:, ["respondent_id", "source_file", "source_row"]].copy()
    where["file"] = where["source_file"].map(file_of_input)
    keyed = truth.loc[:, ["file", "row", "question_id", "theme_id"]].drop_duplicates(["file", "row", "question_id"])
    joined = (themed.loc[:, ["respondent_id", "question_id"]].reset_index()
              .merge(where, on="respondent_id", how="left")
              .merge(keyed, left_on=["file", "source_row", "question_id"], right_on=["file", "row", "question_id"],
                     how="left"))
    return pd.Series(joined["theme_id"].astype("Int64").to_numpy(), index=themed.index, name="true_theme_id")


def codebook_recovery(themed: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Per planted theme: how many of its substantive comments the pipeline put under the same id.

    Returns
    -------
    pd.DataFrame
        ``true_theme_id, n`` (substantive comments with that planted theme), ``recovered``
        (placed in the theme with the same id), ``recall``, and ``precision`` (share of the
        comments the pipeline gave that id that carry it in the ground truth).
    """
    frame = pd.DataFrame({"truth": truth.astype("Int64"), "theme": themed["theme_id"].astype("int64")})
    frame = frame[frame["truth"].notna() & (frame["truth"] > 0) & (frame["theme"] != vocab.NON_ANSWER_THEME_ID)]
    rows = []
    for tid, group in frame.groupby("truth"):
        given = frame[frame["theme"] == int(tid)]
        hit = int((group["theme"] == int(tid)).sum())
        rows.append({"true_theme_id": int(tid), "n": len(group), "recovered": hit,
                     "recall": hit / len(group) if len(group) else np.nan,
                     "precision": float((given["truth"] == int(tid)).mean()) if len(given) else np.nan})
    return pd.DataFrame(rows, columns=["true_theme_id", "n", "recovered", "recall", "precision"])


def quality_sentences(quality: dict[str, Any]) -> list[str]:
    """Plain-English bullet points for the quality figures recorded by notebook 02.

    Parameters
    ----------
    quality
        ``outlier_share, diversity, coherence_npmi`` (from
        :func:`analysis.themes.quality.quality_summary`), optionally ``stability``
        (``second_seed, ari, nmi``) and ``ground_truth`` (``nmi, ari, n, codebook_recall,
        non_answer_agreement``).
    """
    q = quality
    lines = [
        f"- **Unassigned (outliers):** {100 * q['outlier_share']:.0f}% of modelled answers could not be placed "
        "in a theme.",
        f"- **Diversity:** {q['diversity']:.2f} (share of distinct words among the themes' top ten; "
        "1 = no overlap between themes).",
        f"- **Coherence (NPMI):** {q['coherence_npmi']:.2f} (from -1, key words never used in the same answer, "
        "through 0, independent, to 1, always together).",
    ]
    if "stability" in q:
        s = q["stability"]
        lines.append(f"- **Stability:** refitting with seed {s['second_seed']} gives an adjusted Rand index of "
                     f"{s['ari']:.2f} and an NMI of {s['nmi']:.2f} against this fit (1 = identical themes).")
    if "ground_truth" in q:
        g = q["ground_truth"]
        lines.append(f"- **Against the example's planted themes:** NMI {g['nmi']:.2f}, ARI {g['ari']:.2f} over "
                     f"{g['n']} answers; {100 * g['codebook_recall']:.0f}% of answers were placed under their "
                     f"planted codebook theme, and "
                     f"non-answers were recognised in {100 * g['non_answer_agreement']:.0f}% of cases.")
    return lines


def ground_truth_scores(themed: pd.DataFrame, truth: pd.Series) -> tuple[dict[str, Any], pd.DataFrame]:
    """Agreement of the reviewed themes with planted (ground-truth) themes.

    Parameters
    ----------
    themed
        Comments with ``theme_id`` after review.
    truth
        Planted theme per comment (:func:`ground_truth_labels`; -2 = planted non-answer).

    Returns
    -------
    (scores, recovery)
        ``scores``: ``nmi, ari, n`` over comments that are substantive in both (from
        :func:`analysis.themes.quality.agreement`), ``non_answer_agreement`` (share of comments
        with ground truth whose non-answer status matches) and ``codebook_recall`` (share of
        planted-theme comments placed under the same id); ``recovery``: :func:`codebook_recovery`.
    """
    from analysis.themes.quality import agreement

    known = truth.notna()
    scored = known & (truth != vocab.NON_ANSWER_THEME_ID) & (themed["theme_id"] != vocab.NON_ANSWER_THEME_ID)
    scores: dict[str, Any] = dict(agreement(themed.loc[scored, "theme_id"], truth[scored].astype(str)))
    same = (themed["theme_id"] == vocab.NON_ANSWER_THEME_ID) == (truth == vocab.NON_ANSWER_THEME_ID)
    scores["non_answer_agreement"] = float(same[known].mean()) if known.any() else float("nan")
    recovery = codebook_recovery(themed, truth)
    total = recovery["n"].sum()
    scores["codebook_recall"] = float(recovery["recovered"].sum() / total) if total else float("nan")
    return scores, recovery
