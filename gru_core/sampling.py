"""Writing text with a model: the one sampler.

Greedy at temperature 0 (d2l's ``predict_ch8``), otherwise a draw from
softmax(logits / temperature). ``seed`` means the same thing everywhere: a
number reproduces the draws, ``None`` draws a fresh random seed.

``predict`` feeds characters through ``model(X, state)`` (any model kind, as
d2l does); ``continue_with_cell`` steps the readable cell, so an intervention
(``Clamp``) holds while it writes.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .data import Vocab
from .models import NO_CLAMP, Clamp, ScratchGRU


def check_sampling(num_chars: int, temperature: float) -> None:
    if not isinstance(num_chars, int) or num_chars < 0:
        raise ValueError(f"the number of characters to write must be a whole number >= 0 "
                         f"(got {num_chars!r})")
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0 (got {temperature})")


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator(device="cpu")
    if seed is None:
        generator.seed()  # a fresh Generator has a fixed default seed: draw a random one
    else:
        generator.manual_seed(seed)
    return generator


def write(step: Callable[[int], torch.Tensor], logits: torch.Tensor, num_chars: int,
          temperature: float = 0.0, seed: int | None = None) -> list[int]:
    """Choose ``num_chars`` tokens. ``logits`` score the first choice;
    ``step(token)`` feeds a chosen token to the model and returns the next logits."""
    check_sampling(num_chars, temperature)
    generator = _generator(seed)
    tokens = []
    for _ in range(num_chars):
        if temperature == 0:
            token = int(logits.argmax())
        else:
            probs = torch.softmax(logits.detach().float().cpu().reshape(-1) / temperature, dim=0)
            token = int(torch.multinomial(probs, 1, generator=generator))
        tokens.append(token)
        logits = step(token)
    return tokens


@torch.no_grad()
def predict(prefix: str, num_preds: int, model: nn.Module, vocab: Vocab,
            temperature: float = 0.0, seed: int | None = None) -> str:
    """d2l's ``predict_ch8``: read ``prefix``, then write ``num_preds``
    characters; returns the prefix (as the vocabulary reads it) and what followed."""
    if not prefix:
        raise ValueError("the prefix must contain at least one character")
    check_sampling(num_preds, temperature)
    device = model.device
    state = model.begin_state(batch_size=1, device=device)

    def step(token: int) -> torch.Tensor:
        nonlocal state
        y, state = model(torch.tensor([[token]], device=device), state)
        return y[0]
    read = [vocab[char] for char in prefix]
    for token in read[:-1]:  # warm-up: feed the prefix, ignore the outputs
        step(token)
    written = write(step, step(read[-1]), num_preds, temperature, seed)
    return "".join(vocab.idx_to_token[i] for i in read + written)


@torch.no_grad()
def continue_with_cell(cell: ScratchGRU, hidden: torch.Tensor, logits: torch.Tensor,
                       num_chars: int, temperature: float = 0.0, clamp: Clamp = NO_CLAMP,
                       seed: int | None = None) -> list[int]:
    """Write on from a state of the readable cell (``hidden`` (1, n), and the
    ``logits`` it gives), with ``clamp`` holding throughout."""
    state = torch.as_tensor(hidden, device=cell.device).reshape(1, -1)

    def step(token: int) -> torch.Tensor:
        nonlocal state
        one_hot = F.one_hot(torch.tensor([token], device=cell.device), cell.vocab_size).float()
        _, _, _, state = cell.cell(one_hot, state, clamp)
        return cell.output(state)[0]
    return write(step, torch.as_tensor(logits), num_chars, temperature, seed)
