"""Live training runs: one background thread per run, controls between batches,
consistent parameter snapshots for readers, a bounded history, and a
process-wide registry. Nothing here imports Streamlit: pages poll a ``Run``
(``metrics``, ``snapshot``, ``progress``) and send it commands; the training
thread never touches the UI.

Two locks, for two jobs:

- ``Run._cond`` (a Condition) guards the state machine, the counters and the
  history. The training thread takes it between batches, never during one.
- ``ParamGuard.lock`` is every Trainer's ``param_lock``: held only around the
  parameter update, and by ``snapshot()`` while it copies. Forward and backward
  run without it, so a reader never sees a half-updated model and never stalls
  the maths for more than one copy.

State machine (commands in brackets)::

    idle --[start]--> running <--[pause / resume]--> paused
    idle --[step_epoch / step_batch]--> paused (one unit trained, then paused again)
    running | paused --> finished | diverged | failed     (by the training thread)
    idle | running | paused --[stop]--> stopped
"""
from __future__ import annotations

import atexit
import dataclasses
import inspect
import logging
import math
import os
import secrets
import threading
import time
import traceback as traceback_module
from collections import deque
from enum import Enum

import torch
from torch import nn

from .checkpoint import checkpoint_bytes
from .data import Corpus
from .models import MODEL_KINDS, make_model, model_kind, resolve_device
from .training import (LIMITS, SAMPLE_PREFIXES, DivergedError, History, TrainConfig, Trainer,
                       half_state_dict, predict)

log = logging.getLogger(__name__)

SAMPLE_LENGTH = 50          # characters predicted after the prefix, as d2l does
MAX_SAMPLE_RECORDS = 1_000  # history bounds for the small record kinds (oldest dropped)
MAX_LR_RECORDS = 1_000
STOP_JOIN_S = 1.5           # stop() waits this long for the thread (the promise is < 2 s)


