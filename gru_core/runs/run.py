"""One live training run: its models, one background thread, its history.

Nothing here imports Streamlit: pages read a ``Run`` (``progress``, ``metrics``,
``snapshot``) and owners send it commands; the training thread never touches
the UI. Two locks, for two jobs:

- ``Run._cond`` (a Condition) guards the state machine, the counters and the
  records. The training thread takes it between batches, never during one.
- ``ParamGuard.lock`` is every trainer's ``param_lock``: held only around the
  parameter update, and by ``snapshot()`` while it copies.

State machine (commands in brackets)::

    idle --[start]--> running <--[pause / resume]--> paused
    idle --[step_epoch / step_batch]--> paused (one unit trained, then paused again)
    running | paused --> finished | diverged | failed     (by the training thread)
    idle | running | paused --[stop]--> stopped
"""
from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Mapping, Sequence

from torch import nn

from ..config import TrainConfig, check_count, check_limit
from ..data import Corpus
from ..models import model_from_weights, model_kind, resolve_device
from ..evaluation import HELDOUT_EVAL_CHARS
from ..training import SAMPLE_EVERY, Lockstep
from .networks import build_models, resolve_networks
from .params import ParamGuard, float32_cpu_copy
from .records import RunRecords, SnapshotRing
from .restarts import SameStart
from .saved import SavedRun
from .states import RunError, RunState, StepRequest, allowed_commands, refusal
from .cores import CORES
from .thread import TrainingThread

STOP_JOIN_S = 1.5           # stop() waits this long for the thread (the promise is < 2 s)


