"""gru_core.figures.curves: downsampling that keeps the last point, training curves."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import figures


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


def test_batch_loss_serialises(spec):
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


def test_markers_are_labelled_dashed_lines_and_only_the_latest_are_kept(spec):
    figure = figures.epoch_curves({"scratch": [{"epoch": e, "perplexity": 9.0 / e}
                                               for e in range(1, 6)]})
    figures.add_markers(figure, [(2.5, "lr → 0.5")])
    drawn = spec(figure)["layout"]
    assert [(s["x0"], s["line"]["dash"]) for s in drawn["shapes"]] == [(2.5, "dash")]
    assert [a["text"] for a in drawn["annotations"]] == ["lr → 0.5"]
    many = figures.add_markers(figures.batch_loss_curve({"scratch": [1.0] * 50}),
                               [(step, f"lr → {step}") for step in range(1, 31)])
    labels = [a.text for a in many.layout.annotations]
    assert len(labels) == figures.MAX_MARKERS and labels[-1] == "lr → 30"
