"""Inspection: what a trained GRU does, as numbers (numpy), from a model and text.

Everything runs the readable cell, ``ScratchGRU.cell`` — the chapter's four
equations — so what the app shows is the equations with the model's numbers.
``nn.GRU`` (``ConciseGRU``) is read through ``scratch_from_concise(...,
reset_after=True)``, which reproduces it to float rounding (see ``parity_lab``).

Sections follow the app's views: probes -> long traces and perplexity -> unit
ordering -> predictions and samples -> step-through -> parity lab -> gate
saturation -> saliency -> unit search -> interventions -> gates over training.
No Streamlit here; figures live in ``figures.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Vocab
from .models import SCRATCH_PARAM_NAMES, ConciseGRU, GateTrace, ScratchGRU, scratch_from_concise

# The four quantities of a trace, by their GateTrace field names.
QUANTITIES = ("update_gate", "reset_gate", "candidate", "hidden")
QUANTITY_SYMBOLS = {"update_gate": "Z", "reset_gate": "R", "candidate": "H̃", "hidden": "H"}
QUANTITY_NAMES = {"update_gate": "update gate Z", "reset_gate": "reset gate R",
                  "candidate": "candidate H̃", "hidden": "hidden state H"}
# Gates are sigmoids, candidate and state are tanh-bounded.
QUANTITY_RANGES = {"update_gate": (0.0, 1.0), "reset_gate": (0.0, 1.0),
                   "candidate": (-1.0, 1.0), "hidden": (-1.0, 1.0)}
GATES = ("update_gate", "reset_gate")
MAX_PROBE_CHARS = 2000
# Long stretches run as parallel segments; each starts this many characters
# early so its state has settled before its own characters come (see long_trace).
SEGMENT_LENGTH = 128
WARMUP = 64


# ---------------------------------------------------------------- models

def readable_cell(model: nn.Module) -> ScratchGRU:
    """The scratch cell that computes ``model``'s numbers: the model itself for
    ScratchGRU (and its fast subclass), nn.GRU's weights in the reset-after cell
    for ConciseGRU."""
    if isinstance(model, ConciseGRU):
        return scratch_from_concise(model, reset_after=True)
    if isinstance(model, ScratchGRU):
        return model
    raise TypeError(f"expected a ScratchGRU or ConciseGRU model, got {type(model).__name__}")


def model_from_state_dict(state_dict: dict) -> nn.Module:
    """Rebuild a model from a (possibly float16) snapshot state_dict, as float32
    on the CPU. The kind follows from the keys: nn.GRU's ``rnn.*`` / ``linear.*``,
    else the scratch names (``b_hh`` marks the reset-after cell)."""
    weights = {name: value.detach().to("cpu", torch.float32) for name, value in state_dict.items()}
    if "rnn.weight_ih_l0" in weights:
        three_hiddens, vocab_size = weights["rnn.weight_ih_l0"].shape  # r, z, n stacked
        model = ConciseGRU(vocab_size, three_hiddens // 3, seed=0)
        model.load_state_dict(weights)
        return model
    missing = [name for name in SCRATCH_PARAM_NAMES if name not in weights]
    if missing:
        raise ValueError(f"state_dict is neither nn.GRU's nor the scratch cell's: missing "
                         f"{', '.join(missing)}")
    vocab_size, num_hiddens = weights["W_xz"].shape
    model = ScratchGRU(vocab_size, num_hiddens, reset_after="b_hh" in weights, seed=0)
    model.load_state_dict({name: weights[name] for name in model.state_dict()})
    return model


def _as_indices(indices, vocab_size: int, name: str = "indices") -> np.ndarray:
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if indices.size == 0:
        raise ValueError(f"{name} is empty: give at least one character")
    if indices.min() < 0 or indices.max() >= vocab_size:
        raise ValueError(f"{name} must be token indices in [0, {vocab_size - 1}] "
                         f"(got {indices.min()}..{indices.max()})")
    return indices


def _one_hot(indices: np.ndarray, cell: ScratchGRU) -> torch.Tensor:
    return F.one_hot(torch.as_tensor(indices, device=cell.device), cell.vocab_size).float()


def _check_position(name: str, value: int, size: int) -> int:
    if not 0 <= int(value) < size:
        raise ValueError(f"{name} must be in [0, {size - 1}] (got {value})")
    return int(value)


# ---------------------------------------------------------------- probes

@dataclass
class Probe:
    """A text ready for the model. ``chars`` holds the text's own characters
    (one per position, for display); ``unknown_positions`` are those the
    vocabulary lacks, fed to the model as ``<unk>`` (index 0)."""
    text: str
    indices: np.ndarray
    unknown_positions: list[int]

    @property
    def chars(self) -> list[str]:
        return list(self.text)


def encode_probe(text: str, vocab: Vocab, lowercase: bool = False,
                 max_chars: int = MAX_PROBE_CHARS) -> Probe:
    """Text -> indices; ``lowercase`` first for d2l's letters-and-space vocabulary."""
    if not isinstance(text, str):
        raise TypeError(f"the probe must be text (got {type(text).__name__})")
    if lowercase:
        text = text.lower()
    if not text:
        raise ValueError("the probe text is empty: type at least one character for the "
                         "model to read")
    if len(text) > max_chars:
        raise ValueError(f"the probe text has {len(text)} characters; at most {max_chars} "
                         f"can be shown. Use a shorter text.")
    unknown = [t for t, char in enumerate(text) if char not in vocab.token_to_idx]
    indices = np.array([vocab.token_to_idx.get(char, vocab.unk) for char in text], np.int64)
    return Probe(text, indices, unknown)


