"""gru_core.data.batches: d2l's two iterators, transcribed and compared, and
the seeded loader."""
from __future__ import annotations

import inspect
import random

import pytest
import torch

from gru_core import data
from gru_core.data import CorpusError, load_text


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


def test_load_time_machine_has_d2l_signature_and_return(shared_text):
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
