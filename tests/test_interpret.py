"""gru_core.interpret: every view's numbers, checked against models whose
behaviour the test knows (built weights) or against a second computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.data import Vocab
from gru_core.models import ScratchGRU, make_model
from gru_core.training import half_state_dict, predict

LETTERS = "abcdefghijklmnopqrstuvwxyz "


@pytest.fixture(scope="module")
def vocab() -> Vocab:
    return Vocab(list(LETTERS))  # d2l's: <unk>, then 27 characters


def lively(model, scale: float = 0.6, seed: int = 0):
    """Replace d2l's tiny initial weights by larger random ones, so gates and
    states move far from 0.5 and 0 and the checks below have something to check."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * scale)
    return model


@pytest.fixture
def text_indices(vocab) -> np.ndarray:
    return interpret.encode_probe("the time traveller for so it will be convenient to speak "
                                  "of him was expounding a recondite matter to us", vocab).indices


# ---------------------------------------------------------------- probes

def test_probe_reports_unknown_characters_and_can_lowercase(vocab):
    probe = interpret.encode_probe("Time <X>", vocab)
    assert probe.unknown_positions == [0, 5, 6, 7]
    assert probe.indices[[0, 5, 6, 7]].tolist() == [0, 0, 0, 0]
    assert probe.indices[1] == vocab["i"]
    lowered = interpret.encode_probe("Time <X>", vocab, lowercase=True)
    assert lowered.text == "time <x>" and lowered.unknown_positions == [5, 7]
    assert lowered.chars[6] == "x"


@pytest.mark.parametrize("text, message", [("", "empty"), ("a" * 2001, "at most 2000")])
def test_probe_refuses_empty_and_overlong_text(vocab, text, message):
    with pytest.raises(ValueError, match=message):
        interpret.encode_probe(text, vocab)


def test_lowercase_is_suggested_only_for_a_vocabulary_without_capitals(vocab):
    assert interpret.suggests_lowercase(vocab)
    assert not interpret.suggests_lowercase(Vocab(list("aA b")))


# ---------------------------------------------------------------- unit ordering

@pytest.mark.parametrize("method", interpret.UNIT_ORDERS)
def test_every_ordering_is_a_permutation(method):
    values = np.random.default_rng(0).normal(size=(50, 17))
    values[:, 3] = 0.25  # a constant unit must not break the correlation
    order = interpret.order_units(values, method)
    assert sorted(order.tolist()) == list(range(17))


def test_mean_ordering_puts_the_most_active_unit_first():
    values = np.array([[0.1, 0.9, 0.5], [0.3, 0.7, 0.5]])
    assert interpret.order_units(values, "mean").tolist() == [1, 2, 0]


def test_clustering_keeps_units_that_move_together_side_by_side():
    rng = np.random.default_rng(1)
    signals = rng.normal(size=(200, 2))
    group_of_unit = np.arange(12) % 2  # the two groups interleaved
    values = signals[:, group_of_unit] + 0.1 * rng.normal(size=(200, 12))
    order = interpret.order_units(values, "cluster")
    assert len(set(group_of_unit[order[:6]])) == 1 and len(set(group_of_unit[order[6:]])) == 1


def test_unknown_ordering_is_refused():
    with pytest.raises(ValueError, match="unit order must be one of"):
        interpret.order_units(np.zeros((3, 2)), "alphabetical")


# ---------------------------------------------------------------- traces, predictions, perplexity

def test_long_trace_in_segments_reproduces_the_sequential_trace(text_indices):
    model = lively(make_model("scratch", 28, 12, seed=0))
    clamp = interpret.make_clamp(12, "reset_gate", 0.3, [1, 4])
    exact = model.trace(text_indices.tolist(), clamp=clamp)
    # a warm-up as long as the text lets every segment start at the true beginning
    segmented = interpret.long_trace(model, text_indices, clamp, segment_length=7,
                                     warmup=len(text_indices))
    for name in interpret.QUANTITIES:
        np.testing.assert_allclose(getattr(segmented, name), getattr(exact, name), atol=1e-6)
    np.testing.assert_allclose(segmented.logits, exact.logits, atol=1e-5)
    short_warmup = interpret.long_trace(model, text_indices, clamp, segment_length=7, warmup=2)
    # segment 0 starts where the text starts; later ones from a zero state 2 characters early
    np.testing.assert_allclose(short_warmup.hidden[:7], exact.hidden[:7], atol=1e-6)
    assert np.abs(short_warmup.hidden[7:] - exact.hidden[7:]).max() > 1e-3


