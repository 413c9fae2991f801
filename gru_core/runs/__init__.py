"""Live training runs: a run's thread and state machine (``run``), the
networks it trains in lockstep (``networks``), its records and snapshots
(``records``), the parameter guard (``params``), same-start restarts
(``restarts``), and the process-wide registry with the owner's handle
(``registry``)."""
from .networks import CELL_NETWORKS, MAX_NETWORKS, networks_for, resolve_networks
from .params import ParamGuard, ParamsFrozen
from .records import RecordsReader, RunRecords, SnapshotRing
from .registry import RunControl, RunRegistry, default_max_running, get_registry
from .restarts import RestartPlan, SameStart, describe_difference, plan_restart, run_labels
from .run import STOP_JOIN_S, Run
from .states import (TERMINAL_STATES, PermissionDenied, RunCapError, RunError, RunState,
                     allowed_commands)

__all__ = ["CELL_NETWORKS", "MAX_NETWORKS", "ParamGuard", "ParamsFrozen", "PermissionDenied", "RecordsReader",
           "RestartPlan", "Run", "RunCapError", "RunControl", "RunError", "RunRecords",
           "RunRegistry", "RunState", "STOP_JOIN_S", "SameStart", "SnapshotRing",
           "TERMINAL_STATES", "allowed_commands", "default_max_running", "describe_difference",
           "get_registry", "networks_for", "plan_restart", "resolve_networks", "run_labels"]
