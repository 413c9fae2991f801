"""Lecture mode in AppTest: everyone but the presenter follows the lecture's
run read-only, and every control path refuses a non-presenter on the server,
even when the widget message comes from a page that showed the control."""
from __future__ import annotations

import pytest

import app_server
from app_server import lecture
from app_ui.checkpoints import CHECKPOINT_KEY
from gru_core.runs import RunState

from .common import (TINY_RUN, assert_clean, live_views, new_app, pushed, texts, the_run,
                     wait_until)

KEY = "lecture-secret"


@pytest.fixture
def hall(monkeypatch, registry):
    """Lecture mode on (as if GRU_EXPLAINER_PRESENTER_KEY were set); the test
    says who is the presenter with ``presenter(True/False)``."""
    the_hall = lecture.LectureHall(KEY)
    monkeypatch.setattr(lecture, "_hall", the_hall)
    seat = {"presenter": False}
    monkeypatch.setattr(lecture.LectureHall, "is_presenter",
                        lambda self, cookies: seat["presenter"])

    def presenter(flag: bool) -> None:
        seat["presenter"] = flag
    the_hall.seat = presenter
    return the_hall


def registry_vocab():
    from app_ui.corpora import default_corpus
    return default_corpus().vocab


def presenter_starts_a_run(hall, registry):
    hall.seat(True)
    at = new_app(**TINY_RUN).run()
    assert_clean(at)
    at.button(key="start").click().run()
    assert_clean(at)
    return at, the_run(registry)


def test_a_viewer_waits_for_the_lecture_and_then_follows_it_read_only(hall, registry):
    viewer = new_app().run()
    assert_clean(viewer)
    assert [v["room"] for v in live_views(viewer)] == ["lecture"]  # "waiting", then the run
    assert "following the lecture (read-only)" in texts(viewer.sidebar.markdown)
    assert not [b for b in viewer.button if b.key == "start"]  # no set-up for viewers

    presenter, run = presenter_starts_a_run(hall, registry)
    assert hall.run_id == run.id and run.autosave_path == app_server.lecture_autosave_path()
    hall.seat(False)
    viewer.run()
    assert_clean(viewer)
    assert run.id in [v["room"] for v in live_views(viewer)]
    assert "read-only; only the presenter can" in texts(viewer.info)
    for command in ("pause", "stop", "step_batch", "step_epoch", "apply_lr", "start",
                    "save_server", "unfollow"):
        assert not [b for b in viewer.button if b.key == command], command
    hall.seat(True)
    presenter.button(key="stop").click().run()


def test_every_control_is_refused_to_a_non_presenter_even_from_a_crafted_message(hall,
                                                                                registry):
    presenter, run = presenter_starts_a_run(hall, registry)
    presenter.button(key="pause").click().run()
    assert run.state is RunState.PAUSED
    presenter.run()  # the page now shows Resume, the step buttons and the live lr
    batch, lr = run.batch, run.lr

    def as_someone_else(action, drawn: bool = False) -> None:
        """The presenter's page is drawn, then its widget message comes from a viewer."""
        if not drawn:
            hall.seat(True)
            presenter.run()
        hall.seat(False)
        action()
    for key in ("resume", "step_batch", "step_epoch", "stop"):
        as_someone_else(lambda: presenter.button(key=key).click().run())
        assert run.state is RunState.PAUSED and run.batch == batch, key
    hall.seat(True)
    presenter.run()
    presenter.number_input(key=f"live_lr_{run.id}").set_value(0.25).run()  # Apply is enabled
    as_someone_else(lambda: presenter.button(key="apply_lr").click().run(), drawn=True)
    assert run.lr == lr
    as_someone_else(lambda: presenter.button(key="save_server").click().run())
    assert not list(app_server.lecture_autosave_path().parent.parent.glob("checkpoints/*.pt"))

    hall.seat(True)  # a second run would be the presenter's to start...
    presenter.run()
    presenter.button(key="stop").click().run()
    assert run.state is RunState.STOPPED
    presenter.button(key="new_run").click().run()
    as_someone_else(lambda: presenter.button(key="start").click().run())  # not a viewer's
    assert len(registry.list_runs()) == 1


def test_uploads_and_checkpoint_loads_from_a_non_presenter_get_nothing(hall, registry,
                                                                     tmp_path):
    from gru_core.checkpoint import save_checkpoint
    from gru_core.config import TrainConfig
    from gru_core.models import make_model
    good = tmp_path / "model.pt"
    save_checkpoint(good, make_model("scratch", 28, 8), registry_vocab(), TrainConfig())
    hall.seat(True)
    at = new_app().run()
    hall.seat(False)
    uploader = [u for u in at.get("file_uploader") if "checkpoint" in u.proto.label][0]
    uploader.set_value(("model.pt", good.read_bytes(), "application/octet-stream")).run()
    assert CHECKPOINT_KEY not in at.session_state and not at.error
    hall.seat(True)
    at.run()
    uploader = [u for u in at.get("file_uploader") if "checkpoint" in u.proto.label][0]
    uploader.set_value(("model.pt", good.read_bytes(), "application/octet-stream")).run()
    assert CHECKPOINT_KEY in at.session_state  # the presenter's load goes through


@pytest.mark.parametrize("action", ["start a run", "upload a text", "save on the server",
                                    "load a checkpoint"])
def test_the_refusal_names_the_action_and_only_the_presenter_passes(hall, action):
    from streamlit.testing.v1 import AppTest

    def page(action):
        import streamlit as st

        from app_ui.lecture import may_control
        st.session_state["allowed"] = may_control(action)
    at = AppTest.from_function(page, args=(action,)).run()
    assert at.session_state["allowed"] is False
    assert f"Only the presenter can {action} during the lecture" in texts(at.error)
    hall.seat(True)
    assert at.run().session_state["allowed"] is True and not at.error


def test_the_presenters_run_is_pinned_autosaved_and_followed_by_the_room(hall, registry):
    presenter, run = presenter_starts_a_run(hall, registry)
    wait_until(lambda: run.epoch >= 1)
    presenter.button(key="pause").click().run()
    assert app_server.lecture_autosave_path().is_file()  # a pause saves it
    assert registry.reap(now=10**9) == []  # never reaped, however long the break
    assert pushed(run).status["state"] == "paused"
    hall.seat(True)
    presenter.button(key="stop").click().run()


def test_a_wrong_key_is_said_plainly(hall, registry):
    at = new_app(key="not-the-key").run()
    assert "That presenter key is not right" in texts(at.error)
    assert "key" not in at.query_params


def test_a_viewer_with_an_old_link_follows_the_lecture_run(hall, registry):
    presenter, run = presenter_starts_a_run(hall, registry)
    old = registry.create(run.config, run.corpus, owner="someone").run_id  # last week's link
    hall.seat(False)
    viewer = new_app(run=old).run()
    assert_clean(viewer)
    assert run.id in [v["room"] for v in live_views(viewer)]
    assert viewer.query_params["run"] == run.id
    hall.seat(True)
    presenter.button(key="stop").click().run()
