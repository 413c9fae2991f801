"""gru_core.figures.text: coloured-text HTML is escaped and on the quantity's scale."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import figures


def test_coloured_text_escapes_html_and_uses_the_quantity_scale():
    chars = list('<script>"&')
    values = np.linspace(-1, 1, len(chars))
    markup = figures.colored_text_html(chars, values, "hidden", unknown_positions=[0])
    assert "<script>" not in markup and "&lt;" in markup and "&amp;" in markup
    assert "&quot;" in markup  # inside title="..." too
    assert markup.count("<span") == len(chars)
    assert f"background:{figures.STATE_SCALE[0]}" in markup  # -1: the scale's first colour
    assert f"background:{figures.STATE_SCALE[-1]}" in markup  # +1: its last
    assert markup.count("#d62728") == 1  # the unknown character's outline
    with pytest.raises(ValueError, match="values cover 3 positions"):
        figures.colored_text_html(chars, values[:3], "hidden")
    with pytest.raises(ValueError, match="scale must be one of"):
        figures.colored_text_html(chars, values, "loss")


def test_coloured_text_comes_with_a_scale_bar_of_its_range_and_symbol():
    chars, values = list("abc"), np.array([-0.5, 0.0, 0.5])
    markup = figures.colored_text_html(chars, values, "hidden", label="H[7]")
    legend = figures.colour_legend_html("hidden", label="H[7]")
    assert markup.startswith(legend) and markup.count("<span") == 3
    assert "H[7]" in legend and "−1" in legend and "+1" in legend
    assert "linear-gradient(to right, " + ", ".join(figures.STATE_SCALE) in legend
    gate = figures.colour_legend_html("update_gate")
    assert ">Z<" in gate and ">0<" in gate and ">1<" in gate
    saliency = figures.colored_text_html(chars, [0.1, 0.2, 0.25], "saliency")
    assert ">0 %<" in saliency and ">25 %<" in saliency  # 0 to the largest value, in %
    assert "colour-legend" not in figures.colored_text_html(chars, values, legend=False)
