"""gru_core.figures.heatmaps: units by characters on each quantity's fixed scale."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import figures, interpret


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


LONG = ("the time traveller for so it will be convenient to speak of him was expounding "
        "a recondite matter to us his grey eyes shone and twinkled and his usually pale "
        "face was flushed and animated the fire burned brightly and the soft radiance")


@pytest.fixture(scope="module")
def long_probe(setting):
    vocab, model, _, _ = setting
    probe = interpret.encode_probe(LONG + " <x>", vocab)
    return probe, model.trace(probe.indices.tolist()), vocab


def test_a_window_of_a_long_probe_keeps_every_character_readable(long_probe):
    probe, trace, _ = long_probe
    assert len(probe.chars) > 3 * figures.CHAR_WINDOW
    figure = figures.quantity_heatmap(trace, probe.chars, "hidden", window=40, window_start=100,
                                      unknown_positions=probe.unknown_positions)
    heatmap = figure.data[0]
    assert heatmap.z.shape == (6, 40)
    np.testing.assert_allclose(heatmap.z[2], trace.hidden[100:140, 2], rtol=1e-6)
    assert heatmap.x[0] == f"char '{figures.display_char(probe.chars[100])}' · position 100"
    axis = figure.layout.xaxis
    assert len(axis.ticktext) == 40 and tuple(axis.range) == (-0.5, 39.5)
    # the window stays full at the end; unknown characters inside it stay red
    end = figures.quantity_heatmap(trace, probe.chars, window=40, window_start=10_000,
                                   unknown_positions=probe.unknown_positions)
    assert end.data[0].x[-1].startswith("char '>'") and "d62728" in end.layout.xaxis.ticktext[-1]
    whole = figures.quantity_heatmap(trace, probe.chars, window=None)
    assert whole.data[0].z.shape == (6, len(probe.chars))


def test_cells_carry_position_and_unit_for_click_through(long_probe, spec):
    probe, trace, _ = long_probe
    order = np.array([3, 1, 0, 2, 5, 4])
    figure = figures.quantity_heatmap(trace, probe.chars, "reset_gate", order, window=20,
                                      window_start=50)
    cells = figure.data[0].customdata
    assert cells.shape == (6, 20, 2)
    assert tuple(cells[0, 0]) == (50, 3) and tuple(cells[4, 19]) == (69, 5)  # (t, unit)
    assert spec(figure)["data"][0]["customdata"]["shape"] == "6, 20, 2"  # a typed array
    panels = figures.gate_panels(trace, probe.chars, order, window=20, window_start=50)
    assert all(tuple(t.customdata[1, 3]) == (53, 1) for t in panels.data)


def test_top_k_strip_lines_up_with_the_heatmap_column_for_column(long_probe):
    probe, trace, vocab = long_probe
    heatmap = figures.quantity_heatmap(trace, probe.chars, window=30, window_start=70)
    strip = figures.top_k_strip(probe.chars, interpret.top_k(trace, vocab, 5), window=30,
                                window_start=70)
    assert list(strip.data[0].x) == list(heatmap.data[0].x)          # same categories
    assert tuple(strip.layout.xaxis.range) == tuple(heatmap.layout.xaxis.range)
    assert strip.layout.margin == heatmap.layout.margin                 # same plot width
    assert strip.layout.margin.autoexpand is False                      # colour bars can't move it
    for key in ("x", "xanchor", "thickness"):
        assert strip.data[0].colorbar[key] == heatmap.data[0].colorbar[key]
    assert strip.layout.yaxis.ticklen >= 8          # rank labels clear of the first letters
    assert strip.data[0].z.shape == (5, 30)


def test_a_constant_heatmap_says_why_instead_of_a_blank_square(setting):
    vocab, model, probe, _ = setting
    clamp = interpret.make_clamp(6, "update_gate", 1.0)
    frozen = model.trace(probe.indices.tolist(), clamp=clamp)
    figure = figures.quantity_heatmap(frozen, probe.chars, "hidden", clamp=clamp)
    note, = figure.layout.annotations
    assert note.text == ("H is constant (0.000) at every step and unit: Z = 1 froze the state "
                         "at its initial value")
    panels = figures.gate_panels(frozen, probe.chars, clamp=clamp)
    assert {a.text.split(" is")[0] for a in panels.layout.annotations} == {"Z", "H"}
    assert not figures.quantity_heatmap(frozen, probe.chars, "reset_gate").layout.annotations
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
