"""The look every figure shares: colour scales, layout, the character axis.

Colours are fixed per quantity so every view agrees: gates Z, R on a
sequential scale over [0, 1]; candidate H~ and state H on a diverging scale
over [-1, 1] (red negative, white 0, blue positive).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# Viridis (gates) and RdBu (states), as explicit stops so HTML and heatmaps match.
GATE_SCALE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
              "#6ece58", "#b5de2b", "#fde725"]
STATE_SCALE = ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de",
               "#4393c3", "#2166ac"]
SALIENCY_SCALE = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]
PROBABILITY_SCALE = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
SCALES = {"update_gate": GATE_SCALE, "reset_gate": GATE_SCALE, "candidate": STATE_SCALE,
          "hidden": STATE_SCALE, "saliency": SALIENCY_SCALE,
          # the LSTM's: gates like the GRU's gates, C~ and C like H~ and H
          "input_gate": GATE_SCALE, "forget_gate": GATE_SCALE, "output_gate": GATE_SCALE,
          "candidate_memory": STATE_SCALE, "memory": STATE_SCALE}
QUANTITY_COLOURS = {"update_gate": "#1f77b4", "reset_gate": "#ff7f0e", "candidate": "#2ca02c",
                    "hidden": "#9467bd"}
SERIES_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"
FONT_SIZE = 16
SHOWN_CHARS = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def display_char(char: str) -> str:
    """Whitespace made visible for axis labels and hovers."""
    return SHOWN_CHARS.get(char, char)


def position_labels(chars: Sequence[str], unknown_positions: Sequence[int] = ()) -> list[str]:
    """One unique category per position; hovers show it as is."""
    unknown = set(unknown_positions)
    return [f"char '{display_char(c)}' · position {t}" + (" (not in vocabulary: read as <unk>)"
                                                          if t in unknown else "")
            for t, c in enumerate(chars)]


def plotly_scale(colours: Sequence[str]) -> list[list]:
    """A colour list as Plotly's evenly spaced [[fraction, colour], ...]."""
    return [[i / (len(colours) - 1), colour] for i, colour in enumerate(colours)]


def hex_to_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float64)


def scale_colour(colours: Sequence[str], fraction: float) -> str:
    """Linear interpolation along a colour scale, fraction in [0, 1]."""
    fraction = float(np.clip(fraction, 0.0, 1.0)) * (len(colours) - 1)
    left = min(int(fraction), len(colours) - 2)
    mix = fraction - left
    rgb = (1 - mix) * hex_to_rgb(colours[left]) + mix * hex_to_rgb(colours[left + 1])
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def base_layout(title: str, x_title: str, y_title: str, uirevision: str, **extra) -> dict:
    """Projector-friendly defaults; ``uirevision`` is constant per view so a
    live refresh keeps the user's zoom."""
    return {"title": {"text": title}, "template": "plotly_white", "font": {"size": FONT_SIZE},
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
            "uirevision": uirevision, "margin": {"l": 80, "r": 30, "t": 70, "b": 60}, **extra}


# Characters shown at once on a character axis: at the app's width each gets
# about a font's width, so every one stays readable; a page scrubs through
# longer texts with ``window_start``.
CHAR_WINDOW = 60
# Figures drawn one above the other over the same characters (a heatmap and the
# top-k strip) share these margins and colour-bar place, so their columns line up.
ALIGNED_MARGIN = {"l": 110, "r": 110, "t": 70, "b": 60, "autoexpand": False}
ALIGNED_COLORBAR = {"x": 1.02, "xanchor": "left", "thickness": 18}


def char_window(length: int, window: int | None, window_start: int = 0) -> slice:
    """Positions [start, start + window) of a text of ``length`` characters,
    the start clipped so the window stays full (``window=None``: everything)."""
    if window is None or window >= length:
        return slice(0, length)
    if window < 1:
        raise ValueError(f"window must be >= 1 character (got {window})")
    start = int(min(max(window_start, 0), length - window))
    return slice(start, start + window)


def char_axis(chars: Sequence[str], labels: list[str], window: int | None,
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


def window_axis(chars: Sequence[str], labels: list[str], shown: slice,
                unknown_positions: Sequence[int] = ()) -> dict:
    """The character axis of a window ``shown`` of the text: its characters as
    ticks, its range exactly its columns (so stacked figures line up)."""
    inside = [t - shown.start for t in unknown_positions if shown.start <= t < shown.stop]
    axis = char_axis(chars[shown], labels[shown], None, inside)
    return axis | {"range": [-0.5, shown.stop - shown.start - 0.5]}


def checked_chars(chars: Sequence[str], length: int) -> list[str]:
    """``chars`` as a list, refused unless it has one character per position."""
    if len(chars) != length:
        raise ValueError(f"chars has {len(chars)} characters but the values cover {length} "
                         f"positions")
    return list(chars)


def _tick_text(value: float, powers: bool = False) -> str:
    """1, 20, 0.5, 5000 as written; with ``powers`` (an axis that reaches past
    10^±4) every tick but 1 as a power of ten (2·10⁻⁸), one style per axis."""
    exponent = math.floor(math.log10(value) + 1e-9)
    if not powers or value == 1:
        return f"{value:.10g}"
    mantissa = round(value / 10 ** exponent)
    return (f"{mantissa}·" if mantissa != 1 else "") + f"10<sup>{exponent}</sup>"


def log_ticks(low: float, high: float, max_ticks: int = 12) -> tuple[list[float], list[str]]:
    """Clean ticks for a log axis covering [low, high] (both > 0): 1, 2, 5, 10,
    20, 50 ... from the clean value at or below ``low`` to the one at or above
    ``high``; over many decades powers of ten (every k-th). Never Plotly's
    unlabelled minor digits that read as "1, 9, 8, ..."."""
    if not 0 < low <= high:
        raise ValueError(f"a log axis needs 0 < low <= high (got {low}, {high})")
    first, last = math.floor(math.log10(low) + 1e-9), math.ceil(math.log10(high) - 1e-9)
    for mantissas in ((1, 2, 5), (1,)):
        clean = [float(f"{m}e{e}") for e in range(first, last + 1) for m in mantissas]
        clean = sorted(set(clean + [float(f"1e{last + 1}")]))
        bottom = max(v for v in clean if v <= low * 1.0001)
        top = min(v for v in clean if v >= high / 1.0001)
        values = [v for v in clean if bottom <= v <= top]
        if len(values) <= max_ticks:
            break
    else:
        step = math.ceil((last - first + 1) / max_ticks)
        values = [float(f"1e{e}") for e in range(first, last + step, step)]
    powers = values[0] < 1e-4 or values[-1] > 1e4
    return values, [_tick_text(v, powers) for v in values]


def log_axis(values, floor: float = 1e-300, pad: float = 1.15) -> dict:
    """A log axis fitted to the positive ``values`` (clipped at ``floor``),
    with ``log_ticks`` as its ticks; the range in Plotly's log10 units."""
    values = np.asarray([v for v in np.ravel(np.asarray(values, np.float64))
                         if np.isfinite(v)], np.float64)
    values = np.maximum(values, floor)
    low, high = (float(values.min()), float(values.max())) if values.size else (1.0, 10.0)
    low, high = low / pad, high * pad
    tickvals, ticktext = log_ticks(low, high)
    if sum(low <= v <= high for v in tickvals) < 2:  # widen to two labelled ticks
        low, high = min(low, tickvals[0]), max(high, tickvals[-1])
    return {"type": "log", "tickmode": "array", "tickvals": tickvals, "ticktext": ticktext,
            "range": [math.log10(low), math.log10(high)]}
