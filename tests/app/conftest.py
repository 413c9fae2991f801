"""Every app test gets a private run registry (the app reaches it through the
public ``gru_core.runs.get_registry``); every run is stopped afterwards.
``faulty_registry``'s runs of ``FAULTY_HIDDENS`` units fail in their thread."""
from __future__ import annotations

import pytest

FAULTY_HIDDENS = 13


def use_registry(monkeypatch, registry):
    from app_ui import runs as app_runs
    from gru_core import runs
    monkeypatch.setattr(runs, "get_registry", lambda: registry)
    app_runs.registry.clear()
    return registry


def private_registry(monkeypatch, registry):
    yield use_registry(monkeypatch, registry)
    registry.shutdown()
    from app_ui import runs as app_runs
    app_runs.registry.clear()


@pytest.fixture
def registry(monkeypatch, data_cache):
    from gru_core.runs import RunRegistry
    yield from private_registry(monkeypatch, RunRegistry(idle_timeout_s=600))


@pytest.fixture
def faulty_registry(monkeypatch, data_cache):
    from tests.support.faults import FaultyRegistry
    yield from private_registry(monkeypatch, FaultyRegistry(FAULTY_HIDDENS, idle_timeout_s=600))
