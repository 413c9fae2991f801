"""The four quantities of a trace (Z, R, H̃, H): names, symbols and ranges, and
what to say when one of them does not vary at all."""
from __future__ import annotations

import numpy as np

from ..models import NO_CLAMP, Clamp, GateTrace

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


def constant_note(trace: GateTrace, name: str, clamp: Clamp = NO_CLAMP) -> str | None:
    """A sentence for a quantity that has one value at every step and unit (a
    heatmap that would be one flat colour), with the reason where the clamp
    gives one; None when the quantity varies."""
    values = quantity(trace, name)
    if values.size == 0 or values.min() != values.max():
        return None
    value, symbol = float(values.flat[0]), QUANTITY_SYMBOLS[name]
    sentence = f"{symbol} is constant ({value:.3f}) at every step and unit"
    forced = clamp.gates()
    update = forced.get("update_gate")
    if name in forced and forced[name].units is None:
        return f"{sentence}: it is clamped to {forced[name].value:g}"
    if (name == "hidden" and update is not None and update.units is None
            and update.value == 1.0):
        return f"{sentence}: Z = 1 froze the state at its initial value"
    if name == "hidden" and update is not None and update.units is None and update.value == 0.0:
        return f"{sentence}: Z = 0 makes H the candidate H̃, and H̃ does not vary here"
    return sentence
