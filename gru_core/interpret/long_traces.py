"""Long stretches of text: traces in parallel segments, log-probs and perplexity,
for every cell kind (through its from-scratch cell's ``step``)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import NO_CLAMP, CellTrace, Clamp, GateTrace
from .cells import as_indices, check_clamp, one_hot, scratch_cell

# Long stretches run as parallel segments; each starts this many characters
# early so its state has settled before its own characters come (see long_trace).
SEGMENT_LENGTH = 128
WARMUP = 64
# Segments run together in one batch; more at once would only cost memory.
SEGMENTS_PER_BATCH = 256


@torch.no_grad()
def long_trace(model: nn.Module, indices, clamp: Clamp = NO_CLAMP,
               segment_length: int | None = SEGMENT_LENGTH,
               warmup: int = WARMUP) -> GateTrace | CellTrace:
    """The trace of a long stretch, run as parallel segments (one batch row each):
    a ``GateTrace`` for the GRUs, a ``CellTrace`` for the other cells.

    Segment s covers [s*L, (s+1)*L) and starts reading ``warmup`` characters
    early from a zero state, so by its first own character the state has (in
    practice) forgotten the cut; segment 0 starts at the true beginning. With
    ``segment_length=None`` it is one segment: exactly ``model.trace``.
    ``previous_hidden`` is only exact within a segment."""
    cell = scratch_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    check_clamp(cell, clamp)
    if segment_length is None or segment_length >= len(indices):
        return cell.trace(indices.tolist(), clamp=clamp)
    parts = [part for _, part in _segment_batches(cell, indices, clamp, segment_length, warmup)]
    arrays = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    logits = arrays.pop("logits")
    zeros = np.zeros(cell.num_hiddens, np.float32)
    return cell.make_trace(arrays, logits, dict.fromkeys(cell.STATE, zeros))


def _segment_batches(cell, indices: np.ndarray, clamp: Clamp, segment_length: int,
                     warmup: int):
    """(first position, the cell's quantities and logits) for consecutive batches
    of segments, in order: the whole stretch never has to sit in memory at once."""
    if segment_length < 1 or warmup < 0:
        raise ValueError(f"segment_length must be >= 1 and warmup >= 0 "
                         f"(got {segment_length}, {warmup})")
    length = len(indices)
    all_starts = np.arange(0, length, segment_length)
    for first in range(0, len(all_starts), SEGMENTS_PER_BATCH):
        starts = all_starts[first:first + SEGMENTS_PER_BATCH]
        positions = starts[:, None] - warmup + np.arange(warmup + segment_length)[None, :]
        inside = torch.as_tensor((positions >= 0) & (positions < length), device=cell.device)
        inputs = one_hot(indices[np.clip(positions, 0, length - 1)], cell)   # (S, steps, V)
        state = cell.begin_state(len(starts))
        kept = {name: [] for name in cell.QUANTITIES}
        for step in range(positions.shape[1]):
            values, state = cell.step(inputs[:, step], state, clamp)
            started = inside[:, step, None]   # not started yet: the state stays at zero
            state = tuple(torch.where(started, s, torch.zeros_like(s)) for s in state)
            values |= dict(zip(cell.STATE, state))
            if step >= warmup:
                for name in cell.QUANTITIES:
                    kept[name].append(values[name])
        # (steps, S, U) -> (S, steps, U) -> positions in order, cut to the stretch
        end = min(int(starts[-1]) + segment_length, length) - int(starts[0])
        arrays = {name: torch.stack(rows, 1).reshape(-1, cell.num_hiddens)[:end]
                  for name, rows in kept.items()}
        arrays["logits"] = cell.output(arrays["hidden"])
        yield int(starts[0]), {name: value.cpu().numpy() for name, value in arrays.items()}


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def next_char_log_probs(trace: GateTrace | CellTrace, indices) -> np.ndarray:
    """log p(x_{t+1} | x_<=t) for t = 0..T-2: how well each next character was predicted."""
    indices = np.asarray(indices, np.int64)
    log_probs = log_softmax(trace.logits[:-1])
    return log_probs[np.arange(len(indices) - 1), indices[1:]]


def perplexity(model: nn.Module, indices, clamp: Clamp = NO_CLAMP,
               segment_length: int | None = SEGMENT_LENGTH, warmup: int = WARMUP) -> float:
    """exp(mean cross-entropy) of predicting indices[1:] from what came before,
    as d2l measures it; on held-out text (with an optional clamp). Any model
    kind. A long text (the rest of the book) runs a batch of segments at a
    time, so its memory stays small; the numbers are those of ``long_trace``."""
    cell = scratch_cell(model)  # once: nn.LSTM's copy is made here, not per call
    indices = as_indices(indices, cell.vocab_size)
    check_clamp(cell, clamp)
    if len(indices) < 2:
        raise ValueError("perplexity needs at least two characters (one to read, one to predict)")
    if segment_length is None or segment_length >= len(indices):
        trace = cell.trace(indices.tolist(), clamp=clamp)
        return float(np.exp(-next_char_log_probs(trace, indices).mean()))
    total = 0.0
    with torch.no_grad():
        for first, part in _segment_batches(cell, indices, clamp, segment_length, warmup):
            # logits at positions first..first+n-1 predict the characters after them
            n = min(len(part["logits"]), len(indices) - 1 - first)
            log_probs = log_softmax(part["logits"][:n])
            total += log_probs[np.arange(n), indices[first + 1:first + 1 + n]].sum()
    return float(np.exp(-total / (len(indices) - 1)))