def test_top_k_holds_the_largest_softmax_probabilities(vocab, text_indices):
    trace = lively(make_model("scratch", 28, 8, seed=0)).trace(text_indices.tolist())
    top = interpret.top_k(trace, vocab, k=3)
    probs = torch.softmax(torch.as_tensor(trace.logits, dtype=torch.float64), dim=1)
    expected = torch.topk(probs, 3, dim=1)
    np.testing.assert_allclose(top.probs, expected.values.numpy(), rtol=1e-9)
    assert top.chars[10] == [vocab.idx_to_token[i] if i else "\ufffd"
                             for i in expected.indices[10].tolist()]
    with pytest.raises(ValueError, match="k must be in"):
        interpret.top_k(trace, vocab, k=0)


def test_perplexity_of_a_model_that_knows_nothing_is_the_vocabulary_size(text_indices):
    model = lively(make_model("scratch", 28, 8, seed=0))
    with torch.no_grad():
        model.W_hq.zero_(), model.b_q.zero_()  # uniform predictions
    assert interpret.perplexity(model, text_indices) == pytest.approx(28.0, rel=1e-6)
    with pytest.raises(ValueError, match="at least two characters"):
        interpret.perplexity(model, text_indices[:1])


def test_perplexity_agrees_with_the_log_probs_of_the_trace(text_indices):
    model = lively(make_model("scratch-reset-after", 28, 8, seed=3), scale=0.4)
    trace = model.trace(text_indices.tolist())
    expected = np.exp(-interpret.next_char_log_probs(trace, text_indices).mean())
    assert interpret.perplexity(model, text_indices, segment_length=None) == pytest.approx(expected)


def test_greedy_sample_matches_d2l_predict(vocab):
    model = lively(make_model("scratch", 28, 16, seed=0), scale=0.3)
    prefix = "time traveller"
    expected = predict(prefix, 30, model, vocab)[len(prefix):]
    written = interpret.sample_continuation(model, np.array(vocab.encode(prefix)), vocab, 30)
    assert written == expected and len(written) == 30
    warm = [interpret.sample_continuation(model, np.array(vocab.encode(prefix)), vocab, 30,
                                          temperature=1.0, seed=5) for _ in range(2)]
    assert warm[0] == warm[1]  # a seed reproduces a sample


# ---------------------------------------------------------------- step through the math

@pytest.mark.parametrize("kind", ["scratch", "scratch-reset-after", "scratch-fast", "concise"])
def test_step_details_reproduce_the_trace(kind, vocab, text_indices):
    model = lively(make_model(kind, 28, 10, seed=0), scale=0.5)
    trace = model.trace(text_indices.tolist())
    for position, unit in [(0, 0), (17, 3), (len(text_indices) - 1, 9)]:
        step = interpret.step_details(model, trace, text_indices, vocab, position, unit)
        assert step.max_abs_diff < 1e-5
        assert step.hidden == pytest.approx(float(trace.hidden[position, unit]), abs=1e-5)
        assert step.update.pre_activation == pytest.approx(
            step.update.input_term + step.update.hidden_term + step.update.bias)
        assert step.hidden == pytest.approx(step.kept_old + step.added_new)
        assert step.char == LETTERS[text_indices[position] - 1]
        if step.reset_after:
            assert step.candidate.recurrent_term == pytest.approx(
                step.reset.value * step.candidate.recurrent_unreset)
        else:
            assert step.candidate.hidden_bias is None
    assert abs(step.update.value - 0.5) > 0.01  # lively weights: not the trivial 0.5 gate


def test_step_details_follow_a_clamp(vocab, text_indices):
    model = lively(make_model("scratch", 28, 6, seed=0))
    clamp = interpret.make_clamp(6, "update_gate", 1.0, [2])
    trace = model.trace(text_indices.tolist(), clamp=clamp)
    step = interpret.step_details(model, trace, text_indices, vocab, 9, 2, clamp)
    assert step.update.clamped and step.update.value == 1.0 and step.update.sigmoid < 1.0
    assert step.hidden == step.previous_hidden and step.max_abs_diff < 1e-6
    with pytest.raises(ValueError, match="unit must be in"):
        interpret.step_details(model, trace, text_indices, vocab, 9, 6)


