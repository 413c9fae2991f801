"""The Train page: d2l's defaults from the settings table, a tiny live run
through Start -> Pause -> Resume -> Stop, steps and a live learning rate
(marked on the curves), a diverged and a failed run, and bad inputs."""
from __future__ import annotations

import time

import pytest

from gru_core.config import D2L, SETTINGS

from tests.support.faults import FAULT_MESSAGE

from .common import (WAIT_S, assert_clean, live_views, new_app, pushed, run_to_the_end,
                     start_tiny_run, texts, wait_until)
from .conftest import FAULTY_HIDDENS


def test_train_page_shows_the_corpus_and_d2l_defaults(registry):
    at = new_app().run()
    assert_clean(at)
    assert "The Time Machine" in texts(at.caption)
    assert "vocabulary of 28 tokens" in texts(at.caption)
    values = {widget.key: widget.value for widget in at.number_input}
    assert values["hiddens"] == 256 and values["batch"] == 32 and values["steps"] == 35
    assert values["lr"] == 1.0 and values["epochs"] == 500 and values["clip"] == 1.0
    assert at.radio(key="model").value == "scratch"
    assert at.toggle(key="random_iter").value is False  # sequential, as d2l


def test_every_setting_of_the_table_has_its_widget_under_its_url_key(registry):
    at = new_app().run()
    widgets = {widget.key: widget for widget in at.number_input}
    for setting in SETTINGS:
        widget = widgets[setting.url_key]
        assert widget.label == setting.label
        assert widget.value == getattr(D2L, setting.field), setting.field
        assert (widget.min, widget.max) == (setting.low, setting.high), setting.field


# ---------------------------------------------------------------- a live run

def test_tiny_run_start_pause_resume_stop(registry):
    at, run = start_tiny_run(registry)
    assert run.config.num_hiddens == 8 and run.config.num_epochs == 400
    wait_until(lambda: run.epoch >= 2)
    # the page mounts the live view on this run; its curves come through the push route
    view, = live_views(at)
    assert view["room"] == run.id and view["panels"] == ["curves", "gates"]
    assert view["rerun_on_state"] is True  # the owner's controls follow the run's state
    perplexity = [r["perplexity"] for r in pushed(run).records["epochs"]]
    assert len(perplexity) >= 2 and all(1 < y < 40 for y in perplexity)

    at.button(key="pause").click().run()
    assert_clean(at)
    assert run.state.value == "paused"
    frozen = run.batch
    time.sleep(0.3)
    assert run.batch == frozen
    assert at.button(key="resume")  # the Pause button became Resume

    at.button(key="resume").click().run()
    wait_until(lambda: run.batch > frozen)
    assert run.state.value == "running"

    at.button(key="stop").click().run()
    assert_clean(at)
    assert run.state.value == "stopped"
    assert run.wait(WAIT_S)
    at.run()
    assert_clean(at)
    assert pushed(run).status["state"] == "stopped" and live_views(at)[0]["room"] == run.id


def test_step_batch_and_epoch_while_paused_and_change_lr(registry):
    at, run = start_tiny_run(registry)
    at.button(key="pause").click().run()
    before = run.batch
    at.button(key="step_batch").click().run()
    wait_until(lambda: run.batch == before + 1 and run.wait_idle(0))
    epoch = run.epoch
    at.run()
    at.button(key="step_epoch").click().run()
    wait_until(lambda: run.epoch == epoch + 1 and run.wait_idle(0))
    at.run()
    at.number_input(key=f"live_lr_{run.id}").set_value(0.5).run()
    at.button(key="apply_lr").click().run()
    assert_clean(at)
    assert run.lr == 0.5
    at.button(key="stop").click().run()


def test_a_learning_rate_change_reaches_the_live_curves_where_it_took_over(registry):
    at, run = start_tiny_run(registry)
    at.button(key="pause").click().run()
    at.number_input(key=f"live_lr_{run.id}").set_value(0.5).run()
    at.button(key="apply_lr").click().run()
    step = run.batch + 1  # the first batch to use the new rate
    at.button(key="step_epoch").click().run()
    wait_until(lambda: run.wait_idle(0) and run.metrics()["lr_changes"])
    at.run()
    assert_clean(at)
    change, = run.metrics()["lr_changes"]
    assert (change["step"], change["lr"]) == (step, 0.5)
    # the live view draws the marks from these records (checked in Chromium too)
    assert pushed(run).records["lr_changes"] == [change]
    at.button(key="stop").click().run()


def test_divergence_is_reported_and_the_model_can_still_be_inspected(registry):
    at, run = run_to_the_end(registry, lr="1000000")
    assert run.state.value == "diverged"
    assert "Diverged" in texts(at.error)
    assert at.get("download_button"), "the last good model can still be saved"
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    assert f"Live run `{run.id}` (diverged" in texts(at.info)


def test_a_failed_run_shows_its_message_and_its_traceback_in_an_expander(faulty_registry):
    at, run = run_to_the_end(faulty_registry, hiddens=str(FAULTY_HIDDENS))
    assert run.state.value == "failed"
    assert f"RuntimeError: {FAULT_MESSAGE}" in texts(at.error)
    expander, = [e for e in at.expander if "traceback" in e.label]
    shown = texts(expander.code)
    assert shown == run.traceback.strip() and "Traceback (most recent call last)" in shown
    assert FAULT_MESSAGE in shown


