"""Change over time, step 1: answers in, tidy item x group x wave cells out (respondent rows or aggregates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.change.contract import (
    _LEVEL_CODE,
    ALL_GROUPS,
    MISSING_GROUP,
    PANEL_GROUP,
)
from analysis.core import vocab
from analysis.core.config import DEFAULT_EXCLUDED_ANSWERS
from analysis.core.errors import InputFileError

# --------------------------------------------------------------------------- answer scales
_DONT_KNOW = frozenset({"don't know", "dont know", "do not know"})


def _normalise(text: object) -> str:
    """Comparable spelling: trimmed, case-folded, typographic apostrophes straightened, spaces collapsed."""
    value = str(text).strip()
    try:  # 6, "6" and 6.0 are the same code
        number = float(value)
        if number.is_integer():
            value = str(int(number))
    except ValueError:
        pass
    return " ".join(value.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").casefold().split())


@dataclass(frozen=True)
class AnswerScale:
    """Which answers to an item are positive, negative, or left out of the base.

    Labels match case-insensitively; a Likert label also matches its code 1..5 and
    the other way round (``"Agree"`` and ``4``). ``negative=None`` means every Likert
    level that is not positive. Answers in ``excluded`` (Don't know, Prefer not to say,
    N/A, numeric missing codes such as 6 or 9, ...) are counted but never enter the
    base; an answer in none of the three lists is an error, never "not positive".
    """

    positive: tuple[str, ...] = ("Agree", "Strongly agree")
    negative: tuple[str, ...] | None = None
    excluded: tuple[str, ...] = DEFAULT_EXCLUDED_ANSWERS

    @classmethod
    def coerce(cls, value: AnswerScale | Mapping[str, Sequence[str] | None]) -> AnswerScale:
        """An :class:`AnswerScale` from itself or a mapping with ``positive``/``negative``/``excluded``."""
        if isinstance(value, AnswerScale):
            return value
        negative = value.get("negative")
        return cls(positive=tuple(value.get("positive") or cls.positive),
                   negative=None if negative is None else tuple(negative),
                   excluded=tuple(value.get("excluded", DEFAULT_EXCLUDED_ANSWERS)))

    def lookup(self) -> dict[str, tuple[str, float]]:
        """Normalised answer -> (the scale's spelling, 1.0 positive / 0.0 negative / NaN excluded)."""
        def expand(values: Sequence[str]) -> dict[str, str]:
            out = {}
            for v in values:
                key = _normalise(v)
                out[key] = str(v)
                code = _LEVEL_CODE.get(key)
                if code is not None:  # a Likert label also matches its code
                    out[str(code)] = str(v)
                elif key.isdigit() and 1 <= int(key) <= len(vocab.LIKERT_LEVELS):  # and a code its label
                    out[vocab.LIKERT_LEVELS[int(key) - 1].casefold()] = str(v)
            return out

        positive = expand(self.positive)
        negative = expand(self.negative if self.negative is not None else
                          [lvl for lvl in vocab.LIKERT_LEVELS if lvl.casefold() not in positive])
        excluded = expand(self.excluded)
        clash = sorted((set(positive) & set(negative)) | ((set(positive) | set(negative)) & set(excluded)))
        if clash:
            raise ValueError(f"answer(s) {clash} are in more than one of positive, negative and excluded")
        table = {k: (v, np.nan) for k, v in excluded.items()}
        table.update({k: (v, 0.0) for k, v in negative.items()})
        table.update({k: (v, 1.0) for k, v in positive.items()})
        return table


def _scales_for(items: pd.Series, positive_levels, answer_scales, source: str | Path,
                item_column: str | None) -> dict[str, AnswerScale]:
    """One scale per item present, from ``answer_scales`` or the ``positive_levels`` shorthand."""
    present = sorted(set(items.dropna()))
    spec = answer_scales
    if spec is None and positive_levels is not None:
        spec = ({k: {"positive": list(v)} for k, v in positive_levels.items()}
                if isinstance(positive_levels, Mapping) else {"positive": list(positive_levels)})
    if spec is None:
        return dict.fromkeys(present, AnswerScale())
    if isinstance(spec, AnswerScale) or (isinstance(spec, Mapping) and "positive" in spec
                                         and not isinstance(spec["positive"], (AnswerScale, Mapping))):
        one = AnswerScale.coerce(spec)
        return dict.fromkeys(present, one)
    missing = [i for i in present if i not in spec]
    if missing:
        raise InputFileError(source, f"no answer scale (positive definition) for item(s) {missing}",
                             column=item_column)
    return {i: AnswerScale.coerce(spec[i]) for i in present}


def classify_answers(items: pd.Series, raw: pd.Series, reason: pd.Series, scales: Mapping[str, AnswerScale],
                     *, source: str | Path = "responses", column: str | None = None) -> tuple[np.ndarray, pd.Series]:
    """Positive (1.0) / negative (0.0) per answer, and why an answer is out of the base.

    Parameters
    ----------
    items, raw, reason
        Item id, the answer as given, and a missing-answer reason (or missing), row-aligned.
    scales
        Item -> :class:`AnswerScale`.

    Returns
    -------
    (positive, excluded_answer)
        ``positive`` is NaN for excluded rows; ``excluded_answer`` is the scale's spelling of
        the excluded answer (or ``"blank"`` for an empty answer), missing for answers in the base.

    Raises
    ------
    InputFileError
        Answers (or reasons) not on their item's scale: every such value with its count.
    """
    raw_key = raw.map(lambda v: pd.NA if pd.isna(v) or str(v).strip() == "" else _normalise(v)).astype("string")
    reason_key = reason.map(lambda v: pd.NA if pd.isna(v) or str(v).strip() == "" else _normalise(v)).astype("string")
    positive = np.full(len(raw), np.nan)
    kind = pd.Series(pd.NA, index=raw.index, dtype="string")
    problems = []
    for item, idx in items.groupby(items, sort=True).groups.items():
        try:
            table = scales[item].lookup()
        except ValueError as err:
            raise InputFileError(source, f"item {item!r}: {err}", column=column) from err
        keys = raw_key.loc[idx].fillna(reason_key.loc[idx])
        found = keys.map(lambda k, t=table: t.get(k) if pd.notna(k) else ("blank", np.nan))
        unknown = found.isna()
        if unknown.any():
            given = raw.loc[idx][unknown].astype("string")
            values = given.where(given.notna(), reason.loc[idx][unknown].astype("string"))
            counts = values.astype("string").str.strip().value_counts()
            problems.append(f"item {item!r}: " + ", ".join(f"{v!r} ({c} answer{'s' if c != 1 else ''})"
                                                       for v, c in counts.items()))
            continue
        pos = found.map(lambda t: t[1]).to_numpy(float)
        positive[np.asarray(idx)] = pos
        kind.loc[idx] = np.where(np.isnan(pos), found.map(lambda t: t[0]).to_numpy(object), pd.NA)
    if problems:
        raise InputFileError(source, "answer(s) not on the item's answer scale (add each to its positive, negative "
                             "or excluded answers): " + "; ".join(problems), column=column)
    return positive, kind


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
        negative, :data:`DEFAULT_EXCLUDED_ANSWERS` out of the base).
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
    unit_column: str | None = None,
    overdispersion: bool = True,
    source: str | Path = "table",
) -> tuple[pd.DataFrame, list[str]]:
    """Counts per item x group x wave from an aggregate table (rows summed within cells).

    Aggregate rows are organisations (or other units), not independent respondents:
    answers within a unit resemble each other, so the binomial variance is too small.
    When the rows allow it, the variance is inflated (a beta-binomial form with the
    intra-organisation correlation estimated from the Pearson chi-squared of a binomial
    GLM of the rows, see :func:`_dispersion`) and every interval, test and minimum
    detectable difference downstream uses it through the effective base
    ``base / dispersion``.

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
        item is ``item_name``. A blank group becomes its own group (:data:`MISSING_GROUP`).
    weighting_column
        Optional column describing how each row was weighted; when its values differ
        between waves a caveat is returned and the trend is broken where they change.
    unit_column
        Optional unit id (e.g. ``ODS code``). With it the dispersion is estimated within
        units (a unit fixed effect, so stable differences between units are not counted as
        noise) and a like-for-like pool of the units present in every wave is added as group
        :data:`PANEL_GROUP`.
    overdispersion
        Estimate and use the extra-binomial dispersion (default). Off, or when every cell is
        a single row (nothing to estimate it from), the binomial variance is used and said.
    source
        File name for error messages.

    Returns
    -------
    (cells, notes)
        Cells as in :func:`count_cells` plus ``dispersion`` (the cell's variance factor,
        ``1 + rho (sum n_i^2 / N - 1)`` for its units; missing when none was estimated),
        ``dispersion_df``, ``n_units`` (rows summed) and
        ``series_break`` (True in a wave whose weighting method differs from the previous
        wave's); ``effective_n`` = ``base / dispersion``. And a list of plain-English caveats.

    Raises
    ------
    InputFileError
        A column is missing, a value is not a number or out of range, or a unit appears
        twice in one wave of an item.
    """
    if (positives_column is None) == (rate_column is None):
        raise InputFileError(source, "give exactly one of a positives column or a rate column",
                             column=positives_column or rate_column)
    _require_columns(table, {"wave": wave_column, "base": base_column, "positives": positives_column,
                             "rate": rate_column, "group": group_column, "item": item_column,
                             "weighting": weighting_column, "unit": unit_column}, source)
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
    group = (data[group_column].astype("string").str.strip().replace("", pd.NA) if group_column
             else pd.Series([ALL_GROUPS] * len(data), dtype="string"))
    frame = pd.DataFrame({
        "item": data[item_column].astype("string") if item_column else pd.Series([item_name] * len(data), dtype="string"),
        "group": group.fillna(MISSING_GROUP),
        "wave": wave, "base": base, "positives": positives.round(),
        "unit": data[unit_column].astype("string").str.strip() if unit_column else pd.NA,
    })
    usable = frame["base"].notna() & frame["positives"].notna()
    notes: list[str] = []
    dropped = int((~usable).sum())
    if dropped:
        notes.append(f"{dropped} row(s) without a base or a positive count were left out.")
    blank_groups = int((group.isna() & usable).sum())
    if blank_groups:
        notes.append(f"{blank_groups} row(s) had no group: they count in everyone and are shown as "
                     f"'{MISSING_GROUP}'.")
    if unit_column and (frame["unit"].isna() & usable).any():
        row = int(np.flatnonzero((frame["unit"].isna() & usable).to_numpy())[0])
        raise InputFileError(source, "the unit id is blank", row=row + 2, column=unit_column)
    frame = frame[usable].reset_index(drop=True)
    if unit_column:
        twice = frame.duplicated(["item", "wave", "unit"])
        if twice.any():
            first = frame[twice].iloc[0]
            raise InputFileError(source, f"unit {first['unit']!r} appears more than once in wave {first['wave']}",
                                 column=unit_column)

    dispersion = _dispersion(frame, use_units=unit_column is not None) if overdispersion else {}
    parts = [frame]
    if group_column:
        parts.append(frame.assign(group=ALL_GROUPS))
    panel = _panel_rows(frame) if unit_column else frame.iloc[:0]
    if len(panel):
        parts.append(panel.assign(group=PANEL_GROUP))
    cells = (pd.concat(parts, ignore_index=True).assign(base2=lambda f: f["base"] ** 2)
             .groupby(["item", "group", "wave"], sort=True)
             .agg(base=("base", "sum"), positives=("positives", "sum"), n_units=("base", "size"),
                  base2=("base2", "sum"))
             .reset_index())
    cells["positives"] = cells["positives"].round().astype("int64")
    cells["base"] = cells["base"].round().astype("int64")
    cells["n_dont_know"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["n_excluded"] = pd.array([pd.NA] * len(cells), dtype="Int64")
    cells["p_hat"] = np.where(cells["base"] > 0, cells["positives"] / cells["base"].where(cells["base"] > 0, 1), np.nan)
    # Each unit's variance is binomial x (1 + (n_i - 1) rho); summed over the cell's units the
    # cell's dispersion is 1 + rho (sum n_i^2 / N - 1): big organisations count for more.
    rho = cells["item"].map({k: v[0] for k, v in dispersion.items()}).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = 1.0 + rho * (cells["base2"] / cells["base"].where(cells["base"] > 0) - 1.0)
    cells["dispersion"] = phi.where(rho.notna())
    cells["dispersion_df"] = cells["item"].map({k: v[1] for k, v in dispersion.items()}).astype(float)
    cells["effective_n"] = cells["base"].astype(float) / cells["dispersion"].fillna(1.0)
    cells = cells.drop(columns="base2")
    cells["weighted"] = False
    cells["series_break"] = False
    if rate_column:
        notes.append("Positives were derived from published percentages x base, rounded to whole people.")
    if dispersion:
        unit_word = "within organisations over time" if unit_column else "between organisations of the same group and wave"
        for item, (r, _, pearson) in dispersion.items():
            phis = cells.loc[(cells["item"] == item) & cells["dispersion"].notna(), "dispersion"]
            whose = f" ({item})" if len(dispersion) > 1 else ""
            notes.append(f"The rows{whose} are organisations, not independent respondents: answers within an "
                         f"organisation resemble each other (intra-organisation correlation {r:.2g}, Pearson "
                         f"chi-squared / df {pearson:.2f}, variation {unit_word}), so intervals and tests use a "
                         f"variance {phis.min():.1f} to {phis.max():.1f} times the binomial one (larger where "
                         "large organisations dominate).")
    elif overdispersion:
        notes.append("Each group and wave is a single row, so variation between organisations cannot be "
                     "estimated: intervals assume independent respondents and may be too narrow.")
    if len(panel):
        n_panel = panel.groupby("item")["unit"].nunique()
        n_all = frame.groupby("item")["unit"].nunique()
        notes.append("Like-for-like: '" + PANEL_GROUP + "' pools the "
                     + "; ".join(f"{n_panel[i]} of {n_all[i]} units" + (f" ({i})" if len(n_panel) > 1 else "")
                                 for i in n_panel.index) + " present in every wave.")
    if weighting_column:
        methods = (data.loc[usable.to_numpy(), [weighting_column]].assign(wave=wave[usable])
                   .groupby("wave")[weighting_column].agg(lambda s: ", ".join(sorted(map(str, s.dropna().unique())))))
        if methods.nunique() > 1:
            detail = "; ".join(f"{w}: {m}" for w, m in methods.items())
            changed = [int(w) for w, prev in zip(methods.index[1:], methods.to_numpy()[:-1], strict=True)
                       if methods[w] != prev]
            cells["series_break"] = cells["wave"].isin(changed)
            notes.append(f"The weighting method differs between waves ({detail}), so part of any "
                         "change may reflect the method rather than opinion; trends are estimated within "
                         f"the waves that share a method (a break from {', '.join(map(str, changed))}).")
    return cells, notes


def _panel_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the units present (with a base) in every wave of their item."""
    with_base = frame[frame["base"] > 0]
    waves = with_base.groupby("item")["wave"].nunique()
    seen = with_base.groupby(["item", "unit"])["wave"].nunique()
    keep = {key for key, n in seen.items() if n == waves[key[0]]}
    mask = [(i, u) in keep for i, u in zip(frame["item"], frame["unit"], strict=True)]
    return frame[np.asarray(mask, dtype=bool)]


def _dispersion(frame: pd.DataFrame, *, use_units: bool) -> dict[str, tuple[float, float, float]]:
    """Item -> (intra-unit correlation rho, residual df, Pearson chi-squared / df), where the rows allow it.

    The model is a binomial GLM of the rows on group x wave (plus a unit effect when
    units are identified, so that stable differences between units are not counted as
    noise): it fits every cell's total exactly, and what is left between rows is the
    extra-binomial variation. A single quasi-binomial scale (Pearson chi-squared / df)
    would give every organisation the same inflation, but the extra variance of an
    organisation's count grows with its size, and pooled figures are dominated by the
    largest (a constant scale kept a false-positive rate of 11% in simulation). So the
    variance is the beta-binomial form ``n p (1 - p) (1 + (n - 1) rho)`` with ``rho`` from
    Williams' (1982) moment equation ``X2 = sum (1 - h_i) (1 + (n_i - 1) rho)`` (``h_i``
    the leverages, approximated as ``1/T_i`` for a unit seen in ``T_i`` waves plus its
    share of the cell). statsmodels has no beta-binomial GLM, hence by hand.
    The unit-effect model is fitted by :func:`_two_way_logit` because a dense GLM with one
    column per organisation takes tens of seconds and is rank-deficient by construction.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    out: dict[str, tuple[float, float, float]] = {}
    for item, rows in frame[frame["base"] > 0].groupby("item", sort=False):
        cell = pd.factorize(rows["group"].astype(str) + "\x00" + rows["wave"].astype(str))[0]
        unit = pd.factorize(rows["unit"].astype(str))[0] if use_units else np.zeros(len(rows), dtype=int)
        y, n = rows["positives"].to_numpy(float), rows["base"].to_numpy(float)
        n_cells, n_units = cell.max() + 1, unit.max() + 1
        share = n / np.bincount(cell, n)[cell]
        if use_units:
            p = _two_way_logit(y, n, unit, cell)
            graph = coo_matrix((np.ones(len(rows)), (unit, n_units + cell)), shape=(n_units + n_cells,) * 2)
            rank = n_units + n_cells - connected_components(graph, directed=False)[0]
            unit_lev = 1.0 / np.bincount(unit)[unit]
            leverage = unit_lev + share * (1 - unit_lev)
        else:
            p = (np.bincount(cell, y) / np.bincount(cell, n))[cell]
            rank = n_cells
            leverage = share
        df = float(len(rows) - rank)
        if df < 1:
            continue
        var = n * p * (1 - p)
        resid2 = np.where(var > 1e-12, (y - n * p) ** 2 / np.where(var > 1e-12, var, 1.0), 0.0)
        x2 = float(resid2.sum())
        free = np.clip(1 - leverage, 0.0, 1.0)
        denominator = float(np.sum(free * (n - 1)))
        rho = max((x2 - float(free.sum())) / denominator, 0.0) if denominator > 0 else 0.0
        out[str(item)] = (rho, df, x2 / df)
    return out


