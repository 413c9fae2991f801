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


def test_intervention_measures_the_training_text_and_held_out_text(lively, vocab, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0), scale=0.4)
    training, heldout = text_indices[:40], text_indices[40:]
    clamp = interpret.make_clamp(9, "update_gate", 1.0)
    result = interpret.intervene(model, text_indices, vocab, clamp, heldout, k=3, num_chars=5,
                                 training_indices=training)
    assert result.baseline.training_perplexity == pytest.approx(
        interpret.perplexity(model, training))
    assert result.clamped.training_perplexity == pytest.approx(
        interpret.perplexity(model, training, clamp))
    assert result.clamped.heldout_perplexity == result.clamped.perplexity
    words = result.summary
    for value in (result.baseline.training_perplexity, result.clamped.training_perplexity,
                  result.baseline.perplexity, result.clamped.perplexity):
        assert f"{value:.3g}" in words  # built from the numbers
    assert words.startswith("Clamping Z to 1 ") and "training text" in words
    without = interpret.intervene(model, text_indices, vocab, clamp, heldout, k=3, num_chars=5)
    assert without.baseline.training_perplexity is None
    assert "training" not in without.summary and "held-out" in without.summary


def _result(train_before, train_after, held_before, held_after, clamp=None):
    def side(train, held):
        return interpret.ModelView(None, None, None, "", held, train)
    clamp = clamp or interpret.make_clamp(256, "update_gate", 1.0)
    return interpret.Intervention(clamp, side(train_before, held_before),
                                  side(train_after, held_after), vocab_size=28)


def test_the_sentence_says_which_text_got_better_in_both_directions():
    memoriser = interpret.summarise(_result(1.05, 19.9, 96.0, 19.9))
    assert memoriser == (
        "Clamping Z to 1 raises perplexity on the training text from 1.05 to 19.9 and lowers "
        "it on held-out text from 96 to 19.9: the model memorised its training text (1.05 "
        "there against 96 on held-out text, worse than a uniform guess over 28 characters); "
        "the clamp helps only where the model had nothing useful to say.")
    reverse = interpret.summarise(_result(5.0, 4.0, 6.0, 9.5, interpret.make_clamp(
        256, "reset_gate", 0.0, [3, 7])))
    assert reverse == ("Clamping R of units 3, 7 to 0 lowers perplexity on the training text "
                       "from 5 to 4 and raises it on held-out text from 6 to 9.5: the clamp "
                       "fits the training text better and held-out text worse.")
    both = interpret.summarise(_result(4.0, 8.0, 5.0, 12.0))
    assert "raises perplexity on the training text from 4 to 8 and raises it on held-out " \
           "text from 5 to 12: the model relies on this gate on both texts." in both
    assert "memorised" not in both
    unchanged = interpret.summarise(_result(4.0, 4.01, 5.0, 5.02))
    assert "leaves perplexity on the training text at 4 and leaves it on held-out text at 5" \
           in unchanged and "does not depend on this gate" in unchanged


def test_describe_clamp_names_gates_units_and_values():
    both = interpret.make_clamp(9, "update_gate", 0.5, [1]) | interpret.make_clamp(
        9, "reset_gate", 1.0)
    assert interpret.describe_clamp(both) == "Clamping Z of unit 1 to 0.5 and R to 1"


def test_comparison_texts_cut_training_and_held_out_stretches(time_machine):
    training, heldout = interpret.comparison_texts(time_machine, 500)
    assert training.tolist() == time_machine.indices[:500]
    assert heldout.tolist() == time_machine.heldout[:500]
    with pytest.raises(ValueError, match="no held-out text"):
        interpret.comparison_texts(time_machine.first(0))


def test_a_constant_quantity_is_explained_from_the_clamp(lively, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0))
    clamp = interpret.make_clamp(9, "update_gate", 1.0)
    frozen = model.trace(text_indices.tolist(), clamp=clamp)
    assert interpret.constant_note(frozen, "hidden", clamp) == (
        "H is constant (0.000) at every step and unit: Z = 1 froze the state at its initial value")
    assert interpret.constant_note(frozen, "update_gate", clamp).endswith("clamped to 1")
    assert interpret.constant_note(frozen, "reset_gate", clamp) is None  # R still moves
    assert interpret.constant_note(model.trace(text_indices.tolist()), "hidden") is None
