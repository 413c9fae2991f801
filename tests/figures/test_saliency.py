"""gru_core.figures.saliency: saliency bars and the memory-reach lines."""
from __future__ import annotations

import pytest

from gru_core import figures, interpret


def test_saliency_and_memory_reach_figures(setting):
    vocab, model, probe, _ = setting
    result = interpret.saliency(model, probe.indices, 12)
    bars = figures.saliency_bars(probe.chars, result, "m").data[0]
    assert len(bars.y) == 13 and bars.y.sum() == pytest.approx(1.0)
    assert list(bars.customdata[-3:]) == [3, 2, 1]  # steps back
    reach = interpret.memory_reach(model, probe.indices, max_distance=5, max_positions=4)
    line = figures.memory_reach_figure({"scratch": reach}).data[0]
    assert list(line.x) == [1, 2, 3, 4, 5] and "4 positions" in line.name


def test_saliency_is_in_percent_like_memory_reach_and_shows_every_character(setting):
    vocab, model, probe, _ = setting
    result = interpret.saliency(model, probe.indices, 12)
    figure = figures.saliency_bars(probe.chars, result, "m")
    assert figure.layout.yaxis.tickformat == ".0%" and "%" in figure.data[0].hovertemplate
    assert tuple(figure.layout.xaxis.range) == (-0.5, 12.5)   # the first character in view
    assert len(figure.data[0].x) == 13
    reach = interpret.memory_reach(model, probe.indices, max_distance=5, max_positions=4)
    assert figures.memory_reach_figure({"s": reach}).layout.yaxis.tickformat == ".0%"
    # one character more than a window: the window shows exactly its last characters
    windowed = figures.saliency_bars(probe.chars, result, "m", window=12)
    assert tuple(windowed.layout.xaxis.range) == (0.5, 12.5)
