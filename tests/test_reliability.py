"""Faults and sessions that come and go, against the real server.

- A training thread that raises ends its own run (``failed``, with a message
  on its presenter's page and the traceback only in a collapsed expander,
  never as an exception); the server, other sessions and their runs go on.
  Checked in the library (registry) and end to end in a ``streamlit run
  app.py`` server, driven by headless browser-tab clients
  (tests/support/streamlit_client.py), with a fault injected into runs of one
  size through their public trainers (tests/support/faults.py).
- Tabs that start a run and close leave no training thread behind once the
  registry's idle reaper has acted (a short version of bench/session_cycles.py,
  in real Chromium: skipped locally without it, fails in CI).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from gru_core.config import TrainConfig
from gru_core.runs import RunCapError, RunRegistry, RunState
from tests.support.browser import CHROMIUM, chromium_missing_reason
from tests.support.faults import FAULT_MESSAGE
from tests.support.server import StreamlitServer
from tests.support.push_client import PushViewer
from tests.support.session_cycles import run_cycles
from tests.support.streamlit_client import BrowserTab

REPO = Path(__file__).resolve().parents[1]
FAULTY_HIDDENS = 13   # runs of this size raise in their training thread (injected)
HEALTHY_HIDDENS = 16


def wait_until(predicate, timeout: float = 30, interval: float = 0.05, what: str = ""):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {what or predicate}")
        time.sleep(interval)


# ---------------------------------------------------------------- library level

def test_a_failed_run_frees_its_slot_and_the_registry_keeps_serving(time_machine, monkeypatch):
    registry = RunRegistry(max_running=1, idle_timeout_s=60, reap_interval_s=0.2)
    config = TrainConfig(num_hiddens=8, num_epochs=100_000, batch_size=4, num_steps=5)
    try:
        control = registry.create(config, time_machine, sample_every=0, snapshot_every=0)
        broken = control.run
        monkeypatch.setattr(broken.trainers["scratch"], "train_batch", lambda X, Y: 1 / 0)
        control.start()
        assert broken.wait(10)
        assert broken.state is RunState.FAILED
        assert "ZeroDivisionError" in broken.message and "ZeroDivisionError" in broken.traceback

        # The failed run no longer counts against the cap of one running run.
        control = registry.create(config, time_machine, sample_every=0, snapshot_every=0)
        healthy = control.run
        control.start()
        wait_until(lambda: healthy.batch >= 3, what="the healthy run trains")
        third = registry.create(config, time_machine, sample_every=0, snapshot_every=0)
        with pytest.raises(RunCapError, match="max_running=1"):
            third.start()

        # The reaper still works after the failure: an unwatched run is released.
        registry.idle_timeout_s = 0.5
        wait_until(lambda: healthy.state is RunState.STOPPED, timeout=10,
                   what="the reaper stops an unwatched run")
        assert healthy.id not in {run.id for run in registry.list_runs()}
    finally:
        registry.shutdown()


# ---------------------------------------------------------------- the real server

@pytest.fixture(scope="module")
def faulty_server(data_cache, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with StreamlitServer("app.py", str(REPO), log_path=str(log), probe=True,
                         fail_hiddens=FAULTY_HIDDENS,
                         env={"GRU_EXPLAINER_DATA": str(data_cache)}) as server:
        yield server


async def start_run(server: StreamlitServer, hiddens: int) -> tuple[BrowserTab, str]:
    """A presenter tab on the Train page starts a small run; returns (tab, run id)."""
    tab = await BrowserTab(server.url, page="", name=f"presenter{hiddens}").open(timeout=120)
    tab.set_widget("number_input", "Hidden units", int_value=hiddens)
    tab.set_widget("number_input", "Epochs", int_value=100_000)
    await tab.click("Start training")
    await tab.wait_finished(90)
    return tab, dict(parse_qsl(tab.query))["run"]


def run_report(server: StreamlitServer, run_id: str) -> dict:
    """The run as the server's probe last wrote it ({} until it has)."""
    return next((run for run in server.probe()["runs"] if run["id"] == run_id), {})


