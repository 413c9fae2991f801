"""gru_core.interpret.saturation: gates built to be saturated are counted as such."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import make_model


def test_saturation_counts_built_in_saturated_gates(text_indices):
    model = make_model("scratch", 28, 5, seed=0)
    with torch.no_grad():
        model.b_z[0], model.b_z[1], model.b_r[2] = 20.0, -20.0, 20.0
    long_text = np.tile(text_indices, 5)
    saturation = interpret.gate_saturation(model, long_text, segment_length=64)
    assert saturation.num_chars == len(long_text)
    assert saturation.update_high[0] == 1.0 and saturation.update_low[1] == 1.0
    assert saturation.reset_high[2] == 1.0
    assert saturation.update_high[3] == 0.0 and saturation.update_low[3] == 0.0  # Z near 0.5
    with pytest.raises(ValueError, match="0 <= low < high <= 1"):
        interpret.gate_saturation(model, long_text, low=0.9, high=0.1)


def test_saturation_of_a_trace_is_that_of_one_unsegmented_run(lively, text_indices):
    model = lively(make_model("scratch", 28, 5, seed=0))
    from_trace = interpret.saturation_from_trace(model.trace(text_indices.tolist()), 0.2, 0.8)
    from_model = interpret.gate_saturation(model, text_indices, 0.2, 0.8, segment_length=None)
    for name in ("update_low", "update_high", "reset_low", "reset_high"):
        np.testing.assert_array_equal(getattr(from_trace, name), getattr(from_model, name))
