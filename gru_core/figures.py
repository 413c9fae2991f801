"""Plotly figures (and one HTML view) over ``interpret``'s numbers; no Streamlit.

Builders return ``go.Figure`` with numpy arrays inside. Why not plain dicts:
``st.plotly_chart`` validates a dict by building a ``go.Figure`` from it anyway
(``plotly.tools.return_figure_from_figure_or_data(..., validate_figure=True)``),
so a dict saves nothing on the page, while a figure is validated here (bad
property names fail in tests) and exports with Plotly's own tools. What does
matter is numpy: Plotly 6+ ships numpy arrays as base64 typed arrays, ~25x
faster than the same values as Python lists (bench/render_views.py).

Colours are fixed per quantity so every view agrees: gates Z, R on a
sequential scale over [0, 1]; candidate H~ and state H on a diverging scale
over [-1, 1] (red negative, white 0, blue positive). For a presentation mode,
``fig.update_layout(font_size=22)``.
"""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .interpret import (QUANTITIES, QUANTITY_NAMES, QUANTITY_RANGES, QUANTITY_SYMBOLS,
                        MemoryReach, ParityReport, Saliency, Saturation, StepDetails, TopK)
from .models import GateTrace

# Viridis (gates) and RdBu (states), as explicit stops so HTML and heatmaps match.
GATE_SCALE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
              "#6ece58", "#b5de2b", "#fde725"]
STATE_SCALE = ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de",
               "#4393c3", "#2166ac"]
SALIENCY_SCALE = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]
PROBABILITY_SCALE = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
SCALES = {"update_gate": GATE_SCALE, "reset_gate": GATE_SCALE, "candidate": STATE_SCALE,
          "hidden": STATE_SCALE, "saliency": SALIENCY_SCALE}
QUANTITY_COLOURS = {"update_gate": "#1f77b4", "reset_gate": "#ff7f0e", "candidate": "#2ca02c",
                    "hidden": "#9467bd"}
SERIES_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
PARITY_COLOURS = {"reset-after": "#2ca02c", "reset-before": "#d62728"}
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"
FONT_SIZE = 16
MAX_CURVE_POINTS = 1500
FLOAT32_EPS = float(np.finfo(np.float32).eps)
SHOWN_CHARS = {" ": "␣", "\n": "⏎", "\t": "⇥"}


# ---------------------------------------------------------------- shared pieces

def display_char(char: str) -> str:
    """Whitespace made visible for axis labels and hovers."""
    return SHOWN_CHARS.get(char, char)


def position_labels(chars: Sequence[str], unknown_positions: Sequence[int] = ()) -> list[str]:
    """One unique category per position; hovers show it as is."""
    unknown = set(unknown_positions)
    return [f"char '{display_char(c)}' · position {t}" + (" (not in vocabulary: read as <unk>)"
                                                          if t in unknown else "")
            for t, c in enumerate(chars)]


def _plotly_scale(colours: Sequence[str]) -> list[list]:
    return [[i / (len(colours) - 1), colour] for i, colour in enumerate(colours)]


def _layout(title: str, x_title: str, y_title: str, uirevision: str, **extra) -> dict:
    """Projector-friendly defaults; ``uirevision`` is constant per view so a
    live refresh keeps the user's zoom."""
    return {"title": {"text": title}, "template": "plotly_white", "font": {"size": FONT_SIZE},
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
            "uirevision": uirevision, "margin": {"l": 80, "r": 30, "t": 70, "b": 60}, **extra}


def _char_axis(chars: Sequence[str], labels: list[str], window: int | None,
               unknown_positions: Sequence[int] = ()) -> dict:
    """A categorical x axis with the characters as tick labels (unknown ones in
    red), showing the first ``window`` characters until the user pans."""
    unknown = set(unknown_positions)
    ticks = [f"<span style='color:#d62728'>{display_char(c)}</span>" if t in unknown
             else display_char(c) for t, c in enumerate(chars)]
    axis = {"type": "category", "tickmode": "array", "tickvals": labels, "ticktext": ticks,
            "tickangle": 0, "title": {"text": "character read at each position"}}
    if window is not None and len(chars) > window:
        axis["range"] = [-0.5, window - 0.5]
    return axis


