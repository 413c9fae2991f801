"""Interventions: gates clamped to fixed values, the model with and without them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from torch import nn

from ..data import Corpus, Vocab
from ..models import NO_CLAMP, Clamp, GateClamp, GateTrace, ScratchGRU
from ..sampling import check_sampling
from .cells import as_indices, readable_cell
from .long_traces import next_char_log_probs, perplexity
from .predictions import TopK, continue_trace, top_k
from .quantities import GATES, QUANTITY_SYMBOLS


def make_clamp(num_hiddens: int, gate: str, value: float,
               units: Sequence[int] | None = None) -> Clamp:
    """A checked clamp for ``ScratchGRU.trace``/``cell``: force ``gate``
    ("update_gate" or "reset_gate") of ``units`` (None: all) to ``value``.
    Combine two with ``a | b``."""
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)} (got '{gate}')")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a gate is a sigmoid: the clamp value must be in [0, 1] (got {value})")
    if units is not None:
        units = tuple(sorted({int(u) for u in units}))
        if not units:
            raise ValueError("choose at least one unit to clamp (or all units)")
        if units[0] < 0 or units[-1] >= num_hiddens:
            raise ValueError(f"units must be in [0, {num_hiddens - 1}] (got {list(units)})")
    return Clamp(**{gate: GateClamp(units, float(value))})


@dataclass
class ModelView:
    """One side of an intervention: the probe's trace and predictions, a
    continuation, and perplexity on held-out text (``perplexity``) and, when
    given, on the text the model was trained on (``training_perplexity``)."""
    trace: GateTrace
    top_k: TopK
    next_log_probs: np.ndarray
    sample: str
    perplexity: float
    training_perplexity: float | None = None

    @property
    def heldout_perplexity(self) -> float:
        return self.perplexity


@dataclass
class Intervention:
    clamp: Clamp
    baseline: ModelView
    clamped: ModelView
    vocab_size: int = 0

    @property
    def summary(self) -> str:
        """What the clamp did, in words built from the numbers (see ``summarise``)."""
        return summarise(self)


def _model_view(cell: ScratchGRU, probe_indices, vocab, clamp: Clamp, heldout_indices,
                training_indices, k, num_chars, temperature, seed) -> ModelView:
    trace = cell.trace(probe_indices.tolist(), clamp=clamp)
    trained = None if training_indices is None else perplexity(cell, training_indices, clamp)
    return ModelView(trace, top_k(trace, vocab, k), next_char_log_probs(trace, probe_indices),
                     continue_trace(cell, trace, vocab, num_chars, temperature, clamp, seed),
                     perplexity(cell, heldout_indices, clamp), trained)


def intervene(model: nn.Module, probe_indices, vocab: Vocab, clamp: Clamp, heldout_indices,
              k: int = 5, num_chars: int = 50, temperature: float = 0.0,
              seed: int | None = 0, training_indices=None) -> Intervention:
    """The model with and without ``clamp`` (see ``make_clamp``), side by side.
    The sample continues the probe; both sides use the same seed. Perplexity
    is measured on ``heldout_indices`` and, when given, ``training_indices``
    (a stretch of the text the model was trained on; ``comparison_texts``
    cuts equal stretches of both from a corpus); ``Intervention.summary`` says
    in words which is which and what changed."""
    if not isinstance(clamp, Clamp):
        raise TypeError(f"clamp must be a Clamp (build one with make_clamp), got "
                        f"{type(clamp).__name__}")
    if not clamp:
        raise ValueError(f"clamp must name update_gate and/or reset_gate (got {clamp!r})")
    check_sampling(num_chars, temperature)  # before either side runs
    cell = readable_cell(model)
    probe_indices = as_indices(probe_indices, cell.vocab_size, "probe")
    heldout_indices = as_indices(heldout_indices, cell.vocab_size, "held-out text")
    if training_indices is not None:
        training_indices = as_indices(training_indices, cell.vocab_size, "training text")
    sides = [_model_view(cell, probe_indices, vocab, side_clamp, heldout_indices,
                         training_indices, k, num_chars, temperature, seed)
             for side_clamp in (NO_CLAMP, clamp)]
    return Intervention(clamp, *sides, vocab_size=cell.vocab_size)


def comparison_texts(corpus: Corpus, num_chars: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out): the first ``num_chars`` characters the model was
    trained on and the first ``num_chars`` it never saw, for ``intervene``."""
    if not corpus.heldout:
        raise ValueError(f"{corpus.name} has no held-out text: train on fewer characters "
                         f"than the text has to keep some back")
    return (np.asarray(corpus.indices[:num_chars], np.int64),
            np.asarray(corpus.heldout[:num_chars], np.int64))


