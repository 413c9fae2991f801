"""Saliency figures: influence of each earlier character, and memory reach."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from ..interpret import MemoryReach, Saliency
from .style import (SALIENCY_SCALE, SERIES_COLOURS, base_layout, char_axis, display_char,
                    position_labels, scale_colour)


def saliency_bars(chars: Sequence[str], result: Saliency, target_char: str,
                  window: int | None = None) -> go.Figure:
    """Each earlier character's share of the influence on one prediction, in %
    (as the memory-reach curve), every character from the first to the one
    just read; ``window`` (None: all) shows only the last ``window`` of them."""
    shown = list(chars)[:result.position + 1]
    labels = position_labels(shown)
    colours = [scale_colour(SALIENCY_SCALE, w / max(result.weights.max(), 1e-12))
               for w in result.weights]
    layout = base_layout(f"What moves log p('{display_char(target_char)}') after position "
                         f"{result.position}", "", "share of influence", "saliency", height=420)
    layout["xaxis"] = char_axis(shown, labels, None)
    if window is not None and len(shown) > window:
        layout["xaxis"]["range"] = [len(shown) - window - 0.5, len(shown) - 0.5]
    else:
        layout["xaxis"]["range"] = [-0.5, len(shown) - 0.5]   # the first character too
    layout["yaxis"] |= {"tickformat": ".0%", "rangemode": "tozero"}
    return go.Figure({"data": [{
        "type": "bar", "x": labels, "y": result.weights, "marker": {"color": colours},
        "customdata": result.distances,
        "hovertemplate": "%{x}<br>%{customdata} steps back<br>share %{y:.1%}<extra></extra>"}],
        "layout": layout})


def memory_reach_figure(reaches: dict[str, MemoryReach]) -> go.Figure:
    """How far back each model looks: mean saliency by distance, one line each."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{name} "
             f"({reach.num_positions} positions)", "x": reach.distances, "y": reach.mean_saliency,
             "line": {"color": SERIES_COLOURS[i % 6], "width": 3},
             "hovertemplate": f"{name}<br>%{{x}} steps back: %{{y:.1%}}<extra></extra>"}
            for i, (name, reach) in enumerate(reaches.items())]
    layout = base_layout("How far back does the model look?",
                         "steps back from the predicted character (1 = the character just read)",
                         "mean share of influence", "memory-reach", height=460)
    layout["yaxis"] |= {"tickformat": ".0%", "rangemode": "tozero"}
    return go.Figure({"data": data, "layout": layout})
