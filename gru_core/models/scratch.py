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

    @property
    def quantities(self) -> dict[str, np.ndarray]:
        """The four quantities by name, in the order of the equations (as
        ``CellTrace.quantities``, so views can treat every cell alike)."""
        return {name: getattr(self, name) for name in GRU_QUANTITIES}

    @property
    def gates(self) -> tuple[str, ...]:
        """Which quantities are gates (sigmoids)."""
        return GATE_NAMES

    kind = "gru"   # the cell (a CellTrace names its own)


GATE_NAMES = ("update_gate", "reset_gate")
GRU_QUANTITIES = ("update_gate", "reset_gate", "candidate", "hidden")


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

    def at(self, t: int) -> "Clamp":
        """The clamp at time step t: a Clamp holds at every step."""
        return self


NO_CLAMP = Clamp()


@dataclass(frozen=True)
class StepSchedule:
    """Gates forced step by step, on every unit: at step t the update gate is
    ``update_gate[t]`` and the reset gate ``reset_gate[t]`` (None: the cell's
    own value; steps past the end run free). Cell loops call ``at(t)``, which
    gives that step's ``Clamp``, so a schedule goes wherever a clamp goes."""
    update_gate: tuple[float | None, ...] = ()
    reset_gate: tuple[float | None, ...] = ()

    def __post_init__(self):
        for name in GATE_NAMES:
            values = tuple(None if v is None else float(v) for v in getattr(self, name))
            bad = [v for v in values if v is not None and not 0.0 <= v <= 1.0]
            if bad:
                raise ValueError(f"a gate is a sigmoid: every {name} value must be in [0, 1] "
                                 f"or None (got {bad[0]})")
            object.__setattr__(self, name, values)

    def __len__(self) -> int:
        return max(len(self.update_gate), len(self.reset_gate))

    def __bool__(self) -> bool:
        return bool(self.gates())

    def at(self, t: int) -> Clamp:
        forced = {}
        for name in GATE_NAMES:
            values = getattr(self, name)
            if t < len(values) and values[t] is not None:
                forced[name] = GateClamp(None, values[t])
        return Clamp(**forced) if forced else NO_CLAMP

    def gates(self) -> dict[str, tuple]:
        """The gates forced at some step, by name."""
        return {name: getattr(self, name) for name in GATE_NAMES
                if any(v is not None for v in getattr(self, name))}


def refuse_missing_gates(clamp: Clamp | StepSchedule, gates: tuple[str, ...], cell: str) -> None:
    """A clamp may only force gates the cell has (the LSTM has no update gate)."""
    missing = [name for name in clamp.gates() if name not in gates]
    if missing:
        raise ValueError(f"the {cell} cell has no {', '.join(missing)} to clamp "
                         f"(its gates: {', '.join(gates) or 'none'})")


def normal_weight(shape, generator, device):
    """d2l's ``normal``: N(0, 0.01^2), drawn on the CPU from ``generator``."""
    return nn.Parameter(torch.randn(shape, generator=generator).to(device) * 0.01)


def zero_bias(shape, device):
    return nn.Parameter(torch.zeros(shape, device=device))


def add_d2l_params(module: nn.Module, groups: tuple[str, ...], vocab_size: int,
                   num_hiddens: int, generator: torch.Generator, device) -> None:
    """d2l's ``get_params``: for each group letter its ``three()`` (W_x?, W_h?,
    b_?), then the output layer (W_hq, b_q), registered and drawn in that
    order, so ``parameters()`` is d2l's ``params`` list and a seed its draws."""
    V, n = vocab_size, num_hiddens
    for letter in groups:
        setattr(module, f"W_x{letter}", normal_weight((V, n), generator, device))
        setattr(module, f"W_h{letter}", normal_weight((n, n), generator, device))
        setattr(module, f"b_{letter}", zero_bias(n, device))
    module.W_hq = normal_weight((num_hiddens, vocab_size), generator, device)
    module.b_q = zero_bias(vocab_size, device)


