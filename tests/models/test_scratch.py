"""gru_core.models.scratch: the scratch GRU is d2l's equations, line by line,
and the reset-after cell is PyTorch's convention."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gru_core.models import ConciseGRU, ScratchGRU

from .common import D2L_ORDER, HIDDENS, VOCAB, tokens


def d2l_gru(inputs, state, params):
    """The seed notebook's ``gru`` (d2l 9.1), line by line."""
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


def d2l_rnn_model_scratch(X, state, params, vocab_size):
    """d2l's ``RNNModelScratch.__call__``: one-hot of X.T, then the cell."""
    X = F.one_hot(X.T, vocab_size).type(torch.float32)
    return d2l_gru(X, state, params)


def copied_params(model):
    return [p.detach().clone() for p in model.params]


def test_params_are_d2ls_eleven_tensors_in_order():
    model = ScratchGRU(VOCAB, HIDDENS, seed=0)
    assert len(model.params) == 11
    names = [name for name, _ in model.named_parameters()]
    assert names == D2L_ORDER
    for name, p in zip(names, model.params):
        assert p is getattr(model, name)
    shapes = [tuple(p.shape) for p in model.params]
    assert shapes == [(VOCAB, HIDDENS), (HIDDENS, HIDDENS), (HIDDENS,)] * 3 + [(HIDDENS, VOCAB), (VOCAB,)]


def test_weights_are_small_normal_and_biases_zero():
    model = ScratchGRU(VOCAB, 256, seed=0)
    weights = torch.cat([p.detach().flatten() for n, p in model.named_parameters() if n.startswith("W")])
    assert weights.numel() == 3 * (VOCAB * 256 + 256 * 256) + 256 * VOCAB
    assert abs(weights.mean().item()) < 2e-4
    assert weights.std().item() == pytest.approx(0.01, rel=0.01)
    assert (weights.abs() > 0.03).float().mean().item() == pytest.approx(0.0027, abs=0.0005)  # 3 sigma
    for name in ("b_z", "b_r", "b_h", "b_q"):
        assert torch.count_nonzero(getattr(model, name)) == 0


def test_forward_shape_and_state():
    model = ScratchGRU(VOCAB, HIDDENS, seed=0)
    X = tokens(batch=3, steps=7)
    state = model.begin_state(batch_size=3)
    assert isinstance(state, tuple) and state[0].shape == (3, HIDDENS)
    Y, (H,) = model(X, state)
    assert Y.shape == (7 * 3, VOCAB)
    assert H.shape == (3, HIDDENS)


def test_forward_equals_d2l_transcription():
    model = ScratchGRU(VOCAB, HIDDENS, seed=1)
    with torch.no_grad():  # non-zero biases, so every term of the equations counts
        for bias in (model.b_z, model.b_r, model.b_h, model.b_q):
            bias.normal_(0, 0.5)
        for weight in (model.W_hz, model.W_hr, model.W_hh):
            weight.mul_(50)
    X = tokens(batch=4, steps=9, seed=3)
    H0 = torch.randn(4, HIDDENS) * 0.5
    Y, (H,) = model(X, (H0.clone(),))
    Y_ref, (H_ref,) = d2l_rnn_model_scratch(X, (H0.clone(),), copied_params(model), VOCAB)
    assert torch.allclose(Y, Y_ref, atol=1e-6, rtol=0)
    assert torch.allclose(H, H_ref, atol=1e-6, rtol=0)
    assert Y.std() > 0.1  # not a trivial all-zero comparison


def test_trace_rows_match_forward():
    model = ScratchGRU(VOCAB, HIDDENS, seed=2)
    indices = [3, 9, 2, 1, 3, 5, 14]
    trace = model.trace(indices)
    assert trace.update_gate.shape == trace.reset_gate.shape == (7, HIDDENS)
    assert trace.candidate.shape == trace.hidden.shape == (7, HIDDENS)
    assert trace.logits.shape == (7, VOCAB)
    Y, (H,) = model(torch.tensor([indices]), model.begin_state(1))
    assert torch.allclose(torch.from_numpy(trace.logits), Y.detach(), atol=1e-6)
    assert torch.allclose(torch.from_numpy(trace.hidden[-1]), H[0].detach(), atol=1e-6)
    # H_t = Z_t * H_{t-1} + (1 - Z_t) * H~_t, row by row
    Z, prev = trace.update_gate, trace.previous_hidden
    assert abs(trace.hidden - (Z * prev + (1 - Z) * trace.candidate)).max() < 1e-6


def test_gradcheck_float64_tiny_model():
    model = ScratchGRU(5, 3, seed=0).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.7)  # away from zero so every path carries gradient
    names = [name for name, _ in model.named_parameters()]
    X = tokens(batch=2, steps=3, vocab=5)

    def outputs(H0, *params):
        Y, (H,) = torch.func.functional_call(model, dict(zip(names, params)), (X, (H0,)))
        return Y, H

    H0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
    assert torch.autograd.gradcheck(outputs, (H0, *params), eps=1e-6, atol=1e-5)


def test_seed_reproduces_models():
    a, b, c = ScratchGRU(VOCAB, HIDDENS, seed=4), ScratchGRU(VOCAB, HIDDENS, seed=4), ScratchGRU(VOCAB, HIDDENS, seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.params, b.params))
    assert not torch.equal(a.W_xz, c.W_xz)
    d, e = ConciseGRU(VOCAB, HIDDENS, seed=4), ConciseGRU(VOCAB, HIDDENS, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(d.parameters(), e.parameters()))
    assert not torch.equal(d.rnn.weight_hh_l0, ConciseGRU(VOCAB, HIDDENS, seed=5).rnn.weight_hh_l0)


def test_seed_does_not_touch_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    ScratchGRU(VOCAB, HIDDENS, seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_reset_after_cell_is_pytorchs_equation():
    model = ScratchGRU(VOCAB, HIDDENS, reset_after=True, seed=3)
    assert [n for n, _ in model.named_parameters()] == D2L_ORDER + ["b_hh"]
    with torch.no_grad():
        model.b_hh.normal_()
    X, H = F.one_hot(torch.tensor([4]), VOCAB).float(), torch.randn(1, HIDDENS)
    Z, R, H_tilde, _ = model.cell(X, H)
    expected = torch.tanh(X @ model.W_xh + model.b_h + R * (H @ model.W_hh + model.b_hh))
    assert torch.allclose(H_tilde, expected, atol=1e-6)
    seed_form = torch.tanh(X @ model.W_xh + (R * H) @ model.W_hh + model.b_h)
    assert not torch.allclose(H_tilde, seed_form, atol=1e-3)


def test_a_clamp_overwrites_only_its_units_and_combines():
    from gru_core.models import Clamp, GateClamp

    gate = torch.full((2, 4), 0.5)
    some = Clamp(update_gate=GateClamp((1, 3), 1.0))
    clamped = some.apply("update_gate", gate)
    assert clamped[:, [1, 3]].eq(1.0).all() and clamped[:, [0, 2]].eq(0.5).all()
    assert gate.eq(0.5).all()  # the input is not changed
    assert some.apply("reset_gate", gate) is gate
    both = some | Clamp(reset_gate=GateClamp(None, 0.0))
    assert both.apply("reset_gate", gate).eq(0.0).all() and both.update_gate == some.update_gate
    assert both.value_for("update_gate", 3) == 1.0 and both.value_for("update_gate", 0) is None
    assert both.value_for("reset_gate", 2) == 0.0
    assert bool(both) and not bool(Clamp()) and set(both.gates()) == {"update_gate", "reset_gate"}
