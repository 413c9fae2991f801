"""How many cores one run's batch may use: all of them while it trains alone,
one each while several train at once.

Each run's thread says when it is inside its training loop (``active``) and
asks before every batch how many threads that batch may split its rows
across (``workers_for``); ``apply`` sets that on the models that can split
(``FastScratchGRU.batch_workers``). Paused, stepping-idle and finished runs
do not count. Process-wide, like the cores themselves (``CORES``).

Whether splitting pays depends on what else the machine runs: with a core
free, two slices train a batch faster; with the other core busy (viewers,
another program), the slices wait for each other and one slice is faster.
So each run also measures (``SliceChoice``): it times its batches with one
slice and with the cores it may use, keeps the faster, and tries the other
again every ``PROBE_EVERY`` batches.
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

    def apply(self, run_id: str, models, choice: "SliceChoice | None" = None) -> int:
        workers = self.workers_for(run_id)
        if choice is not None:
            workers = choice.next_workers(workers)
        for model in models:
            if hasattr(model, "batch_workers"):
                model.batch_workers = workers
        return workers


class SliceChoice:
    """One run's measured choice between one slice and all the cores it may use."""

    PROBE_EVERY = 64      # batches between re-measurements of the option not in use
    WEIGHT = 0.3          # of the newest batch in the running mean

    def __init__(self):
        self.seconds: dict[int, float] = {}   # workers -> running mean seconds per batch
        self._seen: dict[int, int] = {}
        self._batches = 0
        self.last = 1

    def next_workers(self, allowed: int) -> int:
        options = (1, allowed) if allowed > 1 else (1,)
        untried = [w for w in options if w not in self.seconds]
        if untried:
            self.last = untried[0]
        else:
            self._batches += 1
            best = min(options, key=self.seconds.__getitem__)
            probe = self._batches % self.PROBE_EVERY == 0
            self.last = next(w for w in options if w != best) if probe and len(options) > 1 else best
        return self.last

    def describe(self) -> str:
        """One line for the run's details: the slices in use and the times measured."""
        times = ", ".join(f"{w} slice{'s' * (w != 1)} {s * 1e3:.0f} ms" for w, s in sorted(self.seconds.items()))
        where = "one core" if self.last == 1 else f"{self.last} cores (batch rows split)"
        return f"Training on {where}" + (f"; per batch: {times}." if times else ".")

    def record(self, workers: int, seconds: float) -> None:
        """A batch's time; the first at each count is skipped (its kernel choice ran)."""
        self._seen[workers] = self._seen.get(workers, 0) + 1
        if self._seen[workers] == 1:
            return
        old = self.seconds.get(workers)
        self.seconds[workers] = seconds if old is None else old + self.WEIGHT * (seconds - old)


CORES = CoreShare()
