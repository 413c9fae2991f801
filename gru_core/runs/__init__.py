"""Live training runs: a run's thread and state machine (``run``), its
records and snapshots (``records``), the parameter guard (``params``), and
the process-wide registry with the owner's handle (``registry``)."""
from .params import ParamGuard, ParamsFrozen
from .records import RecordsReader, RunRecords, SnapshotRing
from .registry import RunControl, RunRegistry, default_max_running, get_registry
from .run import STOP_JOIN_S, Run, networks_for
from .states import (TERMINAL_STATES, PermissionDenied, RunCapError, RunError, RunState,
                     allowed_commands)

__all__ = ["ParamGuard", "ParamsFrozen", "PermissionDenied", "RecordsReader", "Run",
           "RunCapError", "RunControl", "RunError", "RunRecords", "RunRegistry", "RunState",
           "STOP_JOIN_S", "SnapshotRing", "TERMINAL_STATES", "allowed_commands",
           "default_max_running", "get_registry", "networks_for"]
