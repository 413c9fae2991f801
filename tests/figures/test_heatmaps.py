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


def test_the_lstms_gates_and_memory_stack_in_the_same_views(setting):
    import torch

    from gru_core.models import make_model

    _, _, probe, _ = setting
    model = make_model("lstm", 28, 6, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(60)
        model.b_f.fill_(5.0), model.b_i.fill_(5.0)  # remember and add: C grows past 1
    trace = model.trace(probe.indices.tolist())
    figure = figures.gate_panels(trace, probe.chars)
    assert [t.colorbar.title.text for t in figure.data] == ["I", "F", "O", "C̃", "C", "H"]
    largest = float(np.abs(trace.memory).max())
    assert [(t.zmin, t.zmax) for t in figure.data] == [(0, 1)] * 3 + [(-1, 1),
                                                                      (-largest, largest), (-1, 1)]
    assert largest > 1  # the memory cell is not bounded by 1
    forget = figures.quantity_heatmap(trace, probe.chars, "forget_gate")
    np.testing.assert_allclose(forget.data[0].z[2], trace.forget_gate[:, 2], rtol=1e-6)
    rnn = make_model("rnn", 28, 6, seed=0).trace(probe.indices.tolist())
    assert [t.colorbar.title.text for t in figures.gate_panels(rnn, probe.chars).data] == ["H"]