class RunState(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """True once the run has ended; no command is accepted after that."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.DIVERGED,
                             RunState.FAILED})


class RunError(ValueError):
    """A command the run (or registry) cannot take now; the message says why."""


class RunCapError(RunError):
    """Refused because a limit is reached; the message names the limit."""


class PermissionDenied(RunError):
    """A control command without the owner's token."""


def check_lr(lr) -> float:
    low, high = LIMITS["lr"]
    is_number = isinstance(lr, (int, float)) and not isinstance(lr, bool)
    if not is_number or not math.isfinite(lr) or not low <= lr <= high:
        raise RunError(f"lr must be a number between {low:g} and {high:g} (got {lr!r})")
    return float(lr)


def _check_count(name: str, value, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    return value


# ---------------------------------------------------------------- models of a run

def model_kinds_for(config_model: str, scratch_engine: str) -> dict[str, str]:
    """Which models a run trains: 'both' is scratch + concise in lockstep; plain
    'scratch' uses ``scratch_engine``; any other kind is built as named."""
    if scratch_engine not in MODEL_KINDS or not scratch_engine.startswith("scratch"):
        scratch_kinds = [k for k in MODEL_KINDS if k.startswith("scratch")]
        raise ValueError(f"scratch_engine must be one of {', '.join(scratch_kinds)} "
                         f"(got '{scratch_engine}')")
    if config_model == "both":
        return {"scratch": scratch_engine, "concise": "concise"}
    if config_model == "scratch":
        return {"scratch": scratch_engine}
    return {"concise" if config_model == "concise" else "scratch": config_model}


def make_model_or_fallback(kind: str, vocab_size: int, num_hiddens: int, device, seed: int):
    """``make_model``, but a fast engine that cannot be imported falls back to
    the readable cell it is proven equal to."""
    try:
        return make_model(kind, vocab_size, num_hiddens, device, seed)
    except ImportError:
        if not kind.startswith("scratch-fast"):
            raise
        return make_model(kind.replace("scratch-fast", "scratch"), vocab_size, num_hiddens,
                          device, seed)


def float32_cpu_copy(model: nn.Module) -> dict:
    return {k: v.detach().to(device="cpu", dtype=torch.float32, copy=True)
            for k, v in model.state_dict().items()}


class ParamsFrozen(Exception):
    """Raised in a stopped run's thread that tries to update after stop() returned."""


class ParamGuard:
    """The lock a run's Trainers hold around each parameter update, and how many
    updates each model has had under it. Readers copy under the same lock, so
    every copy is a parameter state the trainer actually produced."""

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


class _Step:
    """A single step asked for while paused: train until the run's ``unit``
    counter (batch or epoch) reaches ``target``; ``done`` is set then."""

    def __init__(self, unit: str, target: int):
        self.unit, self.target, self.done = unit, target, threading.Event()


# ---------------------------------------------------------------- a run

class Run:
    """One training run: its model(s), one daemon thread, its history.

    Readers (any thread, any session): ``state``, ``progress()``,
    ``metrics(since)``, ``snapshot()``, ``snapshot_model()``,
    ``param_snapshots()``. Commands: ``start``, ``pause``, ``resume``, ``stop``,
    ``step_epoch``, ``step_batch``, ``set_lr``; an illegal one raises RunError.
    Do not use ``models`` from another thread while the run trains: copy with
    ``snapshot_model()`` instead.
    """

    def __init__(self, config: TrainConfig, corpus: Corpus, *,
                 scratch_engine: str = "scratch-fast", sample_every: int = 5,
                 snapshot_every: int = 5, max_snapshots: int = 40,
                 max_batch_records: int = 20_000, max_epoch_records: int = 20_000,
                 max_snapshot_bytes: int = 256 * 2**20, name: str = ""):
        self.config = dataclasses.replace(config).validate()
        self.sample_every = _check_count("sample_every", sample_every, 0)
        self.snapshot_every = _check_count("snapshot_every", snapshot_every, 0)
        _check_count("max_snapshots", max_snapshots, 2)
        _check_count("max_batch_records", max_batch_records, 1)
        _check_count("max_epoch_records", max_epoch_records, 1)
        _check_count("max_snapshot_bytes", max_snapshot_bytes, 1)
        self.corpus = corpus
        self.id = secrets.token_urlsafe(6)
        self.owner_token = secrets.token_urlsafe(24)
        self.name = name or f"{self.config.model}, {self.config.num_hiddens} hiddens"
        self.created_at = time.time()

        device = resolve_device(self.config.device)
        self.models: dict[str, nn.Module] = {
            key: make_model_or_fallback(kind, len(corpus.vocab), self.config.num_hiddens,
                                        device, self.config.seed)
            for key, kind in model_kinds_for(self.config.model, scratch_engine).items()}
        self.model_kinds = {key: model_kind(model) for key, model in self.models.items()}
        self._loader = corpus.loader(self.config.batch_size, self.config.num_steps,
                                     self.config.use_random_iter, self.config.seed)
        self._guard = ParamGuard(self.models)
        self._trainers = {key: Trainer(model, self.config.lr, self.config.clip_theta,
                                       self.config.use_random_iter, self._guard.for_model(key))
                          for key, model in self.models.items()}

        self._cond = threading.Condition()
        self._state = RunState.IDLE
        self._message, self._traceback = "", None
        self._thread: threading.Thread | None = None
        self._thread_running = False
        self._parked = True          # the thread is not inside a batch (or does not exist)
        self._stop_requested = False
        self._step: _Step | None = None
        self._lr = self.config.lr
        self._epoch = self._batch = self._batch_in_epoch = self._batches_last_epoch = 0
        self._training_model = ""    # which model of a lockstep pair is in train_batch
        self._active_seconds, self._active_since = 0.0, None

        # One sequence number over all records, so metrics(since=cursor) is cheap.
        self._seq = 0
        self._history = {"batches": deque(maxlen=max_batch_records),
                         "epochs": deque(maxlen=max_epoch_records),
                         "samples": deque(maxlen=MAX_SAMPLE_RECORDS),
                         "lr_changes": deque(maxlen=MAX_LR_RECORDS)}
        self._dropped = dict.fromkeys(self._history, 0)

        bytes_per_snapshot = sum(2 * p.numel() for m in self.models.values()
                                 for p in m.state_dict().values())
        self.max_snapshots = max(2, min(max_snapshots, max_snapshot_bytes // bytes_per_snapshot))
        self._snapshot_interval = self.snapshot_every
        self._param_snapshots: list[dict] = []
        if self.snapshot_every:
            self._keep_param_snapshot(0)

    # ------------------------------------------------------------ read side

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def message(self) -> str:
        """What happened, and what to try, for stopped / diverged / failed runs."""
        return self._message

    @property
    def traceback(self) -> str | None:
        return self._traceback

    @property
    def epoch(self) -> int:
        """Completed epochs."""
        return self._epoch

    @property
    def batch(self) -> int:
        """Completed (lockstep) batches over the whole run."""
        return self._batch

    @property
    def lr(self) -> float:
        """The learning rate the next batch uses."""
        return self._lr

    @property
    def batches_per_epoch(self) -> int:
        """Batches in the last completed epoch; before that, the loader's bound
        (with sequential sampling the count varies by one with the offset)."""
        return self._batches_last_epoch or self._loader.batches_per_epoch()

    def allowed_commands(self) -> tuple[str, ...]:
        """Commands legal now (for enabling buttons)."""
        with self._cond:
            return self._allowed_now()

    def progress(self) -> dict:
        with self._cond:
            per_epoch = self.batches_per_epoch
            remaining = max((self.config.num_epochs - self._epoch) * per_epoch
                            - self._batch_in_epoch, 0)
            elapsed = self._elapsed_locked()
            if self._state.is_terminal:
                eta = 0.0
            else:
                eta = elapsed / self._batch * remaining if self._batch else None
            return {"epoch": self._epoch, "num_epochs": self.config.num_epochs,
                    "batch_in_epoch": self._batch_in_epoch, "batches_per_epoch": per_epoch,
                    "elapsed_s": elapsed, "eta_s": eta, "state": self._state.value}

    def metrics(self, since: int = 0) -> dict:
        """Records newer than the cursor ``since`` (0: everything still kept).
        Poll with the returned ``cursor``. ``dropped`` counts the oldest records
        of each kind already dropped to keep memory bounded."""
        _check_count("since", since, 0)
        with self._cond:
            newer = {kind: _records_after(queue, since) for kind, queue in self._history.items()}
            head = {"cursor": self._seq, "state": self._state.value, "message": self._message,
                    "epoch": self._epoch, "batch": self._batch, "lr": self._lr,
                    "dropped": dict(self._dropped)}
        # records are never changed once written; copies keep viewers from sharing them
        return head | {kind: [dict(r) for r in records] for kind, records in newer.items()}

    def snapshot(self, names=None) -> dict:
        """A consistent float32 CPU copy of the current parameters:
        ``{'epoch', 'batch', 'updates', 'state_dicts': {name: state_dict}}``.
        In lockstep the copy waits (briefly) until both models have had the same
        batch, so their parameters always come from one batch."""
        names = list(self.models) if names is None else [self._model_name(n) for n in names]
        guard = self._guard
        with guard.changed:
            guard.changed.wait_for(lambda: guard.settled() or not self._thread_running,
                                   timeout=5.0)
            return {"epoch": self._epoch, "batch": min(guard.updates.values()),
                    "updates": dict(guard.updates),
                    "state_dicts": {n: float32_cpu_copy(self.models[n]) for n in names}}

    def snapshot_model(self, name: str | None = None) -> nn.Module:
        """A fresh CPU model of the same kind holding a snapshot (for the pages)."""
        name = self._model_name(name)
        model = make_model(self.model_kinds[name], len(self.corpus.vocab),
                           self.config.num_hiddens, "cpu", self.config.seed)
        model.load_state_dict(self.snapshot([name])["state_dicts"][name])
        return model.eval()

    def param_snapshots(self) -> list[dict]:
        """``[{'epoch', 'state_dicts': {name: float16 state_dict}}]``, oldest first:
        epoch 0, every ``snapshot_every`` epochs and the last. Bounded: when more
        than ``max_snapshots`` are kept, every other one is dropped (epoch 0 and
        the newest stay) and the interval doubles, so the list always spans the
        whole run. Treat the tensors as read-only (they are shared)."""
        with self._cond:
            return list(self._param_snapshots)

    def checkpoint_bytes(self, name: str | None = None) -> bytes:
        """A checkpoint (gru_core.checkpoint format) of one model's snapshot, its
        per-epoch history and parameter snapshots, for downloading."""
        name = self._model_name(name)
        model = self.snapshot_model(name)
        with self._cond:
            epochs = [r for _, r in self._history["epochs"] if r["model"] == name]
            samples = {str(r["epoch"]): r["text"] for _, r in self._history["samples"]
                       if r["model"] == name}
            snapshots = [{"epoch": s["epoch"], "state_dict": s["state_dicts"][name]}
                         for s in self._param_snapshots]
        history = History(epochs=[{k: r[k] for k in ("epoch", "perplexity", "tokens_per_second",
                                                      "seconds")} for r in epochs],
                          samples=samples)
        return checkpoint_bytes(model, self.corpus.vocab, self.config, history, snapshots,
                                self.corpus.name, self.corpus.keep_case)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended and its thread has exited."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._state.is_terminal and not self._thread_running, timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the thread is between batches with nothing to do (idle, or
        paused with no step pending) or the run has ended. Use after a step."""
        with self._cond:
            return self._cond.wait_for(self._is_idle, timeout)

    # ------------------------------------------------------------ commands

    def start(self) -> None:
        with self._cond:
            self._require("start")
            self._state = RunState.RUNNING
            self._launch()

    def pause(self, timeout: float = 2.0) -> bool:
        """Pause before the next batch; while a single step is in progress this
        cancels it instead. Waits (up to ``timeout``) for the batch in flight to
        finish, so the parameters are frozen on return; returns whether they are."""
        with self._cond:
            self._require("pause")
            self._cancel_step()
            self._state = RunState.PAUSED
            self._cond.notify_all()
        return self.wait_idle(timeout)

    def resume(self) -> None:
        with self._cond:
            self._require("resume")
            self._cancel_step()
            self._state = RunState.RUNNING
            self._cond.notify_all()

    def stop(self, reason: str = "", timeout: float = STOP_JOIN_S) -> bool:
        """End the run (state 'stopped') and join its thread, which stops before
        its next batch. Returns whether the thread exited within ``timeout``; if
        not (a batch longer than that), the parameters are frozen as they are and
        the thread exits when its batch ends, discarding that batch."""
        with self._cond:
            self._require("stop")
            self._end_locked(RunState.STOPPED, reason or (
                f"Stopped by its owner after {self._epoch} epochs ({self._batch} batches). "
                f"The parameters are kept as they were; start a new run to train more."))
        return self._join(timeout)

    def close(self, reason: str = "", timeout: float = STOP_JOIN_S) -> bool:
        """``stop`` if the run is still active; never raises (registry cleanup)."""
        with self._cond:
            if not self._state.is_terminal:
                self._end_locked(RunState.STOPPED, reason or "Stopped: the run was closed.")
        return self._join(timeout)

    def step_epoch(self) -> threading.Event:
        """While idle or paused: train until one more epoch is complete, then stay
        paused. Returns an Event set when done (or see ``wait_idle``)."""
        return self._request_step("epoch")

    def step_batch(self) -> threading.Event:
        """While idle or paused: train exactly one batch (every model in lockstep),
        then stay paused. Returns an Event set when done."""
        return self._request_step("batch")

    def set_lr(self, lr: float) -> None:
        """The next batch uses ``lr``; ``metrics()['lr_changes']`` records the
        step that first used it."""
        lr = check_lr(lr)
        with self._cond:
            self._require("set_lr")
            self._lr = lr

    # ------------------------------------------------------------ command helpers

    def _allowed_now(self) -> tuple[str, ...]:
        if self._state is RunState.IDLE:
            return ("start", "step_epoch", "step_batch", "set_lr", "stop")
        if self._state is RunState.RUNNING:
            return ("pause", "set_lr", "stop")
        if self._state is RunState.PAUSED and self._step is not None:
            return ("pause", "resume", "set_lr", "stop")  # pause cancels the step
        if self._state is RunState.PAUSED:
            return ("resume", "step_epoch", "step_batch", "set_lr", "stop")
        return ()

    def _require(self, command: str) -> None:
        allowed = self._allowed_now()
        if command in allowed:
            return
        if self._state.is_terminal:
            raise RunError(f"cannot {command} run {self.id}: it has already ended "
                           f"({self._state.value}); no command is allowed now. Create a new "
                           f"run to train again.")
        busy = (" and a single step is still in progress (wait for it, or pause to cancel "
                "it)" if self._step is not None else "")
        raise RunError(f"cannot {command} run {self.id}: it is {self._state.value}{busy}; "
                       f"allowed now: {', '.join(allowed)}.")

    def _request_step(self, unit: str) -> threading.Event:
        with self._cond:
            self._require(f"step_{unit}")
            counter = self._batch if unit == "batch" else self._epoch
            self._step = _Step(unit, counter + 1)
            if self._state is RunState.IDLE:
                self._state = RunState.PAUSED
                self._launch()
            self._cond.notify_all()
            return self._step.done

    def _cancel_step(self) -> None:
        if self._step is not None:
            self._step.done.set()
            self._step = None

    def _launch(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"gru-run-{self.id}",
                                        daemon=True)
        self._thread_running = True
        self._thread.start()

    def _join(self, timeout: float) -> bool:
        """Wait for the thread; if a long batch keeps it past ``timeout``, freeze
        the parameters so that batch's update is discarded: what the caller
        sees after stop() is final."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        if thread.is_alive():
            self._guard.freeze()
        return not thread.is_alive()

    def _end_locked(self, state: RunState, message: str, traceback: str | None = None) -> None:
        """Enter a terminal state (the first one wins); caller holds ``_cond``."""
        if self._state.is_terminal:
            return
        self._state, self._message, self._traceback = state, message, traceback
        self._stop_requested = True
        self._cancel_step()
        self._set_parked(True)
        self._cond.notify_all()

    def _model_name(self, name: str | None) -> str:
        if name is None:
            return next(iter(self.models))
        if name not in self.models:
            raise RunError(f"run {self.id} trains {', '.join(self.models)}; there is no "
                           f"model '{name}'")
        return name

    def _is_idle(self) -> bool:
        return self._state.is_terminal or (self._parked and self._step is None
                                           and self._state is not RunState.RUNNING)

    def _set_parked(self, parked: bool) -> None:
        """Book-keeping for elapsed time and ``wait_idle``; caller holds ``_cond``."""
        if parked == self._parked:
            return
        now = time.perf_counter()
        if parked:
            self._active_seconds += now - self._active_since
        else:
            self._active_since = now
        self._parked = parked
        self._cond.notify_all()

    def _elapsed_locked(self) -> float:
        running = 0.0 if self._parked else time.perf_counter() - self._active_since
        return self._active_seconds + running

    def _record(self, kind: str, record: dict) -> None:
        """Append one history record; caller holds ``_cond``."""
        queue = self._history[kind]
        if len(queue) == queue.maxlen:
            self._dropped[kind] += 1
        self._seq += 1
        queue.append((self._seq, record))

    # ------------------------------------------------------------ the training thread

    def _main(self) -> None:
        try:
            self._train()
            with self._cond:
                self._end_locked(RunState.FINISHED,
                                 f"Finished {self._epoch} epochs ({self._batch} batches).")
        except ParamsFrozen:
            pass  # stopped while a long batch ran; its update was discarded
        except DivergedError as exc:
            with self._cond:
                self._end_locked(RunState.DIVERGED, (
                    f"Diverged in epoch {self._epoch + 1}, batch {self._batch + 1} "
                    f"({self._training_model} model): {exc} The d2l chapter trains with lr 1 "
                    f"and gradients clipped at 1."))
        except Exception as exc:  # the run fails, the process and other runs go on
            with self._cond:
                self._end_locked(RunState.FAILED, (
                    f"Training failed in epoch {self._epoch + 1}, batch {self._batch + 1} "
                    f"({self._training_model or 'no'} model): {type(exc).__name__}: {exc}. "
                    f"{_failure_hint(exc)}"), traceback_module.format_exc())
        finally:
            with self._cond:
                self._thread_running = False
                self._set_parked(True)
                self._cond.notify_all()
            with self._guard.changed:  # wake snapshot() readers waiting for lockstep
                self._guard.changed.notify_all()

    def _train(self) -> None:
        while self._epoch < self.config.num_epochs:
            for trainer in self._trainers.values():
                trainer.begin_epoch()
            for X, Y in self._loader:
                if not self._wait_for_turn():
                    return
                self._train_lockstep(X, Y)
            self._end_epoch()

    def _wait_for_turn(self) -> bool:
        """Between batches: block while paused (unless a step is pending), apply
        a new learning rate; False once the run is stopped."""
        with self._cond:
            while True:
                if self._stop_requested:
                    return False
                if self._state is RunState.RUNNING or self._step_wants_more():
                    break
                self._set_parked(True)
                self._cond.wait()
            self._set_parked(False)
            self._apply_lr()
            return True

    def _step_wants_more(self) -> bool:
        step = self._step
        if step is None:
            return False
        counter = self._batch if step.unit == "batch" else self._epoch
        if counter < step.target:
            return True
        self._cancel_step()  # reached: mark it done
        return False

    def _apply_lr(self) -> None:
        """Caller holds ``_cond``: the batch about to run is the first with the new lr."""
        changed = False
        for trainer in self._trainers.values():
            if trainer.lr != self._lr:
                trainer.set_lr(self._lr)
                changed = True
        if changed:
            self._record("lr_changes", {"step": self._batch + 1, "epoch": self._epoch + 1,
                                        "lr": self._lr})

    def _train_lockstep(self, X: torch.Tensor, Y: torch.Tensor) -> None:
        """One batch for every model: the same X and Y, in the same order."""
        step, epoch = self._batch + 1, self._epoch + 1
        records = []
        for name, trainer in self._trainers.items():
            self._training_model = name
            stats = trainer.train_batch(X, Y)
            records.append({"step": step, "epoch": epoch, "model": name, "loss": stats.loss,
                            "grad_norm": stats.grad_norm, "clipped": stats.clipped,
                            "lr": trainer.lr})
        self._training_model = ""
        with self._cond:
            self._batch, self._batch_in_epoch = step, self._batch_in_epoch + 1
            for record in records:
                self._record("batches", record)

    def _end_epoch(self) -> None:
        epoch = self._epoch + 1
        stats = {name: trainer.end_epoch() for name, trainer in self._trainers.items()}
        wall_time = time.time()
        with self._guard.lock, self._cond:  # epoch moves with the parameters for snapshot()
            self._epoch = epoch
            self._batches_last_epoch, self._batch_in_epoch = self._batch_in_epoch, 0
            elapsed = self._elapsed_locked()
            for name, epoch_stats in stats.items():
                self._record("epochs", {
                    "epoch": epoch, "model": name, "perplexity": epoch_stats.perplexity,
                    "tokens_per_second": epoch_stats.tokens_per_second,
                    "seconds": epoch_stats.seconds, "wall_time": wall_time,
                    "elapsed_s": elapsed})
        last = epoch == self.config.num_epochs
        if self.sample_every and (epoch % self.sample_every == 0 or last):
            texts = {name: predict(SAMPLE_PREFIXES[0], SAMPLE_LENGTH, model, self.corpus.vocab)
                     for name, model in self.models.items()}
            with self._cond:
                for name, text in texts.items():
                    self._record("samples", {"epoch": epoch, "model": name, "text": text})
        if self._snapshot_interval and (epoch % self._snapshot_interval == 0 or last):
            self._keep_param_snapshot(epoch)

    def _keep_param_snapshot(self, epoch: int) -> None:
        snapshot = {"epoch": epoch,
                    "state_dicts": {n: half_state_dict(m) for n, m in self.models.items()}}
        with self._cond:
            snapshots = self._param_snapshots + [snapshot]
            if len(snapshots) > self.max_snapshots:
                # Thin instead of dropping the oldest: the ring keeps spanning the run.
                newest = snapshots[-1]
                snapshots = snapshots[::2] + ([newest] if len(snapshots) % 2 == 0 else [])
                self._snapshot_interval *= 2
            self._param_snapshots = snapshots


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


def _failure_hint(exc: Exception) -> str:
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return ("The machine ran out of memory: try fewer hidden units, a smaller batch or "
                "fewer steps.")
    return ("This is not something your settings are known to cause; the traceback shows "
            "where it happened. Try a new run, and report it if it happens again.")


# ---------------------------------------------------------------- the registry

def default_max_running() -> int:
    return max(1, os.cpu_count() or 1)


class RunRegistry:
    """Runs by id for one process, shared by every browser session.

    Anyone with a run's id may read it (``get``); control needs its owner's
    token. At most ``max_running`` runs train at once (start and resume are
    refused beyond it) and at most ``max_runs`` are kept. A background thread
    ('gru-reaper', started with the first run) stops and releases runs whose
    last heartbeat is older than ``idle_timeout_s``; ``reap()`` does the same on
    demand."""

    COMMANDS = ("start", "pause", "resume", "stop", "step_epoch", "step_batch", "set_lr")

    def __init__(self, max_running: int | None = None, idle_timeout_s: float = 120,
                 reap_interval_s: float = 5, max_runs: int = 64):
        self.max_running = _check_count("max_running", default_max_running()
                                        if max_running is None else max_running, 1)
        self.max_runs = _check_count("max_runs", max_runs, 1)
        for field, value in (("idle_timeout_s", idle_timeout_s),
                             ("reap_interval_s", reap_interval_s)):
            if not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"{field} must be a positive number of seconds (got {value!r})")
        self.idle_timeout_s, self.reap_interval_s = float(idle_timeout_s), float(reap_interval_s)
        self._runs: dict[str, Run] = {}
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    def create(self, config: TrainConfig, corpus: Corpus, **run_kwargs) -> Run:
        """A new registered run (not started); its ``owner_token`` is the caller's."""
        self._check_room()
        run = Run(config, corpus, **run_kwargs)  # builds the models outside the lock
        with self._lock:
            self._check_room_locked()
            self._runs[run.id] = run
            self._last_seen[run.id] = time.monotonic()
            self._start_reaper_locked()
        return run

    def get(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RunError(f"there is no run '{run_id}': it may have been released after "
                           f"{self.idle_timeout_s:g} s without viewers, or the server restarted."
                           ) from None

    def heartbeat(self, run_id: str) -> Run:
        """A viewer (owner or not) is still looking: keep the run alive."""
        run = self.get(run_id)
        with self._lock:
            if run_id in self._last_seen:
                self._last_seen[run_id] = time.monotonic()
        return run

    def start(self, run_id: str, token: str) -> None:
        self.control(run_id, token, "start")

    def control(self, run_id: str, token: str, command: str, **kwargs):
        """Run ``command`` (one of COMMANDS) on the owner's behalf; returns what
        the Run method returns (an Event for the steps)."""
        run = self.get(run_id)
        if not isinstance(token, str) or not secrets.compare_digest(token, run.owner_token):
            raise PermissionDenied(f"only the session that created run {run_id} can control "
                                   f"it; anyone with its id can watch it.")
        if command not in self.COMMANDS:
            raise RunError(f"unknown command '{command}'; commands are: "
                           f"{', '.join(self.COMMANDS)}.")
        action = getattr(run, command)
        try:
            inspect.signature(action).bind(**kwargs)
        except TypeError as exc:
            raise RunError(f"{command}: {exc}") from None
        self.heartbeat(run_id)
        if command in ("start", "resume"):
            with self._lock:  # check and start together, so two starts cannot both pass
                self._check_cap_locked()
                return action(**kwargs)
        return action(**kwargs)

    def reap(self, now: float | None = None) -> list[str]:
        """Stop and release runs unseen for ``idle_timeout_s``; returns their ids."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stale = [run_id for run_id, seen in self._last_seen.items()
                     if now - seen > self.idle_timeout_s]
            runs = [self._pop_locked(run_id) for run_id in stale]
        for run in runs:
            run.close(f"Stopped: no viewer was seen for {self.idle_timeout_s:g} s, so the run "
                      f"was released.")
        return stale

    def list_runs(self) -> list[Run]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda run: run.created_at)

    def release(self, run_id: str) -> None:
        """Stop (if active) and forget a run."""
        self.get(run_id)
        with self._lock:
            run = self._pop_locked(run_id)
        if run is not None:
            run.close("Stopped: the run was released.")

    def shutdown(self) -> None:
        """Stop every run and the reaper; the registry takes no new runs."""
        self._closed.set()
        if self._reaper is not None and self._reaper is not threading.current_thread():
            self._reaper.join(self.reap_interval_s + 2)
        with self._lock:
            runs = [self._pop_locked(run_id) for run_id in list(self._runs)]
        for run in runs:
            run.close("Stopped: the server is shutting down.")

    # ------------------------------------------------------------ helpers

    def _pop_locked(self, run_id: str) -> Run | None:
        self._last_seen.pop(run_id, None)
        return self._runs.pop(run_id, None)

    def _check_room(self) -> None:
        with self._lock:
            self._check_room_locked()

    def _check_room_locked(self) -> None:
        if self._closed.is_set():
            raise RunError("the run registry has shut down; no new runs can be created.")
        if len(self._runs) >= self.max_runs:
            raise RunCapError(f"this server already holds {len(self._runs)} runs, its limit "
                              f"(max_runs={self.max_runs}); release a run or wait until "
                              f"runs without viewers are released.")

    def _check_cap_locked(self) -> None:
        running = sum(run.state is RunState.RUNNING for run in self._runs.values())
        if running >= self.max_running:
            raise RunCapError(f"{running} runs are already training, the limit on this server "
                              f"(max_running={self.max_running}); pause or stop one, or wait "
                              f"for one to finish, then try again.")

    def _start_reaper_locked(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_until_shutdown,
                                            name="gru-reaper", daemon=True)
            self._reaper.start()

    def _reap_until_shutdown(self) -> None:
        while not self._closed.wait(self.reap_interval_s):
            try:
                self.reap()
            except Exception:  # the reaper must outlive one bad run
                log.exception("reaping idle runs failed")


_registry: RunRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> RunRegistry:
    """The process-wide registry (created on first use, shut down at exit)."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = RunRegistry()
            atexit.register(_registry.shutdown)
        return _registry
