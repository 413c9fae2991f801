"""gru_core.interpret.quantities: every cell's quantities, read from a trace by name."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import interpret
from gru_core.models import MODEL_KINDS, make_model


def test_every_quantity_has_a_symbol_a_name_and_a_range():
    for table in (interpret.QUANTITY_SYMBOLS, interpret.QUANTITY_NAMES,
                  interpret.QUANTITY_RANGES):
        assert tuple(table) == interpret.QUANTITIES + interpret.LSTM_QUANTITIES
    assert set(interpret.GATES) < set(interpret.QUANTITIES)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_cells_trace_names_only_quantities_the_tables_know(kind, text_indices):
    trace = make_model(kind, 28, 4, seed=0).trace(text_indices.tolist())
    assert set(trace.quantities) <= set(interpret.QUANTITY_SYMBOLS)
    assert set(trace.gates) <= set(trace.quantities) and "hidden" in trace.quantities


def test_quantity_reads_the_trace_field_and_refuses_other_names(text_indices):
    trace = make_model("scratch", 28, 4, seed=0).trace(text_indices.tolist())
    assert interpret.quantity(trace, "reset_gate") is trace.reset_gate
    with pytest.raises(ValueError, match="quantity must be one of"):
        interpret.quantity(trace, "logits")
    lstm = make_model("lstm", 28, 4, seed=0).trace(text_indices.tolist())
    assert interpret.quantity(lstm, "forget_gate") is lstm.forget_gate
    with pytest.raises(ValueError, match="quantity must be one of input_gate, forget_gate"):
        interpret.quantity(lstm, "reset_gate")


def test_the_unbounded_memory_cell_is_scaled_to_its_values():
    assert interpret.quantity_range("forget_gate", np.zeros(3)) == (0.0, 1.0)
    assert interpret.quantity_range("memory", np.array([0.2, -2.5])) == (-2.5, 2.5)
    assert interpret.quantity_range("memory", np.array([0.2])) == (-1.0, 1.0)
