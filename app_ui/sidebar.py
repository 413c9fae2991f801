"""The sidebar: the followed run (its id, your role), a live status line on
pages that have no live view of their own, and the share panel. Nothing here
reruns on a timer: the status comes through the live view's socket."""
from __future__ import annotations

import streamlit as st

from .lecture import is_presenter, lecture_mode, sign_out_link
from .live_view import live_view
from .runs import followed_run, is_owner
from .share import share_address, share_panel


def sidebar_run_status(live_status: bool = True) -> None:
    """The followed run's role line, its live status (``live_status``) and the
    link to share it (in lecture mode: the server's root, for everyone)."""
    run = followed_run()
    with st.sidebar:
        if lecture_mode():
            role = "the presenter" if is_presenter() else "following the lecture (read-only)"
            st.markdown(f"**Lecture** · you are {role}")
            sign_out_link()
        if run is None and not lecture_mode():
            st.caption("No live run. Start one on the **Train** page, or open a shared "
                       "`?run=` link.")
            return
        if run is not None:
            role = "owner" if is_owner(run) else "viewer (read-only)"
            st.markdown(f"**Run `{run.id}`** · you are the {role}")
        if live_status:
            live_view("lecture" if lecture_mode() and run is None else run.id, panels=(),
                      key="sidebar_status")
        if lecture_mode():
            address = share_address()
        else:
            address = share_address(query=f"run={run.id}")
        share_panel(address, False, "Share this run" if not lecture_mode() else "Students: open")
