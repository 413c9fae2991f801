"""Every page of the app, with no run: it loads, has a title, starts nothing;
the entry script's sidebar (presentation mode, run status) on any page."""
from __future__ import annotations

import pytest

from gru_core.interpret import MAX_PROBE_CHARS

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


LONGEST = ("the time traveller held in his hand a glittering metallic framework " * 7)[
    :MAX_PROBE_CHARS]
PROBE_PAGES = [("app_pages/gates.py", None), ("app_pages/step.py", None),
               ("app_pages/compare.py", None)] + [
    ("app_pages/explore.py", view) for view in
    ("Gate saturation", "Gates over training", "Saliency", "Unit search", "Interventions")]


@pytest.mark.parametrize("text", ["a", LONGEST], ids=["one-character", "longest"])
@pytest.mark.parametrize("page, view", PROBE_PAGES,
                         ids=[f"{p.split('/')[1][:-3]}-{v or 'page'}" for p, v in PROBE_PAGES])
def test_every_probe_page_takes_one_character_and_the_longest_probe(registry, page, view, text):
    """A probe of one character (a slider from 0 to 0 is refused by Streamlit)
    and one of MAX_PROBE_CHARS draw without an error box."""
    assert len(LONGEST) == MAX_PROBE_CHARS
    query = {"probe": text} | ({"view": view} if view else {})
    at = new_app(**query).run()
    at.switch_page(page).run()
    assert_clean(at)
    assert not at.error, texts(at.error)
    if page.endswith("step.py"):
        assert "Checked: these numbers reproduce" in texts(at.success)
        if text == "a":
            assert "Position t = 0: the text has one character." in texts(at.caption)


def test_presentation_mode_enlarges_equations_the_sample_box_and_the_share_link(registry):
    styles = lambda at: "".join(e.proto.body for e in at.get("html"))  # noqa: E731
    at = new_app(present="true").run()
    css = styles(at)
    for enlarged in (".katex-display > .katex", '[data-testid="stCode"] code',
                     '[data-testid="stSidebar"] div[style*="word-break:break-all"]'):
        assert enlarged in css, enlarged
    plain = styles(new_app().run())
    assert "katex-display > .katex" not in plain
    assert 'st-key-wide_' in plain  # heatmaps scroll sideways on phones, presenting or not
