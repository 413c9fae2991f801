"""Lab: the chapter's exercises on the student's own run. The cells d2l
compares (its GRU, nn.GRU, the plain RNN, the GRU with only a reset or only an
update gate, the LSTM, nn.LSTM) train side by side on identical batches from
one start; the live view draws their curves, and the page says what the
numbers show when it runs: perplexity, speed, how far back each cell looks,
every cell's gates, and same-start restarts overlaid. No timer reruns the page."""
import pandas as pd
import streamlit as st

from app_ui import lab, runs
from app_ui.budget import Busy, for_viewers
from app_ui.corpora import default_corpus, describe_corpus, library_corpus
from app_ui.display import presenting, show_chart
from app_ui.lecture import is_presenter, lecture_mode
from app_ui.live_view import live_view
from app_ui.probe import encode, probe_text
from gru_core import figures, interpret
from gru_core.config import TrainConfig
from gru_core.data import CORPUS_SOURCES
from gru_core.figures.curves import BELOW_LEGEND, LEGEND_MARGIN
from gru_core.interpret import cell_name
from gru_core.runs import CELL_NETWORKS, run_labels


def setup(run) -> None:
    """Cells + corpus + settings + Start; locked while this session's run is active."""
    busy = runs.is_active(run)
    with st.expander("Set up a lab run", expanded=not busy):
        if busy:
            st.caption("Stop the current run to set up a new one.")
        cells = lab.cell_picker(busy)
        source = st.radio("Corpus", list(CORPUS_SOURCES), format_func=CORPUS_SOURCES.get,
                          key="lab_corpus", horizontal=True, disabled=busy)
        values = lab.lab_settings(busy)
        corpus, problem = library_corpus(source, values["max_tokens"])
        if problem:
            st.error(f"{CORPUS_SOURCES[source]} is not available: {problem}")
        else:
            st.caption(describe_corpus(corpus))
        if st.button("Train these cells side by side", type="primary", key="lab_start",
                     icon=":material/play_arrow:", disabled=busy or not cells or corpus is None):
            lab.start_cells(TrainConfig(**values), corpus, cells)


def controls(run) -> None:
    """Pause/Resume and Stop for the run's owner; who else is watching, read-only."""
    if not runs.is_owner(run):
        who = "the presenter" if lecture_mode() else "its owner"
        st.info(f"You are watching run `{run.id}` read-only; only {who} can pause or stop it.",
                icon=":material/visibility:")
        return
    allowed = set(run.allowed_commands())
    left, middle, right = st.columns([1, 1, 3], vertical_alignment="bottom")
    toggle = runs.RESUME if runs.RESUME.name in allowed else runs.PAUSE
    runs.command_button(left, run, allowed, toggle)
    runs.command_button(middle, run, allowed, runs.STOP)
    if not runs.is_active(run) and right.button("New lab run", key="lab_new",
                                                icon=":material/add:"):
        runs.unfollow()
        st.rerun()


def live_run(run) -> None:
    """The run's controls, where it started from, and its live curves."""
    controls(run)
    if run.same_start is not None:
        start = run.same_start.note or "the very initial weights of that run"
        st.info(f"Restarted from run `{run.same_start.parent_id}` with **{run.difference}**: "
                f"{start}", icon=":material/restart_alt:")
    live_view(run.id, panels=("curves",), present=presenting(),
              rerun_on_state=runs.is_owner(run), key="lab_live")


def latest_epochs(run) -> tuple[int, list[dict]]:
    """The last epoch every network has finished, and the records up to it."""
    records = runs.records(run).epochs
    last = {}
    for record in records:
        last[record["model"]] = record["epoch"]
    if set(last) != set(run.models):
        return 0, []
    epoch = min(last.values())
    return epoch, [record for record in records if record["epoch"] <= epoch]


