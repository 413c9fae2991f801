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
