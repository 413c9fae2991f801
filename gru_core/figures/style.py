"""The look every figure shares: colour scales, layout, the character axis.

Colours are fixed per quantity so every view agrees: gates Z, R on a
sequential scale over [0, 1]; candidate H~ and state H on a diverging scale
over [-1, 1] (red negative, white 0, blue positive).
"""
from __future__ import annotations

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


def checked_chars(chars: Sequence[str], length: int) -> list[str]:
    """``chars`` as a list, refused unless it has one character per position."""
    if len(chars) != length:
        raise ValueError(f"chars has {len(chars)} characters but the values cover {length} "
                         f"positions")
    return list(chars)
