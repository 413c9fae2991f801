"""Training curves: metrics per epoch, loss per batch, gradient norms, dashed
markers on them (the epoch shown, learning-rate changes), and the perplexity
curve with the snapshot epochs marked (for the gates-over-training slider).
Legends sit below the plot, never over the title; log axes carry clean
1, 2, 5, 10 ... ticks (``style.log_axis``)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import NEGATIVE, SERIES_COLOURS, base_layout, log_axis

MAX_CURVE_POINTS = 1500
CURVE_METRICS = {"perplexity": "perplexity", "heldout_perplexity": "held-out perplexity",
                 "tokens_per_second": "tokens/s", "seconds": "seconds per epoch"}
# The legend in a row under the x axis title: beside the plot it narrows the
# curves, above it it collides with the title.
BELOW_LEGEND = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.2, "yanchor": "top"}
LEGEND_MARGIN = {"l": 80, "r": 30, "t": 70, "b": 120}
MARKER_COLOUR = "#d62728"
MAX_MARKERS = 20   # a run whose learning rate changed more often marks only the latest


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


def _curve_layout(title: str, x_title: str, y_title: str, uirevision: str,
                  log_values=None) -> dict:
    layout = base_layout(title, x_title, y_title, uirevision, height=440, legend=BELOW_LEGEND,
                         margin=dict(LEGEND_MARGIN))
    if log_values is not None:
        layout["yaxis"] |= log_axis(log_values)
    return layout


def _curve_figure(series: dict[str, tuple], title: str, x_title: str, y_title: str,
                  uirevision: str, max_points: int, log_y: bool,
                  dashed: Sequence[str] = ()) -> go.Figure:
    data, shown = [], []
    for i, (name, (x, y)) in enumerate(series.items()):
        x, y = downsample(x, y, max_points)
        shown.append(y)
        base = name.removesuffix(" (held-out)")
        colour = SERIES_COLOURS[list(dict.fromkeys(n.removesuffix(" (held-out)")
                                                   for n in series)).index(base) % 6]
        data.append({"type": "scatter", "mode": "lines", "name": name, "x": x, "y": y,
                     "line": {"color": colour, "width": 3,
                              "dash": "dash" if name in dashed else "solid"},
                     "hovertemplate": f"{name}<br>{x_title} %{{x:.0f}}<br>{y_title} %{{y:.4g}}"
                                      f"<extra></extra>"})
    values = np.concatenate(shown) if shown else np.array([1.0, 10.0])
    return go.Figure({"data": data, "layout": _curve_layout(
        title, x_title, y_title, uirevision, values[values > 0] if log_y else None)})


def epoch_curves(histories: dict[str, Sequence[dict]], metric: str = "perplexity",
                 max_points: int = MAX_CURVE_POINTS, log_y: bool = False) -> go.Figure:
    """A metric over epochs for one or more models, overlaid. ``histories`` maps
    a model's label to its ``History.epochs`` records. For perplexity, records
    that carry ``heldout_perplexity`` add a dashed held-out line per model."""
    if metric not in CURVE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(CURVE_METRICS)} (got '{metric}')")

    def line(records, key):
        kept = [r for r in records if r.get(key) is not None]
        return [r["epoch"] for r in kept], [r[key] for r in kept]
    series, dashed = {}, []
    for name, records in histories.items():
        series[name] = line(records, metric)
        if metric == "perplexity" and line(records, "heldout_perplexity")[0]:
            series[f"{name} (held-out)"] = line(records, "heldout_perplexity")
            dashed.append(f"{name} (held-out)")
    return _curve_figure(series, f"{CURVE_METRICS[metric].capitalize()} per epoch", "epoch",
                         CURVE_METRICS[metric], f"epochs-{metric}", max_points, log_y, dashed)


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
    "clipped"}``; long runs show each bucket's largest norm (not bucket means,
    nor every n-th batch: spikes matter here)."""
    data, norms = [], [clip_theta]
    for i, (name, records) in enumerate(records_by_model.items()):
        shown = bucket_peaks(list(records), max_points)
        clipped = [r for r in shown if r["clipped"]]
        share = sum(bool(r["clipped"]) for r in records) / max(len(records), 1)
        norms += [r["grad_norm"] for r in shown]
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
    norms = np.asarray(norms, np.float64)
    layout = _curve_layout("Gradient norm per batch, before clipping", "batch", "‖g‖ (log)",
                           "grad-norm", norms[norms > 0])
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


