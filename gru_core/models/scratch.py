"""The GRU of d2l's chapter, written as its equations.

d2l's cell ("reset before"), ``ScratchGRU``::

    R_t  = sigma(X_t W_xr + H_{t-1} W_hr + b_r)
    Z_t  = sigma(X_t W_xz + H_{t-1} W_hz + b_z)
    H~_t = tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h)
    H_t  = Z_t * H_{t-1} + (1 - Z_t) * H~_t

PyTorch / cuDNN / Keras ``reset_after`` ("reset after", ``reset_after=True``)::

    H~_t = tanh(X_t W_xh + b_h + R_t * (H_{t-1} W_hh + b_hh))

The reset gate scales the *result* of the recurrent matmul, and that matmul
has its own bias ``b_hh``. With weights copied from ``nn.GRU`` the reset-after
cell reproduces it to float rounding; the reset-before cell does not.

Convention: Z near 1 *keeps* the old state (d2l and PyTorch; some courses
write the blend with Z and 1 - Z swapped).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# d2l's ``params`` list, in its order; the reset-after cell appends "b_hh".
PARAM_NAMES = ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r",
               "W_xh", "W_hh", "b_h", "W_hq", "b_q")
RESET_AFTER_BIAS = "b_hh"


@dataclass
class GateTrace:
    """One sequence through the cell; every array is (T, num_hiddens) except
    ``logits`` (T, vocab_size). Row t is the state *after* reading input t."""
    update_gate: np.ndarray
    reset_gate: np.ndarray
    candidate: np.ndarray
    hidden: np.ndarray
    logits: np.ndarray
    initial_hidden: np.ndarray

    @property
    def previous_hidden(self) -> np.ndarray:
        """H_{t-1} for every t (row 0 is the initial state)."""
        return np.concatenate([self.initial_hidden[None, :], self.hidden[:-1]], axis=0)


GATE_NAMES = ("update_gate", "reset_gate")


@dataclass(frozen=True)
class GateClamp:
    """Force one gate of ``units`` (None: every unit) to ``value``."""
    units: tuple[int, ...] | None
    value: float


@dataclass(frozen=True)
class Clamp:
    """An intervention: gates forced to fixed values while the cell runs.
    Build one with ``gru_core.interpret.make_clamp`` (which checks it);
    combine two with ``a | b``."""
    update_gate: GateClamp | None = None
    reset_gate: GateClamp | None = None

    def __bool__(self) -> bool:
        return self.update_gate is not None or self.reset_gate is not None

    def __or__(self, other: "Clamp") -> "Clamp":
        return Clamp(other.update_gate or self.update_gate, other.reset_gate or self.reset_gate)

    def gates(self) -> dict[str, GateClamp]:
        """The clamped gates by name."""
        return {name: getattr(self, name) for name in GATE_NAMES if getattr(self, name)}

    def apply(self, name: str, gate: torch.Tensor) -> torch.Tensor:
        """``gate`` with the clamped units overwritten (a copy; the input is kept)."""
        forced = getattr(self, name)
        if forced is None:
            return gate
        gate = gate.clone()
        if forced.units is None:
            gate[:] = forced.value
        else:
            gate[:, list(forced.units)] = forced.value
        return gate

    def value_for(self, name: str, unit: int) -> float | None:
        """The value forced on this unit of this gate, or None if it runs free."""
        forced = getattr(self, name)
        if forced is None or (forced.units is not None and unit not in forced.units):
            return None
        return forced.value


NO_CLAMP = Clamp()


def _normal(shape, generator, device):
    return nn.Parameter(torch.randn(shape, generator=generator).to(device) * 0.01)


def _zeros(shape, device):
    return nn.Parameter(torch.zeros(shape, device=device))


def seeded_generator(seed: int | None) -> torch.Generator:
    """A private generator: ``seed`` reproduces the weights; None draws a random seed."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


