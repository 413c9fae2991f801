"""Plotly figures (and one HTML view) over ``interpret``'s numbers; no Streamlit.

Builders return ``go.Figure`` with numpy arrays inside. Why not plain dicts:
``st.plotly_chart`` validates a dict by building a ``go.Figure`` from it anyway
(``plotly.tools.return_figure_from_figure_or_data(..., validate_figure=True)``),
so a dict saves nothing on the page, while a figure is validated here (bad
property names fail in tests) and exports with Plotly's own tools. What does
matter is numpy: Plotly 6+ ships numpy arrays as base64 typed arrays, many
times faster to serialise than the same values as Python lists (measured by
``bench/render_views.py``).

Colours and the shared layout live in ``style``; the app's presentation mode
enlarges fonts on the finished figures (``fig.update_layout(font_size=...)``).
"""
from .curves import (CURVE_METRICS, MARKER_COLOUR, MAX_CURVE_POINTS, MAX_MARKERS, add_markers,
                     batch_loss_curve, downsample, epoch_curves, gradient_norm_figure,
                     snapshot_curve)
from .dependence import dependence_bars, dependence_label
from .diagram import DIAGRAM_NODES, DiagramEdge, diagram_edges, diagram_nodes, gate_diagram, node_text
from .heatmaps import clickable_cells, clicked_cell, gate_panels, quantity_heatmap
from .parity import FLOAT32_EPS, PARITY_COLOURS, PARITY_NAMES, ROUNDING_NAME, parity_figure
from .predictions import ORDINALS, log_prob_comparison, top_k_strip
from .saliency import memory_reach_figure, saliency_bars
from .saturation import saturation_scatter
from .style import (FONT_SIZE, GATE_SCALE, NEGATIVE, POSITIVE, PROBABILITY_SCALE,
                    QUANTITY_COLOURS, SALIENCY_SCALE, SCALES, SERIES_COLOURS, SHOWN_CHARS,
                    STATE_SCALE, CHAR_WINDOW, char_window, display_char, log_axis, log_ticks,
                    position_labels, scale_colour)
from .text import colored_text_html, colour_legend_html

__all__ = [
    "FONT_SIZE", "GATE_SCALE", "NEGATIVE", "POSITIVE", "PROBABILITY_SCALE", "QUANTITY_COLOURS",
    "SALIENCY_SCALE", "SCALES", "SERIES_COLOURS", "SHOWN_CHARS", "STATE_SCALE", "display_char",
    "CHAR_WINDOW", "char_window", "log_axis", "log_ticks",
    "position_labels", "scale_colour",
    "clickable_cells", "clicked_cell", "gate_panels", "quantity_heatmap",
    "colored_text_html", "colour_legend_html",
    "ORDINALS", "log_prob_comparison", "top_k_strip",
    "saturation_scatter",
    "memory_reach_figure", "saliency_bars",
    "dependence_bars", "dependence_label",
    "FLOAT32_EPS", "PARITY_COLOURS", "PARITY_NAMES", "ROUNDING_NAME", "parity_figure",
    "DIAGRAM_NODES", "DiagramEdge", "diagram_edges", "diagram_nodes", "gate_diagram", "node_text",
    "CURVE_METRICS", "MARKER_COLOUR", "MAX_CURVE_POINTS", "MAX_MARKERS", "add_markers", "batch_loss_curve", "downsample", "epoch_curves",
    "gradient_norm_figure", "snapshot_curve",
]
