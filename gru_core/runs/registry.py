"""Runs by id for one process, shared by every browser session, and the
owner's handle (``RunControl``) through which every command reaches a run.

Anyone with a run's id may read it (``get``); control needs the token its
creator received, exchanged for a ``RunControl`` whose methods are the
commands (``pause``, ``stop``, ...). A creator may give the secret itself
(``owner``: e.g. a browser's identity cookie, which a reload keeps):
``owned(owner)`` then hands back the controls of all its runs, oldest first, so
a session's list of runs survives a reload. ``restart`` creates a same-start
restart of any run (``restarts.plan_restart``). At most ``max_running`` runs train at
once (start and resume are refused beyond it) and at most ``max_runs`` are
kept. A background thread ('gru-reaper', started with the first run) releases
runs whose last heartbeat is older than ``idle_timeout_s`` -- pinned runs (a
lecture's) never. With an ``autosave_dir`` every run is saved there at each
pause and stop and before it is released, so nothing trained is lost: its
owner can ``reopen`` it from ``saved_runs``."""
from __future__ import annotations

import atexit
import logging
import math
import os
import secrets
import threading
import time
from pathlib import Path

from ..config import TrainConfig, check_count
from ..data import Corpus
from ..storage import data_dir
from .restarts import plan_restart
from .run import Run
from .saved import SavedRunError, read_saved_run, saved_summaries
from .states import PermissionDenied, RunCapError, RunError, RunState

log = logging.getLogger(__name__)


def default_max_running() -> int:
    return max(1, os.cpu_count() or 1)


class RunControl:
    """An owner's handle on one run: its commands as methods. Each keeps the
    run alive (a heartbeat); start and resume respect the registry's cap."""

    def __init__(self, registry: "RunRegistry", run: Run, token: str):
        self.registry, self.run, self.token = registry, run, token

    @property
    def run_id(self) -> str:
        return self.run.id

    def start(self) -> None:
        self.registry.heartbeat(self.run.id)
        self.registry.start_within_cap(self.run.start)

    def resume(self) -> None:
        self.registry.heartbeat(self.run.id)
        self.registry.start_within_cap(self.run.resume)

    def pause(self, timeout: float = 2.0) -> bool:
        self.registry.heartbeat(self.run.id)
        return self.run.pause(timeout)

    def stop(self, reason: str = "") -> bool:
        self.registry.heartbeat(self.run.id)
        return self.run.stop(reason)

    def step_epoch(self) -> threading.Event:
        self.registry.heartbeat(self.run.id)
        return self.run.step_epoch()

    def step_batch(self) -> threading.Event:
        self.registry.heartbeat(self.run.id)
        return self.run.step_batch()

    def set_lr(self, lr: float) -> None:
        self.registry.heartbeat(self.run.id)
        self.run.set_lr(lr)


