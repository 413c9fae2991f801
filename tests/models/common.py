"""Shapes and inputs shared by the model tests."""
from __future__ import annotations

import torch


VOCAB, HIDDENS = 28, 16


D2L_ORDER = ["W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h", "W_hq", "b_q"]


def tokens(batch=3, steps=7, seed=0, vocab=VOCAB):
    return torch.randint(0, vocab, (batch, steps), generator=torch.Generator().manual_seed(seed))