def numbers(run) -> None:
    """The sentences under the live curves, computed from the records now."""
    st.subheader("What the numbers show")
    epoch, records = latest_epochs(run)
    if not records:
        st.caption("No epoch has finished yet; press *Update the numbers* after the first.")
    else:
        vocab = len(run.corpus.vocab)
        held = [record for record in records if record.get("heldout_perplexity") is not None]
        st.markdown(interpret.describe_perplexity(
            interpret.latest_by_network(records, "perplexity"), "training", epoch, vocab))
        if held:
            st.markdown(interpret.describe_perplexity(
                interpret.latest_by_network(held, "heldout_perplexity"), "held-out", epoch))
        st.markdown(interpret.describe_speed(
            interpret.latest_by_network(records, "tokens_per_second")))
        per_cell_table(run, records)
    st.button("Update the numbers", key="lab_numbers", icon=":material/refresh:",
              help="The curves above are live; these sentences and the table are computed "
                   "when the page runs.")


def per_cell_table(run, records: list[dict]) -> None:
    samples = runs.records(run).latest_samples()
    rows = []
    for network in run.models:
        mine = [record for record in records if record["model"] == network]
        last = mine[-1]
        held = [r["heldout_perplexity"] for r in mine if r.get("heldout_perplexity") is not None]
        rows.append({"cell": cell_name(network), "epoch": last["epoch"],
                     "training perplexity": round(last["perplexity"], 2),
                     "held-out perplexity": round(held[-1], 2) if held else None,
                     "tokens/s": round(last["tokens_per_second"]),
                     "latest sample": samples.get(network, {}).get("text", "none yet")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="lab_table")


def memory_reach(run) -> None:
    st.subheader("Memory reach: how far back each cell looks")
    st.button("Recompute from the current weights" if lab.reach_shown(run)
              else "Measure the memory reach", key="lab_reach", icon=":material/straighten:",
              on_click=lab.ask_for_reach, args=(run.id,))
    try:
        view = lab.memory_reaches(run)
    except Busy as exc:
        st.info(str(exc), icon=":material/hourglass_top:")
        return
    if view is None:
        st.caption("For each cell: how much each of the last 40 characters moves its "
                   "prediction (the saliency), from its weights as they are when you press "
                   "the button.")
        return
    figure = figures.memory_reach_figure({cell_name(n): reach for n, reach in view.reaches.items()})
    figure.update_layout(legend=BELOW_LEGEND, margin=LEGEND_MARGIN, height=520,  # phones too
                         xaxis_title_text="characters back")
    show_chart(figure, key="lab_reach_chart")
    st.markdown(interpret.describe_reach(view.reaches))
    st.caption(f"1 character back is the one just read. Measured on {view.text}, from the "
               f"weights after epoch {view.epoch} "
               f"(batch {view.batch}); press the button again to measure them as they are now.")


def gates(run) -> None:
    """Any cell's gates and states in the Gates page's heatmaps."""
    st.subheader("The gates of every cell")
    options = list(run.models) if run is not None else list(CELL_NETWORKS)
    if st.session_state.get("lab_gate_cell") not in options:
        st.session_state.pop("lab_gate_cell", None)
    default = "lstm" if "lstm" in options else options[0]
    network = st.segmented_control("Cell", options, default=default, required=True,
                                   format_func=cell_name, key="lab_gate_cell")
    text = probe_text(key="lab_probe")
    vocab = run.corpus.vocab if run is not None else default_corpus().vocab
    probe = encode(text, vocab) if text is not None else None
    if probe is None:
        return
    model, key, what = lab.cell_model(run, network, vocab)
    try:
        trace = lab.cell_trace(model, key, probe.indices, for_viewers(run))
    except Busy as exc:
        st.info(str(exc), icon=":material/hourglass_top:")
        return
    shown = ", ".join(interpret.QUANTITY_NAMES[q] for q in trace.quantities)
    gated = "" if len(trace.quantities) > 1 else " It has no gates: only its state."
    st.caption(f"{what[:1].upper()}{what[1:]} reading your text: {shown}.{gated}")
    show_chart(figures.gate_panels(trace, probe.chars, unknown_positions=probe.unknown_positions,
                                   title=f"{cell_name(network)}: gates and states"),
               key="lab_gates")


def restarts(run) -> None:
    st.subheader("Restart from the same initial weights")
    st.caption("A new run of the same cells from this run's very initial weights (and the same "
               "batches), with one setting changed: what differs in the curves is that setting.")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    with left:
        field = st.segmented_control("Change", list(lab.RESTART_CHANGES), default="lr",
                                     required=True, format_func=lab.RESTART_CHANGES.get,
                                     key="lab_change")
    current = getattr(run.config, field)
    with right:
        if field == "use_random_iter":
            value = not current
            st.markdown(f"Sampling: {'random' if current else 'sequential'} → "
                        f"**{'random' if value else 'sequential'}**")
        else:
            halved = max(current // 2, 1) if isinstance(current, int) else current / 2
            value = lab.number_setting(field, False, key=f"lab_restart_{field}", value=halved,
                                       bind=False)
    if st.button("Restart from the same initial weights", key="lab_restart",
                 icon=":material/restart_alt:", disabled=value == current):
        lab.restart(run, field, value)


def session_list(run) -> None:
    """This browser's runs (they survive a reload: the registry keeps them by owner)."""
    mine = lab.session_runs()
    if not mine:
        return
    st.subheader(f"Your runs ({len(mine)})")
    for line in lab.families(mine):
        labels = run_labels(line)
        for member in line:
            text, button = st.columns([5, 1], vertical_alignment="center")
            cells = ", ".join(cell_name(n) for n in member.models)
            text.markdown(f"`{member.id}` · **{labels[member.id]}** · {cells} · "
                          f"{member.state.value}, epoch {member.epoch}")
            if run is None or member.id != run.id:
                button.button("Show", key=f"lab_show_{member.id}", on_click=lab.show_run,
                              args=(member.id,))


def overlay(run, mine) -> None:
    line = lab.family_of(run, mine)
    if len(line) < 2:
        st.caption("Restart this run with a setting changed to lay the runs' curves over "
                   "each other here.")
        return
    st.subheader("Same start, one change: the runs overlaid")
    labels = run_labels(line)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        network = st.segmented_control("Cell", list(run.models), default=next(iter(run.models)),
                                       required=True, format_func=cell_name,
                                       key="lab_overlay_cell")
    right.button("Refresh", key="lab_overlay_refresh", icon=":material/refresh:")
    histories = {labels[member.id]: runs.records(member).epochs_of(network)
                 for member in line if network in member.models}
    figure = figures.epoch_curves(histories, "perplexity", log_y=True)
    figure.update_layout(title={"text": f"{cell_name(network)}: perplexity, run by run"},
                         uirevision="lab-overlay", height=500, legend_y=-0.3, margin_b=160)
    figure.update_traces(mode="lines+markers", marker_size=6)  # a run's first epoch shows too
    show_chart(figure, key="lab_overlay")
    st.caption("Solid: training; dashed: held-out text. Drawn when the page ran (press "
               "Refresh for the latest epochs); each run is labelled by what it changed.")


st.title("Lab: the chapter's cells side by side")
st.caption("d2l asks you to compare the GRU's runtime, perplexity and output strings with the "
           "plain RNN's, and to see what happens with only a reset or only an update gate. "
           "Here the cells train on identical batches from one start, live.")
lab.notice()
run = runs.followed_run()
in_charge = not lecture_mode() or is_presenter()   # may start and restart runs
if in_charge and (run is None or runs.is_owner(run)):
    setup(run)
if run is None:
    if lecture_mode():  # "waiting for the presenter", then the lecture's run
        live_view("lecture", panels=("curves",), present=presenting(), key="lab_live")
else:
    live_run(run)
    numbers(run)
    memory_reach(run)
gates(run)
if run is not None:
    if in_charge:
        restarts(run)
    overlay(run, lab.session_runs())
if in_charge and not presenting():
    session_list(run)
