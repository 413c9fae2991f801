"""gru_core.runs.saved: a run saved mid-epoch continues, after a restore, with
the very batches and parameters it would have had; bad files are refused."""
from __future__ import annotations

import pytest
import torch

from gru_core.runs import Run, RunError, RunState
from gru_core.runs.saved import SavedRunError, read_saved_run

from .common import WAIT_S, params_equal, wait_until


def steps_to(run: Run, batch: int) -> None:
    while run.batch < batch:
        run.step_batch().wait(WAIT_S)
        assert run.wait_idle(WAIT_S)


@pytest.mark.parametrize("model,random_iter", [("scratch", False), ("both", False),
                                               ("scratch", True)])
def test_a_restored_run_continues_exactly_where_it_was(make_run, tmp_path, model, random_iter):
    reference = make_run(model=model, num_epochs=3, use_random_iter=random_iter, sample_every=1)
    interrupted = make_run(model=model, num_epochs=3, use_random_iter=random_iter, sample_every=1)
    per_epoch = reference.batches_per_epoch
    steps_to(interrupted, per_epoch + 3)  # mid-way through epoch 2
    interrupted.set_lr(0.5)
    path = interrupted.save(tmp_path / "run.pt", owner="someone")
    restored = Run.restore(path)
    assert restored.id == interrupted.id and restored.generation != interrupted.generation
    assert restored.state is RunState.PAUSED and restored.lr == 0.5
    assert restored.metrics()["batches"] == interrupted.metrics()["batches"]
    assert [s["epoch"] for s in restored.param_snapshots()] == [
        s["epoch"] for s in interrupted.param_snapshots()]

    steps_to(reference, per_epoch + 3)
    reference.set_lr(0.5)
    for run in (reference, restored):
        run.resume()
        assert run.wait(WAIT_S) and run.state is RunState.FINISHED
    assert params_equal(reference.snapshot()["state_dicts"], restored.snapshot()["state_dicts"])
    for kind in ("batches", "epochs", "samples", "lr_changes"):
        def strip(records):
            return [{k: v for k, v in r.items() if k not in ("wall_time", "elapsed_s", "tokens_per_second", "seconds")}
                    for r in records]
        assert strip(reference.metrics()[kind]) == strip(restored.metrics()[kind]), kind
    assert read_saved_run(path)["owner"] == "someone"


def test_a_run_is_saved_only_between_batches_and_a_running_one_as_paused(make_run, tmp_path,
                                                                        monkeypatch):
    import threading
    run = make_run(num_epochs=100_000)
    trainer = run.trainers["scratch"]
    real, inside, release = trainer.train_batch, threading.Event(), threading.Event()

    def held_batch(X, Y):
        inside.set()
        release.wait(WAIT_S)
        return real(X, Y)
    monkeypatch.setattr(trainer, "train_batch", held_batch)
    run.start()
    assert inside.wait(WAIT_S)
    with pytest.raises(RunError, match="inside a batch; it can be saved only between batches"):
        run.save(tmp_path / "x.pt")
    release.set()
    monkeypatch.setattr(trainer, "train_batch", real)
    run.keep_autosaved(tmp_path / "auto.pt", every_s=0.0)  # every batch
    wait_until(lambda: (tmp_path / "auto.pt").exists())
    assert read_saved_run(tmp_path / "auto.pt")["state"] == "paused"  # running is saved as paused
    run.pause()
    saved = read_saved_run(tmp_path / "auto.pt")
    assert saved["state"] == "paused" and saved["batch"] == run.batch  # pause saved it again


@pytest.mark.parametrize("payload,message", [
    (b"not a torch file", "not a readable saved run"),
    (None, "not a saved GRU Explainer run"),
])
def test_files_that_are_not_saved_runs_are_refused(tmp_path, payload, message):
    path = tmp_path / "bad.pt"
    if payload is None:
        torch.save({"format": "something else"}, path)
    else:
        path.write_bytes(payload)
    with pytest.raises(SavedRunError, match=message):
        Run.restore(path)
    with pytest.raises(SavedRunError, match="no such file"):
        Run.restore(tmp_path / "missing.pt")


def test_a_lab_run_of_several_cells_comes_back_with_its_cells(make_run, tmp_path):
    run = make_run(networks=["scratch", "rnn", "lstm"], num_epochs=3, heldout_every=2)
    steps_to(run, 5)
    restored = Run.restore(run.save(tmp_path / "lab.pt"))
    assert restored.model_kinds == run.model_kinds and restored.heldout_every == 2
    assert params_equal(restored.snapshot()["state_dicts"], run.snapshot()["state_dicts"])
