"""Units worth a look: found in the data, each with a sentence and its number.

Over a long trace of real text, every unit is tested against features of the
text (Karpathy, Johnson & Fei-Fei, 2015, found such units by eye):

- **word boundary**: H on one side at spaces, the other side elsewhere;
- **vowel**: H separates vowels from consonants (letters only);
- **word position**: H rises or falls with the position inside a word;
- **quote** / **bracket**: H on one side inside "..." / (...) (keep-case texts);
- **reset at spaces**: R shuts (or opens) at spaces;
- **long memory**: Z near 1 most of the time (the state is kept);
- **saturated**: both gates sit at a rail (< 0.1 or > 0.9) most of the time.

A finding needs a correlation of at least ``MIN_CORRELATION``, a gap of at
least ``MIN_GAP`` between the two sides' means (on the quantity's own scale,
so the near-zero states of an untrained model claim nothing), and at least
``MIN_CASES`` cases of the feature in the text. Each is said in numbers: "unit
137: H is above +0.42 at 93 % of spaces and at 4 % of other characters (r = 0.81)".
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

from ..data import Vocab
from ..models import GateTrace
from .cells import as_indices
from .long_traces import long_trace
from .probes import decode

MIN_CORRELATION = 0.5
MIN_GAP = 0.2
MIN_CASES = 20
PER_KIND = 3
LONG_MEMORY_SHARE = 0.8   # Z > 0.9 at this share of characters
SATURATED_SHARE = 0.8     # both gates saturated at this share of characters, on average
RAIL_LOW, RAIL_HIGH = 0.1, 0.9
VOWELS = frozenset("aeiouAEIOU")
# Kinds in the order a page lists them (and unit orders group them).
KINDS = ("word boundary", "reset at spaces", "word position", "vowel", "quote", "bracket",
         "long memory", "saturated")


@dataclass
class Finding:
    """One unit that does something nameable; ``score`` is the number the
    units were ranked by (|r| for the features, a share for the gates)."""
    kind: str
    unit: int
    quantity: str
    score: float
    sentence: str
    rate: float | None = None        # share of the feature's cases on the unit's side
    other_rate: float | None = None  # share of all other characters on that side


@dataclass
class NotableUnits:
    findings: list[Finding]
    num_chars: int
    checked: list[str] = field(default_factory=list)   # the kinds the text allowed testing

    def by_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def groups(self) -> dict[str, list[int]]:
        """Units by kind, best first (a unit may appear under several kinds)."""
        groups: dict[str, list[int]] = {}
        for finding in self.findings:
            groups.setdefault(finding.kind, []).append(finding.unit)
        return groups

    @property
    def units(self) -> list[int]:
        """Every unit found, once, in the order of ``KINDS`` and rank."""
        return list(dict.fromkeys(f.unit for f in self.findings))


class _Columns:
    """One quantity over the stretch (T, U), with each unit's mean and spread
    computed once for every feature tested against it."""

    def __init__(self, values: np.ndarray):
        self.values = np.ascontiguousarray(values, np.float32)
        self.mean = self.values.mean(axis=0, dtype=np.float64)
        self.std = np.sqrt(self.values.var(axis=0, dtype=np.float64))

    def correlations(self, feature: np.ndarray) -> np.ndarray:
        """Pearson r of each unit with ``feature`` (T,); 0 where either is constant."""
        feature = np.asarray(feature, np.float64)
        centred = feature - feature.mean()
        covariance = (centred.astype(np.float32) @ self.values) / len(feature)
        scale = self.std * centred.std()
        return np.where(scale > 0, covariance / np.where(scale > 0, scale, 1.0), 0.0)

    def class_means(self, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's mean over the positive cases and over the others."""
        count = int(positive.sum())
        inside = (positive.astype(np.float32) @ self.values).astype(np.float64) / count
        total = self.mean * len(positive)
        return inside, (total - inside * count) / (len(positive) - count)


def _binary(kind: str, quantity: str, columns: _Columns, positive: np.ndarray,
            what: str, others: str) -> list[Finding]:
    """Units that put ``positive`` cases on one side of the midpoint between
    the two sides' means (r: the point-biserial correlation)."""
    count = int(positive.sum())
    if count < MIN_CASES or len(positive) - count < MIN_CASES:
        return []
    inside, outside = columns.class_means(positive)
    share = count / len(positive)
    std = np.where(columns.std > 0, columns.std, np.inf)
    r = (inside - outside) * np.sqrt(share * (1 - share)) / std
    strong = np.flatnonzero((np.abs(r) >= MIN_CORRELATION)
                            & (np.abs(inside - outside) >= MIN_GAP))
    symbol = {"hidden": "H", "reset_gate": "R", "update_gate": "Z"}[quantity]
    found = []
    for u in sorted(strong, key=lambda u: -abs(r[u]))[:PER_KIND]:
        threshold = (inside[u] + outside[u]) / 2
        above = inside[u] > outside[u]
        values = columns.values[:, u]
        side = values > threshold if above else values < threshold
        shown = round(float(threshold), 2) or 0.0   # never "-0.00"
        rate, other_rate = float(side[positive].mean()), float(side[~positive].mean())
        found.append(Finding(kind, int(u), quantity, float(abs(r[u])), (
            f"unit {u}: {symbol} is {'above' if above else 'below'} {shown:+.2f} at "
            f"{rate:.0%} of {what} and at {other_rate:.0%} of {others} "
            f"(r = {r[u]:.2f})").replace("%", " %"), rate, other_rate))
    return found


