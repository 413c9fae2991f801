"""An offline corpus, generated on this machine, whose structure makes gates visible."""
from __future__ import annotations

import random

from .corpus import Corpus, corpus_from_lines


_WORDS = ("the time machine moves through years and days while the traveller watches "
          "small lights fade slowly over green hills in silence").split()


def generated_text(num_chars: int = 12000, seed: int = 0) -> str:
    """A deterministic corpus whose structure makes gates visible: quoted spans
    a unit must remember to close, and nested brackets a unit must count."""
    rng = random.Random(seed)
    pieces: list[str] = []
    length = 0
    while length < num_chars:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 8))]
        roll = rng.random()
        if roll < 0.3:
            start = rng.randint(0, len(words) - 1)
            words[start] = '"' + words[start]
            words[-1] = words[-1] + '"'
        elif roll < 0.55:
            depth = rng.randint(1, 3)
            words = ["(" * depth + words[0]] + words[1:-1] + [words[-1] + ")" * depth]
        sentence = " ".join(words) + ". "
        pieces.append(sentence)
        length += len(sentence)
    return "".join(pieces)[:num_chars]


def load_generated_corpus(max_tokens: int = 10000, seed: int = 0) -> Corpus:
    text = generated_text(max(max_tokens, 1000) + 100, seed)
    corpus = corpus_from_lines([text], "Generated quotes-and-brackets corpus (offline)",
                               max_tokens, keep_case=True,
                               note="Generated on this machine: The Time Machine was not used.")
    return corpus
