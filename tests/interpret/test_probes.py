"""gru_core.interpret.probes: text to indices, unknown characters, the one limit."""
from __future__ import annotations

import pytest

from gru_core import interpret
from gru_core.data import Vocab


def test_probe_reports_unknown_characters_and_can_lowercase(vocab):
    probe = interpret.encode_probe("Time <X>", vocab)
    assert probe.unknown_positions == [0, 5, 6, 7]
    assert probe.indices[[0, 5, 6, 7]].tolist() == [0, 0, 0, 0]
    assert probe.indices[1] == vocab["i"]
    lowered = interpret.encode_probe("Time <X>", vocab, lowercase=True)
    assert lowered.text == "time <x>" and lowered.unknown_positions == [5, 7]
    assert lowered.chars[6] == "x"


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("a" * (interpret.MAX_PROBE_CHARS + 1), f"at most {interpret.MAX_PROBE_CHARS}")])
def test_probe_refuses_empty_and_overlong_text(vocab, text, message):
    with pytest.raises(ValueError, match=message):
        interpret.encode_probe(text, vocab)


def test_the_probe_limit_is_the_apps_and_is_inclusive(vocab):
    assert interpret.MAX_PROBE_CHARS == 400
    probe = interpret.encode_probe("a" * interpret.MAX_PROBE_CHARS, vocab)
    assert len(probe.indices) == interpret.MAX_PROBE_CHARS


def test_lowercase_is_suggested_only_for_a_vocabulary_without_capitals(vocab):
    assert interpret.suggests_lowercase(vocab)
    assert not interpret.suggests_lowercase(Vocab(list("aA b")))


def test_decode_marks_unknown_characters(vocab):
    probe = interpret.encode_probe("a<b", vocab)
    assert interpret.decode(probe.indices, vocab) == ["a", "\ufffd", "b"]
