"""The summary's static charts: outcomes over time, equal voice and the co-production trend.

Each chart is drawn with matplotlib (the palette of :mod:`analysis.present.figures`)
from the summary's content, which holds only published figures: a value the
disclosure rule hid is None there and is not drawn (a line breaks at it). Each
returns a PNG as a ``data:`` URI (the page's Content-Security-Policy allows images
only from ``data:``, and the single-file edition needs them inline) with its alt
text, which repeats every number drawn. The PNG carries no time or version stamp, so
the same results give the same bytes. Text from configs or logs (labels, group
names) is drawn as plain text (``usetex`` and mathtext off) and escaped by the
template wherever it reaches the page.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.present.figures import GREY, PALETTE

#: Text drawn as typed: no TeX, no mathtext ("$" in a label stays a dollar sign).
_RC = {"text.usetex": False, "text.parse_math": False, "font.size": 11, "axes.titlesize": 11,
       "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
       "svg.hashsalt": "report", "font.family": "DejaVu Sans"}
_DPI = 150


def _png(fig: Any, alt: str) -> dict[str, Any]:
    """The figure as a PNG ``data:`` URI with its alt text and pixel size."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None, "Description": alt})
    width, height = (int(round(v * _DPI)) for v in fig.get_size_inches())
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"src": f"data:image/png;base64,{data}", "alt": alt, "width": width, "height": height}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    # A Figure, not pyplot: no global state, nothing shown, safe in any process.
    return Figure(figsize=(width, height), layout="constrained")


