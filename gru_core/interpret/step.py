"""One step of the cell for one unit, recomputed term by term in float64."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..data import Vocab
from ..models import NO_CLAMP, Clamp, GateTrace, ScratchGRU
from .cells import as_indices, check_position, readable_cell
from .probes import decode
from .quantities import QUANTITIES


@dataclass
class GateTerms:
    """sigma(x_t W_x[j] + H_{t-1} W_h[j] + b[j]) term by term; ``value`` is the
    gate the cell used (``clamped`` when an intervention overrode the sigmoid)."""
    input_term: float
    hidden_term: float
    bias: float
    pre_activation: float
    sigmoid: float
    value: float
    clamped: bool


@dataclass
class CandidateTerms:
    """tanh(input_term + recurrent_term + bias). Reset before (d2l):
    recurrent_term = ((R * H_{t-1}) W_hh)[j] and recurrent_unreset = (H_{t-1} W_hh)[j].
    Reset after (nn.GRU): recurrent_term = R[j] * recurrent_unreset with
    recurrent_unreset = (H_{t-1} W_hh)[j] + b_hh[j]; ``hidden_bias`` is b_hh[j]."""
    input_term: float
    recurrent_unreset: float
    recurrent_term: float
    bias: float
    hidden_bias: float | None
    pre_activation: float
    value: float
    # reset before: ||R * H_{t-1}||, the vector that enters the matmul (None after)
    reset_hidden_norm: float | None = None

    @property
    def reset_change(self) -> float:
        """How much the reset gate moved this unit's recurrent term."""
        return self.recurrent_term - self.recurrent_unreset


@dataclass
class StepDetails:
    """Every number of the cell at position t for unit j, and the check that
    they reproduce the trace."""
    position: int
    unit: int
    char: str
    char_index: int
    reset_after: bool
    update: GateTerms
    reset: GateTerms
    candidate: CandidateTerms
    previous_hidden: float
    kept_old: float        # Z * H_{t-1}: the path that keeps the old state
    added_new: float       # (1 - Z) * H~: the path that writes the candidate
    hidden: float          # H_t = kept_old + added_new
    max_abs_diff: float    # largest |recomputed - trace| over Z, R, H~, H
    previous_norm: float = 0.0   # ||H_{t-1}|| over all units: what the matmul reads
    num_hiddens: int = 0

    @property
    def keep_share(self) -> float:
        """How much of H_t's magnitude came through the keep path (0..1)."""
        total = abs(self.kept_old) + abs(self.added_new)
        return abs(self.kept_old) / total if total > 0 else 0.5


def _column(cell: ScratchGRU, name: str, unit: int) -> np.ndarray:
    return getattr(cell, name).detach()[..., unit].cpu().double().numpy()


def _gate_terms(cell, gate: str, char_index: int, previous, unit: int,
                clamp: Clamp) -> GateTerms:
    """``gate`` is "z" or "r" (the letter in W_xz, W_hz, b_z)."""
    input_term = float(_column(cell, f"W_x{gate}", unit)[char_index])
    hidden_term = float(previous @ _column(cell, f"W_h{gate}", unit))
    bias = float(_column(cell, f"b_{gate}", unit))
    pre_activation = input_term + hidden_term + bias
    sigmoid = float(1.0 / (1.0 + np.exp(-pre_activation)))
    forced = clamp.value_for("update_gate" if gate == "z" else "reset_gate", unit)
    used = sigmoid if forced is None else float(forced)
    return GateTerms(input_term, hidden_term, bias, pre_activation, sigmoid, used,
                     forced is not None)


def _candidate_terms(cell, char_index: int, previous, reset_vector, reset_gate: float,
                     unit: int) -> CandidateTerms:
    input_term = float(_column(cell, "W_xh", unit)[char_index])
    W_hh = _column(cell, "W_hh", unit)
    bias = float(_column(cell, "b_h", unit))
    reset_norm = None
    if cell.reset_after:
        hidden_bias = float(_column(cell, "b_hh", unit))
        unreset = float(previous @ W_hh) + hidden_bias
        recurrent = reset_gate * unreset
    else:  # the whole vector R * H_{t-1} enters the matmul: no per-unit "x R_j" here
        hidden_bias, unreset = None, float(previous @ W_hh)
        recurrent = float((reset_vector * previous) @ W_hh)
        reset_norm = float(np.linalg.norm(reset_vector * previous))
    pre_activation = input_term + recurrent + bias
    return CandidateTerms(input_term, unreset, recurrent, bias, hidden_bias, pre_activation,
                          float(np.tanh(pre_activation)), reset_norm)


@torch.no_grad()
def step_details(model: nn.Module, trace: GateTrace, indices, vocab: Vocab, position: int,
                 unit: int, clamp: Clamp = NO_CLAMP) -> StepDetails:
    """Recompute step ``position`` of ``trace`` for one unit in float64 from the
    weights; pass the clamp the trace was made with, if any. The reset-before
    candidate needs the whole R vector: it is taken from the trace."""
    cell = readable_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    t = check_position("position", position, len(trace.hidden))
    j = check_position("unit", unit, cell.num_hiddens)
    char_index = int(indices[t])
    previous = trace.previous_hidden[t].astype(np.float64)
    update = _gate_terms(cell, "z", char_index, previous, j, clamp)
    reset = _gate_terms(cell, "r", char_index, previous, j, clamp)
    candidate = _candidate_terms(cell, char_index, previous, trace.reset_gate[t].astype(np.float64),
                                 reset.value, j)
    kept_old = update.value * previous[j]
    added_new = (1.0 - update.value) * candidate.value
    recomputed = np.array([update.value, reset.value, candidate.value, kept_old + added_new])
    traced = np.array([getattr(trace, name)[t, j] for name in QUANTITIES], np.float64)
    return StepDetails(t, j, decode([char_index], vocab)[0], char_index, cell.reset_after,
                       update, reset, candidate, float(previous[j]), float(kept_old),
                       float(added_new), float(kept_old + added_new),
                       float(np.abs(recomputed - traced).max()),
                       float(np.linalg.norm(previous)), cell.num_hiddens)