def suggests_lowercase(vocab: Vocab) -> bool:
    """True for a vocabulary without capitals (d2l's), where lowercasing a probe
    turns unknown capitals into known letters."""
    return not any(len(token) == 1 and token.isupper() for token in vocab.idx_to_token)


def decode(indices, vocab: Vocab, unknown: str = "\ufffd") -> list[str]:
    """One display character per position (``<unk>`` as a replacement mark)."""
    return [unknown if int(i) == vocab.unk else vocab.idx_to_token[int(i)] for i in indices]


# ---------------------------------------------------------------- long traces

@torch.no_grad()
def long_trace(model: nn.Module, indices, clamp: dict | None = None,
               segment_length: int | None = SEGMENT_LENGTH, warmup: int = WARMUP) -> GateTrace:
    """The trace of a long stretch, run as parallel segments (one batch row each).

    Segment s covers [s*L, (s+1)*L) and starts reading ``warmup`` characters
    early from a zero state, so by its first own character the state has (in
    practice) forgotten the cut; segment 0 starts at the true beginning. With
    ``segment_length=None`` it is one segment: exactly ``model.trace``.
    ``previous_hidden`` is only exact within a segment."""
    cell = readable_cell(model)
    indices = _as_indices(indices, cell.vocab_size)
    length = len(indices)
    if segment_length is None or segment_length >= length:
        return cell.trace(indices.tolist(), clamp=clamp)
    if segment_length < 1 or warmup < 0:
        raise ValueError(f"segment_length must be >= 1 and warmup >= 0 "
                         f"(got {segment_length}, {warmup})")
    starts = np.arange(0, length, segment_length)
    positions = starts[:, None] - warmup + np.arange(warmup + segment_length)[None, :]
    inside = torch.as_tensor((positions >= 0) & (positions < length), device=cell.device)
    inputs = _one_hot(indices[np.clip(positions, 0, length - 1)], cell)   # (S, steps, V)
    H = torch.zeros(len(starts), cell.num_hiddens, device=cell.device)
    kept = {name: [] for name in QUANTITIES}
    for step in range(positions.shape[1]):
        Z, R, H_tilde, H = cell.cell(inputs[:, step], H, clamp)
        H = torch.where(inside[:, step, None], H, torch.zeros_like(H))  # not started yet: H0 = 0
        if step >= warmup:
            for name, value in zip(QUANTITIES, (Z, R, H_tilde, H)):
                kept[name].append(value)
    # (steps, S, U) -> (S, steps, U) -> positions in order, cut to the stretch
    arrays = {name: torch.stack(rows, 1).reshape(-1, cell.num_hiddens)[:length]
              for name, rows in kept.items()}
    logits = arrays["hidden"] @ cell.W_hq + cell.b_q
    as_numpy = {name: value.cpu().numpy() for name, value in arrays.items()}
    return GateTrace(logits=logits.cpu().numpy(),
                     initial_hidden=np.zeros(cell.num_hiddens, np.float32), **as_numpy)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def next_char_log_probs(trace: GateTrace, indices) -> np.ndarray:
    """log p(x_{t+1} | x_<=t) for t = 0..T-2: how well each next character was predicted."""
    indices = np.asarray(indices, np.int64)
    log_probs = _log_softmax(trace.logits[:-1])
    return log_probs[np.arange(len(indices) - 1), indices[1:]]