def _signed(value: float) -> str:
    """``+17``, ``-3``, ``0`` (never ``-0`` or ``+0``)."""
    text = f"{value:.0f}"
    return "0" if text in ("0", "-0") else text if text.startswith("-") else "+" + text


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrapped(text: str, width: int = 26) -> str:
    import textwrap

    lines = textwrap.wrap(text, width=width) or [text]
    if len(lines) > 2:  # two lines at most, and say that the label goes on
        lines = [lines[0], _short(" ".join(lines[1:]), width)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- outcomes over time
def outcomes_chart(outcomes: Sequence[Mapping[str, Any]], *, columns: int = 3,
                   panel_width: float = 3.3) -> dict[str, Any] | None:
    """Everyone's % positive in every wave with its 95% interval, one small panel per rating.

    Parameters
    ----------
    outcomes
        The summary's outcomes (``label`` and ``series``: ``{wave, pct, ci_low, ci_high}``, None when hidden).
    columns
        Panels per row (3 for a page, 2 for a phone).
    panel_width
        Inches per panel: smaller for the phone drawing, so that its text is larger once scaled to the screen.

    Returns
    -------
    dict or None
        ``src`` (PNG data URI), ``alt``, ``width``, ``height``; None when no outcome has a series.
    """
    import matplotlib

    drawn = [o for o in outcomes if any(p.get("pct") is not None for p in o.get("series") or [])]
    if not drawn:
        return None
    waves = sorted({p["wave"] for o in drawn for p in o["series"]})
    columns = max(1, min(columns, len(drawn)))
    rows = int(np.ceil(len(drawn) / columns))
    summary = []
    with matplotlib.rc_context(_RC):
        fig = _figure(panel_width * columns, 0.72 * panel_width * rows + 0.3)
        axes = np.atleast_1d(fig.subplots(rows, columns, sharey=True, squeeze=False)).ravel()
        for ax, o in zip(axes, drawn, strict=False):
            series = sorted(o["series"], key=lambda p: p["wave"])
            x = np.array([p["wave"] for p in series], dtype=float)
            y, low, high = (np.array([np.nan if p.get(key) is None else p[key] for p in series], dtype=float)
                            for key in ("pct", "ci_low", "ci_high"))
            ax.fill_between(x, low, high, color=PALETTE[0], alpha=0.18, linewidth=0)
            ax.plot(x, y, color=PALETTE[0], marker="o", markersize=4, linewidth=2)
            shown = [p for p in series if p.get("pct") is not None]
            last = shown[-1]
            ax.annotate(f"{last['pct']:.0f}%", (last["wave"], last["pct"]), xytext=(0, 7), textcoords="offset points",
                        ha="center", fontsize=10, fontweight="bold", color=PALETTE[0])
            ax.set_title(_wrapped(o["label"]), loc="left")
            ax.set_ylim(0, 100)
            ax.set_yticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"])
            ax.set_xticks(waves, [str(w) if k in (0, len(waves) - 1) or len(waves) <= 4 else f"’{str(w)[-2:]}"
                                  for k, w in enumerate(waves)])
            ax.tick_params(labelsize=9)
            ax.grid(axis="y", color=GREY, alpha=0.2)
            first = shown[0]
            hidden = len(series) - len(shown)
            summary.append(f"{o['label']}: {first['pct']:.0f}% in {first['wave']} to {last['pct']:.0f}% in "
                           f"{last['wave']}" + (f" ({hidden} wave{'s' if hidden != 1 else ''} not shown)" if hidden else ""))
        for ax in axes[len(drawn):]:
            ax.set_visible(False)
        alt = ("Line charts, one per rating, of the share of everyone answering positively in each survey wave, "
               "with shaded 95% intervals. " + "; ".join(summary) + ".")
        return _png(fig, alt)


# --------------------------------------------------------------------------- equal voice
def equal_voice_chart(equal_voice: Mapping[str, Any]) -> dict[str, Any] | None:
    """The gap between the reference group and each other group on every rating, with its interval.

    A filled dot is this cycle's gap (reference minus other) with its simultaneous
    interval; a hollow diamond is the same gap in the previous cycle's report. Right
    of 0, the reference group answered positively more often.
    """
    import matplotlib

    rows = [r for r in equal_voice.get("rows", []) if r.get("gaps")]
    if not rows:
        return None
    contrasts = list(dict.fromkeys(g["other"] for r in rows for g in r["gaps"]))
    reference = equal_voice["reference"]
    previous = equal_voice.get("previous_cycle")
    bounds = [v for r in rows for g in r["gaps"] if not g["suppressed"]
              for v in (g["ci_low"], g["ci_high"], (g.get("change") or {}).get("previous_gap_pp")) if v is not None]
    if not bounds:
        return None
    reach = max(10.0, float(np.ceil(max(abs(v) for v in bounds) / 10) * 10))
    per_row = 0.42 + 0.26 * len(contrasts)
    described = []
    with matplotlib.rc_context(_RC):
        fig = _figure(4.8, per_row * len(rows) + 1.3)
        ax = fig.subplots()
        ax.axvline(0, color=GREY, linewidth=1)
        for i, r in enumerate(rows):
            top = -i * per_row
            ax.text(-reach, top, _short(r["label"], 40), ha="left", va="center", fontsize=10.5, fontweight="bold")
            for k, g in enumerate(r["gaps"]):
                y = top - 0.26 * (k + 1)
                colour = PALETTE[contrasts.index(g["other"]) % len(PALETTE)]
                if g["suppressed"] or g["gap"] is None:
                    ax.text(0, y, "too few answers to compare", ha="center", va="center", fontsize=9, color=GREY)
                    described.append(f"{r['label']}, {g['other']}: too few answers to compare")
                    continue
                ax.plot([g["ci_low"], g["ci_high"]], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
                ax.plot([g["gap"]], [y], "o", color=colour, markersize=7)
                c = g.get("change")
                if c:
                    # Just under this cycle's line, so that an unchanged gap does not hide under its dot.
                    ax.plot([c["previous_gap_pp"]], [y - 0.11], "D", markerfacecolor="white",
                            markeredgecolor="#212B32", markersize=5.5, markeredgewidth=1.3)
                ax.text(reach, y, _signed(g["gap"]), ha="right", va="center", fontsize=10, color=colour,
                        fontweight="bold")
                text = (f"{r['label']}, {reference} minus {g['other']}: {_signed(g['gap'])} points "
                        f"({_signed(g['ci_low'])} to {_signed(g['ci_high'])})")
                if c:
                    text += f", {c['previous_cycle']} {_signed(c['previous_gap_pp'])}"
                described.append(text)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-per_row * len(rows) + 0.05, 0.3)
        ax.set_yticks([])
        ax.spines[["left", "top", "right"]].set_visible(False)
        step = 10 if reach <= 30 else 20
        xt = np.arange(-reach, reach + 0.1, step)
        ax.set_xticks(xt, [f"{v:+.0f}" if v else "0" for v in xt])
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(axis="x", color=GREY, alpha=0.15)
        who = contrasts[0] if len(contrasts) == 1 else "the other group"
        ax.set_xlabel(f"Gap in percentage points: {reference} minus {who}\n"
                      f"(right of 0: {reference} more positive)", fontsize=9.5)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=PALETTE[k % len(PALETTE)], marker="o", linewidth=3,
                          label=f"{reference} minus {other}, {equal_voice.get('wave')}") for k, other in enumerate(contrasts)]
        if previous:
            handles.append(Line2D([], [], color="#212B32", marker="D", markerfacecolor="white", linestyle="none",
                                  label=f"The same gap in {previous}"))
        fig.legend(handles=handles, loc="outside lower center", ncol=1, frameon=False, fontsize=9.5)
        alt = (f"Dot chart of the gap between {reference} and "
               f"{' and '.join(contrasts)} in the share answering positively, for every rating, with 95% intervals "
               "allowing for every comparison made"
               + (f"; hollow diamonds show the gap in {previous}" if previous else "") + ". "
               + "; ".join(described) + ".")
        return _png(fig, alt)


