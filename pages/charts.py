"""Training curves as plain Plotly dicts (not ``go.Figure``: a dict builds and
serialises several times faster, which matters on every live tick).

Every figure has a constant ``uirevision`` so a user's zoom survives the
refreshes, and long histories are downsampled before they are drawn.
"""
from __future__ import annotations

from pages.common import NETWORK_NAMES, downsample_stride

MODEL_COLOURS = {"scratch": "#1f77b4", "concise": "#ff7f0e"}
MAX_POINTS = 1500


def _layout(title: str, x_title: str, y_title: str, **extra) -> dict:
    return {"title": {"text": title}, "uirevision": title, "height": 320,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1,
                       "xanchor": "right"}, **extra}


def _line(x, y, model: str, **extra) -> dict:
    return {"type": "scatter", "mode": "lines+markers" if len(x) < 60 else "lines",
            "x": x, "y": y, "name": NETWORK_NAMES.get(model, model),
            "line": {"color": MODEL_COLOURS.get(model)}, **extra}


def per_epoch_figure(epochs_by_model: dict[str, list[dict]], field: str, title: str,
                     y_title: str, log_y: bool = False) -> dict:
    """One line per model over epochs (perplexity, tokens/s)."""
    data = []
    for model, records in epochs_by_model.items():
        records = records[::downsample_stride(len(records), MAX_POINTS)]
        data.append(_line([r["epoch"] for r in records], [r[field] for r in records], model))
    layout = _layout(title, "epoch", y_title)
    if log_y:
        layout["yaxis"]["type"] = "log"
    return {"data": data, "layout": layout}


def batch_figure(batches, clip_theta: float) -> dict:
    """Per-batch loss (left axis) and gradient norm (right axis) with clipping
    events marked and the clipping threshold drawn."""
    data = []
    for model in ("scratch", "concise"):
        records = [r for r in batches if r["model"] == model]
        if not records:
            continue
        stride = downsample_stride(len(records), MAX_POINTS)
        shown = records[::stride]
        steps = [r["step"] for r in shown]
        name = NETWORK_NAMES[model]
        data.append(_line(steps, [r["loss"] for r in shown], model, name=f"loss · {name}"))
        data.append(_line(steps, [r["grad_norm"] for r in shown], model, yaxis="y2",
                          name=f"grad norm · {name}", opacity=0.45,
                          line={"color": MODEL_COLOURS[model], "dash": "dot"}))
        clipped = [r for r in shown if r["clipped"]]
        data.append({"type": "scatter", "mode": "markers", "yaxis": "y2",
                     "x": [r["step"] for r in clipped], "y": [r["grad_norm"] for r in clipped],
                     "name": f"clipped · {name}", "marker": {"symbol": "x", "size": 5,
                                                             "color": "#d62728"}})
    layout = _layout("Per-batch loss and gradient norm", "batch", "cross-entropy loss",
                     yaxis2={"title": {"text": "gradient norm (before clipping)"},
                             "overlaying": "y", "side": "right", "type": "log",
                             "showgrid": False},
                     shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2",
                              "y0": clip_theta, "y1": clip_theta,
                              "line": {"color": "#d62728", "dash": "dash", "width": 1}}])
    return {"data": data, "layout": layout}
