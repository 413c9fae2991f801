"""Live runs: state machine, controls, lockstep, failures, snapshot consistency,
the registry (cap, tokens, reaping) and thread hygiene. Tiny configs: an epoch
is a few milliseconds."""
from __future__ import annotations

import hashlib
import math
import threading
import time

import pytest
import torch

from gru_core import live, training
from gru_core.data import load_corpus_time_machine
from gru_core.live import (PermissionDenied, Run, RunCapError, RunError, RunRegistry, RunState,
                           get_registry)
from gru_core.models import ScratchGRU, make_model
from gru_core.training import TrainConfig, Trainer

WAIT_S = 20  # generous: two cores shared with other work


@pytest.fixture(scope="module")
def small_corpus(data_cache):
    return load_corpus_time_machine(max_tokens=1000)


def tiny_config(**overrides) -> TrainConfig:
    values = dict(model="scratch", num_hiddens=8, batch_size=4, num_steps=5, lr=1.0,
                  num_epochs=3, max_tokens=1000, device="cpu", seed=0)
    return TrainConfig(**(values | overrides))


@pytest.fixture
def make_run(small_corpus):
    """Runs built here are always closed, whatever the test did."""
    runs = []

    def build(**overrides):
        run_kwargs = {k: overrides.pop(k) for k in list(overrides)
                      if k in ("sample_every", "snapshot_every", "max_snapshots",
                               "max_batch_records", "scratch_engine")}
        run_kwargs.setdefault("scratch_engine", "scratch")
        run = Run(tiny_config(**overrides), small_corpus, **run_kwargs)
        runs.append(run)
        return run
    yield build
    for run in runs:
        run.close()
        run.wait(WAIT_S)


@pytest.fixture
def registry():
    registries = []

    def build(**kwargs):
        registries.append(RunRegistry(**kwargs))
        return registries[-1]
    yield build
    for reg in registries:
        reg.shutdown()


@pytest.fixture(autouse=True)
def no_gru_threads_left():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and t.name.startswith("gru-")]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: {leaked}")


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


# ---------------------------------------------------------------- state machine

def test_states_and_transitions(make_run):
    run = make_run(num_epochs=100_000)
    assert run.state is RunState.IDLE and not run.state.is_terminal
    assert run.allowed_commands() == ("start", "step_epoch", "step_batch", "set_lr", "stop")
    assert len(run.id) >= 8 and run.id.replace("-", "").replace("_", "").isalnum()
    assert len(run.owner_token) >= 24 and run.owner_token != run.id
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


# ---------------------------------------------------------------- pause and steps

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
    trainer = run._trainers["scratch"]
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


# ---------------------------------------------------------------- learning rate

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
    with pytest.raises(RunError, match=r"lr must be a number between 1e-06 and 1e\+07"):
        run.set_lr(bad)
    assert run.lr == 1.0


# ---------------------------------------------------------------- lockstep

def test_both_trains_scratch_and_concise_on_identical_batches(make_run):
    run = make_run(model="both", num_epochs=2, sample_every=0)
    assert set(run.models) == {"scratch", "concise"}
    assert run.model_kinds == {"scratch": "scratch", "concise": "concise"}
    seen = {"scratch": [], "concise": []}
    for name, model in run.models.items():
        model.register_forward_pre_hook(
            lambda module, args, name=name: seen[name].append(args[0].clone()))
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


def test_default_scratch_engine_is_fast_with_a_fallback(small_corpus, monkeypatch):
    run = Run(tiny_config(), small_corpus)
    try:
        import gru_core.fast  # noqa: F401  (being written alongside; may be absent)
        assert run.model_kinds == {"scratch": "scratch-fast"}
    except ImportError:
        assert run.model_kinds == {"scratch": "scratch"}

    real_make_model = live.make_model

    def no_fast_engine(kind, *args):
        if kind.startswith("scratch-fast"):
            raise ImportError("no fast engine here")
        return real_make_model(kind, *args)
    monkeypatch.setattr(live, "make_model", no_fast_engine)
    run = Run(tiny_config(model="both"), small_corpus)
    assert run.model_kinds == {"scratch": "scratch", "concise": "concise"}


# ---------------------------------------------------------------- failures

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
    trainer = broken._trainers["scratch"]
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


