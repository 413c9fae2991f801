"""Shared fixtures: every test reads The Time Machine from ../shared through a
private cache dir, so nothing touches the network or the user's cache."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_TEXT = Path(os.environ.get("GRU_EXPLAINER_SHARED_TEXT",
                                  REPO.parent / "shared" / "data" / "timemachine.txt"))

torch.set_num_threads(1)  # the suite runs on 2 cores beside other work; keep it predictable


@pytest.fixture(scope="session")
def shared_text() -> Path:
    if not SHARED_TEXT.is_file():
        pytest.fail(f"The Time Machine text is missing at {SHARED_TEXT}; set "
                    f"GRU_EXPLAINER_SHARED_TEXT to its path.")
    return SHARED_TEXT


@pytest.fixture(scope="session", autouse=True)
def data_cache(tmp_path_factory, shared_text) -> Path:
    cache = tmp_path_factory.mktemp("gru_cache")
    shutil.copy(shared_text, cache / "timemachine.txt")
    os.environ["GRU_EXPLAINER_DATA"] = str(cache)
    return cache


@pytest.fixture(scope="session")
def time_machine(data_cache):
    from gru_core.data import load_corpus_time_machine
    return load_corpus_time_machine()


@pytest.fixture(scope="session", autouse=True)
def no_leaked_threads():
    """No test may leave a training thread behind."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate()
              if t not in before and t.is_alive() and t.name.startswith("gru-")]
    assert not leaked, f"threads left running: {leaked}"
