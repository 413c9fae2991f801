"""What several interpret tests share: d2l's vocabulary, a probe text, and
``lively`` weights that move gates and states far from 0.5 and 0."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.data import Vocab

LETTERS = "abcdefghijklmnopqrstuvwxyz "


def _lively(model, scale: float = 0.6, seed: int = 0):
    """Replace d2l's tiny initial weights by larger random ones, so gates and
    states move far from 0.5 and 0 and the checks have something to check."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * scale)
    return model


@pytest.fixture
def lively():
    return _lively


@pytest.fixture(scope="session")
def letters() -> str:
    return LETTERS


@pytest.fixture(scope="module")
def vocab() -> Vocab:
    return Vocab(list(LETTERS))  # d2l's: <unk>, then 27 characters


@pytest.fixture
def text_indices(vocab) -> np.ndarray:
    return interpret.encode_probe("the time traveller for so it will be convenient to speak "
                                  "of him was expounding a recondite matter to us", vocab).indices
