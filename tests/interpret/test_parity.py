"""gru_core.interpret.parity: nn.GRU's weights in both scratch cells."""
from __future__ import annotations

import pytest

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
