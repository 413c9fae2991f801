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


MAX_CLICK_POINTS = 30_000   # above ~60,000 a click in Streamlit selected nothing (measured)


def clickable_cells(figure: go.Figure, max_points: int = MAX_CLICK_POINTS) -> go.Figure:
    """The same figure with every heatmap cell clickable in Streamlit
    (``st.plotly_chart(..., on_select="rerun", selection_mode="points")``).

    Plotly selects only points of traces that support selection, and a
    heatmap does not: a click on one selects nothing. So each heatmap gets an
    invisible scatter point at the centre of every cell, on axes laid exactly
    over the heatmap's (its categories sit at 0, 1, 2 ...), carrying
    ``customdata`` (t, unit, value); the hover moves to those points. A
    selected point's ``customdata[:2]`` is the cell's (t, unit). The axes are
    fixed (no zoom) so the two layers cannot drift apart: scrub with
    ``window_start`` instead. Past ``max_points`` cells in all, every k-th row
    gets a point (256 units in a 240-pixel panel are under a pixel each: a
    click lands on the nearest point, and the hover names its unit)."""
    figure = go.Figure(figure)
    layers, layout = [], {}
    cells = sum(np.asarray(h.z).size for h in figure.data if h.type == "heatmap")
    stride = max(1, -(-cells // max_points))
    for index, heatmap in enumerate(list(figure.data)):
        if heatmap.type != "heatmap" or heatmap.customdata is None:
            continue
        values = np.asarray(heatmap.z, np.float32)[..., None]
        rows, columns = values.shape[:2]
        kept = np.arange(0, rows, stride)
        where = np.asarray(heatmap.customdata, np.float32)[kept]     # (rows kept, chars, 2)
        y, x = np.meshgrid(kept.astype(np.int16), np.arange(columns, dtype=np.int16),
                           indexing="ij")
        number = len(figure.data) + len(layers) + 1
        x_axis, y_axis = f"x{number}", f"y{number}"
        symbol = (heatmap.colorbar.title.text if heatmap.colorbar and heatmap.colorbar.title
                  else "value")
        layers.append(go.Scatter(
            x=x.ravel(), y=y.ravel(), xaxis=x_axis, yaxis=y_axis, mode="markers",
            customdata=np.concatenate([where, values[kept]], axis=-1).reshape(-1, 3),
            marker={"color": "rgba(0,0,0,0)", "size": 8}, showlegend=False,
            selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
            hovertemplate=(f"position %{{customdata[0]}} · unit %{{customdata[1]}}<br>"
                           f"{symbol} = %{{customdata[2]:.3f}}<br>click: open this unit"
                           f"<extra></extra>")))
        base_x = heatmap.xaxis or "x"
        base_y = heatmap.yaxis or "y"
        layout[f"xaxis{number}"] = {"overlaying": base_x, "range": [-0.5, columns - 0.5],
                                    "visible": False, "fixedrange": True}
        layout[f"yaxis{number}"] = {"overlaying": base_y, "range": [-0.5, rows - 0.5],
                                    "visible": False, "fixedrange": True}
        figure.data[index].hoverinfo = "skip"
        figure.layout[_axis_name(base_x)].fixedrange = True
        figure.layout[_axis_name(base_y)].fixedrange = True
    figure.add_traces(layers)
    figure.update_layout(layout, clickmode="event+select")
    return figure


def _axis_name(reference: str) -> str:
    """"x" -> "xaxis", "y3" -> "yaxis3"."""
    return f"{reference[0]}axis{reference[1:]}"


def clicked_cell(points) -> tuple[int, int] | None:
    """(t, unit) of the first clicked cell of a ``clickable_cells`` figure's
    selection (Streamlit's ``event.selection.points``), or None."""
    for point in points or ():
        data = point.get("customdata")
        if isinstance(data, dict):  # a typed-array row arrives as {"0": t, "1": unit, ...}
            data = [data.get(str(i), data.get(i)) for i in range(len(data))]
        if data is not None and len(data) >= 2 and None not in data[:2]:
            return int(data[0]), int(data[1])
    return None