def _checked_chars(chars: Sequence[str], length: int) -> list[str]:
    if len(chars) != length:
        raise ValueError(f"chars has {len(chars)} characters but the values cover {length} "
                         f"positions")
    return list(chars)


# ---------------------------------------------------------------- heatmaps

def _heatmap_trace(values: np.ndarray, quantity: str, labels: list[str], unit_order,
                   colorbar: dict | None = None, axes: tuple[str, str] = ("x", "y")) -> dict:
    low, high = QUANTITY_RANGES[quantity]
    order = np.arange(values.shape[1]) if unit_order is None else np.asarray(unit_order)
    symbol = QUANTITY_SYMBOLS[quantity]
    return {"type": "heatmap", "z": np.ascontiguousarray(values[:, order].T, np.float32),
            "x": labels, "y": [f"unit {u}" for u in order], "zmin": low, "zmax": high,
            "colorscale": _plotly_scale(SCALES[quantity]), "xaxis": axes[0], "yaxis": axes[1],
            "colorbar": {"title": {"text": symbol}, **(colorbar or {})},
            "hovertemplate": f"%{{x}}<br>%{{y}}<br>{symbol} = %{{z:.3f}}<extra></extra>"}


def quantity_heatmap(trace: GateTrace, chars: Sequence[str], quantity: str = "hidden",
                     unit_order=None, unknown_positions: Sequence[int] = (),
                     window: int | None = 100, title: str | None = None) -> go.Figure:
    """Units x characters for one quantity, on that quantity's fixed scale."""
    values = getattr(trace, quantity)
    labels = position_labels(_checked_chars(chars, len(values)), unknown_positions)
    layout = _layout(title or QUANTITY_NAMES[quantity], "", "unit", f"heatmap-{quantity}",
                     height=600)
    layout["xaxis"] = _char_axis(chars, labels, window, unknown_positions)
    return go.Figure({"data": [_heatmap_trace(values, quantity, labels, unit_order)],
                      "layout": layout})


def gate_panels(trace: GateTrace, chars: Sequence[str], unit_order=None,
                unknown_positions: Sequence[int] = (), window: int | None = 100,
                title: str = "Gates and states, unit by character") -> go.Figure:
    """Z, R, H~ and H stacked, one shared character axis, one unit order."""
    labels = position_labels(_checked_chars(chars, len(trace.hidden)), unknown_positions)
    gap, height = 0.03, 1.0 / len(QUANTITIES)
    data, layout = [], _layout(title, "", "", "gate-panels", height=1100)
    for row, quantity in enumerate(QUANTITIES):
        top = 1.0 - row * height
        domain = [top - height + gap, top]
        axis = f"y{row + 1}" if row else "y"
        colorbar = {"y": (domain[0] + domain[1]) / 2, "len": height - gap, "yanchor": "middle"}
        data.append(_heatmap_trace(getattr(trace, quantity), quantity, labels, unit_order,
                                   colorbar, ("x", axis)))
        layout[f"yaxis{row + 1}" if row else "yaxis"] = {
            "domain": domain, "anchor": "x", "showticklabels": False,
            "title": {"text": f"{QUANTITY_SYMBOLS[quantity]}: units"}}
    bottom = f"y{len(QUANTITIES)}"
    layout["xaxis"] = _char_axis(chars, labels, window, unknown_positions) | {"anchor": bottom}
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- coloured text

def _hex_to_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float64)


