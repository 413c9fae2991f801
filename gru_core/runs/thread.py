"""What a run's background thread does: wait for its turn between batches,
train one lockstep batch, close each epoch (records, samples, held-out
perplexity, snapshots), and end the run in the right state whatever happens.
``Run`` inherits it; the thread never touches the UI, only the run's records
under its lock."""
from __future__ import annotations

import logging
import time
import traceback as traceback_module

import torch

from .. import engine
from ..training import DivergedError, half_state_dict, wants_sample
from .cores import CORES, SliceChoice
from .params import ParamsFrozen
from .states import RunState

log = logging.getLogger(__name__)


class TrainingThread:
    """The thread's half of ``Run`` (``Run._launch`` starts ``_main``)."""

    def _main(self) -> None:
        engine.apply_to_this_thread()
        try:
            self._train()
            with self._cond:
                self._end_locked(RunState.FINISHED,
                                 f"Finished {self.epoch} epochs ({self.batch} batches).")
        except ParamsFrozen:
            pass  # stopped while a long batch ran; its update was discarded
        except DivergedError as exc:
            with self._cond:
                self._end_locked(RunState.DIVERGED, (
                    f"Diverged in epoch {self.epoch + 1}, batch {self.batch + 1} "
                    f"({self._loop.training} model): {exc} The d2l chapter trains with lr 1 "
                    f"and gradients clipped at 1."))
        except Exception as exc:  # the run fails, the process and other runs go on
            log.exception("run %s failed in its training thread", self.id)
            with self._cond:
                self._end_locked(RunState.FAILED, (
                    f"Training failed in epoch {self.epoch + 1}, batch {self.batch + 1} "
                    f"({self._loop.training or 'no'} model): {type(exc).__name__}: {exc}. "
                    f"{_failure_hint(exc)}"), traceback_module.format_exc())
        finally:
            with self._cond:
                self._thread_running = False
                self._set_parked(True)
                self._cond.notify_all()
            with self._guard.changed:  # wake snapshot() readers waiting for lockstep
                self._guard.changed.notify_all()

    def cores_summary(self) -> str:
        """How many cores this run's batches use and why (measured), one line."""
        choice = getattr(self, "_slices", None)
        return choice.describe() if choice is not None else "Not trained yet."

    def _train(self) -> None:
        self._slices = SliceChoice()     # both cores while alone, if that measures faster
        while self.epoch < self.config.num_epochs:
            for X, Y in self._epoch_batches():
                if not self._wait_for_turn():
                    return
                self._autosave_if_due()
                workers = CORES.apply(self.id, self.models.values(), self._slices)
                started = time.perf_counter()
                records = self._loop.train_batch(X, Y)
                self._slices.record(workers, time.perf_counter() - started)
                with self._cond:
                    self._batch, self._batch_in_epoch = self._loop.batch, self._batch_in_epoch + 1
                    for record in records:
                        self._records.add("batches", record.to_dict())
            self._end_epoch()

    def _epoch_batches(self):
        """This epoch's batches; a restored run first finishes the epoch it was
        saved in, with the very batches it would have trained."""
        if self._resume is not None:
            progress, done = self._resume
            self._resume = None
            return self._loop.resume_epoch(progress, done)
        return self._loop.begin_epoch()

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
            if self._loop.set_lr(self._lr):  # this batch is the first with the new lr
                self._records.add("lr_changes", {"step": self.batch + 1,
                                                 "epoch": self.epoch + 1, "lr": self._lr})
            return True

    def _step_wants_more(self) -> bool:
        step = self._step
        if step is None:
            return False
        counter = self.batch if step.unit == "batch" else self.epoch
        if counter < step.target:
            return True
        self._cancel_step()  # reached: mark it done
        return False

    def _end_epoch(self) -> None:
        wall_time = time.time()
        scores = self._heldout_scores(self._epoch + 1)
        with self._guard.lock, self._cond:  # epoch moves with the parameters for snapshot()
            records = self._loop.end_epoch()
            epoch = self._epoch = self._loop.epoch
            self._batches_last_epoch, self._batch_in_epoch = self._batch_in_epoch, 0
            elapsed = self._elapsed_locked()
            for record in records:
                record.elapsed_s, record.wall_time = elapsed, wall_time
                record.heldout_perplexity = scores.get(record.model)
                self._records.add("epochs", record.to_dict())
        last = epoch == self.config.num_epochs
        if wants_sample(epoch, self.config.num_epochs, self.sample_every):
            texts = self._loop.samples()
            with self._cond:
                for name, text in texts.items():
                    self._records.add("samples", {"epoch": epoch, "model": name, "text": text})
        if self._snapshots.due(epoch, last):
            self._keep_param_snapshot(epoch)

    def _heldout_scores(self, epoch: int) -> dict[str, float]:
        """Each network's perplexity on the held-out text after this epoch (every
        ``heldout_every`` epochs and after the last), as ``evaluation.evaluate``
        measures it. This thread is the only writer of the parameters, so it
        reads them without a lock; a pending stop skips the scoring."""
        if (len(self.heldout_indices) < 2 or self._stop_requested
                or not wants_sample(epoch, self.config.num_epochs, self.heldout_every)):
            return {}
        return self._loop.evaluate(self.heldout_indices)

    def _keep_param_snapshot(self, epoch: int) -> None:
        snapshot = {"epoch": epoch,
                    "state_dicts": {n: half_state_dict(m) for n, m in self.models.items()}}
        with self._cond:
            self._snapshots.keep(snapshot)


def _failure_hint(exc: Exception) -> str:
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return ("The machine ran out of memory: try fewer hidden units, a smaller batch or "
                "fewer steps.")
    return ("This is not something your settings are known to cause; the details below "
            "(also in the server log) show where it happened. Try a new run, and report it "
            "if it happens again.")
