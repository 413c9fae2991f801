"""Scoring a model on text it does not learn from: perplexity measured the
way d2l's training measures it, so the training and held-out curves compare."""
from __future__ import annotations

import math

import torch
from torch import nn


def perplexity_of(mean_loss: float) -> float:
    """exp(mean cross-entropy), infinite rather than an overflow."""
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf


HELDOUT_EVAL_CHARS = 2_000   # held-out characters scored after every epoch


@torch.no_grad()
def evaluate(model: nn.Module, indices, batch_size: int, num_steps: int) -> float:
    """Perplexity on text the model does not learn from, measured the way
    training measures it: d2l's sequential partitioning into ``batch_size``
    rows, the state carried from chunk to chunk, no update. Any model kind."""
    num_steps = max(1, min(num_steps, len(indices) - 1))
    rows = max(1, min(batch_size, (len(indices) - 1) // num_steps))
    usable = ((len(indices) - 1) // rows) * rows
    if usable < rows:
        raise ValueError(f"held-out text of {len(indices)} characters is too short to score")
    tokens = torch.as_tensor(indices[:usable + 1], dtype=torch.long, device=model.device)
    X, Y = tokens[:usable].reshape(rows, -1), tokens[1:usable + 1].reshape(rows, -1)
    state, loss_sum, count = model.begin_state(batch_size=rows, device=model.device), 0.0, 0
    for start in range(0, X.shape[1], num_steps):
        x, y = X[:, start:start + num_steps], Y[:, start:start + num_steps]
        logits, state = model(x, state)
        loss_sum += float(nn.functional.cross_entropy(logits, y.T.reshape(-1), reduction="sum"))
        count += y.numel()
    return perplexity_of(loss_sum / count)