class RunRegistry:
    """See the module docstring."""

    def __init__(self, max_running: int | None = None, idle_timeout_s: float = 600,
                 reap_interval_s: float = 5, max_runs: int = 64, clock=time.monotonic,
                 autosave_dir=None):
        self.max_running = check_count("max_running", default_max_running()
                                       if max_running is None else max_running, 1)
        self.max_runs = check_count("max_runs", max_runs, 1)
        for name, value in (("idle_timeout_s", idle_timeout_s),
                            ("reap_interval_s", reap_interval_s)):
            if not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"{name} must be a positive number of seconds (got {value!r})")
        self.idle_timeout_s, self.reap_interval_s = float(idle_timeout_s), float(reap_interval_s)
        self._clock = clock  # when a viewer was last seen (tests pass a clock they move)
        self.autosave_dir = None if autosave_dir is None else Path(autosave_dir)
        self._pinned: set[str] = set()
        self._runs: dict[str, Run] = {}
        self._tokens: dict[str, str] = {}
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    def create(self, config: TrainConfig, corpus: Corpus, owner: str | None = None,
               **run_kwargs) -> RunControl:
        """A new registered run (not started), and its owner's handle. ``owner``
        is the secret that controls it (None: a fresh random one)."""
        self._check_room()
        run = Run(config, corpus, **run_kwargs)  # builds the models outside the lock
        return self.adopt(run, owner)

    def adopt(self, run: Run, owner: str | None = None, pinned: bool = False) -> RunControl:
        """Register an existing run (e.g. restored from its autosave)."""
        token = owner or secrets.token_urlsafe(24)
        if self.autosave_dir is not None and run.autosave_path is None:
            run.keep_autosaved(self.autosave_dir / f"{run.id}.pt", owner=token)
        with self._lock:
            self._check_room_locked()
            if run.id in self._runs:
                raise RunError(f"run {run.id} is already open on this server.")
            self._runs[run.id], self._tokens[run.id] = run, token
            self._last_seen[run.id] = self._clock()
            if pinned:
                self._pinned.add(run.id)
            self._start_reaper_locked()
        return RunControl(self, run, token)

    def pin(self, run_id: str) -> None:
        """Never reap this run (a lecture's run outlives any break)."""
        self.get(run_id)
        with self._lock:
            self._pinned.add(run_id)

    def saved_runs(self, owner: str) -> list[dict]:
        """Summaries of the runs this owner has in the autosave folder that are
        not open now, newest first (``reopen`` one by its id)."""
        if self.autosave_dir is None or not owner:
            return []
        return [s for s in saved_summaries(self.autosave_dir)
                if secrets.compare_digest(str(s.get("owner", "")), owner)
                and s.get("id") not in self._runs]

    def reopen(self, run_id: str, owner: str) -> RunControl:
        """Bring a saved run of this owner back, paused where it was saved."""
        saved = {s["id"]: s for s in self.saved_runs(owner)}
        if run_id not in saved:
            raise RunError(f"there is no saved run '{run_id}' of yours on this server.")
        try:
            run = Run.from_state(read_saved_run(saved[run_id]["path"]))
        except SavedRunError as exc:
            raise RunError(str(exc)) from None
        run.keep_autosaved(saved[run_id]["path"], owner=owner)
        return self.adopt(run, owner)

    def restart(self, run_id: str, owner: str | None = None, **changes) -> RunControl:
        """A new run from the initial weights of ``run_id`` with ``changes`` to
        its config (``lr=0.5``, ...); the new run's ``same_start`` says what
        differs. Reading a run is open to all, so is restarting from it."""
        plan = plan_restart(self.get(run_id), **changes)
        return self.create(plan.config, plan.corpus, owner, networks=plan.networks,
                           same_start=plan.same_start, **plan.run_options)

    def owned(self, owner: str | None) -> list[RunControl]:
        """The handles of every open run this owner controls, oldest first;
        each counts as seen (its owner is back)."""
        if not isinstance(owner, str) or not owner:
            return []
        with self._lock:
            mine = [run for run_id, run in self._runs.items()
                    if secrets.compare_digest(self._tokens[run_id], owner)]
            for run in mine:
                self._last_seen[run.id] = self._clock()
        return [RunControl(self, run, owner) for run in sorted(mine, key=lambda r: r.created_at)]

    def get(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RunError(f"there is no run '{run_id}': it may have been released after "
                           f"{self.idle_timeout_s:g} s without viewers, or the server restarted."
                           ) from None

    def control(self, run_id: str, token: str | None) -> RunControl:
        """The owner's handle, for the holder of the run's token."""
        run = self.get(run_id)
        expected = self._tokens.get(run_id, "")
        if not isinstance(token, str) or not secrets.compare_digest(token, expected):
            raise PermissionDenied(f"only the session that created run {run_id} can control "
                                   f"it; anyone with its id can watch it.")
        return RunControl(self, run, token)

    def heartbeat(self, run_id: str) -> Run:
        """A viewer (owner or not) is still looking: keep the run alive."""
        run = self.get(run_id)
        with self._lock:
            if run_id in self._last_seen:
                self._last_seen[run_id] = self._clock()
        return run

    def start_within_cap(self, action) -> None:
        """Run ``action`` (a run's start or resume) unless ``max_running`` runs
        already train; checked and started together, so two cannot both pass."""
        with self._lock:
            running = sum(run.state is RunState.RUNNING for run in self._runs.values())
            if running >= self.max_running:
                raise RunCapError(f"{running} runs are already training, the limit on this "
                                  f"server (max_running={self.max_running}); pause or stop "
                                  f"one, or wait for one to finish, then try again.")
            action()

    def reap(self, now: float | None = None) -> list[str]:
        """Stop and release runs unseen for ``idle_timeout_s``; returns their ids."""
        now = self._clock() if now is None else now
        with self._lock:
            stale = [run_id for run_id, seen in self._last_seen.items()
                     if now - seen > self.idle_timeout_s and run_id not in self._pinned]
            runs = [self._pop_locked(run_id) for run_id in stale]
        for run in runs:
            kept = self._save_before_release(run)
            run.close(f"Stopped: no viewer was seen for {self.idle_timeout_s:g} s, so the run "
                      f"was released" + (" (saved: its owner can reopen it)." if kept else "."))
        return stale

    @staticmethod
    def _save_before_release(run: Run) -> bool:
        """Autosave a run about to be released (a running one is paused first,
        which saves it); whether a saved copy exists now."""
        if run.autosave_path is None:
            return False
        try:
            if run.state is RunState.RUNNING:
                run.pause()
            elif not run.state.is_terminal:
                run.autosave()
        except (RunError, OSError):
            log.exception("could not save run %s before releasing it", run.id)
            return False
        return run.autosave_path.is_file()

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
        self._pinned.discard(run_id)
        self._tokens.pop(run_id, None)
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
            _registry = RunRegistry(autosave_dir=data_dir() / "autosave")
            atexit.register(_registry.shutdown)
        return _registry
