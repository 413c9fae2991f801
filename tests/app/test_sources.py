"""app_ui.sources: which model a page shows (the pretrained one by default,
a live run's while it trains) and the texts it is measured on."""
from __future__ import annotations

from app_ui.checkpoints import PRETRAINED_PATH
from app_ui.sources import HELDOUT_CHARS, ModelSource, corpus_stretch, heldout_text
from gru_core.interpret import encode_probe

from .common import assert_clean, new_app, start_tiny_run, texts, wait_until


def test_the_pretrained_model_is_the_default_source_when_shipped(registry):
    at = new_app().run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    if PRETRAINED_PATH.is_file():
        assert at.segmented_control(key="source").value == "pretrained"
        assert "Pretrained model shipped with the app" in texts(at.info)
    else:
        assert at.segmented_control(key="source").value == "fresh"
        assert "Fresh, untrained model" in texts(at.warning)


def test_gates_and_step_follow_a_live_run(registry):
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.epoch >= 1)
    for page in ("app_pages/gates.py", "app_pages/step.py", "app_pages/explore.py"):
        at.switch_page(page).run()
        assert_clean(at)
        assert f"Live run `{run.id}`" in texts(at.info), page
    at.switch_page("app_pages/step.py").run()
    assert "Checked: these numbers reproduce" in texts(at.success)
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()


def source_on(corpus) -> ModelSource:
    return ModelSource("fresh", "", None, corpus.vocab if corpus else None, False, "k",
                       corpus=corpus)


def test_heldout_text_is_what_the_corpus_holds_back(time_machine):
    book = time_machine.first(0)
    probe = encode_probe("time traveller", time_machine.vocab)
    for trained_on in (10_000, 1_000):
        corpus = book.first(trained_on)
        indices, where = heldout_text(source_on(corpus), probe)
        assert indices == corpus.heldout[:HELDOUT_CHARS] == book.indices[trained_on:][:2000]
        assert where == (f"characters {trained_on:,}-{trained_on + HELDOUT_CHARS:,} of "
                         f"{corpus.name} (not trained on)")
    everything = book.first(0)
    indices, where = heldout_text(source_on(everything), probe)
    assert indices == everything.indices[-HELDOUT_CHARS:] and where.endswith("(trained on)")
    assert heldout_text(source_on(None), probe) == (list(probe.indices), "the probe text")


def test_corpus_stretch_is_the_start_of_the_training_text(time_machine):
    probe = encode_probe("time traveller", time_machine.vocab)
    indices, where = corpus_stretch(source_on(time_machine), 500, probe)
    assert indices == time_machine.indices[:500]
    assert where == f"the first 500 characters of {time_machine.name}"
    assert corpus_stretch(source_on(None), 500, probe)[0] == list(probe.indices)