def perplexity(model: nn.Module, indices, clamp: dict | None = None,
               segment_length: int | None = SEGMENT_LENGTH, warmup: int = WARMUP) -> float:
    """exp(mean cross-entropy) of predicting indices[1:] from what came before,
    as d2l measures it; on held-out text (with an optional clamp)."""
    indices = _as_indices(indices, readable_cell(model).vocab_size)
    if len(indices) < 2:
        raise ValueError("perplexity needs at least two characters (one to read, one to predict)")
    trace = long_trace(model, indices, clamp, segment_length, warmup)
    return float(np.exp(-next_char_log_probs(trace, indices).mean()))


# ---------------------------------------------------------------- unit ordering

UNIT_ORDERS = ("none", "mean", "cluster")


def order_units(values: np.ndarray, method: str = "mean") -> np.ndarray:
    """A permutation of the units (columns of a (T, U) array) for heatmap rows:
    "none", "mean" (highest mean activation first) or "cluster" (units that move
    together sit together: average-linkage clustering on 1 - correlation)."""
    values = np.asarray(values, np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be (characters, units) (got shape {values.shape})")
    if method == "none":
        return np.arange(values.shape[1])
    if method == "mean":
        return np.argsort(-values.mean(axis=0), kind="stable")
    if method == "cluster":
        return _average_linkage_order(1.0 - _unit_correlation(values))
    raise ValueError(f"unit order must be one of {', '.join(UNIT_ORDERS)} (got '{method}')")


def _unit_correlation(values: np.ndarray) -> np.ndarray:
    """Pearson correlation between units over time; a constant unit correlates
    with nothing (0) rather than NaN."""
    centred = values - values.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    scaled = centred / np.where(norms > 0, norms, 1.0)
    correlation = scaled.T @ scaled
    np.fill_diagonal(correlation, 1.0)
    return correlation


def _average_linkage_order(distance: np.ndarray) -> np.ndarray:
    """Leaf order of average-linkage agglomerative clustering (numpy only:
    scipy is not a dependency). Merges the closest pair of clusters each round;
    a merged cluster lists its first member's leaves, then its second's."""
    n = len(distance)
    distance = distance.astype(np.float64).copy()
    np.fill_diagonal(distance, np.inf)
    sizes = np.ones(n)
    leaves = [[unit] for unit in range(n)]
    root = 0
    for _ in range(n - 1):
        a, b = sorted(divmod(int(np.argmin(distance)), n))
        merged = (distance[a] * sizes[a] + distance[b] * sizes[b]) / (sizes[a] + sizes[b])
        distance[a], distance[:, a] = merged, merged
        distance[a, a] = np.inf
        distance[b], distance[:, b] = np.inf, np.inf
        leaves[a] += leaves[b]
        sizes[a] += sizes[b]
        root = a
    return np.array(leaves[root])


# ---------------------------------------------------------------- predictions

@dataclass
class TopK:
    """The k likeliest next characters after each position: (T, k) arrays."""
    indices: np.ndarray
    probs: np.ndarray
    chars: list[list[str]]


def top_k(trace: GateTrace, vocab: Vocab, k: int = 5) -> TopK:
    if not 1 <= k <= trace.logits.shape[1]:
        raise ValueError(f"k must be in [1, {trace.logits.shape[1]}] (got {k})")
    probs = np.exp(_log_softmax(trace.logits))
    best = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return TopK(best, np.take_along_axis(probs, best, axis=1),
                [decode(row, vocab) for row in best])


@torch.no_grad()
def sample_continuation(model: nn.Module, prefix_indices, vocab: Vocab, num_chars: int = 50,
                        temperature: float = 0.0, clamp: dict | None = None,
                        seed: int | None = 0) -> str:
    """Read the prefix, then write ``num_chars`` characters (the continuation
    only): greedy at temperature 0 (d2l's predict_ch8), else sampled from
    softmax(logits / temperature). The clamp, if any, holds throughout."""
    cell = readable_cell(model)
    prefix_indices = _as_indices(prefix_indices, cell.vocab_size, "prefix")
    prefix = cell.trace(prefix_indices.tolist(), clamp=clamp)
    return _continue_trace(cell, prefix, vocab, num_chars, temperature, clamp, seed)


@torch.no_grad()
def _continue_trace(cell: ScratchGRU, prefix: GateTrace, vocab: Vocab, num_chars: int,
                    temperature: float, clamp: dict | None, seed: int | None) -> str:
    """Write on from the last state of an existing trace."""
    if num_chars < 0 or temperature < 0:
        raise ValueError(f"num_chars and temperature must be >= 0 (got {num_chars}, {temperature})")
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(seed)
    H = torch.as_tensor(prefix.hidden[-1:], device=cell.device)
    logits = torch.as_tensor(prefix.logits[-1])
    written = []
    for _ in range(num_chars):
        if temperature == 0:
            token = int(logits.argmax())
        else:
            probs = torch.softmax(logits.float().cpu() / temperature, dim=0)
            token = int(torch.multinomial(probs, 1, generator=generator))
        written.append(token)
        _, _, _, H = cell.cell(_one_hot(np.array([token]), cell), H, clamp)
        logits = (H @ cell.W_hq + cell.b_q)[0]
    return "".join(decode(written, vocab))


# ---------------------------------------------------------------- step through the math

@dataclass
class GateTerms:
    """sigma(x_t W_x[j] + H_{t-1} W_h[j] + b[j]) term by term; ``value`` is the
    gate the cell used (``clamped`` when an intervention overrode the sigmoid)."""
    input_term: float
    hidden_term: float
    bias: float
    pre_activation: float
    sigmoid: float
    value: float
    clamped: bool


@dataclass
class CandidateTerms:
    """tanh(input_term + recurrent_term + bias). Reset before (d2l):
    recurrent_term = ((R * H_{t-1}) W_hh)[j] and recurrent_unreset = (H_{t-1} W_hh)[j].
    Reset after (nn.GRU): recurrent_term = R[j] * recurrent_unreset with
    recurrent_unreset = (H_{t-1} W_hh)[j] + b_hh[j]; ``hidden_bias`` is b_hh[j]."""
    input_term: float
    recurrent_unreset: float
    recurrent_term: float
    bias: float
    hidden_bias: float | None
    pre_activation: float
    value: float


@dataclass
class StepDetails:
    """Every number of the cell at position t for unit j, and the check that
    they reproduce the trace."""
    position: int
    unit: int
    char: str
    char_index: int
    reset_after: bool
    update: GateTerms
    reset: GateTerms
    candidate: CandidateTerms
    previous_hidden: float
    kept_old: float        # Z * H_{t-1}: the path that keeps the old state
    added_new: float       # (1 - Z) * H~: the path that writes the candidate
    hidden: float          # H_t = kept_old + added_new
    max_abs_diff: float    # largest |recomputed - trace| over Z, R, H~, H

    @property
    def keep_share(self) -> float:
        """How much of H_t's magnitude came through the keep path (0..1)."""
        total = abs(self.kept_old) + abs(self.added_new)
        return abs(self.kept_old) / total if total > 0 else 0.5


def _column(cell: ScratchGRU, name: str, unit: int) -> np.ndarray:
    return getattr(cell, name).detach()[..., unit].cpu().double().numpy()


def _gate_terms(cell, gate: str, char_index: int, previous, unit: int, clamp) -> GateTerms:
    """``gate`` is "z" or "r" (the letter in W_xz, W_hz, b_z)."""
    input_term = float(_column(cell, f"W_x{gate}", unit)[char_index])
    hidden_term = float(previous @ _column(cell, f"W_h{gate}", unit))
    bias = float(_column(cell, f"b_{gate}", unit))
    pre_activation = input_term + hidden_term + bias
    sigmoid = float(1.0 / (1.0 + np.exp(-pre_activation)))
    forced = _clamp_value(clamp, "update_gate" if gate == "z" else "reset_gate", unit)
    used = sigmoid if forced is None else forced
    return GateTerms(input_term, hidden_term, bias, pre_activation, sigmoid, used,
                     forced is not None)


def _clamp_value(clamp: dict | None, name: str, unit: int) -> float | None:
    """The value ``apply_clamp`` forces on this unit of this gate, or None."""
    if not clamp or name not in clamp:
        return None
    units, value = clamp[name]
    return float(value) if units is None or unit in set(units) else None


def _candidate_terms(cell, char_index: int, previous, reset_vector, reset_gate: float,
                     unit: int) -> CandidateTerms:
    input_term = float(_column(cell, "W_xh", unit)[char_index])
    W_hh = _column(cell, "W_hh", unit)
    bias = float(_column(cell, "b_h", unit))
    if cell.reset_after:
        hidden_bias = float(_column(cell, "b_hh", unit))
        unreset = float(previous @ W_hh) + hidden_bias
        recurrent = reset_gate * unreset
    else:
        hidden_bias, unreset = None, float(previous @ W_hh)
        recurrent = float((reset_vector * previous) @ W_hh)
    pre_activation = input_term + recurrent + bias
    return CandidateTerms(input_term, unreset, recurrent, bias, hidden_bias, pre_activation,
                          float(np.tanh(pre_activation)))


@torch.no_grad()
def step_details(model: nn.Module, trace: GateTrace, indices, vocab: Vocab, position: int,
                 unit: int, clamp: dict | None = None) -> StepDetails:
    """Recompute step ``position`` of ``trace`` for one unit in float64 from the
    weights; pass the clamp the trace was made with, if any. The reset-before
    candidate needs the whole R vector: it is taken from the trace."""
    cell = readable_cell(model)
    indices = _as_indices(indices, cell.vocab_size)
    t = _check_position("position", position, len(trace.hidden))
    j = _check_position("unit", unit, cell.num_hiddens)
    char_index = int(indices[t])
    previous = trace.previous_hidden[t].astype(np.float64)
    update = _gate_terms(cell, "z", char_index, previous, j, clamp)
    reset = _gate_terms(cell, "r", char_index, previous, j, clamp)
    candidate = _candidate_terms(cell, char_index, previous, trace.reset_gate[t].astype(np.float64),
                                 reset.value, j)
    kept_old = update.value * previous[j]
    added_new = (1.0 - update.value) * candidate.value
    recomputed = np.array([update.value, reset.value, candidate.value, kept_old + added_new])
    traced = np.array([getattr(trace, name)[t, j] for name in QUANTITIES], np.float64)
    return StepDetails(t, j, decode([char_index], vocab)[0], char_index, cell.reset_after,
                       update, reset, candidate, float(previous[j]), float(kept_old),
                       float(added_new), float(kept_old + added_new),
                       float(np.abs(recomputed - traced).max()))


# ---------------------------------------------------------------- parity lab

PARITY_CELLS = {"reset-after": True, "reset-before": False}  # name -> reset_after


@dataclass
class ParityReport:
    """Per step, max over units of |scratch - nn.GRU| for the hidden state and
    for the output logits, for each scratch cell holding nn.GRU's weights."""
    hidden_diff: dict[str, np.ndarray]
    output_diff: dict[str, np.ndarray]

    @property
    def max_diff(self) -> dict[str, float]:
        return {name: float(max(self.hidden_diff[name].max(), self.output_diff[name].max()))
                for name in self.hidden_diff}


@torch.no_grad()
def parity_lab(concise: ConciseGRU, indices) -> ParityReport:
    """Copy nn.GRU's weights into the reset-after and the reset-before scratch
    cells and compare each step with nn.GRU's own outputs."""
    if not isinstance(concise, ConciseGRU):
        raise TypeError(f"the parity lab needs an nn.GRU model (ConciseGRU), "
                        f"got {type(concise).__name__}")
    indices = _as_indices(indices, concise.vocab_size)
    inputs = F.one_hot(torch.as_tensor(indices, device=concise.device),
                       concise.vocab_size).float()[:, None, :]       # (T, batch 1, V)
    hidden, _ = concise.rnn(inputs, concise.begin_state(1))
    reference = {"hidden": hidden[:, 0].cpu().numpy(),
                 "logits": concise.linear(hidden[:, 0]).cpu().numpy()}
    hidden_diff, output_diff = {}, {}
    for name, reset_after in PARITY_CELLS.items():
        trace = scratch_from_concise(concise, reset_after).trace(indices.tolist())
        hidden_diff[name] = np.abs(trace.hidden - reference["hidden"]).max(axis=1)
        output_diff[name] = np.abs(trace.logits - reference["logits"]).max(axis=1)
    return ParityReport(hidden_diff, output_diff)


# ---------------------------------------------------------------- gate saturation

@dataclass
class Saturation:
    """Per unit (U,), the fraction of characters where a gate is left-saturated
    (< low) or right-saturated (> high); Karpathy, Johnson & Fei-Fei (2015)."""
    low: float
    high: float
    num_chars: int
    update_low: np.ndarray
    update_high: np.ndarray
    reset_low: np.ndarray
    reset_high: np.ndarray


def _check_saturation_thresholds(low: float, high: float) -> None:
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"saturation thresholds need 0 <= low < high <= 1 (got low={low}, "
                         f"high={high})")


