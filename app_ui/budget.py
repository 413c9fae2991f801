"""A budget for work viewers ask of a live model (a probe's trace, an Explore
view): each session at most once every few seconds, and only a few at once in
the whole process, so a room exploring on its own never slows the lecture's
run. Cached results cost nothing and are never refused."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import streamlit as st

SESSION_INTERVAL_S = 3.0   # one new computation per session this often
MAX_AT_ONCE = 1            # computations on live models across the process
WAIT_FOR_TURN_S = 4.0      # how long a request waits for a free slot
LAST_KEY = "budget_last_computation"


class Busy(Exception):
    """Refused for now; the message says when to try again."""


@st.cache_resource(show_spinner=False)
def _slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(MAX_AT_ONCE)


@contextmanager
def live_computation(what: str):
    """Around one computation on a live model: raises Busy when this session
    asked too recently or the process is busy with others' requests."""
    since = time.monotonic() - st.session_state.get(LAST_KEY, float("-inf"))
    if since < SESSION_INTERVAL_S:
        raise Busy(f"{what}: one new computation every {SESSION_INTERVAL_S:g} s per viewer "
                   f"while a run trains — try again in {SESSION_INTERVAL_S - since:.0f} s.")
    slots = _slots()
    if not slots.acquire(timeout=WAIT_FOR_TURN_S):
        raise Busy(f"{what}: the server is busy with other viewers' requests (the training "
                   f"run comes first). Try again in a few seconds.")
    st.session_state[LAST_KEY] = time.monotonic()
    try:
        yield
    finally:
        slots.release()
