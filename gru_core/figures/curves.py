"""Training curves: metrics per epoch, loss per batch, gradient norms, and
dashed markers on them (the epoch shown, learning-rate changes)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import NEGATIVE, SERIES_COLOURS, base_layout

MAX_CURVE_POINTS = 1500
CURVE_METRICS = {"perplexity": "perplexity", "tokens_per_second": "tokens/s",
                 "seconds": "seconds per epoch"}
MARKER_COLOUR = "#d62728"
MAX_MARKERS = 20   # a run whose learning rate changed more often marks only the latest
# The legend in a row above the plot: Plotly's default column beside it narrows the curves.
TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom"}


def downsample(x, y, max_points: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points``: bucket means of all but the last point, then the
    last point itself, so the current value is always shown exactly."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) <= max_points:
        return x, y
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2 (got {max_points})")
    buckets = np.array_split(np.arange(len(x) - 1), max_points - 1)
    means = [(x[b].mean(), y[b].mean()) for b in buckets]
    return (np.append([m[0] for m in means], x[-1]), np.append([m[1] for m in means], y[-1]))


def _curve_figure(series: dict[str, tuple], title: str, x_title: str, y_title: str,
                  uirevision: str, max_points: int, log_y: bool) -> go.Figure:
    data = []
    for i, (name, (x, y)) in enumerate(series.items()):
        x, y = downsample(x, y, max_points)
        data.append({"type": "scatter", "mode": "lines",
                     "name": name, "x": x, "y": y,
                     "line": {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 3},
                     "hovertemplate": f"{name}<br>{x_title} %{{x:.0f}}<br>{y_title} %{{y:.4g}}"
                                      f"<extra></extra>"})
    layout = base_layout(title, x_title, y_title, uirevision, height=420, legend=TOP_LEGEND)
    if log_y:
        layout["yaxis"]["type"] = "log"
    return go.Figure({"data": data, "layout": layout})


def epoch_curves(histories: dict[str, Sequence[dict]], metric: str = "perplexity",
                 max_points: int = MAX_CURVE_POINTS, log_y: bool = False) -> go.Figure:
    """A metric over epochs for one or more models, overlaid. ``histories`` maps
    a model's label to its ``History.epochs`` records."""
    if metric not in CURVE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(CURVE_METRICS)} (got '{metric}')")
    series = {name: ([r["epoch"] for r in records], [r[metric] for r in records])
              for name, records in histories.items()}
    return _curve_figure(series, f"{CURVE_METRICS[metric].capitalize()} per epoch", "epoch",
                         CURVE_METRICS[metric], f"epochs-{metric}", max_points, log_y)


def batch_loss_curve(losses: dict[str, Sequence[float]],
                     max_points: int = MAX_CURVE_POINTS) -> go.Figure:
    """Per-batch training loss (cross-entropy), one line per model."""
    series = {name: (np.arange(1, len(values) + 1), values) for name, values in losses.items()}
    return _curve_figure(series, "Loss per batch", "batch", "cross-entropy", "batch-loss",
                         max_points, log_y=False)


def gradient_norm_figure(records_by_model: dict[str, Sequence[dict]], clip_theta: float,
                         max_points: int = MAX_CURVE_POINTS) -> go.Figure:
    """Gradient norm before clipping per batch (log scale), the threshold θ
    dashed, clipped batches as red crosses. Records are ``{"step", "grad_norm",
    "clipped"}``; every ``n``-th is drawn (not bucket means: spikes matter here)."""
    data = []
    for i, (name, records) in enumerate(records_by_model.items()):
        shown = list(records)[::max(1, -(-len(records) // max_points))]
        clipped = [r for r in shown if r["clipped"]]
        share = sum(bool(r["clipped"]) for r in records) / max(len(records), 1)
        data += [{"type": "scatter", "mode": "lines", "name": f"{name}: gradient norm",
                  "x": np.array([r["step"] for r in shown]),
                  "y": np.array([r["grad_norm"] for r in shown], np.float64),
                  "line": {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 2}},
                 {"type": "scatter", "mode": "markers",
                  "name": f"{name}: clipped ({share:.0%} of batches)",
                  "x": np.array([r["step"] for r in clipped]),
                  "y": np.array([r["grad_norm"] for r in clipped], np.float64),
                  "marker": {"symbol": "x", "size": 7, "color": NEGATIVE}}]
    steps = [r["step"] for records in records_by_model.values() for r in records] or [0, 1]
    data.append({"type": "scatter", "mode": "lines", "name": f"clip θ = {clip_theta:g}",
                 "x": [min(steps), max(steps)], "y": [clip_theta, clip_theta], "hoverinfo": "skip",
                 "line": {"color": NEGATIVE, "dash": "dash", "width": 2}})
    layout = base_layout("Gradient norm per batch, before clipping", "batch", "‖g‖ (log)",
                         "grad-norm", height=420, legend=TOP_LEGEND)
    layout["yaxis"]["type"] = "log"
    return go.Figure({"data": data, "layout": layout})


def add_markers(figure: go.Figure, markers: Sequence[tuple[float, str]],
                colour: str = MARKER_COLOUR) -> go.Figure:
    """Dashed vertical lines at the given x, each labelled at the top (e.g.
    ``(12.5, "lr → 0.5")``); at most the last ``MAX_MARKERS``. Returns the figure."""
    for x, label in list(markers)[-MAX_MARKERS:]:
        figure.add_vline(x=x, line_dash="dash", line_color=colour, line_width=2,
                         annotation_text=label, annotation_position="top left",
                         annotation_font_color=colour)
    return figure
