"""What the model predicts next: the top-k characters and written continuations."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..data import Vocab
from ..models import NO_CLAMP, Clamp, GateTrace, ScratchGRU
from ..sampling import check_sampling, continue_with_cell
from .cells import as_indices, readable_cell
from .long_traces import log_softmax
from .probes import decode


@dataclass
class TopK:
    """The k likeliest next characters after each position: (T, k) arrays."""
    indices: np.ndarray
    probs: np.ndarray
    chars: list[list[str]]


def top_k(trace: GateTrace, vocab: Vocab, k: int = 5) -> TopK:
    if not 1 <= k <= trace.logits.shape[1]:
        raise ValueError(f"k must be in [1, {trace.logits.shape[1]}] (got {k})")
    probs = np.exp(log_softmax(trace.logits))
    best = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return TopK(best, np.take_along_axis(probs, best, axis=1),
                [decode(row, vocab) for row in best])


@torch.no_grad()
def sample_continuation(model: nn.Module, prefix_indices, vocab: Vocab, num_chars: int = 50,
                        temperature: float = 0.0, clamp: Clamp = NO_CLAMP,
                        seed: int | None = 0) -> str:
    """Read the prefix, then write ``num_chars`` characters (the continuation
    only): greedy at temperature 0 (d2l's predict_ch8), else sampled from
    softmax(logits / temperature). The clamp, if any, holds throughout."""
    check_sampling(num_chars, temperature)  # before reading the prefix, not after
    cell = readable_cell(model)
    prefix_indices = as_indices(prefix_indices, cell.vocab_size, "prefix")
    prefix = cell.trace(prefix_indices.tolist(), clamp=clamp)
    return continue_trace(cell, prefix, vocab, num_chars, temperature, clamp, seed)


def continue_trace(cell: ScratchGRU, trace: GateTrace, vocab: Vocab, num_chars: int,
                   temperature: float, clamp: Clamp, seed: int | None) -> str:
    """Write on from the last state of an existing trace (the one sampler,
    ``sampling.continue_with_cell``, does the writing)."""
    written = continue_with_cell(cell, trace.hidden[-1:], trace.logits[-1], num_chars,
                                 temperature, clamp, seed)
    return "".join(decode(written, vocab))
