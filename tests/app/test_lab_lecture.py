"""The Lab in lecture mode: only the presenter starts and restarts (checked
where the action runs, so a crafted widget message gets nothing); the room
follows the presenter's lab run read-only, its restarts overlaid."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from .common import assert_clean, figures_by_title, live_views, texts, the_run
from .test_lab import open_lab
from .test_lecture import hall  # noqa: F401  (lecture mode on; the test seats the presenter)

CONTROLS = ("lab_start", "lab_restart", "pause", "stop", "resume", "lab_new")


def restart_and_start(run_id: str) -> None:
    """The Lab's two actions called straight, as a crafted message would reach them."""
    from app_ui import lab, runs
    run = runs.registry().get(run_id)
    lab.restart(run, "lr", 0.5)
    lab.start_cells(run.config, run.corpus, ["rnn"])


def buttons(at) -> set[str]:
    return {button.key for button in at.button}


def test_only_the_presenter_starts_and_restarts_the_room_watches(hall, registry):
    viewer = open_lab()
    assert not buttons(viewer) & set(CONTROLS)
    assert [v["room"] for v in live_views(viewer) if v["panels"]] == ["lecture"]

    hall.seat(True)
    presenter = open_lab()
    presenter.multiselect(key="cells").set_value(["scratch", "rnn"]).run()
    presenter.button(key="lab_start").click().run()
    assert_clean(presenter)
    first = the_run(registry)
    assert hall.run_id == first.id  # the presenter's lab run is the room's

    hall.seat(False)
    viewer.run()
    assert_clean(viewer)
    assert first.id in [v["room"] for v in live_views(viewer)]
    assert "read-only; only the presenter can pause or stop it" in texts(viewer.info)
    assert not buttons(viewer) & set(CONTROLS)

    hall.seat(True)
    presenter.run()  # drawn for the presenter, then the widget message comes from a viewer
    hall.seat(False)
    presenter.button(key="lab_restart").click().run()
    assert registry.list_runs() == [first]  # no restart
    refused = AppTest.from_function(restart_and_start, args=(first.id,)).run()
    assert "Only the presenter can restart a run during the lecture" in texts(refused.error)
    assert "Only the presenter can start a run during the lecture" in texts(refused.error)
    assert registry.list_runs() == [first]  # refused where the actions run

    hall.seat(True)
    presenter.run()
    presenter.button(key="lab_restart").click().run()
    assert_clean(presenter)
    second = [run for run in registry.list_runs() if run is not first][0]
    assert hall.run_id == second.id and second.difference == "lr 1 → 0.5"

    hall.seat(False)
    room = open_lab()  # a student who opens the Lab now follows the restart
    assert second.id in [v["room"] for v in live_views(room)]
    assert "GRU: perplexity, run by run" in figures_by_title(room)
    assert "Your runs" not in [h.value for h in room.subheader]  # a viewer owns none
    hall.seat(True)
    presenter.button(key="stop").click().run()
    assert second.wait(20)
