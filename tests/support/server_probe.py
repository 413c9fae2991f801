"""The server side of ``server.StreamlitServer(probe=True)``: app.py imports
this module when ``GRU_EXPLAINER_SERVER_HOOKS`` names it (tests and benchmarks
only). It gives the app a run registry built from the settings in
``GRU_SERVER_PROBE`` (idle timeout, cap; runs of one size may fail, see
``faults``) through the public ``gru_core.runs.get_registry``, and twice a
second writes to a JSON file which threads exist and how far each run has
trained. It never drives the app."""
from __future__ import annotations

import atexit
import json
import os
import threading
import time

HOOKS_ENV = "GRU_EXPLAINER_SERVER_HOOKS"
SETTINGS_ENV = "GRU_SERVER_PROBE"


def report(registry) -> dict:
    runs = [{"id": run.id, "state": run.state.value, "batch": run.batch, "epoch": run.epoch,
             "hiddens": run.config.num_hiddens,
             "tokens_per_batch": run.config.batch_size * run.config.num_steps}
            for run in registry.list_runs()]
    return {"time": time.time(), "threads": [t.name for t in threading.enumerate()],
            "runs": runs}


def keep_reporting(registry, path: str, interval_s: float = 0.5) -> None:
    while True:
        try:
            with open(path + ".tmp", "w") as out:
                json.dump(report(registry), out)
            os.replace(path + ".tmp", path)
        except Exception as error:  # keep probing; the next tick may work
            print("server probe:", error)
        time.sleep(interval_s)


def install(settings: dict) -> None:
    from gru_core import runs

    from .faults import FaultyRegistry

    registry = FaultyRegistry(settings.get("fail_hiddens"), **settings.get("registry", {}))
    runs.get_registry = lambda: registry
    atexit.register(registry.shutdown)
    threading.Thread(target=keep_reporting, args=(registry, settings["report"]),
                     name="server-probe", daemon=True).start()


if os.environ.get(SETTINGS_ENV):  # imported by the server, not by the test that starts it
    install(json.loads(os.environ[SETTINGS_ENV]))
