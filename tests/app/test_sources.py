"""app_ui.sources: which model a page shows (the pretrained one by default,
a live run's while it trains) and the texts it is measured on."""
from __future__ import annotations

from app_ui.sources import SOURCE_TITLES, HELDOUT_CHARS, ModelSource, corpus_stretch, heldout_text
from gru_core.assets import SHIPPED_MODELS, default_model
from gru_core.interpret import encode_probe

from .common import assert_clean, new_app, start_tiny_run, texts, wait_until


def test_each_page_opens_its_shipped_model_labelled_with_both_perplexities(registry):
    for page, key in (("gates", "book"), ("explore", "book"), ("step", "chapter")):
        shipped = SHIPPED_MODELS[key]
        at = new_app().run()
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
        assert at.segmented_control(key="source").value == key == default_model(page).key
        banner = texts(at.info)
        assert f"perplexity {shipped.training_perplexity:.3g} on its training text" in banner
        assert f"{shipped.heldout_perplexity:.3g} on text it never saw" in banner
    chapter = SHIPPED_MODELS["chapter"]
    assert "memorises" in chapter.label and chapter.heldout_perplexity > 90


def test_both_shipped_models_are_offered_and_old_links_open_the_chapters(registry):
    at = new_app().run()
    at.switch_page("app_pages/gates.py").run()
    assert {"book", "chapter", "fresh"} <= set(at.segmented_control(key="source").options
                                                and SOURCE_TITLES)
    for old in ("pretrained", "Pretrained (shipped)"):  # before the book model: one model
        at = new_app(source=old).run()
        at.switch_page("app_pages/gates.py").run()
        assert_clean(at)
        assert at.segmented_control(key="source").value == "chapter", old
        assert "the chapter's model" in texts(at.info).lower()


def test_a_probe_is_cleaned_like_the_training_text_and_says_so(registry):
    at = new_app(probe="Hello, World!").run()
    at.switch_page("app_pages/step.py").run()
    assert_clean(at)
    said = texts(at.caption)
    assert "Cleaned as the training text was" in said and "',␣' became a space" in said
    assert "'!' was removed" in said and "reads “hello world”" in said
    assert "<unk>" not in said  # a comma is a space to d2l's model, never an unknown


def test_gates_and_step_follow_a_live_run(registry):
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.epoch >= 1)
    for page in ("app_pages/gates.py", "app_pages/step.py", "app_pages/explore.py"):
        at.switch_page(page).run()
        assert_clean(at)
        assert f"Live run `{run.id}`" in texts(at.info), page
        assert "one new computation" not in texts(at.info), page  # the owner is not the room
    at.switch_page("app_pages/step.py").run()
    assert "Checked: these numbers reproduce" in texts(at.success)
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()


def test_a_viewer_of_a_training_run_draws_in_turn_and_is_told_when_the_room_is_full(
        registry, monkeypatch):
    from app_ui import budget
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.epoch >= 1)
    viewer = new_app(run=run.id).run()
    viewer.switch_page("app_pages/gates.py").run()
    assert_clean(viewer)
    assert f"Live run `{run.id}`" in texts(viewer.info)
    for text in ("a new text the room has not traced", "and another one"):  # turns, with rests
        viewer.text_input(key="probe").set_value(text).run()
        assert "many viewers" not in texts(viewer.info) and viewer.get("plotly_chart")
    full = budget.Turns(budget.VIEWERS_SHARE)
    full._next_at = float("inf")   # the room has used its share for now
    monkeypatch.setattr(budget, "_page_turns", lambda: full)
    viewer.text_input(key="probe").set_value("a third text").run()
    assert "many viewers are looking at the live model" in texts(viewer.info)
    assert not [c for c in viewer.get("plotly_chart")]  # nothing drawn from the live model
    at.switch_page("app_pages/gates.py").run()     # the owner is not the room: drawn
    assert "many viewers" not in texts(at.info) and at.get("plotly_chart")
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
