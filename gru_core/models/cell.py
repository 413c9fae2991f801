"""What d2l's from-scratch cells other than the GRU share: parameters drawn
as d2l's ``get_params`` draws them, one-hot inputs, the step loop, the output
layer, and ``trace()`` into a ``CellTrace``.

A cell module writes only its own equations (``step``) and names what it keeps
(``QUANTITIES``, in the order of its equations, and which of them are ``GATES``).
``ScratchGRU`` keeps its own code (``scratch.py``: its ``cell``, its
``GateTrace``), shares ``ReadableCell`` with these, and answers the same
protocol: ``step``, ``output``, ``begin_state``, ``QUANTITIES``, ``GATES``,
``STATE``, ``trace`` and ``make_trace``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .scratch import (NO_CLAMP, Clamp, ReadableCell, add_d2l_params, refuse_missing_gates,
                      seeded_generator, trace_arrays)


@dataclass
class CellTrace:
    """One sequence through a cell: every quantity (T, num_hiddens) by name,
    in the order of the cell's equations, and ``logits`` (T, vocab_size). Row
    t is the state *after* reading input t. ``trace.forget_gate`` reads
    ``trace.quantities["forget_gate"]``, as ``GateTrace`` fields read."""
    kind: str                              # the cell, e.g. "lstm" (a GateTrace says "gru")
    quantities: dict[str, np.ndarray]
    gates: tuple[str, ...]                 # which quantities are gates (sigmoids)
    logits: np.ndarray
    initial_state: dict[str, np.ndarray]   # "hidden" (and the LSTM's "memory") before t = 0

    def __getattr__(self, name: str):
        quantities = self.__dict__.get("quantities", {})
        if name in quantities:
            return quantities[name]
        raise AttributeError(f"a {self.__dict__.get('kind', '?')} trace has no '{name}' "
                             f"(it holds {', '.join(quantities)})")

    @property
    def initial_hidden(self) -> np.ndarray:
        return self.initial_state["hidden"]

    def previous(self, name: str) -> np.ndarray:
        """A state quantity one step earlier (row 0 is the initial state)."""
        return np.concatenate([self.initial_state[name][None, :],
                               self.quantities[name][:-1]], axis=0)

    @property
    def previous_hidden(self) -> np.ndarray:
        return self.previous("hidden")


class ScratchCell(ReadableCell):
    """A d2l from-scratch recurrent cell as an ``nn.Module``.

    ``GROUPS`` are d2l's ``three()`` groups, one letter each ("i" draws
    ``W_xi, W_hi, b_i``), drawn in that order, then ``W_hq, b_q``: so
    ``params`` is d2l's list and a seed reproduces d2l's draws. Weights are
    normal(0, 0.01), biases zero. ``model(X, state)`` takes int64 ``X`` of
    shape (batch, steps) and returns ``(Y, state)``, ``Y`` (steps * batch, vocab).
    """
    KIND = ""
    GROUPS: tuple[str, ...] = ()
    QUANTITIES: tuple[str, ...] = ("hidden",)
    GATES: tuple[str, ...] = ()
    STATE: tuple[str, ...] = ("hidden",)     # what ``begin_state`` holds, in order (H, C)

    def __init__(self, vocab_size: int, num_hiddens: int, device="cpu", seed: int | None = None):
        super().__init__()
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        add_d2l_params(self, self.GROUPS, vocab_size, num_hiddens, seeded_generator(seed),
                       torch.device(device))

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """d2l's ``params`` list by name, in its order."""
        return tuple(name for letter in cls.GROUPS
                     for name in (f"W_x{letter}", f"W_h{letter}", f"b_{letter}")) + ("W_hq", "b_q")

    def step(self, X, state: tuple, clamp: Clamp = NO_CLAMP) -> tuple[dict, tuple]:
        """One time step: ({quantity: value}, new state). X is (batch, vocab) one-hot."""
        raise NotImplementedError

    def forward(self, X, state):
        inputs = F.one_hot(X.T.long(), self.vocab_size).type(self.W_hq.dtype)
        outputs = []
        for X_t in inputs:
            _, state = self.step(X_t, state)
            outputs.append(self.output(state[0]))
        return torch.cat(outputs, dim=0), state

    @torch.no_grad()
    def trace(self, indices, initial_state=None, clamp: Clamp = NO_CLAMP) -> CellTrace:
        """Run one sequence and keep every quantity. ``initial_state``: one
        (num_hiddens,) array per ``STATE`` entry (None: zeros); ``clamp`` (a
        ``Clamp`` or a per-step ``StepSchedule``) forces gates the cell has."""
        refuse_missing_gates(clamp, self.GATES, self.KIND)
        state = self.begin_state(1)
        if initial_state is not None:
            state = tuple(torch.as_tensor(np.asarray(s), dtype=self.W_hq.dtype,
                                          device=self.device).reshape(1, -1)
                          for s in initial_state)
        first = state
        inputs = F.one_hot(torch.as_tensor(list(indices), device=self.device).long(),
                           self.vocab_size).type(self.W_hq.dtype)
        rows = {name: [] for name in self.QUANTITIES + ("logits",)}
        for t, X_t in enumerate(inputs):
            values, state = self.step(X_t[None, :], state, clamp.at(t))
            for name in self.QUANTITIES:
                rows[name].append(values[name][0])
            rows["logits"].append(self.output(state[0])[0])
        arrays = trace_arrays(rows, self.num_hiddens, self.vocab_size)
        logits = arrays.pop("logits")
        return self.make_trace(arrays, logits, {name: s[0] for name, s in zip(self.STATE, first)})

    def make_trace(self, quantities: dict, logits: np.ndarray, initial_state: dict) -> CellTrace:
        return CellTrace(self.KIND, quantities, self.GATES, logits,
                         {name: torch.as_tensor(value).detach().cpu().numpy()
                          for name, value in initial_state.items()})
