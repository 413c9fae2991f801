"""The best-gates bars: an exact zero is written "0" and drawn grey, x_t′
in the series colour, a leak in red; the bars are shares, the text the norms."""
from __future__ import annotations

import numpy as np

from gru_core import figures
from gru_core.figures import NEGATIVE, SERIES_COLOURS, dependence_bars, dependence_label
from gru_core.figures.dependence import ZERO_COLOUR
from gru_core.interpret import GateDependence
from gru_core.models import StepSchedule


def result(values) -> GateDependence:
    return GateDependence(len(values) - 1, np.asarray(values, np.float64), StepSchedule(), None)


def test_zero_reads_0_and_a_tiny_leak_reads_as_its_number():
    assert dependence_label(0.0) == "0"
    assert dependence_label(3.2e-9) == "3.2e-09"
    assert dependence_label(135.537) == "136"


def test_bars_colour_the_source_the_leaks_and_the_zeros():
    figure = dependence_bars(list("abcd"), result([0.0, 2.0, 6.0, 0.0]), source=2)
    bars, = figure.data
    assert list(bars.text) == ["0", "2", "6", "0"]
    assert list(bars.marker.color) == [ZERO_COLOUR, NEGATIVE, SERIES_COLOURS[0], ZERO_COLOUR]
    assert np.allclose(bars.y, [0, 0.25, 0.75, 0])
    assert list(bars.x) == ["x_0<br>'a'", "x_1<br>'b'", "x_2<br>'c'", "x_3<br>'d'"]
    assert figure.layout.title.text == "What the output O_3 depends on"
    assert figure.layout.yaxis.range == (0, 0.9375)  # 75% and room for its number
    assert figures.dependence_bars is dependence_bars


def test_no_dependence_at_all_draws_empty_bars():
    bars, = dependence_bars(list("ab"), result([0.0, 0.0])).data
    assert list(bars.text) == ["0", "0"] and not np.any(bars.y)
