"""Long stretches of text: traces in parallel segments, log-probs and perplexity."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import NO_CLAMP, Clamp, GateTrace
from .cells import as_indices, one_hot, readable_cell
from .quantities import QUANTITIES

# Long stretches run as parallel segments; each starts this many characters
# early so its state has settled before its own characters come (see long_trace).
SEGMENT_LENGTH = 128
WARMUP = 64


@torch.no_grad()
def long_trace(model: nn.Module, indices, clamp: Clamp = NO_CLAMP,
               segment_length: int | None = SEGMENT_LENGTH, warmup: int = WARMUP) -> GateTrace:
    """The trace of a long stretch, run as parallel segments (one batch row each).

    Segment s covers [s*L, (s+1)*L) and starts reading ``warmup`` characters
    early from a zero state, so by its first own character the state has (in
    practice) forgotten the cut; segment 0 starts at the true beginning. With
    ``segment_length=None`` it is one segment: exactly ``model.trace``.
    ``previous_hidden`` is only exact within a segment."""
    cell = readable_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    length = len(indices)
    if segment_length is None or segment_length >= length:
        return cell.trace(indices.tolist(), clamp=clamp)
    if segment_length < 1 or warmup < 0:
        raise ValueError(f"segment_length must be >= 1 and warmup >= 0 "
                         f"(got {segment_length}, {warmup})")
    starts = np.arange(0, length, segment_length)
    positions = starts[:, None] - warmup + np.arange(warmup + segment_length)[None, :]
    inside = torch.as_tensor((positions >= 0) & (positions < length), device=cell.device)
    inputs = one_hot(indices[np.clip(positions, 0, length - 1)], cell)   # (S, steps, V)
    H = torch.zeros(len(starts), cell.num_hiddens, device=cell.device)
    kept = {name: [] for name in QUANTITIES}
    for step in range(positions.shape[1]):
        Z, R, H_tilde, H = cell.cell(inputs[:, step], H, clamp)
        H = torch.where(inside[:, step, None], H, torch.zeros_like(H))  # not started yet: H0 = 0
        if step >= warmup:
            for name, value in zip(QUANTITIES, (Z, R, H_tilde, H)):
                kept[name].append(value)
    # (steps, S, U) -> (S, steps, U) -> positions in order, cut to the stretch
    arrays = {name: torch.stack(rows, 1).reshape(-1, cell.num_hiddens)[:length]
              for name, rows in kept.items()}
    logits = cell.output(arrays["hidden"])
    as_numpy = {name: value.cpu().numpy() for name, value in arrays.items()}
    return GateTrace(logits=logits.cpu().numpy(),
                     initial_hidden=np.zeros(cell.num_hiddens, np.float32), **as_numpy)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def next_char_log_probs(trace: GateTrace, indices) -> np.ndarray:
    """log p(x_{t+1} | x_<=t) for t = 0..T-2: how well each next character was predicted."""
    indices = np.asarray(indices, np.int64)
    log_probs = log_softmax(trace.logits[:-1])
    return log_probs[np.arange(len(indices) - 1), indices[1:]]


def perplexity(model: nn.Module, indices, clamp: Clamp = NO_CLAMP,
               segment_length: int | None = SEGMENT_LENGTH, warmup: int = WARMUP) -> float:
    """exp(mean cross-entropy) of predicting indices[1:] from what came before,
    as d2l measures it; on held-out text (with an optional clamp)."""
    indices = as_indices(indices, readable_cell(model).vocab_size)
    if len(indices) < 2:
        raise ValueError("perplexity needs at least two characters (one to read, one to predict)")
    trace = long_trace(model, indices, clamp, segment_length, warmup)
    return float(np.exp(-next_char_log_probs(trace, indices).mean()))
