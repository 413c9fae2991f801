"""Gate saturation: how often each unit's gates sit nearly shut or nearly open."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ..models import NO_CLAMP, GateTrace
from .long_traces import SEGMENT_LENGTH, WARMUP, long_trace


@dataclass
class Saturation:
    """Per unit (U,), the fraction of characters where a gate is left-saturated
    (< low) or right-saturated (> high); Karpathy, Johnson & Fei-Fei (2015)."""
    low: float
    high: float
    num_chars: int
    update_low: np.ndarray
    update_high: np.ndarray
    reset_low: np.ndarray
    reset_high: np.ndarray


def _check_saturation_thresholds(low: float, high: float) -> None:
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"saturation thresholds need 0 <= low < high <= 1 (got low={low}, "
                         f"high={high})")


def saturation_from_trace(trace: GateTrace, low: float = 0.1, high: float = 0.9) -> Saturation:
    _check_saturation_thresholds(low, high)
    Z, R = trace.update_gate, trace.reset_gate
    return Saturation(low, high, len(Z), (Z < low).mean(0), (Z > high).mean(0),
                      (R < low).mean(0), (R > high).mean(0))


def gate_saturation(model: nn.Module, indices, low: float = 0.1, high: float = 0.9,
                    segment_length: int | None = SEGMENT_LENGTH,
                    warmup: int = WARMUP) -> Saturation:
    """Saturation over a long stretch (2,000-10,000 characters), run in parallel segments."""
    _check_saturation_thresholds(low, high)  # before the long run, not after
    trace = long_trace(model, indices, NO_CLAMP, segment_length, warmup)
    return saturation_from_trace(trace, low, high)
