"""Tiny live runs for the broadcast tests, always closed afterwards."""
from __future__ import annotations

import pytest

from gru_core.config import TrainConfig
from gru_core.runs import Run


@pytest.fixture
def make_run(time_machine):
    runs = []

    def build(**overrides):
        values = dict(model="scratch", num_hiddens=8, batch_size=4, num_steps=5,
                      num_epochs=3, max_tokens=1000, device="cpu", seed=0)
        run_kwargs = {k: overrides.pop(k) for k in list(overrides)
                      if k in ("sample_every", "max_batch_records", "networks")}
        run = Run(TrainConfig(**(values | overrides)), time_machine.first(1000),
                  scratch_engine="scratch", **run_kwargs)
        runs.append(run)
        return run
    yield build
    for run in runs:
        run.close()
        run.wait(20)
