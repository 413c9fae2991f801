"""A run shared between a presenter's and a viewer's session: the viewer
follows it read-only, holds no token, and the registry refuses it."""
from __future__ import annotations

import time

import pytest

from gru_core.runs import PermissionDenied, RunControl

from .common import (SHARED_FIGURE_AGE_S, assert_clean, new_app, plot_specs, plotted,
                     start_tiny_run, texts, wait_until)


def test_viewer_follows_the_presenters_run_read_only(registry):
    owner, run = start_tiny_run(registry)
    viewer = new_app(run=run.id).run()
    assert_clean(viewer)
    assert "read-only" in texts(viewer.info)
    for command in ("pause", "stop", "step_batch", "apply_lr", "start"):
        assert not [b for b in viewer.button if b.key == command], command
    wait_until(lambda: run.epoch >= 1)
    time.sleep(SHARED_FIGURE_AGE_S)
    owner.run()
    viewer.run()
    seen_by = [plotted(plot_specs(session)[0]["data"][0]["y"]) for session in (owner, viewer)]
    assert seen_by[0] and seen_by[1][: len(seen_by[0])] == seen_by[0][: len(seen_by[1])]
    # the viewer's session holds no token: the registry refuses its commands
    assert "owner_tokens" not in viewer.session_state
    tokens = owner.session_state["owner_tokens"]
    assert list(tokens) == [run.id]
    assert isinstance(registry.control(run.id, tokens[run.id]), RunControl)
    with pytest.raises(PermissionDenied):
        registry.control(run.id, None)
    owner.button(key="stop").click().run()
    viewer.run()
    assert_clean(viewer)
    assert run.state.value == "stopped"


def test_the_sidebar_shows_the_run_and_its_share_link(registry):
    at, run = start_tiny_run(registry)
    assert f"Run `{run.id}`" in texts(at.sidebar.markdown)
    assert "you are the presenter" in texts(at.sidebar.markdown)
    assert f"?run={run.id}" in texts(at.sidebar.code)
    viewer = new_app(run=run.id).run()
    assert "you are the viewer (read-only)" in texts(viewer.sidebar.markdown)
    at.button(key="stop").click().run()
