"""gru_core.data against d2l's facts: vocabulary, corpus, iterators, download
and caching (against a local HTTP server), any text, the offline corpus."""
from __future__ import annotations

import http.server
import inspect
import os
import random
import socket
import stat
import threading
import zlib
from pathlib import Path

import pytest
import torch

from gru_core import data
from gru_core.data import CorpusError, Vocab, load_text

D2L_FIRST_TOKENS = ['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h', 'r', 'd']


# ---------------------------------------------------------------- d2l, transcribed
# Chapter 8.3's iterators, line by line, with d2l's module-level `random`
# replaced by a random.Random so they can be seeded like the library's loader.

def d2l_seq_data_iter_random(corpus, batch_size, num_steps, rng):
    corpus = corpus[rng.randint(0, num_steps - 1):]
    num_subseqs = (len(corpus) - 1) // num_steps
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    rng.shuffle(initial_indices)

    def seq(pos):
        return corpus[pos: pos + num_steps]

    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        initial_indices_per_batch = initial_indices[i: i + batch_size]
        X = [seq(j) for j in initial_indices_per_batch]
        Y = [seq(j + 1) for j in initial_indices_per_batch]
        yield torch.tensor(X), torch.tensor(Y)


def d2l_seq_data_iter_sequential(corpus, batch_size, num_steps, rng):
    offset = rng.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def batches(loader):
    return [(X.clone(), Y.clone()) for X, Y in loader]


# ---------------------------------------------------------------- vocabulary and corpus

