"""gru_core.data.cleanup: one clean-up for corpora and probes, with what it changed;
accents dropped (and said so) or folded; sample prefixes from the corpus's own text."""
from __future__ import annotations

import random

import pytest

from gru_core import data, interpret
from gru_core.data import Cleanup, Replacement, load_text
from gru_core.training import SAMPLE_PREFIXES

TRICKY = "aZé ,.!\n\r\t\x0b\u2028ﬁ½'\"-\u0301x"


@pytest.mark.parametrize("cleanup", [Cleanup(), Cleanup(fold_accents=True),
                                     Cleanup(keep_case=True)])
def test_a_probe_is_cleaned_exactly_as_the_corpus_lines_are(cleanup):
    rng = random.Random(0)
    for _ in range(500):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 25)))
        cleaned = cleanup.text(text)
        assert cleaned.text == "".join(cleanup.lines(text.splitlines())), repr(text)
        # every change is recorded: undoing the replacements gives the text back
        rebuilt, cursor = [], 0
        for r in cleaned.replacements:
            assert text[r.start:r.end] == r.original and r.start >= cursor
            rebuilt += [text[cursor:r.start], r.replacement]
            cursor = r.end
        rebuilt.append(text[cursor:])
        rebuilt = "".join(rebuilt)
        assert (rebuilt if cleanup.keep_case else rebuilt.lower()) == cleaned.text, repr(text)


def test_d2l_cleanup_reports_punctuation_and_line_breaks():
    cleaned = Cleanup().text("Hello, World!\nDrew")
    assert cleaned.text == "hello worlddrew"  # d2l joins lines with no separator
    assert cleaned.replacements == [Replacement(5, 7, ", ", " "), Replacement(12, 14, "!\n", "")]
    assert cleaned.lowercased == 3 and cleaned.changed


def test_probe_encoding_uses_the_models_cleanup():
    vocab = data.Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    typed = "Hello, world!"
    plain = data.load_text("hello world").cleanup
    probe = interpret.encode_probe(typed, vocab, cleanup=plain)
    assert probe.text == "hello world" and probe.unknown_positions == []
    assert probe.cleaned_from == typed and probe.cleaned
    assert [r.original for r in probe.replacements] == [", ", "!"]
    # without the clean-up the comma and the capital are <unk>, as before
    assert interpret.encode_probe(typed, vocab).unknown_positions == [0, 5, 12]
    with pytest.raises(ValueError, match="nothing is left"):
        interpret.encode_probe("1234 !!", vocab, cleanup=plain)


def test_accented_letters_are_reported_when_dropped_and_kept_when_folded():
    text = "Le café était fermé. Ça va?"
    dropped = load_text(text)
    assert dropped.text == "le caf tait ferm a va"
    assert dropped.dropped_letters == {"é": 3, "Ç": 1}
    assert dropped.dropped_characters == {"é": 3, ".": 1, "?": 1, "Ç": 1}
    folded = load_text(text, fold_accents=True)
    assert folded.text == "le cafe etait ferme ca va"
    assert folded.dropped_letters == {} and folded.fold_accents
    assert folded.cleanup == Cleanup(fold_accents=True)
    kept = load_text(text, keep_case=True)
    assert "é" in kept.vocab.idx_to_token and kept.dropped_characters == {}


def test_the_book_continues_time_traveller_other_texts_their_own_words(time_machine):
    assert time_machine.sample_prefixes == SAMPLE_PREFIXES == data.TIME_MACHINE_PREFIXES
    assert time_machine.sample_prefix == "time traveller"
    assert time_machine.first(150_000).sample_prefix == "time traveller"
    notes = load_text("Gated units remember. Reset gates forget.")
    assert notes.sample_prefixes == ("gated units", "units")
    assert all(c in notes.vocab.token_to_idx for c in notes.sample_prefix)
    assert load_text("x" * 100).sample_prefixes == ("x" * 30,)
    assert data.load_generated_corpus().sample_prefix.count(" ") == 1
