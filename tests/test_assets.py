"""gru_core.assets: the shipped models are the files the table describes, and
its numbers are what the library measures on them."""
from __future__ import annotations

import pytest

from gru_core import assets
from gru_core.checkpoint import load_checkpoint
from gru_core.data import load_corpus_time_machine


@pytest.mark.parametrize("key", list(assets.SHIPPED_MODELS))
def test_each_shipped_model_is_the_file_its_numbers_describe(key):
    shipped = assets.shipped_model(key)
    assert shipped.verify(), f"{shipped.path} is not the file of SHA-256 {shipped.sha256}"
    assert shipped.path.stat().st_size < 10_000_000
    checkpoint = load_checkpoint(shipped.path)
    assert checkpoint.config.max_tokens == shipped.train_chars
    assert checkpoint.config.num_epochs == shipped.epochs == checkpoint.history.epochs[-1]["epoch"]
    assert checkpoint.history.epochs[-1]["perplexity"] == pytest.approx(shipped.d2l_perplexity,
                                                                         abs=5e-4)
    assert len(checkpoint.snapshots) >= 10


def test_the_book_models_perplexities_are_measured_not_claimed(time_machine):
    book = assets.shipped_model("book")
    corpus = book.corpus()
    assert len(corpus.heldout) == 20_580                    # the book's tail, held out
    measured = assets.measure(load_checkpoint(book.path).model, corpus)
    assert measured.training_perplexity == pytest.approx(book.training_perplexity, abs=5e-3)
    assert measured.heldout_perplexity == pytest.approx(book.heldout_perplexity, abs=5e-3)


def test_the_chapters_model_memorised_and_the_label_says_both_numbers(time_machine):
    chapter = assets.shipped_model("chapter")
    model = load_checkpoint(chapter.path).model
    measured = assets.measure(model, time_machine, max_chars=20_000)
    assert measured.training_perplexity == pytest.approx(chapter.training_perplexity, abs=5e-3)
    assert measured.heldout_perplexity > len(time_machine.vocab)  # worse than a uniform guess
    assert chapter.heldout_perplexity > 100 and "memorises" in chapter.label
    summary = chapter.summary
    assert f"{chapter.training_perplexity:.3g}" in summary and "214" in summary
    assert assets.default_model("gates") is assets.BOOK
    assert assets.default_model("explore") is assets.BOOK
    with pytest.raises(ValueError, match="shipped model must be one of"):
        assets.shipped_model("nope")


def test_early_stopping_picks_the_best_held_out_snapshot(time_machine):
    checkpoint = load_checkpoint(assets.shipped_model("book").path)
    corpus = load_corpus_time_machine(150_000)
    scores = assets.snapshot_heldout(checkpoint.snapshots[-3:], corpus, max_chars=3000)
    assert [s.epoch for s in scores] == [30, 40, 51]
    best = assets.best_epoch(scores)
    assert best.heldout_perplexity == min(s.heldout_perplexity for s in scores)
