"""gru_core.figures.diagram: path widths and colours follow the amounts."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import figures, interpret


def test_gate_diagram_widths_follow_the_amounts(setting):
    vocab, model, probe, trace = setting
    details = interpret.step_details(model, trace, probe.indices, vocab, 8, 2)
    figure = figures.gate_diagram(details)
    edges = figure.data[:-1]
    amounts = [amount for _, _, amount, _ in figures.diagram_edges(details)]
    widest = int(np.argmax(np.abs(amounts)))
    assert edges[widest].line.width == pytest.approx(16)
    for edge, amount in zip(edges, amounts):
        assert edge.line.color == (figures.POSITIVE if amount >= 0 else figures.NEGATIVE)
    assert f"{details.hidden:+.3f}" in figure.data[-1].text[-1]
