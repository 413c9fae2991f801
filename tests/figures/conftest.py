"""What several figure tests share: a small model far from d2l's init, a probe
with characters outside the vocabulary, and the JSON the browser receives."""
from __future__ import annotations

import json

import pytest
import torch

from gru_core import interpret
from gru_core.data import Vocab
from gru_core.models import make_model

TEXT = "the time machine <b>"  # '<', '>' and 'B'-less tags are outside d2l's vocabulary


@pytest.fixture(scope="session")
def probe_text() -> str:
    return TEXT


@pytest.fixture(scope="module")
def setting():
    vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    model = make_model("scratch", 28, 6, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(60)  # far from d2l's 0.01 init, so values spread over their ranges
    probe = interpret.encode_probe(TEXT, vocab)
    return vocab, model, probe, model.trace(probe.indices.tolist())


def _spec(figure) -> dict:
    """What st.plotly_chart sends to the browser."""
    return json.loads(figure.to_json())


@pytest.fixture(scope="session")
def spec():
    return _spec
