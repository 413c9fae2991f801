"""The GRU of d2l's chapter, written as its equations, and PyTorch's ``nn.GRU``.

Seed formulation (d2l; "reset before"), used by ``ScratchGRU``::

    R_t  = sigma(X_t W_xr + H_{t-1} W_hr + b_r)
    Z_t  = sigma(X_t W_xz + H_{t-1} W_hz + b_z)
    H~_t = tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h)
    H_t  = Z_t * H_{t-1} + (1 - Z_t) * H~_t

PyTorch / cuDNN formulation ("reset after", ``reset_after=True``)::

    H~_t = tanh(X_t W_xh + b_h + R_t * (H_{t-1} W_hh + b_hh))

The reset gate scales the *result* of the recurrent matmul, and that matmul
has its own bias ``b_hh``. With weights copied from ``nn.GRU`` the reset-after
cell reproduces it to float rounding; the seed cell does not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SCRATCH_PARAM_NAMES = ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r",
                       "W_xh", "W_hh", "b_h", "W_hq", "b_q")
MODEL_KINDS = ("scratch", "scratch-reset-after", "scratch-fast", "scratch-fast-reset-after",
               "concise")


class DeviceError(ValueError):
    pass


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Like d2l's ``try_gpu``: "auto" takes cuda when present, else cpu; an
    explicit "cuda" without a GPU is an error, not a silent fallback."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"device '{name}' was asked for, but PyTorch sees no CUDA GPU on this "
                          f"machine. Use --device cpu, or --device auto to fall back to the CPU.")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise DeviceError(f"unknown device '{name}': use auto, cpu or cuda.") from exc


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


def _normal(shape, generator, device):
    return nn.Parameter(torch.randn(shape, generator=generator).to(device) * 0.01)


def _zeros(shape, device):
    return nn.Parameter(torch.zeros(shape, device=device))


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
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
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

    def cell(self, X, H, clamp: dict | None = None):
        """One time step: returns (Z, R, H_tilde, H_new). X is (batch, vocab) one-hot."""
        Z = torch.sigmoid((X @ self.W_xz) + (H @ self.W_hz) + self.b_z)
        R = torch.sigmoid((X @ self.W_xr) + (H @ self.W_hr) + self.b_r)
        Z, R = apply_clamp(Z, "update_gate", clamp), apply_clamp(R, "reset_gate", clamp)
        if self.reset_after:
            H_tilde = torch.tanh((X @ self.W_xh) + self.b_h + R * (H @ self.W_hh + self.b_hh))
        else:
            H_tilde = torch.tanh((X @ self.W_xh) + ((R * H) @ self.W_hh) + self.b_h)
        H = Z * H + (1 - Z) * H_tilde
        return Z, R, H_tilde, H

    def forward(self, X, state):
        # d2l casts to float32; following the weights' dtype is the same for a
        # float32 model and lets a float64 copy run (gradcheck)
        inputs = F.one_hot(X.T.long(), self.vocab_size).type(self.W_xz.dtype)
        H, = state
        outputs = []
        for X_t in inputs:
            _, _, _, H = self.cell(X_t, H)
            outputs.append(H @ self.W_hq + self.b_q)
        return torch.cat(outputs, dim=0), (H,)

    @torch.no_grad()
    def trace(self, indices, initial_hidden=None, clamp: dict | None = None) -> GateTrace:
        """Run one sequence and keep every gate. ``clamp`` optionally forces
        gates: ``{"update_gate": (units, value), "reset_gate": (units, value)}``
        with ``units`` a list of unit indices or None for all."""
        H = (torch.zeros(1, self.num_hiddens, device=self.device) if initial_hidden is None
             else torch.as_tensor(initial_hidden, dtype=torch.float32, device=self.device).reshape(1, -1))
        H0 = H
        inputs = F.one_hot(torch.as_tensor(list(indices), device=self.device).long(),
                           self.vocab_size).type(torch.float32)
        rows = {"update_gate": [], "reset_gate": [], "candidate": [], "hidden": [], "logits": []}
        for X_t in inputs:
            Z, R, H_tilde, H = self.cell(X_t[None, :], H, clamp)
            for key, value in zip(rows, (Z, R, H_tilde, H, H @ self.W_hq + self.b_q)):
                rows[key].append(value[0])
        return _to_trace(rows, H0[0], self.num_hiddens, self.vocab_size)


def _to_trace(rows: dict, initial_hidden, num_hiddens: int, vocab_size: int) -> GateTrace:
    widths = {"logits": vocab_size}
    arrays = {key: (torch.stack(values).cpu().numpy() if values
                    else np.zeros((0, widths.get(key, num_hiddens)), np.float32))
              for key, values in rows.items()}
    return GateTrace(initial_hidden=initial_hidden.detach().cpu().numpy(), **arrays)


def apply_clamp(gate, name: str, clamp: dict | None):
    """Interventions: overwrite chosen units of a gate with a fixed value."""
    if not clamp or name not in clamp:
        return gate
    units, value = clamp[name]
    gate = gate.clone()
    if units is None:
        gate[:] = value
    else:
        gate[:, list(units)] = value
    return gate


class ConciseGRU(nn.Module):
    """d2l's ``RNNModel`` around ``nn.GRU``: one-hot inputs, a linear head.
    The state is nn.GRU's ``(1, batch, num_hiddens)`` tensor, as in d2l."""

    def __init__(self, vocab_size: int, num_hiddens: int, device="cpu", seed: int | None = None):
        super().__init__()
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.rnn = nn.GRU(vocab_size, num_hiddens)
        self.linear = nn.Linear(num_hiddens, vocab_size)
        self._init_like_pytorch(seed)
        self.to(device)

    @torch.no_grad()
    def _init_like_pytorch(self, seed):
        """PyTorch's default init (uniform +-1/sqrt(fan)), drawn from a private
        generator so a seed reproduces the model without touching global RNG."""
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        bound = 1 / math.sqrt(self.num_hiddens)
        for p in self.rnn.parameters():
            p.uniform_(-bound, bound, generator=generator)
        for p in self.linear.parameters():
            p.uniform_(-bound, bound, generator=generator)

    @property
    def device(self) -> torch.device:
        return self.linear.weight.device

    def begin_state(self, batch_size: int = 1, device=None):
        return torch.zeros((1, batch_size, self.num_hiddens), device=device or self.device)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        Y, state = self.rnn(X, state)
        return self.linear(Y.reshape((-1, Y.shape[-1]))), state

    def gate_weights(self) -> dict[str, torch.Tensor]:
        """nn.GRU's stacked weights split into named gates (PyTorch order r, z, n),
        transposed to the scratch layout (inputs @ W)."""
        W_ir, W_iz, W_in = self.rnn.weight_ih_l0.chunk(3, 0)
        W_hr, W_hz, W_hn = self.rnn.weight_hh_l0.chunk(3, 0)
        b_ir, b_iz, b_in = self.rnn.bias_ih_l0.chunk(3, 0)
        b_hr, b_hz, b_hn = self.rnn.bias_hh_l0.chunk(3, 0)
        return {"W_xz": W_iz.T, "W_hz": W_hz.T, "b_z": b_iz + b_hz,
                "W_xr": W_ir.T, "W_hr": W_hr.T, "b_r": b_ir + b_hr,
                "W_xh": W_in.T, "W_hh": W_hn.T, "b_h": b_in, "b_hh": b_hn,
                "W_hq": self.linear.weight.T, "b_q": self.linear.bias}

    @torch.no_grad()
    def trace(self, indices, initial_hidden=None, clamp: dict | None = None) -> GateTrace:
        """Gates recomputed from nn.GRU's own weights by the reset-after cell."""
        return scratch_from_concise(self, reset_after=True).trace(indices, initial_hidden, clamp)


