"""Lecture mode, as a page sees it: who this browser is (presenter, owner,
viewer), the refusal every control path gives a non-presenter, and the
presenter's sign-out. The cookies behind it are set by ``app_server.lecture``."""
from __future__ import annotations

import secrets

import streamlit as st

from app_server.lecture import SIGN_OUT_PATH, hall, owner_key

FALLBACK_OWNER_KEY = "owner_key"   # session_state: a browser without cookies (AppTest)


def lecture_mode() -> bool:
    return hall().active


def is_presenter() -> bool:
    return hall().is_presenter(st.context.cookies)


def owner() -> str | None:
    """The secret that owns the runs this session starts: the presenter's
    token in lecture mode (None for everyone else), else this browser's
    identity cookie, so a reload or a new tab keeps control."""
    if lecture_mode():
        return owner_key(st.context.cookies)
    key = owner_key(st.context.cookies)
    if key is None:  # no identity cookie (AppTest, a proxy that strips cookies)
        if FALLBACK_OWNER_KEY not in st.session_state:   # drawn once, not on every call
            st.session_state[FALLBACK_OWNER_KEY] = secrets.token_urlsafe(18)
        key = st.session_state[FALLBACK_OWNER_KEY]
    return key


def may_control(action: str) -> bool:
    """In lecture mode only the presenter may ``action`` (start, stop, upload,
    save, load ...): anyone else gets a message and nothing happens. Checked
    where the action runs, so a crafted widget message gets nothing either."""
    if not lecture_mode() or is_presenter():
        return True
    st.error(f"Only the presenter can {action} during the lecture; you are following their "
             f"run.", icon=":material/lock:")
    return False


def key_notice() -> None:
    """A wrong ``?key=`` is said plainly (and dropped from the address)."""
    if "key" not in st.query_params:
        return
    del st.query_params["key"]
    if not lecture_mode():
        st.warning("This server is not in lecture mode: a presenter key has no effect here.")
    elif not is_presenter():
        st.error("That presenter key is not right. Check it, or follow the lecture as a "
                 "viewer.", icon=":material/key_off:")


def sign_out_link() -> None:
    """A plain link in this tab (Streamlit's link buttons open a new tab, which
    would leave this one signed in)."""
    if lecture_mode() and is_presenter():
        st.html(f'<a href="{SIGN_OUT_PATH}" target="_self" style="font-weight:600">'
                f'Sign out as presenter</a>')
