"""A run's history: bounded records behind one cursor, the parameter
snapshots over training, and the reader that follows both for viewers.

Protocol: every record a run writes gets the next sequence number; a reader
asks for ``since=cursor`` and gets only what is newer, plus the new cursor.
Records are never changed once written. The oldest are dropped past each
kind's bound and counted in ``dropped``, so memory stays bounded however long
a run trains.
"""
from __future__ import annotations

import threading
from collections import deque

from ..config import check_count

RECORD_KINDS = ("batches", "epochs", "samples", "lr_changes", "heldout")
MAX_SAMPLE_RECORDS = 1_000   # bounds for the small record kinds (oldest dropped)
MAX_LR_RECORDS = 1_000


class RunRecords:
    """Append-only, bounded, sequence-numbered records of one run. Not locked:
    the run calls it under its own lock."""

    def __init__(self, max_batch_records: int = 20_000, max_epoch_records: int = 20_000):
        bounds = {"batches": check_count("max_batch_records", max_batch_records, 1),
                  "epochs": check_count("max_epoch_records", max_epoch_records, 1),
                  "samples": MAX_SAMPLE_RECORDS, "lr_changes": MAX_LR_RECORDS,
                  "heldout": max_epoch_records}   # one per epoch and network at most
        self.seq = 0
        self.queues = {kind: deque(maxlen=bounds[kind]) for kind in RECORD_KINDS}
        self.dropped = dict.fromkeys(RECORD_KINDS, 0)

    def add(self, kind: str, record: dict) -> None:
        queue = self.queues[kind]
        if len(queue) == queue.maxlen:
            self.dropped[kind] += 1
        self.seq += 1
        queue.append((self.seq, record))

    def after(self, since: int) -> dict[str, list[dict]]:
        """Copies of the records newer than ``since``, by kind."""
        check_count("since", since, 0)
        return {kind: [dict(r) for r in _records_after(queue, since)]
                for kind, queue in self.queues.items()}

    def all(self, kind: str) -> list[dict]:
        return [record for _, record in self.queues[kind]]


def _records_after(queue: deque, since: int) -> list[dict]:
    """Records with sequence number > since; walks back from the newest, so a
    poller that is up to date costs almost nothing."""
    newer = []
    for seq, record in reversed(queue):
        if seq <= since:
            break
        newer.append(record)
    newer.reverse()
    return newer


class SnapshotRing:
    """Float16 parameter snapshots over training, every ``interval`` epochs,
    at most ``capacity``: when full, every other one is dropped (the first and
    the newest stay) and the interval doubles, so the ring always spans the
    whole run. Not locked: the run calls it under its own lock."""

    def __init__(self, interval: int, capacity: int):
        self.interval = check_count("snapshot_every", interval, 0)
        self.capacity = check_count("max_snapshots", capacity, 2)
        self.snapshots: list[dict] = []

    def due(self, epoch: int, last: bool) -> bool:
        return bool(self.interval) and (epoch % self.interval == 0 or last)

    def keep(self, snapshot: dict) -> None:
        snapshots = self.snapshots + [snapshot]
        if len(snapshots) > self.capacity:
            newest = snapshots[-1]
            snapshots = snapshots[::2] + ([newest] if len(snapshots) % 2 == 0 else [])
            self.interval *= 2
        self.snapshots = snapshots


class RecordsReader:
    """A viewer-side copy of a run's records, pulled with
    ``run.metrics(since=cursor)`` so each update copies only what is new, and
    shared by every viewer of the run (thread-safe). Bounded like the run."""

    def __init__(self, max_batches: int = 20_000):
        self.lock = threading.Lock()
        self.cursor = 0
        self.batches = deque(maxlen=max_batches)
        self.epochs, self.samples, self.lr_changes, self.heldout = [], [], [], []

    def update(self, run) -> "RecordsReader":
        with self.lock:
            new = run.metrics(since=self.cursor)
            self.cursor = new["cursor"]
            self.batches.extend(new["batches"])
            self.epochs.extend(new["epochs"])
            self.samples.extend(new["samples"])
            self.lr_changes.extend(new["lr_changes"])
            self.heldout.extend(new["heldout"])
        return self

    def epochs_of(self, model: str) -> list[dict]:
        return [record for record in self.epochs if record["model"] == model]

    def heldout_of(self, model: str) -> list[dict]:
        """``{"epoch", "model", "perplexity", "num_chars"}`` of one network."""
        return [record for record in self.heldout if record["model"] == model]

    def latest_samples(self) -> dict[str, dict]:
        latest = {}
        for record in self.samples:
            latest[record["model"]] = record
        return latest
