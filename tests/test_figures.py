"""gru_core.figures: shapes, fixed colour ranges, hovers, escaping, downsampling."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gru_core import figures, interpret
from gru_core.data import Vocab
from gru_core.models import make_model

TEXT = "the time machine <b>"  # '<', '>' and 'B'-less tags are outside d2l's vocabulary


@pytest.fixture(scope="module")
def setting():
    vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    model = make_model("scratch", 28, 6, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(60)  # far from d2l's 0.01 init, so values spread over their ranges
    probe = interpret.encode_probe(TEXT, vocab)
    return vocab, model, probe, model.trace(probe.indices.tolist())


def spec(figure) -> dict:
    """What st.plotly_chart sends to the browser."""
    return json.loads(figure.to_json())


@pytest.mark.parametrize("quantity, low, high", [("update_gate", 0, 1), ("reset_gate", 0, 1),
                                                 ("candidate", -1, 1), ("hidden", -1, 1)])
def test_heatmap_is_units_by_characters_on_a_fixed_scale(setting, quantity, low, high):
    _, _, probe, trace = setting
    order = np.array([5, 0, 4, 1, 3, 2])
    figure = figures.quantity_heatmap(trace, probe.chars, quantity, order,
                                      probe.unknown_positions)
    heatmap = figure.data[0]
    assert heatmap.z.shape == (6, len(TEXT))
    np.testing.assert_allclose(heatmap.z[0], getattr(trace, quantity)[:, 5], rtol=1e-6)
    assert (heatmap.zmin, heatmap.zmax) == (low, high)
    assert heatmap.y[0] == "unit 5"
    assert heatmap.x[3] == "char '␣' · position 3"
    assert "not in vocabulary" in heatmap.x[17]
    assert all(part in heatmap.hovertemplate for part in ("%{x}", "%{y}", "%{z:.3f}"))
    axis = figure.layout.xaxis
    assert axis.ticktext[0] == "t" and axis.ticktext[3] == "␣" and "d62728" in axis.ticktext[17]
    assert figure.layout.uirevision == f"heatmap-{quantity}"


def test_gate_panels_stack_four_quantities_on_one_character_axis(setting):
    _, _, probe, trace = setting
    figure = figures.gate_panels(trace, probe.chars)
    assert [trace_.colorbar.title.text for trace_ in figure.data] == ["Z", "R", "H̃", "H"]
    assert [(t.zmin, t.zmax) for t in figure.data] == [(0, 1), (0, 1), (-1, 1), (-1, 1)]
    assert {t.xaxis for t in figure.data} == {"x"}
    domains = sorted(tuple(figure.layout[f"yaxis{i}" if i > 1 else "yaxis"].domain)
                     for i in range(1, 5))
    assert all(a[1] < b[0] for a, b in zip(domains, domains[1:]))  # no overlap
    assert len(spec(figure)["data"]) == 4


def test_coloured_text_escapes_html_and_uses_the_quantity_scale(setting):
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


def test_scale_colour_interpolates_between_stops():
    scale = ["#000000", "#ffffff"]
    assert figures.scale_colour(scale, 0.0) == "#000000"
    assert figures.scale_colour(scale, 0.5) == "#808080"
    assert figures.scale_colour(scale, 7.0) == "#ffffff"  # clipped


def test_top_k_strip_writes_predictions_ranked_top_down(setting):
    vocab, _, probe, trace = setting
    predictions = interpret.top_k(trace, vocab, k=4)
    heatmap = figures.top_k_strip(probe.chars, predictions).data[0]
    assert heatmap.z.shape == (4, len(TEXT)) and (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert list(heatmap.text[0]) == [figures.display_char(row[0]) for row in predictions.chars]
    assert heatmap.y[:2] == ("1st", "2nd")


def test_saturation_scatter_has_one_point_per_unit_and_gate(setting):
    _, model, probe, _ = setting
    saturation = interpret.gate_saturation(model, np.tile(probe.indices, 20))
    figure = figures.saturation_scatter(saturation)
    update, reset = figure.data[1], figure.data[2]
    np.testing.assert_array_equal(update.x, saturation.update_low)
    np.testing.assert_array_equal(reset.y, saturation.reset_high)
    assert tuple(figure.layout.xaxis.range) == (-0.02, 1.02)
    assert update.marker.color == figures.QUANTITY_COLOURS["update_gate"]


def test_parity_figure_is_log_scaled_and_keeps_exact_zeros_visible():
    report = interpret.ParityReport({"reset-after": np.array([0.0, 1e-8]),
                                     "reset-before": np.array([0.01, 0.02])},
                                    {"reset-after": np.array([0.0, 2e-8]),
                                     "reset-before": np.array([0.03, 0.04])})
    figure = figures.parity_figure(report)
    assert figure.layout.yaxis.type == "log"
    hidden_after = figure.data[0]
    assert list(hidden_after.y) == [1e-10, 1e-8] and list(hidden_after.customdata) == [0.0, 1e-8]
    assert hidden_after.line.color != figure.data[2].line.color


def test_saliency_and_memory_reach_figures(setting):
    vocab, model, probe, _ = setting
    result = interpret.saliency(model, probe.indices, 12)
    bars = figures.saliency_bars(probe.chars, result, "m").data[0]
    assert len(bars.y) == 13 and bars.y.sum() == pytest.approx(1.0)
    assert list(bars.customdata[-3:]) == [3, 2, 1]  # steps back
    reach = interpret.memory_reach(model, probe.indices, max_distance=5, max_positions=4)
    line = figures.memory_reach_figure({"scratch": reach}).data[0]
    assert list(line.x) == [1, 2, 3, 4, 5] and "4 positions" in line.name


def test_gate_diagram_widths_follow_the_amounts(setting):
    vocab, model, probe, trace = setting
    details = interpret.step_details(model, trace, probe.indices, vocab, 8, 2)
    figure = figures.gate_diagram(details)
    edges = figure.data[:-1]
    amounts = [amount for _, _, amount, _ in figures._diagram_edges(details)]
    widest = int(np.argmax(np.abs(amounts)))
    assert edges[widest].line.width == pytest.approx(16)
    for edge, amount in zip(edges, amounts):
        assert edge.line.color == (figures.POSITIVE if amount >= 0 else figures.NEGATIVE)
    assert f"{details.hidden:+.3f}" in figure.data[-1].text[-1]


def test_epoch_curves_downsample_long_histories_and_keep_the_last_point():
    records = [{"epoch": e, "perplexity": 30.0 / e, "tokens_per_second": 1000.0 + e}
               for e in range(1, 5001)]
    figure = figures.epoch_curves({"scratch": records, "nn.GRU": records[:100]})
    long_line, short_line = figure.data
    assert len(long_line.x) <= figures.MAX_CURVE_POINTS and len(short_line.x) == 100
    assert long_line.x[-1] == 5000 and long_line.y[-1] == pytest.approx(30.0 / 5000)
    assert long_line.line.color != short_line.line.color
    again = figures.epoch_curves({"scratch": records[:10]}, metric="tokens_per_second")
    assert figure.layout.uirevision == "epochs-perplexity"
    assert again.layout.uirevision == "epochs-tokens_per_second"
    with pytest.raises(ValueError, match="metric must be one of"):
        figures.epoch_curves({"scratch": records}, metric="accuracy")


def test_downsample_averages_buckets_and_leaves_short_series_alone():
    x = np.arange(10_001, dtype=float)
    small_x, small_y = figures.downsample(x, 3 * x + 1, 1000)
    assert len(small_x) == 1000
    np.testing.assert_allclose(small_y, 3 * small_x + 1)  # bucket means of a line lie on it
    assert np.all(np.diff(small_x) > 0) and small_x[-1] == 10_000
    assert len(figures.downsample(x[:50], x[:50], 1000)[0]) == 50


def test_log_prob_comparison_and_batch_loss_serialise(setting):
    _, _, probe, trace = setting
    log_probs = interpret.next_char_log_probs(trace, probe.indices)
    comparison = spec(figures.log_prob_comparison(probe.chars, {"unclamped": log_probs,
                                                                "clamped": log_probs - 1}))
    assert [len(line["x"]) for line in comparison["data"]] == [len(TEXT) - 1] * 2
    loss = figures.batch_loss_curve({"scratch": np.random.default_rng(0).random(3000)})
    assert len(loss.data[0].x) == figures.MAX_CURVE_POINTS and loss.data[0].x[-1] == 3000
    assert spec(loss)["layout"]["uirevision"] == "batch-loss"


def test_gradient_norm_figure_marks_clipped_batches():
    records = [{"step": s, "grad_norm": 0.5 + (s % 10 == 0) * 4.5, "clipped": s % 10 == 0}
               for s in range(1, 4001)]
    figure = figures.gradient_norm_figure({"scratch": records}, clip_theta=1.0)
    line, clipped, threshold = figure.data
    assert len(line.x) <= figures.MAX_CURVE_POINTS
    assert set(clipped.y) == {5.0} and "10% of batches" in clipped.name
    assert list(threshold.y) == [1.0, 1.0] and figure.layout.yaxis.type == "log"
