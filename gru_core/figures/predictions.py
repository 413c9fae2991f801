"""Prediction figures: the top-k strip and log p of each actual next character."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..interpret import TopK
from .style import (ALIGNED_COLORBAR, ALIGNED_MARGIN, CHAR_WINDOW, PROBABILITY_SCALE,
                    SERIES_COLOURS, base_layout, char_axis, char_window, checked_chars,
                    display_char, plotly_scale, position_labels, window_axis)

ORDINALS = ("1st", "2nd", "3rd")
RANK_GAP = 12   # px between the rank labels and the first column of letters


def top_k_strip(chars: Sequence[str], predictions: TopK, unknown_positions: Sequence[int] = (),
                window: int | None = CHAR_WINDOW, *, window_start: int = 0) -> go.Figure:
    """Under each character, the k likeliest next characters, shaded by
    probability. Same x categories, window, margins and colour-bar place as
    ``quantity_heatmap``, so drawn under it the columns line up; the rank
    labels sit clear of the first column."""
    chars = checked_chars(chars, len(predictions.probs))
    labels = position_labels(chars, unknown_positions)
    shown = char_window(len(chars), window, window_start)
    k = predictions.probs.shape[1]
    ranks = [ORDINALS[r] if r < len(ORDINALS) else f"{r + 1}th" for r in range(k)]
    text = [[display_char(row[r]) for row in predictions.chars[shown]] for r in range(k)]
    layout = base_layout(f"Top-{k} next characters", "", "rank", "top-k", height=120 + 45 * k,
                         margin=dict(ALIGNED_MARGIN))
    layout["xaxis"] = window_axis(chars, labels, shown, unknown_positions)
    layout["yaxis"] |= {"autorange": "reversed", "ticks": "outside", "ticklen": RANK_GAP,
                        "tickcolor": "rgba(0,0,0,0)"}
    return go.Figure({"data": [{
        "type": "heatmap", "z": np.ascontiguousarray(predictions.probs[shown].T),
        "x": labels[shown], "y": ranks, "text": text, "texttemplate": "%{text}", "zmin": 0,
        "zmax": 1, "colorscale": plotly_scale(PROBABILITY_SCALE),
        "colorbar": {"title": {"text": "p"}, **ALIGNED_COLORBAR},
        "hovertemplate": "after %{x}<br>%{y}: '%{text}', p = %{z:.3f}<extra></extra>"}],
        "layout": layout})


def log_prob_comparison(chars: Sequence[str], next_log_probs: dict[str, np.ndarray],
                        window: int | None = 100) -> go.Figure:
    """log p(actual next character) after each position, one line per model
    (e.g. unclamped vs clamped)."""
    labels = position_labels(list(chars))[:-1]
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": labels,
             "y": np.asarray(values, np.float64), "line": {"color": SERIES_COLOURS[i % 6]},
             "hovertemplate": f"{name}<br>after %{{x}}<br>log p = %{{y:.3f}}<extra></extra>"}
            for i, (name, values) in enumerate(next_log_probs.items())]
    layout = base_layout("How well each next character was predicted", "",
                         "log p(actual next character)", "log-prob-comparison", height=420)
    layout["xaxis"] = char_axis(list(chars)[:-1], labels, window)
    return go.Figure({"data": data, "layout": layout})
