"""Unit search (LSTMVis): units on over a marked span, and where else they switch on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from torch import nn

from ..data import Vocab
from .cells import as_indices, readable_cell
from .long_traces import long_trace
from .probes import decode
from .quantities import quantity


@dataclass
class UnitHit:
    """A unit that is on (>= threshold) over the marked span and off around it.
    ``score`` = on-fraction inside x off-fraction around (1 = a perfect match)."""
    unit: int
    score: float
    inside_mean: float
    outside_mean: float

    @property
    def exact(self) -> bool:
        return self.score == 1.0


def _span_and_surroundings(length: int, start: int, end: int, margin: int):
    if not 0 <= start < end <= length:
        raise ValueError(f"the marked span must satisfy 0 <= start < end <= {length} "
                         f"(got start={start}, end={end})")
    if margin < 1:
        raise ValueError(f"margin must be >= 1 character (got {margin})")
    around = np.r_[max(0, start - margin):start, end:min(length, end + margin)]
    if around.size == 0:
        raise ValueError("the span covers the whole text: leave at least one character "
                         "outside it to compare against")
    return np.arange(start, end), around


def find_units(values: np.ndarray, start: int, end: int, threshold: float = 0.5,
               margin: int = 3, limit: int = 10) -> list[UnitHit]:
    """LSTMVis' selection: units of ``values`` (T, U) high over [start, end)
    and low within ``margin`` characters either side, best first (score, then
    the gap between inside and outside means). Units with score 0 are left out."""
    inside, around = _span_and_surroundings(len(values), start, end, margin)
    on_inside = (values[inside] >= threshold).mean(axis=0)
    off_around = (values[around] < threshold).mean(axis=0)
    scores = on_inside * off_around
    gaps = values[inside].mean(axis=0) - values[around].mean(axis=0)
    ranked = sorted(np.flatnonzero(scores > 0), key=lambda u: (-scores[u], -gaps[u]))
    return [UnitHit(int(u), float(scores[u]), float(values[inside, u].mean()),
                    float(values[around, u].mean())) for u in ranked[:limit]]


def pattern_runs(values: np.ndarray, units: Sequence[int],
                 threshold: float = 0.5) -> list[tuple[int, int]]:
    """Maximal runs [start, end) where every chosen unit is >= threshold: each
    is on inside and (by maximality) some chosen unit is off at both edges."""
    if len(units) == 0:
        raise ValueError("choose at least one unit to search for")
    on = np.concatenate([[False], (values[:, list(units)] >= threshold).all(axis=1), [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


@dataclass
class PatternMatch:
    """One run of the chosen units, with ``context`` characters either side."""
    start: int
    end: int
    before: str
    text: str
    after: str


def match_in_corpus(model: nn.Module, indices, vocab: Vocab, units: Sequence[int],
                    threshold: float = 0.5, quantity_name: str = "hidden",
                    span_length: int | None = None, context: int = 20,
                    limit: int = 20) -> list[PatternMatch]:
    """Where else in a long stretch do ``units`` switch on together? Runs are
    ranked by how close their length is to ``span_length`` (the marked span's),
    then by position; each comes with ``context`` characters either side."""
    cell = readable_cell(model)
    indices = as_indices(indices, cell.vocab_size)
    if any(not 0 <= u < cell.num_hiddens for u in units):
        raise ValueError(f"units must be in [0, {cell.num_hiddens - 1}] (got {list(units)})")
    values = quantity(long_trace(cell, indices), quantity_name)
    runs = pattern_runs(values, units, threshold)
    if span_length is not None:
        runs.sort(key=lambda run: (abs(run[1] - run[0] - span_length), run[0]))
    chars = decode(indices, vocab)

    def text(a, b):
        return "".join(chars[max(a, 0):b])
    return [PatternMatch(a, b, text(a - context, a), text(a, b), text(b, b + context))
            for a, b in runs[:limit]]
