"""The parity figure: per-step |scratch - nn.GRU| against float32 rounding."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..interpret import ParityReport
from .style import base_layout

PARITY_COLOURS = {"reset-after": "#2ca02c", "reset-before": "#d62728"}
PARITY_NAMES = {"reset-after": "reset-after (nn.GRU's convention)",
                "reset-before": "reset-before (d2l's cell)"}
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def parity_figure(report: ParityReport, floor: float = 1e-10) -> go.Figure:
    """Per-step max |scratch - nn.GRU|, log scale; exact zeros drawn at ``floor``."""
    data = []
    for name in report.hidden_diff:
        for what, values, dash in (("hidden state", report.hidden_diff[name], "solid"),
                                   ("outputs", report.output_diff[name], "dot")):
            data.append({"type": "scatter", "mode": "lines",
                         "name": f"{PARITY_NAMES[name]}: {what}",
                         "x": np.arange(len(values)), "y": np.maximum(values, floor),
                         "customdata": values,
                         "line": {"color": PARITY_COLOURS[name], "dash": dash, "width": 3},
                         "hovertemplate": f"{name}, {what}<br>step %{{x}}<br>"
                                          f"max |Δ| = %{{customdata:.2e}}<extra></extra>"})
    steps = len(next(iter(report.hidden_diff.values())))
    data.append({"type": "scatter", "mode": "lines", "name": "float32 ε (rounding level)",
                 "x": [0, max(steps - 1, 1)], "y": [FLOAT32_EPS, FLOAT32_EPS], "hoverinfo": "skip",
                 "line": {"color": "#555555", "dash": "dash", "width": 2}})
    layout = base_layout("Scratch cell with nn.GRU's weights vs nn.GRU", "time step",
                         "max |Δ| over units (log)", "parity", height=460)
    layout["yaxis"] |= {"type": "log", "exponentformat": "power"}
    return go.Figure({"data": data, "layout": layout})
