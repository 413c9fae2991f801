"""gru_core.models.cell and the per-step schedule: what every cell shares."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core.models import (NO_CLAMP, CELL_CLASSES, Clamp, GateClamp, ScratchCell, StepSchedule,
                             make_model)

from .common import VOCAB, lively


@pytest.mark.parametrize("kind", ["rnn", "reset-only", "update-only", "lstm"])
def test_every_scratch_cell_answers_the_protocol(kind):
    model = lively(make_model(kind, VOCAB, 5, seed=0))
    assert isinstance(model, ScratchCell) and model.KIND == kind
    assert [n for n, _ in model.named_parameters()] == list(type(model).param_names())
    state = model.begin_state(3)
    assert len(state) == len(model.STATE) and all(s.shape == (3, 5) for s in state)
    X = torch.eye(VOCAB)[:3]
    values, new_state = model.step(X, state)
    assert set(values) == set(model.QUANTITIES) and set(model.GATES) <= set(model.QUANTITIES)
    assert all(torch.equal(values[name], s) for name, s in zip(model.STATE, new_state))
    trace = model.trace([])
    assert all(values.shape == (0, 5) for values in trace.quantities.values())
    assert trace.logits.shape == (0, VOCAB)


def test_cell_classes_are_registered_as_their_kind():
    assert {kind: cls.KIND for kind, cls in CELL_CLASSES.items() if hasattr(cls, "KIND")} == {
        "rnn": "rnn", "reset-only": "reset-only", "update-only": "update-only", "lstm": "lstm"}


def test_a_step_schedule_gives_one_clamp_per_step():
    schedule = StepSchedule(update_gate=(None, 1.0, 0.0), reset_gate=(0.0,))
    assert len(schedule) == 3 and bool(schedule) and not StepSchedule()
    assert schedule.at(0) == Clamp(reset_gate=GateClamp(None, 0.0))
    assert schedule.at(1) == Clamp(update_gate=GateClamp(None, 1.0))
    assert schedule.at(5) is NO_CLAMP
    assert set(schedule.gates()) == {"update_gate", "reset_gate"}
    clamp = Clamp(update_gate=GateClamp(None, 1.0))
    assert clamp.at(7) is clamp  # a clamp holds at every step
    with pytest.raises(ValueError, match=r"every reset_gate value must be in \[0, 1\]"):
        StepSchedule(reset_gate=(0.5, 1.5))


def test_the_gru_trace_follows_a_schedule_step_by_step():
    model = lively(make_model("scratch", VOCAB, 6, seed=1))
    schedule = StepSchedule(update_gate=(None, 1.0, None, 0.0), reset_gate=(0.0, None))
    free, forced = model.trace([1, 2, 3, 4, 5]), model.trace([1, 2, 3, 4, 5], clamp=schedule)
    assert (forced.reset_gate[0] == 0.0).all() and (forced.update_gate[1] == 1.0).all()
    assert (forced.update_gate[3] == 0.0).all()
    assert np.array_equal(forced.hidden[1], forced.hidden[0])  # Z = 1 keeps the state exactly
    assert not np.allclose(free.hidden, forced.hidden)
    with pytest.raises(ValueError, match="the lstm cell has no update_gate, reset_gate to clamp"):
        make_model("lstm", VOCAB, 4).trace([1, 2], clamp=schedule)
