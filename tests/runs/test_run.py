"""gru_core.runs.run: the state machine, controls, steps, learning-rate
changes, lockstep, failures and a prompt stop."""
from __future__ import annotations

import math
import threading
import time

import pytest
import torch

from gru_core.config import TrainConfig
from gru_core.models import make_model
from gru_core.runs import Run, RunError, RunState
from gru_core.training import Trainer

from .common import WAIT_S, params_equal, tiny_config, wait_until


def test_states_and_transitions(make_run):
    run = make_run(num_epochs=100_000)
    assert run.state is RunState.IDLE and not run.state.is_terminal
    assert run.allowed_commands() == ("start", "step_epoch", "step_batch", "set_lr", "stop")
    assert len(run.id) >= 8 and run.id.replace("-", "").replace("_", "").isalnum()
    for illegal in (run.pause, run.resume):
        with pytest.raises(RunError, match=r"it is idle; allowed now: start, step_epoch"):
            illegal()

    run.start()
    assert run.state is RunState.RUNNING
    assert [t.name for t in threading.enumerate()].count(f"gru-run-{run.id}") == 1
    for illegal in (run.start, run.resume, run.step_epoch, run.step_batch):
        with pytest.raises(RunError, match=r"it is running; allowed now: pause, set_lr, stop"):
            illegal()

    assert run.pause() is True
    assert run.state is RunState.PAUSED
    with pytest.raises(RunError, match="it is paused; allowed now: resume, step_epoch"):
        run.pause()
    with pytest.raises(RunError, match="paused"):
        run.start()
    run.resume()
    assert run.state is RunState.RUNNING
    wait_until(lambda: run.batch > 0)

    assert run.stop() is True
    assert run.state is RunState.STOPPED and run.state.is_terminal
    assert "Stopped by its owner" in run.message
    assert run.allowed_commands() == ()
    for command in (run.start, run.pause, run.resume, run.stop, run.step_epoch):
        with pytest.raises(RunError, match=r"already ended \(stopped\)"):
            command()
    with pytest.raises(RunError, match="already ended"):
        run.set_lr(0.5)


def test_runs_to_finished(make_run):
    run = make_run(num_epochs=3, sample_every=2)
    run.start()
    assert run.wait(WAIT_S)
    assert run.state is RunState.FINISHED and run.message.startswith("Finished 3 epochs")
    assert run.epoch == 3 and run.batch == 3 * run.batches_per_epoch
    progress = run.progress()
    assert progress == progress | {"epoch": 3, "num_epochs": 3, "batch_in_epoch": 0,
                                   "eta_s": 0.0, "state": "finished"}
    assert progress["elapsed_s"] > 0
    metrics = run.metrics()
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2, 3]
    assert all(1 < r["perplexity"] < 29 and r["tokens_per_second"] > 0 for r in metrics["epochs"])
    assert [r["epoch"] for r in metrics["samples"]] == [2, 3]  # every 2, and the last
    assert all(r["text"].startswith("time traveller") and len(r["text"]) == 14 + 50
               for r in metrics["samples"])
    with pytest.raises(RunError, match=r"already ended \(finished\)"):
        run.start()


def test_stop_before_start_has_no_thread(make_run):
    run = make_run()
    assert run.stop() is True
    assert run.state is RunState.STOPPED and run.epoch == 0 and run.wait(0)


def test_run_rejects_bad_arguments(small_corpus):
    with pytest.raises(ValueError, match="sample_every must be a whole number >= 0"):
        Run(tiny_config(), small_corpus, sample_every=-1)
    with pytest.raises(ValueError, match="max_snapshots must be a whole number >= 2"):
        Run(tiny_config(), small_corpus, max_snapshots=1)
    with pytest.raises(ValueError, match="scratch_engine must be one of scratch, "):
        Run(tiny_config(), small_corpus, scratch_engine="concise")
    with pytest.raises(ValueError, match="lr must be between"):
        Run(tiny_config(lr=0.0), small_corpus)


def test_pause_freezes_the_parameters(make_run):
    run = make_run(num_epochs=100_000)
    run.start()
    wait_until(lambda: run.batch >= 3)
    assert run.pause()
    frozen, batch = run.snapshot(), run.batch
    time.sleep(0.3)
    later = run.snapshot()
    assert run.batch == batch and later["batch"] == frozen["batch"] == batch
    assert params_equal(frozen["state_dicts"], later["state_dicts"])
    run.resume()
    wait_until(lambda: run.batch >= batch + 3)
    assert not params_equal(frozen["state_dicts"], run.snapshot()["state_dicts"])