def bucket_peaks(records: list[dict], max_points: int, key: str = "grad_norm") -> list[dict]:
    """At most ``max_points`` records: from each run of consecutive ones the
    one with the largest ``key``, so no spike is lost; the last record always."""
    if len(records) <= max_points:
        return records
    buckets = np.array_split(np.arange(len(records) - 1), max_points - 1)
    return [max((records[j] for j in bucket), key=lambda r: r[key]) for bucket in buckets
            ] + [records[-1]]


def snapshot_curve(records: Sequence[dict], snapshot_epochs: Sequence[int],
                   selected: int | None = None, name: str = "training") -> go.Figure:
    """Perplexity per epoch (log scale) with the snapshot epochs marked and
    labelled on the axis, and ``selected`` (the slider's epoch) highlighted:
    the ticks a gates-over-training slider lacks. Records are
    ``History.epochs``; a held-out line is drawn where they carry one."""
    figure = epoch_curves({name: records}, "perplexity", log_y=True)
    by_epoch = {r["epoch"]: r["perplexity"] for r in records}
    marked = sorted(int(e) for e in snapshot_epochs)
    if not marked:
        raise ValueError("there are no snapshot epochs to mark")
    # epoch 0 (the initial weights) has no record: drawn at the highest perplexity
    start = max(by_epoch.values(), default=1.0)
    y = np.array([by_epoch.get(e, start) for e in marked], np.float64)
    figure.add_scatter(x=marked, y=y, mode="markers", name="snapshots",
                       marker={"size": 11, "color": "#ffffff", "line": {"width": 2,
                                                                    "color": "#333333"}},
                       hovertemplate="snapshot after epoch %{x}<br>perplexity %{y:.3g}"
                                     "<extra></extra>")
    if selected is not None:
        if selected not in marked:
            raise ValueError(f"epoch {selected} has no snapshot (snapshots: {marked})")
        figure.add_scatter(x=[selected], y=[by_epoch.get(selected, start)], mode="markers",
                           name=f"shown: epoch {selected}",
                           marker={"size": 16, "color": NEGATIVE, "symbol": "diamond"})
        figure.add_vline(x=selected, line={"color": NEGATIVE, "dash": "dot", "width": 2})
    figure.update_layout(title={"text": "Perplexity per epoch; circles: parameter snapshots"},
                         uirevision="snapshot-curve")
    labelled = thinned_ticks(marked)
    figure.update_xaxes(tickmode="array", tickvals=labelled,
                        ticktext=[str(e) for e in labelled], tickangle=0)
    return figure


def thinned_ticks(epochs: Sequence[int], min_gap: float = 0.04) -> list[int]:
    """The epochs to label on a linear axis: each at least ``min_gap`` of the
    axis from the last one labelled, the last epoch always (its marker stays
    either way): log-spaced snapshots 0, 1, 2, 5 ... 500 crowd the start."""
    epochs = sorted(epochs)
    span = max(epochs[-1] - epochs[0], 1)
    kept = [epochs[0]]
    for epoch in epochs[1:]:
        if epoch - kept[-1] >= min_gap * span:
            kept.append(epoch)
    if kept[-1] != epochs[-1]:
        if epochs[-1] - kept[-1] < min_gap * span and len(kept) > 1:
            kept.pop()
        kept.append(epochs[-1])
    return kept
