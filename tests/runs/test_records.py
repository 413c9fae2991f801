"""gru_core.runs.records and a run's read side: consistent snapshots under
concurrent readers, the snapshot ring, the metrics cursor, checkpoints."""
from __future__ import annotations

import time

import pytest
import torch

from gru_core import training
from gru_core.models import ScratchGRU
from gru_core.runs import RunError

from .common import WAIT_S, checksum, params_equal, train_while_reading


def test_snapshots_under_four_readers_are_states_the_trainer_produced(make_run, monkeypatch):
    run = make_run(num_hiddens=16, num_epochs=3, sample_every=0)
    model = run.models["scratch"]
    produced = {checksum(model.parameters()): 0}  # checksum -> number of updates
    real_sgd = training.sgd

    def sgd_and_record(params, lr):  # runs inside the trainer's param_lock
        real_sgd(params, lr)
        produced[checksum(params)] = len(produced)
    monkeypatch.setattr(training, "sgd", sgd_and_record)

    reads = []

    def read():
        snap = run.snapshot()
        reads.append((checksum(snap["state_dicts"]["scratch"].values()), snap["batch"]))
    train_while_reading(run, read, num_readers=4)
    assert len(produced) == run.batch + 1
    assert len(reads) >= 40, "the readers should have raced the trainer many times"
    assert len({batch for _, batch in reads}) >= 5, "reads should span training"
    torn = [(digest, batch) for digest, batch in reads if produced.get(digest) != batch]
    assert not torn, f"{len(torn)} of {len(reads)} snapshots were not produced states"


def test_lockstep_snapshots_hold_both_models_after_the_same_batch(make_run):
    run = make_run(model="both", num_hiddens=16, batch_size=8, num_epochs=3, sample_every=0)
    updates = []
    train_while_reading(run, lambda: updates.append(run.snapshot()["updates"]), num_readers=2)
    assert len(updates) >= 20
    assert all(u["scratch"] == u["concise"] for u in updates)


def test_snapshot_model_and_param_snapshots(make_run):
    run = make_run(model="both", batch_size=16, num_steps=10, num_epochs=10, snapshot_every=1,
                   max_snapshots=4, sample_every=0)
    run.start()
    assert run.wait(WAIT_S)
    concise = run.snapshot_model("concise")
    assert not concise.training and concise.device == torch.device("cpu")
    latest = run.snapshot()["state_dicts"]["concise"]
    assert params_equal({"c": concise.state_dict()}, {"c": latest})
    assert isinstance(run.snapshot_model(), ScratchGRU)
    with pytest.raises(RunError, match="trains scratch, concise; there is no model 'nope'"):
        run.snapshot_model("nope")

    rings = run.param_snapshots()
    epochs = [s["epoch"] for s in rings]
    assert len(rings) <= 4 and epochs[0] == 0 and epochs[-1] == 10 and epochs == sorted(epochs)
    assert all(t.dtype == torch.float16 for s in rings for sd in s["state_dicts"].values()
               for t in sd.values())
    final = rings[-1]["state_dicts"]["scratch"]
    exact = run.snapshot()["state_dicts"]["scratch"]
    assert all(torch.allclose(final[k].float(), exact[k], atol=1e-3, rtol=1e-2) for k in exact)


def test_metrics_cursor_returns_each_record_once_and_history_is_bounded(make_run):
    run = make_run(num_epochs=6, sample_every=2, max_batch_records=10)
    run.start()
    cursor, seen = 0, {"batches": [], "epochs": [], "samples": []}
    while True:
        done = run.state.is_terminal
        metrics = run.metrics(since=cursor)
        assert metrics["cursor"] >= cursor
        cursor = metrics["cursor"]
        for kind in seen:
            seen[kind] += metrics[kind]
        if done:
            break
        time.sleep(0.002)
    assert [r["epoch"] for r in seen["epochs"]] == [1, 2, 3, 4, 5, 6]
    assert [r["epoch"] for r in seen["samples"]] == [2, 4, 6]
    steps = [r["step"] for r in seen["batches"]]
    assert steps == sorted(set(steps)) and steps[-1] == run.batch  # in order, no repeats
    assert run.metrics(since=cursor)["batches"] == []

    everything = run.metrics()
    assert [r["step"] for r in everything["batches"]] == list(range(run.batch - 9, run.batch + 1))
    assert everything["dropped"]["batches"] == run.batch - 10
    batch = everything["batches"][0]
    assert set(batch) == {"step", "epoch", "model", "loss", "grad_norm", "clipped", "lr"}
    assert batch["loss"] > 0 and isinstance(batch["clipped"], bool)
    everything["batches"][0]["loss"] = -1.0  # a viewer's copy, not the history
    assert run.metrics()["batches"][0]["loss"] > 0


def test_checkpoint_bytes_round_trip(make_run, small_corpus):
    from gru_core.checkpoint import load_checkpoint
    import io
    run = make_run(num_epochs=2)
    run.start()
    assert run.wait(WAIT_S)
    checkpoint = load_checkpoint(io.BytesIO(run.checkpoint_bytes()))
    assert [r["epoch"] for r in checkpoint.history.epochs] == [1, 2]
    assert params_equal({"m": checkpoint.model.state_dict()},
                        {"m": run.snapshot()["state_dicts"]["scratch"]})


def test_records_are_numbered_bounded_and_read_after_a_cursor():
    from gru_core.runs import RunRecords

    records = RunRecords(max_batch_records=3)
    for step in range(1, 6):
        records.add("batches", {"step": step})
    records.add("epochs", {"epoch": 1})
    assert records.seq == 6 and records.dropped["batches"] == 2
    assert [r["step"] for r in records.after(0)["batches"]] == [3, 4, 5]
    newer = records.after(4)
    assert [r["step"] for r in newer["batches"]] == [5] and newer["epochs"] == [{"epoch": 1}]
    assert records.after(6) == {"batches": [], "epochs": [], "samples": [], "lr_changes": [],
                                "heldout": []}
    with pytest.raises(ValueError, match="since must be a whole number >= 0"):
        records.after(-1)


def test_the_snapshot_ring_thins_to_span_the_whole_run():
    from gru_core.runs import SnapshotRing

    ring = SnapshotRing(interval=1, capacity=4)
    for epoch in range(0, 11):
        if epoch == 0 or ring.due(epoch, last=epoch == 10):
            ring.keep({"epoch": epoch})
    epochs = [s["epoch"] for s in ring.snapshots]
    assert len(epochs) <= 4 and epochs[0] == 0 and epochs[-1] == 10
    assert ring.interval > 1 and epochs == sorted(epochs)


def test_a_reader_copies_only_what_is_new(make_run):
    from gru_core.runs import RecordsReader

    run = make_run(model="both", num_epochs=2, sample_every=1)
    reader = RecordsReader()
    run.step_batch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    assert [r["model"] for r in reader.update(run).batches] == ["scratch", "concise"]
    run.step_epoch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    reader.update(run)
    steps = [r["step"] for r in reader.batches if r["model"] == "scratch"]
    assert steps == list(range(1, run.batch + 1))  # no record twice, none missing
    assert [r["epoch"] for r in reader.epochs_of("concise")] == [1]
    assert set(reader.latest_samples()) == {"scratch", "concise"}
