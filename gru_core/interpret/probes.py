"""Probe texts: from typed text to token indices and back to display characters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import Vocab

# The one probe limit of the project: the app's text box takes it from here.
MAX_PROBE_CHARS = 400
# The book's first sentence, as d2l's clean-up leaves it: what pages read by default.
DEFAULT_PROBE = ("the time traveller for so it will be convenient to speak of him was "
                 "expounding a recondite matter to us his grey eyes shone and twinkled and "
                 "his usually pale face was flushed and animated")


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