def seeded_generator(seed: int | None) -> torch.Generator:
    """A private generator: ``seed`` reproduces the weights; None draws a random seed."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


class ReadableCell(nn.Module):
    """What every from-scratch model shares (the GRU below, the other cells in
    ``cell.py``): d2l's ``params`` list, the device, d2l's zero initial state
    (one tensor per ``STATE`` entry) and the output layer."""
    STATE: tuple[str, ...] = ("hidden",)

    @property
    def params(self) -> list[torch.Tensor]:
        return list(self.parameters())

    @property
    def device(self) -> torch.device:
        return self.W_hq.device

    def begin_state(self, batch_size: int = 1, device=None) -> tuple[torch.Tensor, ...]:
        return tuple(torch.zeros((batch_size, self.num_hiddens), device=device or self.device,
                                 dtype=self.W_hq.dtype) for _ in self.STATE)

    def output(self, H):
        """The output layer: logits for the next character."""
        return H @ self.W_hq + self.b_q


class ScratchGRU(ReadableCell):
    """d2l's from-scratch GRU as an ``nn.Module`` (so ``state_dict`` works).

    ``params`` is d2l's list ``[W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh,
    b_h, W_hq, b_q]``; with ``reset_after=True`` a twelfth, ``b_hh``, follows.
    ``model(X, state)`` takes int64 ``X`` of shape (batch, steps) and returns
    ``(Y, (H,))`` with ``Y`` of shape (steps * batch, vocab_size).
    ``step``, ``QUANTITIES``, ``GATES`` and ``STATE`` are the protocol every
    readable cell answers (``gru_core.models.cell``).
    """
    QUANTITIES, GATES, STATE = GRU_QUANTITIES, GATE_NAMES, ("hidden",)

    def __init__(self, vocab_size: int, num_hiddens: int, device="cpu",
                 reset_after: bool = False, seed: int | None = None):
        super().__init__()
        self.vocab_size, self.num_hiddens, self.reset_after = vocab_size, num_hiddens, reset_after
        device = torch.device(device)
        add_d2l_params(self, ("z", "r", "h"), vocab_size, num_hiddens, seeded_generator(seed),
                       device)
        if reset_after:
            self.b_hh = zero_bias(num_hiddens, device)

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

    def step(self, X, state: tuple, clamp: Clamp = NO_CLAMP) -> tuple[dict, tuple]:
        """``cell`` in the form every readable cell shares: (quantities, new state)."""
        Z, R, H_tilde, H = self.cell(X, state[0], clamp)
        return {"update_gate": Z, "reset_gate": R, "candidate": H_tilde, "hidden": H}, (H,)

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
        """Run one sequence and keep every gate; ``clamp`` (a ``Clamp``, or a
        ``StepSchedule`` for one clamp per step) optionally forces gates."""
        dtype = self.W_xz.dtype   # float32, or a float64 copy's
        H = (torch.zeros(1, self.num_hiddens, device=self.device, dtype=dtype)
             if initial_hidden is None
             else torch.as_tensor(initial_hidden, dtype=dtype, device=self.device).reshape(1, -1))
        H0 = H
        inputs = F.one_hot(torch.as_tensor(list(indices), device=self.device).long(),
                           self.vocab_size).type(dtype)
        rows = {"update_gate": [], "reset_gate": [], "candidate": [], "hidden": [], "logits": []}
        for t, X_t in enumerate(inputs):
            Z, R, H_tilde, H = self.cell(X_t[None, :], H, clamp.at(t))
            for key, value in zip(rows, (Z, R, H_tilde, H, self.output(H))):
                rows[key].append(value[0])
        arrays = trace_arrays(rows, self.num_hiddens, self.vocab_size)
        return self.make_trace(arrays, arrays.pop("logits"), {"hidden": H0[0]})

    def make_trace(self, quantities: dict, logits: np.ndarray, initial_state: dict) -> GateTrace:
        """The GRU's trace from per-quantity arrays (``long_trace`` builds them too)."""
        initial = torch.as_tensor(initial_state["hidden"]).detach().cpu().numpy()
        return GateTrace(logits=logits, initial_hidden=initial, **quantities)


def trace_arrays(rows: dict[str, list], num_hiddens: int, vocab_size: int) -> dict:
    """Per-step rows (each (num_hiddens,), logits (vocab_size,)) stacked to (T, width)."""
    widths = {"logits": vocab_size}
    return {key: (torch.stack(values).detach().cpu().numpy() if values
                  else np.zeros((0, widths.get(key, num_hiddens)), np.float32))
            for key, values in rows.items()}
