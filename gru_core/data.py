"""Text -> character tokens -> vocabulary -> minibatches, exactly as d2l does it.

The Time Machine pipeline mirrors Dive into Deep Learning, chapter 8:
``read_time_machine`` -> ``tokenize(..., 'char')`` -> ``Vocab`` -> ``corpus``
-> ``seq_data_iter_sequential`` / ``seq_data_iter_random``. The same pipeline
serves any text a user brings, and a generated offline corpus.
"""
from __future__ import annotations

import collections
import hashlib
import http.client
import os
import random
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import torch

# d2l.DATA_HUB['time_machine'] = (d2l.DATA_URL + 'timemachine.txt', sha1)
TIME_MACHINE_URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIME_MACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
TIME_MACHINE_FILENAME = "timemachine.txt"
DATA_DIR_ENV = "GRU_EXPLAINER_DATA"
URL_ENV = "GRU_EXPLAINER_TIME_MACHINE_URL"


class CorpusError(ValueError):
    """A corpus that cannot be used, with a message meant for the user."""


def data_dir() -> Path:
    """Per-user cache folder; ``$GRU_EXPLAINER_DATA`` overrides it."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gru_explainer"


def sha1_of(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write via a temp file in the same folder and rename it into place, so a
    crash mid-write leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # not mkstemp: its files are private (0600); mode 0666 lets the umask decide,
    # as for a plain open(), and O_EXCL never reuses an existing file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_time_machine(cache: Path | None = None, url: str | None = None,
                          timeout: float = 30.0) -> Path:
    """Return the path of a verified copy of d2l's ``timemachine.txt``.

    A cached copy is used when its SHA-1 matches; a copy with the wrong hash is
    fetched again. Downloads are verified before they are renamed into place.
    """
    cache = Path(cache) if cache is not None else data_dir()
    url = url or os.environ.get(URL_ENV) or TIME_MACHINE_URL
    target = cache / TIME_MACHINE_FILENAME
    if target.is_file() and sha1_of(target) == TIME_MACHINE_SHA1:
        return target
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    # HTTPException covers a connection cut mid-body (IncompleteRead)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise CorpusError(
            f"Could not download The Time Machine from {url} ({exc}). If this machine is "
            f"offline, put d2l's timemachine.txt (SHA-1 {TIME_MACHINE_SHA1}) at {target} "
            f"or set {DATA_DIR_ENV} to a folder that holds it.") from exc
    got = hashlib.sha1(payload).hexdigest()
    if got != TIME_MACHINE_SHA1:
        raise CorpusError(
            f"The download from {url} has SHA-1 {got}, expected {TIME_MACHINE_SHA1}; it was "
            f"discarded. Put a verified timemachine.txt at {target}.")
    try:
        atomic_write_bytes(target, payload)
    except OSError as exc:
        raise CorpusError(f"Downloaded The Time Machine but could not write it to {target} "
                          f"({exc.strerror}). Set {DATA_DIR_ENV} to a writable folder.") from exc
    return target


# ---------------------------------------------------------------- preprocessing

def read_time_machine(cache: Path | None = None) -> list[str]:
    """d2l: per line, runs of non-letters become one space; strip; lowercase."""
    with open(download_time_machine(cache), "r", encoding="utf-8") as f:
        lines = f.readlines()
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def tokenize_chars(lines: list[str]) -> list[list[str]]:
    return [list(line) for line in lines]


class Vocab:
    """d2l's vocabulary: ``<unk>`` is 0, then tokens by descending frequency
    (a stable sort, so ties keep their first-seen order)."""

    def __init__(self, tokens: list | None = None, min_freq: int = 0,
                 reserved_tokens: list[str] | None = None, max_size: int | None = None):
        tokens = tokens or []
        flat = [tok for line in tokens for tok in line] if tokens and isinstance(tokens[0], list) else tokens
        counter = collections.Counter(flat)
        self.token_freqs = sorted(counter.items(), key=lambda item: item[1], reverse=True)
        self.idx_to_token = ["<unk>"] + list(reserved_tokens or [])
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self.token_freqs:
            if freq < min_freq or (max_size is not None and len(self.idx_to_token) >= max_size):
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    @classmethod
    def from_tokens(cls, idx_to_token: list[str]) -> "Vocab":
        """Rebuild a vocabulary from its saved token list (checkpoints)."""
        vocab = cls()
        vocab.idx_to_token = list(idx_to_token)
        vocab.token_to_idx = {token: idx for idx, token in enumerate(vocab.idx_to_token)}
        return vocab

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, "tolist"):  # tensors and numpy arrays
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[int(indices)]

    def encode(self, text: str) -> list[int]:
        return [self[ch] for ch in text]

    @property
    def unk(self) -> int:
        return 0


# ---------------------------------------------------------------- iterators

def seq_data_iter_random(corpus, batch_size, num_steps, rng: random.Random = random):
    """d2l's random sampling: random offset, shuffled non-overlapping subsequences."""
    corpus = corpus[rng.randint(0, num_steps - 1):]
    num_subseqs = (len(corpus) - 1) // num_steps
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    rng.shuffle(initial_indices)
    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        starts = initial_indices[i: i + batch_size]
        X = [corpus[j: j + num_steps] for j in starts]
        Y = [corpus[j + 1: j + 1 + num_steps] for j in starts]
        yield torch.tensor(X), torch.tensor(Y)


