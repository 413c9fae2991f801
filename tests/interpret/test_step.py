"""gru_core.interpret.step: one step recomputed term by term reproduces the trace."""
from __future__ import annotations

import pytest

from gru_core import interpret
from gru_core.models import make_model


@pytest.mark.parametrize("kind", ["scratch", "scratch-reset-after", "scratch-fast", "concise"])
def test_step_details_reproduce_the_trace(kind, lively, letters, vocab, text_indices):
    model = lively(make_model(kind, 28, 10, seed=0), scale=0.5)
    trace = model.trace(text_indices.tolist())
    for position, unit in [(0, 0), (17, 3), (len(text_indices) - 1, 9)]:
        step = interpret.step_details(model, trace, text_indices, vocab, position, unit)
        assert step.max_abs_diff < 1e-5
        assert step.hidden == pytest.approx(float(trace.hidden[position, unit]), abs=1e-5)
        assert step.update.pre_activation == pytest.approx(
            step.update.input_term + step.update.hidden_term + step.update.bias)
        assert step.hidden == pytest.approx(step.kept_old + step.added_new)
        assert step.char == letters[text_indices[position] - 1]
        if step.reset_after:
            assert step.candidate.recurrent_term == pytest.approx(
                step.reset.value * step.candidate.recurrent_unreset)
        else:
            assert step.candidate.hidden_bias is None
    assert abs(step.update.value - 0.5) > 0.01  # lively weights: not the trivial 0.5 gate


def test_step_details_follow_a_clamp(lively, vocab, text_indices):
    model = lively(make_model("scratch", 28, 6, seed=0))
    clamp = interpret.make_clamp(6, "update_gate", 1.0, [2])
    trace = model.trace(text_indices.tolist(), clamp=clamp)
    step = interpret.step_details(model, trace, text_indices, vocab, 9, 2, clamp)
    assert step.update.clamped and step.update.value == 1.0 and step.update.sigmoid < 1.0
    assert step.hidden == step.previous_hidden and step.max_abs_diff < 1e-6
    with pytest.raises(ValueError, match="unit must be in"):
        interpret.step_details(model, trace, text_indices, vocab, 9, 6)
