"""Text -> d2l's clean-up -> character tokens -> a ``Corpus``: The Time Machine,
a user's own text, or the generated offline corpus.

A corpus knows which of its tokens the model trains on (``indices``, d2l's
first ``max_tokens``) and which it holds back (``heldout``: the rest of the
same text), so perplexity on unseen text is a property of the corpus, not a
guess from its name. It also knows how its text was cleaned (``cleanup``, to
apply to probes), what the clean-up dropped (``dropped_characters``) and what
its samples should continue (``sample_prefixes``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .batches import SeqDataLoader
from .cleanup import Cleanup, clean_lines
from .download import CorpusError, download_time_machine
from .vocab import Vocab, tokenize_chars

TIME_MACHINE_NAME = "The Time Machine (H. G. Wells, via d2l)"
MAX_VOCAB = 256  # a GRU over thousands of one-hot inputs is neither fast nor instructive
# d2l's samples continue these (training.SAMPLE_PREFIXES holds the same two).
TIME_MACHINE_PREFIXES = ("time traveller", "traveller")
MAX_PREFIX_CHARS = 30


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
    fold_accents: bool = False
    # characters of the raw text the clean-up did not keep, with counts
    dropped_characters: dict[str, int] = field(default_factory=dict)
    prefixes: tuple[str, ...] = ()   # set for the book; derived from the text otherwise

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

    @property
    def cleanup(self) -> Cleanup:
        """The clean-up this corpus's text went through: apply it to probes."""
        return Cleanup(self.keep_case, self.fold_accents)

    @property
    def dropped_letters(self) -> dict[str, int]:
        """The dropped characters that are letters (accented ones, other
        scripts): what ``fold_accents=True`` or keep-case would keep."""
        return {c: n for c, n in self.dropped_characters.items() if c.isalpha()}

    @property
    def sample_prefixes(self) -> tuple[str, ...]:
        """What samples continue: d2l's ("time traveller", "traveller") for the
        book; for any other text its first two words, then the second alone."""
        if self.prefixes:
            return self.prefixes
        return derive_prefixes(self.text)

    @property
    def sample_prefix(self) -> str:
        return self.sample_prefixes[0]


def derive_prefixes(text: str) -> tuple[str, ...]:
    """(first two words, second word) of a text, each at most
    ``MAX_PREFIX_CHARS`` characters; a text without spaces gives its start."""
    words = [word[:MAX_PREFIX_CHARS] for word in text.split(" ") if word][:2]
    if len(words) == 2:
        both = f"{words[0]} {words[1]}"[:MAX_PREFIX_CHARS]
        return (both, words[1])
    return (words[0],) if words else (text[:MAX_PREFIX_CHARS] or " ",)


def read_time_machine(cache: Path | None = None) -> list[str]:
    """d2l's ``read_time_machine``: the book's lines, cleaned."""
    return clean_lines(_raw_time_machine_lines(cache))


def _raw_time_machine_lines(cache: Path | None) -> list[str]:
    with open(download_time_machine(cache), "r", encoding="utf-8") as f:
        return f.readlines()


def corpus_from_lines(lines: list[str], name: str, max_tokens: int = 10000,
                      keep_case: bool = False, note: str = "", fold_accents: bool = False,
                      prefixes: tuple[str, ...] = ()) -> Corpus:
    """Raw lines -> the one clean-up pass -> tokens -> vocabulary (of the whole
    text) -> the first ``max_tokens`` tokens to train on, the rest held out.
    ``fold_accents`` reads "é" as "e" in d2l's letters-only clean-up (keep-case
    keeps accents anyway); what the clean-up dropped is kept on the corpus."""
    cleanup = Cleanup(keep_case, fold_accents and not keep_case)
    tokens = tokenize_chars(cleanup.lines(lines))
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
    whole = Corpus(name=name, indices=indices, vocab=vocab, keep_case=keep_case, note=note,
                   fold_accents=cleanup.fold_accents,
                   dropped_characters=cleanup.dropped_characters(lines),
                   prefixes=tuple(prefixes))
    return whole.first(max_tokens)


def load_corpus_time_machine(max_tokens: int = 10000, cache: Path | None = None) -> Corpus:
    """d2l's corpus: the book's first ``max_tokens`` characters to train on
    (10,000 in the chapter), the rest of the book held out."""
    return corpus_from_lines(_raw_time_machine_lines(cache), TIME_MACHINE_NAME, max_tokens,
                             prefixes=TIME_MACHINE_PREFIXES)


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
              max_tokens: int = 10000, keep_case: bool = False,
              fold_accents: bool = False) -> Corpus:
    """The d2l pipeline over a user's own text: a ``str`` is the text itself,
    ``bytes`` are decoded as UTF-8, a path is read. ``Corpus.dropped_letters``
    says which letters d2l's clean-up dropped (``fold_accents`` keeps them)."""
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
    return corpus_from_lines(source.splitlines(), name, max_tokens, keep_case,
                             fold_accents=fold_accents)
