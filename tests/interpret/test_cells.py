"""gru_core.interpret.cells: the readable cell behind each model kind."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gru_core import interpret
from gru_core.models import ScratchGRU, make_model


@pytest.mark.parametrize("kind", ["scratch", "scratch-fast-reset-after"])
def test_a_scratch_model_is_its_own_readable_cell(kind):
    model = make_model(kind, 28, 4, seed=0)
    assert interpret.readable_cell(model) is model


def test_nn_gru_is_read_through_the_reset_after_cell(text_indices):
    concise = make_model("concise", 28, 6, seed=0)
    cell = interpret.readable_cell(concise)
    assert type(cell) is ScratchGRU and cell.reset_after
    with torch.no_grad():  # nn.GRU's own outputs, batch of one
        logits, _ = concise(torch.as_tensor(text_indices)[None, :], concise.begin_state(1))
    np.testing.assert_allclose(cell.trace(text_indices.tolist()).logits, logits.numpy(),
                               atol=1e-5)
    with pytest.raises(TypeError, match="expected a ScratchGRU or ConciseGRU"):
        interpret.readable_cell(nn.Linear(2, 2))


@pytest.mark.parametrize("indices, message", [([], "is empty"), ([0, 28], r"in \[0, 27\]")])
def test_analyses_refuse_indices_outside_the_vocabulary(indices, message):
    with pytest.raises(ValueError, match=message):
        interpret.long_trace(make_model("scratch", 28, 4, seed=0), indices)
