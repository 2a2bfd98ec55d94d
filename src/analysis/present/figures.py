"""Shared figure helpers: one palette, and figures that always carry a title and alt text.

Import-light on purpose (no matplotlib or IPython at import time) so that any
module, including fast-importing CLI modules, may import the constants.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from analysis.core import paths

#: Categorical colours: NHS identity colours ordered so that the first ones stay
#: distinguishable under the common colour-vision deficiencies (blue / orange first,
#: as in Okabe & Ito's palette), then darker and lighter variants.
PALETTE: tuple[str, ...] = (
    "#005EB8",  # NHS Blue
    "#ED8B00",  # NHS Orange
    "#330072",  # NHS Purple
    "#41B6E6",  # NHS Light Blue
    "#AE2573",  # NHS Pink
    "#00A499",  # NHS Aqua Green
    "#425563",  # NHS Dark Grey
    "#FFB81C",  # NHS Warm Yellow
)
#: Diverging colours for a five-point agreement scale (strongly disagree .. strongly agree):
#: orange-to-blue, safe for red-green colour blindness, neutral in NHS pale grey.
LIKERT_COLOURS: tuple[str, ...] = ("#B35806", "#F1A340", "#D8DDE0", "#41B6E6", "#005EB8")
#: Neutral grey for reference lines and text.
GREY = "#425563"

ALT_SUFFIX = ".alt.txt"


def alt_path(png: str | Path) -> Path:
    """Side-car file holding a figure's alt text (``figure.png`` -> ``figure.alt.txt``)."""
    png = Path(png)
    return png.with_name(png.stem + ALT_SUFFIX)


def read_alt(png: str | Path) -> str | None:
    """The alt text recorded for a saved figure, or None."""
    path = alt_path(png)
    return path.read_text(encoding="utf-8") if path.exists() else None


def show_figure(fig: Any, alt: str, title: str | None = None, path: str | Path | None = None,
                *, dpi: int = 150, display: bool = True) -> Path | None:
    """Save and display a matplotlib figure with its alt text.

    Parameters
    ----------
    fig
        A ``matplotlib.figure.Figure`` (or seaborn grid with a ``.figure``).
    alt
        Alt text: what the figure shows and its main message, for screen readers.
    title
        Figure title; set as the figure's suptitle when given.
    path
        PNG to write. The alt text is stored in the PNG (``Description``) and in a
        side-car ``<stem>.alt.txt`` that report builders read (:func:`read_alt`).
    dpi
        Resolution of the saved and displayed image.
    display
        Show in a notebook as ``<img alt=...>`` (base64 embedded); a no-op outside IPython.

    Returns
    -------
    Path or None
        The PNG written, if any.
    """
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    figure = getattr(fig, "figure", fig)
    if title:
        figure.suptitle(title)
    metadata = {"Title": title or "", "Description": alt}
    written = None
    if path is not None:
        written = paths.resolve(path)  # a relative path is the repository's, wherever the kernel runs
        written.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(written, dpi=dpi, bbox_inches="tight", metadata=metadata)
        alt_path(written).write_text(alt, encoding="utf-8")
    if display:
        try:
            from IPython import get_ipython
            from IPython.display import HTML
            from IPython.display import display as ipy_display
        except ImportError:  # plain Python: nothing to show
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata=metadata)
            encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
            caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
            ipy_display(HTML(f'<figure><img src="data:image/png;base64,{encoded}" '
                             f'alt="{html.escape(alt, quote=True)}" style="max-width:100%"/>{caption}</figure>'))
    import matplotlib.pyplot as plt

    # Closing stops the inline backend from showing the figure a second time without alt text.
    plt.close(figure)
    return written
