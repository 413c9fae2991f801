"""How things look: presentation mode, the chart conventions and the names
the pages show for networks and durations."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

# How the pages name a run's networks (gru_core's glossary: "scratch", "concise").
NETWORK_NAMES = {"scratch": "from-scratch GRU", "concise": "nn.GRU"}
SHORT_NAMES = {"scratch": "scratch", "concise": "nn.GRU"}

PRESENTATION_CSS = """
<style>
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] button, [data-testid="stMain"] input { font-size: 1.3rem !important; }
[data-testid="stMain"] h1 { font-size: 3rem !important; }
[data-testid="stMain"] h2 { font-size: 2.2rem !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] * { font-size: 3rem !important; }
[data-testid="stMain"] .katex { font-size: 1.15em !important; }
</style>
"""
PRESENTATION_FONT_SIZE = 18  # Plotly figures in presentation mode (most sit in half-width columns)
PLOTLY_CONFIG = {"displaylogo": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "gru-explainer"}}


def presenting() -> bool:
    return bool(st.session_state.get("present", False))


def presentation_toggle() -> None:
    st.toggle("Presentation mode", key="present", bind="query-params", persist_state="session",
              help="Larger fonts for a projector, fewer controls.")
    if presenting():
        st.html(PRESENTATION_CSS)


def show_chart(figure, key: str | None = None, clickable: bool = False):
    """``st.plotly_chart`` with the app's conventions: full width, a PNG export
    button, larger fonts in presentation mode. ``clickable``: a click selects a
    point and reruns the page; returns the event (its ``selection``)."""
    figure = go.Figure(figure) if isinstance(figure, dict) else figure
    if not figure.data or presenting():
        figure = go.Figure(figure)  # a copy: the figure may be shared by other viewers
    if not figure.data:
        figure.add_scatter(x=[], y=[], showlegend=False)  # plotly refuses a figure without traces
    if presenting():
        figure.update_layout(font_size=PRESENTATION_FONT_SIZE, margin_t=110)  # room: title + legend
    # theme=None: the figures carry their own projector-friendly template and fonts
    if clickable:
        return st.plotly_chart(figure, width="stretch", theme=None, config=PLOTLY_CONFIG, key=key,
                               on_select="rerun", selection_mode="points")
    st.plotly_chart(figure, width="stretch", theme=None, config=PLOTLY_CONFIG, key=key)
    return None


def format_seconds(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"
