"""Change over time, step 1: answers in, tidy item x group x wave cells out (respondent rows or aggregates).

Respondent-level answers are prepared here (:func:`prepare_responses`, then
:func:`count_cells`); answer scales are in :mod:`analysis.change.scales` and aggregate
tables in :mod:`analysis.change.aggregate`, both re-exported here (callers import this module).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.change.aggregate import _dispersion, _panel_rows, _two_way_logit, cells_from_aggregate
from analysis.change.contract import (
    _LEVEL_CODE,
    ALL_GROUPS,
    MISSING_GROUP,
)
from analysis.change.inputs import _numeric_waves, _require_columns
from analysis.change.scales import _DONT_KNOW, AnswerScale, _normalise, _scales_for, classify_answers
from analysis.core import vocab
from analysis.core.errors import InputFileError

__all__ = [
    "AnswerScale",
    "_DONT_KNOW",
    "_dispersion",
    "_normalise",
    "_numeric_waves",
    "_panel_rows",
    "_require_columns",
    "_scales_for",
    "_score_and_label",
    "_two_way_logit",
    "cells_from_aggregate",
    "classify_answers",
    "count_cells",
    "prepare_responses",
]


def _score_and_label(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ordinal score (1..5 where the answer is on the Likert scale) and a comparable label."""
    numeric = pd.to_numeric(values, errors="coerce")
    text = values.astype("string").str.strip()
    folded = text.str.casefold()
    from_label = folded.map(_LEVEL_CODE)
    score = numeric.astype("Float64").fillna(pd.to_numeric(from_label, errors="coerce").astype("Float64"))
    # A label for comparing with the configured positive levels: the Likert label when
    # the answer is a code 1..5, otherwise the answer's own text.
    code_label = numeric.map(lambda v: vocab.LIKERT_LEVELS[int(v) - 1].casefold()
                             if pd.notna(v) and float(v).is_integer() and 1 <= v <= 5 else pd.NA)
    label = code_label.astype("string").fillna(folded)
    return score, label


