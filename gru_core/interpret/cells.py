"""The readable cell behind any model, and the input checks every analysis shares.

The GRU's analyses run ``ScratchGRU.cell`` (the chapter's four equations);
``nn.GRU`` is read through ``scratch_from_concise(..., reset_after=True)``,
which reproduces it to float rounding (see ``parity.parity_lab``). The
analyses that mean something for every cell (traces, perplexity, saliency,
memory reach) take ``scratch_cell``: any from-scratch cell, nn.LSTM read
through ``scratch_lstm_from_concise``.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models import (ConciseGRU, ConciseLSTM, ScratchCell, ScratchGRU, refuse_missing_gates,
                      scratch_from_concise, scratch_lstm_from_concise)


def readable_cell(model: nn.Module) -> ScratchGRU:
    """The scratch cell that computes ``model``'s numbers: the model itself for
    ScratchGRU (and its fast subclass), nn.GRU's weights in the reset-after cell
    for ConciseGRU."""
    if isinstance(model, ConciseGRU):
        return scratch_from_concise(model, reset_after=True)
    if isinstance(model, ScratchGRU):
        return model
    raise TypeError(f"expected a ScratchGRU or ConciseGRU model, got {type(model).__name__}"
                    f" (this view reads the GRU's update and reset gates)")


def scratch_cell(model: nn.Module):
    """The from-scratch cell that computes ``model``'s numbers, for every model
    kind: ``readable_cell`` for the GRUs, the model itself for the other
    scratch cells, nn.LSTM's weights in ``ScratchLSTM``. All answer the cell
    protocol (``step``, ``output``, ``begin_state``, ``STATE``, ``trace``)."""
    if isinstance(model, ConciseLSTM):
        return scratch_lstm_from_concise(model)
    if isinstance(model, ScratchCell):
        return model
    if isinstance(model, (ScratchGRU, ConciseGRU)):
        return readable_cell(model)
    raise TypeError(f"not a GRU Explainer model: {type(model).__name__}")


def check_clamp(cell, clamp) -> None:
    """Refuse a clamp on a gate ``cell`` does not have."""
    refuse_missing_gates(clamp, cell.GATES, getattr(cell, "KIND", "") or "GRU")


def as_indices(indices, vocab_size: int, name: str = "indices") -> np.ndarray:
    """``indices`` as a flat int64 array of valid token indices (at least one)."""
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if indices.size == 0:
        raise ValueError(f"{name} is empty: give at least one character")
    if indices.min() < 0 or indices.max() >= vocab_size:
        raise ValueError(f"{name} must be token indices in [0, {vocab_size - 1}] "
                         f"(got {indices.min()}..{indices.max()})")
    return indices


def one_hot(indices: np.ndarray, cell: ScratchGRU) -> torch.Tensor:
    """Float one-hot rows on the cell's device, as the cell reads its inputs."""
    return F.one_hot(torch.as_tensor(indices, device=cell.device), cell.vocab_size).float()


def check_position(name: str, value: int, size: int) -> int:
    if not 0 <= int(value) < size:
        raise ValueError(f"{name} must be in [0, {size - 1}] (got {value})")
    return int(value)
