"""Gates: what the update gate Z, reset gate R, candidate H̃ and hidden state H
do on every character of a probe text, the units worth a look, and one unit
up close (click a heatmap cell to open it)."""
import streamlit as st

import app_server
from app_ui.display import presenting, show_chart, wide_box
from app_ui.live_view import live_view
from app_ui.probe import position_picker, probe_page, unit_picker
from app_ui.runs import is_owner
from app_ui.units import apply_click, notable, step_link, unit_order, units_panel, window_start
from gru_core import figures, interpret
from gru_core.exports import trace_npz

ORDER_NAMES = {"grouped": "worth a look first", "none": "unit number",
               "mean": "mean activation", "cluster": "clustered"}
UNIT_VIEWS = {"update_gate": "Z (update)", "reset_gate": "R (reset)", "hidden": "H (state)"}


def heatmaps(source, probe, trace, found) -> None:
    left, right = st.columns([2, 3])
    with left:
        order_by = st.segmented_control(
            "Order units by", list(ORDER_NAMES), default="grouped", required=True,
            format_func=ORDER_NAMES.get, key="order", bind="query-params",
            persist_state="session",
            help="Worth a look first: the units listed above, kind by kind, then the rest "
                 "clustered. Mean: highest mean hidden state first. Clustered: units whose "
                 "hidden states move together sit together.")
    with right:
        start = window_start(len(probe.chars))
    order = unit_order(trace, order_by, found)
    with wide_box("gates"):  # on a phone both scroll sideways together, columns aligned
        event = show_chart(figures.clickable_cells(figures.gate_panels(
            trace, probe.chars, order, probe.unknown_positions, window_start=start)),
            key="gate_panels", clickable=True)
        show_chart(figures.top_k_strip(probe.chars, interpret.top_k(trace, source.vocab, k=5),
                                       probe.unknown_positions, window_start=start),
                   key="top_k")
    apply_click(event)
    st.caption("Click a cell to open that unit at that character below. The strip: the "
               "model's five likeliest next characters after each character, in the same "
               "columns as the heatmaps.")


def gate_views(source, probe, trace) -> None:
    found, where = notable(source, probe)
    units_panel(found, where)
    heatmaps(source, probe, trace, found)
    one_unit(probe, trace, source)
    if not presenting():
        st.download_button("Download this trace (.npz)", data=lambda: trace_npz(trace, probe),
                           file_name="gru-trace.npz", mime="application/octet-stream",
                           on_click="ignore", icon=":material/download:", key="trace_npz",
                           help="Z, R, H̃, H and logits (characters × units), the text and "
                                "its token indices. Figures export as PNG from their toolbar.")


def one_unit(probe, trace, source) -> None:
    st.subheader("One unit, character by character")
    left, right = st.columns([1, 3])
    with left:
        unit = unit_picker(source.model.num_hiddens)
    with right:
        view = st.segmented_control("Colour the text by", list(UNIT_VIEWS), default="hidden",
                                    required=True, format_func=UNIT_VIEWS.get, key="unit_view",
                                    bind="query-params", persist_state="session")
    t = position_picker(len(probe.chars), label="Character t")
    values = getattr(trace, view)[:, unit]
    st.html(figures.colored_text_html(probe.chars, values, view, probe.unknown_positions,
                                      highlight=t,
                                      label=f"{interpret.QUANTITY_SYMBOLS[view]}[{unit}]"))
    st.caption(f"Unit {unit}: {interpret.QUANTITY_NAMES[view]} ranges from {values.min():+.3f} "
               f"to {values.max():+.3f} over this text; at t = {t} "
               f"('{figures.display_char(probe.chars[t])}') Z = {trace.update_gate[t, unit]:.3f}, "
               f"R = {trace.reset_gate[t, unit]:.3f}, H = {trace.hidden[t, unit]:+.3f}. "
               f"Hover a character for its value.")
    step_link(source, probe.cleaned_from or probe.text, t, unit)


def live_gates(source, text) -> None:
    """For a live model: the room's live heatmaps (the owner's probe text,
    pushed as the model trains); the views below show your own text once."""
    if source.origin != "live":
        return
    run = source.run
    if is_owner(run) and text:  # the owner's probe is what everyone watches
        app_server.hub().set_probe(run.id, text)
        if app_server.hall().run_id == run.id:
            app_server.hall().probe_text = text
    live_view(run.id, panels=("gates",), present=presenting(), key="gates_live")
    st.caption("Above: the live model on the run owner's text, redrawn as it trains (hover, "
               "zoom and pan are kept). Below: your text through the model as it was when this "
               "page ran — change the text or press R to look again.")


st.title("Gates")
st.caption("Each column is one character the model reads; each row one hidden unit. "
           f"{interpret.UPDATE_GATE_NOTE} R near 0 forgets the old state when forming the "
           f"candidate H̃.")
probe_page(gate_views, before=live_gates, page="gates")
