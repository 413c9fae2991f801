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
[data-testid="stMain"] .katex-display > .katex { font-size: 1.55em !important; }
[data-testid="stMain"] [data-testid="stCode"] code,
[data-testid="stMain"] [data-testid="stCode"] pre { font-size: 1.5rem !important; }
[data-testid="stSidebar"] div[style*="word-break:break-all"] { font-size: 2rem !important; }
[data-testid="stSidebar"] p, [data-testid="stSidebar"] label { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stTable"] td,
[data-testid="stMain"] [data-testid="stTable"] th { font-size: 1.25rem !important; }
</style>
"""
# Every page, every size: wide charts (the heatmaps) keep a usable width on a
# phone and scroll sideways inside their own box instead of squeezing 60
# characters into 140 pixels; equations never run out of their box.
LAYOUT_CSS = """
<style>
[class*="st-key-wide_"] { overflow-x: auto; }
[class*="st-key-wide_"] > div { min-width: 880px; }
.katex-display { overflow-x: auto; overflow-y: hidden; }
</style>
"""
WIDE_MIN_PX = 880
TITLE_TOP_PX = 34        # a chart's title starts under the toolbar (Plotly's modebar)
TITLE_LINE_CHARS = 30    # wrap longer titles: a phone shows about that many
LEGEND_LINE_CHARS = 34   # and legend entries (after their line sample)
TITLE_LINE_PX = 26
PRESENTATION_FONT_SIZE = 18  # Plotly figures in presentation mode (most sit in half-width columns)
PLOTLY_CONFIG = {"displaylogo": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "gru-explainer"}}


def presenting() -> bool:
    return bool(st.session_state.get("present", False))


def presentation_toggle() -> None:
    st.toggle("Presentation mode", key="present", bind="query-params", persist_state="session",
              help="Larger fonts for a projector, fewer controls.")
    st.html(LAYOUT_CSS + (PRESENTATION_CSS if presenting() else ""))


def wrapped_title(text: str, width: int = TITLE_LINE_CHARS) -> str:
    """A chart title broken into lines of at most ``width`` characters at
    spaces (Plotly never wraps a title: on a phone it runs under the toolbar
    and off the chart)."""
    if "<br>" in text or len(text) <= width:
        return text
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "<br>".join(lines + [line])


def _wrap_legend(figure: go.Figure) -> None:
    """Long legend entries on two lines or more (a legend, too, never wraps);
    a legend under the plot sits at the figure's bottom, so the rows a narrow
    screen adds push the plot up instead of running into the axis title."""
    for trace in figure.data:
        name = getattr(trace, "name", None)
        if name and trace.showlegend is not False and len(name) > LEGEND_LINE_CHARS:
            trace.name = wrapped_title(name, LEGEND_LINE_CHARS)
    legend = figure.layout.legend
    if legend.orientation == "h" and legend.y is not None and legend.y < 0:
        figure.update_layout(legend={"yref": "container", "y": 0, "yanchor": "bottom"})


def _place_title(figure: go.Figure) -> None:
    """The title below the toolbar, wrapped, with the top margin it needs."""
    text = figure.layout.title.text
    if not text:
        return
    title = wrapped_title(text)
    lines = title.count("<br>") + 1
    line = TITLE_LINE_PX * (1.15 if presenting() else 1)
    top = TITLE_TOP_PX + lines * line + 14
    height = figure.layout.height or 450   # Plotly's default
    # Plotly anchors a title of several lines by its first: the rest would push it up
    figure.update_layout(title={"text": title, "yref": "container", "yanchor": "top",
                                "y": 1 - (TITLE_TOP_PX + (lines - 1) * line) / height},
                         margin_t=max(figure.layout.margin.t or 0, int(top)))


def show_chart(figure, key: str | None = None, clickable: bool = False, wide: bool = False):
    """``st.plotly_chart`` with the app's conventions: full width, a PNG export
    button, the title under the toolbar (wrapped for phones), larger fonts in
    presentation mode. ``clickable``: a click selects a point and reruns the
    page; returns the event (its ``selection``). ``wide``: at least
    ``WIDE_MIN_PX`` wide, scrolling sideways on a narrow screen (heatmaps)."""
    figure = go.Figure(figure)  # a copy: the figure may be shared by other viewers
    if not figure.data:
        figure.add_scatter(x=[], y=[], showlegend=False)  # plotly refuses a figure without traces
    if presenting():
        figure.update_layout(font_size=PRESENTATION_FONT_SIZE)
    _place_title(figure)
    _wrap_legend(figure)
    if wide:
        with wide_box(key):
            return _plotly_chart(figure, key, clickable)
    return _plotly_chart(figure, key, clickable)


def wide_box(key: str):
    """A box at least ``WIDE_MIN_PX`` wide that scrolls sideways on a narrow
    screen: charts drawn in it one above the other scroll together."""
    return st.container(key=f"wide_{key}")


def _plotly_chart(figure, key, clickable: bool):
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
