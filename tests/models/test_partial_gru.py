"""gru_core.models.partial_gru: the GRU without its update gate, and without
its reset gate: their equations line by line, and the GRU with that gate clamped."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gru_core.models import (Clamp, GateClamp, ResetOnlyGRU, ScratchGRU, UpdateOnlyGRU,
                             make_model)

from .common import HIDDENS, VOCAB, gradcheck_float64, lively, tokens


def reset_only(inputs, state, params):
    """The GRU's equations with Z = 0 (so H_t = H~_t), written out."""
    W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        outputs.append(H @ W_hq + b_q)
    return torch.cat(outputs, dim=0), (H,)


def update_only(inputs, state, params):
    """The GRU's equations with R = 1, written out."""
    W_xz, W_hz, b_z, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        H_tilda = torch.tanh((X @ W_xh) + (H @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        outputs.append(H @ W_hq + b_q)
    return torch.cat(outputs, dim=0), (H,)


CELLS = {"reset-only": (ResetOnlyGRU, reset_only, ["W_xr", "W_hr", "b_r"],
                        Clamp(update_gate=GateClamp(None, 0.0))),
         "update-only": (UpdateOnlyGRU, update_only, ["W_xz", "W_hz", "b_z"],
                         Clamp(reset_gate=GateClamp(None, 1.0)))}


@pytest.mark.parametrize("kind", CELLS)
def test_params_are_the_grus_without_the_removed_gate(kind):
    cls, _, gate_params, _ = CELLS[kind]
    model = make_model(kind, VOCAB, HIDDENS, seed=0)
    assert type(model) is cls
    assert [n for n, _ in model.named_parameters()] == gate_params + ["W_xh", "W_hh", "b_h",
                                                                      "W_hq", "b_q"]
    assert all(torch.count_nonzero(getattr(model, n)) == 0 for n in ("b_h", "b_q", gate_params[2]))


@pytest.mark.parametrize("kind", CELLS)
def test_forward_equals_the_written_out_equations(kind):
    cls, equations, _, _ = CELLS[kind]
    model = lively(cls(VOCAB, HIDDENS, seed=1))
    X, H0 = tokens(batch=4, steps=9, seed=3), torch.randn(4, HIDDENS) * 0.5
    Y, (H,) = model(X, (H0.clone(),))
    inputs = F.one_hot(X.T, VOCAB).type(torch.float32)
    Y_ref, (H_ref,) = equations(inputs, (H0.clone(),), [p.detach() for p in model.params])
    assert torch.allclose(Y, Y_ref, atol=1e-6, rtol=0) and torch.allclose(H, H_ref, atol=1e-6)
    assert Y.std() > 0.1


@pytest.mark.parametrize("kind", CELLS)
def test_it_is_the_gru_with_that_gate_clamped(kind):
    cls, _, _, clamp = CELLS[kind]
    model = lively(cls(VOCAB, HIDDENS, seed=2))
    gru = lively(ScratchGRU(VOCAB, HIDDENS, seed=0), seed=9)
    with torch.no_grad():
        for name, p in model.named_parameters():
            getattr(gru, name).copy_(p)
    indices = tokens(batch=1, steps=30, seed=4)[0].tolist()
    ours, clamped = model.trace(indices), gru.trace(indices, clamp=clamp)
    assert abs(ours.hidden - clamped.hidden).max() < 1e-6
    assert abs(ours.logits - clamped.logits).max() < 1e-5
    assert abs(ours.candidate - clamped.candidate).max() < 1e-6


@pytest.mark.parametrize("kind", CELLS)
def test_trace_holds_only_the_gate_the_cell_has(kind):
    model = lively(make_model(kind, VOCAB, HIDDENS, seed=3))
    trace = model.trace([1, 2, 3, 4])
    own = "reset_gate" if kind == "reset-only" else "update_gate"
    missing = "update_gate" if kind == "reset-only" else "reset_gate"
    assert tuple(trace.quantities) == (own, "candidate", "hidden") and trace.gates == (own,)
    assert not hasattr(trace, missing)
    if kind == "reset-only":
        assert (trace.hidden == trace.candidate).all()  # Z = 0: H_t = H~_t
    forced = model.trace([1, 2, 3, 4], clamp=Clamp(**{own: GateClamp(None, 1.0)}))
    assert (forced.quantities[own] == 1.0).all()
    with pytest.raises(ValueError, match=f"the {kind} cell has no {missing} to clamp"):
        model.trace([1, 2], clamp=Clamp(**{missing: GateClamp(None, 1.0)}))


@pytest.mark.parametrize("kind", CELLS)
def test_gradcheck_float64(kind):
    assert gradcheck_float64(make_model(kind, 5, 3, seed=0), vocab=5)