# ---------------------------------------------------------------- parity lab

def test_parity_lab_rounding_for_reset_after_visible_gap_for_reset_before(text_indices):
    concise = make_model("concise", 28, 16, seed=0)
    report = interpret.parity_lab(concise, text_indices)
    assert report.hidden_diff["reset-after"].shape == (len(text_indices),)
    assert report.max_diff["reset-after"] < 1e-5
    assert report.max_diff["reset-before"] > 1e-3
    with pytest.raises(TypeError, match="nn.GRU"):
        interpret.parity_lab(make_model("scratch", 28, 4), text_indices)


# ---------------------------------------------------------------- gate saturation

def test_saturation_counts_built_in_saturated_gates(text_indices):
    model = make_model("scratch", 28, 5, seed=0)
    with torch.no_grad():
        model.b_z[0], model.b_z[1], model.b_r[2] = 20.0, -20.0, 20.0
    long_text = np.tile(text_indices, 5)
    saturation = interpret.gate_saturation(model, long_text, segment_length=64)
    assert saturation.num_chars == len(long_text)
    assert saturation.update_high[0] == 1.0 and saturation.update_low[1] == 1.0
    assert saturation.reset_high[2] == 1.0
    assert saturation.update_high[3] == 0.0 and saturation.update_low[3] == 0.0  # Z near 0.5
    with pytest.raises(ValueError, match="0 <= low < high <= 1"):
        interpret.gate_saturation(model, long_text, low=0.9, high=0.1)


# ---------------------------------------------------------------- saliency

def delay_line_model(vocab_size: int, k: int) -> ScratchGRU:
    """A GRU whose prediction after reading x_t is x_{t+1-k}: units form k slots
    of one unit per character; slot 0 encodes the character just read as +-1,
    slot i copies slot i-1 (update gate shut, Z ~ 2e-9), the output reads slot
    k-1. So log p(x_{t+1}) depends on the input exactly k steps before x_{t+1}."""
    model = ScratchGRU(vocab_size, k * vocab_size, seed=0)
    strength = 4.0
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.b_z.fill_(-20.0)   # Z ~ 0: H_t = H~_t
        model.b_r.fill_(20.0)    # R ~ 1: the recurrent path is open
        for c in range(vocab_size):
            model.W_xh[c, c] = 2 * strength
            model.b_h[c] = -strength                       # +4 if x_t == c else -4
            for slot in range(1, k):
                model.W_hh[(slot - 1) * vocab_size + c, slot * vocab_size + c] = strength
            model.W_hq[(k - 1) * vocab_size + c, c] = 5.0
    return model


@pytest.mark.parametrize("k", [2, 4])
def test_saliency_peaks_at_the_known_dependency(k):
    model = delay_line_model(5, k)
    # text that obeys the rule x_{t+1} = x_{t+1-k}: a random pattern of k repeated
    indices = np.tile(np.random.default_rng(k).integers(1, 5, k), 40)[:40]
    result = interpret.saliency(model, indices, position=30)
    assert result.weights.sum() == pytest.approx(1.0)
    assert result.distances[np.argmax(result.weights)] == k
    assert result.weights.max() > 0.99
    assert result.target == indices[31]
    assert result.log_prob > np.log(0.9)  # the delay line predicts the next character
    reach = interpret.memory_reach(model, indices, max_distance=8, max_positions=10)
    assert reach.distances[np.argmax(reach.mean_saliency)] == k
    assert reach.num_positions == 10


def test_batched_saliency_equals_one_position_at_a_time(text_indices):
    model = lively(make_model("scratch", 28, 12, seed=2), scale=0.4)
    positions = np.array([5, 20, 33])
    batched, _ = interpret._input_saliency(model, text_indices, positions,
                                           text_indices[positions + 1])
    for row, position in enumerate(positions):
        single = interpret.saliency(model, text_indices, int(position)).weights
        np.testing.assert_allclose(batched[row, :position + 1], single, atol=1e-6)
        assert np.all(batched[row, position + 1:] == 0)  # the future has no influence


