"""The gate saturation scatter: per unit, how often shut against how often open."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..interpret import QUANTITY_NAMES, QUANTITY_SYMBOLS, Saturation
from .style import QUANTITY_COLOURS, base_layout

# Room for the "100%" tick labels and the axis titles beside them (and
# automargin where a larger font needs more).
SATURATION_MARGIN = {"l": 100, "r": 30, "t": 70, "b": 90}


def saturation_scatter(saturation: Saturation) -> go.Figure:
    """One point per unit and gate: how often it is nearly shut (< low) against
    how often nearly open (> high). Points on the diagonal are always saturated."""
    units = np.arange(len(saturation.update_low))
    data = [{"type": "scatter", "mode": "lines", "x": [0, 1], "y": [1, 0], "hoverinfo": "skip",
             "line": {"color": "#999999", "dash": "dot"}, "name": "always saturated"}]
    for gate, low, high in (("update_gate", saturation.update_low, saturation.update_high),
                            ("reset_gate", saturation.reset_low, saturation.reset_high)):
        data.append({"type": "scatter", "mode": "markers", "name": QUANTITY_NAMES[gate],
                     "x": low, "y": high, "customdata": units,
                     "marker": {"color": QUANTITY_COLOURS[gate], "size": 9, "opacity": 0.75},
                     "hovertemplate": (f"{QUANTITY_SYMBOLS[gate]}, unit %{{customdata}}<br>"
                                       f"< {saturation.low:g}: %{{x:.1%}}<br>"
                                       f"> {saturation.high:g}: %{{y:.1%}}<extra></extra>")})
    layout = base_layout(f"Gate saturation over {saturation.num_chars:,} characters",
                         f"characters with gate < {saturation.low:g} (shut)",
                         f"characters with gate > {saturation.high:g} (open)", "saturation",
                         height=560, margin=dict(SATURATION_MARGIN))
    for axis in ("xaxis", "yaxis"):
        layout[axis] |= {"range": [-0.02, 1.02], "tickformat": ".0%", "automargin": True,
                         "title": layout[axis]["title"] | {"standoff": 12}}
    return go.Figure({"data": data, "layout": layout})
