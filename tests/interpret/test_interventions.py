"""gru_core.interpret.interventions: clamps do what the equations say, side by side."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import interpret
from gru_core.models import Clamp, GateClamp, make_model


def test_update_gate_clamped_to_one_freezes_the_state_exactly(lively, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0))
    start = np.random.default_rng(0).uniform(-0.9, 0.9, 9).astype(np.float32)
    frozen = model.trace(text_indices.tolist(), start, interpret.make_clamp(9, "update_gate", 1.0))
    assert np.array_equal(frozen.hidden, np.tile(start, (len(text_indices), 1)))


@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_update_gate_clamped_to_zero_leaves_only_the_candidate(kind, lively, text_indices):
    model = lively(make_model(kind, 28, 9, seed=0))
    trace = model.trace(text_indices.tolist(), clamp=interpret.make_clamp(9, "update_gate", 0.0))
    assert np.array_equal(trace.hidden, trace.candidate)
    unclamped = model.trace(text_indices.tolist())
    assert not np.allclose(unclamped.hidden, unclamped.candidate)


def test_intervention_compares_clamped_and_unclamped_models(lively, vocab, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0), scale=0.4)
    heldout = text_indices[::-1]
    result = interpret.intervene(model, text_indices, vocab,
                                 interpret.make_clamp(9, "update_gate", 1.0), heldout,
                                 k=3, num_chars=12)
    assert result.baseline.perplexity == pytest.approx(interpret.perplexity(model, heldout))
    # Z = 1 everywhere: the state never leaves 0, so every prediction is the same
    clamped = result.clamped
    assert np.all(clamped.trace.hidden == 0)
    assert all(row == clamped.top_k.chars[0] for row in clamped.top_k.chars)
    assert clamped.sample == clamped.sample[0] * 12
    assert clamped.perplexity != pytest.approx(result.baseline.perplexity)
    assert result.baseline.next_log_probs.shape == (len(text_indices) - 1,)


def test_make_clamp_builds_a_typed_clamp_that_combines():
    reset = interpret.make_clamp(9, "reset_gate", 0, [4, 2, 4])
    assert reset == Clamp(reset_gate=GateClamp((2, 4), 0.0))
    both = interpret.make_clamp(9, "update_gate", 1.0) | reset
    assert both.gates() == {"update_gate": GateClamp(None, 1.0), "reset_gate": reset.reset_gate}


def test_intervention_needs_a_clamp(lively, vocab, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0))
    with pytest.raises(ValueError, match="clamp must name"):
        interpret.intervene(model, text_indices, vocab, Clamp(), text_indices)
    with pytest.raises(TypeError, match="make_clamp"):
        interpret.intervene(model, text_indices, vocab, {"update_gate": (None, 1.0)},
                            text_indices)


@pytest.mark.parametrize("arguments, message", [
    (("forget_gate", 1.0, None), "gate must be one of"),
    (("update_gate", 1.5, None), r"in \[0, 1\]"),
    (("reset_gate", 0.0, []), "at least one unit"),
    (("reset_gate", 0.0, [9]), r"units must be in \[0, 8\]")])
def test_bad_clamps_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        interpret.make_clamp(9, *arguments)
