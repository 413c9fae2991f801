"""Heatmaps of a trace: units by characters, one quantity or all of them
stacked. Any cell's trace: a ``GateTrace`` (Z, R, H̃, H) or a ``CellTrace``
(e.g. the LSTM's I, F, O, C̃, C, H), each quantity on its own scale.

A heatmap shows a window of the text (``window`` characters from
``window_start``), so the character axis stays readable however long the
probe; x categories name the true positions. Every cell carries ``(t, unit)``
in ``customdata`` for click-through (open that unit, or the Step page at t).
A quantity with one value everywhere (H under Z = 1) says so on the figure
instead of drawing a blank square.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..interpret import QUANTITY_NAMES, QUANTITY_SYMBOLS, constant_note, quantity_range
from ..models import NO_CLAMP, CellTrace, Clamp, GateTrace
from .style import (ALIGNED_COLORBAR, ALIGNED_MARGIN, CHAR_WINDOW, SCALES, base_layout,
                    char_window, checked_chars, plotly_scale, position_labels, window_axis)


def _cells(shown: slice, order: np.ndarray) -> np.ndarray:
    """(units, characters, 2): each cell's (t, unit), in the heatmap's layout."""
    t = np.arange(shown.start, shown.stop)
    return np.stack(np.broadcast_arrays(t[None, :], order[:, None]), axis=-1).astype(np.int32)


def _heatmap_trace(values: np.ndarray, quantity: str, labels: list[str], unit_order,
                   shown: slice, colorbar: dict | None = None,
                   axes: tuple[str, str] = ("x", "y")) -> dict:
    low, high = quantity_range(quantity, values)
    order = np.arange(values.shape[1]) if unit_order is None else np.asarray(unit_order)
    symbol = QUANTITY_SYMBOLS[quantity]
    return {"type": "heatmap", "z": np.ascontiguousarray(values[shown][:, order].T, np.float32),
            "x": labels[shown], "y": [f"unit {u}" for u in order], "zmin": low, "zmax": high,
            "customdata": _cells(shown, order),
            "colorscale": plotly_scale(SCALES[quantity]), "xaxis": axes[0], "yaxis": axes[1],
            "colorbar": {"title": {"text": symbol}, **ALIGNED_COLORBAR, **(colorbar or {})},
            "hovertemplate": f"%{{x}}<br>%{{y}}<br>{symbol} = %{{z:.3f}}<extra></extra>"}


def _constant_annotation(note: str, yref: str = "paper", y: float = 0.5) -> dict:
    return {"text": note, "xref": "paper", "yref": yref, "x": 0.5, "y": y,
            "showarrow": False, "bgcolor": "rgba(255,255,255,0.9)", "bordercolor": "#555555",
            "borderwidth": 1, "font": {"size": 15}}


def quantity_heatmap(trace: GateTrace | CellTrace, chars: Sequence[str], quantity: str = "hidden",
                     unit_order=None, unknown_positions: Sequence[int] = (),
                     window: int | None = CHAR_WINDOW, title: str | None = None, *,
                     window_start: int = 0, clamp: Clamp = NO_CLAMP) -> go.Figure:
    """Units x characters for one quantity, on that quantity's fixed scale;
    ``window`` characters from ``window_start`` (None: all). Pass the clamp the
    trace was made with so a constant quantity is explained."""
    values = trace.quantities[quantity]
    chars = checked_chars(chars, len(values))
    labels = position_labels(chars, unknown_positions)
    shown = char_window(len(chars), window, window_start)
    note = constant_note(trace, quantity, clamp)
    layout = base_layout(title or QUANTITY_NAMES[quantity], "", "unit", f"heatmap-{quantity}",
                         height=600, margin=dict(ALIGNED_MARGIN))
    layout["xaxis"] = window_axis(chars, labels, shown, unknown_positions)
    if note:
        layout["annotations"] = [_constant_annotation(note)]
    return go.Figure({"data": [_heatmap_trace(values, quantity, labels, unit_order, shown)],
                      "layout": layout})


def gate_panels(trace: GateTrace | CellTrace, chars: Sequence[str], unit_order=None,
                unknown_positions: Sequence[int] = (), window: int | None = CHAR_WINDOW,
                title: str = "Gates and states, unit by character", *, window_start: int = 0,
                clamp: Clamp = NO_CLAMP) -> go.Figure:
    """Every quantity of the trace stacked (the GRU's Z, R, H~ and H; the
    LSTM's I, F, O, C~, C and H), one shared character axis, one unit order."""
    chars = checked_chars(chars, len(trace.hidden))
    labels = position_labels(chars, unknown_positions)
    shown = char_window(len(chars), window, window_start)
    quantities = tuple(trace.quantities)
    gap, height = 0.03, 1.0 / len(quantities)
    data, annotations = [], []
    layout = base_layout(title, "", "", "gate-panels", height=max(400, 275 * len(quantities)),
                         margin=dict(ALIGNED_MARGIN))
    for row, quantity in enumerate(quantities):
        top = 1.0 - row * height
        domain = [top - height + gap, top]
        axis = f"y{row + 1}" if row else "y"
        colorbar = {"y": (domain[0] + domain[1]) / 2, "len": height - gap, "yanchor": "middle"}
        data.append(_heatmap_trace(trace.quantities[quantity], quantity, labels, unit_order,
                                   shown, colorbar, ("x", axis)))
        layout[f"yaxis{row + 1}" if row else "yaxis"] = {
            "domain": domain, "anchor": "x", "showticklabels": False,
            "title": {"text": f"{QUANTITY_SYMBOLS[quantity]}: units"}}
        note = constant_note(trace, quantity, clamp)
        if note:
            annotations.append(_constant_annotation(note, "paper", (domain[0] + domain[1]) / 2))
    bottom = f"y{len(quantities)}"
    layout["xaxis"] = window_axis(chars, labels, shown, unknown_positions) | {"anchor": bottom}
    layout["annotations"] = annotations
    return go.Figure({"data": data, "layout": layout})