def test_step_batch_and_step_epoch_advance_exactly_one_unit(make_run):
    run = make_run(num_epochs=5, sample_every=0)
    before = run.snapshot()
    assert run.step_batch().wait(WAIT_S) and run.wait_idle(WAIT_S)
    assert run.state is RunState.PAUSED and run.batch == 1 and run.epoch == 0
    assert [r["step"] for r in run.metrics()["batches"]] == [1]
    after_one = run.snapshot()
    assert after_one["batch"] == 1 and not params_equal(before["state_dicts"],
                                                        after_one["state_dicts"])

    run.step_batch().wait(WAIT_S)
    assert run.wait_idle(WAIT_S) and run.batch == 2 and run.progress()["batch_in_epoch"] == 2

    run.step_epoch().wait(WAIT_S)  # finishes the epoch in progress
    assert run.wait_idle(WAIT_S) and run.epoch == 1 and run.state is RunState.PAUSED
    per_epoch = run.batches_per_epoch
    assert run.batch == per_epoch and run.progress()["batch_in_epoch"] == 0

    run.step_epoch().wait(WAIT_S)  # one whole epoch
    assert run.wait_idle(WAIT_S) and run.epoch == 2
    assert run.batch == per_epoch + run.batches_per_epoch
    assert [r["epoch"] for r in run.metrics()["epochs"]] == [1, 2]
    time.sleep(0.1)
    assert run.epoch == 2 and run.state is RunState.PAUSED  # still paused


def test_a_step_in_progress_refuses_another_and_pause_cancels_it(make_run, monkeypatch):
    run = make_run(num_epochs=5)
    trainer = run.trainers["scratch"]
    real_train_batch = trainer.train_batch

    def slow_train_batch(X, Y):
        time.sleep(0.02)
        return real_train_batch(X, Y)
    monkeypatch.setattr(trainer, "train_batch", slow_train_batch)
    done = run.step_epoch()
    with pytest.raises(RunError, match="single step is still in progress"):
        run.step_batch()
    assert run.allowed_commands() == ("pause", "resume", "set_lr", "stop")
    wait_until(lambda: run.batch >= 2)
    assert run.pause(timeout=WAIT_S)
    assert done.is_set() and run.state is RunState.PAUSED
    assert run.epoch == 0 and 0 < run.batch < run.batches_per_epoch  # cancelled mid-epoch


def test_step_on_the_last_batch_finishes_the_run(make_run):
    run = make_run(num_epochs=1, sample_every=0)
    run.step_epoch().wait(WAIT_S)
    assert run.wait(WAIT_S) and run.state is RunState.FINISHED and run.epoch == 1


def test_set_lr_applies_from_the_next_batch_exactly(make_run, small_corpus):
    run = make_run(num_epochs=5, sample_every=0)
    run.step_batch().wait(WAIT_S)
    run.set_lr(0.25)
    assert run.lr == 0.25
    run.step_batch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    metrics = run.metrics()
    assert [(r["step"], r["lr"]) for r in metrics["batches"]] == [(1, 1.0), (2, 0.25)]
    assert metrics["lr_changes"] == [{"step": 2, "epoch": 1, "lr": 0.25}]

    # the same two batches by hand, lr 1 then 0.25, give the very same parameters
    config = run.config
    model = make_model("scratch", len(small_corpus.vocab), config.num_hiddens, "cpu", config.seed)
    trainer = Trainer(model, 1.0, config.clip_theta)
    batches = iter(small_corpus.loader(config.batch_size, config.num_steps, False, config.seed))
    trainer.train_batch(*next(batches))
    trainer.set_lr(0.25)
    trainer.train_batch(*next(batches))
    assert params_equal(run.snapshot()["state_dicts"], {"scratch": model.state_dict()})


def test_set_lr_while_running_is_recorded_where_it_took_effect(make_run):
    run = make_run(num_epochs=100_000)
    run.start()
    wait_until(lambda: run.batch >= 2)
    run.set_lr(0.5)
    wait_until(lambda: run.metrics()["lr_changes"])
    change, = run.metrics()["lr_changes"]
    wait_until(lambda: run.batch >= change["step"] + 2)
    run.stop()
    lrs = {r["step"]: r["lr"] for r in run.metrics()["batches"]}
    assert change["lr"] == 0.5 and change["step"] >= 3
    assert all(lr == (0.5 if step >= change["step"] else 1.0) for step, lr in lrs.items())


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, 1e8, "1", True])
def test_set_lr_rejects_bad_values(make_run, bad):
    run = make_run()
    with pytest.raises(RunError, match=r"lr must be between 1e-06 and 1e\+07"):
        run.set_lr(bad)
    assert run.lr == 1.0


