"""app_ui.budget: viewers' work on a live model is spaced per session and
capped for the whole process."""
from __future__ import annotations

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
