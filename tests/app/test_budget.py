"""app_ui.budget: viewers' work on a live model is spaced per session and
capped for the whole process."""
from __future__ import annotations

import pytest

from app_ui.budget import TokenBucket


def test_the_bucket_gives_its_burst_then_one_token_per_interval():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, capacity=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert bucket.take() == 0.5  # the next token in half a second
    now[0] += 0.5
    assert bucket.take() == 0.0 and bucket.take() > 0
    now[0] += 100  # a long quiet spell saves up no more than the capacity
    assert [bucket.take() for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_a_session_that_asks_again_too_soon_is_told_when_to_come_back():
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from app_ui.budget import Busy, live_computation
        try:
            with live_computation("The trace of your text"):
                st.session_state["computed"] = st.session_state.get("computed", 0) + 1
        except Busy as exc:
            st.info(str(exc))
    at = AppTest.from_function(page).run()
    assert at.session_state["computed"] == 1 and not at.info
    at.run()
    assert at.session_state["computed"] == 1
    assert "one new computation every 5 s per viewer" in at.info[0].value


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_viewers_turns_rest_so_their_share_of_the_time_stays_bounded():
    from app_ui.budget import Busy, Turns
    fake = FakeTime()
    turns = Turns(share=0.25, clock=fake.clock, sleep=fake.sleep)
    with turns.turn(8, "Your text"):
        fake.now += 1.0            # a page that took 1 s ...
    with turns.turn(8, "Your text"):
        assert fake.now == 4.0     # ... is followed by a 3 s rest: 1 s in 4 is viewers'
        fake.now += 2.0
    with pytest.raises(Busy, match="Your text: many viewers .* at most 25% of the server"):
        with turns.turn(5, "Your text"):   # the next may start only 6 s later
            pass
    assert fake.now == 6.0          # refused at once, without waiting
    with turns.turn(8, "Your text"):
        assert fake.now == 12.0
    with pytest.raises(ValueError, match="share must be in"):
        Turns(share=0)