def saturation_from_trace(trace: GateTrace, low: float = 0.1, high: float = 0.9) -> Saturation:
    _check_saturation_thresholds(low, high)
    Z, R = trace.update_gate, trace.reset_gate
    return Saturation(low, high, len(Z), (Z < low).mean(0), (Z > high).mean(0),
                      (R < low).mean(0), (R > high).mean(0))


def gate_saturation(model: nn.Module, indices, low: float = 0.1, high: float = 0.9,
                    segment_length: int | None = SEGMENT_LENGTH,
                    warmup: int = WARMUP) -> Saturation:
    """Saturation over a long stretch (2,000-10,000 characters), run in parallel segments."""
    _check_saturation_thresholds(low, high)  # before the long run, not after
    trace = long_trace(model, indices, None, segment_length, warmup)
    return saturation_from_trace(trace, low, high)


# ---------------------------------------------------------------- saliency

@dataclass
class Saliency:
    """Influence of each input x_s (s <= position) on log p(target | x_<=position):
    the gradient's norm over the one-hot input, normalised to sum 1."""
    position: int
    target: int
    log_prob: float
    weights: np.ndarray

    @property
    def distances(self) -> np.ndarray:
        """Steps back from the predicted character: 1 is the character just read."""
        return self.position + 1 - np.arange(len(self.weights))


