"""Shared figure helpers and the change-over-time figures: alt text, palette, suppression."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.change import figures as change_figures
from analysis.change import over_time as change
from analysis.core import vocab  # noqa: E402
from analysis.present import figures  # noqa: E402


def test_show_figure_saves_png_with_alt_text(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    out = figures.show_figure(fig, alt="A rising line from 3 to 4.", title="Rising", path=tmp_path / "f" / "line.png")
    assert out == tmp_path / "f" / "line.png"
    meta = Image.open(out).text
    assert meta["Description"] == "A rising line from 3 to 4." and meta["Title"] == "Rising"
    assert figures.read_alt(out) == "A rising line from 3 to 4."
    assert fig.number not in plt.get_fignums()  # closed, so a notebook does not show it twice


def test_show_figure_requires_alt_text(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt text"):
        figures.show_figure(fig, alt="  ", path=tmp_path / "x.png")
    plt.close(fig)


def test_show_figure_displays_img_with_escaped_alt_in_ipython(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig, _ = plt.subplots()
    figures.show_figure(fig, alt='Bars "quoted" & <b>', title="T")
    assert len(shown) == 1
    html = shown[0].data
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)
    assert 'alt="Bars &quot;quoted&quot; &amp; &lt;b&gt;"' in html and "<figcaption>T</figcaption>" in html


def test_palette_is_valid_distinct_hex():
    for colours in (figures.PALETTE, figures.LIKERT_COLOURS):
        assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours)
        assert len(set(colours)) == len(colours)
    assert len(figures.LIKERT_COLOURS) == 5


def test_figures_module_imports_without_matplotlib():
    code = "import sys, analysis.present.figures; print('matplotlib' in sys.modules, 'IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _results_with_hidden_cell() -> pd.DataFrame:
    rows = [("q", g, w, int(n * 0.7), n) for g in ("A", "B") for w in (2023, 2024, 2025)
            for n in [6 if (g == "B" and w == 2025) else 100]]
    table = pd.DataFrame(rows, columns=["item", "group", "wave", "positives", "base"])
    cells, _ = change.cells_from_aggregate(table, wave_column="wave", base_column="base", positives_column="positives",
                                           group_column="group", item_column="item")
    return change.analyse_change(cells, threshold=10).results


def test_trend_figure_leaves_suppressed_cells_out():
    results = _results_with_hidden_cell()
    fig, alt = change_figures.trend_figure(results, groups=["A", "B"], item_labels={"q": "Question"})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    b = lines["B"].get_ydata()
    assert np.isnan(b[-1]) and np.isfinite(b[:-1]).all()
    assert "Question, B: some waves not shown" in alt and "95% confidence" in alt
    plt.close(fig)


def test_diverging_bars_hide_small_waves_and_describe_them():
    rng = np.random.default_rng(0)
    rows = []
    for wave, n in ((2024, 50), (2025, 7)):
        rows += [{"item": "q", "group": "all", "wave": wave, "respondent": str(i), "person": pd.NA,
                  "score": float(rng.integers(1, 6)), "excluded": False, "dont_know": False,
                  "positive": np.nan, "weight": np.nan} for i in range(n)]
    answers = pd.DataFrame(rows)
    answers["positive"] = (answers["score"] >= 4).astype(float)
    table = change_figures.likert_distribution(answers, "q", threshold=10)
    assert table.loc[table["wave"] == 2025, "suppressed"].all()
    assert table.loc[table["wave"] == 2025, ["Agree", "base"]].isna().all().all()
    assert table.loc[table["wave"] == 2024, list(vocab.LIKERT_LEVELS)].sum(axis=1).iloc[0] == pytest.approx(100)
    fig, alt = change_figures.diverging_bars(answers, "q", threshold=10, label="Question")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "fewer than 10 answers" in texts
    assert "'Question'" in alt and "2025" not in alt
    plt.close(fig)
