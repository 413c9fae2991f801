"""Saliency: how much each earlier character moves one prediction, and how far
back, for every cell kind (through its from-scratch cell's ``step``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .cells import as_indices, check_position, one_hot, scratch_cell


@dataclass
class Saliency:
    """Influence of each input x_s (s <= position) on log p(target | x_<=position):
    the gradient's norm over the one-hot input, normalised to sum 1."""
    position: int
    target: int
    log_prob: float
    weights: np.ndarray

    @property
    def distances(self) -> np.ndarray:
        """Steps back from the predicted character: 1 is the character just read."""
        return self.position + 1 - np.arange(len(self.weights))


def input_saliency(cell: nn.Module, indices: np.ndarray, positions: np.ndarray,
                   targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saliency at several positions in one backward pass.

    One batch row per position: the row reads indices[:position + 1] as a
    one-hot leaf tensor, and only its own log-probability enters the summed
    objective, so one backward pass gives every row's gradient. Rows run
    longest first and leave the batch once they reach their position.
    ``cell`` is any from-scratch cell (``scratch_cell``). Returns the
    normalised saliency (B, max position + 1), zero after each row's
    position, and the log-probs (B,)."""
    order = np.argsort(-positions, kind="stable")      # longest first
    ends = positions[order]
    rows, steps = len(ends), int(ends[0]) + 1
    inputs = one_hot(indices[:steps], cell).repeat(rows, 1, 1).requires_grad_(True)
    state = cell.begin_state(rows)
    finals = [None] * rows
    for t in range(steps):
        active = int(np.count_nonzero(ends >= t))
        _, state = cell.step(inputs[:active, t], tuple(s[:active] for s in state))
        for row in np.flatnonzero(ends == t):
            finals[row] = state[0][row]   # H_t: what the output layer reads
    log_probs = torch.log_softmax(cell.output(torch.stack(finals)), dim=1)
    chosen = log_probs[torch.arange(rows), torch.as_tensor(targets[order], device=cell.device)]
    gradient, = torch.autograd.grad(chosen.sum(), inputs)
    norms = np.empty((rows, steps))
    norms[order] = gradient.norm(dim=2).cpu().double().numpy()
    totals = norms.sum(axis=1, keepdims=True)
    log_probs_in_order = np.empty(rows)
    log_probs_in_order[order] = chosen.detach().cpu().numpy()
    return norms / np.where(totals > 0, totals, 1.0), log_probs_in_order


def saliency(model: nn.Module, indices, position: int, target: int | None = None) -> Saliency:
    """How much each earlier character moves log p(next character) at ``position``.
    ``target`` defaults to the true next character, or the model's top guess at
    the last position."""
    cell = scratch_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    t = check_position("position", position, len(indices))
    if target is None:
        target = (int(indices[t + 1]) if t + 1 < len(indices)
                  else int(cell.trace(indices[:t + 1].tolist()).logits[-1].argmax()))
    check_position("target", target, cell.vocab_size)
    weights, log_probs = input_saliency(cell, indices, np.array([t]), np.array([target]))
    return Saliency(t, int(target), float(log_probs[0]), weights[0])


@dataclass
class MemoryReach:
    """Mean normalised saliency at each distance (1 = the character just read),
    averaged over ``num_positions`` positions: how far back the model looks."""
    distances: np.ndarray
    mean_saliency: np.ndarray
    num_positions: int


def memory_reach(model: nn.Module, indices, max_distance: int = 40,
                 max_positions: int = 32) -> MemoryReach:
    """Saliency at up to ``max_positions`` evenly spaced positions, each with at
    least ``max_distance`` characters of history, averaged by distance."""
    cell = scratch_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    first, last = max_distance - 1, len(indices) - 2
    if max_distance < 1 or max_positions < 1:
        raise ValueError(f"max_distance and max_positions must be >= 1 "
                         f"(got {max_distance}, {max_positions})")
    if last < first:
        raise ValueError(f"the text has {len(indices)} characters; a memory reach of "
                         f"{max_distance} needs at least {max_distance + 1}")
    positions = np.unique(np.linspace(first, last, min(max_positions, last - first + 1)).round()
                          .astype(np.int64))
    weights, _ = input_saliency(cell, indices, positions, indices[positions + 1])
    distances = np.arange(1, max_distance + 1)
    by_distance = weights[np.arange(len(positions))[:, None], positions[:, None] + 1 - distances]
    return MemoryReach(distances, by_distance.mean(axis=0), len(positions))