# ---------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("name, payload, expected", [
    ("empty.txt", b"", "empty"),
    ("scan.txt", b"%PDF-1.7 binary", "PDF"),
    ("latin1.txt", "caf\u00e9 na\u00efve".encode("latin-1"), "UTF-8"),
    ("hanzi.txt", "".join(chr(0x4E00 + i) for i in range(400)).encode(), "letters only"),
], ids=["empty", "pdf", "latin1", "no-letters"])
def test_bad_corpus_uploads_get_messages(registry, name, payload, expected):
    at = new_app(corpus="Your own text file").run()
    at.file_uploader(key="corpus_upload").set_value((name, payload, "text/plain")).run()
    assert_clean(at)
    assert expected in texts(at.error)
    assert at.button(key="start").disabled


def test_huge_vocabulary_is_refused_with_the_cap(registry):
    at = new_app(corpus="Your own text file").run()
    at.checkbox(key="keep_case").check().run()
    hanzi = "".join(chr(0x4E00 + i) for i in range(400)) * 3
    at.file_uploader(key="corpus_upload").set_value(("hanzi.txt", hanzi.encode(), "text/plain"))
    at.run()
    assert_clean(at)
    assert "400 distinct characters; at most 255" in texts(at.error)


def test_text_too_short_for_one_batch_is_refused_at_start(registry):
    at = new_app(corpus="Your own text file").run()
    at.file_uploader(key="corpus_upload").set_value(
        ("short.txt", b"a tiny text of a few words", "text/plain")).run()
    at.button(key="start").click().run()
    assert_clean(at)
    assert "too short for one batch" in texts(at.error)
    assert not registry.list_runs()


def test_out_of_range_values_in_the_url_are_ignored(registry):
    at = new_app(hiddens="0", lr="-3", epochs="many", model="rnn").run()
    assert_clean(at)
    values = {widget.key: widget.value for widget in at.number_input}
    assert values["hiddens"] == 256 and values["lr"] == 1.0 and values["epochs"] == 500
    assert at.radio(key="model").value == "scratch"


# ---------------------------------------------------------------- status texts

def test_after_stop_the_setup_stays_folded_and_takes_the_runs_last_lr(registry):
    at, run = start_tiny_run(registry)
    at.button(key="pause").click().run()
    at.number_input(key=f"live_lr_{run.id}").set_value(0.5).run()
    at.button(key="apply_lr").click().run()
    assert run.lr == 0.5
    at.button(key="stop").click().run()
    assert run.wait(WAIT_S)
    at.run()
    assert_clean(at)
    setup, = [e for e in at.expander if e.label == "Set up a run"]
    assert setup.proto.expanded is False  # the results stay where they were
    assert "learning rate is the run's last (0.5)" in texts(setup.caption)
    assert at.number_input(key="lr").value == 0.5  # carried into the next run's settings
    at.button(key="new_run").click().run()
    assert_clean(at)
    assert at.number_input(key="lr").value == 0.5


def test_step_epoch_mid_epoch_reads_finish_epoch_and_says_how_many_batches(registry):
    at, run = start_tiny_run(registry)
    at.button(key="pause").click().run()
    before = run.batch
    at.button(key="step_epoch").click().run()  # from an epoch's start (or midway): settle
    wait_until(lambda: run.wait_idle(0) and run.batch > before)
    at.run()
    assert at.button(key="step_epoch").label == "Step epoch"
    at.button(key="step_batch").click().run()
    wait_until(lambda: run.wait_idle(0) and run.progress()["batch_in_epoch"] == 1)
    at.run()
    progress = run.progress()
    epoch, per_epoch = progress["epoch"] + 1, progress["batches_per_epoch"]
    button = at.button(key="step_epoch")
    assert button.label == "Finish epoch"
    assert f"the {per_epoch - 1} batches left of epoch {epoch} (1 of {per_epoch} done)" \
        in button.help
    button.click().run()
    assert_clean(at)
    assert f"Training the last {per_epoch - 1} batches of epoch {epoch}, then pausing again." \
        in texts(at.toast)
    wait_until(lambda: run.epoch == epoch and run.wait_idle(0))
    at.button(key="stop").click().run()


def test_an_upload_names_what_the_clean_up_dropped_and_folding_keeps_accents(registry):
    text = ("Café crème, déjà vu! Naïve façade; 42 élèves. " * 40).encode()
    at = new_app(corpus="Your own text file").run()
    at.file_uploader(key="corpus_upload").set_value(("fr.txt", text, "text/plain")).run()
    assert_clean(at)
    said = texts(at.caption)
    assert "Letters the clean-up dropped: 'é' ×" in said and "Fold accents" in said
    assert "Read as spaces or removed, as d2l does:" in said and "'4' ×40" in said
    at.checkbox(key="fold_accents").check().run()
    assert_clean(at)
    assert "Letters the clean-up dropped" not in texts(at.caption)


def test_the_run_says_how_it_trains_its_cores_and_its_measured_kernels(registry):
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.batch >= 3)
    at.run()
    assert_clean(at)
    said = texts(at.caption)
    assert "Fast engine kernels for" in said and "measured in" in said
    assert "core" in run.cores_summary()
    at.button(key="stop").click().run()
