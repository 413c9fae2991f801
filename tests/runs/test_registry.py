"""gru_core.runs.registry: the running cap, owner handles, reaping, shutdown."""
from __future__ import annotations

import threading

import pytest

from gru_core import runs
from gru_core.runs import PermissionDenied, RunCapError, RunError, RunRegistry, RunState, get_registry

from .common import WAIT_S, tiny_config, wait_until


def test_registry_enforces_the_running_cap(registry, small_corpus):
    reg = registry(max_running=1)
    first = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    second = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    first.start()
    with pytest.raises(RunCapError, match=r"max_running=1"):
        second.start()
    assert second.run.state is RunState.IDLE
    first.pause()
    second.start()
    with pytest.raises(RunCapError, match=r"max_running=1"):
        first.resume()
    second.stop()
    first.resume()
    assert first.run.state is RunState.RUNNING
    assert [run.id for run in reg.list_runs()] == [first.run_id, second.run_id]


def test_registry_run_cap_and_default_sizing(registry, small_corpus):
    assert registry().max_running == runs.default_max_running() >= 1
    reg = registry(max_runs=1)
    reg.create(tiny_config(), small_corpus, scratch_engine="scratch")
    with pytest.raises(RunCapError, match=r"max_runs=1"):
        reg.create(tiny_config(), small_corpus, scratch_engine="scratch")


def test_registry_control_needs_the_owner_token(registry, small_corpus):
    reg = registry()
    owner = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    run = owner.run
    assert len(owner.token) >= 24 and owner.token != run.id
    with pytest.raises(PermissionDenied, match="only the session that created run"):
        reg.control(run.id, "not-the-token")
    with pytest.raises(PermissionDenied):
        reg.control(run.id, None)
    reg.control(run.id, owner.token).start()
    viewer_view = reg.get(run.id)  # anyone with the id can watch
    wait_until(lambda: viewer_view.metrics()["batches"])
    reg.control(run.id, owner.token).set_lr(0.5)
    assert run.lr == 0.5
    with pytest.raises(RunError, match="there is no run 'missing'"):
        reg.get("missing")
    reg.release(run.id)
    assert run.state is RunState.STOPPED and "released" in run.message
    with pytest.raises(RunError, match="there is no run"):
        reg.heartbeat(run.id)
    with pytest.raises(RunError, match="there is no run"):
        reg.control(run.id, owner.token)


def test_every_command_a_run_allows_is_a_method_of_the_owners_handle():
    from gru_core.runs import RunControl, allowed_commands

    commands = {command for state in RunState for stepping in (False, True)
                for command in allowed_commands(state, stepping)}
    assert commands == {"start", "pause", "resume", "stop", "step_epoch", "step_batch", "set_lr"}
    assert all(callable(getattr(RunControl, command)) for command in commands)


class FakeClock:
    """The registry's clock, moved by the test: reaping depends on the heartbeats
    the test sends, not on how busy the machine is."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_registry_reaps_runs_without_viewers(registry, small_corpus):
    clock = FakeClock()
    reg = registry(idle_timeout_s=0.3, reap_interval_s=0.05, clock=clock)
    watched = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    abandoned = reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
    for owner in (watched, abandoned):
        owner.start()
    assert "gru-reaper" in [t.name for t in threading.enumerate()]
    for _ in range(20):  # one second of the registry's time, a heartbeat every 0.05 s
        clock.now += 0.05
        reg.heartbeat(watched.run_id)
    # the reaper thread, not the test, releases the abandoned run
    assert abandoned.run.wait(WAIT_S) and abandoned.run.state is RunState.STOPPED
    assert "no viewer was seen for 0.3 s" in abandoned.run.message
    with pytest.raises(RunError, match="released after 0.3 s without viewers"):
        reg.get(abandoned.run_id)
    assert reg.get(watched.run_id).state is RunState.RUNNING
    assert reg.reap(now=clock.now + 10) == [watched.run_id]  # explicit, with a clock
    assert watched.run.state is RunState.STOPPED and reg.list_runs() == []


def test_registry_shutdown_stops_everything_and_leaves_no_threads(small_corpus):
    before = set(threading.enumerate())
    reg = RunRegistry(reap_interval_s=0.05)
    owners = [reg.create(tiny_config(num_epochs=100_000), small_corpus, scratch_engine="scratch")
              for _ in range(2)]
    for owner in owners:
        owner.start()
    owners[1].pause()
    reg.shutdown()
    assert all(owner.run.state is RunState.STOPPED for owner in owners)
    assert set(threading.enumerate()) <= before
    with pytest.raises(RunError, match="shut down"):
        reg.create(tiny_config(), small_corpus)


def test_get_registry_is_one_per_process():
    assert get_registry() is get_registry()


def test_a_released_run_is_saved_first_and_its_owner_can_reopen_it(registry, small_corpus,
                                                                   tmp_path):
    clock = FakeClock()
    reg = registry(idle_timeout_s=600, reap_interval_s=60, clock=clock, autosave_dir=tmp_path)
    mine = reg.create(tiny_config(num_epochs=100_000), small_corpus, owner="browser-a",
                      scratch_engine="scratch")
    lecture = reg.create(tiny_config(num_epochs=100_000), small_corpus, owner="presenter",
                         scratch_engine="scratch")
    reg.pin(lecture.run_id)
    mine.start()
    wait_until(lambda: mine.run.batch >= 3)
    clock.now += 601  # ten minutes with nobody watching
    assert reg.reap() == [mine.run_id]  # the pinned lecture run stays
    assert reg.get(lecture.run_id).state is RunState.IDLE
    assert "saved: its owner can reopen it" in mine.run.message
    batch = mine.run.batch
    assert reg.saved_runs("browser-b") == []  # another browser sees nothing
    listed, = reg.saved_runs("browser-a")
    assert listed["id"] == mine.run_id and listed["state"] == "paused" and listed["batch"] == batch
    with pytest.raises(RunError, match="no saved run 'nope' of yours"):
        reg.reopen("nope", "browser-a")
    with pytest.raises(RunError, match="no saved run"):
        reg.reopen(mine.run_id, "browser-b")
    back = reg.reopen(mine.run_id, "browser-a")
    assert back.run.state is RunState.PAUSED and back.run.batch == batch
    assert reg.saved_runs("browser-a") == []  # it is open again
    back.resume()
    wait_until(lambda: back.run.batch > batch)
    with pytest.raises(PermissionDenied):
        reg.control(back.run_id, "browser-b")
    assert reg.control(back.run_id, "browser-a").run is back.run
