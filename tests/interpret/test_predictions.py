"""gru_core.interpret.predictions: top-k next characters and written continuations."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import make_model
from gru_core.training import predict


def test_top_k_holds_the_largest_softmax_probabilities(lively, vocab, text_indices):
    trace = lively(make_model("scratch", 28, 8, seed=0)).trace(text_indices.tolist())
    top = interpret.top_k(trace, vocab, k=3)
    probs = torch.softmax(torch.as_tensor(trace.logits, dtype=torch.float64), dim=1)
    expected = torch.topk(probs, 3, dim=1)
    np.testing.assert_allclose(top.probs, expected.values.numpy(), rtol=1e-9)
    assert top.chars[10] == [vocab.idx_to_token[i] if i else "\ufffd"
                             for i in expected.indices[10].tolist()]
    with pytest.raises(ValueError, match="k must be in"):
        interpret.top_k(trace, vocab, k=0)


def test_greedy_sample_matches_d2l_predict(lively, vocab):
    model = lively(make_model("scratch", 28, 16, seed=0), scale=0.3)
    prefix = "time traveller"
    expected = predict(prefix, 30, model, vocab)[len(prefix):]
    written = interpret.sample_continuation(model, np.array(vocab.encode(prefix)), vocab, 30)
    assert written == expected and len(written) == 30
    warm = [interpret.sample_continuation(model, np.array(vocab.encode(prefix)), vocab, 30,
                                          temperature=1.0, seed=5) for _ in range(2)]
    assert warm[0] == warm[1]  # a seed reproduces a sample


def test_sampling_arguments_are_checked_before_the_prefix_is_read(lively, vocab):
    model = lively(make_model("scratch", 28, 4, seed=0))
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        interpret.sample_continuation(model, np.array(vocab.encode("time")), vocab, 5,
                                      temperature=-1.0)