# ---------------------------------------------------------------- snapshots

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


# ---------------------------------------------------------------- metrics

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


# ---------------------------------------------------------------- registry

def test_registry_enforces_the_running_cap(registry, small_corpus):
    reg = registry(max_running=1)
    first = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    second = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    reg.start(first.id, first.owner_token)
    with pytest.raises(RunCapError, match=r"max_running=1"):
        reg.start(second.id, second.owner_token)
    assert second.state is RunState.IDLE
    reg.control(first.id, first.owner_token, "pause")
    reg.start(second.id, second.owner_token)
    with pytest.raises(RunCapError, match=r"max_running=1"):
        reg.control(first.id, first.owner_token, "resume")
    reg.control(second.id, second.owner_token, "stop")
    reg.control(first.id, first.owner_token, "resume")
    assert first.state is RunState.RUNNING
    assert [run.id for run in reg.list_runs()] == [first.id, second.id]


def test_registry_run_cap_and_default_sizing(registry, small_corpus):
    assert registry().max_running == live.default_max_running() >= 1
    reg = registry(max_runs=1)
    reg.create(tiny_config(), small_corpus, scratch_engine="scratch")
    with pytest.raises(RunCapError, match=r"max_runs=1"):
        reg.create(tiny_config(), small_corpus, scratch_engine="scratch")


def test_registry_control_needs_the_owner_token(registry, small_corpus):
    reg = registry()
    run = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    with pytest.raises(PermissionDenied, match="only the session that created run"):
        reg.start(run.id, "not-the-token")
    with pytest.raises(PermissionDenied):
        reg.control(run.id, None, "stop")
    reg.start(run.id, run.owner_token)
    viewer_view = reg.get(run.id)  # anyone with the id can watch
    wait_until(lambda: viewer_view.metrics()["batches"])
    with pytest.raises(RunError, match="unknown command 'explode'; commands are: start, pause"):
        reg.control(run.id, run.owner_token, "explode")
    with pytest.raises(RunError, match="set_lr: missing a required argument: 'lr'"):
        reg.control(run.id, run.owner_token, "set_lr")
    reg.control(run.id, run.owner_token, "set_lr", lr=0.5)
    assert run.lr == 0.5
    with pytest.raises(RunError, match="there is no run 'missing'"):
        reg.get("missing")
    reg.release(run.id)
    assert run.state is RunState.STOPPED and "released" in run.message
    with pytest.raises(RunError, match="there is no run"):
        reg.heartbeat(run.id)


def test_registry_reaps_runs_without_viewers(registry, small_corpus):
    reg = registry(idle_timeout_s=0.3, reap_interval_s=0.05)
    watched = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    abandoned = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    for run in (watched, abandoned):
        reg.start(run.id, run.owner_token)
    assert "gru-reaper" in [t.name for t in threading.enumerate()]
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        reg.heartbeat(watched.id)
        time.sleep(0.05)
    assert abandoned.wait(WAIT_S) and abandoned.state is RunState.STOPPED
    assert "no viewer was seen for 0.3 s" in abandoned.message
    with pytest.raises(RunError, match="released after 0.3 s without viewers"):
        reg.get(abandoned.id)
    assert reg.get(watched.id).state is RunState.RUNNING
    assert reg.reap(now=time.monotonic() + 10) == [watched.id]  # explicit, with a clock
    assert watched.state is RunState.STOPPED and reg.list_runs() == []


def test_registry_shutdown_stops_everything_and_leaves_no_threads(small_corpus):
    before = set(threading.enumerate())
    reg = RunRegistry(reap_interval_s=0.05)
    runs = [reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
            for _ in range(2)]
    for run in runs:
        reg.start(run.id, run.owner_token)
    reg.control(runs[1].id, runs[1].owner_token, "pause")
    reg.shutdown()
    assert all(run.state is RunState.STOPPED for run in runs)
    assert set(threading.enumerate()) <= before
    with pytest.raises(RunError, match="shut down"):
        reg.create(tiny_config(), small_corpus)


def test_get_registry_is_one_per_process():
    assert get_registry() is get_registry()


# ---------------------------------------------------------------- stop is prompt

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
    trainer = run._trainers["scratch"]
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
