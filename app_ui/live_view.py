"""The live view: a custom component (Streamlit components v2) that subscribes
to the push route and draws a run's curves, progress, samples and gate
heatmaps in the browser. Every viewer's updates arrive through its own socket;
the page script runs once, not once per update."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from gru_core.models import CELL_NAMES

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "gru_explainer_live_view",
    html='<div class="gru-live"></div>\n',
    css=(HERE / "live_view.css").read_text(),
    js=(HERE / "live_view.js").read_text(),
    isolate_styles=False,  # plotly.js styles its charts from the page's <head>
)


def live_view(room: str, *, panels=("curves", "gates"), view: str = "hidden",
              present: bool = False, rerun_on_state: bool = False, key: str = "live_view"):
    """Mount the live view of ``room`` (a run id, or "lecture"). ``panels``:
    which tabs to show; ``rerun_on_state``: rerun the page once when the run's
    state changes (for the owner's controls; viewers never rerun)."""
    view = view if "gates" in panels else "none"  # no heatmaps for a view without them
    return _COMPONENT(key=key, data={"room": room, "panels": list(panels), "view": view,
                                     "present": present, "rerun_on_state": rerun_on_state,
                                     "names": CELL_NAMES},
                      on_state_change=lambda: None)
