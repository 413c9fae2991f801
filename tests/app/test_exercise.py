"""The best-gates exercise: forced gates per step, the output's dependence on
each input drawn as bars (an exact zero reads 0), d2l's answer verified, a
wrong schedule flagged with the input that leaks, and the reveal."""
from __future__ import annotations

from .common import assert_clean, figures_by_title, new_app, start_tiny_run, texts

EXERCISE = "app_pages/exercise.py"
YOURS = "What the output O_7 depends on"


def open_exercise():
    at = new_app().run()
    at.switch_page(EXERCISE).run()
    assert_clean(at)
    return at


def bar_texts(at, title: str = YOURS) -> list[str]:
    bars, = figures_by_title(at)[title]["data"][:1]
    return list(bars["text"])


def test_the_exercise_starts_unforced_on_the_pretrained_gru(registry):
    at = open_exercise()
    assert "the pretrained GRU shipped with the app (256 hiddens" in texts(at.info)
    assert at.text_input(key="ex_text").value == "the time"
    assert (at.number_input(key="ex_source").value, at.number_input(key="ex_t").value) == (2, 7)
    assert all(at.selectbox(key=f"ex_{gate}_{s}").value == "own"
               for gate in "zr" for s in range(8))
    assert "0" not in bar_texts(at)  # unforced, every input reaches the output
    assert "Not yet: at step 7, 7 other inputs leak in" in texts(at.error)
    assert not registry.list_runs()


def test_d2ls_answer_leaves_exactly_zero_dependence_on_every_other_input(registry):
    at = open_exercise()
    at.selectbox(key="ex_preset").set_value("d2l's answer").run()
    assert_clean(at)
    assert [at.selectbox(key=f"ex_z_{s}").value for s in range(8)] == (
        ["own"] * 2 + ["0"] + ["1"] * 5)
    assert at.selectbox(key="ex_r_2").value == "0"
    shown = bar_texts(at)
    assert [label for s, label in enumerate(shown) if s != 2] == ["0"] * 7  # 0, not 1e-9
    assert shown[2] != "0" and float(shown[2]) > 0
    assert "Only x_2 reaches the output at step 7" in texts(at.success)
    assert "exactly 0.0 on each of the other 7 inputs" in texts(at.success)
    assert not at.error


def test_a_wrong_schedule_is_flagged_with_the_input_that_leaks(registry):
    at = open_exercise()
    at.selectbox(key="ex_preset").set_value("d2l's answer").run()
    at.selectbox(key="ex_z_5").set_value("own").run()  # step 5 may now write
    assert_clean(at)
    assert "Not yet: at step 7, 1 other input leaks in (x_5; x_5 the most" in texts(at.error)
    shown = bar_texts(at)
    assert shown[5] != "0" and shown[3] == shown[4] == shown[6] == shown[7] == "0"

    at.selectbox(key="ex_preset").set_value("write at t′ only (Z = 0), then keep").run()
    assert "x_0 the most" in texts(at.error)  # without R = 0 the old state leaks through


def test_the_reveal_explains_and_verifies_the_answer(registry):
    at = open_exercise()
    assert "d2l's answer" not in [h.value for h in at.subheader]
    at.button(key="ex_reveal").click().run()
    assert_clean(at)
    explained = texts(at.markdown)
    assert "Step 2 (t′): R = 0" in explained and "Steps 3–7: Z = 1" in explained
    answer = bar_texts(at, "Answer: what O_7 depends on")
    assert answer.count("0") == 7
    assert "Only x_2 reaches the output at step 7" in texts(at.success)
    at.button(key="ex_use_answer").click().run()
    assert at.selectbox(key="ex_z_7").value == "1" and at.selectbox(key="ex_r_2").value == "0"
    assert "Only x_2 reaches" in texts(at.success).split("\n")[0]


def test_positions_follow_the_text_and_t_before_t_prime_is_refused(registry):
    at = open_exercise()
    at.text_input(key="ex_text").set_value("abc").run()
    assert_clean(at)
    assert at.number_input(key="ex_t").value == 2
    at.number_input(key="ex_source").set_value(2).run()
    at.number_input(key="ex_t").set_value(1).run()
    assert "comes after t" in texts(at.warning)


def test_the_live_runs_gru_can_be_the_model(registry):
    at, run = start_tiny_run(registry)
    at.button(key="stop").click().run()
    at.switch_page(EXERCISE).run()
    at.segmented_control(key="ex_model").set_value("live").run()
    assert_clean(at)
    assert f"the GRU of run `{run.id}` as it is now" in texts(at.info)
    assert figures_by_title(at)[YOURS]
