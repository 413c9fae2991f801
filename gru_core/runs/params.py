"""The parameter guard: the lock every trainer of a run holds around its
update, and readers hold while they copy, so a copy is always a parameter
state the trainer actually produced."""
from __future__ import annotations

import threading

import torch
from torch import nn


class ParamsFrozen(Exception):
    """Raised in a stopped run's thread that tries to update after stop() returned."""


def float32_cpu_copy(model: nn.Module) -> dict:
    return {k: v.detach().to(device="cpu", dtype=torch.float32, copy=True)
            for k, v in model.state_dict().items()}


class ParamGuard:
    """The lock a run's Trainers hold around each parameter update, and how many
    updates each model has had under it. Readers copy under the same lock."""

    def __init__(self, names):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.updates = dict.fromkeys(names, 0)
        self.frozen = False  # set once a stopped run's thread is late: no update lands after

    def freeze(self) -> None:
        with self.lock:
            self.frozen = True

    def for_model(self, name: str) -> "_ModelUpdate":
        """The ``param_lock`` to give that model's Trainer."""
        return _ModelUpdate(self, name)

    def locks(self) -> dict[str, "_ModelUpdate"]:
        return {name: self.for_model(name) for name in self.updates}

    def settled(self) -> bool:
        """In lockstep, every model has had the same number of updates."""
        return len(set(self.updates.values())) <= 1


class _ModelUpdate:
    """Context manager around one model's update: lock, update, count, notify."""

    def __init__(self, guard: ParamGuard, name: str):
        self.guard, self.name = guard, name

    def __enter__(self):
        self.guard.lock.acquire()
        if self.guard.frozen:
            self.guard.lock.release()
            raise ParamsFrozen("the run was stopped; this update is discarded")

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.guard.updates[self.name] += 1
                self.guard.changed.notify_all()
        finally:
            self.guard.lock.release()
        return False
