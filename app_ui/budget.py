"""A budget for work viewers ask of a model that trains for someone else,
so a room exploring on its own never slows the lecture's run:

- a page's work on the live model (its trace, figures, an Explore view) is a
  *turn* (``viewers_turn``): one viewer's at a time, with rests between, so
  viewers' pages take at most ``VIEWERS_SHARE`` of the server's time;
- a new computation the Lab stores for everyone (``live_computation``): each
  session at most once every few seconds, the process only so many a second
  and one at a time. Stored results cost nothing and are never refused.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager, nullcontext

import streamlit as st

from gru_core.runs import Run, RunState

from . import runs

SESSION_INTERVAL_S = 5.0   # one new computation per session this often
PER_SECOND = 1.0           # new computations on live models across the process
BURST = 3                  # ...of which this many may come at once
MAX_AT_ONCE = 1            # computing at the same time, across the process
WAIT_FOR_TURN_S = 3.0      # how long a request waits for a free slot
LAST_KEY = "budget_last_computation"
VIEWERS_SHARE = 0.1        # of the server's time, at most, for viewers' pages on a training model
WAIT_FOR_PAGE_S = 8.0      # how long a viewer's page waits for its turn


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


class Turns:
    """Viewers' page work, one at a time and with rests between: after a turn
    that took d seconds the next starts no sooner than d·(1/share − 1) later,
    so however many viewers ask, their pages take at most ``share`` of the
    server's time (the rest is the training run's). A turn that would start
    later than ``timeout`` from now is refused (Busy)."""

    def __init__(self, share: float, clock=time.monotonic, sleep=time.sleep):
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1] (got {share!r})")
        self.share, self._clock, self._sleep = share, clock, sleep
        self._lock = threading.Lock()
        self._next_at = float("-inf")

    @contextmanager
    def turn(self, timeout: float, what: str):
        deadline = self._clock() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise Busy(self._refusal(what))
        try:
            rest = self._next_at - self._clock()
            if rest > deadline - self._clock():
                raise Busy(self._refusal(what))
            if rest > 0:
                self._sleep(rest)
            started = self._clock()
            try:
                yield
            finally:
                took = self._clock() - started
                self._next_at = self._clock() + took * (1 / self.share - 1)
        finally:
            self._lock.release()

    def _refusal(self, what: str) -> str:
        return (f"{what}: many viewers are looking at the live model, and their pages get at "
                f"most {self.share:.0%} of the server while it trains for the room. Try again "
                f"in a few seconds (press R).")


@st.cache_resource(show_spinner=False)
def _page_turns() -> Turns:
    return Turns(VIEWERS_SHARE)


def viewers_turn(run: Run | None, what: str):
    """Around the work a page does on ``run``'s live model for one session:
    a turn among the viewers (``Turns``) when that work is a viewer's
    (``for_viewers``), else nothing. Building and sending a page's figures
    costs more than its trace, so a page takes its turn for all of it."""
    return _page_turns().turn(WAIT_FOR_PAGE_S, what) if for_viewers(run) else nullcontext()