def prepare_responses(
    responses: pd.DataFrame,
    *,
    item_column: str | None = "item_id",
    item_name: str = "outcome",
    group_column: str | None = "respondent_type",
    wave_column: str = "wave",
    value_column: str = "value",
    positive_column: str | None = "positive",
    positive_levels: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    answer_scales: Mapping[str, AnswerScale | Mapping[str, Sequence[str]]] | AnswerScale | None = None,
    id_column: str | None = "person_id",
    respondent_column: str | None = "respondent_id",
    weight_column: str | None = "weight",
    missing_reason_column: str | None = "missing_reason",
    source: str | Path = "responses",
) -> pd.DataFrame:
    """Put respondent-level answers into the canonical long shape used here.

    Parameters
    ----------
    responses
        One row per respondent x item (the processed ``responses`` contract, or a
        CSV with one outcome column, one row per respondent).
    item_column
        Column of item ids; None when the table holds one outcome, named ``item_name``.
    group_column
        Comparison groups (e.g. ``respondent_type``); None pools everyone as ``"all"``.
        A blank group becomes the group ``"group not recorded"`` (counted in ``"all"``).
    wave_column
        Wave (a number, e.g. the year).
    value_column
        The answer: Likert code 1..5, a Likert label, or any category.
    positive_column
        Boolean column marking positive answers (used when ``positive_levels`` is None).
    positive_levels
        Answers counted as positive: a mapping item -> labels (the config's
        ``positive_levels()``), or one list for every item. Labels match Likert
        labels or codes ("Agree", "5"), case-insensitively. Shorthand for an
        :class:`AnswerScale` with these positive answers and the default negative and
        excluded answers.
    answer_scales
        Item -> :class:`AnswerScale` (or a mapping with ``positive``, ``negative``,
        ``excluded``, as the config's ``answer_scales()``), or one scale for every item.
        Every answer must be on its item's scale: any other value stops with an
        :class:`InputFileError` naming the item, the value and its count. When neither
        this, ``positive_levels`` nor ``positive_column`` is available, the default
        scale applies (Agree and Strongly agree positive, the other Likert levels
        negative, :data:`analysis.core.config.DEFAULT_EXCLUDED_ANSWERS` out of the base).
    id_column
        Persistent respondent id that may repeat across waves (for GEE); optional.
    respondent_column
        Id of one response; optional.
    weight_column
        Survey weights; optional, ignored when the column is absent or all missing.
    missing_reason_column
        Why an answer is missing; the reason must be one of the scale's excluded answers
        (``"Don't know"`` answers are also counted on their own).
    source
        File name used in error messages.

    Returns
    -------
    pd.DataFrame
        Columns ``item, group, wave, respondent, person, score, positive, weight,
        excluded, excluded_answer, dont_know``. ``positive`` is 1.0/0.0, missing for
        excluded rows; ``excluded_answer`` names why an answer is out of the base (the
        scale's spelling, or ``"blank"``); ``score`` is the 1..5 Likert code where the
        answer is on the scale.

    Raises
    ------
    InputFileError
        A named column is missing, a wave is not a number, an item has no scale, or an
        answer is not on its item's scale (value and count named).
    """
    optional = {name: col for name, col in (("positive", positive_column), ("id", id_column),
                                            ("respondent", respondent_column),
                                            ("weight", weight_column),
                                            ("missing reason", missing_reason_column))}
    _require_columns(responses, {"item": item_column, "group": group_column, "wave": wave_column,
                                 "outcome": value_column}, source)
    present = {k: (v if v is not None and v in responses.columns else None) for k, v in optional.items()}
    if id_column is not None and present["id"] is None and id_column != "person_id":
        _require_columns(responses, {"id": id_column}, source)
    if weight_column is not None and present["weight"] is None and weight_column != "weight":
        _require_columns(responses, {"weight": weight_column}, source)

    n = len(responses)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["item"] = (responses[item_column].astype("string").to_numpy() if item_column
                   else np.repeat(item_name, n))
    out["item"] = out["item"].astype("string")
    out["group"] = (responses[group_column].astype("string").str.strip().to_numpy() if group_column
                    else np.repeat(ALL_GROUPS, n))
    # A blank group is its own category, so those answers still count in "all" (and are said).
    out["group"] = out["group"].astype("string").replace("", pd.NA).fillna(MISSING_GROUP)
    out["wave"] = _numeric_waves(responses[wave_column].reset_index(drop=True), wave_column, source)
    out["respondent"] = (responses[present["respondent"]].astype("string").to_numpy()
                         if present["respondent"] else pd.Series(np.arange(n)).astype("string"))
    out["person"] = (responses[present["id"]].astype("string").to_numpy() if present["id"]
                     else pd.array([pd.NA] * n, dtype="string"))
    raw = responses[value_column].reset_index(drop=True)
    score, label = _score_and_label(raw)
    out["score"] = score.to_numpy(dtype=float, na_value=np.nan)

    reason = (responses[present["missing reason"]].astype("string").str.strip().reset_index(drop=True)
              if present["missing reason"] else pd.Series(pd.NA, index=out.index, dtype="string"))
    # Outside the 1..5 scale a number carries no ordinal meaning.
    out.loc[~out["score"].between(1, 5), "score"] = np.nan

    if positive_levels is None and answer_scales is None and present["positive"]:
        # The processed contract's own positive flag (the cleaning step validated the answers).
        positive = pd.array(responses[present["positive"]].reset_index(drop=True), dtype="boolean")
        excluded = raw.isna().to_numpy() | reason.notna().to_numpy() | np.asarray(pd.isna(positive))
        kind = pd.Series(np.where(reason.notna(), reason.fillna(""), np.where(excluded, "blank", "")),
                         dtype="string").replace("", pd.NA)
        positive = positive.to_numpy(dtype=float, na_value=np.nan)
    else:
        scales = _scales_for(out["item"], positive_levels, answer_scales, source, item_column)
        positive, kind = classify_answers(out["item"], raw, reason, scales, source=source, column=value_column)
        excluded = kind.notna().to_numpy()
    out["excluded"] = excluded
    out["excluded_answer"] = kind.astype("string").to_numpy()
    out["dont_know"] = kind.fillna("").map(_normalise).isin(_DONT_KNOW).to_numpy()
    out["positive"] = np.where(out["excluded"], np.nan, positive)

    if present["weight"]:
        weight = pd.to_numeric(responses[present["weight"]], errors="coerce").reset_index(drop=True)
        if weight.notna().any():
            if (weight.dropna() <= 0).any():
                raise InputFileError(source, "weights must be positive", column=present["weight"])
            # A respondent without a weight counts as a typical respondent of the wave.
            weight = weight.fillna(weight.groupby(out["wave"]).transform("median")).fillna(1.0)
            out["weight"] = weight.astype(float).to_numpy()
        else:
            out["weight"] = np.nan
    else:
        out["weight"] = np.nan
    return out