class Run(TrainingThread, SavedRun):
    """One training run of one or more networks in lockstep. Readers (any
    thread, any session): ``state``, ``progress()``, ``metrics(since)``,
    ``snapshot()``, ``snapshot_model()``, ``param_snapshots()``. Commands:
    ``start``, ``pause``, ``resume``, ``stop``, ``step_epoch``, ``step_batch``,
    ``set_lr``; an illegal one raises RunError. Do not use ``models`` from
    another thread while the run trains: copy with ``snapshot_model()`` instead.

    ``networks`` (``networks.resolve_networks``): None trains what
    ``config.model`` names; a list of kinds (``["scratch-fast", "lstm"]``) or
    a dict of names to kinds trains them all on identical batches.
    ``same_start`` (``restarts.plan_restart``) starts from an earlier run's
    initial weights. ``heldout_every`` > 0 scores each network on the first
    ``heldout_chars`` held-out characters that often (and after the last epoch),
    into the epoch records' ``heldout_perplexity``."""

    def __init__(self, config: TrainConfig, corpus: Corpus, *,
                 networks: Sequence[str] | Mapping[str, str] | None = None,
                 same_start: SameStart | None = None,
                 scratch_engine: str = "scratch-fast", sample_every: int = SAMPLE_EVERY,
                 snapshot_every: int = 5, max_snapshots: int = 40,
                 heldout_every: int = 1, heldout_chars: int = HELDOUT_EVAL_CHARS,
                 max_batch_records: int = 20_000, max_epoch_records: int = 20_000,
                 max_snapshot_bytes: int = 256 * 2**20, name: str = ""):
        self.config = dataclasses.replace(config).validate()
        self.sample_every = check_count("sample_every", sample_every, 0)
        check_count("max_snapshots", max_snapshots, 2)
        check_count("max_snapshot_bytes", max_snapshot_bytes, 1)
        self.heldout_every = check_count("heldout_every", heldout_every, 0)
        self.heldout_indices = list(corpus.heldout[:check_count("heldout_chars", heldout_chars, 2)])
        self.run_options = dict(  # what a same-start restart carries over
            sample_every=sample_every, snapshot_every=snapshot_every, max_snapshots=max_snapshots,
            heldout_every=heldout_every, heldout_chars=heldout_chars)
        self.corpus = corpus
        self.id = secrets.token_urlsafe(6)
        # changes whenever the history is rebuilt (a restore), so viewers redraw
        self.generation = secrets.token_urlsafe(6)
        self.created_at = time.time()
        self.same_start = same_start

        device = resolve_device(self.config.device)
        kinds = resolve_networks(networks, self.config.model, scratch_engine)
        self.models: dict[str, nn.Module] = build_models(
            kinds, len(corpus.vocab), self.config, device,
            same_start.state_dicts if same_start else None)
        self.model_kinds = {network: model_kind(model) for network, model in self.models.items()}
        self.initial_state_dicts = {n: float32_cpu_copy(m) for n, m in self.models.items()}
        self.name = name or (f"{self.config.model if networks is None else ', '.join(kinds)}, "
                             f"{self.config.num_hiddens} hiddens")
        self._guard = ParamGuard(self.models)
        self._loop = Lockstep(self.models, corpus, self.config, self._guard.locks())
        self._records = RunRecords(max_batch_records, max_epoch_records)

        self._cond = threading.Condition()
        self._state = RunState.IDLE
        self._message, self._traceback = "", None
        self._thread: threading.Thread | None = None
        self._thread_running = False
        self._parked = True          # the thread is not inside a batch (or does not exist)
        self._stop_requested = False
        self._step: StepRequest | None = None
        self._lr = self.config.lr
        # The loop counts as it trains; these copies change under _cond, together
        # with the records, so readers always see one consistent position.
        self._epoch = self._batch = self._batch_in_epoch = self._batches_last_epoch = 0
        self._active_seconds, self._active_since = 0.0, None
        self._resume = None          # (epoch progress, batches done) of a restored run

        bytes_per_snapshot = sum(2 * p.numel() for m in self.models.values()
                                 for p in m.state_dict().values())
        self._snapshots = SnapshotRing(snapshot_every, max(2, min(
            max_snapshots, max_snapshot_bytes // bytes_per_snapshot)))
        if snapshot_every:
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
        """Where a failed run's thread raised (also written to the server log)."""
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
    def difference(self) -> str:
        """What differs from the run this one restarted from ("" if none)."""
        return self.same_start.difference if self.same_start else ""

    @property
    def trainers(self) -> dict:
        """Each network's ``Trainer`` (for tests that inject faults; do not
        call them while the run trains)."""
        return self._loop.trainers

    @property
    def max_snapshots(self) -> int:
        return self._snapshots.capacity

    @property
    def batches_per_epoch(self) -> int:
        """Batches in the last completed epoch; before that, the loader's bound
        (with sequential sampling the count varies by one with the offset)."""
        return self._batches_last_epoch or self._loop.loader.batches_per_epoch()

    def allowed_commands(self) -> tuple[str, ...]:
        """Commands legal now (for enabling buttons)."""
        with self._cond:
            return allowed_commands(self._state, self._step is not None)

    def progress(self) -> dict:
        with self._cond:
            per_epoch = self.batches_per_epoch
            remaining = max((self.config.num_epochs - self.epoch) * per_epoch
                            - self._batch_in_epoch, 0)
            elapsed = self._elapsed_locked()
            if self._state.is_terminal:
                eta = 0.0
            else:
                eta = elapsed / self.batch * remaining if self.batch else None
            return {"epoch": self.epoch, "num_epochs": self.config.num_epochs,
                    "batch_in_epoch": self._batch_in_epoch, "batches_per_epoch": per_epoch,
                    "elapsed_s": elapsed, "eta_s": eta, "state": self._state.value}

    def metrics(self, since: int = 0) -> dict:
        """Records newer than the cursor ``since`` (0: everything still kept).
        Poll with the returned ``cursor``. ``dropped`` counts the oldest records
        of each kind already dropped to keep memory bounded."""
        with self._cond:
            newer = self._records.after(since)
            return {"cursor": self._records.seq, "state": self._state.value,
                    "message": self._message, "epoch": self.epoch, "batch": self.batch,
                    "lr": self._lr, "dropped": dict(self._records.dropped)} | newer

    def records_since(self, since: int = 0) -> tuple[int, list[tuple[int, str, dict]]]:
        """(cursor, [(seq, kind, record), ...]) of everything newer than ``since``,
        in writing order: what a broadcaster needs to mirror the run exactly."""
        with self._cond:
            return self._records.seq, self._records.sequence_after(since)

    def snapshot(self, names=None) -> dict:
        """A consistent float32 CPU copy of the current parameters:
        ``{'epoch', 'batch', 'updates', 'state_dicts': {name: state_dict}}``.
        In lockstep the copy waits (briefly) until every model has had the same
        batch, so their parameters always come from one batch."""
        names = list(self.models) if names is None else [self._network(n) for n in names]
        guard = self._guard
        with guard.changed:
            guard.changed.wait_for(lambda: guard.settled() or not self._thread_running,
                                   timeout=5.0)
            return {"epoch": self.epoch, "batch": min(guard.updates.values()),
                    "updates": dict(guard.updates),
                    "state_dicts": {n: float32_cpu_copy(self.models[n]) for n in names}}

    def snapshot_model(self, name: str | None = None) -> nn.Module:
        """A fresh CPU model of the same kind holding a snapshot (for the pages)."""
        name = self._network(name)
        weights = self.snapshot([name])["state_dicts"][name]
        return model_from_weights(weights, self.model_kinds[name]).eval()

    def param_snapshots(self) -> list[dict]:
        """``[{'epoch', 'state_dicts': {name: float16 state_dict}}]``, oldest first,
        spanning the whole run (see ``SnapshotRing``). Treat the tensors as
        read-only (they are shared)."""
        with self._cond:
            return list(self._snapshots.snapshots)

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
        frozen = self.wait_idle(timeout)
        if frozen:
            self.autosave()
        return frozen

    def resume(self) -> None:
        with self._cond:
            self._require("resume")
            self._cancel_step()
            self._state = RunState.RUNNING
            if not self._thread_running:  # a restored run has no thread yet
                self._launch()
            self._cond.notify_all()

    def stop(self, reason: str = "", timeout: float = STOP_JOIN_S) -> bool:
        """End the run (state 'stopped') and join its thread, which stops before
        its next batch. Returns whether the thread exited within ``timeout``; if
        not (a batch longer than that), the parameters are frozen as they are and
        the thread exits when its batch ends, discarding that batch."""
        with self._cond:
            self._require("stop")
            self._end_locked(RunState.STOPPED, reason or (
                f"Stopped by its owner after {self.epoch} epochs ({self.batch} batches). "
                f"The parameters are kept as they were; start a new run to train more."))
        joined = self._join(timeout)
        if joined:
            self.autosave()
        return joined

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
        try:
            lr = check_limit("lr", lr)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        with self._cond:
            self._require("set_lr")
            self._lr = lr

    # ------------------------------------------------------------ command helpers

    def _require(self, command: str) -> None:
        if command not in allowed_commands(self._state, self._step is not None):
            raise RunError(refusal(self.id, command, self._state, self._step is not None))

    def _request_step(self, unit: str) -> threading.Event:
        with self._cond:
            self._require(f"step_{unit}")
            counter = self.batch if unit == "batch" else self.epoch
            self._step = StepRequest(unit, counter + 1)
            if self._state is RunState.IDLE:
                self._state = RunState.PAUSED
            if not self._thread_running:
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

    def _network(self, name: str | None) -> str:
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
        CORES.active(self.id, not parked)
        self._cond.notify_all()

    def _elapsed_locked(self) -> float:
        running = 0.0 if self._parked else time.perf_counter() - self._active_since
        return self._active_seconds + running
