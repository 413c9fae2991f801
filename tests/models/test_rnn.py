"""gru_core.models.rnn: d2l's from-scratch RNN, line by line."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gru_core.models import ScratchRNN, make_model

from .common import HIDDENS, VOCAB, gradcheck_float64, lively, tokens


def d2l_rnn(inputs, state, params):
    """d2l 8.5's ``rnn``, line by line."""
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        Y = torch.mm(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


def test_params_are_d2ls_five_tensors_drawn_as_d2l_draws_them():
    model = ScratchRNN(VOCAB, 256, seed=0)
    assert [name for name, _ in model.named_parameters()] == ["W_xh", "W_hh", "b_h", "W_hq", "b_q"]
    assert [tuple(p.shape) for p in model.params] == [(VOCAB, 256), (256, 256), (256,),
                                                      (256, VOCAB), (VOCAB,)]
    weights = torch.cat([model.W_xh.flatten(), model.W_hh.flatten(), model.W_hq.flatten()])
    assert weights.std().item() == pytest.approx(0.01, rel=0.02)
    assert torch.count_nonzero(model.b_h) == torch.count_nonzero(model.b_q) == 0
    # d2l's get_params draws normal((V, n)), normal((n, n)), then normal((n, V))
    generator = torch.Generator().manual_seed(0)
    expected = torch.randn((VOCAB, 256), generator=generator) * 0.01
    assert torch.equal(model.W_xh.detach(), expected)


def test_forward_equals_d2l_transcription():
    model = lively(ScratchRNN(VOCAB, HIDDENS, seed=1))
    X = tokens(batch=4, steps=9, seed=3)
    H0 = torch.randn(4, HIDDENS) * 0.5
    Y, (H,) = model(X, (H0.clone(),))
    inputs = F.one_hot(X.T, VOCAB).type(torch.float32)
    Y_ref, (H_ref,) = d2l_rnn(inputs, (H0.clone(),), [p.detach() for p in model.params])
    assert torch.allclose(Y, Y_ref, atol=1e-6, rtol=0) and torch.allclose(H, H_ref, atol=1e-6)
    assert Y.std() > 0.1


def test_trace_holds_only_the_hidden_state_and_matches_forward():
    model = lively(make_model("rnn", VOCAB, HIDDENS, seed=2))
    indices = [3, 9, 2, 1, 3, 5, 14]
    trace = model.trace(indices)
    assert tuple(trace.quantities) == ("hidden",) and trace.gates == () and trace.kind == "rnn"
    Y, (H,) = model(torch.tensor([indices]), model.begin_state(1))
    assert torch.allclose(torch.from_numpy(trace.logits), Y.detach(), atol=1e-6)
    assert torch.allclose(torch.from_numpy(trace.hidden[-1]), H[0].detach(), atol=1e-6)
    assert trace.previous_hidden.shape == (7, HIDDENS) and not trace.previous_hidden[0].any()
    with pytest.raises(AttributeError, match="rnn trace has no 'update_gate'"):
        trace.update_gate


def test_gradcheck_float64():
    assert gradcheck_float64(ScratchRNN(5, 3, seed=0), vocab=5)


def test_seed_reproduces_the_model():
    a, b, c = (ScratchRNN(VOCAB, HIDDENS, seed=s) for s in (4, 4, 5))
    assert all(torch.equal(p, q) for p, q in zip(a.params, b.params))
    assert not torch.equal(a.W_hh, c.W_hh)
