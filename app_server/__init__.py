"""The server around the Streamlit app (``st.App``): the push route for live
runs, the lecture hall's identity cookies, static assets, and the start-up
that brings a lecture's run back after a restart. ``app.py`` passes
``routes()``, ``middleware()`` and ``lifespan`` to ``st.App`` (Streamlit finds
the ``st.App(...)`` call in app.py's own source, so it must stay written there);
the pages never import Starlette."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from gru_core.interpret import DEFAULT_PROBE
from gru_core import runs
from gru_core.runs import Run, RunError
from gru_core.runs.saved import SavedRunError
from gru_core.storage import data_dir

from .assets import PLOTLY_PATH, plotly_js
from .lecture import SIGN_OUT_PATH, IdentityMiddleware, hall, sign_out
from .push import PushHub

log = logging.getLogger(__name__)
LECTURE_AUTOSAVE_S = 30.0

_hub: PushHub | None = None


def hub() -> PushHub:
    """The process's push hub (the pages tell it the presenter's probe)."""
    global _hub
    if _hub is None:
        _hub = PushHub(DEFAULT_PROBE)
    return _hub


def lecture_autosave_path() -> Path:
    return data_dir() / "lecture" / "lecture-run.pt"


def keep_as_lecture_run(control) -> None:
    """Make a presenter's run the lecture's: never reaped, saved every 30 s
    and at each pause and stop, followed by the room."""
    registry = runs.get_registry()
    registry.pin(control.run_id)
    control.run.keep_autosaved(lecture_autosave_path(), every_s=LECTURE_AUTOSAVE_S,
                               owner=control.token)
    hall().follow(control.run_id)


def restore_lecture_run() -> str | None:
    """After a restart in lecture mode: the lecture's run, back from its last
    autosave, paused, with its whole history (None when there is none)."""
    lecture, path = hall(), lecture_autosave_path()
    if not lecture.active or not path.is_file():
        return None
    try:
        run = Run.restore(path)
        control = runs.get_registry().adopt(run, owner=lecture.token, pinned=True)
    except (SavedRunError, RunError) as exc:
        log.error("the lecture's run could not be restored from %s: %s", path, exc)
        return None
    run.keep_autosaved(path, every_s=LECTURE_AUTOSAVE_S, owner=lecture.token)
    lecture.follow(control.run_id)
    log.info("restored the lecture's run %s (epoch %d, %s)", run.id, run.epoch, run.state.value)
    return run.id


@contextlib.asynccontextmanager
async def lifespan(app):
    restore_lecture_run()
    task = asyncio.create_task(hub().run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def routes() -> list:
    """The app's own routes (Streamlit reserves /_stcore/, /media/, /component/, /static/)."""
    return [WebSocketRoute("/api/live/{room}", hub().serve), Route(PLOTLY_PATH, plotly_js),
            Route(SIGN_OUT_PATH, sign_out)]


def middleware() -> list:
    return [Middleware(IdentityMiddleware)]
