"""gru_core.interpret.unit_search: a planted bracket unit is found, then found again."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.data import Vocab
from gru_core.models import ScratchGRU, make_model


def bracket_model(vocab: Vocab, num_hiddens: int = 8) -> ScratchGRU:
    """Unit 5 is planted: it turns on at '(' and off at ')' and holds in between
    (update gate open except on brackets). Decoys: unit 1 is on everywhere,
    unit 2 only while reading '('. The rest keep d2l's tiny random weights."""
    model = make_model("scratch", len(vocab), num_hiddens, seed=0)
    opening, closing = vocab["("], vocab[")"]
    with torch.no_grad():
        model.W_hz[:, 5], model.W_hh[:, 5] = 0.0, 0.0
        model.b_z[5] = 10.0                                    # hold ...
        model.W_xz[opening, 5] = model.W_xz[closing, 5] = -20.0  # ... except at brackets
        model.W_xh[opening, 5], model.W_xh[closing, 5] = 5.0, -5.0
        model.b_z[1], model.b_h[1] = -10.0, 5.0                # always on
        model.b_z[2], model.W_xh[opening, 2] = -10.0, 5.0      # on only at '('
    return model


def test_unit_search_finds_the_planted_bracket_unit():
    vocab = Vocab(list("abc ()"))
    text = "ab ca (abc ab) cab (ca) a"
    model = bracket_model(vocab)
    trace = model.trace(vocab.encode(text))
    start, end = text.index("("), text.index(")")
    hits = interpret.find_units(trace.hidden, start, end, threshold=0.5, margin=3)
    assert hits[0].unit == 5 and hits[0].exact
    assert hits[0].inside_mean > 0.99 and hits[0].outside_mean < 0
    assert all(not hit.exact for hit in hits[1:])
    assert 1 not in [hit.unit for hit in hits]  # on everywhere: off around fails
    corpus = "a (bb) cc ab (c) ba (aaaa) b " * 3
    matches = interpret.match_in_corpus(model, vocab.encode(corpus), vocab, [5],
                                        span_length=end - start, context=4)
    openings = [i for i, ch in enumerate(corpus) if ch == "("]
    assert sorted(m.start for m in matches) == openings
    for match in matches:
        assert match.text.startswith("(") and ")" not in match.text
        assert match.after.startswith(")") and len(match.before) == min(4, match.start)
    assert matches[0].text == "(aaaa"  # closest in length to the marked "(abc ab"


def test_pattern_runs_are_maximal_stretches_of_all_units_on():
    values = np.array([[0, 1], [1, 1], [1, 1], [1, 0], [1, 1], [0, 0]], float)
    assert interpret.pattern_runs(values, [0, 1]) == [(1, 3), (4, 5)]
    assert interpret.pattern_runs(values, [0]) == [(1, 5)]


@pytest.mark.parametrize("start, end, message", [(3, 3, "start < end"), (0, 6, "whole text")])
def test_unit_search_refuses_bad_spans(start, end, message):
    with pytest.raises(ValueError, match=message):
        interpret.find_units(np.zeros((6, 2)), start, end)
