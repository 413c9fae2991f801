"""d2l's minibatches of a token stream: random sampling and sequential partitioning."""
from __future__ import annotations

import random

import torch

from .download import CorpusError


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
