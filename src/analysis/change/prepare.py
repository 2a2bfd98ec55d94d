"""Change over time, step 1: answers in, tidy item x group x wave cells out (respondent rows or aggregates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.change.contract import (
    _LEVEL_CODE,
    _MISSING_LABELS,
    ALL_GROUPS,
)
from analysis.core import vocab
from analysis.core.errors import InputFileError


# --------------------------------------------------------------------------- inputs
def _require_columns(table: pd.DataFrame, columns: Mapping[str, str | None], source: str | Path) -> None:
    for role, column in columns.items():
        if column is not None and column not in table.columns:
            available = ", ".join(map(str, table.columns[:20]))
            raise InputFileError(source, f"the {role} column is missing (columns found: {available})",
                                 column=column)


def _numeric_waves(values: pd.Series, column: str, source: str | Path) -> pd.Series:
    waves = pd.to_numeric(values, errors="coerce")
    bad = waves.isna() & values.notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(source, f"wave must be a number; found {values.iloc[first]!r}",
                             row=first + 2, column=column)
    if waves.isna().any():
        first = int(np.flatnonzero(waves.isna().to_numpy())[0])
        raise InputFileError(source, "wave is blank", row=first + 2, column=column)
    if not np.allclose(waves, np.round(waves)):
        raise InputFileError(source, "wave must be a whole number (e.g. a year)", column=column)
    return waves.round().astype("int64")


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
    wave_column
        Wave (a number, e.g. the year).
    value_column
        The answer: Likert code 1..5, a Likert label, or any category.
    positive_column
        Boolean column marking positive answers (used when ``positive_levels`` is None).
    positive_levels
        Answers counted as positive: a mapping item -> labels (the config's
        ``positive_levels()``), or one list for every item. Labels match Likert
        labels or codes ("Agree", "5"), case-insensitively. When neither this nor
        ``positive_column`` is available, Agree and Strongly agree are positive.
    id_column
        Persistent respondent id that may repeat across waves (for GEE); optional.
    respondent_column
        Id of one response; optional.
    weight_column
        Survey weights; optional, ignored when the column is absent or all missing.
    missing_reason_column
        Why an answer is missing; ``"Don't know"`` answers are counted and excluded.
    source
        File name used in error messages.

    Returns
    -------
    pd.DataFrame
        Columns ``item, group, wave, respondent, person, score, positive, weight,
        excluded, dont_know``. ``positive`` is 1.0/0.0, missing for excluded rows;
        ``score`` is the 1..5 Likert code where the answer is on the scale.

    Raises
    ------
    InputFileError
        A named column is missing, or a wave is not a number.
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
    out["group"] = out["group"].astype("string")
    out["wave"] = _numeric_waves(responses[wave_column].reset_index(drop=True), wave_column, source)
    out["respondent"] = (responses[present["respondent"]].astype("string").to_numpy()
                         if present["respondent"] else pd.Series(np.arange(n)).astype("string"))
    out["person"] = (responses[present["id"]].astype("string").to_numpy() if present["id"]
                     else pd.array([pd.NA] * n, dtype="string"))
    raw = responses[value_column].reset_index(drop=True)
    score, label = _score_and_label(raw)
    out["score"] = score.to_numpy(dtype=float, na_value=np.nan)

    reason = (responses[present["missing reason"]].astype("string").str.casefold().reset_index(drop=True)
              if present["missing reason"] else pd.Series(pd.NA, index=out.index, dtype="string"))
    dont_know = reason.isin(["don't know"]).fillna(False) | label.isin(["don't know", "dont know"]).fillna(False)
    excluded = raw.isna().to_numpy() | label.isin(list(_MISSING_LABELS)).fillna(False).to_numpy() \
        | reason.notna().to_numpy() | out["group"].isna().to_numpy()
    out["excluded"] = excluded
    out["dont_know"] = dont_know.to_numpy()
    # Outside the 1..5 scale a number carries no ordinal meaning.
    out.loc[~out["score"].between(1, 5), "score"] = np.nan

    if positive_levels is not None:
        if isinstance(positive_levels, Mapping):
            wanted = out["item"].map({k: {str(v).casefold() for v in vals}
                                      for k, vals in positive_levels.items()})
            if wanted.isna().any():
                missing = sorted(set(out.loc[wanted.isna(), "item"].dropna()))
                raise InputFileError(source, f"no positive definition for item(s) {missing}",
                                     column=item_column)
        else:
            levels = {str(v).casefold() for v in positive_levels}
            wanted = pd.Series([levels] * n)
        raw_text = raw.astype("string").str.strip().str.casefold()
        is_pos = np.array([(lab in want) or (txt in want) for lab, txt, want in
                           zip(label.fillna("").tolist(), raw_text.fillna("").tolist(), wanted, strict=False)])
        positive = is_pos.astype(float)
    elif present["positive"]:
        positive = pd.array(responses[present["positive"]].reset_index(drop=True), dtype="boolean")
        excluded = excluded | np.asarray(pd.isna(positive))
        out["excluded"] = excluded
        positive = positive.to_numpy(dtype=float, na_value=np.nan)
    else:
        positive = out["score"].isin([4.0, 5.0]).to_numpy(dtype=float)
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
        ``item, group, wave, base, positives, n_dont_know, n_excluded, p_hat,
        effective_n, weighted``. ``p_hat`` is the weighted proportion when
        weights are present; ``effective_n`` is Kish's ``(sum w)^2 / sum w^2``.
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
    return cells.drop(columns=["sw", "swy", "sw2"])


def cells_from_aggregate(
    table: pd.DataFrame,
    *,
    wave_column: str,
    base_column: str,
    positives_column: str | None = None,
    rate_column: str | None = None,
    group_column: str | None = None,
    item_column: str | None = None,
    item_name: str = "outcome",
    weighting_column: str | None = None,
    source: str | Path = "table",
) -> tuple[pd.DataFrame, list[str]]:
    """Counts per item x group x wave from an aggregate table (rows summed within cells).

    Parameters
    ----------
    table
        One row per unit (e.g. organisation) x wave, or already per group x wave.
    wave_column, base_column
        Wave (numeric) and the number of people answering.
    positives_column, rate_column
        Number answering positively, or the positive percentage (0-100); one is needed.
        From a rate, positives = rate x base / 100, rounded to whole people.
    group_column, item_column
        Optional comparison groups and item ids; otherwise everyone is ``"all"`` and the
        item is ``item_name``.
    weighting_column
        Optional column describing how each row was weighted; when its values differ
        between waves a caveat is returned.
    source
        File name for error messages.

    Returns
    -------
    (cells, notes)
        Cells as in :func:`count_cells` (unweighted: ``effective_n`` = ``base``) and a
        list of plain-English caveats.
    """
    if (positives_column is None) == (rate_column is None):
        raise InputFileError(source, "give exactly one of a positives column or a rate column",
                             column=positives_column or rate_column)
    _require_columns(table, {"wave": wave_column, "base": base_column, "positives": positives_column,
                             "rate": rate_column, "group": group_column, "item": item_column,
                             "weighting": weighting_column}, source)
    data = table.reset_index(drop=True)
    wave = _numeric_waves(data[wave_column], wave_column, source)
    base = pd.to_numeric(data[base_column], errors="coerce")
    value_column = positives_column or rate_column
    value = pd.to_numeric(data[value_column], errors="coerce")
    for column, series, raw in ((base_column, base, data[base_column]), (value_column, value, data[value_column])):
        bad = series.isna() & raw.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFileError(source, f"expected a number, found {raw.iloc[row]!r}", row=row + 2,
                                 column=column)
    positives = value if positives_column else value * base / 100.0
    if rate_column and ((value < 0) | (value > 100)).any():
        raise InputFileError(source, "a rate must be a percentage between 0 and 100", column=rate_column)
    if ((positives < 0) | (positives > base + 1e-6)).any():
        raise InputFileError(source, "positives must lie between 0 and the base", column=value_column)
    frame = pd.DataFrame({
        "item": data[item_column].astype("string") if item_column else pd.Series([item_name] * len(data), dtype="string"),
        "group": data[group_column].astype("string").str.strip() if group_column else pd.Series([ALL_GROUPS] * len(data), dtype="string"),
        "wave": wave, "base": base, "positives": positives,
    })
    usable = frame["base"].notna() & frame["positives"].notna() & frame["group"].notna()
    notes: list[str] = []
    dropped = int((~usable).sum())
    if dropped:
        notes.append(f"{dropped} row(s) without a base or a positive count were left out.")
    frame = frame[usable]
    parts = [frame]
    if group_column:
        parts.append(frame.assign(group=ALL_GROUPS))
    cells = (pd.concat(parts, ignore_index=True)
             .groupby(["item", "group", "wave"], sort=True).agg(base=("base", "sum"), positives=("positives", "sum"))
             .reset_index())
    cells["positives"] = cells["positives"].round().astype("int64")
    cells["base"] = cells["base"].round().astype("int64")
    cells["n_dont_know"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["n_excluded"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["p_hat"] = np.where(cells["base"] > 0, cells["positives"] / cells["base"].where(cells["base"] > 0, 1), np.nan)
    cells["effective_n"] = cells["base"].astype(float)
    cells["weighted"] = False
    if rate_column:
        notes.append("Positives were derived from published percentages x base, rounded to whole people.")
    if weighting_column:
        methods = (data.loc[usable.to_numpy(), [weighting_column]].assign(wave=wave[usable])
                   .groupby("wave")[weighting_column].agg(lambda s: ", ".join(sorted(map(str, s.dropna().unique())))))
        if methods.nunique() > 1:
            detail = "; ".join(f"{w}: {m}" for w, m in methods.items())
            notes.append(f"The weighting method differs between waves ({detail}), so part of any "
                         "change may reflect the method rather than opinion.")
    return cells, notes