def scale_colour(colours: Sequence[str], fraction: float) -> str:
    """Linear interpolation along a colour scale, fraction in [0, 1]."""
    fraction = float(np.clip(fraction, 0.0, 1.0)) * (len(colours) - 1)
    left = min(int(fraction), len(colours) - 2)
    mix = fraction - left
    rgb = (1 - mix) * _hex_to_rgb(colours[left]) + mix * _hex_to_rgb(colours[left + 1])
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def _text_colour(background: str) -> str:
    red, green, blue = _hex_to_rgb(background) / 255
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "#ffffff"


def colored_text_html(chars: Sequence[str], values, scale: str = "hidden",
                      unknown_positions: Sequence[int] = (), highlight: int | None = None,
                      label: str | None = None) -> str:
    """The text, each character on the colour of its value (Karpathy et al.'s
    view of one unit; ``scale="saliency"`` for saliency over text, from 0 to the
    largest value). Every character is HTML-escaped; unknown characters get a
    red outline, ``highlight`` a black one. Render with ``st.html``."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} (got '{scale}')")
    values = np.asarray(values, np.float64).reshape(-1)
    chars = _checked_chars(chars, len(values))
    low, high = QUANTITY_RANGES.get(scale, (0.0, max(float(values.max()), 1e-12)))
    unknown = set(unknown_positions)
    symbol = label or QUANTITY_SYMBOLS.get(scale, scale)
    spans = []
    for t, (char, value) in enumerate(zip(chars, values)):
        background = scale_colour(SCALES[scale], (value - low) / (high - low))
        outline = ("outline:2px solid #d62728;" if t in unknown else
                   "outline:2px solid #000000;" if t == highlight else "")
        hover = html.escape(f"'{char}' at {t}: {symbol} = {value:.3f}", quote=True)
        spans.append(f'<span title="{hover}" style="background:{background};'
                     f'color:{_text_colour(background)};{outline}">{html.escape(char)}</span>')
    return ('<div style="font-family:monospace;font-size:1.3rem;line-height:1.9;'
            'white-space:pre-wrap;word-break:break-all">' + "".join(spans) + "</div>")


# ---------------------------------------------------------------- predictions

ORDINALS = ("1st", "2nd", "3rd")


def top_k_strip(chars: Sequence[str], predictions: TopK, unknown_positions: Sequence[int] = (),
                window: int | None = 60) -> go.Figure:
    """Under each character, the k likeliest next characters, shaded by probability."""
    labels = position_labels(_checked_chars(chars, len(predictions.probs)), unknown_positions)
    k = predictions.probs.shape[1]
    ranks = [ORDINALS[r] if r < len(ORDINALS) else f"{r + 1}th" for r in range(k)]
    text = [[display_char(row[r]) for row in predictions.chars] for r in range(k)]
    layout = _layout(f"Top-{k} next characters", "", "rank", "top-k", height=120 + 45 * k)
    layout["xaxis"] = _char_axis(chars, labels, window, unknown_positions)
    layout["yaxis"] |= {"autorange": "reversed"}
    return go.Figure({"data": [{
        "type": "heatmap", "z": np.ascontiguousarray(predictions.probs.T), "x": labels,
        "y": ranks, "text": text, "texttemplate": "%{text}", "zmin": 0, "zmax": 1,
        "colorscale": _plotly_scale(PROBABILITY_SCALE), "colorbar": {"title": {"text": "p"}},
        "hovertemplate": "after %{x}<br>%{y}: '%{text}', p = %{z:.3f}<extra></extra>"}],
        "layout": layout})


def log_prob_comparison(chars: Sequence[str], next_log_probs: dict[str, np.ndarray],
                        window: int | None = 100) -> go.Figure:
    """log p(actual next character) after each position, one line per model
    (e.g. unclamped vs clamped)."""
    labels = position_labels(list(chars))[:-1]
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": labels,
             "y": np.asarray(values, np.float64), "line": {"color": SERIES_COLOURS[i % 6]},
             "hovertemplate": f"{name}<br>after %{{x}}<br>log p = %{{y:.3f}}<extra></extra>"}
            for i, (name, values) in enumerate(next_log_probs.items())]
    layout = _layout("How well each next character was predicted", "",
                     "log p(actual next character)", "log-prob-comparison", height=420)
    layout["xaxis"] = _char_axis(list(chars)[:-1], labels, window)
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- saturation

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
    layout = _layout(f"Gate saturation over {saturation.num_chars:,} characters",
                     f"fraction of characters with gate < {saturation.low:g} (shut)",
                     f"fraction with gate > {saturation.high:g} (open)", "saturation",
                     height=560)
    for axis in ("xaxis", "yaxis"):
        layout[axis] |= {"range": [-0.02, 1.02], "tickformat": ".0%"}
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- saliency

def saliency_bars(chars: Sequence[str], result: Saliency, target_char: str,
                  window: int | None = 60) -> go.Figure:
    """Normalised saliency of each earlier character for one prediction,
    showing the last ``window`` characters until the user pans."""
    shown = list(chars)[:result.position + 1]
    labels = position_labels(shown)
    colours = [scale_colour(SALIENCY_SCALE, w / max(result.weights.max(), 1e-12))
               for w in result.weights]
    layout = _layout(f"What moves log p('{display_char(target_char)}') after position "
                     f"{result.position}", "", "share of influence", "saliency", height=420)
    layout["xaxis"] = _char_axis(shown, labels, None)
    if window is not None and len(shown) > window:
        layout["xaxis"]["range"] = [len(shown) - window - 0.5, len(shown) - 0.5]
    return go.Figure({"data": [{
        "type": "bar", "x": labels, "y": result.weights, "marker": {"color": colours},
        "customdata": result.distances,
        "hovertemplate": "%{x}<br>%{customdata} steps back<br>share %{y:.1%}<extra></extra>"}],
        "layout": layout})


def memory_reach_figure(reaches: dict[str, MemoryReach]) -> go.Figure:
    """How far back each model looks: mean saliency by distance, one line each."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{name} "
             f"({reach.num_positions} positions)", "x": reach.distances, "y": reach.mean_saliency,
             "line": {"color": SERIES_COLOURS[i % 6], "width": 3},
             "hovertemplate": f"{name}<br>%{{x}} steps back: %{{y:.1%}}<extra></extra>"}
            for i, (name, reach) in enumerate(reaches.items())]
    layout = _layout("How far back does the model look?",
                     "steps back from the predicted character (1 = the character just read)",
                     "mean share of influence", "memory-reach", height=460)
    layout["yaxis"] |= {"tickformat": ".0%", "rangemode": "tozero"}
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- parity lab

