"""The gate diagram: one step of one unit drawn as flows through the cell.

The recurrent path is drawn as the cell computes it. d2l's reset-before cell
multiplies the whole vector H_{t-1} by R first and then takes unit j's column
of W_hh, so there is no per-unit "x R_j" on unit j's path: R_j scales
H_{t-1}[j] in *every* unit's candidate. The reset-after cell (nn.GRU) takes the
matmul first and then scales unit j's result by R_j. Vector flows (all units
at once) are grey and dashed, labelled with their length; scalar flows of
unit j are blue (+) or red (-), their width following the amount.
"""
from __future__ import annotations

import html
from typing import NamedTuple

import plotly.graph_objects as go

from ..interpret import StepDetails
from .style import NEGATIVE, POSITIVE, base_layout, display_char

# Where the nodes sit (data units); the two recurrent operations take the slots
# "first" and "second" in the order the cell applies them.
SLOTS = {"previous": (0.0, 4.2), "input": (0.0, 0.0), "first": (3.0, 2.4),
         "second": (6.6, 2.4), "candidate": (9.0, 0.6), "keep": (9.0, 4.2),
         "write": (11.4, 0.6), "hidden": (13.6, 2.4)}
X_RANGE, Y_RANGE = (-1.0, 14.6), (-1.0, 5.3)
MARGIN = {"l": 10, "r": 10, "t": 60, "b": 10}
HEIGHT = 520
NODE_SIZE = 84          # marker diameter, px
LABEL_FONT = 13         # px, edge labels and node text alike
VECTOR_COLOUR = "#888888"


def diagram_nodes(reset_after: bool) -> dict[str, tuple[float, float]]:
    """Node positions by role: reset-before reads H_{t-1} -> (x R) -> (. W_hh);
    reset-after H_{t-1} -> (. W_hh + b_hh) -> (x R_j)."""
    first, second = ("matmul", "reset") if reset_after else ("reset", "matmul")
    return {(first if slot == "first" else second if slot == "second" else slot): xy
            for slot, xy in SLOTS.items()}


DIAGRAM_NODES = diagram_nodes(reset_after=False)   # d2l's cell

# Where each edge's label sits (data units), by (source, target).
LABEL_AT = {("previous", "keep"): (4.8, 4.75), ("keep", "hidden"): (12.0, 3.95),
            ("previous", "reset"): (1.05, 2.8), ("previous", "matmul"): (1.05, 2.8),
            ("reset", "matmul"): (4.8, 3.0), ("matmul", "reset"): (4.8, 3.0),
            ("matmul", "candidate"): (8.95, 2.05), ("reset", "candidate"): (8.95, 2.05),
            ("input", "candidate"): (4.5, -0.3), ("candidate", "write"): (10.2, -0.4),
            ("write", "hidden"): (13.35, 0.85)}
NOTE_AT = (5.4, 1.15)   # reset-before: what R changed in unit j's recurrent term


class DiagramEdge(NamedTuple):
    """What flows along one path: ``amount`` is unit j's number, or for a
    ``vector`` flow (all units at once) the vector's length."""
    source: str
    target: str
    amount: float
    label: str
    vector: bool = False


def _amount(value: float) -> str:
    return f"{value:+.3f}" if value == 0 or abs(value) >= 1e-3 else f"{value:+.1e}"


H_PREV = "H<sub>t-1</sub>"


def diagram_edges(details: StepDetails) -> list[DiagramEdge]:
    """The paths of the cell for unit j at step t, in the cell's own order."""
    c, n = details.candidate, details.num_hiddens
    into_candidate = c.input_term + c.bias
    shared = [DiagramEdge("previous", "keep", details.previous_hidden,
                          f"{H_PREV}[j]<br>{_amount(details.previous_hidden)}"),
              DiagramEdge("keep", "hidden", details.kept_old,
                          f"Z·{H_PREV}[j]<br>{_amount(details.kept_old)}"),
              DiagramEdge("input", "candidate", into_candidate,
                          f"x<sub>t</sub>W<sub>xh</sub> + b<sub>h</sub><br>"
                          f"{_amount(into_candidate)}"),
              DiagramEdge("candidate", "write", c.value, f"H̃<br>{_amount(c.value)}"),
              DiagramEdge("write", "hidden", details.added_new,
                          f"(1−Z)·H̃<br>{_amount(details.added_new)}")]
    vector_in = f"{H_PREV}, all {n}<br>‖·‖ = {details.previous_norm:.3f}"
    if details.reset_after:
        recurrent = [DiagramEdge("previous", "matmul", details.previous_norm, vector_in, True),
                     DiagramEdge("matmul", "reset", c.recurrent_unreset,
                                 f"recurrent<br>{_amount(c.recurrent_unreset)}"),
                     DiagramEdge("reset", "candidate", c.recurrent_term,
                                 f"R<sub>j</sub> × recurrent<br>{_amount(c.recurrent_term)}")]
    else:
        recurrent = [DiagramEdge("previous", "reset", details.previous_norm, vector_in, True),
                     DiagramEdge("reset", "matmul", c.reset_hidden_norm or 0.0,
                                 f"R⊙{H_PREV}<br>‖·‖ = {c.reset_hidden_norm or 0.0:.3f}", True),
                     DiagramEdge("matmul", "candidate", c.recurrent_term,
                                 f"recurrent<br>{_amount(c.recurrent_term)}")]
    return shared[:2] + recurrent + shared[2:]