# --------------------------------------------------------------------------- co-production
def coproduction_chart(coproduction: Mapping[str, Any]) -> dict[str, Any] | None:
    """Share of activities at each rung of the ladder, one bar per cycle (co-produced rungs outlined)."""
    import matplotlib

    ladder = list(coproduction.get("ladder") or [])
    cycles = [c["cycle"] for c in coproduction.get("cycles") or []]
    levels = [lv for lv in coproduction.get("levels") or [] if lv.get("activity_share") is not None]
    if not ladder or not cycles or not levels:
        return None
    shares = {(lv["cycle"], lv["level"]): 100 * lv["activity_share"] for lv in levels}
    top = set(coproduction.get("coproduced_levels") or [])
    ramp = ["#D8DDE0", "#AECDE8", "#6FA8DC", "#3A7CC0", "#005EB8", "#003087", "#002060"]
    colours = ramp[-len(ladder):] if len(ladder) <= len(ramp) else [PALETTE[k % len(PALETTE)] for k in range(len(ladder))]
    described = []
    with matplotlib.rc_context(_RC):
        fig = _figure(5.2, 0.45 * len(cycles) + 1.5)
        ax = fig.subplots()
        for i, cycle in enumerate(cycles):
            left = 0.0
            parts = []
            for level, colour in zip(ladder, colours, strict=False):
                width = shares.get((cycle, level), 0.0)
                ax.barh(i, width, left=left, height=0.62, color=colour, edgecolor="#212B32" if level in top else "white",
                        linewidth=1.4 if level in top else 0.6, hatch="//" if level in top else None)
                if width >= 9:
                    ax.text(left + width / 2, i, f"{width:.0f}%", ha="center", va="center", fontsize=9,
                            color="white" if ladder.index(level) >= len(ladder) - 3 else "#212B32")
                left += width
                parts.append(f"{level} {width:.0f}%")
            described.append(f"{cycle}: " + ", ".join(parts))
        ax.set_yticks(range(len(cycles)), [_short(c, 18) for c in cycles])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"])
        ax.set_xlabel("Share of activities with a recorded level", fontsize=9.5)
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=colour, edgecolor="#212B32" if level in top else "white",
                         hatch="//" if level in top else None, label=_short(level, 22))
                   for level, colour in zip(ladder, colours, strict=False)]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(3, len(ladder)), frameon=False, fontsize=9)
        alt = ("Stacked bar chart of the share of activities at each level of involvement, one bar per cycle "
               f"(hatched: counted as co-produced, {', '.join(sorted(top))}). " + "; ".join(described) + ".")
        return _png(fig, alt)
