"""Figures for change over time: trend lines with interval ribbons, diverging Likert bars.

Each function returns ``(figure, alt_text)``; pass both to
:func:`analysis.present.figures.show_figure`. Suppressed cells are never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.change.over_time import ALL_GROUPS
from analysis.core import vocab
from analysis.present.figures import GREY, LIKERT_COLOURS, PALETTE
from analysis.stats.proportions import is_suppressed


def _plt():
    # Imported on use so that importing this module stays cheap.
    import matplotlib.pyplot as plt

    return plt


def trend_figure(
    results: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    item_labels: Mapping[str, str] | None = None,
    ncols: int = 3,
) -> tuple[object, str]:
    """% positive by wave with 95% interval ribbons, one panel per item, one line per group.

    Parameters
    ----------
    results
        The tidy results table (``pct_positive`` rows are used; suppressed rows are gaps).
    items, groups
        What to draw; default every item, and every group (or ``"all"`` when there are none).
    item_labels
        Item id -> panel title.
    ncols
        Panels per row.

    Returns
    -------
    (Figure, str)
        The figure and its alt text.
    """
    plt = _plt()
    pct = results[results["test"] == "pct_positive"]
    items = list(items) if items is not None else list(dict.fromkeys(pct["item"]))
    present = [g for g in dict.fromkeys(pct["group"]) if g != ALL_GROUPS]
    groups = list(groups) if groups is not None else (present or [ALL_GROUPS])
    labels = dict(item_labels or {})
    ncols = max(1, min(ncols, len(items)))
    nrows = int(np.ceil(len(items) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), sharey=True, squeeze=False)
    waves = sorted(pct["wave"].dropna().unique())
    summary = []
    for ax, item in zip(axes.flat, items, strict=False):
        for colour, group in zip(PALETTE, groups, strict=False):
            sub = pct[(pct["item"] == item) & (pct["group"] == group)].sort_values("wave")
            # NaN (suppressed) rows break the line instead of bridging over a hidden value.
            x = sub["wave"].astype(float).to_numpy()
            y = sub["estimate"].to_numpy(float)
            ax.fill_between(x, sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float),
                            color=colour, alpha=0.18, linewidth=0)
            ax.plot(x, y, marker="o", color=colour, label=group, linewidth=2, markersize=4)
            shown = sub.dropna(subset=["estimate"])
            if len(shown):
                first, last = shown.iloc[0], shown.iloc[-1]
                summary.append(f"{labels.get(item, item)}, {group}: {first['estimate']:.0f}% in "
                               f"{first['wave']} to {last['estimate']:.0f}% in {last['wave']}")
            if sub["suppressed"].any():
                summary.append(f"{labels.get(item, item)}, {group}: some waves not shown (too few answers)")
        ax.set_title(labels.get(item, item), fontsize=10)
        ax.set_ylim(0, 100)
        ax.set_xticks(waves)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.grid(axis="y", color=GREY, alpha=0.2)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.flat[len(items):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% positive")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(groups), frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    alt = ("Line charts of the percentage answering positively in each wave, one panel per question, "
           f"one line per group ({', '.join(groups)}), shaded bands show 95% confidence intervals. "
           + "; ".join(summary) + ".")
    return fig, alt


def likert_distribution(answers: pd.DataFrame, item: str, *, threshold: int,
                        groups: Sequence[str] | None = None) -> pd.DataFrame:
    """Percentage of answers at each Likert level per group x wave (suppressed cells blank).

    Parameters
    ----------
    answers
        From :func:`analysis.change.over_time.prepare_responses` (rows with a 1..5 score are used).
    item
        Item id.
    threshold
        Suppression threshold.
    groups
        Groups to include; ``"all"`` pools everyone.

    Returns
    -------
    pd.DataFrame
        ``group, wave, base, suppressed`` and one column per Likert level (percent).
    """
    data = answers[(answers["item"] == item) & ~answers["excluded"]].dropna(subset=["score"])
    present = [g for g in dict.fromkeys(data["group"]) if g != ALL_GROUPS]
    groups = list(groups) if groups is not None else (present or [ALL_GROUPS])
    rows = []
    for group in groups:
        sub = data if group == ALL_GROUPS else data[data["group"] == group]
        for wave, cell in sub.groupby("wave"):
            counts = cell["score"].astype(int).value_counts().reindex(range(1, 6), fill_value=0)
            row = {"group": group, "wave": int(wave), "base": int(counts.sum())}
            row.update({level: 100 * counts[code] / counts.sum()
                        for code, level in enumerate(vocab.LIKERT_LEVELS, start=1)})
            rows.append(row)
    table = pd.DataFrame(rows, columns=["group", "wave", "base", *vocab.LIKERT_LEVELS])
    table["suppressed"] = is_suppressed(table["base"].to_numpy(), threshold) if len(table) else []
    table.loc[table["suppressed"], ["base", *vocab.LIKERT_LEVELS]] = np.nan
    return table


def diverging_bars(answers: pd.DataFrame, item: str, *, threshold: int, groups: Sequence[str] | None = None,
                   label: str | None = None) -> tuple[object, str]:
    """Diverging stacked bars of the Likert distribution per wave, one panel per group.

    Disagreement extends left of zero and agreement right; the neutral level is
    split across zero. Waves with too few answers are labelled, not drawn.

    Returns
    -------
    (Figure, str)
        The figure and its alt text.
    """
    plt = _plt()
    table = likert_distribution(answers, item, threshold=threshold, groups=groups)
    panels = list(dict.fromkeys(table["group"]))
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(5.5 * max(1, len(panels)), 0.45 * max(
        4, table["wave"].nunique()) + 1.5), sharex=True, squeeze=False)
    levels = list(vocab.LIKERT_LEVELS)
    summary = []
    for ax, group in zip(axes.flat, panels, strict=False):
        sub = table[table["group"] == group].sort_values("wave", ascending=False)
        y = np.arange(len(sub))
        shares = sub[levels].to_numpy(float)
        left = -(shares[:, 0] + shares[:, 1] + shares[:, 2] / 2)
        for j, (level, colour) in enumerate(zip(levels, LIKERT_COLOURS, strict=False)):
            ax.barh(y, shares[:, j], left=left, color=colour, label=level, edgecolor="white", linewidth=0.5)
            left = left + shares[:, j]
        for yi, (_, row) in zip(y, sub.iterrows(), strict=False):
            if row["suppressed"]:
                ax.text(0, yi, f"fewer than {threshold} answers", ha="center", va="center", fontsize=8, color=GREY)
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_yticks(y, [str(w) for w in sub["wave"]])
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
        ax.set_title(group if group != ALL_GROUPS else "Everyone", fontsize=10)
        ax.spines[["top", "right", "left"]].set_visible(False)
        shown = sub.dropna(subset=["Agree"])
        if len(shown):
            last, first = shown.iloc[0], shown.iloc[-1]
            agree = lambda r: r["Agree"] + r["Strongly agree"]  # noqa: E731
            summary.append(f"{group}: {agree(first):.0f}% agree or strongly agree in {first['wave']}, "
                           f"{agree(last):.0f}% in {last['wave']}")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=5, frameon=False, fontsize=8, bbox_to_anchor=(0.5, -0.04))
    fig.tight_layout(rect=(0, 0.06, 1, 0.92))
    name = label or item
    alt = (f"Diverging stacked bar chart of answers to '{name}' in each wave, from strongly disagree "
           "(left of the centre line) to strongly agree (right); neutral answers straddle the centre. "
           + "; ".join(summary) + ".")
    return fig, alt
