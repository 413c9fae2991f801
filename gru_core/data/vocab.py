"""d2l's character tokens and vocabulary."""
from __future__ import annotations

import collections


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