class ScratchGRU(nn.Module):
    """d2l's from-scratch GRU as an ``nn.Module`` (so ``state_dict`` works).

    ``params`` is d2l's list ``[W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh,
    b_h, W_hq, b_q]``; with ``reset_after=True`` a twelfth, ``b_hh``, follows.
    ``model(X, state)`` takes int64 ``X`` of shape (batch, steps) and returns
    ``(Y, (H,))`` with ``Y`` of shape (steps * batch, vocab_size).
    """

    def __init__(self, vocab_size: int, num_hiddens: int, device="cpu",
                 reset_after: bool = False, seed: int | None = None):
        super().__init__()
        self.vocab_size, self.num_hiddens, self.reset_after = vocab_size, num_hiddens, reset_after
        device = torch.device(device)
        generator = seeded_generator(seed)
        num_inputs = num_outputs = vocab_size
        for gate in ("z", "r", "h"):  # registration order is d2l's params order
            setattr(self, f"W_x{gate}", _normal((num_inputs, num_hiddens), generator, device))
            setattr(self, f"W_h{gate}", _normal((num_hiddens, num_hiddens), generator, device))
            setattr(self, f"b_{gate}", _zeros(num_hiddens, device))
        self.W_hq = _normal((num_hiddens, num_outputs), generator, device)
        self.b_q = _zeros(num_outputs, device)
        if reset_after:
            self.b_hh = _zeros(num_hiddens, device)

    @property
    def params(self) -> list[torch.Tensor]:
        return list(self.parameters())

    @property
    def device(self) -> torch.device:
        return self.W_xz.device

    def begin_state(self, batch_size: int = 1, device=None):
        return (torch.zeros((batch_size, self.num_hiddens), device=device or self.device,
                            dtype=self.W_xz.dtype),)

    def cell(self, X, H, clamp: Clamp = NO_CLAMP):
        """One time step: returns (Z, R, H_tilde, H_new). X is (batch, vocab) one-hot."""
        Z = torch.sigmoid((X @ self.W_xz) + (H @ self.W_hz) + self.b_z)
        R = torch.sigmoid((X @ self.W_xr) + (H @ self.W_hr) + self.b_r)
        Z, R = clamp.apply("update_gate", Z), clamp.apply("reset_gate", R)
        if self.reset_after:
            H_tilde = torch.tanh((X @ self.W_xh) + self.b_h + R * (H @ self.W_hh + self.b_hh))
        else:
            H_tilde = torch.tanh((X @ self.W_xh) + ((R * H) @ self.W_hh) + self.b_h)
        H = Z * H + (1 - Z) * H_tilde
        return Z, R, H_tilde, H

    def output(self, H):
        """The output layer: logits for the next character."""
        return H @ self.W_hq + self.b_q

    def forward(self, X, state):
        # d2l casts to float32; following the weights' dtype is the same for a
        # float32 model and lets a float64 copy run (gradcheck)
        inputs = F.one_hot(X.T.long(), self.vocab_size).type(self.W_xz.dtype)
        H, = state
        outputs = []
        for X_t in inputs:
            _, _, _, H = self.cell(X_t, H)
            outputs.append(self.output(H))
        return torch.cat(outputs, dim=0), (H,)

    @torch.no_grad()
    def trace(self, indices, initial_hidden=None, clamp: Clamp = NO_CLAMP) -> GateTrace:
        """Run one sequence and keep every gate; ``clamp`` optionally forces gates."""
        H = (torch.zeros(1, self.num_hiddens, device=self.device) if initial_hidden is None
             else torch.as_tensor(initial_hidden, dtype=torch.float32,
                                  device=self.device).reshape(1, -1))
        H0 = H
        inputs = F.one_hot(torch.as_tensor(list(indices), device=self.device).long(),
                           self.vocab_size).type(torch.float32)
        rows = {"update_gate": [], "reset_gate": [], "candidate": [], "hidden": [], "logits": []}
        for X_t in inputs:
            Z, R, H_tilde, H = self.cell(X_t[None, :], H, clamp)
            for key, value in zip(rows, (Z, R, H_tilde, H, self.output(H))):
                rows[key].append(value[0])
        return _to_trace(rows, H0[0], self.num_hiddens, self.vocab_size)


def _to_trace(rows: dict, initial_hidden, num_hiddens: int, vocab_size: int) -> GateTrace:
    widths = {"logits": vocab_size}
    arrays = {key: (torch.stack(values).cpu().numpy() if values
                    else np.zeros((0, widths.get(key, num_hiddens)), np.float32))
              for key, values in rows.items()}
    return GateTrace(initial_hidden=initial_hidden.detach().cpu().numpy(), **arrays)
