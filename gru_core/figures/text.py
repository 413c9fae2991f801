"""Coloured text: each character of a probe on the colour of its value (HTML)."""
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
    return ('<div style="font-family:monospace;font-size:1.3rem;line-height:1.9;'
            'white-space:pre-wrap;word-break:break-all">' + "".join(spans) + "</div>")
