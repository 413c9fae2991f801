"""The sidebar's status of the followed run, ticking on every page. Each tick
is also the heartbeat that keeps the run alive while someone watches it, and
the place that notices the run changing state."""
from __future__ import annotations

import streamlit as st

from gru_core.runs import Run, RunState

from .display import format_seconds
from .runs import STATUS_REFRESH_S, followed_run, is_owner, refresh_interval, registry

SEEN_STATE_KEY = "seen_run_state"


def share_link(run: Run) -> str:
    base = (st.context.url or "").rstrip("/")
    return f"{base}?run={run.id}" if base else f"?run={run.id}"


def sidebar_run_status() -> None:
    """The followed run's state, progress and share link (or how to get a run)."""
    run = followed_run()
    with st.sidebar:
        if run is None:
            st.caption("No live run. Start one on the **Train** page, or open a shared "
                       "`?run=` link.")
            return

        @st.fragment(run_every=refresh_interval(run, STATUS_REFRESH_S))
        def status():
            registry().heartbeat(run.id)
            progress = run.progress()
            role = "presenter" if is_owner(run) else "viewer (read-only)"
            st.markdown(f"**Run `{run.id}`** · {run.state.value} · you are the {role}")
            done = progress["epoch"] / max(progress["num_epochs"], 1)
            st.progress(min(done, 1.0), text=f"epoch {progress['epoch']}/{progress['num_epochs']}"
                                              f" · ETA {format_seconds(progress.get('eta_s'))}")
            if run.message:
                st.caption(run.message)
            rerun_on_state_change(run)

        status()
        st.caption("Share this run (viewers follow it live, read-only):")
        st.code(share_link(run), language=None, wrap_lines=True)


def rerun_on_state_change(run: Run) -> None:
    """From the polling fragment: when the run starts, pauses, resumes, steps or
    ends, one full rerun lets every fragment on the page pick its new
    ``run_every`` and show the new model (an unguarded rerun would turn every
    tick into a full rerun)."""
    seen = st.session_state.setdefault(SEEN_STATE_KEY, {})
    state = run.state
    # while paused the model moves only by steps: a finished step counts as a change
    signature = (state, run.batch) if state is RunState.PAUSED else (state,)
    before, seen[run.id] = seen.get(run.id), signature
    if before is not None and before != signature:
        st.rerun()
