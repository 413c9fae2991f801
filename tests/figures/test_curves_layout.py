"""gru_core.figures.curves and every log axis: clean ticks (1, 2, 5, 10 ...),
legends clear of the title, snapshot epochs marked on the training curve."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gru_core import figures, interpret
from gru_core.models import make_model

RECORDS = [{"epoch": e, "perplexity": 27.0 * e ** -0.6 + 1.0, "heldout_perplexity":
            27.0 * e ** -0.4 + 3.0, "tokens_per_second": 1e4} for e in range(1, 501)]
GRAD = [{"step": s, "grad_norm": 0.3 + 40 * (s % 50 == 0), "clipped": s % 50 == 0}
        for s in range(1, 2001)]


def assert_clean_log_ticks(axis):
    assert axis.type == "log" and axis.tickmode == "array"
    for value in axis.tickvals:
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        assert round(mantissa, 6) in (1, 2, 5), axis.tickvals
    low, high = 10 ** axis.range[0], 10 ** axis.range[1]
    assert sum(low <= v <= high for v in axis.tickvals) >= 2  # at least two labels in view
    assert len(axis.ticktext) == len(axis.tickvals)


@pytest.mark.parametrize("build", [
    lambda: figures.epoch_curves({"scratch": RECORDS}, log_y=True),
    lambda: figures.gradient_norm_figure({"scratch": GRAD}, clip_theta=1.0),
    lambda: figures.snapshot_curve(RECORDS, [0, 1, 2, 5, 10, 20, 50, 100, 200, 500], 50),
    lambda: figures.parity_figure(interpret.parity_lab(
        make_model("concise", 28, 8, seed=0), np.arange(1, 28))),
])
def test_every_log_axis_has_clean_ticks(build):
    assert_clean_log_ticks(build().layout.yaxis)


def test_log_ticks_never_read_as_nine_eight_seven():
    values, text = figures.log_ticks(1.03, 30)
    assert values == [1, 2, 5, 10, 20, 50] and text == ["1", "2", "5", "10", "20", "50"]
    values, text = figures.log_ticks(1e-9, 1e-3)
    assert text[0] == "10<sup>-9</sup>" and text[-1] == "10<sup>-3</sup>" and len(values) <= 12
    assert figures.log_ticks(0.5, 3)[1] == ["0.5", "1", "2", "5"]   # one style per axis


@pytest.mark.parametrize("build", [
    lambda: figures.epoch_curves({"scratch": RECORDS, "nn.GRU": RECORDS}),
    lambda: figures.gradient_norm_figure({"scratch": GRAD, "nn.GRU": GRAD}, clip_theta=1.0),
    lambda: figures.batch_loss_curve({"scratch": np.ones(10)}),
])
def test_legends_sit_below_the_plot_never_over_the_title(build):
    layout = build().layout
    assert layout.legend.orientation == "h" and layout.legend.y < 0
    assert layout.legend.yanchor == "top" and layout.margin.b >= 100


def test_held_out_perplexity_is_drawn_beside_the_training_curve():
    figure = figures.epoch_curves({"scratch": RECORDS})
    training, heldout = figure.data
    assert heldout.name == "scratch (held-out)" and heldout.line.dash == "dash"
    assert heldout.line.color == training.line.color
    assert len(figures.epoch_curves({"scratch": [{"epoch": 1, "perplexity": 3.0}]}).data) == 1


def test_snapshot_curve_marks_the_snapshots_and_the_shown_epoch():
    snapshots = [0, 1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 500]
    figure = figures.snapshot_curve(RECORDS, snapshots, selected=200)
    marks = next(t for t in figure.data if t.name == "snapshots")
    assert list(marks.x) == snapshots
    assert marks.y[3] == pytest.approx(RECORDS[4]["perplexity"])
    shown = next(t for t in figure.data if t.name == "shown: epoch 200")
    assert list(shown.x) == [200]
    labels = list(figure.layout.xaxis.tickvals)
    assert labels[0] == 0 and labels[-1] == 500 and set(labels) <= set(snapshots)
    assert all(b - a >= 20 for a, b in zip(labels, labels[1:]))  # no crowded labels
    with pytest.raises(ValueError, match="no snapshot"):
        figures.snapshot_curve(RECORDS, snapshots, selected=7)


def test_gradient_norm_spikes_survive_downsampling():
    records = [{"step": s, "grad_norm": 0.3 + 40 * (s % 50 == 0), "clipped": s % 50 == 0}
               for s in range(1, 4001)]
    line, clipped, _ = figures.gradient_norm_figure({"scratch": records}, 1.0).data
    assert len(line.x) <= figures.MAX_CURVE_POINTS
    assert line.y.max() == pytest.approx(40.3) and len(clipped.x) == 80  # every spike drawn
