"""The parity figure: per-step |scratch - nn.GRU| against the measured rounding level."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..interpret import ParityReport
from .curves import BELOW_LEGEND, LEGEND_MARGIN
from .style import base_layout, log_axis

PARITY_COLOURS = {"reset-after": "#2ca02c", "reset-before": "#d62728"}
PARITY_NAMES = {"reset-after": "reset-after (nn.GRU's convention)",
                "reset-before": "reset-before (d2l's cell)"}
# float32's machine epsilon: the size of one rounding of a number near 1. Not
# the rounding level of a whole step (that grows with the sums and the steps),
# which the figure draws as measured against float64 (ParityReport).
FLOAT32_EPS = float(np.finfo(np.float32).eps)
ROUNDING_NAME = "float32 rounding level (measured against float64)"
# The background line's colour; it is drawn first so the cells' lines lie on it.
ROUNDING_COLOUR = "#555555"


def parity_figure(report: ParityReport, floor: float = 1e-10) -> go.Figure:
    """Per-step max |scratch - nn.GRU|, log scale; exact zeros drawn at ``floor``.
    The dashed lines are the rounding level measured per step (hidden state and
    outputs): under them a difference is float32 rounding, far above it a
    different formula."""
    data = []
    levels = {"hidden state": report.hidden_rounding, "outputs": report.output_rounding}
    for (what, level), dash in zip(levels.items(), ("dash", "dashdot")):
        if level is None:
            continue
        data.append({"type": "scatter", "mode": "lines", "name": f"{ROUNDING_NAME}: {what}",
                     "x": np.arange(len(level)), "y": np.maximum(level, floor),
                     "customdata": level,
                     "line": {"color": ROUNDING_COLOUR, "dash": dash, "width": 2},
                     "hovertemplate": f"rounding level, {what}<br>step %{{x}}<br>"
                                      f"%{{customdata:.2e}}<extra></extra>"})
    shown = []
    for name in report.hidden_diff:
        for what, values, dash in (("hidden state", report.hidden_diff[name], "solid"),
                                   ("outputs", report.output_diff[name], "dot")):
            shown.append(np.maximum(values, floor))
            data.append({"type": "scatter", "mode": "lines",
                         "name": f"{PARITY_NAMES[name]}: {what}",
                         "x": np.arange(len(values)), "y": np.maximum(values, floor),
                         "customdata": values,
                         "line": {"color": PARITY_COLOURS[name], "dash": dash, "width": 3},
                         "hovertemplate": f"{name}, {what}<br>step %{{x}}<br>"
                                          f"max |Δ| = %{{customdata:.2e}}<extra></extra>"})
    shown += [np.maximum(level, floor) for level in levels.values() if level is not None]
    layout = base_layout("Scratch cell with nn.GRU's weights vs nn.GRU", "time step",
                         "max |Δ| over units (log)", "parity", height=560, legend=BELOW_LEGEND,
                         margin=dict(LEGEND_MARGIN) | {"b": 200})
    layout["yaxis"] |= log_axis(np.concatenate(shown), floor)
    return go.Figure({"data": data, "layout": layout})
