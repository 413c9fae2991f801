"""The gate diagram: one step of one unit drawn as flows through the cell."""
from __future__ import annotations

import html

import plotly.graph_objects as go

from ..interpret import StepDetails
from .style import NEGATIVE, POSITIVE, base_layout, display_char

# Node positions of the cell drawn left to right: H_{t-1} and x_t in, H_t out.
DIAGRAM_NODES = {"previous": (0.0, 4.0), "input": (0.0, 0.0), "reset": (2.5, 2.0),
                 "candidate": (5.0, 1.0), "keep": (5.0, 4.0), "write": (7.5, 1.0),
                 "hidden": (10.0, 2.5)}


def _amount(value: float) -> str:
    return f"{value:+.3f}" if value == 0 or abs(value) >= 1e-3 else f"{value:+.1e}"


def diagram_edges(details: StepDetails) -> list[tuple[str, str, float, str]]:
    """(from, to, amount, label): what flows along each path of the cell."""
    c, previous = details.candidate, "H<sub>t-1</sub>"
    into_candidate = c.input_term + c.bias
    return [("previous", "keep", details.previous_hidden,
             f"{previous} = {_amount(details.previous_hidden)}"),
            ("keep", "hidden", details.kept_old, f"Z·{previous} = {_amount(details.kept_old)}"),
            ("previous", "reset", c.recurrent_unreset, f"recurrent {_amount(c.recurrent_unreset)}"),
            ("reset", "candidate", c.recurrent_term, f"after reset {_amount(c.recurrent_term)}"),
            ("input", "candidate", into_candidate, f"input + bias {_amount(into_candidate)}"),
            ("candidate", "write", c.value, f"H̃ = {_amount(c.value)}"),
            ("write", "hidden", details.added_new, f"(1−Z)·H̃ = {_amount(details.added_new)}")]


def gate_diagram(details: StepDetails) -> go.Figure:
    """The cell as a flow: line width follows |amount| on each path, colour its
    sign (blue +, red −); nodes show the gate values of this step and unit."""
    edges = diagram_edges(details)
    largest = max(max(abs(amount) for _, _, amount, _ in edges), 1e-12)
    data, annotations = [], []
    for source, target, amount, label in edges:
        (x0, y0), (x1, y1) = DIAGRAM_NODES[source], DIAGRAM_NODES[target]
        data.append({"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y0, y1],
                     "hoverinfo": "text", "text": [label, label], "showlegend": False,
                     "line": {"width": 2 + 14 * abs(amount) / largest,
                              "color": POSITIVE if amount >= 0 else NEGATIVE}})
        annotations.append({"x": (x0 + x1) / 2, "y": (y0 + y1) / 2 + 0.35, "text": label,
                            "showarrow": False, "bgcolor": "rgba(255,255,255,0.85)"})
    node_text = {"previous": f"H<sub>t-1</sub><br>{details.previous_hidden:+.3f}",
                 "input": f"x<sub>t</sub> = '{html.escape(display_char(details.char))}'",
                 "reset": f"× R<br>R = {details.reset.value:.3f}",
                 "candidate": f"tanh → H̃<br>{details.candidate.value:+.3f}",
                 "keep": f"× Z<br>Z = {details.update.value:.3f}",
                 "write": f"× (1−Z)<br>{1 - details.update.value:.3f}",
                 "hidden": f"H<sub>t</sub><br>{details.hidden:+.3f}"}
    data.append({"type": "scatter", "mode": "markers+text", "showlegend": False,
                 "x": [DIAGRAM_NODES[n][0] for n in node_text],
                 "y": [DIAGRAM_NODES[n][1] for n in node_text], "text": list(node_text.values()),
                 "textposition": "middle center", "hoverinfo": "skip",
                 "marker": {"size": 78, "color": "#f2f2f2",
                            "line": {"color": "#333333", "width": 2}}})
    layout = base_layout(f"Step {details.position}, unit {details.unit}: where H<sub>t</sub> "
                         f"came from", "", "", "gate-diagram", height=460,
                         annotations=annotations)
    for axis in ("xaxis", "yaxis"):
        layout[axis] |= {"visible": False}
    layout["xaxis"]["range"], layout["yaxis"]["range"] = [-1.2, 11.2], [-1, 5]
    return go.Figure({"data": data, "layout": layout})
