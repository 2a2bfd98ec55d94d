"""Change over time, step 1 for aggregate tables: rows per organisation x wave in, cells with their dispersion out.

Aggregate rows (published results per organisation) are not independent respondents;
:func:`cells_from_aggregate` sums them into item x group x wave cells and estimates how
much more they vary than the binomial allows (:func:`_dispersion`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.change.contract import ALL_GROUPS, MISSING_GROUP, PANEL_GROUP
from analysis.change.inputs import _numeric_waves, _require_columns
from analysis.core.errors import InputFileError


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
