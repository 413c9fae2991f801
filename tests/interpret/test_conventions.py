"""gru_core.interpret.conventions: the sentences say what the cells compute."""
from __future__ import annotations

from gru_core import interpret


def test_conventions_state_the_blend_and_where_the_reset_sits():
    assert "Z near 1 keeps the old state" in interpret.UPDATE_GATE_NOTE
    assert "swap Z and 1 − Z" in interpret.UPDATE_GATE_NOTE
    assert "(R_t ⊙ H_{t−1}) W_hh" in interpret.reset_note(reset_after=False)
    assert "R_t ⊙ (H_{t−1} W_hh + b_hh)" in interpret.reset_note(reset_after=True)
    assert "reset_after=True" in interpret.RESET_AFTER_NOTE
    assert set(interpret.CONVENTIONS) == {"update_gate", "reset_before", "reset_after"}
    assert all(len(note) < 400 for note in interpret.CONVENTIONS.values())  # short