def _input_saliency(cell: ScratchGRU, indices: np.ndarray, positions: np.ndarray,
                    targets: np.ndarray):
    """One batch row per position: the row reads indices[:position + 1] as a
    one-hot leaf tensor, and only its own log-probability enters the summed
    objective, so one backward pass gives every row's gradient. Rows run
    longest first and leave the batch once they reach their position.
    Returns the normalised saliency (B, max position + 1), zero after each
    row's position, and the log-probs (B,)."""
    order = np.argsort(-positions, kind="stable")      # longest first
    ends = positions[order]
    rows, steps = len(ends), int(ends[0]) + 1
    inputs = _one_hot(indices[:steps], cell).repeat(rows, 1, 1).requires_grad_(True)
    H = torch.zeros(rows, cell.num_hiddens, device=cell.device)
    finals = [None] * rows
    for t in range(steps):
        active = int(np.count_nonzero(ends >= t))
        _, _, _, H = cell.cell(inputs[:active, t], H[:active])
        for row in np.flatnonzero(ends == t):
            finals[row] = H[row]
    log_probs = torch.log_softmax(torch.stack(finals) @ cell.W_hq + cell.b_q, dim=1)
    chosen = log_probs[torch.arange(rows), torch.as_tensor(targets[order], device=cell.device)]
    gradient, = torch.autograd.grad(chosen.sum(), inputs)
    norms = np.empty((rows, steps))
    norms[order] = gradient.norm(dim=2).cpu().double().numpy()
    totals = norms.sum(axis=1, keepdims=True)
    log_probs_in_order = np.empty(rows)
    log_probs_in_order[order] = chosen.detach().cpu().numpy()
    return norms / np.where(totals > 0, totals, 1.0), log_probs_in_order


