"""Exercise: the best gate values (d2l, GRU, exercise 1). The student forces
the update gate Z and the reset gate R step by step over a short text (or
starts from a schedule), sees on which inputs the output at step t then
depends, and can reveal d2l's answer, verified numerically: exactly zero
dependence on every input but x_t′."""
import streamlit as st

from app_ui import runs
from app_ui.checkpoints import pretrained_checkpoint
from app_ui.corpora import default_corpus
from app_ui.display import presenting, show_chart
from app_ui.probe import encode
from app_ui.sources import fresh_model, live_snapshot, live_version
from gru_core import figures, interpret
from gru_core.config import D2L
from gru_core.figures import display_char
from gru_core.interpret import PRESETS, cell_name
from gru_core.models import StepSchedule

QUESTION = ("Assume that we only want to use the input at time step t′ to predict the output "
            "at time step t > t′. What are the best values for the reset and update gates for "
            "each time step?")
OWN = "own"   # the cell's own value: not forced
STEP_WIDTH = 96   # pixels: one step's two boxes (several fit a phone's width)
CHOICES = (OWN, "0", "0.25", "0.5", "0.75", "1")
DEFAULT_TEXT, MAX_CHARS = "the time", 10
MODEL_TITLES = {"pretrained": "Pretrained GRU (shipped)", "live": "The live run's GRU",
                "fresh": "Fresh GRU (untrained)"}
GRU_NETWORKS = ("scratch", "concise")
REVEALED = "ex_revealed"   # session_state: the answer is shown


def model_choice(run):
    """(model, vocab, what it is) for the model the student picks."""
    pretrained, problem = pretrained_checkpoint()
    networks = [n for n in (run.models if run is not None else ()) if n in GRU_NETWORKS]
    options = (["pretrained"] if pretrained is not None else []) + (
        ["live"] if networks else []) + ["fresh"]
    origin = st.segmented_control("Model", options, default=options[0], required=True,
                                  format_func=MODEL_TITLES.get, key="ex_model")
    if origin == "pretrained":
        epochs = pretrained.history.epochs
        return pretrained.model, pretrained.vocab, (
            f"the pretrained GRU shipped with the app ({pretrained.model.num_hiddens} hiddens, "
            f"{len(epochs)} epochs on {pretrained.corpus_name}, training perplexity "
            f"{epochs[-1]['perplexity']:.2f})")
    if origin == "live":
        network = networks[0]
        return (live_snapshot(run.id, network, live_version(run)), run.corpus.vocab,
                f"the {cell_name(network)} of run `{run.id}` as it is now (epoch {run.epoch})")
    if problem:
        st.caption(f"The shipped pretrained model could not be loaded: {problem}")
    vocab = default_corpus().vocab
    return (fresh_model(tuple(vocab.idx_to_token), D2L.num_hiddens, D2L.seed), vocab,
            f"a fresh, untrained GRU ({D2L.num_hiddens} hiddens, seed {D2L.seed}): its "
            f"dependences mean little until it has trained")


def gate_value(choice: str) -> float | None:
    return None if choice == OWN else float(choice)


def choice_of(value: float | None) -> str:
    return OWN if value is None else f"{value:g}"


def fill(schedule: StepSchedule, target: int) -> None:
    """Write a schedule into the per-step boxes (a callback: before they are drawn)."""
    for s in range(target + 1):
        for gate, values in (("z", schedule.update_gate), ("r", schedule.reset_gate)):
            st.session_state[f"ex_{gate}_{s}"] = choice_of(values[s] if s < len(values)
                                                           else None)


def apply_preset() -> None:
    source, target = st.session_state.get("ex_source", 0), st.session_state.get("ex_t", 0)
    if source <= target:
        fill(interpret.preset_schedule(st.session_state["ex_preset"], source, target), target)


def clamp_position(key: str, last: int, default: int) -> None:
    """Keep a position valid when the text gets shorter."""
    if st.session_state.get(key, default) > last:
        st.session_state[key] = last