def test_saliency_at_the_last_position_uses_the_top_prediction(text_indices):
    model = lively(make_model("concise", 28, 8, seed=0), scale=0.4)
    last = len(text_indices) - 1
    result = interpret.saliency(model, text_indices, last)
    assert result.target == int(model.trace(text_indices.tolist()).logits[-1].argmax())
    with pytest.raises(ValueError, match="needs at least 41"):
        interpret.memory_reach(model, text_indices[:30], max_distance=40)


# ---------------------------------------------------------------- unit search

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


# ---------------------------------------------------------------- interventions

def test_update_gate_clamped_to_one_freezes_the_state_exactly(text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0))
    start = np.random.default_rng(0).uniform(-0.9, 0.9, 9).astype(np.float32)
    frozen = model.trace(text_indices.tolist(), start, interpret.make_clamp(9, "update_gate", 1.0))
    assert np.array_equal(frozen.hidden, np.tile(start, (len(text_indices), 1)))


@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_update_gate_clamped_to_zero_leaves_only_the_candidate(kind, text_indices):
    model = lively(make_model(kind, 28, 9, seed=0))
    trace = model.trace(text_indices.tolist(), clamp=interpret.make_clamp(9, "update_gate", 0.0))
    assert np.array_equal(trace.hidden, trace.candidate)
    unclamped = model.trace(text_indices.tolist())
    assert not np.allclose(unclamped.hidden, unclamped.candidate)


def test_intervention_compares_clamped_and_unclamped_models(vocab, text_indices):
    model = lively(make_model("scratch", 28, 9, seed=0), scale=0.4)
    heldout = text_indices[::-1]
    result = interpret.intervene(model, text_indices, vocab,
                                 interpret.make_clamp(9, "update_gate", 1.0), heldout,
                                 k=3, num_chars=12)
    assert result.baseline.perplexity == pytest.approx(interpret.perplexity(model, heldout))
    # Z = 1 everywhere: the state never leaves 0, so every prediction is the same
    clamped = result.clamped
    assert np.all(clamped.trace.hidden == 0)
    assert all(row == clamped.top_k.chars[0] for row in clamped.top_k.chars)
    assert clamped.sample == clamped.sample[0] * 12
    assert clamped.perplexity != pytest.approx(result.baseline.perplexity)
    assert result.baseline.next_log_probs.shape == (len(text_indices) - 1,)


@pytest.mark.parametrize("arguments, message", [
    (("forget_gate", 1.0, None), "gate must be one of"),
    (("update_gate", 1.5, None), r"in \[0, 1\]"),
    (("reset_gate", 0.0, []), "at least one unit"),
    (("reset_gate", 0.0, [9]), r"units must be in \[0, 8\]")])
def test_bad_clamps_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        interpret.make_clamp(9, *arguments)


# ---------------------------------------------------------------- gates over training

@pytest.mark.parametrize("kind", ["scratch-reset-after", "concise"])
def test_snapshot_traces_replay_float16_snapshots(kind, text_indices):
    early = lively(make_model(kind, 28, 6, seed=0), seed=1)
    late = lively(make_model(kind, 28, 6, seed=0), seed=2)
    snapshots = [{"epoch": 20, "state_dict": half_state_dict(late)},
                 {"epoch": 0, "state_dict": half_state_dict(early)}]
    replayed = interpret.snapshot_traces(snapshots, text_indices)
    assert [s.epoch for s in replayed] == [0, 20]
    rounded = interpret.model_from_state_dict(half_state_dict(late))
    assert type(rounded) is type(late) and next(rounded.parameters()).dtype == torch.float32
    np.testing.assert_array_equal(replayed[1].trace.hidden,
                                  rounded.trace(text_indices.tolist()).hidden)
    assert not np.allclose(replayed[0].trace.hidden, replayed[1].trace.hidden)


def test_snapshots_must_exist_and_match_a_model(text_indices):
    with pytest.raises(ValueError, match="no parameter snapshots"):
        interpret.snapshot_traces([], text_indices)
    with pytest.raises(ValueError, match="missing W_xz"):
        interpret.model_from_state_dict({"weight": torch.zeros(2)})
