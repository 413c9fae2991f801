"""Shared fixtures. Every test gets a private data folder, and the book is read
from ../shared (copied into that folder), so nothing touches the network or
the user's cache. Without the shared copy the tests that do not need the book
still run; those that do fail with one line saying how to provide it."""
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
# Nothing listens on port 9 (discard): a download the tests did not arrange is
# refused at once instead of waiting for the internet.
NO_NETWORK_URL = "http://127.0.0.1:9/timemachine.txt"

torch.set_num_threads(1)  # the suite runs on 2 cores beside other work; keep it predictable


def book_missing_message() -> str:
    return (f"The Time Machine text is missing at {SHARED_TEXT}: put d2l's timemachine.txt "
            f"(SHA-1 090b5e7e70c295757f55df93cb0a180b9691891a) there, or set "
            f"GRU_EXPLAINER_SHARED_TEXT to its path.")


@pytest.fixture(scope="session", autouse=True)
def data_cache(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("gru_cache")
    if SHARED_TEXT.is_file():
        shutil.copy(SHARED_TEXT, cache / "timemachine.txt")
    os.environ["GRU_EXPLAINER_DATA"] = str(cache)
    os.environ.setdefault("GRU_EXPLAINER_TIME_MACHINE_URL", NO_NETWORK_URL)
    return cache


@pytest.fixture(scope="session")
def shared_text() -> Path:
    if not SHARED_TEXT.is_file():
        pytest.fail(book_missing_message(), pytrace=False)
    return SHARED_TEXT


@pytest.fixture(scope="session")
def time_machine(data_cache, shared_text):
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