PARITY_NAMES = {"reset-after": "reset after (nn.GRU's convention)",
                "reset-before": "reset before (d2l's seed cell)"}


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
    layout = _layout("Scratch cell with nn.GRU's weights vs nn.GRU", "time step",
                     "max |Δ| over units (log)", "parity", height=460)
    layout["yaxis"] |= {"type": "log", "exponentformat": "power"}
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- gate diagram

# Node positions of the cell drawn left to right: H_{t-1} and x_t in, H_t out.
DIAGRAM_NODES = {"previous": (0.0, 4.0), "input": (0.0, 0.0), "reset": (2.5, 2.0),
                 "candidate": (5.0, 1.0), "keep": (5.0, 4.0), "write": (7.5, 1.0),
                 "hidden": (10.0, 2.5)}


def _amount(value: float) -> str:
    return f"{value:+.3f}" if value == 0 or abs(value) >= 1e-3 else f"{value:+.1e}"


def _diagram_edges(details: StepDetails) -> list[tuple[str, str, float, str]]:
    """(from, to, amount, label): what flows along each path of the cell."""
    c, previous = details.candidate, "H<sub>t-1</sub>"
    into_candidate = c.input_term + c.bias
    return [("previous", "keep", details.previous_hidden,
             f"{previous} = {_amount(details.previous_hidden)}"),
            ("keep", "hidden", details.kept_old, f"Z·{previous} = {_amount(details.kept_old)}"),
            ("previous", "reset", c.recurrent_unreset, f"recurrent {_amount(c.recurrent_unreset)}"),
            ("reset", "candidate", c.recurrent_term, f"after reset {_amount(c.recurrent_term)}"),
            ("input", "candidate", into_candidate, f"input + bias {_amount(into_candidate)}"),
            ("candidate", "write", c.value, f"H̃ = {_amount(c.value)}"),
            ("write", "hidden", details.added_new, f"(1−Z)·H̃ = {_amount(details.added_new)}")]


