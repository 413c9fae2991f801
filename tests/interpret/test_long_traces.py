"""gru_core.interpret.long_traces: segmented traces, next-character log-probs, perplexity."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import MODEL_KINDS, make_model


def test_long_trace_in_segments_reproduces_the_sequential_trace(lively, text_indices):
    model = lively(make_model("scratch", 28, 12, seed=0))
    clamp = interpret.make_clamp(12, "reset_gate", 0.3, [1, 4])
    exact = model.trace(text_indices.tolist(), clamp=clamp)
    # a warm-up as long as the text lets every segment start at the true beginning
    segmented = interpret.long_trace(model, text_indices, clamp, segment_length=7,
                                     warmup=len(text_indices))
    for name in interpret.QUANTITIES:
        np.testing.assert_allclose(getattr(segmented, name), getattr(exact, name), atol=1e-6)
    np.testing.assert_allclose(segmented.logits, exact.logits, atol=1e-5)
    short_warmup = interpret.long_trace(model, text_indices, clamp, segment_length=7, warmup=2)
    # segment 0 starts where the text starts; later ones from a zero state 2 characters early
    np.testing.assert_allclose(short_warmup.hidden[:7], exact.hidden[:7], atol=1e-6)
    assert np.abs(short_warmup.hidden[7:] - exact.hidden[7:]).max() > 1e-3


def test_perplexity_of_a_model_that_knows_nothing_is_the_vocabulary_size(lively, text_indices):
    model = lively(make_model("scratch", 28, 8, seed=0))
    with torch.no_grad():
        model.W_hq.zero_(), model.b_q.zero_()  # uniform predictions
    assert interpret.perplexity(model, text_indices) == pytest.approx(28.0, rel=1e-6)
    with pytest.raises(ValueError, match="at least two characters"):
        interpret.perplexity(model, text_indices[:1])


def test_perplexity_agrees_with_the_log_probs_of_the_trace(lively, text_indices):
    model = lively(make_model("scratch-reset-after", 28, 8, seed=3), scale=0.4)
    trace = model.trace(text_indices.tolist())
    expected = np.exp(-interpret.next_char_log_probs(trace, text_indices).mean())
    assert interpret.perplexity(model, text_indices, segment_length=None) == pytest.approx(expected)


def test_a_long_text_runs_a_batch_of_segments_at_a_time_with_the_same_numbers(
        lively, text_indices, monkeypatch):
    from gru_core.interpret import long_traces
    model = lively(make_model("scratch", 28, 8, seed=1), scale=0.4)
    indices = np.tile(text_indices, 6)
    whole = interpret.long_trace(model, indices, segment_length=16, warmup=8)
    expected = np.exp(-interpret.next_char_log_probs(whole, indices).mean())
    monkeypatch.setattr(long_traces, "SEGMENTS_PER_BATCH", 3)  # several batches, a short last one
    assert interpret.perplexity(model, indices, segment_length=16, warmup=8) == pytest.approx(
        expected, rel=1e-6)
    batched = interpret.long_trace(model, indices, segment_length=16, warmup=8)
    np.testing.assert_allclose(batched.hidden, whole.hidden, atol=1e-6)
@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_perplexity_of_every_cell_is_its_forward_passes_cross_entropy(kind, lively,
                                                                      text_indices):
    model = lively(make_model(kind, 28, 8, seed=3), scale=0.4)
    X = torch.as_tensor(text_indices)[None, :]
    with torch.no_grad():
        logits, _ = model(X[:, :-1], model.begin_state(1))
        loss = torch.nn.functional.cross_entropy(logits, X[0, 1:])
    assert interpret.perplexity(model, text_indices, segment_length=None) == pytest.approx(
        float(torch.exp(loss)), rel=1e-5)


@pytest.mark.parametrize("kind", ["rnn", "update-only", "lstm", "concise-lstm"])
def test_long_trace_in_segments_works_for_every_cell(kind, lively, text_indices):
    model = lively(make_model(kind, 28, 8, seed=0))
    exact = model.trace(text_indices.tolist())
    segmented = interpret.long_trace(model, text_indices, segment_length=7,
                                     warmup=len(text_indices))
    assert tuple(segmented.quantities) == tuple(exact.quantities)
    for name, values in exact.quantities.items():
        np.testing.assert_allclose(segmented.quantities[name], values, atol=1e-5)
    np.testing.assert_allclose(segmented.logits, exact.logits, atol=1e-5)
    assert np.isfinite(interpret.perplexity(model, text_indices))
