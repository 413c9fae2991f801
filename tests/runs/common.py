"""Small configs and waiting helpers shared by the run tests. Tiny configs: an
epoch is a few milliseconds."""
from __future__ import annotations

import hashlib
import threading
import time

import torch

from gru_core.config import TrainConfig
from gru_core.runs import Run


WAIT_S = 20  # generous: two cores shared with other work


def tiny_config(**overrides) -> TrainConfig:
    values = dict(model="scratch", num_hiddens=8, batch_size=4, num_steps=5, lr=1.0,
                  num_epochs=3, max_tokens=1000, device="cpu", seed=0)
    return TrainConfig(**(values | overrides))


def wait_until(predicate, timeout=WAIT_S, interval=0.005):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def params_equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[name][k], b[name][k]) for name in a for k in a[name])


def checksum(tensors) -> str:
    digest = hashlib.sha1()
    for tensor in tensors:
        digest.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def train_while_reading(run: Run, read, num_readers: int) -> None:
    """Train ``run`` to the end while ``num_readers`` threads call ``read()`` in a loop."""
    errors = []

    def reader():
        try:
            while not run.state.is_terminal:
                read()
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
    readers = [threading.Thread(target=reader, name=f"reader-{i}") for i in range(num_readers)]
    run.start()
    for thread in readers:
        thread.start()
    assert run.wait(WAIT_S)
    for thread in readers:
        thread.join(WAIT_S)
    assert not errors, errors
