"""Prediction figures: the top-k strip and log p of each actual next character."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..interpret import TopK
from .style import (PROBABILITY_SCALE, SERIES_COLOURS, base_layout, char_axis, checked_chars,
                    display_char, plotly_scale, position_labels)

ORDINALS = ("1st", "2nd", "3rd")


def top_k_strip(chars: Sequence[str], predictions: TopK, unknown_positions: Sequence[int] = (),
                window: int | None = 60) -> go.Figure:
    """Under each character, the k likeliest next characters, shaded by probability."""
    labels = position_labels(checked_chars(chars, len(predictions.probs)), unknown_positions)
    k = predictions.probs.shape[1]
    ranks = [ORDINALS[r] if r < len(ORDINALS) else f"{r + 1}th" for r in range(k)]
    text = [[display_char(row[r]) for row in predictions.chars] for r in range(k)]
    layout = base_layout(f"Top-{k} next characters", "", "rank", "top-k", height=120 + 45 * k)
    layout["xaxis"] = char_axis(chars, labels, window, unknown_positions)
    layout["yaxis"] |= {"autorange": "reversed"}
    return go.Figure({"data": [{
        "type": "heatmap", "z": np.ascontiguousarray(predictions.probs.T), "x": labels,
        "y": ranks, "text": text, "texttemplate": "%{text}", "zmin": 0, "zmax": 1,
        "colorscale": plotly_scale(PROBABILITY_SCALE), "colorbar": {"title": {"text": "p"}},
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
