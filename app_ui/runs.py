"""Runs as a session sees them: the process-wide registry, the run this
session follows, the owner tokens of the runs it started, the records every
viewer of a run shares, and the buttons through which an owner commands it.

Anyone with a run's id may watch it; only the session that started it holds
its token (in ``st.session_state``), which the registry exchanges for a
``RunControl`` whose methods are the commands.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from gru_core import runs
from gru_core.runs import RecordsReader, Run, RunControl, RunError

# session_state keys (everything else in session_state is a widget key)
RUN_KEY = "run_id"
TOKENS_KEY = "owner_tokens"

TRAIN_REFRESH_S = 1.0    # curves while training
STATUS_REFRESH_S = 2.0   # the sidebar status, on every page
FOLLOW_REFRESH_S = 5.0   # gate views that follow a training model (a heatmap tick is ~1 MB)


@st.cache_resource(show_spinner=False)
def registry() -> runs.RunRegistry:
    """The process-wide run registry (shared by every session)."""
    return runs.get_registry()


def is_active(run: Run | None) -> bool:
    """Idle, running or paused: the run can still change."""
    return run is not None and not run.state.is_terminal


def refresh_interval(run: Run | None, seconds: float) -> float | None:
    """Poll while the run can still change; stop polling once it has ended."""
    return seconds if is_active(run) else None


# ---------------------------------------------------------------- following

def followed_run() -> Run | None:
    """The run this session shows: ``?run=<id>`` wins (a shared link), else the
    one this session started. Keeps the id in the URL so any page can be shared."""
    wanted = st.query_params.get("run") or st.session_state.get(RUN_KEY)
    if not wanted:
        return None
    try:
        run = registry().get(wanted)
    except RunError as exc:
        unfollow()
        st.warning(f"Run `{wanted}` cannot be shown: {exc} Start a new one on the Train page.")
        return None
    st.session_state[RUN_KEY] = run.id
    if st.query_params.get("run") != run.id:
        st.query_params["run"] = run.id
    return run


def follow(control: RunControl) -> None:
    """Follow a run this session has just created, and keep its owner token."""
    st.session_state[RUN_KEY] = control.run_id
    st.query_params["run"] = control.run_id
    st.session_state.setdefault(TOKENS_KEY, {})[control.run_id] = control.token


def unfollow() -> None:
    st.session_state.pop(RUN_KEY, None)
    if "run" in st.query_params:
        del st.query_params["run"]


def is_owner(run: Run | None) -> bool:
    return run is not None and run.id in st.session_state.get(TOKENS_KEY, {})


@st.cache_resource(show_spinner=False, max_entries=32)
def _shared_reader(run_id: str) -> RecordsReader:
    return RecordsReader()


def records(run: Run) -> RecordsReader:
    """The run's records, brought up to date; one reader per run, shared by
    every viewer, so a tick copies only what is new."""
    return _shared_reader(run.id).update(run)


# ---------------------------------------------------------------- commands

def send(run: Run, action: Callable, *args) -> bool:
    """Call ``action`` (a ``RunControl`` method, e.g. ``RunControl.pause``) on
    this session's handle of ``run``; a refusal becomes a message."""
    try:
        action(registry().control(run.id, st.session_state.get(TOKENS_KEY, {}).get(run.id)),
               *args)
    except RunError as exc:
        st.error(str(exc))
        return False
    return True


@dataclass(frozen=True)
class Command:
    """A command button: ``name`` is the run's word for the command (as in
    ``Run.allowed_commands``) and the button's key."""
    name: str
    label: str
    icon: str
    help: str | None
    action: Callable


PAUSE = Command("pause", "Pause", ":material/pause:", "Pause before the next batch.",
                RunControl.pause)
RESUME = Command("resume", "Resume", ":material/play_arrow:", None, RunControl.resume)
STOP = Command("stop", "Stop", ":material/stop:",
               "End the run; its model stays inspectable and savable.", RunControl.stop)
STEP_EPOCH = Command("step_epoch", "Step epoch", ":material/skip_next:",
                     "While paused: train one more epoch, then pause again.",
                     RunControl.step_epoch)
STEP_BATCH = Command("step_batch", "Step batch", ":material/redo:",
                     "While paused: train one more batch, then pause again.",
                     RunControl.step_batch)


def command_button(column, run: Run, allowed: set[str], command: Command) -> None:
    column.button(command.label, icon=command.icon, key=command.name, help=command.help,
                  type="primary" if command is RESUME else "secondary",
                  disabled=command.name not in allowed, on_click=send,
                  args=(run, command.action))
