"""gru_core.interpret.notable_units: planted units are found with the right
sentence and number; untrained models claim nothing; fast enough to refresh live."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.data import Vocab
from gru_core.models import make_model

SPACE_UNIT, MEMORY_UNIT, RESET_UNIT, POSITION_UNIT = 137, 40, 88, 12


@pytest.fixture(scope="module")
def book_vocab(time_machine) -> Vocab:
    return time_machine.vocab


@pytest.fixture(scope="module")
def stretch(time_machine) -> np.ndarray:
    return np.asarray(time_machine.heldout[:2000])


def planted(vocab: Vocab) -> torch.nn.Module:
    """d2l's untrained model with four units set by hand: 137 is +1 after a
    space and -1 after anything else; 40 keeps its state (Z = 1 - 1e-4);
    88's reset gate shuts at spaces; 12 counts letters since the last space."""
    model = make_model("scratch", len(vocab), 256, seed=0)
    space = vocab[" "]
    letters = [i for i in range(len(vocab)) if i != space]
    with torch.no_grad():
        for unit in (SPACE_UNIT, MEMORY_UNIT, RESET_UNIT, POSITION_UNIT):
            model.W_hz[:, unit] = model.W_hh[:, unit] = model.W_hr[:, unit] = 0
        model.W_xz[:, SPACE_UNIT] = -12.0            # Z = 0: H = H~ = tanh(+-6)
        model.W_xh[:, SPACE_UNIT] = -6.0
        model.W_xh[space, SPACE_UNIT] = 6.0
        model.W_xz[:, MEMORY_UNIT] = 9.2             # Z = 0.9999
        model.W_xr[:, RESET_UNIT] = 6.0
        model.W_xr[space, RESET_UNIT] = -6.0         # R = 0.0025 at spaces, 0.9975 elsewhere
        model.W_xz[letters, POSITION_UNIT] = 1.386   # Z = 0.8 in a word: H creeps towards +1
        model.W_xz[space, POSITION_UNIT] = -12.0     # a space writes H~ = -1 at once
        model.W_xh[letters, POSITION_UNIT] = 6.0
        model.W_xh[space, POSITION_UNIT] = -6.0
    return model


def test_planted_units_are_found_with_the_right_sentence(book_vocab, stretch):
    model = planted(book_vocab)
    found = interpret.notable_units(model, stretch, book_vocab)
    Z = interpret.long_trace(model, stretch).update_gate[:, MEMORY_UNIT].astype(np.float64)
    half_life = np.log(0.5) / np.log(Z).mean()      # the number behind the sentence
    assert 6_500 < half_life < 7_000                 # ln 2 / (1 - sigmoid(9.2)) ≈ 6,861
    boundary = found.by_kind("word boundary")[0]
    assert boundary.unit == SPACE_UNIT and boundary.score == pytest.approx(1.0)
    assert (boundary.rate, boundary.other_rate) == (1.0, 0.0)
    assert boundary.sentence == (f"unit {SPACE_UNIT}: H is above +0.00 at 100 % of spaces and "
                                 f"at 0 % of other characters (r = 1.00)")
    assert found.by_kind("reset at spaces")[0].unit == RESET_UNIT
    assert "R is below" in found.by_kind("reset at spaces")[0].sentence
    memory = found.by_kind("long memory")[0]
    assert memory.unit == MEMORY_UNIT
    assert memory.sentence == (f"unit {MEMORY_UNIT}: Z > 0.9 at 100 % of characters: it keeps "
                               f"its state (half-life ≈ {half_life:,.0f} characters)")
    position = found.by_kind("word position")[0]
    assert position.unit == POSITION_UNIT and "rises with the position inside a word" in \
        position.sentence
    assert found.groups["word boundary"][0] == SPACE_UNIT
    assert found.units[0] == SPACE_UNIT and len(found.units) == len(set(found.units))


@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_an_untrained_model_claims_nothing(book_vocab, stretch, kind):
    """d2l's and PyTorch's initial weights: states near 0, gates near 0.5."""
    found = interpret.notable_units(make_model(kind, len(book_vocab), 256, seed=0), stretch,
                                    book_vocab)
    assert found.findings == [] and found.num_chars == len(stretch)


def test_random_weights_yield_no_strong_false_findings(book_vocab, stretch):
    model = make_model("scratch", len(book_vocab), 256, seed=0)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
    found = interpret.notable_units(model, stretch, book_vocab)
    assert all(f.score < 0.8 for f in found.findings if f.kind not in ("long memory",
                                                                        "saturated"))
    assert not any(f.rate >= 0.9 and f.other_rate <= 0.1 for f in found.findings
                   if f.rate is not None)   # no false "93 % of spaces"


def test_quotes_and_brackets_are_checked_only_where_the_text_has_them(book_vocab, stretch):
    found = interpret.notable_units(make_model("scratch", 28, 16, seed=0), stretch, book_vocab)
    assert "quote" not in found.checked and "word boundary" in found.checked
    chars = list('say "hi" (there) ' * 10)
    trace = make_model("scratch", 40, 8, seed=0).trace([1] * len(chars))
    assert {"quote", "bracket"} <= set(interpret.notable_units_from_trace(trace, chars).checked)


def test_units_of_the_findings_lead_the_default_order(book_vocab, stretch):
    model = planted(book_vocab)
    found = interpret.notable_units(model, stretch, book_vocab)
    trace = interpret.long_trace(model, stretch)
    order = interpret.grouped_order(trace.hidden, found.groups.values())
    assert sorted(order.tolist()) == list(range(256))
    assert order[:len(found.units)].tolist() == found.units


def test_fast_enough_to_refresh_a_live_run(book_vocab, stretch):
    """Target: < 150 ms for 2,000 characters at 256 units, trace included (on
    an idle core; the bound here leaves room for a shared machine)."""
    model = planted(book_vocab)
    interpret.notable_units(model, stretch, book_vocab)  # warm up
    times = []
    for _ in range(3):
        started = time.perf_counter()
        interpret.notable_units(model, stretch, book_vocab)
        times.append(time.perf_counter() - started)
    assert min(times) < 0.6
