"""The four quantities of a trace (Z, R, H̃, H): names, symbols and ranges."""
from __future__ import annotations

import numpy as np

from ..models import GateTrace

# By their GateTrace field names, in the order of the chapter's equations.
QUANTITIES = ("update_gate", "reset_gate", "candidate", "hidden")
QUANTITY_SYMBOLS = {"update_gate": "Z", "reset_gate": "R", "candidate": "H̃", "hidden": "H"}
QUANTITY_NAMES = {"update_gate": "update gate Z", "reset_gate": "reset gate R",
                  "candidate": "candidate H̃", "hidden": "hidden state H"}
# Gates are sigmoids, candidate and state are tanh-bounded.
QUANTITY_RANGES = {"update_gate": (0.0, 1.0), "reset_gate": (0.0, 1.0),
                   "candidate": (-1.0, 1.0), "hidden": (-1.0, 1.0)}
GATES = ("update_gate", "reset_gate")


def quantity(trace: GateTrace, name: str) -> np.ndarray:
    """One quantity of ``trace`` by name, (T, U)."""
    if name not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)} (got '{name}')")
    return getattr(trace, name)
