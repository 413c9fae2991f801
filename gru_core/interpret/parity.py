"""The parity lab: nn.GRU's weights in both scratch cells, compared step by step,
against the rounding level measured in float64.

What "float rounding" means here is measured, not assumed: nn.GRU is run again
in float64 (the exact arithmetic, for float32 purposes), and the rounding level
at a step is, per unit, how far the float32 scratch cell and float32 nn.GRU
each are from it, added (max over units). By the triangle inequality two
computations of the same formula can never differ by more than that; a cell
that computes another formula (reset-before) lands far above it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..models import ConciseGRU, scratch_from_concise
from .cells import as_indices

PARITY_CELLS = {"reset-after": True, "reset-before": False}  # name -> reset_after


@dataclass
class ParityReport:
    """Per step, max over units of |scratch - nn.GRU| for the hidden state and
    for the output logits, for each scratch cell holding nn.GRU's weights; and
    per step the rounding level of each (``hidden_rounding``, ``output_rounding``):
    max over units of |scratch32 - exact| + |nn.GRU32 - exact|, exact being
    nn.GRU in float64 (for reset-before, the reset-after cell's error stands in
    for the float32 scratch computation's). Empty when built without them."""
    hidden_diff: dict[str, np.ndarray]
    output_diff: dict[str, np.ndarray]
    hidden_rounding: np.ndarray | None = None
    output_rounding: np.ndarray | None = None

    @property
    def max_diff(self) -> dict[str, float]:
        return {name: float(max(self.hidden_diff[name].max(), self.output_diff[name].max()))
                for name in self.hidden_diff}

    def within_rounding(self, name: str) -> bool:
        """True when cell ``name`` stays at or under the rounding level at every
        step, hidden state and outputs alike: the same formula as nn.GRU."""
        if self.hidden_rounding is None or self.output_rounding is None:
            raise ValueError("this report has no measured rounding level")
        return bool(np.all(self.hidden_diff[name] <= self.hidden_rounding)
                    and np.all(self.output_diff[name] <= self.output_rounding))

    def times_rounding(self, name: str) -> float:
        """The largest ratio difference / rounding level over steps (how many
        times the rounding level the cell is off, at its worst)."""
        if self.hidden_rounding is None or self.output_rounding is None:
            raise ValueError("this report has no measured rounding level")
        tiny = np.finfo(np.float64).tiny
        return float(max((self.hidden_diff[name] / np.maximum(self.hidden_rounding, tiny)).max(),
                         (self.output_diff[name] / np.maximum(self.output_rounding, tiny)).max()))

    def verdict(self, name: str) -> str:
        """One sentence that agrees with the figure's rounding line."""
        worst = self.max_diff[name]
        if self.within_rounding(name):
            return (f"{name}: within float32 rounding at every step (largest difference "
                    f"{worst:.1e}, never above the measured rounding level): the same formula "
                    f"as nn.GRU.")
        return (f"{name}: up to {self.times_rounding(name):,.0f} times the measured rounding "
                f"level (largest difference {worst:.1e}): a different formula, not rounding.")


def _nn_gru_run(concise: ConciseGRU, inputs: torch.Tensor) -> dict[str, np.ndarray]:
    hidden, _ = concise.rnn(inputs, torch.zeros(1, 1, concise.num_hiddens, dtype=inputs.dtype,
                                                device=inputs.device))
    return {"hidden": hidden[:, 0].cpu().double().numpy(),
            "logits": concise.linear(hidden[:, 0]).cpu().double().numpy()}


@torch.no_grad()
def parity_lab(concise: ConciseGRU, indices) -> ParityReport:
    """Copy nn.GRU's weights into the reset-after and the reset-before scratch
    cells and compare each step with nn.GRU's own outputs, beside the rounding
    level measured against nn.GRU in float64."""
    if not isinstance(concise, ConciseGRU):
        raise TypeError(f"the parity lab needs an nn.GRU model (ConciseGRU), "
                        f"got {type(concise).__name__}")
    indices = as_indices(indices, concise.vocab_size)
    inputs = F.one_hot(torch.as_tensor(indices, device=concise.device),
                       concise.vocab_size).float()[:, None, :]       # (T, batch 1, V)
    reference = _nn_gru_run(concise, inputs)
    exact = _nn_gru_run(copy.deepcopy(concise).double(), inputs.double())
    hidden_diff, output_diff, traces = {}, {}, {}
    for name, reset_after in PARITY_CELLS.items():
        trace = scratch_from_concise(concise, reset_after).trace(indices.tolist())
        traces[name] = trace
        hidden_diff[name] = np.abs(trace.hidden - reference["hidden"]).max(axis=1)
        output_diff[name] = np.abs(trace.logits - reference["logits"]).max(axis=1)
    same_formula = traces["reset-after"]
    return ParityReport(hidden_diff, output_diff,
                        _rounding_level(same_formula.hidden, reference["hidden"], exact["hidden"]),
                        _rounding_level(same_formula.logits, reference["logits"], exact["logits"]))


def _rounding_level(scratch, nn_gru, exact) -> np.ndarray:
    """Per step, max over units of |scratch - exact| + |nn_gru - exact|: the
    float32 rounding of both computations, added; the factor 1 + 1e-9 covers
    float64's own rounding of the sum where the bound holds with equality."""
    scratch, nn_gru = np.asarray(scratch, np.float64), np.asarray(nn_gru, np.float64)
    return (np.abs(scratch - exact) + np.abs(nn_gru - exact)).max(axis=1) * (1 + 1e-9)
