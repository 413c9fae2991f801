"""gru_core.data.corpus: the whole book, any text a user brings (and what is
refused, with why), training and held-out tokens; the offline corpus."""
from __future__ import annotations

import zlib

import pytest

from gru_core import data
from gru_core.data import CorpusError, load_text


def test_full_corpus_without_limit(data_cache, shared_text):
    corpus = data.load_corpus_time_machine(max_tokens=0, cache=data_cache)
    assert len(corpus.indices) == corpus.total_tokens == 170_580


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


def test_the_held_out_text_is_the_rest_of_the_same_text(time_machine):
    assert len(time_machine.indices) == 10_000
    assert len(time_machine.heldout) == time_machine.total_tokens - 10_000 == 160_580
    longer = time_machine.first(12_000)
    assert longer.indices[:10_000] == time_machine.indices
    assert longer.heldout == time_machine.heldout[2_000:]
    assert longer.vocab is time_machine.vocab  # the whole book's, as in d2l
    assert time_machine.first(0).heldout == []
    corpus = load_text("abc " * 100, max_tokens=150)
    assert len(corpus.indices) == 150 and len(corpus.heldout) == 249  # d2l strips the last space