def _word_positions(chars: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(letters mask, position inside the word: 0 for a word's first letter)."""
    letters = np.array([c.isalpha() for c in chars])
    position = np.zeros(len(chars))
    run = 0
    for t, is_letter in enumerate(letters):
        position[t] = run if is_letter else 0
        run = run + 1 if is_letter else 0
    return letters, position


def _word_position(in_words: _Columns, position: np.ndarray) -> list[Finding]:
    """``in_words``: H at letters only; ``position`` of each of those letters."""
    first, later = position == 0, position >= 3
    if len(position) < MIN_CASES or first.sum() < MIN_CASES or later.sum() < MIN_CASES:
        return []
    r = in_words.correlations(position)
    # the first letters' mean against the 4th and later ones': the size of the effect
    gap = np.abs(in_words.class_means(first)[0] - in_words.class_means(later)[0])
    strong = np.flatnonzero((np.abs(r) >= MIN_CORRELATION) & (gap >= MIN_GAP))
    return [Finding("word position", int(u), "hidden", float(abs(r[u])), (
        f"unit {u}: H {'rises' if r[u] > 0 else 'falls'} with the position inside a word "
        f"(r = {r[u]:.2f} over {len(position):,} letters)"))
        for u in sorted(strong, key=lambda u: -abs(r[u]))[:PER_KIND]]


def _inside(chars: list[str], opening: str, closing: str) -> np.ndarray:
    """Whether each character sits inside a pair (quotes toggle; brackets nest)."""
    inside, depth = np.zeros(len(chars), bool), 0
    for t, char in enumerate(chars):
        if opening == closing and char == opening:
            depth = 1 - depth
        elif char == opening:
            depth += 1
        elif char == closing:
            depth = max(depth - 1, 0)
        inside[t] = depth > 0
    return inside


def _long_memory(Z: np.ndarray) -> list[Finding]:
    share = (Z > RAIL_HIGH).mean(axis=0)
    found = []
    for u in sorted(np.flatnonzero(share >= LONG_MEMORY_SHARE), key=lambda u: -share[u]):
        mean_log = np.log(np.clip(Z[:, u].astype(np.float64), 1e-12, 1.0)).mean()
        half_life = np.log(0.5) / mean_log if mean_log < 0 else np.inf
        keeps = (f"half-life ≈ {half_life:,.0f} characters" if np.isfinite(half_life)
                 else "it never forgets")
        found.append(Finding("long memory", int(u), "update_gate", float(share[u]), (
            f"unit {u}: Z > {RAIL_HIGH:g} at {share[u]:.0%} of characters: it keeps its state "
            f"({keeps})").replace("%", " %")))
    return found[:PER_KIND]


def _saturated(Z: np.ndarray, R: np.ndarray) -> list[Finding]:
    def rails(gate):
        return ((gate < RAIL_LOW) | (gate > RAIL_HIGH)).mean(axis=0)
    z_share, r_share = rails(Z), rails(R)
    share = (z_share + r_share) / 2
    return [Finding("saturated", int(u), "update_gate", float(share[u]), (
        f"unit {u}: its gates sit at a rail (< {RAIL_LOW:g} or > {RAIL_HIGH:g}): Z at "
        f"{z_share[u]:.0%}, R at {r_share[u]:.0%} of characters").replace("%", " %"))
        for u in sorted(np.flatnonzero(share >= SATURATED_SHARE), key=lambda u: -share[u])
    ][:PER_KIND]


def notable_units_from_trace(trace: GateTrace, chars: list[str]) -> NotableUnits:
    """The findings of a trace of ``chars`` (one character per row)."""
    if len(chars) != len(trace.hidden):
        raise ValueError(f"chars has {len(chars)} characters, the trace {len(trace.hidden)}")
    H, R = _Columns(trace.hidden), _Columns(trace.reset_gate)
    space = np.array([c == " " for c in chars])
    letters, position = _word_positions(chars)
    findings = {kind: [] for kind in KINDS}
    findings["word boundary"] = _binary("word boundary", "hidden", H, space, "spaces",
                                        "other characters")
    findings["reset at spaces"] = _binary("reset at spaces", "reset_gate", R, space, "spaces",
                                          "other characters")
    if letters.sum() >= MIN_CASES:
        in_words = _Columns(H.values[letters])
        findings["word position"] = _word_position(in_words, position[letters])
        vowel = np.array([c in VOWELS for c in chars])[letters]
        findings["vowel"] = _binary("vowel", "hidden", in_words, vowel, "vowels", "consonants")
    checked = ["word boundary", "reset at spaces", "word position", "vowel"]
    for kind, (opening, closing), what in (("quote", ('"', '"'), 'characters inside "…"'),
                                           ("bracket", ("(", ")"), "characters inside (…)")):
        if chars.count(opening) >= 4:
            checked.append(kind)
            findings[kind] = _binary(kind, "hidden", H, _inside(chars, opening, closing), what,
                                     "characters outside")
    Z = trace.update_gate
    findings["long memory"] = _long_memory(Z)
    findings["saturated"] = _saturated(Z, R.values)
    checked += ["long memory", "saturated"]
    return NotableUnits([f for kind in KINDS for f in findings[kind]], len(chars), checked)


def notable_units(model: nn.Module, indices, vocab: Vocab) -> NotableUnits:
    """Run a long stretch (``long_trace``, 2,000+ characters works well) and
    find the units worth a look in it."""
    indices = as_indices(indices, len(vocab))
    return notable_units_from_trace(long_trace(model, indices), decode(indices, vocab))