def seq_data_iter_sequential(corpus, batch_size, num_steps, rng: random.Random = random):
    """d2l's sequential partitioning: offset in [0, num_steps]; batch i+1 continues batch i."""
    offset = rng.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens]).reshape(batch_size, -1)
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens]).reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def check_batchable(num_tokens: int, batch_size: int, num_steps: int) -> None:
    """Refuse a corpus too short for one full batch whatever the random offset."""
    if batch_size < 1 or num_steps < 1:
        raise ValueError(f"batch_size and num_steps must be >= 1 (got {batch_size}, {num_steps})")
    needed = batch_size * num_steps + num_steps + 1
    if num_tokens < needed:
        raise CorpusError(
            f"The text has {num_tokens} tokens, too short for one batch of {batch_size} x "
            f"{num_steps} steps (needs at least {needed}). Use a longer text or a smaller "
            f"batch size / number of steps.")


class SeqDataLoader:
    """Iterable over (X, Y) minibatches; each epoch draws a new offset from its
    own seeded generator, so two loaders with one seed yield the same batches."""

    def __init__(self, corpus: list[int], batch_size: int, num_steps: int,
                 use_random_iter: bool = False, seed: int | None = 0):
        check_batchable(len(corpus), batch_size, num_steps)
        self.corpus, self.batch_size, self.num_steps = corpus, batch_size, num_steps
        self.use_random_iter = use_random_iter
        self.rng = random.Random(seed)
        self.data_iter_fn = seq_data_iter_random if use_random_iter else seq_data_iter_sequential

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps, self.rng)

    def batches_per_epoch(self) -> int:
        """Upper bound over offsets (the exact count varies by one with the offset)."""
        return (len(self.corpus) - 1) // (self.batch_size * self.num_steps)


# ---------------------------------------------------------------- corpora

@dataclass
class Corpus:
    """A tokenised text: ``indices`` feed the model; ``name`` and ``note`` say
    what it is, so the app can always tell the user which text is in use."""
    name: str
    indices: list[int]
    vocab: Vocab
    keep_case: bool = False
    note: str = ""
    total_tokens: int = 0
    extra: dict = field(default_factory=dict)

    def loader(self, batch_size: int, num_steps: int, use_random_iter: bool = False,
               seed: int | None = 0) -> SeqDataLoader:
        return SeqDataLoader(self.indices, batch_size, num_steps, use_random_iter, seed)

    @property
    def text(self) -> str:
        return "".join(self.vocab.idx_to_token[i] for i in self.indices)


def clean_lines(lines: list[str], keep_case: bool = False) -> list[str]:
    """d2l's normalisation, or (``keep_case``) the text as it is with every run
    of whitespace, line breaks included, as one space, for a richer vocabulary.
    (d2l joins its cleaned lines with no separator; with case and punctuation
    kept, a line break must stay a word boundary, so it becomes a space.)"""
    if keep_case:
        return [re.sub(r"\s+", " ", "\n".join(lines))]
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


MAX_VOCAB = 256  # a GRU over thousands of one-hot inputs is neither fast nor instructive


def corpus_from_lines(lines: list[str], name: str, max_tokens: int = 10000,
                      keep_case: bool = False, note: str = "") -> Corpus:
    lines = clean_lines(lines, keep_case)
    tokens = tokenize_chars(lines)
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
    total = len(indices)
    if max_tokens and max_tokens > 0:
        indices = indices[:max_tokens]
    return Corpus(name=name, indices=indices, vocab=vocab, keep_case=keep_case,
                  note=note, total_tokens=total)


def load_corpus_time_machine(max_tokens: int = 10000, cache: Path | None = None) -> Corpus:
    lines = read_time_machine(cache)
    return corpus_from_lines(lines, "The Time Machine (H. G. Wells, via d2l)", max_tokens)


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


def load_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                      max_tokens: int = 10000, seed: int | None = 0):
    """d2l's ``load_data_time_machine``: returns ``(data_iter, vocab)``."""
    corpus = load_corpus_time_machine(max_tokens)
    return corpus.loader(batch_size, num_steps, use_random_iter, seed), corpus.vocab


# ---------------------------------------------------------------- offline corpus

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
