"""Shapes and inputs shared by the model tests."""
from __future__ import annotations

import torch


VOCAB, HIDDENS = 28, 16


D2L_ORDER = ["W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h", "W_hq", "b_q"]


def tokens(batch=3, steps=7, seed=0, vocab=VOCAB):
    return torch.randint(0, vocab, (batch, steps), generator=torch.Generator().manual_seed(seed))


def lively(model, scale: float = 0.5, seed: int = 0):
    """d2l's tiny initial weights replaced by larger random ones (biases too),
    so every term of the equations moves the outputs."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * scale)
    return model


def gradcheck_float64(model, vocab: int, batch: int = 2, steps: int = 3) -> bool:
    """torch.autograd.gradcheck of the outputs and final state of a float64
    copy, with respect to the initial state and every parameter."""
    model = lively(model.double(), scale=0.7)
    names = [name for name, _ in model.named_parameters()]
    X = tokens(batch=batch, steps=steps, vocab=vocab)
    state = tuple(torch.randn(s.shape, dtype=torch.float64, requires_grad=True)
                  for s in model.begin_state(batch))

    def outputs(*inputs):
        initial, params = inputs[:len(state)], inputs[len(state):]
        Y, final = torch.func.functional_call(model, dict(zip(names, params)), (X, initial))
        return (Y, *final)

    params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
    return torch.autograd.gradcheck(outputs, (*state, *params), eps=1e-6, atol=1e-5)
