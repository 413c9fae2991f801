"""Coloured text: each character of a probe on the colour of its value (HTML),
under a small scale bar saying what the colours mean."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np

from ..interpret import QUANTITY_RANGES, QUANTITY_SYMBOLS, quantity_range
from .style import SCALES, checked_chars, hex_to_rgb, scale_colour


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (luma threshold)."""
    red, green, blue = hex_to_rgb(background) / 255
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "#ffffff"


def _scale_value(scale: str, value: float) -> str:
    """An end of the legend: saliency as %, states signed (−1, +1), gates plain (0, 1)."""
    if scale == "saliency":
        return f"{value:.0%}".replace("%", " %")
    if QUANTITY_RANGES[scale][0] < 0 and value != 0:
        return f"{value:+g}".replace("-", "−")
    return f"{value:g}"


def colour_legend_html(scale: str = "hidden", low: float | None = None,
                       high: float | None = None, label: str | None = None) -> str:
    """A small scale bar for coloured text: the symbol, the low end, the colour
    gradient and the high end ("H  −1 ▬▬▬ +1"). Ranges default to the
    quantity's fixed one; saliency runs from 0 to the largest value shown, as %."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} (got '{scale}')")
    fixed = QUANTITY_RANGES.get(scale, (0.0, 1.0))
    low = fixed[0] if low is None else low
    high = fixed[1] if high is None else high
    stops = ", ".join(SCALES[scale])
    symbol = html.escape(label or QUANTITY_SYMBOLS.get(scale, scale))
    cell = "display:inline-block;vertical-align:middle;margin-right:0.5em"
    return (f'<div class="colour-legend" style="font-size:0.9rem;margin:0.2em 0 0.4em">'
            f'<div style="{cell};font-weight:600">{symbol}</div>'
            f'<div style="{cell}">{html.escape(_scale_value(scale, low))}</div>'
            f'<div style="{cell};width:10em;height:0.9em;border:1px solid #999;'
            f'background:linear-gradient(to right, {stops})"></div>'
            f'<div style="{cell}">{html.escape(_scale_value(scale, high))}</div></div>')


def colored_text_html(chars: Sequence[str], values, scale: str = "hidden",
                      unknown_positions: Sequence[int] = (), highlight: int | None = None,
                      label: str | None = None, legend: bool = True) -> str:
    """The text, each character on the colour of its value (Karpathy et al.'s
    view of one unit; ``scale="saliency"`` for saliency over text, from 0 to the
    largest value). Every character is HTML-escaped; unknown characters get a
    red outline, ``highlight`` a black one. ``legend`` puts the scale bar
    (``colour_legend_html``) above the text. Render with ``st.html``."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} (got '{scale}')")
    values = np.asarray(values, np.float64).reshape(-1)
    chars = checked_chars(chars, len(values))
    low, high = (quantity_range(scale, values) if scale in QUANTITY_RANGES
                 else (0.0, max(float(values.max()), 1e-12)))
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
    key = colour_legend_html(scale, low, high, symbol) if legend else ""
    return (key + '<div style="font-family:monospace;font-size:1.3rem;line-height:1.9;'
            'white-space:pre-wrap;word-break:break-all">' + "".join(spans) + "</div>")