def node_text(details: StepDetails) -> dict[str, str]:
    """What each node says: its operation and this step's number for unit j."""
    z, c = details.update.value, details.candidate
    text = {"previous": f"{H_PREV}[j]<br>{details.previous_hidden:+.3f}",
            "input": f"x<sub>t</sub> = '{html.escape(display_char(details.char))}'",
            "candidate": f"tanh → H̃<br>{c.value:+.3f}",
            "keep": f"× Z<br>Z = {z:.3f}", "write": f"× (1−Z)<br>{1 - z:.3f}",
            "hidden": f"H<sub>t</sub>[j]<br>{details.hidden:+.3f}"}
    if details.reset_after:
        text |= {"matmul": "· W<sub>hh</sub>[:,j]<br>+ b<sub>hh</sub>[j]",
                 "reset": f"× R<sub>j</sub><br>R = {details.reset.value:.3f}"}
    else:
        text |= {"reset": f"⊙ R<br>all {details.num_hiddens}",
                 "matmul": "· W<sub>hh</sub>[:,j]"}
    return {node: text[node] for node in diagram_nodes(details.reset_after)}  # H_t last


def reset_note(details: StepDetails) -> str | None:
    """Reset before: unit j's recurrent term with and without R (R⊙H vs H)."""
    if details.reset_after:
        return None
    c = details.candidate
    return (f"no R: {H_PREV}W<sub>hh</sub>[:,j] = {_amount(c.recurrent_unreset)}<br>"
            f"R moved it by {_amount(c.reset_change)}")


def _edge_hover(edge: DiagramEdge, details: StepDetails) -> str:
    if edge.vector:
        return (f"a vector: all {details.num_hiddens} units at once "
                f"(length {edge.amount:.3f})<br>{edge.label}")
    return edge.label


def gate_diagram(details: StepDetails) -> go.Figure:
    """The cell as a flow: scalar paths of unit j are blue (+) or red (−) with
    width following |amount|; vector paths (every unit at once) grey and
    dashed; nodes show the gate values of this step and unit."""
    edges = diagram_edges(details)
    nodes = diagram_nodes(details.reset_after)
    largest = max(max((abs(e.amount) for e in edges if not e.vector), default=0.0), 1e-12)
    label_font = {"size": LABEL_FONT}
    data, annotations = [], []
    for edge in edges:
        (x0, y0), (x1, y1) = nodes[edge.source], nodes[edge.target]
        line = ({"width": 3, "color": VECTOR_COLOUR, "dash": "dash"} if edge.vector else
                {"width": 2 + 14 * abs(edge.amount) / largest,
                 "color": POSITIVE if edge.amount >= 0 else NEGATIVE})
        hover = _edge_hover(edge, details)
        data.append({"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y0, y1],
                     "hoverinfo": "text", "text": [hover, hover], "showlegend": False,
                     "line": line})
        x, y = LABEL_AT[(edge.source, edge.target)]
        annotations.append({"x": x, "y": y, "text": edge.label, "showarrow": False,
                            "font": label_font, "bgcolor": "rgba(255,255,255,0.9)"})
    note = reset_note(details)
    if note:
        annotations.append({"x": NOTE_AT[0], "y": NOTE_AT[1], "text": note, "showarrow": False,
                            "font": label_font, "bgcolor": "rgba(255,255,255,0.9)",
                            "bordercolor": VECTOR_COLOUR, "borderwidth": 1})
    texts = node_text(details)
    data.append({"type": "scatter", "mode": "markers+text", "showlegend": False,
                 "x": [nodes[n][0] for n in texts], "y": [nodes[n][1] for n in texts],
                 "text": list(texts.values()), "customdata": list(texts),
                 "textposition": "middle center", "hoverinfo": "skip",
                 "textfont": label_font,
                 "marker": {"size": NODE_SIZE, "color": "#f2f2f2",
                            "line": {"color": "#333333", "width": 2}}})
    cell = "reset after, nn.GRU" if details.reset_after else "reset before, d2l"
    layout = base_layout(f"Step {details.position}, unit {details.unit}: where H<sub>t</sub> "
                         f"came from ({cell})", "", "", "gate-diagram", height=HEIGHT,
                         annotations=annotations)
    layout["margin"] = dict(MARGIN)
    for axis, span in (("xaxis", X_RANGE), ("yaxis", Y_RANGE)):
        layout[axis] |= {"visible": False, "range": list(span), "fixedrange": True}
    return go.Figure({"data": data, "layout": layout})
