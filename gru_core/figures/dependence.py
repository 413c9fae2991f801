"""The best-gates exercise as a figure: how much the output at step t depends
on each input x_s, one bar per input, with the value written on each bar, so
an exact zero reads "0" and a tiny leak reads as the number it is."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..interpret import GateDependence
from .style import NEGATIVE, SERIES_COLOURS, base_layout, display_char

ZERO_COLOUR = "#bdbdbd"


def dependence_label(value: float) -> str:
    """"0" for an exact zero (no path left), else three significant digits."""
    return "0" if value == 0.0 else f"{value:.3g}"


def dependence_bars(chars: Sequence[str], result: GateDependence, source: int | None = None,
                    title: str | None = None) -> go.Figure:
    """One bar per input x_0..x_t: the norm of d logits_t / d x_s. ``source``
    (t′) is drawn in the series colour, other inputs the output still depends
    on in red (they leak), exact zeros in grey with "0" written on them. The
    bars are each input's share of the total; the text is the raw norm."""
    steps = np.arange(len(result.dependence))
    labels = [f"x_{s}<br>'{display_char(chars[s])}'" for s in steps]   # two short lines
    share = result.share
    colours = [ZERO_COLOUR if value == 0.0 else SERIES_COLOURS[0] if s == source else NEGATIVE
               for s, value in zip(steps, result.dependence)]
    text = [dependence_label(value) for value in result.dependence]
    layout = base_layout(title or f"What the output O_{result.target} depends on",
                         "input x_s (character read at step s)",
                         "share of the dependence", "gate-dependence", height=420)
    layout["xaxis"] |= {"type": "category", "tickangle": 0}
    top = float(share.max()) if share.size else 0.0
    # room above the tallest bar for its number (drawn in the margin past 100%)
    layout["yaxis"] |= {"tickformat": ".0%", "range": [0, min(max(top, 0.04) * 1.25, 1.0)]}
    return go.Figure({"data": [{
        "type": "bar", "x": labels, "y": share, "marker": {"color": colours},
        "text": text, "textposition": "outside", "cliponaxis": False,
        "customdata": np.stack([result.dependence, steps], axis=1),
        "hovertemplate": "input %{x}<br>‖∂ logits / ∂ x_s‖ = %{text}<br>share %{y:.1%}"
                         "<extra></extra>"}], "layout": layout})