def saliency(model: nn.Module, indices, position: int, target: int | None = None) -> Saliency:
    """How much each earlier character moves log p(next character) at ``position``.
    ``target`` defaults to the true next character, or the model's top guess at
    the last position."""
    cell = readable_cell(model)
    indices = _as_indices(indices, cell.vocab_size)
    t = _check_position("position", position, len(indices))
    if target is None:
        target = (int(indices[t + 1]) if t + 1 < len(indices)
                  else int(cell.trace(indices[:t + 1].tolist()).logits[-1].argmax()))
    _check_position("target", target, cell.vocab_size)
    weights, log_probs = _input_saliency(cell, indices, np.array([t]), np.array([target]))
    return Saliency(t, int(target), float(log_probs[0]), weights[0])


@dataclass
class MemoryReach:
    """Mean normalised saliency at each distance (1 = the character just read),
    averaged over ``num_positions`` positions: how far back the model looks."""
    distances: np.ndarray
    mean_saliency: np.ndarray
    num_positions: int


def memory_reach(model: nn.Module, indices, max_distance: int = 40,
                 max_positions: int = 32) -> MemoryReach:
    """Saliency at up to ``max_positions`` evenly spaced positions, each with at
    least ``max_distance`` characters of history, averaged by distance."""
    cell = readable_cell(model)
    indices = _as_indices(indices, cell.vocab_size)
    first, last = max_distance - 1, len(indices) - 2
    if max_distance < 1 or max_positions < 1:
        raise ValueError(f"max_distance and max_positions must be >= 1 "
                         f"(got {max_distance}, {max_positions})")
    if last < first:
        raise ValueError(f"the text has {len(indices)} characters; a memory reach of "
                         f"{max_distance} needs at least {max_distance + 1}")
    positions = np.unique(np.linspace(first, last, min(max_positions, last - first + 1)).round()
                          .astype(np.int64))
    weights, _ = _input_saliency(cell, indices, positions, indices[positions + 1])
    distances = np.arange(1, max_distance + 1)
    by_distance = weights[np.arange(len(positions))[:, None], positions[:, None] + 1 - distances]
    return MemoryReach(distances, by_distance.mean(axis=0), len(positions))


