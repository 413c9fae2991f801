"""How many cores one run's batch may use: all of them while it trains alone,
one each while several train at once.

Each run's thread says when it is inside its training loop (``active``) and
asks before every batch how many threads that batch may split its rows
across (``workers_for``); ``apply`` sets that on the models that can split
(``FastScratchGRU.batch_workers``). Paused, stepping-idle and finished runs
do not count. Process-wide, like the cores themselves (``CORES``).
"""
from __future__ import annotations

import os
import threading


class CoreShare:
    def __init__(self, cores: int | None = None):
        self.cores = max(1, cores or os.cpu_count() or 1)
        self._active: set[str] = set()
        self._lock = threading.Lock()

    def active(self, run_id: str, training: bool) -> None:
        with self._lock:
            (self._active.add if training else self._active.discard)(run_id)

    def training_now(self) -> int:
        with self._lock:
            return len(self._active)

    def workers_for(self, run_id: str) -> int:
        """Cores for this run's next batch: the cores divided among the runs
        training now (this one counted even if it has not said so yet)."""
        with self._lock:
            others = len(self._active - {run_id})
        return max(1, self.cores // (others + 1))

    def apply(self, run_id: str, models) -> int:
        workers = self.workers_for(run_id)
        for model in models:
            if hasattr(model, "batch_workers"):
                model.batch_workers = workers
        return workers


CORES = CoreShare()
