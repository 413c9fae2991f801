"""gru_core.models.concise: nn.GRU as d2l wraps it, its gates recovered
exactly, and the reset-after cell reproducing it."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gru_core.models import ConciseGRU, ScratchGRU, concise_from_scratch, scratch_from_concise

from .common import HIDDENS, VOCAB, tokens


def nn_gru_hiddens(concise, X):
    """nn.GRU's own per-step hidden states for one-hot inputs (steps, batch, hiddens)."""
    inputs = F.one_hot(X.T, concise.vocab_size).float()
    outputs, _ = concise.rnn(inputs, concise.begin_state(X.shape[0]))
    return outputs


def test_concise_forward_is_d2ls_rnn_model():
    model = ConciseGRU(VOCAB, HIDDENS, seed=0)
    assert isinstance(model.rnn, nn.GRU) and model.rnn.hidden_size == HIDDENS
    X = tokens(batch=3, steps=5)
    state = model.begin_state(batch_size=3)
    assert state.shape == (1, 3, HIDDENS)
    Y, new_state = model(X, state)
    assert Y.shape == (5 * 3, VOCAB) and new_state.shape == (1, 3, HIDDENS)
    expected = model.linear(nn_gru_hiddens(model, X).reshape(-1, HIDDENS))
    assert torch.allclose(Y, expected, atol=1e-6)


def test_concise_trace_hidden_equals_nn_gru():
    model = ConciseGRU(VOCAB, HIDDENS, seed=1)
    indices = tokens(batch=1, steps=40, seed=7)
    trace = model.trace(indices[0].tolist())
    reference = nn_gru_hiddens(model, indices)[:, 0].detach()
    assert abs(torch.from_numpy(trace.hidden) - reference).max() <= 1e-5
    logits, _ = model(indices, model.begin_state(1))
    assert abs(torch.from_numpy(trace.logits) - logits.detach()).max() <= 1e-5
    # the gates are nn.GRU's own: PyTorch's r and z from weight_ih/hh rows [0:H] and [H:2H]
    x0 = F.one_hot(indices[0, 0], VOCAB).float()
    gates = model.rnn.weight_ih_l0 @ x0 + model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    assert torch.allclose(torch.from_numpy(trace.reset_gate[0]), torch.sigmoid(gates[:HIDDENS]).detach(), atol=1e-6)
    assert torch.allclose(torch.from_numpy(trace.update_gate[0]),
                          torch.sigmoid(gates[HIDDENS:2 * HIDDENS]).detach(), atol=1e-6)


def test_reset_after_matches_nn_gru_and_reset_before_differs():
    concise = ConciseGRU(VOCAB, HIDDENS, seed=2)
    X = tokens(batch=4, steps=30, seed=1)
    Y_ref, H_ref = concise(X, concise.begin_state(4))
    after = scratch_from_concise(concise, reset_after=True)
    Y_after, (H_after,) = after(X, after.begin_state(4))
    assert (Y_after - Y_ref).abs().max().item() <= 1e-5
    assert (H_after - H_ref[0]).abs().max().item() <= 1e-5
    before = scratch_from_concise(concise, reset_after=False)
    Y_before, _ = before(X, before.begin_state(4))
    assert (Y_before - Y_ref).abs().max().item() > 1e-2


def test_nn_gru_from_d2ls_initial_weights_agrees_only_where_the_formulation_does():
    """concise_from_scratch: the same start for both networks, so what differs
    afterwards is the cell's formulation alone."""
    X = tokens(batch=4, steps=30, seed=3)
    after = ScratchGRU(VOCAB, HIDDENS, reset_after=True, seed=0)   # d2l's N(0, 0.01²) start
    with torch.no_grad():
        after.b_hh.normal_(0, 0.01, generator=torch.Generator().manual_seed(1))
        after.b_z.fill_(0.2)
    twin = concise_from_scratch(after)
    Y_after, (H_after,) = after(X, after.begin_state(4))
    Y_twin, H_twin = twin(X, twin.begin_state(4))
    assert (Y_twin - Y_after).abs().max().item() <= 1e-6
    assert (H_twin[0] - H_after).abs().max().item() <= 1e-6
    # and back: the same parameters, biases split as nn.GRU splits them
    back = scratch_from_concise(twin, reset_after=True)
    for name, value in after.state_dict().items():
        assert torch.allclose(back.state_dict()[name], value, atol=1e-7), name
    before = ScratchGRU(VOCAB, HIDDENS, reset_after=False, seed=0)  # d2l's own cell
    start = concise_from_scratch(before)
    assert torch.equal(start.rnn.bias_hh_l0, torch.zeros(3 * HIDDENS))
    assert torch.equal(start.rnn.weight_hh_l0[2 * HIDDENS:], before.W_hh.T)
    # the same weights, two formulas: once R varies across units they part
    # (at d2l's start R is ~0.5 everywhere, so they part only slowly)
    for model in (before, after):
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.5, generator=torch.Generator().manual_seed(2))
    same, differs = concise_from_scratch(after), concise_from_scratch(before)
    H_same = same(X, same.begin_state(4))[1][0]
    H_differs = differs(X, differs.begin_state(4))[1][0]
    assert (H_same - after(X, after.begin_state(4))[1][0]).abs().max().item() <= 1e-5
    gap = (H_differs - before(X, before.begin_state(4))[1][0]).abs().max().item()
    assert gap > 1e-2
    first_step = X[:, :1]  # from H = 0 the first step is the same in both cells
    assert torch.allclose(differs(first_step, differs.begin_state(4))[0],
                          before(first_step, before.begin_state(4))[0], atol=1e-6)