def positions(length: int) -> tuple[int, int]:
    last = length - 1
    clamp_position("ex_t", last, last)
    clamp_position("ex_source", last, min(2, last - 1))
    left, right = st.columns(2)
    source = int(left.number_input("t′: the one input to use", 0, last, min(2, last - 1),
                                   key="ex_source", on_change=apply_preset))
    target = int(right.number_input("t: the output to predict", 0, last, last, key="ex_t",
                                    on_change=apply_preset))
    return source, target


def schedule_boxes(chars: list[str], target: int) -> StepSchedule:
    """One small box per step: its character, then Z and R ("own": the
    cell's own value); the boxes wrap onto more rows on a narrow screen."""
    update, reset = [], []
    with st.container(horizontal=True, gap="small"):
        for s in range(target + 1):
            with st.container(width=STEP_WIDTH, gap="small"):
                st.markdown(f"**x_{s}** `{display_char(chars[s])}`")
                update.append(gate_value(st.selectbox(f"Z_{s}", CHOICES, key=f"ex_z_{s}")))
                reset.append(gate_value(st.selectbox(f"R_{s}", CHOICES, key=f"ex_r_{s}")))
    return StepSchedule(tuple(update), tuple(reset))


def result(model, probe, source: int, target: int, schedule: StepSchedule | None,
           key: str, title: str | None = None) -> None:
    """The dependence bars, the sentence under them and the verdict."""
    check = interpret.check_schedule(model, probe.indices, source, target, schedule)
    show_chart(figures.dependence_bars(probe.chars, check.result, source, title), key=key)
    st.markdown(check.result.describe())
    (st.success if check.passed else st.error)(check.describe())
    if not presenting():
        with st.expander("The gates the cell ran with"):
            show_chart(figures.gate_panels(check.result.trace, probe.chars[:target + 1],
                                           title="Forced gates and the states they give"),
                       key=f"{key}_gates")


def reveal(model, probe, source: int, target: int) -> None:
    if st.button("Reveal the answer", key="ex_reveal", icon=":material/visibility:"):
        st.session_state[REVEALED] = True
    if not st.session_state.get(REVEALED):
        return
    st.subheader("d2l's answer")
    st.markdown("\n".join(f"- {line}" for line in interpret.explain_answer(source, target)))
    result(model, probe, source, target, None, "ex_answer",
           title=f"Answer: what O_{target} depends on")
    st.button("Put the answer in the boxes", key="ex_use_answer", on_click=fill,
              args=(interpret.d2l_answer(source, target), target))


st.title("Exercise: the best gate values")
st.markdown(f"> {QUESTION}\n>\n> — d2l, *Gated Recurrent Units*, exercise 1")
st.caption("Force the gates step by step (on every unit) and see which inputs the output O_t "
           "at step t still depends on: the norm of the gradient of its logits with respect "
           "to each input x_s. An input with no path left shows exactly 0.")
model, vocab, what = model_choice(runs.followed_run())
st.info(f"Measured on {what}.", icon=":material/memory:")
text = st.text_input("A short text (2 to 10 characters)", value=DEFAULT_TEXT, key="ex_text",
                     max_chars=MAX_CHARS)
probe = encode(text, vocab) if len(text) >= 2 else None
if probe is None:
    st.info("Type at least two characters: one input to keep, and a later output.")
    st.stop()
source, target = positions(len(probe.chars))
if source > target:
    st.warning(f"t′ ({source}) comes after t ({target}): the output cannot use a later input.")
    st.stop()
st.subheader("Your gates, step by step")
st.selectbox("Start from a schedule", PRESETS, index=1, key="ex_preset", on_change=apply_preset,
             help="Fills the boxes below; then change any step.")
st.caption("Z and R at each step, on every unit; *own* leaves the gate to the cell.")
schedule = schedule_boxes(probe.chars, target)
st.subheader("What your gates do")
result(model, probe, source, target, schedule, "ex_yours")
reveal(model, probe, source, target)
