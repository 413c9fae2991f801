"""What the app tests share: starting the app headless with AppTest, reading
what it drew (Plotly specs as the browser receives them), and a tiny run.

AppTest never fires ``run_every`` timers: each ``at.run()`` is one refresh."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest


REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "navigation.py")
PAGES = ["app_pages/start.py", "app_pages/train.py", "app_pages/gates.py", "app_pages/compare.py", "app_pages/step.py",
         "app_pages/explore.py"]
# A run that trains an epoch in a fraction of a second on a shared core.
TINY_RUN = {"hiddens": "8", "batch": "4", "steps": "5", "epochs": "400", "max_tokens": "1000"}
WAIT_S = 20


def new_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def open_page(page: str, **query) -> AppTest:
    """``page`` (e.g. "app_pages/gates.py") opened from a URL with ``query``,
    drawn without an exception."""
    at = new_app(**query).run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def plot_specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def title_of(spec: dict) -> str:
    """The chart's title as one line (the page wraps long titles for phones)."""
    return spec["layout"].get("title", {}).get("text", "").replace("<br>", " ")


def figures_by_title(at) -> dict[str, dict]:
    """Every Plotly figure the page drew, by its title."""
    return {title_of(spec): spec for spec in plot_specs(at)}


def trace_types(spec: dict) -> set[str]:
    return {trace.get("type", "scatter") for trace in spec["data"]}


def plotted(values) -> list[float]:
    """Plotly ships numpy arrays as base64 typed arrays: decode either form."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
    return list(values)


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def wait_until(predicate, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the run")
        time.sleep(0.05)


def live_views(at) -> list[dict]:
    """The live views (custom components) the page mounted, as their data."""
    return [json.loads(element.proto.json) for element in at.get("bidi_component")]


def pushed(run):
    """What the push route's channel gives a new viewer of ``run`` now: the
    same frames the live view draws (a ViewerState after its catch-up)."""
    from gru_core.broadcast import LiveChannel, ViewerState
    channel = LiveChannel(run, "the time traveller")
    channel.poll()
    viewer = ViewerState()
    viewer.apply(channel.catch_up(None, None))
    return viewer


def the_run(registry):
    runs = registry.list_runs()
    assert len(runs) == 1, runs
    return runs[0]


def start_tiny_run(registry, **query):
    """The Train page with a tiny run started by this session: (AppTest, Run)."""
    at = new_app(**(TINY_RUN | query)).run()
    assert_clean(at)
    at.button(key="start").click().run()
    assert_clean(at)
    return at, the_run(registry)


def run_to_the_end(registry, **query):
    """A tiny run with these settings that ends by itself (diverges, fails),
    and the Train page refreshed after: (AppTest, Run)."""
    at, run = start_tiny_run(registry, **query)
    assert run.wait(WAIT_S)
    at.run()
    assert_clean(at)
    return at, run
