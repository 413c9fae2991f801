"""gru_core.figures.diagram: the step diagram draws the cell's real data flow
(R before or after the matmul), every number on it adds up, and no label
covers another."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from gru_core import figures, interpret
from gru_core.data import Vocab
from gru_core.models import make_model

VOCAB = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
TEXT = "the time traveller for so it will be convenient to speak of him"


@pytest.fixture(scope="module", params=["scratch", "scratch-reset-after"])
def step(request):
    model = make_model(request.param, 28, 12, seed=0)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.8)
    indices = interpret.encode_probe(TEXT, VOCAB).indices
    trace = model.trace(indices.tolist())
    return model, trace, interpret.step_details(model, trace, indices, VOCAB, 20, 5)


def number(label: str) -> float:
    """The number on a label's last line."""
    return float(re.findall(r"[-+]?\d+\.\d+(?:e[-+]\d+)?", label.split("<br>")[-1])[-1])


def test_widths_and_colours_follow_the_scalar_amounts(step):
    _, _, details = step
    figure = figures.gate_diagram(details)
    edges = figures.diagram_edges(details)
    lines = figure.data[:len(edges)]
    scalar = [i for i, e in enumerate(edges) if not e.vector]
    widest = max(scalar, key=lambda i: abs(edges[i].amount))
    assert lines[widest].line.width == pytest.approx(16)
    for line, edge in zip(lines, edges):
        if edge.vector:
            assert line.line.dash == "dash" and line.line.color == figures.diagram.VECTOR_COLOUR
        else:
            assert line.line.color == (figures.POSITIVE if edge.amount >= 0 else figures.NEGATIVE)
    assert f"{details.hidden:+.3f}" in figure.data[-1].text[-1]


def test_every_number_on_the_diagram_adds_up(step):
    model, trace, details = step
    t, j = details.position, details.unit
    edges = {(e.source, e.target): e for e in figures.diagram_edges(details)}
    for edge in edges.values():  # each label states its own amount
        assert number(edge.label) == pytest.approx(edge.amount, abs=5e-4)
    z, previous = details.update.value, trace.previous_hidden[t].astype(np.float64)
    W_hh = model.W_hh.detach().double().numpy()[:, j]
    assert edges["previous", "keep"].amount == pytest.approx(previous[j])
    assert edges["keep", "hidden"].amount == pytest.approx(z * previous[j])
    assert edges["write", "hidden"].amount == pytest.approx((1 - z) * details.candidate.value)
    assert (edges["keep", "hidden"].amount + edges["write", "hidden"].amount
            == pytest.approx(float(trace.hidden[t, j]), abs=1e-5))
    texts = figures.node_text(details)
    shown = " ".join(list(texts.values()) + [e.label for e in edges.values()])
    if details.reset_after:
        R_j = details.reset.value
        recurrent = previous @ W_hh + float(model.b_hh.detach()[j])
        assert edges["matmul", "reset"].amount == pytest.approx(recurrent)
        assert edges["reset", "candidate"].amount == pytest.approx(R_j * recurrent)
        assert f"R = {R_j:.3f}" in texts["reset"] and "×" in texts["reset"]
        into = edges["reset", "candidate"].amount
    else:
        # d2l: the vector R ⊙ H_{t-1} enters the matmul; nothing multiplies unit j by R_j
        R = trace.reset_gate[t].astype(np.float64)
        assert edges["matmul", "candidate"].amount == pytest.approx((R * previous) @ W_hh)
        assert edges["reset", "matmul"].vector and edges["previous", "reset"].vector
        assert edges["reset", "matmul"].amount == pytest.approx(np.linalg.norm(R * previous))
        assert not re.search(r"×\s*R", shown) and "R<sub>j</sub>" not in shown
        note = figures.diagram.reset_note(details)
        assert number(note.split("<br>")[0]) == pytest.approx(previous @ W_hh, abs=5e-4)
        assert number(note) == pytest.approx((R * previous) @ W_hh - previous @ W_hh, abs=5e-4)
        into = edges["matmul", "candidate"].amount
    pre = into + edges["input", "candidate"].amount
    assert np.tanh(pre) == pytest.approx(edges["candidate", "write"].amount, abs=1e-6)


def boxes(figure, width: float) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Pixel boxes of every piece of text (annotations and node text, each no
    smaller than its marker), estimated from text length and font size:
    0.6 em per character, 1.3 em per line, plus Plotly's 3 px padding."""
    layout = figure.layout
    margin = layout.margin
    plot_w = width - margin.l - margin.r
    plot_h = layout.height - margin.t - margin.b
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range

    def to_px(x, y):
        return (margin.l + (x - x0) / (x1 - x0) * plot_w,
                margin.t + (y1 - y) / (y1 - y0) * plot_h)

    def box(x, y, text, size, minimum=0.0):
        lines = [re.sub(r"<[^>]+>", "", line) for line in text.split("<br>")]
        w = max(max(len(line) for line in lines) * 0.6 * size + 6, minimum)
        h = max(len(lines) * 1.3 * size + 6, minimum)
        cx, cy = to_px(x, y)
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    found = [(a.text, box(a.x, a.y, a.text, a.font.size)) for a in layout.annotations]
    nodes = figure.data[-1]
    found += [(text, box(x, y, text, nodes.textfont.size, nodes.marker.size))
              for x, y, text in zip(nodes.x, nodes.y, nodes.text)]
    return found


@pytest.mark.parametrize("width", [900, 1200])
def test_no_label_covers_another(step, width):
    _, _, details = step
    figure = figures.gate_diagram(details)
    found = boxes(figure, width)
    for i, (text_a, a) in enumerate(found):
        assert a[0] >= 0 and a[2] <= width and a[1] >= 0, f"{text_a!r} leaves the figure"
        for text_b, b in found[i + 1:]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, f"{text_a!r} overlaps {text_b!r} at width {width}"


def test_the_old_reset_before_drawing_would_fail_the_arithmetic(step):
    """The diagram before issue 12: "recurrent → × R → after reset" for d2l's cell."""
    _, _, details = step
    if details.reset_after:
        pytest.skip("the per-unit × R_j edge is right for reset-after")
    c = details.candidate
    claimed = details.reset.value * c.recurrent_unreset   # what "× R" would give
    assert abs(claimed - c.recurrent_term) > 1e-3           # ... and is not what the cell did