def test_time_machine_vocab_and_length_match_d2l(time_machine):
    vocab = time_machine.vocab
    assert len(vocab) == 28
    assert vocab.idx_to_token[:12] == D2L_FIRST_TOKENS
    assert sorted(vocab.idx_to_token[1:]) == [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert time_machine.total_tokens == 170_580
    assert len(time_machine.indices) == 10_000  # d2l's default max_tokens
    assert time_machine.text.startswith("the time machine by h g wells")


def test_full_corpus_without_limit(data_cache):
    corpus = data.load_corpus_time_machine(max_tokens=0, cache=data_cache)
    assert len(corpus.indices) == corpus.total_tokens == 170_580


def test_vocab_api(time_machine):
    vocab = time_machine.vocab
    assert vocab["e"] == 2 and vocab[" "] == 1
    assert vocab["E"] == vocab["<unk>"] == vocab.unk == 0  # unknown tokens map to <unk>
    assert vocab[["t", "h", "e"]] == [3, 9, 2]
    assert vocab[("a", "b")] == [4, vocab.token_to_idx["b"]]
    assert vocab.to_tokens([3, 9, 2]) == ["t", "h", "e"]
    assert vocab.to_tokens(4) == "a"
    assert vocab.to_tokens(torch.tensor([3, 9, 2])) == ["t", "h", "e"]
    assert vocab.encode("the") == [3, 9, 2]
    rebuilt = Vocab.from_tokens(vocab.idx_to_token)
    assert rebuilt.idx_to_token == vocab.idx_to_token and rebuilt["q"] == vocab["q"]


def test_vocab_orders_by_frequency_then_first_seen():
    vocab = Vocab(list("abcbcc"), reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "c", "b", "a"]
    tie = Vocab([list("xy"), list("yx")])  # equal counts: first-seen order stays
    assert tie.idx_to_token == ["<unk>", "x", "y"]
    assert Vocab(list("aab"), min_freq=2).idx_to_token == ["<unk>", "a"]


def test_load_time_machine_has_d2l_signature_and_return():
    params = inspect.signature(data.load_time_machine).parameters
    assert list(params)[:4] == ["batch_size", "num_steps", "use_random_iter", "max_tokens"]
    assert params["use_random_iter"].default is False and params["max_tokens"].default == 10000
    data_iter, vocab = data.load_time_machine(32, 35)
    assert len(vocab) == 28
    X, Y = next(iter(data_iter))
    assert X.shape == Y.shape == (32, 35)
    assert X.dtype == Y.dtype == torch.int64
    # sequential: 10,000 tokens over 32 rows of 35 steps -> 8 batches per epoch
    assert sum(1 for _ in data_iter) == 8


# ---------------------------------------------------------------- iterators

CORPUS = list(range(1000))  # distinct values: a value is its own position


ITERATORS = {  # ours, d2l's
    "sequential": (data.seq_data_iter_sequential, d2l_seq_data_iter_sequential),
    "random": (data.seq_data_iter_random, d2l_seq_data_iter_random),
}


@pytest.mark.parametrize("batch_size,num_steps", [(2, 5), (4, 7), (3, 1)])
@pytest.mark.parametrize("kind", ITERATORS)
def test_iterators_match_d2l_transcription(kind, batch_size, num_steps):
    ours, theirs = (batches(iterator(CORPUS, batch_size, num_steps, random.Random(3)))
                    for iterator in ITERATORS[kind])
    assert len(ours) == len(theirs) > 10
    for (X, Y), (X2, Y2) in zip(ours, theirs):
        assert torch.equal(X, X2) and torch.equal(Y, Y2)


@pytest.mark.parametrize("use_random_iter", [False, True])
def test_loader_shapes_dtype_and_shift(use_random_iter):
    loader = data.SeqDataLoader(CORPUS, 4, 6, use_random_iter, seed=1)
    for X, Y in loader:
        assert X.shape == Y.shape == (4, 6)
        assert X.dtype == Y.dtype == torch.int64
        assert torch.equal(Y, X + 1)  # with CORPUS = range(n), Y is X shifted by one


def test_sequential_batches_continue_each_other():
    loader = data.SeqDataLoader(CORPUS, 4, 6, seed=2)
    epoch = batches(loader)
    for (X, _), (X_next, _) in zip(epoch, epoch[1:]):
        # each row of batch i+1 starts where that row of batch i stopped
        assert torch.equal(X_next[:, 0], X[:, -1] + 1)
    rows = torch.cat([X for X, _ in epoch], dim=1)
    assert torch.equal(rows[:, 1:] - rows[:, :-1], torch.ones_like(rows[:, 1:]))


def test_sequential_offset_covers_zero_to_num_steps():
    num_steps = 5
    loader = data.SeqDataLoader(CORPUS, 2, num_steps, seed=0)
    offsets = {int(next(iter(loader))[0][0, 0]) for _ in range(200)}  # new offset per epoch
    assert offsets == set(range(num_steps + 1))


def test_random_sampling_has_no_overlap_and_aligned_starts():
    num_steps = 6
    loader = data.SeqDataLoader(CORPUS, 4, num_steps, use_random_iter=True, seed=5)
    epoch = batches(loader)
    rows = torch.cat([X for X, _ in epoch]).tolist()
    starts = [row[0] for row in rows]
    assert len(set(starts)) == len(starts)
    # subsequences share one offset in [0, num_steps - 1] and never overlap
    assert len({start % num_steps for start in starts}) == 1
    assert 0 <= starts[0] % num_steps < num_steps
    covered = [token for row in rows for token in row]
    assert len(covered) == len(set(covered))
    assert starts != sorted(starts)  # shuffled


@pytest.mark.parametrize("use_random_iter", [False, True])
def test_same_seed_same_batches_different_seed_different(time_machine, use_random_iter):
    def two_epochs(seed):
        loader = time_machine.loader(8, 10, use_random_iter, seed=seed)
        return batches(loader) + batches(loader)

    first, again, other = two_epochs(7), two_epochs(7), two_epochs(8)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert any(not torch.equal(a[0], b[0]) for a, b in zip(first, other))


def test_loader_refuses_a_corpus_too_short_for_one_batch():
    corpus = load_text("abcdefghij" * 3)  # 30 tokens
    with pytest.raises(CorpusError, match="too short for one batch of 4 x 8"):
        corpus.loader(4, 8)
    corpus.loader(2, 8)  # 2*8 + 8 + 1 = 25 tokens is enough
    with pytest.raises(ValueError, match="batch_size and num_steps must be >= 1"):
        corpus.loader(0, 8)


# ---------------------------------------------------------------- download and cache

class CorpusServer:
    """A local HTTP server on a free port; ``mode`` decides what it sends."""

    def __init__(self, payload: bytes):
        self.payload, self.mode, self.requests = payload, "ok", 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = server.payload
                if server.mode == "corrupt":
                    body = body[:-10] + b"0123456789"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "cut":  # promise the whole body, send half, hang up
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/timemachine.txt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server(shared_text):
    server = CorpusServer(shared_text.read_bytes())
    yield server
    server.close()


def test_download_verifies_and_caches(server, tmp_path, shared_text):
    path = data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert path == tmp_path / "timemachine.txt"
    assert path.read_bytes() == shared_text.read_bytes()
    assert data.sha1_of(path) == data.TIME_MACHINE_SHA1
    data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert server.requests == 1  # the verified cache is reused
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timemachine.txt"]


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        data.atomic_write_bytes(tmp_path / "sub" / "file.bin", b"payload")
    finally:
        os.umask(umask)
    written = tmp_path / "sub" / "file.bin"
    assert written.read_bytes() == b"payload"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # not mkstemp's private 0o600
    assert [p.name for p in written.parent.iterdir()] == ["file.bin"]


def test_corrupted_download_is_rejected_and_not_cached(server, tmp_path):
    server.mode = "corrupt"
    cache = tmp_path / "cache"
    with pytest.raises(CorpusError, match="has SHA-1 .* expected 090b5e7e"):
        data.download_time_machine(cache=cache, url=server.url, timeout=10)
    assert not cache.exists() or list(cache.iterdir()) == []  # no file, no temp leftovers


def test_connection_cut_mid_body_is_an_error_and_not_cached(server, tmp_path):
    server.mode = "cut"
    with pytest.raises(CorpusError, match="Could not download"):
        data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert list(tmp_path.iterdir()) == []


def test_cached_file_with_wrong_hash_is_fetched_again(server, tmp_path, shared_text):
    stale = tmp_path / "timemachine.txt"
    stale.write_text("not the time machine")
    data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert server.requests == 1
    assert stale.read_bytes() == shared_text.read_bytes()


def test_offline_error_names_the_exact_path(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = tmp_path / "offline cache"
    with pytest.raises(CorpusError) as error:
        data.download_time_machine(cache=cache, url=f"http://127.0.0.1:{port}/tm.txt", timeout=5)
    message = str(error.value)
    assert str(cache / "timemachine.txt") in message
    assert data.TIME_MACHINE_SHA1 in message and data.DATA_DIR_ENV in message


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv(data.DATA_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "gru_explainer"


# ---------------------------------------------------------------- any text

# our own sentence (the book text itself is never committed)
TEXT = "The Lecturer (for so we shall call her) drew\na gated cell.\n"


def test_str_bytes_and_path_give_the_same_corpus(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text(TEXT, encoding="utf-8")
    from_str, from_bytes, from_path = load_text(TEXT), load_text(TEXT.encode()), load_text(path)
    assert from_str.indices == from_bytes.indices == from_path.indices
    assert from_path.name == "mine.txt"
    # d2l's cleaning: letters only, lowercase, lines joined with no separator
    assert from_str.text == "the lecturer for so we shall call her drewa gated cell"


def test_keep_case_gives_a_richer_vocabulary():
    plain, rich = load_text(TEXT), load_text(TEXT, keep_case=True)
    assert {"T", "(", ")", "."} <= set(rich.vocab.idx_to_token)
    assert len(rich.vocab) > len(plain.vocab)
    assert rich.keep_case and not plain.keep_case
    # a line break is a word boundary when punctuation is kept
    assert rich.text == TEXT.rstrip("\n").replace("\n", " ")


@pytest.mark.parametrize("source", ["", "   \n\t", b"", "1234 !!"])
def test_empty_text_is_refused(source):
    with pytest.raises(CorpusError, match="empty"):
        load_text(source)


def test_undecodable_bytes_are_refused():
    with pytest.raises(CorpusError, match="not valid UTF-8 .*offset 5"):
        load_text(b"hello\xff\xfeworld", name="latin.txt")


@pytest.mark.parametrize("payload,kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a zip archive"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (zlib.compress(b"x") + b"\x00\x00", "binary"),
])
def test_binary_files_are_refused_clearly(payload, kind, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(payload)
    with pytest.raises(CorpusError, match=f"upload.bin: .*{kind}"):
        load_text(path)


def test_missing_file_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="cannot read the file"):
        load_text(tmp_path / "nope.txt")


def test_too_many_distinct_characters_is_refused():
    text = "".join(chr(0x4E00 + i) for i in range(400))
    with pytest.raises(CorpusError, match="400 distinct characters"):
        load_text(text, keep_case=True)


# ---------------------------------------------------------------- offline corpus

def test_generated_corpus_is_deterministic_and_says_so():
    first, again = data.load_generated_corpus(), data.load_generated_corpus()
    assert first.indices == again.indices and len(first.indices) == 10_000
    assert first.vocab.idx_to_token == again.vocab.idx_to_token
    assert data.load_generated_corpus(seed=1).indices != first.indices
    assert "generated" in first.name.lower() and "offline" in first.name.lower()
    assert "Time Machine was not used" in first.note
    text = first.text
    assert text.count("(") > 50 and text.count('"') > 50  # structure for gates to track
    first.loader(32, 35)  # large enough for d2l's batch shape