# ---------------------------------------------------------------- unit search

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


def quantity(trace: GateTrace, name: str) -> np.ndarray:
    if name not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)} (got '{name}')")
    return getattr(trace, name)


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
    indices = _as_indices(indices, cell.vocab_size)
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


# ---------------------------------------------------------------- interventions

def make_clamp(num_hiddens: int, gate: str, value: float,
               units: Sequence[int] | None = None) -> dict:
    """A clamp for ``ScratchGRU.trace``/``cell``: force ``gate`` ("update_gate"
    or "reset_gate") of ``units`` (None: all) to ``value``. Combine two with
    ``{**a, **b}``."""
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)} (got '{gate}')")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a gate is a sigmoid: the clamp value must be in [0, 1] (got {value})")
    if units is not None:
        units = sorted({int(u) for u in units})
        if not units:
            raise ValueError("choose at least one unit to clamp (or all units)")
        if units[0] < 0 or units[-1] >= num_hiddens:
            raise ValueError(f"units must be in [0, {num_hiddens - 1}] (got {units})")
    return {gate: (units, float(value))}


@dataclass
class ModelView:
    """One side of an intervention: the probe's trace and predictions, a
    continuation, and perplexity on held-out text."""
    trace: GateTrace
    top_k: TopK
    next_log_probs: np.ndarray
    sample: str
    perplexity: float


