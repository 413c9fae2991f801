"""Gates over training: one probe replayed through the parameter snapshots."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..models import CellTrace, GateTrace, model_from_weights
from .cells import as_indices, scratch_cell


@dataclass
class SnapshotTrace:
    epoch: int
    trace: GateTrace | CellTrace


def snapshot_traces(snapshots: Sequence[dict], indices) -> list[SnapshotTrace]:
    """The same probe through the model at each snapshot ``{"epoch",
    "state_dict"}`` (float16 weights are cast to float32), ordered by epoch.
    Any cell: the LSTM's snapshots give its I, F, O and C over training."""
    if not snapshots:
        raise ValueError("there are no parameter snapshots (train with snapshots on, or load "
                         "a checkpoint that has them)")
    traces = []
    for snapshot in sorted(snapshots, key=lambda s: s["epoch"]):
        cell = scratch_cell(model_from_weights(snapshot["state_dict"]))
        trace = cell.trace(as_indices(indices, cell.vocab_size).tolist())
        traces.append(SnapshotTrace(int(snapshot["epoch"]), trace))
    return traces
