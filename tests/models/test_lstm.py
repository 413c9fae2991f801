"""gru_core.models.lstm: d2l's from-scratch LSTM line by line, nn.LSTM as d2l
wraps it, and the scratch cell holding nn.LSTM's weights reproducing it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gru_core.models import ConciseLSTM, ScratchLSTM, make_model, scratch_lstm_from_concise

from .common import HIDDENS, VOCAB, gradcheck_float64, lively, tokens

D2L_LSTM_ORDER = ["W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f", "W_xo", "W_ho", "b_o",
                  "W_xc", "W_hc", "b_c", "W_hq", "b_q"]


def d2l_lstm(inputs, state, params):
    """d2l 10.1's ``lstm``, line by line."""
    [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params
    (H, C) = state
    outputs = []
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)  # noqa: E741
        F_ = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = F_ * C + I * C_tilda
        H = O * torch.tanh(C)
        Y = (H @ W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H, C)


def test_params_are_d2ls_fourteen_tensors_drawn_as_get_lstm_params_draws_them():
    model = ScratchLSTM(VOCAB, 256, seed=0)
    assert [name for name, _ in model.named_parameters()] == D2L_LSTM_ORDER
    assert [tuple(p.shape) for p in model.params] == (
        [(VOCAB, 256), (256, 256), (256,)] * 4 + [(256, VOCAB), (VOCAB,)])
    weights = torch.cat([p.flatten() for n, p in model.named_parameters() if n.startswith("W")])
    assert weights.std().item() == pytest.approx(0.01, rel=0.01)
    assert all(torch.count_nonzero(getattr(model, f"b_{g}")) == 0 for g in "ifocq")
    generator = torch.Generator().manual_seed(0)  # d2l's draw order: W_xi, W_hi, W_xf, ...
    W_xi, W_hi, W_xf = (torch.randn(shape, generator=generator) * 0.01
                        for shape in ((VOCAB, 256), (256, 256), (VOCAB, 256)))
    assert torch.equal(model.W_hi.detach(), W_hi) and torch.equal(model.W_xf.detach(), W_xf)


def test_state_is_the_pair_h_c_and_forward_equals_d2l_transcription():
    model = lively(ScratchLSTM(VOCAB, HIDDENS, seed=1))
    H, C = model.begin_state(batch_size=4)
    assert H.shape == C.shape == (4, HIDDENS) and not H.any() and not C.any()
    X = tokens(batch=4, steps=9, seed=3)
    state = (torch.randn(4, HIDDENS) * 0.5, torch.randn(4, HIDDENS))
    Y, (H, C) = model(X, tuple(s.clone() for s in state))
    inputs = F.one_hot(X.T, VOCAB).type(torch.float32)
    Y_ref, (H_ref, C_ref) = d2l_lstm(inputs, state, [p.detach() for p in model.params])
    assert Y.shape == (9 * 4, VOCAB)
    assert torch.allclose(Y, Y_ref, atol=1e-6, rtol=0)
    assert torch.allclose(H, H_ref, atol=1e-6) and torch.allclose(C, C_ref, atol=1e-6)
    assert Y.std() > 0.1


def test_trace_keeps_the_gates_and_the_memory_cell_of_each_step():
    model = lively(ScratchLSTM(VOCAB, HIDDENS, seed=2))
    indices = [3, 9, 2, 1, 3, 5, 14]
    trace = model.trace(indices)
    assert tuple(trace.quantities) == ("input_gate", "forget_gate", "output_gate",
                                       "candidate_memory", "memory", "hidden")
    assert trace.gates == ("input_gate", "forget_gate", "output_gate")
    Y, (H, C) = model(torch.tensor([indices]), model.begin_state(1))
    assert np.allclose(trace.logits, Y.detach().numpy(), atol=1e-6)
    assert np.allclose(trace.memory[-1], C[0].detach().numpy(), atol=1e-6)
    # C_t = F_t * C_{t-1} + I_t * C~_t and H_t = O_t * tanh(C_t), row by row
    expected_memory = (trace.forget_gate * trace.previous("memory")
                       + trace.input_gate * trace.candidate_memory)
    assert abs(trace.memory - expected_memory).max() < 1e-6
    assert abs(trace.hidden - trace.output_gate * np.tanh(trace.memory)).max() < 1e-6
    restarted = model.trace(indices[3:], initial_state=(trace.hidden[2], trace.memory[2]))
    assert abs(restarted.hidden - trace.hidden[3:]).max() < 1e-6


def test_gradcheck_float64():
    assert gradcheck_float64(ScratchLSTM(5, 3, seed=0), vocab=5)


def test_concise_lstm_is_d2ls_rnn_model_around_nn_lstm():
    model = make_model("concise-lstm", VOCAB, HIDDENS, seed=0)
    assert isinstance(model, ConciseLSTM) and isinstance(model.rnn, nn.LSTM)
    h, c = model.begin_state(batch_size=3)
    assert h.shape == c.shape == (1, 3, HIDDENS)
    X = tokens(batch=3, steps=5)
    Y, (h, c) = model(X, (h, c))
    outputs, _ = model.rnn(F.one_hot(X.T, VOCAB).float(), model.begin_state(3))
    assert torch.allclose(Y, model.linear(outputs.reshape(-1, HIDDENS)), atol=1e-6)
    same = make_model("concise-lstm", VOCAB, HIDDENS, seed=0)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), same.parameters()))


def test_scratch_lstm_with_nn_lstms_weights_reproduces_it():
    concise = lively(ConciseLSTM(VOCAB, HIDDENS, seed=2), scale=0.4)
    X = tokens(batch=4, steps=30, seed=1)
    Y_ref, (h_ref, c_ref) = concise(X, concise.begin_state(4))
    scratch = scratch_lstm_from_concise(concise)
    Y, (H, C) = scratch(X, scratch.begin_state(4))
    assert (Y - Y_ref).abs().max().item() <= 1e-5
    assert (H - h_ref[0]).abs().max().item() <= 1e-5
    assert (C - c_ref[0]).abs().max().item() <= 1e-5
    assert Y_ref.std() > 0.1


def test_concise_trace_is_nn_lstms_own_gates():
    concise = lively(ConciseLSTM(VOCAB, HIDDENS, seed=1), scale=0.4)
    indices = tokens(batch=1, steps=40, seed=7)
    trace = concise.trace(indices[0].tolist())
    outputs, _ = concise.rnn(F.one_hot(indices.T, VOCAB).float(), concise.begin_state(1))
    assert abs(trace.hidden - outputs[:, 0].detach().numpy()).max() <= 1e-5
    # PyTorch's gates are stacked i, f, g, o: the forget gate is rows [H:2H]
    x0 = F.one_hot(indices[0, 0], VOCAB).float()
    pre = concise.rnn.weight_ih_l0 @ x0 + concise.rnn.bias_ih_l0 + concise.rnn.bias_hh_l0
    assert np.allclose(trace.forget_gate[0],
                       torch.sigmoid(pre[HIDDENS:2 * HIDDENS]).detach().numpy(), atol=1e-6)
    assert np.allclose(trace.output_gate[0],
                       torch.sigmoid(pre[3 * HIDDENS:]).detach().numpy(), atol=1e-6)
