"""Heatmaps of a trace: units by characters, one quantity or all of them
stacked. Any cell's trace: a ``GateTrace`` (Z, R, H̃, H) or a ``CellTrace``
(e.g. the LSTM's I, F, O, C̃, C, H), each quantity on its own fixed scale."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..interpret import QUANTITY_NAMES, QUANTITY_SYMBOLS, quantity_range
from ..models import CellTrace, GateTrace
from .style import SCALES, base_layout, char_axis, checked_chars, plotly_scale, position_labels


def _heatmap_trace(values: np.ndarray, quantity: str, labels: list[str], unit_order,
                   colorbar: dict | None = None, axes: tuple[str, str] = ("x", "y")) -> dict:
    low, high = quantity_range(quantity, values)
    order = np.arange(values.shape[1]) if unit_order is None else np.asarray(unit_order)
    symbol = QUANTITY_SYMBOLS[quantity]
    return {"type": "heatmap", "z": np.ascontiguousarray(values[:, order].T, np.float32),
            "x": labels, "y": [f"unit {u}" for u in order], "zmin": low, "zmax": high,
            "colorscale": plotly_scale(SCALES[quantity]), "xaxis": axes[0], "yaxis": axes[1],
            "colorbar": {"title": {"text": symbol}, **(colorbar or {})},
            "hovertemplate": f"%{{x}}<br>%{{y}}<br>{symbol} = %{{z:.3f}}<extra></extra>"}


def quantity_heatmap(trace: GateTrace | CellTrace, chars: Sequence[str], quantity: str = "hidden",
                     unit_order=None, unknown_positions: Sequence[int] = (),
                     window: int | None = 100, title: str | None = None) -> go.Figure:
    """Units x characters for one quantity, on that quantity's fixed scale."""
    values = trace.quantities[quantity]
    labels = position_labels(checked_chars(chars, len(values)), unknown_positions)
    layout = base_layout(title or QUANTITY_NAMES[quantity], "", "unit", f"heatmap-{quantity}",
                         height=600)
    layout["xaxis"] = char_axis(chars, labels, window, unknown_positions)
    return go.Figure({"data": [_heatmap_trace(values, quantity, labels, unit_order)],
                      "layout": layout})


def gate_panels(trace: GateTrace | CellTrace, chars: Sequence[str], unit_order=None,
                unknown_positions: Sequence[int] = (), window: int | None = 100,
                title: str = "Gates and states, unit by character") -> go.Figure:
    """Every quantity of the trace stacked (the GRU's Z, R, H~ and H; the
    LSTM's I, F, O, C~, C and H), one shared character axis, one unit order."""
    labels = position_labels(checked_chars(chars, len(trace.hidden)), unknown_positions)
    quantities = tuple(trace.quantities)
    gap, height = 0.03, 1.0 / len(quantities)
    data, layout = [], base_layout(title, "", "", "gate-panels",
                                   height=max(400, 275 * len(quantities)))
    for row, quantity in enumerate(quantities):
        top = 1.0 - row * height
        domain = [top - height + gap, top]
        axis = f"y{row + 1}" if row else "y"
        colorbar = {"y": (domain[0] + domain[1]) / 2, "len": height - gap, "yanchor": "middle"}
        data.append(_heatmap_trace(trace.quantities[quantity], quantity, labels, unit_order,
                                   colorbar, ("x", axis)))
        layout[f"yaxis{row + 1}" if row else "yaxis"] = {
            "domain": domain, "anchor": "x", "showticklabels": False,
            "title": {"text": f"{QUANTITY_SYMBOLS[quantity]}: units"}}
    bottom = f"y{len(quantities)}"
    layout["xaxis"] = char_axis(chars, labels, window, unknown_positions) | {"anchor": bottom}
    return go.Figure({"data": data, "layout": layout})
