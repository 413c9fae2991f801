"""The parity lab: nn.GRU's weights in both scratch cells, compared step by step."""
from __future__ import annotations

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
    for the output logits, for each scratch cell holding nn.GRU's weights."""
    hidden_diff: dict[str, np.ndarray]
    output_diff: dict[str, np.ndarray]

    @property
    def max_diff(self) -> dict[str, float]:
        return {name: float(max(self.hidden_diff[name].max(), self.output_diff[name].max()))
                for name in self.hidden_diff}


@torch.no_grad()
def parity_lab(concise: ConciseGRU, indices) -> ParityReport:
    """Copy nn.GRU's weights into the reset-after and the reset-before scratch
    cells and compare each step with nn.GRU's own outputs."""
    if not isinstance(concise, ConciseGRU):
        raise TypeError(f"the parity lab needs an nn.GRU model (ConciseGRU), "
                        f"got {type(concise).__name__}")
    indices = as_indices(indices, concise.vocab_size)
    inputs = F.one_hot(torch.as_tensor(indices, device=concise.device),
                       concise.vocab_size).float()[:, None, :]       # (T, batch 1, V)
    hidden, _ = concise.rnn(inputs, concise.begin_state(1))
    reference = {"hidden": hidden[:, 0].cpu().numpy(),
                 "logits": concise.linear(hidden[:, 0]).cpu().numpy()}
    hidden_diff, output_diff = {}, {}
    for name, reset_after in PARITY_CELLS.items():
        trace = scratch_from_concise(concise, reset_after).trace(indices.tolist())
        hidden_diff[name] = np.abs(trace.hidden - reference["hidden"]).max(axis=1)
        output_diff[name] = np.abs(trace.logits - reference["logits"]).max(axis=1)
    return ParityReport(hidden_diff, output_diff)