def _two_way_logit(y: np.ndarray, n: np.ndarray, unit: np.ndarray, cell: np.ndarray, *,
                   max_iter: int = 500, tol: float = 1e-9) -> np.ndarray:
    """Fitted probabilities of ``logit p = a_unit + b_cell`` (binomial maximum likelihood).

    Alternating one-parameter Newton steps (each unit's and each cell's score equation
    in turn), vectorised with ``bincount``: the same fit as a GLM with one dummy per
    unit and per cell, in milliseconds. A unit whose answers are all (or never) positive
    has an infinite effect; it is capped, which fits those rows exactly, as the GLM would.
    """
    from scipy.special import expit

    a = np.zeros(unit.max() + 1)
    pooled = np.clip(np.bincount(cell, y) / np.bincount(cell, n), 1e-9, 1 - 1e-9)
    b = np.log(pooled / (1 - pooled))
    for _ in range(max_iter):
        biggest = 0.0
        for effect, index, other in ((a, unit, lambda: b[cell]), (b, cell, lambda: a[unit])):
            p = expit(effect[index] + other())
            score = np.bincount(index, y - n * p, minlength=len(effect))
            info = np.bincount(index, n * p * (1 - p), minlength=len(effect))
            step = np.clip(np.where(info > 1e-12, score / np.where(info > 1e-12, info, 1.0), 0.0), -5, 5)
            effect += step
            np.clip(effect, -30, 30, out=effect)
            biggest = max(biggest, float(np.max(np.abs(step))))
        if biggest < tol:
            break
    return expit(a[unit] + b[cell])