@dataclass
class Intervention:
    clamp: dict
    baseline: ModelView
    clamped: ModelView


def _model_view(cell, probe_indices, vocab, clamp, heldout_indices, k, num_chars,
                temperature, seed) -> ModelView:
    trace = cell.trace(probe_indices.tolist(), clamp=clamp)
    return ModelView(trace, top_k(trace, vocab, k), next_char_log_probs(trace, probe_indices),
                     _continue_trace(cell, trace, vocab, num_chars, temperature, clamp, seed),
                     perplexity(cell, heldout_indices, clamp))


def intervene(model: nn.Module, probe_indices, vocab: Vocab, clamp: dict, heldout_indices,
              k: int = 5, num_chars: int = 50, temperature: float = 0.0,
              seed: int | None = 0) -> Intervention:
    """The model with and without ``clamp`` (see ``make_clamp``), side by side.
    The sample continues the probe; both sides use the same seed."""
    if not clamp or not set(clamp) <= set(GATES):
        raise ValueError(f"clamp must name update_gate and/or reset_gate (got {clamp!r})")
    cell = readable_cell(model)
    probe_indices = _as_indices(probe_indices, cell.vocab_size, "probe")
    heldout_indices = _as_indices(heldout_indices, cell.vocab_size, "held-out text")
    sides = [_model_view(cell, probe_indices, vocab, side_clamp, heldout_indices, k, num_chars,
                         temperature, seed) for side_clamp in (None, clamp)]
    return Intervention(clamp, *sides)


# ---------------------------------------------------------------- gates over training

@dataclass
class SnapshotTrace:
    epoch: int
    trace: GateTrace


def snapshot_traces(snapshots: Sequence[dict], indices) -> list[SnapshotTrace]:
    """The same probe through the model at each snapshot ``{"epoch",
    "state_dict"}`` (float16 weights are cast to float32), ordered by epoch."""
    if not snapshots:
        raise ValueError("there are no parameter snapshots (train with snapshots on, or load "
                         "a checkpoint that has them)")
    traces = []
    for snapshot in sorted(snapshots, key=lambda s: s["epoch"]):
        model = model_from_state_dict(snapshot["state_dict"])
        cell = readable_cell(model)
        trace = cell.trace(_as_indices(indices, cell.vocab_size).tolist())
        traces.append(SnapshotTrace(int(snapshot["epoch"]), trace))
    return traces