def test_both_trains_scratch_and_concise_on_identical_batches(make_run):
    run = make_run(model="both", num_epochs=2, sample_every=0)
    assert set(run.models) == {"scratch", "concise"}
    assert run.model_kinds == {"scratch": "scratch", "concise": "concise"}
    seen = {"scratch": [], "concise": []}
    for name, model in run.models.items():
        def record(module, args, name=name):  # training batches (scoring runs without grad)
            if torch.is_grad_enabled():
                seen[name].append(args[0].clone())
        model.register_forward_pre_hook(record)
    run.start()
    assert run.wait(WAIT_S) and run.state is RunState.FINISHED
    assert len(seen["scratch"]) == len(seen["concise"]) == run.batch > 10
    assert all(torch.equal(a, b) for a, b in zip(seen["scratch"], seen["concise"]))

    metrics = run.metrics()
    epochs = {name: [r["epoch"] for r in metrics["epochs"] if r["model"] == name]
              for name in seen}
    assert epochs == {"scratch": [1, 2], "concise": [1, 2]}
    steps = {name: [r["step"] for r in metrics["batches"] if r["model"] == name] for name in seen}
    assert steps["scratch"] == steps["concise"] == list(range(1, run.batch + 1))
    snapshot = run.snapshot()
    assert snapshot["updates"] == {"scratch": run.batch, "concise": run.batch}


def test_the_default_scratch_engine_is_the_fast_one(small_corpus):
    assert Run(tiny_config(), small_corpus).model_kinds == {"scratch": "scratch-fast"}
    assert Run(tiny_config(model="both"), small_corpus).model_kinds == {
        "scratch": "scratch-fast", "concise": "concise"}


@pytest.mark.parametrize("model", ["scratch", "concise"])
def test_divergence_ends_in_diverged_with_finite_parameters(make_run, model):
    run = make_run(model=model, lr=1e7, num_epochs=20)
    run.start()
    assert run.wait(WAIT_S)
    assert run.state is RunState.DIVERGED and run.state.is_terminal
    assert "Diverged in epoch 1" in run.message and "smaller learning rate" in run.message
    assert run.traceback is None
    state_dicts = run.snapshot()["state_dicts"]
    assert all(torch.isfinite(t).all() for sd in state_dicts.values() for t in sd.values())
    assert run.metrics()["state"] == "diverged"


def test_an_exception_fails_one_run_while_another_keeps_training(make_run, monkeypatch):
    healthy, broken = make_run(num_epochs=100_000), make_run(num_epochs=100_000)
    trainer = broken.trainers["scratch"]
    real_train_batch = trainer.train_batch

    def train_then_break(X, Y):
        if trainer.num_tokens > 100:
            raise RuntimeError("injected failure")
        return real_train_batch(X, Y)
    monkeypatch.setattr(trainer, "train_batch", train_then_break)
    healthy.start()
    broken.start()
    assert broken.wait(WAIT_S)
    assert broken.state is RunState.FAILED
    assert "RuntimeError: injected failure" in broken.message
    assert "Training failed in epoch 1" in broken.message
    assert "train_then_break" in broken.traceback and "injected failure" in broken.traceback
    batch = healthy.batch
    wait_until(lambda: healthy.batch > batch + 5)
    assert healthy.state is RunState.RUNNING


def test_stop_returns_within_two_seconds_mid_epoch(time_machine):
    config = TrainConfig(model="scratch", num_hiddens=256, batch_size=32, num_steps=35,
                         num_epochs=50, device="cpu")
    run = Run(config, time_machine, scratch_engine="scratch", sample_every=0)
    run.start()
    wait_until(lambda: run.batch >= 1)
    started = time.perf_counter()
    assert run.stop() is True
    assert time.perf_counter() - started < 2.0
    assert run.state is RunState.STOPPED and run.epoch == 0
    assert 0 < run.progress()["batch_in_epoch"] < run.batches_per_epoch


def test_a_batch_longer_than_the_stop_timeout_cannot_change_the_parameters(make_run,
                                                                          monkeypatch):
    run = make_run(num_epochs=5)
    trainer = run.trainers["scratch"]
    real_train_batch = trainer.train_batch
    in_batch = threading.Event()

    def long_train_batch(X, Y):
        in_batch.set()
        time.sleep(0.5)
        return real_train_batch(X, Y)
    monkeypatch.setattr(trainer, "train_batch", long_train_batch)
    run.start()
    assert in_batch.wait(WAIT_S)
    at_stop = run.snapshot()
    assert run.stop(timeout=0.05) is False  # the thread is still in its batch
    assert run.state is RunState.STOPPED
    assert run.wait(WAIT_S)  # ...and exits when the batch ends
    after = run.snapshot()
    assert after["batch"] == at_stop["batch"] == 0
    assert params_equal(at_stop["state_dicts"], after["state_dicts"])
    assert run.state is RunState.STOPPED and run.traceback is None
