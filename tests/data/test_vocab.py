"""gru_core.data.vocab against d2l's facts: the Time Machine's 28 tokens and
the vocabulary's API and order."""
from __future__ import annotations

import torch

from gru_core.data import Vocab


D2L_FIRST_TOKENS = ['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h', 'r', 'd']


def test_time_machine_vocab_and_length_match_d2l(time_machine):
    vocab = time_machine.vocab
    assert len(vocab) == 28
    assert vocab.idx_to_token[:12] == D2L_FIRST_TOKENS
    assert sorted(vocab.idx_to_token[1:]) == [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert time_machine.total_tokens == 170_580
    assert len(time_machine.indices) == 10_000  # d2l's default max_tokens
    assert time_machine.text.startswith("the time machine by h g wells")


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
