"""Gates over training: one probe replayed through the parameter snapshots."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..models import GateTrace, model_from_weights
from .cells import as_indices, readable_cell


@dataclass
class SnapshotTrace:
    epoch: int
    trace: GateTrace


def snapshot_traces(snapshots: Sequence[dict], indices) -> list[SnapshotTrace]:
    """The same probe through the model at each snapshot ``{"epoch",
    "state_dict"}`` (float16 weights are cast to float32), ordered by epoch."""
    if not snapshots:
        raise ValueError("there are no parameter snapshots (train with snapshots on, or load "
                         "a checkpoint that has them)")
    traces = []
    for snapshot in sorted(snapshots, key=lambda s: s["epoch"]):
        cell = readable_cell(model_from_weights(snapshot["state_dict"]))
        trace = cell.trace(as_indices(indices, cell.vocab_size).tolist())
        traces.append(SnapshotTrace(int(snapshot["epoch"]), trace))
    return traces
