"""Probe texts: from typed text to token indices and back to display characters."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import Cleanup, Replacement, Vocab

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
    vocabulary lacks, fed to the model as ``<unk>`` (index 0). With a clean-up,
    ``cleaned_from`` is the text as typed and ``replacements`` what the
    clean-up changed in it (positions in ``cleaned_from``)."""
    text: str
    indices: np.ndarray
    unknown_positions: list[int]
    cleaned_from: str | None = None
    replacements: list[Replacement] = field(default_factory=list)

    @property
    def chars(self) -> list[str]:
        return list(self.text)

    @property
    def cleaned(self) -> bool:
        """Whether the model reads something other than what was typed."""
        return self.cleaned_from is not None and self.cleaned_from != self.text


def encode_probe(text: str, vocab: Vocab, lowercase: bool = False,
                 max_chars: int = MAX_PROBE_CHARS, cleanup: Cleanup | None = None) -> Probe:
    """Text -> indices; ``lowercase`` first for d2l's letters-and-space vocabulary.
    ``cleanup`` (the model's corpus's, ``Corpus.cleanup`` or
    ``Checkpoint.cleanup``) cleans the text exactly as the training text was
    cleaned, so d2l's model reads "Hello, world!" as "hello world" (a comma is
    a space to it, never an ``<unk>`` it did not see in training)."""
    if not isinstance(text, str):
        raise TypeError(f"the probe must be text (got {type(text).__name__})")
    typed, replacements = None, []
    if cleanup is not None:
        cleaned = cleanup.text(text)
        typed, replacements, text = text, cleaned.replacements, cleaned.text
        if typed.strip() and not text:
            raise ValueError(f"nothing is left of the probe after the model's clean-up "
                             f"({cleanup.description}): type some letters")
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
    return Probe(text, indices, unknown, typed, replacements)


def suggests_lowercase(vocab: Vocab) -> bool:
    """True for a vocabulary without capitals (d2l's), where lowercasing a probe
    turns unknown capitals into known letters."""
    return not any(len(token) == 1 and token.isupper() for token in vocab.idx_to_token)


def decode(indices, vocab: Vocab, unknown: str = "\ufffd") -> list[str]:
    """One display character per position (``<unk>`` as a replacement mark)."""
    return [unknown if int(i) == vocab.unk else vocab.idx_to_token[int(i)] for i in indices]
