"""Fixtures of the run tests: a small corpus, runs and registries that are
always closed, and a check that no training thread outlives a test."""
from __future__ import annotations

import threading
import time

import pytest

from gru_core.runs import Run, RunRegistry

from .common import WAIT_S, tiny_config


@pytest.fixture(scope="module")
def small_corpus(time_machine):
    return time_machine.first(1000)


@pytest.fixture
def make_run(small_corpus):
    """Runs built here are always closed, whatever the test did."""
    runs = []

    def build(**overrides):
        run_kwargs = {k: overrides.pop(k) for k in list(overrides)
                      if k in ("sample_every", "snapshot_every", "max_snapshots",
                               "max_batch_records", "scratch_engine", "networks",
                               "heldout_every", "heldout_chars", "same_start")}
        run_kwargs.setdefault("scratch_engine", "scratch")
        run = Run(tiny_config(**overrides), small_corpus, **run_kwargs)
        runs.append(run)
        return run
    yield build
    for run in runs:
        run.close()
        run.wait(WAIT_S)


@pytest.fixture
def registry():
    registries = []

    def build(**kwargs):
        registries.append(RunRegistry(**kwargs))
        return registries[-1]
    yield build
    for reg in registries:
        reg.shutdown()


@pytest.fixture(autouse=True)
def no_gru_threads_left():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and t.name.startswith("gru-")]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: {leaked}")
