"""Start here: a first visit in three screens, on the live or shipped model's
real numbers — what Z and R do at one character, one unit worth a look, then
the live training. The screen is in the URL (``?tour=``); every screen links
to the page that shows it in full."""
import streamlit as st

from app_ui.display import presenting
from app_ui.live_view import live_view
from app_ui.probe import in_viewers_turn, probe_trace
from app_ui.runs import followed_run
from app_ui.sources import SOURCE_TITLES, SourceChoice, resolve_source
from app_ui.units import notable, step_link
from gru_core import figures, interpret
from gru_core.assets import default_model
from gru_core.interpret import DEFAULT_PROBE

SCREENS = ("One character, two gates", "One unit worth a look", "Watch it learn")
AT_CHAR = 8   # the space after "the time": a word ends, the state must decide what to keep


def screen() -> int:
    try:
        return min(max(int(st.query_params.get("tour", 1)), 1), len(SCREENS))
    except ValueError:
        return 1


def go(number: int) -> None:
    st.query_params["tour"] = str(number)


def buttons(number: int) -> None:
    back, _, forward = st.columns([1, 3, 1])
    back.button("Back", key="tour_back", icon=":material/arrow_back:", on_click=go,
                args=(number - 1,), disabled=number == 1, width="stretch")
    forward.button("Next", key="tour_next", icon=":material/arrow_forward:", type="primary",
                   on_click=go, args=(number + 1,), disabled=number == len(SCREENS),
                   width="stretch")


def the_unit(source, probe) -> tuple[int, str | None]:
    """The first unit worth a look (its sentence), else unit 0."""
    found, _ = notable(source, probe)
    if found.findings:
        return found.findings[0].unit, found.findings[0].sentence
    return 0, None


def two_gates(source, probe, trace, unit: int) -> None:
    t = min(AT_CHAR, len(probe.indices) - 1)
    details = interpret.step_details(source.model, trace, probe.indices, source.vocab, t, unit)
    z, r = details.update.value, details.reset.value
    st.markdown(f"A GRU reads text one character at a time and keeps a **state** H: "
                f"{source.model.num_hiddens} numbers between −1 and +1. Here it has read "
                f"“{probe.text[:t]}” and now reads **'{figures.display_char(details.char)}'**. "
                f"Look at unit {unit}:")
    st.html(figures.colored_text_html(probe.chars[:40], trace.hidden[:40, unit], "hidden",
                                      highlight=t, label=f"H[{unit}]"))
    left, right = st.columns(2)
    left.metric("Update gate Z", f"{z:.3f}",
                help="Z near 1 keeps the old state, Z near 0 writes the candidate.")
    right.metric("Reset gate R", f"{r:.3f}",
                 help="R near 0 hides the old state from the candidate.")
    st.markdown(
        f"- **Z = {z:.2f}**: the new state keeps {z:.0%} of the old one "
        f"({details.previous_hidden:+.3f}) and takes {1 - z:.0%} of the candidate "
        f"H̃ = {details.candidate.value:+.3f}, so H goes from "
        f"{details.previous_hidden:+.3f} to **{details.hidden:+.3f}**.\n"
        f"- **R = {r:.2f}**: when the candidate is formed, " + (
            f"this unit's recurrent sum counts {r:.0%} (nn.GRU scales it after the matmul)."
            if details.reset_after else
            f"this unit's old state counts {r:.0%} — in every unit's candidate, since d2l's "
            f"cell scales the old state before the matmul."))
    step_link(source, probe.text, t, unit)


def one_unit(source, probe, trace, unit: int, sentence: str | None) -> None:
    if sentence is None:
        st.info("This model has no unit that stands out yet (an untrained model has none). "
                "The book model has several: choose it on the Gates page.")
    else:
        st.markdown(f"Found in the data, not picked by hand: **{sentence}**.")
    st.html(figures.colored_text_html(probe.chars, trace.hidden[:, unit], "hidden",
                                      label=f"H[{unit}]"))
    st.caption("Blue: positive, red: negative. Every unit of the model is tested against "
               "spaces, vowels, the position in a word and its gates; the Gates page lists "
               "them all and shows every unit at once.")
    st.page_link("app_pages/gates.py", label=f"All units on the Gates page (unit {unit} open)",
                 icon=":material/grid_on:",
                 query_params={"unit": str(unit), "source": SOURCE_TITLES[source.origin]})


def watch(run) -> None:
    if run is not None:
        st.markdown(f"Run `{run.id}` is training: its perplexity (how many characters the "
                    f"model is still choosing between) falls as it learns.")
        live_view(run.id, panels=("curves",), present=presenting(), key="start_live")
    else:
        st.markdown("Train d2l's GRU yourself: the Train page starts the chapter's run (The "
                    "Time Machine, 256 units, 500 epochs) and shows its perplexity fall live, "
                    "its samples turn from noise into words, and its gates take shape. A "
                    "lecture hall watches the same run on their phones.")
    st.page_link("app_pages/train.py", label="Train a GRU", icon=":material/model_training:")
    st.page_link("app_pages/compare.py", label="…and compare it with PyTorch's nn.GRU",
                 icon=":material/compare:")


st.title("Start here")
number = screen()
st.caption(f"{number} of {len(SCREENS)} · {SCREENS[number - 1]}")
run = followed_run()
origin = "live" if run is not None and run.models else default_model("gates").key
source = resolve_source(SourceChoice(origin), run)


def draw_screen() -> None:
    result = probe_trace(source, DEFAULT_PROBE)
    if result is None:
        return
    probe, trace = result
    unit, sentence = the_unit(source, probe)
    st.subheader(SCREENS[number - 1])
    if number == 1:
        two_gates(source, probe, trace, unit)
    elif number == 2:
        one_unit(source, probe, trace, unit, sentence)
    else:
        watch(run)


in_viewers_turn(source, "This screen on the live model", draw_screen)
buttons(number)
