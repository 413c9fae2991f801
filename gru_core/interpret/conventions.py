"""Conventions that differ between books and libraries, in short exact sentences
for the pages to show where they matter (plain Unicode: no LaTeX needed)."""
from __future__ import annotations

UPDATE_GATE_NOTE = (
    "d2l writes H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t: Z near 1 keeps the old state, "
    "Z near 0 writes the candidate H̃. PyTorch's nn.GRU blends the same way; some courses "
    "and papers (e.g. Chung et al., 2014) swap Z and 1 − Z, so there Z near 1 writes.")

RESET_BEFORE_NOTE = (
    "Reset before (d2l's cell, as in Cho et al., 2014): "
    "H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t−1}) W_hh + b_h). R scales the old state before the "
    "matmul, so R_j scales H_{t−1}[j]'s share of every unit's candidate, not unit j's alone.")

RESET_AFTER_NOTE = (
    "Reset after (PyTorch nn.GRU, cuDNN, Keras reset_after=True): "
    "H̃_t = tanh(X_t W_xh + b_h + R_t ⊙ (H_{t−1} W_hh + b_hh)). R scales each unit's "
    "recurrent sum after the matmul, which has its own bias b_hh. It is a different function "
    "from d2l's: nn.GRU's weights in d2l's cell give different numbers.")

CONVENTIONS = {"update_gate": UPDATE_GATE_NOTE, "reset_before": RESET_BEFORE_NOTE,
               "reset_after": RESET_AFTER_NOTE}


def reset_note(reset_after: bool) -> str:
    """The reset-gate sentence for a cell."""
    return RESET_AFTER_NOTE if reset_after else RESET_BEFORE_NOTE
