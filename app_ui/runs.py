"""Runs as a session sees them: the process-wide registry, the run this
session follows, whether it owns that run, the records every viewer of a run
shares, and the buttons through which an owner commands it.

Anyone with a run's id may watch it. Control goes to its owner: the browser
that started it (its identity cookie, so a reload or a new tab keeps control)
or, in lecture mode, the presenter; the registry exchanges that owner key for
a ``RunControl`` whose methods are the commands. Live updates reach the page
through the live view's socket, never through script reruns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

import app_server
from app_server.lecture import hall
from gru_core import runs
from gru_core.runs import PermissionDenied, RecordsReader, Run, RunControl, RunError

from .lecture import owner

# The Train page's model choices by TrainConfig value, in words. A radio bound
# to the URL keeps the words there, so a link into the setup names them
# (``setup_query``).
MODEL_CHOICES = {"scratch": "From scratch (d2l's cell)", "concise": "nn.GRU",
                 "both": "Both, in lockstep"}
CONCISE_STARTS = {"pytorch": "its own init (PyTorch's)", "d2l": "d2l's weights (same start)"}


def setup_query(model: str, concise_init: str = "pytorch") -> dict[str, str]:
    """The query parameters of a Train page link with these choices made."""
    return {"model": MODEL_CHOICES[model], "concise_init": CONCISE_STARTS[concise_init]}


# session_state keys (everything else in session_state is a widget key)
RUN_KEY = "run_id"
MODEL_REFRESH_S = 5.0    # how long a copy of a training model's weights is reused


@st.cache_resource(show_spinner=False)
def registry() -> runs.RunRegistry:
    """The process-wide run registry (shared by every session)."""
    return runs.get_registry()


def is_active(run: Run | None) -> bool:
    """Idle, running or paused: the run can still change."""
    return run is not None and not run.state.is_terminal


# ---------------------------------------------------------------- following

def followed_run() -> Run | None:
    """The run this session shows: ``?run=<id>`` wins (a shared link), else the
    one this session started, else (in lecture mode) the lecture's; a viewer
    in lecture mode always follows the lecture's run. Keeps the id in the URL
    so any page can be shared."""
    lecture = hall()
    if lecture.active and not lecture.is_presenter(st.context.cookies):
        # The room follows the presenter's run, whatever an old link says.
        wanted = lecture.run_id
    else:
        wanted = (st.query_params.get("run") or st.session_state.get(RUN_KEY)
                  or lecture.run_id)
    if not wanted:
        return None
    try:
        run = registry().heartbeat(wanted)  # someone is looking; the push route takes over
    except RunError as exc:
        unfollow()
        st.warning(f"Run `{wanted}` cannot be shown: {exc} Start a new one on the Train page.")
        return None
    st.session_state[RUN_KEY] = run.id
    if st.query_params.get("run") != run.id:
        st.query_params["run"] = run.id
    return run


def follow(control: RunControl) -> None:
    """Follow a run this session has just created (or reopened)."""
    st.session_state[RUN_KEY] = control.run_id
    st.query_params["run"] = control.run_id


def launch(control: RunControl) -> None:
    """Start a run just created: in lecture mode it becomes the room's
    (pinned, autosaved, followed by every viewer); then this session follows it.
    A refusal (e.g. the server's cap on training runs) is said and the
    unstarted run released."""
    if hall().active:
        app_server.keep_as_lecture_run(control)
    try:
        control.start()
    except RunError as exc:
        registry().release(control.run_id)
        st.error(f"Could not start: {exc}")
        return
    follow(control)
    st.rerun()


def unfollow() -> None:
    st.session_state.pop(RUN_KEY, None)
    if "run" in st.query_params:
        del st.query_params["run"]


def control_of(run: Run | None) -> RunControl | None:
    """This session's handle on ``run``, or None when it does not own it."""
    key = owner()
    if run is None or key is None:
        return None
    try:
        return registry().control(run.id, key)
    except (PermissionDenied, RunError):
        return None


def is_owner(run: Run | None) -> bool:
    return control_of(run) is not None


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
        action(registry().control(run.id, owner()), *args)
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
