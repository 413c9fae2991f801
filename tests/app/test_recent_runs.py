"""A run released while nobody watched (saved first) is listed on its owner's
Train page and reopens where it stopped; another browser does not see it."""
from __future__ import annotations

import pytest

from gru_core.runs import RunRegistry, RunState

from .common import assert_clean, new_app, start_tiny_run, texts, wait_until
from .conftest import private_registry


@pytest.fixture
def saving_registry(monkeypatch, data_cache, tmp_path):
    yield from private_registry(monkeypatch, RunRegistry(idle_timeout_s=600,
                                                         autosave_dir=tmp_path / "autosave"))


def test_a_reaped_run_comes_back_from_the_recent_runs_list(saving_registry):
    registry = saving_registry
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.batch >= 3)
    assert registry.reap(now=10**9) == [run.id]  # ten minutes and more without anyone
    assert run.state is RunState.STOPPED
    at.query_params.clear()
    at.session_state["run_id"] = None
    at.run()
    assert_clean(at)
    assert f"`{run.id}`" in texts(at.markdown) and "paused" in texts(at.markdown)
    stranger = new_app().run()
    assert f"`{run.id}`" not in texts(stranger.markdown)  # someone else's, not listed
    at.button(key=f"reopen_{run.id}").click().run()
    assert_clean(at)
    back = registry.get(run.id)
    assert back is not run and back.state is RunState.PAUSED and back.batch >= 3
    assert [b for b in at.button if b.key == "resume"]  # its owner controls it again
    at.button(key="resume").click().run()
    wait_until(lambda: back.batch > run.batch)
    at.button(key="stop").click().run()
