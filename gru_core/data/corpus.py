"""Text -> d2l's clean-up -> character tokens -> a ``Corpus``: The Time Machine,
a user's own text, or the generated offline corpus.

A corpus knows which of its tokens the model trains on (``indices``, d2l's
first ``max_tokens``) and which it holds back (``heldout``: the rest of the
same text), so perplexity on unseen text is a property of the corpus, not a
guess from its name.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .batches import SeqDataLoader
from .download import CorpusError, download_time_machine
from .vocab import Vocab, tokenize_chars

TIME_MACHINE_NAME = "The Time Machine (H. G. Wells, via d2l)"
MAX_VOCAB = 256  # a GRU over thousands of one-hot inputs is neither fast nor instructive


@dataclass
class Corpus:
    """A tokenised text: ``indices`` feed the model, ``heldout`` is the rest of
    the same text (not trained on); ``name`` and ``note`` say what it is, so
    the app can always tell the user which text is in use."""
    name: str
    indices: list[int]
    vocab: Vocab
    keep_case: bool = False
    note: str = ""
    heldout: list[int] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        """Tokens of the whole text, trained on or held out."""
        return len(self.indices) + len(self.heldout)

    def loader(self, batch_size: int, num_steps: int, use_random_iter: bool = False,
               seed: int | None = 0) -> SeqDataLoader:
        return SeqDataLoader(self.indices, batch_size, num_steps, use_random_iter, seed)

    def first(self, max_tokens: int) -> "Corpus":
        """The same text cut after ``max_tokens`` tokens (0: keep all), the
        rest held out; the vocabulary stays the whole text's, as in d2l."""
        stream = self.indices + self.heldout
        cut = max_tokens if max_tokens and max_tokens > 0 else len(stream)
        return replace(self, indices=stream[:cut], heldout=stream[cut:])

    @property
    def text(self) -> str:
        return "".join(self.vocab.idx_to_token[i] for i in self.indices)


def clean_lines(lines: list[str], keep_case: bool = False) -> list[str]:
    """d2l's normalisation (per line, runs of non-letters become one space;
    strip; lowercase), or (``keep_case``) the text as it is with every run of
    whitespace, line breaks included, as one space, for a richer vocabulary.
    (d2l joins its cleaned lines with no separator; with case and punctuation
    kept, a line break must stay a word boundary, so it becomes a space.)"""
    if keep_case:
        return [re.sub(r"\s+", " ", "\n".join(lines))]
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def read_time_machine(cache: Path | None = None) -> list[str]:
    """d2l's ``read_time_machine``: the book's lines, cleaned."""
    return clean_lines(_raw_time_machine_lines(cache))


def _raw_time_machine_lines(cache: Path | None) -> list[str]:
    with open(download_time_machine(cache), "r", encoding="utf-8") as f:
        return f.readlines()


def corpus_from_lines(lines: list[str], name: str, max_tokens: int = 10000,
                      keep_case: bool = False, note: str = "") -> Corpus:
    """Raw lines -> the one clean-up pass -> tokens -> vocabulary (of the whole
    text) -> the first ``max_tokens`` tokens to train on, the rest held out."""
    tokens = tokenize_chars(clean_lines(lines, keep_case))
    if not any(tokens):
        raise CorpusError(f"{name}: the text is empty after preprocessing"
                          + ("" if keep_case else " (d2l keeps letters only)") + ".")
    vocab = Vocab(tokens)
    if len(vocab) > MAX_VOCAB:
        raise CorpusError(
            f"{name}: the text has {len(vocab) - 1} distinct characters; at most "
            f"{MAX_VOCAB - 1} are supported (each is a one-hot input). Use a text in fewer "
            f"scripts, or turn off 'keep case and punctuation'.")
    indices = [vocab[token] for line in tokens for token in line]
    whole = Corpus(name=name, indices=indices, vocab=vocab, keep_case=keep_case, note=note)
    return whole.first(max_tokens)


def load_corpus_time_machine(max_tokens: int = 10000, cache: Path | None = None) -> Corpus:
    return corpus_from_lines(_raw_time_machine_lines(cache), TIME_MACHINE_NAME, max_tokens)


def decode_text(payload: bytes, name: str = "upload") -> str:
    """Bytes from a user -> text, refusing binaries and non-UTF-8 clearly."""
    if not payload:
        raise CorpusError(f"{name}: the file is empty.")
    signatures = {b"%PDF": "a PDF", b"PK\x03\x04": "a zip archive (or .docx/.xlsx)",
                  b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
                  b"\x1f\x8b": "a gzip archive", b"\x7fELF": "a program"}
    for magic, kind in signatures.items():
        if payload.startswith(magic):
            raise CorpusError(f"{name}: this is {kind}, not plain text. Save it as a .txt file "
                              f"(UTF-8) and upload that.")
    if b"\x00" in payload[:4096]:
        raise CorpusError(f"{name}: this looks like a binary file (it contains NUL bytes), "
                          f"not plain text.")
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{name}: the bytes are not valid UTF-8 (first bad byte at offset {exc.start}). "
            f"Re-save the file as UTF-8 text.") from exc


def load_text(source: str | bytes | os.PathLike, name: str | None = None,
              max_tokens: int = 10000, keep_case: bool = False) -> Corpus:
    """The d2l pipeline over a user's own text: a ``str`` is the text itself,
    ``bytes`` are decoded as UTF-8, a path is read."""
    if isinstance(source, os.PathLike):
        path = Path(source)
        name = name or path.name
        try:
            payload = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{path}: cannot read the file ({exc.strerror}).") from exc
        source = decode_text(payload, name)
    elif isinstance(source, bytes):
        source = decode_text(source, name or "upload")
    name = name or "your text"
    if not source.strip():
        raise CorpusError(f"{name}: the text is empty.")
    return corpus_from_lines(source.splitlines(), name, max_tokens, keep_case)
