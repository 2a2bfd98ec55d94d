"""Theme figures and their alt text (sizes, group heatmaps, trends, the optional document map).

Drawn only from tables that have passed the disclosure layer (:mod:`analysis.themes.tables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.present.disclosure import DisclosureRule, as_rule
from analysis.themes.frames import _excluded, _pct, _theme_info, cell_sizes, group_heatmap_matrix


# --------------------------------------------------------------------------- figures
def plot_theme_sizes(table: pd.DataFrame, *, title: str | None = None, max_themes: int = 15) -> Any:
    """Horizontal bar chart of the share raising each theme, with Wilson 95% intervals."""
    import matplotlib.pyplot as plt

    from analysis.present.figures import PALETTE

    t = table[(table["row_type"] == "theme") & ~table["suppressed"]].head(max_themes).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(t), 2) + 1.2))
    labels = [f"{lab}{' ✓' if rev else ''}" for lab, rev in zip(t["label"], t["reviewed"], strict=True)]
    pct = t["pct"].astype(float).to_numpy() * 100
    err = np.vstack([pct - t["ci_low"].astype(float).to_numpy() * 100,
                     t["ci_high"].astype(float).to_numpy() * 100 - pct])
    ax.barh(labels, pct, xerr=err if len(t) else None, color=PALETTE[0], ecolor="#425563", capsize=3)
    ax.set_xlabel("% of respondents who gave a substantive answer (95% CI)")
    ax.set_xlim(0, max(100 * float(t["ci_high"].max()) * 1.1 if len(t) else 10, 10))
    if title:
        ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    # Headroom for the suptitle that analysis.present.figures.show_figure adds.
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def alt_theme_sizes(table: pd.DataFrame, question_label: str) -> str:
    """Alt text for :func:`plot_theme_sizes`."""
    t = table[(table["row_type"] == "theme") & ~table["suppressed"]]
    if t.empty:
        return f"Bar chart of themes in answers to '{question_label}': no themes could be shown."
    top = "; ".join(f"{r.label} {_pct(r.pct)}" for r in t.head(5).itertuples())
    return (f"Bar chart of the share of respondents raising each theme in answers to '{question_label}' "
            f"(base {int(t['base'].iloc[0])}), largest first: {top}.")


def plot_group_heatmap(by_group: pd.DataFrame, *, title: str | None = None, max_themes: int = 12) -> Any:
    """Theme x group heatmap of percentages, drawn from the suppressed table only.

    Each group is labelled with its (published) base, so no percentage appears without one;
    hidden cells are hatched and hidden groups marked with an asterisk.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    order = (by_group[~by_group["suppressed"]].groupby("label")["n"].sum().sort_values(ascending=False)
             .head(max_themes).index)
    matrix = group_heatmap_matrix(by_group).reindex(index=list(order))
    suppressed_groups = set(suppressed_groups_of(by_group))
    bases = by_group.groupby("group")["base"].first()
    fig, ax = plt.subplots(figsize=(1.0 * max(matrix.shape[1], 3) + 4, 0.45 * max(matrix.shape[0], 2) + 2))
    data = np.ma.masked_invalid(matrix.to_numpy() * 100)
    image = ax.imshow(data, aspect="auto", cmap="Blues", vmin=0, vmax=max(float(np.nanmax(data)) if data.count() else 1, 1))
    for j in range(matrix.shape[1]):
        for i in range(matrix.shape[0]):
            if np.isnan(matrix.iat[i, j]):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#AEB7BD",
                                       linewidth=0))
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix.iat[i, j]
            if not np.isnan(value):
                ax.text(j, i, f"{100 * value:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if 100 * value > 0.6 * float(np.nanmax(data)) else "black")
    ax.set_xticks(range(matrix.shape[1]), [f"{c} *" if c in suppressed_groups or pd.isna(bases.get(c))
                                          else f"{c} (n={int(bases[c])})" for c in matrix.columns],
                  rotation=40, ha="right")
    ax.set_yticks(range(matrix.shape[0]), list(matrix.index))
    fig.colorbar(image, ax=ax, label="% of group's respondents")
    if np.isnan(matrix.to_numpy()).any():
        fig.text(0.01, 0.005, "Hatched: not shown, to protect small numbers of people (* whole group).",
                 fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    # Headroom for the suptitle that analysis.present.figures.show_figure adds.
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def alt_group_heatmap(by_group: pd.DataFrame, question_label: str, group_name: str) -> str:
    """Alt text for :func:`plot_group_heatmap`."""
    shown = by_group[~by_group["suppressed"]]
    hidden = suppressed_groups_of(by_group)
    text = (f"Heatmap of the share of respondents raising each theme in answers to '{question_label}', "
            f"by {group_name}: {by_group.loc[by_group['base'].notna(), 'group'].nunique()} groups shown, "
            f"{int(by_group['suppressed'].sum())} cells hidden to protect small numbers.")
    if len(shown):
        top = shown.sort_values("pct", ascending=False).iloc[0]
        text += f" Highest cell: {top['label']} among {top['group']} ({_pct(top['pct'])})."
    if hidden:
        text += f" Suppressed (too few respondents): {', '.join(map(str, hidden))}."
    return text


def plot_theme_trends(trend: pd.DataFrame, *, title: str | None = None, max_themes: int = 5) -> Any:
    """Line chart of the largest themes' prevalence by wave, with Wilson 95% bands."""
    import matplotlib.pyplot as plt

    from analysis.present.figures import PALETTE

    shown = trend[~trend["suppressed"]]
    top = shown.groupby("theme_id")["n"].sum().sort_values(ascending=False).head(max_themes).index
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for colour, tid in zip(PALETTE, top, strict=False):
        t = shown[shown["theme_id"] == tid].sort_values("wave")
        waves = t["wave"].astype(int).to_numpy()
        ax.plot(waves, t["pct"].astype(float) * 100, marker="o", color=colour, label=str(t["label"].iloc[0]))
        ax.fill_between(waves, t["ci_low"].astype(float) * 100, t["ci_high"].astype(float) * 100,
                        color=colour, alpha=0.08, linewidth=0)
    ax.set_ylabel("% of respondents (95% CI)")
    ax.set_xlabel("Wave")
    ax.set_xticks(sorted(shown["wave"].dropna().astype(int).unique()))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left")
    # Headroom for the suptitle that analysis.present.figures.show_figure adds.
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def alt_theme_trends(trend: pd.DataFrame, question_label: str) -> str:
    """Alt text for :func:`plot_theme_trends`."""
    shown = trend[~trend["suppressed"]]
    waves = sorted(shown["wave"].dropna().astype(int).unique())
    if not waves:
        return f"Line chart of theme prevalence by wave for '{question_label}': no wave could be shown."
    return (f"Line chart of the share of respondents raising the largest themes in answers to "
            f"'{question_label}', waves {waves[0]} to {waves[-1]}, with 95% confidence bands.")


def document_map_html(coords: np.ndarray, themed: pd.DataFrame, themes: pd.DataFrame, *,
                      threshold: int | DisclosureRule, title: str) -> str | None:
    """An offline interactive map of comments (plotly, script embedded, no CDN).

    Only comments whose respondent cell (question, wave, respondent type, borough) holds at
    least ``threshold`` respondents are drawn, and hover text shows the theme only, never the
    comment, so the map publishes nothing a table would not.

    Returns
    -------
    str or None
        A self-contained HTML fragment, or None when nothing may be shown.
    """
    import plotly.express as px

    frame = themed.reset_index(drop=True)
    cells = [c for c in ("question_id", "wave", "respondent_type", "borough") if c in frame.columns]
    keep = (cell_sizes(frame, cells) >= as_rule(threshold).quote_threshold) & (frame["theme_id"] > 0) & ~_excluded(frame)
    if not keep.any():
        return None
    labels = _theme_info(themes)["label"]
    plot = pd.DataFrame({"x": coords[keep.to_numpy(), 0], "y": coords[keep.to_numpy(), 1],
                         "theme": frame.loc[keep, "theme_id"].map(labels).astype(str).to_numpy(),
                         "question": frame.loc[keep, "question_id"].astype(str).to_numpy()})
    fig = px.scatter(plot, x="x", y="y", color="theme", hover_data={"x": False, "y": False, "question": True},
                     title=title, opacity=0.6)
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, legend_title_text="Theme", height=550)
    return fig.to_html(include_plotlyjs="inline", full_html=False)


def suppressed_groups_of(by_group: pd.DataFrame) -> list[str]:
    """Groups whose base is hidden (every number of the group suppressed)."""
    return sorted(set(by_group.loc[by_group["base"].isna(), "group"].astype(str)))


def suppressed_groups(by_group: pd.DataFrame) -> list[str]:
    """Groups whose numbers were all suppressed (their base is hidden) in a :func:`theme_by_group` table."""
    return suppressed_groups_of(by_group)
