"""gru_core.figures.heatmaps: units by characters on each quantity's fixed scale."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import figures


@pytest.mark.parametrize("quantity, low, high", [("update_gate", 0, 1), ("reset_gate", 0, 1),
                                                 ("candidate", -1, 1), ("hidden", -1, 1)])
def test_heatmap_is_units_by_characters_on_a_fixed_scale(setting, probe_text, quantity, low,
                                                         high):
    _, _, probe, trace = setting
    order = np.array([5, 0, 4, 1, 3, 2])
    figure = figures.quantity_heatmap(trace, probe.chars, quantity, order,
                                      probe.unknown_positions)
    heatmap = figure.data[0]
    assert heatmap.z.shape == (6, len(probe_text))
    np.testing.assert_allclose(heatmap.z[0], getattr(trace, quantity)[:, 5], rtol=1e-6)
    assert (heatmap.zmin, heatmap.zmax) == (low, high)
    assert heatmap.y[0] == "unit 5"
    assert heatmap.x[3] == "char '␣' · position 3"
    assert "not in vocabulary" in heatmap.x[17]
    assert all(part in heatmap.hovertemplate for part in ("%{x}", "%{y}", "%{z:.3f}"))
    axis = figure.layout.xaxis
    assert axis.ticktext[0] == "t" and axis.ticktext[3] == "␣" and "d62728" in axis.ticktext[17]
    assert figure.layout.uirevision == f"heatmap-{quantity}"


def test_gate_panels_stack_four_quantities_on_one_character_axis(setting, spec):
    _, _, probe, trace = setting
    figure = figures.gate_panels(trace, probe.chars)
    assert [trace_.colorbar.title.text for trace_ in figure.data] == ["Z", "R", "H̃", "H"]
    assert [(t.zmin, t.zmax) for t in figure.data] == [(0, 1), (0, 1), (-1, 1), (-1, 1)]
    assert {t.xaxis for t in figure.data} == {"x"}
    domains = sorted(tuple(figure.layout[f"yaxis{i}" if i > 1 else "yaxis"].domain)
                     for i in range(1, 5))
    assert all(a[1] < b[0] for a, b in zip(domains, domains[1:]))  # no overlap
    assert len(spec(figure)["data"]) == 4


def test_heatmap_refuses_characters_that_do_not_match_the_trace(setting):
    _, _, probe, trace = setting
    with pytest.raises(ValueError, match="values cover"):
        figures.quantity_heatmap(trace, probe.chars[:-1])