def test_an_exception_in_one_training_thread_spares_the_server_and_other_sessions(faulty_server):
    server = faulty_server

    async def scenario():
        healthy, healthy_id = await start_run(server, HEALTHY_HIDDENS)
        broken, broken_id = await start_run(server, FAULTY_HIDDENS)
        await asyncio.to_thread(wait_until, lambda: run_report(server, broken_id).get("state")
                                == "failed", 60, 0.05, "the broken run fails")
        # The live view reruns its owner's page once when the run's state changes
        # (this headless tab runs no JavaScript: it reruns as the component would).
        await broken.rerun()
        await broken.wait_for_text("Training failed", 60)

        # The broken run's presenter sees what happened; the traceback sits in a
        # collapsed expander, never as an exception element.
        message = next(text for text in broken.texts() if "Training failed" in text)
        assert f"RuntimeError: {FAULT_MESSAGE}" in message
        assert "exception" not in broken.kinds()
        assert any(text.startswith("Traceback (most recent call last)")
                   and FAULT_MESSAGE in text for text in broken.texts())
        threads = server.probe()["threads"]
        assert f"gru-run-{broken_id}" not in threads
        assert f"gru-run-{healthy_id}" in threads

        # The other run keeps training, and its live stream keeps updating.
        watcher = PushViewer(server.url, healthy_id)
        await watcher.follow(until=time.monotonic() + 4)
        assert watcher.outcomes.get("applied", 0) >= 2 and not watcher.errors
        batches = [r["step"] for r in watcher.state.records["batches"]]
        assert batches and batches == sorted(batches) and watcher.state.status["state"] == "running"
        assert run_report(server, healthy_id)["state"] == "running"

        # New sessions are served: a viewer follows the healthy run's shared link.
        viewer = await BrowserTab(server.url, page="", query=f"run={healthy_id}",
                                  name="viewer").open(timeout=60)
        await viewer.wait_finished(30)
        assert any("read-only" in text for text in viewer.texts())

        await healthy.click("Stop")
        # closing the tab before the server has run the click would lose it
        await asyncio.to_thread(wait_until, lambda: run_report(server, healthy_id).get("state")
                                == "stopped", 60, 0.05, "Stop stops the healthy run")
        for tab in (healthy, broken, viewer):
            assert not tab.errors
            await tab.close()
        return healthy_id

    asyncio.run(scenario())
    wait_until(lambda: not [n for n in server.probe()["threads"] if n.startswith("gru-run-")],
               timeout=30, what="no training thread is left")
    assert server.process.poll() is None


# ---------------------------------------------------------------- sessions that come and go

def test_tabs_that_start_a_run_and_close_leave_no_training_thread(data_cache):
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the session-cycle test must run in CI: {reason}")
        pytest.skip(reason)

    # a tab heartbeats its run from its page and its live view's socket; 10 s of silence
    # after the tab closed is taken as gone (a lecture's server waits 10 minutes)
    args = argparse.Namespace(cycles=3, hiddens=8, epochs=100_000, idle_timeout=10,
                              reap_wait=40, session_ttl=3, chromium_path=CHROMIUM)
    registry = {"idle_timeout_s": args.idle_timeout, "reap_interval_s": 0.5, "max_running": 8}
    with StreamlitServer("app.py", str(REPO), probe=True, registry=registry,
                         env={"GRU_EXPLAINER_DATA": str(data_cache)},
                         options={"server.disconnectedSessionTTL": args.session_ttl}) as server:
        report = run_cycles(server, args)
    assert report.runs_started == 3
    assert report.training_threads_at_end == []
    assert report.runs_at_end == [], "reaped runs must be released from the registry"
    assert report.idle_cpu_percent < 20, "nothing should train once every tab is gone"
    # Bounded memory: three small runs and sessions, created and dropped, must not
    # leave more than a few MB each behind (a leaked model copy per poll would).
    assert report.rss_after - report.rss_before < 60, (report.rss_before, report.rss_after)
