"""Gates: what the update gate Z, reset gate R, candidate H̃ and hidden state H
do on every character of a probe text, and one unit up close."""
import streamlit as st

import app_server
from app_ui.display import presenting, show_chart
from app_ui.live_view import live_view
from app_ui.probe import probe_page, unit_picker
from app_ui.runs import is_owner
from gru_core import figures, interpret
from gru_core.exports import trace_npz

ORDER_NAMES = {"none": "unit number", "mean": "mean activation", "cluster": "clustered"}
UNIT_VIEWS = {"update_gate": "Z (update)", "reset_gate": "R (reset)", "hidden": "H (state)"}


def heatmaps(probe, trace) -> None:
    order_by = st.segmented_control("Order units by", list(ORDER_NAMES), default="none",
                                    required=True, format_func=ORDER_NAMES.get, key="order",
                                    bind="query-params", persist_state="session",
                                    help="Mean: highest mean hidden state first. Clustered: "
                                         "units whose hidden states move together sit together.")
    order = interpret.order_units(trace.hidden, order_by)
    show_chart(figures.gate_panels(trace, probe.chars, order, probe.unknown_positions),
               key="gate_panels")


def gate_views(source, probe, trace) -> None:
    heatmaps(probe, trace)
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
    values = getattr(trace, view)[:, unit]
    st.html(figures.colored_text_html(probe.chars, values, view, probe.unknown_positions,
                                      label=f"{interpret.QUANTITY_SYMBOLS[view]}[{unit}]"))
    st.caption(f"Unit {unit}: {interpret.QUANTITY_NAMES[view]} ranges from {values.min():+.3f} "
               f"to {values.max():+.3f} over this text. Hover a character for its value.")
    predictions = interpret.top_k(trace, source.vocab, k=5)
    show_chart(figures.top_k_strip(probe.chars, predictions, probe.unknown_positions),
               key="top_k")


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
           "Z near 1 keeps the old state, R near 0 forgets it when forming the candidate H̃.")
probe_page(gate_views, before=live_gates)
