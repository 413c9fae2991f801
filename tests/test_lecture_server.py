"""The lecture hall against a real ``streamlit run app.py`` server: ~20 push
viewers follow one run (and all reconnect at once) with nothing lost or
repeated, a viewer's page gets its updates with no script rerun at all, and
the lecture's run survives ``kill -9`` and a restart, paused at its autosave."""
from __future__ import annotations

import asyncio
import shutil
import signal
import time
from pathlib import Path

import pytest

from app_server.lecture import KEY_ENV, PRESENTER_COOKIE, presenter_token
from tests.support.push_client import PushViewer
from tests.support.server import StreamlitServer
from tests.support.streamlit_client import BrowserTab

REPO = Path(__file__).resolve().parents[1]
KEY = "test-lecture-key"
SMALL = {"Hidden units": 16, "Batch size": 8, "Time steps": 10, "Epochs": 100_000}
VIEWERS = 20


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {what}")
        time.sleep(0.1)


async def start_small_run(url: str, cookies: dict | None = None) -> tuple[BrowserTab, str]:
    """A tab on the Train page starts a small run; (tab, run id)."""
    tab = BrowserTab(url, name="owner", cookies=dict(cookies or {}))
    await tab.open(timeout=120)
    for label, value in SMALL.items():
        tab.set_widget("number_input", label, int_value=value)
    tab.set_widget("number_input", "Characters of the corpus to use", int_value=600)
    await tab.click("Start training")
    await tab.wait_finished(90)
    run_id = dict(part.split("=", 1) for part in tab.query.split("&") if "=" in part).get("run")
    assert run_id, f"no run in the page's query: {tab.query!r}"
    return tab, run_id


def steps(viewer: PushViewer) -> list[int]:
    return [r["step"] for r in viewer.state.records.get("batches", [])]


@pytest.fixture
def data_dir(tmp_path, shared_text) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(shared_text, folder / "timemachine.txt")
    return folder


def test_twenty_viewers_follow_one_run_by_push_and_a_page_never_reruns(data_dir):
    with StreamlitServer("app.py", str(REPO), env={"GRU_EXPLAINER_DATA": str(data_dir)}) as server:
        async def scenario():
            owner, run_id = await start_small_run(server.url)
            page = await BrowserTab(server.url, query=f"run={run_id}", name="viewer").open(60)
            runs_after_open = len(page.runs)
            viewers = [PushViewer(server.url, run_id) for _ in range(VIEWERS)]
            started = time.monotonic()
            # everyone follows for 8 s; at 4 s every socket drops at once and reconnects
            await asyncio.gather(*(v.follow(until=started + 8, drop_at=started + 4)
                                   for v in viewers))
            # the viewer's page is rendered once and never rerun on a timer
            assert len(page.runs) == runs_after_open and not page.auto_reruns
            assert not page.errors
            await owner.click("Pause")
            await owner.wait_finished(30)
            final = PushViewer(server.url, run_id)
            await final.follow(until=time.monotonic() + 3)
            for tab in (owner, page):
                await tab.close()
            return viewers, final

        viewers, final = asyncio.run(scenario())
    expected = steps(final)
    assert len(expected) > 10 and expected == list(range(1, len(expected) + 1))
    for viewer in viewers:
        assert not viewer.errors, viewer.errors
        assert viewer.connects == 2  # dropped once, back by itself
        seen = steps(viewer)
        assert seen == expected[:len(seen)], "a record was lost or repeated"
        assert viewer.outcomes.get("applied", 0) >= 5 and viewer.outcomes.get("gap", 0) == 0
        assert max(viewer.gaps()) < 3.0  # roughly one update a second, the drop included
        assert viewer.state.status["state"] in ("running", "paused")


def test_the_lecture_run_survives_kill_9_and_a_restart_paused_at_its_autosave(data_dir):
    env = {"GRU_EXPLAINER_DATA": str(data_dir), KEY_ENV: KEY}
    presenter = {PRESENTER_COOKIE: presenter_token(KEY)}
    with StreamlitServer("app.py", str(REPO), env=env) as server:
        async def before():
            tab, run_id = await start_small_run(server.url, presenter)
            room = PushViewer(server.url, "lecture")
            await room.follow(until=time.monotonic() + 6)
            assert room.state.status["state"] == "running" and room.state.records["epochs"]
            await tab.click("Pause")  # a pause saves the run
            await tab.wait_finished(30)
            await tab.click("Resume")
            await tab.wait_finished(30)
            await tab.close()
            return run_id, room
        run_id, room = asyncio.run(before())
        autosave = data_dir / "lecture" / "lecture-run.pt"
        wait_until(autosave.is_file, 30, "the lecture's run is autosaved")
        server.process.send_signal(signal.SIGKILL)  # no shutdown of any kind
        server.process.wait(10)
        seen_epochs = len(room.state.records["epochs"])

    with StreamlitServer("app.py", str(REPO), env=env) as server:  # same command, same key
        async def after():
            room = PushViewer(server.url, "lecture")
            await room.follow(until=time.monotonic() + 3)
            status = dict(room.state.status)
            tab = await BrowserTab(server.url, name="presenter", cookies=dict(presenter)).open(60)
            assert any("you are the presenter" in text for text in tab.texts())
            await tab.click("Resume")
            await tab.wait_finished(30)
            again = PushViewer(server.url, "lecture")
            await again.follow(until=time.monotonic() + 5)
            await tab.close()
            return status, room, again
        status, room, again = asyncio.run(after())
    assert status["state"] == "paused"  # back where the autosave left it, waiting
    history = room.state.records
    assert history["epochs"] and len(history["epochs"]) >= seen_epochs - 1
    assert [r["step"] for r in history["batches"]] == list(range(1, status["batch"] + 1))
    assert again.state.status["state"] == "running"  # the presenter resumed it
    assert again.state.status["batch"] > status["batch"]
