"""Interventions: gates clamped to fixed values, the model with and without them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from torch import nn

from ..data import Vocab
from ..models import NO_CLAMP, Clamp, GateClamp, GateTrace, ScratchGRU
from ..sampling import check_sampling
from .cells import as_indices, readable_cell
from .long_traces import next_char_log_probs, perplexity
from .predictions import TopK, continue_trace, top_k
from .quantities import GATES


def make_clamp(num_hiddens: int, gate: str, value: float,
               units: Sequence[int] | None = None) -> Clamp:
    """A checked clamp for ``ScratchGRU.trace``/``cell``: force ``gate``
    ("update_gate" or "reset_gate") of ``units`` (None: all) to ``value``.
    Combine two with ``a | b``."""
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)} (got '{gate}')")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a gate is a sigmoid: the clamp value must be in [0, 1] (got {value})")
    if units is not None:
        units = tuple(sorted({int(u) for u in units}))
        if not units:
            raise ValueError("choose at least one unit to clamp (or all units)")
        if units[0] < 0 or units[-1] >= num_hiddens:
            raise ValueError(f"units must be in [0, {num_hiddens - 1}] (got {list(units)})")
    return Clamp(**{gate: GateClamp(units, float(value))})


@dataclass
class ModelView:
    """One side of an intervention: the probe's trace and predictions, a
    continuation, and perplexity on held-out text."""
    trace: GateTrace
    top_k: TopK
    next_log_probs: np.ndarray
    sample: str
    perplexity: float


@dataclass
class Intervention:
    clamp: Clamp
    baseline: ModelView
    clamped: ModelView


def _model_view(cell: ScratchGRU, probe_indices, vocab, clamp: Clamp, heldout_indices, k,
                num_chars, temperature, seed) -> ModelView:
    trace = cell.trace(probe_indices.tolist(), clamp=clamp)
    return ModelView(trace, top_k(trace, vocab, k), next_char_log_probs(trace, probe_indices),
                     continue_trace(cell, trace, vocab, num_chars, temperature, clamp, seed),
                     perplexity(cell, heldout_indices, clamp))


def intervene(model: nn.Module, probe_indices, vocab: Vocab, clamp: Clamp, heldout_indices,
              k: int = 5, num_chars: int = 50, temperature: float = 0.0,
              seed: int | None = 0) -> Intervention:
    """The model with and without ``clamp`` (see ``make_clamp``), side by side.
    The sample continues the probe; both sides use the same seed."""
    if not isinstance(clamp, Clamp):
        raise TypeError(f"clamp must be a Clamp (build one with make_clamp), got "
                        f"{type(clamp).__name__}")
    if not clamp:
        raise ValueError(f"clamp must name update_gate and/or reset_gate (got {clamp!r})")
    check_sampling(num_chars, temperature)  # before either side runs
    cell = readable_cell(model)
    probe_indices = as_indices(probe_indices, cell.vocab_size, "probe")
    heldout_indices = as_indices(heldout_indices, cell.vocab_size, "held-out text")
    sides = [_model_view(cell, probe_indices, vocab, side_clamp, heldout_indices, k, num_chars,
                         temperature, seed) for side_clamp in (NO_CLAMP, clamp)]
    return Intervention(clamp, *sides)
