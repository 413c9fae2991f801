"""Units on the pages: the units worth a look (``interpret.notable_units``,
computed from the data and cached per model), the heatmaps' unit order, the
character window a page scrubs, a clicked heatmap cell, and the link that
opens the Step page at one (t, unit) with the same model and text."""
from __future__ import annotations

import streamlit as st

from gru_core import interpret
from gru_core.figures import CHAR_WINDOW, clicked_cell
from gru_core.interpret import DEFAULT_PROBE

from .display import NETWORK_NAMES
from .sources import SOURCE_TITLES, ModelSource, heldout_text

CLICK_KEY = "gates_clicked_cell"   # session_state: the last click already applied
NOTABLE_CHARS = 2_000


@st.cache_resource(show_spinner="Looking for units worth a look…", max_entries=16)
def _notable(key: str, where: str, _model, _indices, _vocab) -> interpret.NotableUnits:
    return interpret.notable_units(_model, _indices, _vocab)


def notable(source: ModelSource, probe) -> tuple[interpret.NotableUnits, str]:
    """The units worth a look on text the model did not train on where there
    is some (else its training text, else the probe), and where: computed on
    the model as it is now (a live run's: its current copy, shared by every
    viewer while the weights are the same)."""
    indices, where = heldout_text(source, probe)
    return _notable(source.key, where, source.model, list(indices), source.vocab), where


def units_panel(found: interpret.NotableUnits, where: str, key: str = "worth") -> None:
    """"Units worth a look": one line per finding, then a row of the units
    found: picking one opens it in the views below."""
    with st.container(border=True):
        st.markdown("**Units worth a look**")
        if not found.findings:
            st.caption(f"No unit stands out over {where}: none tracks spaces, vowels or the "
                       f"position in a word, and no gate sits at a rail — as an untrained "
                       f"model's units do not. Train the model, or pick the book model.")
            return
        st.markdown("\n".join(f"- *{finding.kind}* — {finding.sentence}"
                               for finding in found.findings))
        st.pills("Open one below", found.units, key=key, format_func=lambda u: f"unit {u}",
                 on_change=_open_picked, args=(key,),
                 help="Shows that unit in the one-unit view and puts it in the link.")
        st.caption(f"Found in {where} ({found.num_chars:,} characters): each unit tested "
                   f"against spaces, vowels, the position in a word and its gates' rails.")


def _open_picked(key: str) -> None:
    if st.session_state.get(key) is not None:
        open_unit(st.session_state[key])


def open_unit(unit: int, t: int | None = None) -> None:
    """Show ``unit`` (and character ``t``) in the one-unit view: the URL keeps both."""
    st.session_state["unit"] = int(unit)
    if t is not None:
        st.session_state["t"] = int(t)


def unit_order(trace, method: str, found: interpret.NotableUnits):
    """Heatmap rows: "grouped" puts the units worth a look first, kind by kind,
    then the rest clustered; else ``interpret.order_units``."""
    if method == "grouped":
        return interpret.grouped_order(trace.hidden, found.groups.values())
    return interpret.order_units(trace.hidden, method)


def window_start(length: int, key: str = "win") -> int:
    """The first character of the heatmaps' window (``CHAR_WINDOW`` wide): a
    scrubber when the text is longer than the window, bound to the URL."""
    last = length - CHAR_WINDOW
    if last <= 0:
        return 0
    if st.session_state.get(key, 0) > last:
        st.session_state[key] = last
    return int(st.slider(f"Characters shown ({CHAR_WINDOW} at a time from)", 0, last, 0,
                         key=key, bind="query-params", persist_state="session",
                         help="Scrub through the text; the top-5 strip below follows."))


def apply_click(event) -> None:
    """A heatmap cell the user clicked (``figures.clickable_cells``) opens
    that unit at that character, once per click (the selection stays until
    the figure changes, and must not undo later changes)."""
    points = event.selection.points if event is not None and event.selection else []
    cell = clicked_cell(points)
    if cell is not None and st.session_state.get(CLICK_KEY) != cell:
        st.session_state[CLICK_KEY] = cell
        open_unit(cell[1], cell[0])


def step_link(source: ModelSource, text: str, t: int, unit: int) -> None:
    """A link to the Step page at (t, unit) with this model and text: the URL
    a lecturer can hand out for "this unit at this character"."""
    query = {"t": str(t), "unit": str(unit), "source": SOURCE_TITLES[source.origin]}
    if text != DEFAULT_PROBE:
        query["probe"] = text
    if source.run is not None:
        query["run"] = source.run.id
        if len(source.run.models) > 1:
            query["net"] = NETWORK_NAMES[source.network]
    st.page_link("app_pages/step.py", label=f"Step through the math at t = {t}, unit {unit}",
                 icon=":material/functions:", query_params=query)
