"""gru_core.interpret.quantities: the four quantities, read from a trace by name."""
from __future__ import annotations

import pytest

from gru_core import interpret
from gru_core.models import make_model


def test_every_quantity_has_a_symbol_a_name_and_a_range():
    for table in (interpret.QUANTITY_SYMBOLS, interpret.QUANTITY_NAMES,
                  interpret.QUANTITY_RANGES):
        assert tuple(table) == interpret.QUANTITIES
    assert set(interpret.GATES) < set(interpret.QUANTITIES)


def test_quantity_reads_the_trace_field_and_refuses_other_names(text_indices):
    trace = make_model("scratch", 28, 4, seed=0).trace(text_indices.tolist())
    assert interpret.quantity(trace, "reset_gate") is trace.reset_gate
    with pytest.raises(ValueError, match="quantity must be one of"):
        interpret.quantity(trace, "logits")
