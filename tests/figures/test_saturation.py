"""gru_core.figures.saturation: one point per unit and gate."""
from __future__ import annotations

import numpy as np

from gru_core import figures, interpret


def test_saturation_scatter_has_one_point_per_unit_and_gate(setting):
    _, model, probe, _ = setting
    saturation = interpret.gate_saturation(model, np.tile(probe.indices, 20))
    figure = figures.saturation_scatter(saturation)
    update, reset = figure.data[1], figure.data[2]
    np.testing.assert_array_equal(update.x, saturation.update_low)
    np.testing.assert_array_equal(reset.y, saturation.reset_high)
    assert tuple(figure.layout.xaxis.range) == (-0.02, 1.02)
    assert update.marker.color == figures.QUANTITY_COLOURS["update_gate"]


def test_saturation_axis_titles_have_room(setting):
    _, model, probe, _ = setting
    figure = figures.saturation_scatter(interpret.gate_saturation(model, np.tile(probe.indices, 5)))
    font = figure.layout.font.size
    tick_label = {"x": 1.3 * font, "y": len("100%") * 0.6 * font}   # height under x, width left of y
    for name, axis, room in (("x", figure.layout.xaxis, figure.layout.margin.b),
                             ("y", figure.layout.yaxis, figure.layout.margin.l)):
        assert axis.automargin and axis.title.standoff
        # tick labels, the standoff and one line of title fit in the margin
        assert room >= tick_label[name] + axis.title.standoff + 1.3 * font
        assert len(axis.title.text) * 0.6 * font <= 560 - 70 - 90  # the y title fits the height