def count_cells(answers: pd.DataFrame) -> pd.DataFrame:
    """Counts per item x group x wave, plus the pooled group ``"all"``.

    Parameters
    ----------
    answers
        Output of :func:`prepare_responses`.

    Returns
    -------
    pd.DataFrame
        ``item, group, wave, base, positives, n_dont_know, n_excluded, excluded_detail,
        p_hat, effective_n, weighted``. ``p_hat`` is the weighted proportion when
        weights are present; ``effective_n`` is Kish's ``(sum w)^2 / sum w^2``;
        ``excluded_detail`` counts the answers left out of the base by kind
        ("Don't know 8, No answer 4").
    """
    frames = [answers]
    if set(answers["group"].dropna()) != {ALL_GROUPS}:
        frames.append(answers.assign(group=ALL_GROUPS))
    data = pd.concat(frames, ignore_index=True)
    weighted = bool(data["weight"].notna().any())
    data = data.assign(
        valid=~data["excluded"],
        w=np.where(data["excluded"], 0.0, data["weight"].fillna(1.0) if weighted else 1.0),
    )
    data["wy"] = data["w"] * data["positive"].fillna(0.0)
    data["w2"] = data["w"] ** 2
    data["pos"] = data["positive"].fillna(0.0)
    grouped = data.groupby(["item", "group", "wave"], sort=True, observed=True)
    cells = grouped.agg(base=("valid", "sum"), positives=("pos", "sum"), n_dont_know=("dont_know", "sum"),
                        n_excluded=("excluded", "sum"), sw=("w", "sum"), swy=("wy", "sum"),
                        sw2=("w2", "sum")).reset_index()
    cells["positives"] = cells["positives"].round().astype("int64")
    cells["base"] = cells["base"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        cells["p_hat"] = np.where(cells["sw"] > 0, cells["swy"] / cells["sw"], np.nan)
        cells["effective_n"] = np.where(cells["sw2"] > 0, cells["sw"] ** 2 / cells["sw2"], 0.0)
    cells["weighted"] = weighted
    kinds = data["excluded_answer"] if "excluded_answer" in data.columns else pd.Series(pd.NA, index=data.index)
    left_out = data.assign(kind=kinds.astype("string"))[data["excluded"].astype(bool)].dropna(subset=["kind"])
    if len(left_out):
        detail = (left_out.groupby(["item", "group", "wave", "kind"], observed=True).size().reset_index(name="k")
                  .sort_values(["item", "group", "wave", "k", "kind"], ascending=[True, True, True, False, True])
                  .groupby(["item", "group", "wave"], observed=True)
                  .apply(lambda g: ", ".join(f"{kind} {k}" for kind, k in zip(g["kind"], g["k"], strict=True)),
                         include_groups=False).rename("excluded_detail").reset_index())
        cells = cells.merge(detail, on=["item", "group", "wave"], how="left")
    else:
        cells["excluded_detail"] = pd.NA
    cells["excluded_detail"] = cells["excluded_detail"].astype("string")
    return cells.drop(columns=["sw", "swy", "sw2"])
