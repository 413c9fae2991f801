"""gru_core.interpret.parity: nn.GRU's weights in both scratch cells, against
the rounding level measured in float64."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import make_model


def test_parity_lab_rounding_for_reset_after_visible_gap_for_reset_before(text_indices):
    concise = make_model("concise", 28, 16, seed=0)
    report = interpret.parity_lab(concise, text_indices)
    assert report.hidden_diff["reset-after"].shape == (len(text_indices),)
    assert report.max_diff["reset-after"] < 1e-5
    assert report.max_diff["reset-before"] > 1e-3
    with pytest.raises(TypeError, match="nn.GRU"):
        interpret.parity_lab(make_model("scratch", 28, 4), text_indices)


@pytest.mark.parametrize("hiddens, scale", [(16, None), (256, None), (64, 3.0)])
def test_reset_after_stays_under_the_measured_rounding_level_at_every_step(
        hiddens, scale, text_indices):
    concise = make_model("concise", 28, hiddens, seed=1)
    if scale:  # large weights: big sums, so rounding grows well past float32's epsilon
        with torch.no_grad():
            for p in concise.parameters():
                p.mul_(scale)
    indices = np.tile(text_indices, 3)
    report = interpret.parity_lab(concise, indices)
    after, before = report.hidden_diff["reset-after"], report.hidden_diff["reset-before"]
    assert np.all(after <= report.hidden_rounding)
    assert np.all(report.output_diff["reset-after"] <= report.output_rounding)
    assert report.within_rounding("reset-after") and not report.within_rounding("reset-before")
    # reset-before is far above it: a different formula, not rounding
    assert np.median(before[1:] / report.hidden_rounding[1:]) > 100
    assert report.times_rounding("reset-before") > 1000
    # the level is measured: it varies by step, and with large weights (long sums of
    # large terms) it lies well above float32's epsilon, where the old constant line sat
    assert len(np.unique(report.hidden_rounding)) > 1
    if scale:
        assert np.median(report.output_rounding) > 2 * np.finfo(np.float32).eps
    assert "within float32 rounding" in report.verdict("reset-after")
    assert "different formula" in report.verdict("reset-before")
