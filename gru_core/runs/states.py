"""A run's states, which commands each allows, and the errors commands raise."""
from __future__ import annotations

import threading
from enum import Enum


class RunState(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """True once the run has ended; no command is accepted after that."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.DIVERGED,
                             RunState.FAILED})


class RunError(ValueError):
    """A command the run (or registry) cannot take now; the message says why."""


class RunCapError(RunError):
    """Refused because a limit is reached; the message names the limit."""


class PermissionDenied(RunError):
    """A control command from someone who does not own the run."""


class StepRequest:
    """A single step asked for while paused: train until the run's ``unit``
    counter (batch or epoch) reaches ``target``; ``done`` is set then."""

    def __init__(self, unit: str, target: int):
        self.unit, self.target, self.done = unit, target, threading.Event()


def allowed_commands(state: RunState, stepping: bool) -> tuple[str, ...]:
    """Commands legal in ``state`` (``stepping``: a single step is in progress)."""
    if state is RunState.IDLE:
        return ("start", "step_epoch", "step_batch", "set_lr", "stop")
    if state is RunState.RUNNING:
        return ("pause", "set_lr", "stop")
    if state is RunState.PAUSED and stepping:
        return ("pause", "resume", "set_lr", "stop")  # pause cancels the step
    if state is RunState.PAUSED:
        return ("resume", "step_epoch", "step_batch", "set_lr", "stop")
    return ()


def refusal(run_id: str, command: str, state: RunState, stepping: bool) -> str:
    """Why ``command`` is refused now, and what is allowed instead."""
    if state.is_terminal:
        return (f"cannot {command} run {run_id}: it has already ended ({state.value}); no "
                f"command is allowed now. Create a new run to train again.")
    busy = (" and a single step is still in progress (wait for it, or pause to cancel it)"
            if stepping else "")
    return (f"cannot {command} run {run_id}: it is {state.value}{busy}; allowed now: "
            f"{', '.join(allowed_commands(state, stepping))}.")
