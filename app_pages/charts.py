"""Live training charts built from a run's metric records. Epoch curves and the
loss curve come from ``gru_core.figures``; the gradient-norm view with its
clipping events is the one chart figures.py does not have yet."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from gru_core import figures
from app_pages.common import NETWORK_NAMES

MAX_POINTS = figures.MAX_CURVE_POINTS


def epoch_curves(epochs_by_model: dict[str, list[dict]], metric: str) -> go.Figure:
    """Perplexity or tokens/s per epoch, one line per network (lockstep overlaid)."""
    named = {NETWORK_NAMES[model]: records for model, records in epochs_by_model.items()}
    return figures.epoch_curves(named, metric)


def loss_curve(batches) -> go.Figure:
    losses = {NETWORK_NAMES[model]: [r["loss"] for r in batches if r["model"] == model]
              for model in NETWORK_NAMES}
    return figures.batch_loss_curve({name: values for name, values in losses.items() if values})


def gradient_figure(batches, clip_theta: float) -> go.Figure:
    """Gradient norm before clipping per batch (log scale), the threshold θ as a
    dashed line, and the batches that were clipped marked with red crosses."""
    data = []
    for i, model in enumerate(NETWORK_NAMES):
        records = [r for r in batches if r["model"] == model]
        if not records:
            continue
        stride = max(1, -(-len(records) // MAX_POINTS))
        shown = records[::stride]
        name = NETWORK_NAMES[model]
        data.append({"type": "scatter", "mode": "lines", "name": f"{name}: gradient norm",
                     "x": np.array([r["step"] for r in shown]),
                     "y": np.array([r["grad_norm"] for r in shown]),
                     "line": {"color": figures.SERIES_COLOURS[i], "width": 2}})
        clipped = [r for r in shown if r["clipped"]]
        share = sum(r["clipped"] for r in records) / len(records)
        data.append({"type": "scatter", "mode": "markers",
                     "name": f"{name}: clipped ({share:.0%} of batches)",
                     "x": np.array([r["step"] for r in clipped]),
                     "y": np.array([r["grad_norm"] for r in clipped]),
                     "marker": {"symbol": "x", "size": 6, "color": "#d62728"}})
    layout = {"title": {"text": "Gradient norm per batch, before clipping"},
              "template": "plotly_white", "font": {"size": figures.FONT_SIZE}, "height": 420,
              "uirevision": "grad-norm", "margin": {"l": 80, "r": 30, "t": 70, "b": 60},
              "xaxis": {"title": {"text": "batch"}},
              "yaxis": {"title": {"text": "‖g‖ (log)"}, "type": "log"},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"}}
    layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                         "y0": clip_theta, "y1": clip_theta,
                         "line": {"color": "#d62728", "dash": "dash", "width": 2}}]
    layout["annotations"] = [{"xref": "paper", "x": 0, "xanchor": "left", "yref": "y",
                              "y": np.log10(clip_theta), "text": f"clip θ = {clip_theta:g}",
                              "showarrow": False, "yanchor": "bottom",
                              "font": {"color": "#d62728"}}]
    return go.Figure({"data": data, "layout": layout})