def gate_diagram(details: StepDetails) -> go.Figure:
    """The cell as a flow: line width follows |amount| on each path, colour its
    sign (blue +, red −); nodes show the gate values of this step and unit."""
    edges = _diagram_edges(details)
    largest = max(max(abs(amount) for _, _, amount, _ in edges), 1e-12)
    data, annotations = [], []
    for source, target, amount, label in edges:
        (x0, y0), (x1, y1) = DIAGRAM_NODES[source], DIAGRAM_NODES[target]
        data.append({"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y0, y1],
                     "hoverinfo": "text", "text": [label, label], "showlegend": False,
                     "line": {"width": 2 + 14 * abs(amount) / largest,
                              "color": POSITIVE if amount >= 0 else NEGATIVE}})
        annotations.append({"x": (x0 + x1) / 2, "y": (y0 + y1) / 2 + 0.35, "text": label,
                            "showarrow": False, "bgcolor": "rgba(255,255,255,0.85)"})
    node_text = {"previous": f"H<sub>t-1</sub><br>{details.previous_hidden:+.3f}",
                 "input": f"x<sub>t</sub> = '{html.escape(display_char(details.char))}'",
                 "reset": f"× R<br>R = {details.reset.value:.3f}",
                 "candidate": f"tanh → H̃<br>{details.candidate.value:+.3f}",
                 "keep": f"× Z<br>Z = {details.update.value:.3f}",
                 "write": f"× (1−Z)<br>{1 - details.update.value:.3f}",
                 "hidden": f"H<sub>t</sub><br>{details.hidden:+.3f}"}
    data.append({"type": "scatter", "mode": "markers+text", "showlegend": False,
                 "x": [DIAGRAM_NODES[n][0] for n in node_text],
                 "y": [DIAGRAM_NODES[n][1] for n in node_text], "text": list(node_text.values()),
                 "textposition": "middle center", "hoverinfo": "skip",
                 "marker": {"size": 78, "color": "#f2f2f2",
                            "line": {"color": "#333333", "width": 2}}})
    layout = _layout(f"Step {details.position}, unit {details.unit}: where H<sub>t</sub> came from",
                     "", "", "gate-diagram", height=460, annotations=annotations)
    for axis in ("xaxis", "yaxis"):
        layout[axis] |= {"visible": False}
    layout["xaxis"]["range"], layout["yaxis"]["range"] = [-1.2, 11.2], [-1, 5]
    return go.Figure({"data": data, "layout": layout})


# ---------------------------------------------------------------- training curves

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


CURVE_METRICS = {"perplexity": "perplexity", "tokens_per_second": "tokens/s",
                 "seconds": "seconds per epoch"}


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
    layout = _layout(title, x_title, y_title, uirevision, height=420,
                     legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
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
    layout = _layout("Gradient norm per batch, before clipping", "batch", "‖g‖ (log)",
                     "grad-norm", height=420, legend={"orientation": "h", "y": 1.02,
                                                      "yanchor": "bottom"})
    layout["yaxis"]["type"] = "log"
    return go.Figure({"data": data, "layout": layout})
