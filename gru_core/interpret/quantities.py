"""The quantities of a trace: names, symbols and ranges, and what to say when
one of them does not vary at all. The GRU's four (Z, R, H̃, H) first; the
other cells reuse those names where the equation is the GRU's (the partial
GRUs) and add their own (the LSTM's I, F, O, C̃, C)."""
from __future__ import annotations

import numpy as np

from ..models import NO_CLAMP, CellTrace, Clamp, GateTrace

# By their GateTrace field names, in the order of the chapter's equations.
QUANTITIES = ("update_gate", "reset_gate", "candidate", "hidden")
LSTM_QUANTITIES = ("input_gate", "forget_gate", "output_gate", "candidate_memory", "memory")
QUANTITY_SYMBOLS = {"update_gate": "Z", "reset_gate": "R", "candidate": "H̃", "hidden": "H",
                    "input_gate": "I", "forget_gate": "F", "output_gate": "O",
                    "candidate_memory": "C̃", "memory": "C"}
QUANTITY_NAMES = {"update_gate": "update gate Z", "reset_gate": "reset gate R",
                  "candidate": "candidate H̃", "hidden": "hidden state H",
                  "input_gate": "input gate I", "forget_gate": "forget gate F",
                  "output_gate": "output gate O", "candidate_memory": "candidate memory C̃",
                  "memory": "memory cell C"}
# Gates are sigmoids, candidates and states tanh-bounded. The LSTM's memory
# cell C is not bounded (it adds up I * C~ over steps): None means "scale to
# the values" (``quantity_range``).
QUANTITY_RANGES = {"update_gate": (0.0, 1.0), "reset_gate": (0.0, 1.0),
                   "candidate": (-1.0, 1.0), "hidden": (-1.0, 1.0),
                   "input_gate": (0.0, 1.0), "forget_gate": (0.0, 1.0),
                   "output_gate": (0.0, 1.0), "candidate_memory": (-1.0, 1.0), "memory": None}
GATES = ("update_gate", "reset_gate")


def quantity(trace: GateTrace | CellTrace, name: str) -> np.ndarray:
    """One quantity of ``trace`` by name, (T, U)."""
    if name not in trace.quantities:
        raise ValueError(f"quantity must be one of {', '.join(trace.quantities)} (got '{name}')")
    return trace.quantities[name]


def quantity_range(name: str, values: np.ndarray) -> tuple[float, float]:
    """The fixed colour range of a quantity; for an unbounded one (the LSTM's
    C), symmetric around 0 out to the largest magnitude shown (at least 1)."""
    fixed = QUANTITY_RANGES[name]
    if fixed is not None:
        return fixed
    largest = float(np.abs(values).max()) if np.size(values) else 1.0
    return (-max(largest, 1.0), max(largest, 1.0))


def constant_note(trace: GateTrace | CellTrace, name: str, clamp: Clamp = NO_CLAMP) -> str | None:
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
