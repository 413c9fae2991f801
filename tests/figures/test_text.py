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