# ---------------------------------------------------------------- in words

SAME = 0.02    # relative change below which perplexity counts as unchanged
MEMORISED = 3.0  # held-out perplexity this many times the training one: memorised


def describe_clamp(clamp: Clamp) -> str:
    """"Clamping Z to 1", "Clamping R of units 2, 5 to 0", or both joined."""
    parts = []
    for name, forced in clamp.gates().items():
        symbol = QUANTITY_SYMBOLS[name]
        units = ("" if forced.units is None else
                 f" of unit{'s' if len(forced.units) > 1 else ''} "
                 f"{', '.join(str(u) for u in forced.units)}")
        parts.append(f"{symbol}{units} to {forced.value:g}")
    return "Clamping " + " and ".join(parts)


def _number(value: float) -> str:
    return f"{value:.3g}"


def _change(before: float, after: float, what: str) -> tuple[int, str]:
    """(direction -1/0/+1, "raises perplexity on X from a to b")."""
    if abs(after - before) <= SAME * before:
        return 0, f"leaves {what} at {_number(before)}"
    verb, direction = ("raises", 1) if after > before else ("lowers", -1)
    return direction, f"{verb} {what} from {_number(before)} to {_number(after)}"


def summarise(result: Intervention) -> str:
    """One or two sentences from the numbers: what the clamp did to perplexity
    on the training text and on held-out text, and what that says."""
    base, clamped = result.baseline, result.clamped
    start = describe_clamp(result.clamp)
    held_dir, held = _change(base.perplexity, clamped.perplexity, "perplexity on held-out text")
    if base.training_perplexity is None or clamped.training_perplexity is None:
        return f"{start} {held}."
    train_dir, train = _change(base.training_perplexity, clamped.training_perplexity,
                               "perplexity on the training text")
    held = held.replace("perplexity on held-out text", "it on held-out text")
    notes = []
    if base.perplexity > MEMORISED * base.training_perplexity:
        uniform = (f", worse than a uniform guess over {result.vocab_size} characters"
                   if result.vocab_size and base.perplexity > result.vocab_size else "")
        notes.append(f"the model memorised its training text ({_number(base.training_perplexity)}"
                     f" there against {_number(base.perplexity)} on held-out text{uniform})")
    notes.append(_meaning(train_dir, held_dir))
    return f"{start} {train} and {held}: " + "; ".join(notes) + "."


def _meaning(train_dir: int, held_dir: int) -> str:
    """What the two directions say about the gate the clamp overrode."""
    return {(1, -1): "the clamp helps only where the model had nothing useful to say",
            (1, 1): "the model relies on this gate on both texts",
            (1, 0): "the model relies on this gate for its training text only",
            (0, 1): "the model relies on this gate for held-out text only",
            (-1, -1): "the clamp helps on both texts: the model uses this gate badly "
                      "(it may be undertrained)",
            (-1, 1): "the clamp fits the training text better and held-out text worse",
            (-1, 0): "the clamp helps on the training text only",
            (0, -1): "the clamp helps on held-out text only",
            (0, 0): "the model does not depend on this gate here"}[(train_dir, held_dir)]
