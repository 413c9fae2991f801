"""A run shared between its owner's and a viewer's session: the viewer
follows it read-only, its owner key is not the run's, and the registry refuses it."""
from __future__ import annotations

import pytest

from app_ui.lecture import FALLBACK_OWNER_KEY
from gru_core.runs import PermissionDenied, RunControl

from .common import assert_clean, live_views, new_app, pushed, start_tiny_run, texts, wait_until


def test_viewer_follows_the_presenters_run_read_only(registry):
    owner, run = start_tiny_run(registry)
    viewer = new_app(run=run.id).run()
    assert_clean(viewer)
    assert "read-only" in texts(viewer.info)
    for command in ("pause", "stop", "step_batch", "apply_lr", "start"):
        assert not [b for b in viewer.button if b.key == command], command
    wait_until(lambda: run.epoch >= 1)
    owner.run()
    viewer.run()
    # both pages watch the same run through the push route, the owner's view reruns on a
    # change of state (for its buttons), the viewer's never reruns
    views = {name: live_views(session)[0] for name, session in (("owner", owner),
                                                                ("viewer", viewer))}
    assert views["owner"]["room"] == views["viewer"]["room"] == run.id
    assert views["owner"]["rerun_on_state"] and not views["viewer"]["rerun_on_state"]
    assert pushed(run).records["epochs"]
    # the viewer's owner key is not the run's: the registry refuses its commands
    owner_key = owner.session_state[FALLBACK_OWNER_KEY]
    viewer_key = viewer.session_state[FALLBACK_OWNER_KEY]
    assert owner_key != viewer_key
    assert isinstance(registry.control(run.id, owner_key), RunControl)
    for key in (viewer_key, None):
        with pytest.raises(PermissionDenied):
            registry.control(run.id, key)
    owner.button(key="stop").click().run()
    viewer.run()
    assert_clean(viewer)
    assert run.state.value == "stopped"


def test_the_sidebar_shows_the_run_and_its_share_link(registry):
    at, run = start_tiny_run(registry)
    assert f"Run `{run.id}`" in texts(at.sidebar.markdown)
    assert "you are the owner" in texts(at.sidebar.markdown)
    shared = " ".join(element.proto.body for element in at.sidebar.get("html"))
    assert f"?run={run.id}" in shared and at.sidebar.get("image")  # the link and its QR code
    viewer = new_app(run=run.id).run()
    assert "you are the viewer (read-only)" in texts(viewer.sidebar.markdown)
    at.button(key="stop").click().run()
