"""gru_core.interpret.saliency: gradients find a dependency planted at a known distance."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import MODEL_KINDS, ScratchGRU, make_model


def delay_line_model(vocab_size: int, k: int) -> ScratchGRU:
    """A GRU whose prediction after reading x_t is x_{t+1-k}: units form k slots
    of one unit per character; slot 0 encodes the character just read as +-1,
    slot i copies slot i-1 (update gate shut, Z ~ 2e-9), the output reads slot
    k-1. So log p(x_{t+1}) depends on the input exactly k steps before x_{t+1}."""
    model = ScratchGRU(vocab_size, k * vocab_size, seed=0)
    strength = 4.0
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.b_z.fill_(-20.0)   # Z ~ 0: H_t = H~_t
        model.b_r.fill_(20.0)    # R ~ 1: the recurrent path is open
        for c in range(vocab_size):
            model.W_xh[c, c] = 2 * strength
            model.b_h[c] = -strength                       # +4 if x_t == c else -4
            for slot in range(1, k):
                model.W_hh[(slot - 1) * vocab_size + c, slot * vocab_size + c] = strength
            model.W_hq[(k - 1) * vocab_size + c, c] = 5.0
    return model


@pytest.mark.parametrize("k", [2, 4])
def test_saliency_peaks_at_the_known_dependency(k):
    model = delay_line_model(5, k)
    # text that obeys the rule x_{t+1} = x_{t+1-k}: a random pattern of k repeated
    indices = np.tile(np.random.default_rng(k).integers(1, 5, k), 40)[:40]
    result = interpret.saliency(model, indices, position=30)
    assert result.weights.sum() == pytest.approx(1.0)
    assert result.distances[np.argmax(result.weights)] == k
    assert result.weights.max() > 0.99
    assert result.target == indices[31]
    assert result.log_prob > np.log(0.9)  # the delay line predicts the next character
    reach = interpret.memory_reach(model, indices, max_distance=8, max_positions=10)
    assert reach.distances[np.argmax(reach.mean_saliency)] == k
    assert reach.num_positions == 10


def test_batched_saliency_equals_one_position_at_a_time(lively, text_indices):
    model = lively(make_model("scratch", 28, 12, seed=2), scale=0.4)
    positions = np.array([5, 20, 33])
    batched, _ = interpret.input_saliency(model, text_indices, positions,
                                          text_indices[positions + 1])
    for row, position in enumerate(positions):
        single = interpret.saliency(model, text_indices, int(position)).weights
        np.testing.assert_allclose(batched[row, :position + 1], single, atol=1e-6)
        assert np.all(batched[row, position + 1:] == 0)  # the future has no influence


def test_saliency_at_the_last_position_uses_the_top_prediction(lively, text_indices):
    model = lively(make_model("concise", 28, 8, seed=0), scale=0.4)
    last = len(text_indices) - 1
    result = interpret.saliency(model, text_indices, last)
    assert result.target == int(model.trace(text_indices.tolist()).logits[-1].argmax())
    with pytest.raises(ValueError, match="needs at least 41"):
        interpret.memory_reach(model, text_indices[:30], max_distance=40)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_memory_reach_for_every_cell(kind, lively, text_indices):
    model = lively(make_model(kind, 28, 8, seed=0), scale=0.4)
    reach = interpret.memory_reach(model, text_indices, max_distance=20, max_positions=8)
    assert reach.num_positions == 8 and reach.mean_saliency.shape == (20,)
    assert 0 < reach.mean_saliency.sum() <= 1 + 1e-9
    result = interpret.saliency(model, text_indices, 30)
    assert result.weights.sum() == pytest.approx(1.0) and result.weights[31:].size == 0
