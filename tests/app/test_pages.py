"""Every page of the app, with no run: it loads, has a title, starts nothing;
the entry script's sidebar (presentation mode, run status) on any page."""
from __future__ import annotations

import pytest

from .common import PAGES, assert_clean, new_app, texts


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_a_run(registry, page):
    at = new_app().run()
    assert_clean(at)
    at.switch_page(page).run()
    assert_clean(at)
    assert at.title, f"{page} shows no title"
    assert not registry.list_runs()


def test_unknown_shared_run_gets_a_message(registry):
    at = new_app(run="no-such-run").run()
    assert_clean(at)
    assert "no-such-run" in texts(at.warning)


def test_presentation_mode_from_the_url(registry):
    at = new_app(present="true").run()
    assert_clean(at)
    assert at.toggle(key="present").value is True
    assert "stMetricValue" in "".join(str(e.proto) for e in at.get("html"))  # the larger-font CSS


def test_without_a_run_the_sidebar_says_how_to_get_one(registry):
    at = new_app().run()
    assert "No live run" in texts(at.sidebar.caption)