@torch.no_grad()
def scratch_from_concise(concise: ConciseGRU, reset_after: bool = True) -> ScratchGRU:
    """A scratch cell holding nn.GRU's weights. With ``reset_after=False`` the
    seed cell cannot use ``b_hh`` and differs from nn.GRU (the parity lab)."""
    model = ScratchGRU(concise.vocab_size, concise.num_hiddens, concise.device,
                       reset_after=reset_after, seed=0)
    weights = concise.gate_weights()
    if not reset_after:
        weights.pop("b_hh")
    for name, tensor in weights.items():
        getattr(model, name).copy_(tensor)
    return model


def make_model(kind: str, vocab_size: int, num_hiddens: int, device="cpu", seed: int | None = 0):
    """The one factory every caller (CLI, live runs, app) uses."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"model must be one of {', '.join(MODEL_KINDS)} (got '{kind}')")
    if num_hiddens < 1:
        raise ValueError(f"num_hiddens must be >= 1 (got {num_hiddens})")
    if kind == "concise":
        return ConciseGRU(vocab_size, num_hiddens, device, seed=seed)
    reset_after = kind.endswith("reset-after")
    if kind.startswith("scratch-fast"):
        from .fast import FastScratchGRU
        return FastScratchGRU(vocab_size, num_hiddens, device, reset_after=reset_after, seed=seed)
    return ScratchGRU(vocab_size, num_hiddens, device, reset_after=reset_after, seed=seed)


def model_kind(model: nn.Module) -> str:
    if isinstance(model, ConciseGRU):
        return "concise"
    fast = type(model).__name__ == "FastScratchGRU"
    return ("scratch-fast" if fast else "scratch") + ("-reset-after" if model.reset_after else "")
