"""gru_core.interpret.best_gates: the chapter's exercise. With d2l's answer the
output at t depends on x_t' alone, exactly (0.0 on every other input)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import StepSchedule, make_model

STEPS = [(0, 0), (0, 12), (5, 20), (19, 20), (20, 20)]


@pytest.fixture(params=["scratch", "scratch-reset-after", "concise"])
def gru(request, lively):
    return lively(make_model(request.param, 28, 12, seed=0), scale=0.6)


@pytest.mark.parametrize("source,target", STEPS)
@pytest.mark.parametrize("dont_care", [None, 0.0, 0.3, 1.0])
def test_the_answer_leaves_zero_dependence_on_every_other_input(gru, text_indices, source,
                                                                 target, dont_care):
    schedule = interpret.d2l_answer(source, target, dont_care)
    check = interpret.check_schedule(gru, text_indices, source, target, schedule)
    dependence = check.result.dependence
    assert dependence.shape == (target + 1,) and dependence.dtype == np.float64
    others = np.delete(dependence, source)
    assert np.all(others == 0.0)            # exactly, not approximately
    assert dependence[source] > 1e-3
    assert check.passed and len(check.leaks) == 0
    assert check.result.depends_on.tolist() == [source]
    assert check.result.share[source] == 1.0


def test_the_answer_holds_for_d2ls_untrained_weights(text_indices):
    check = interpret.check_schedule(make_model("scratch", 28, 32, seed=0), text_indices, 3, 30)
    assert check.passed and check.result.dependence[3] > 0


@pytest.mark.parametrize("name", interpret.PRESETS[1:])
def test_every_other_preset_is_wrong(gru, text_indices, name):
    schedule = interpret.preset_schedule(name, 5, 20)
    check = interpret.check_schedule(gru, text_indices, 5, 20, schedule)
    assert not check.passed
    assert check.describe().startswith("Not yet: at step 20, ")


def test_one_wrong_step_lets_exactly_that_input_in(gru, text_indices):
    answer = interpret.d2l_answer(5, 20)
    update = list(answer.update_gate)
    update[12] = 0.9                       # the state is no longer kept whole at step 12
    check = interpret.check_schedule(gru, text_indices, 5, 20, StepSchedule(tuple(update),
                                                                             answer.reset_gate))
    assert check.leaks.tolist() == [12] and check.uses_source and not check.passed
    assert "1 other input leaks in (x_12" in check.describe()
    reset = list(answer.reset_gate)
    reset[5] = 0.5                         # the candidate at t' reads the old state too
    leaky = interpret.check_schedule(gru, text_indices, 5, 20,
                                     StepSchedule(answer.update_gate, tuple(reset)))
    assert leaky.leaks.tolist() == [0, 1, 2, 3, 4]


def test_dependence_is_the_norm_of_the_jacobian_of_the_logits(text_indices, lively):
    model = lively(make_model("scratch", 28, 6, seed=1), scale=0.6)
    target = 9
    result = interpret.gate_dependence(model, text_indices, target)
    inputs = torch.nn.functional.one_hot(torch.as_tensor(text_indices[:target + 1]), 28).float()

    def logits(x):
        H, = model.begin_state(1)
        for t in range(target + 1):
            _, _, _, H = model.cell(x[t][None, :], H)
        return model.output(H)[0]
    jacobian = torch.autograd.functional.jacobian(logits, inputs)       # (V, T, V)
    expected = jacobian.double().pow(2).sum(dim=(0, 2)).sqrt().numpy()
    np.testing.assert_allclose(result.dependence, expected, rtol=1e-5)
    assert (result.dependence > 0).all()  # no forcing: every input counts


def test_the_trace_shows_the_forced_gates_and_sentences_say_what_happened(text_indices):
    model = make_model("scratch", 28, 8, seed=0)
    check = interpret.check_schedule(model, text_indices, 4, 10)
    trace = check.result.trace
    assert (trace.update_gate[4] == 0.0).all() and (trace.reset_gate[4] == 0.0).all()
    assert (trace.update_gate[5:] == 1.0).all() and trace.hidden.shape == (11, 8)
    np.testing.assert_array_equal(trace.hidden[10], trace.hidden[4])  # kept exactly
    assert check.describe().startswith("Only x_4 reaches the output at step 10")
    assert "exactly 0.0 on each of the other 10 inputs" in check.describe()
    assert check.result.describe() == ("The output at step 10 depends on 1 of the 11 inputs "
                                       "(x_4); x_4 has the largest share (100%), and it is "
                                       "exactly independent of the other 10.")
    lines = interpret.explain_answer(4, 10)
    assert len(lines) == 3 and "Steps 0–3" in lines[0] and "R = 0" in lines[1]
    assert len(interpret.explain_answer(0, 0)) == 1


def test_sentences_count_the_other_inputs_in_words(text_indices):
    model = make_model("scratch", 28, 8, seed=0)
    alone = interpret.check_schedule(model, text_indices, 0, 0)
    assert alone.passed and alone.describe().endswith("; there is no other input yet.")
    assert alone.result.describe() == "The output at step 0 depends on its only input, x_0."
    assert "on the other input." in interpret.check_schedule(model, text_indices, 1, 1).describe()
    free = interpret.gate_dependence(model, text_indices, 3)      # nothing forced
    assert free.describe().startswith("The output at step 3 depends on all 4 inputs; x_")


def test_bad_requests_are_refused(text_indices):
    with pytest.raises(ValueError, match="0 <= t′ <= t"):
        interpret.d2l_answer(5, 3)
    with pytest.raises(ValueError, match="schedule must be one of"):
        interpret.preset_schedule("guess", 1, 2)
    with pytest.raises(TypeError, match="reads the GRU's update and reset gates"):
        interpret.gate_dependence(make_model("lstm", 28, 4), text_indices, 5)
    with pytest.raises(ValueError, match="target must be in"):
        interpret.check_schedule(make_model("scratch", 28, 4), text_indices[:5], 1, 9)
