"""A budget for work viewers ask of a live model (a probe's trace and the
figures drawn from it, an Explore view): each session at most once every few
seconds, and the whole process only so many a second and one at a time, so a
room exploring on its own never slows the lecture's run. Cached results cost
nothing and are never refused."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import streamlit as st

from gru_core.runs import Run, RunState

from . import runs

SESSION_INTERVAL_S = 5.0   # one new computation per session this often
PER_SECOND = 1.0           # new computations on live models across the process
BURST = 3                  # ...of which this many may come at once
MAX_AT_ONCE = 1            # computing at the same time, across the process
WAIT_FOR_TURN_S = 3.0      # how long a request waits for a free slot
LAST_KEY = "budget_last_computation"


class Busy(Exception):
    """Refused for now; the message says when to try again."""


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up (thread-safe)."""

    def __init__(self, rate: float, capacity: float, clock=time.monotonic):
        self.rate, self.capacity, self._clock = rate, capacity, clock
        self._tokens, self._at = float(capacity), clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is free."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


@st.cache_resource(show_spinner=False)
def _process_budget() -> tuple[TokenBucket, threading.BoundedSemaphore]:
    return TokenBucket(PER_SECOND, BURST), threading.BoundedSemaphore(MAX_AT_ONCE)


def for_viewers(run: Run | None) -> bool:
    """Whether work on ``run``'s weights goes through this budget: it trains
    now, and this session is not its owner (the budget keeps a room from
    slowing the run; the owner's own requests are not the room's)."""
    return run is not None and run.state is RunState.RUNNING and not runs.is_owner(run)


@contextmanager
def live_computation(what: str):
    """Around one computation on a live model: raises Busy when this session
    asked too recently, or the process has had its share for now, or is busy
    with others' requests (the training run comes first)."""
    since = time.monotonic() - st.session_state.get(LAST_KEY, float("-inf"))
    if since < SESSION_INTERVAL_S:
        raise Busy(f"{what}: one new computation every {SESSION_INTERVAL_S:g} s per viewer "
                   f"while a run trains — try again in {SESSION_INTERVAL_S - since:.0f} s.")
    bucket, slots = _process_budget()
    wait = bucket.take()
    if wait:
        raise Busy(f"{what}: many viewers are asking the live model at once and the training "
                   f"run comes first — try again in {max(wait, 1):.0f} s.")
    if not slots.acquire(timeout=WAIT_FOR_TURN_S):
        raise Busy(f"{what}: the server is busy with other viewers' requests (the training "
                   f"run comes first). Try again in a few seconds.")
    st.session_state[LAST_KEY] = time.monotonic()
    try:
        yield
    finally:
        slots.release()
