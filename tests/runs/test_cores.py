"""gru_core.runs.cores: a run training alone may split its batch across all
cores; several training at once get one core each."""
from __future__ import annotations

from gru_core.models import make_model
from gru_core.runs.cores import CORES, CoreShare, SliceChoice

from .common import wait_until


def test_cores_are_shared_among_the_runs_training_now():
    share = CoreShare(cores=2)
    assert share.workers_for("a") == 2
    share.active("a", True)
    assert share.workers_for("a") == 2        # itself does not count against it
    share.active("b", True)
    assert share.workers_for("a") == share.workers_for("b") == 1
    share.active("b", False)                 # paused or finished
    assert share.workers_for("a") == 2 and share.training_now() == 1
    fast, readable = make_model("scratch-fast", 28, 8), make_model("scratch", 28, 8)
    assert share.apply("a", [fast, readable]) == 2
    assert fast.batch_workers == 2 and not hasattr(readable, "batch_workers")


def test_a_run_says_when_it_trains(make_run):
    run = make_run(model="scratch-fast", scratch_engine="scratch-fast", num_epochs=200)
    run.start()
    wait_until(lambda: run.id in CORES._active)
    wait_until(lambda: run.models["scratch"].batch_workers == CORES.workers_for(run.id))
    run.pause()
    wait_until(lambda: run.id not in CORES._active)
    assert run.cores_summary().startswith("Training on ")
    run.stop()


def test_a_run_keeps_the_slice_count_that_measures_faster_and_probes_the_other():
    choice = SliceChoice()
    assert choice.next_workers(1) == 1          # one core: nothing to choose
    seen = []
    for seconds_by_workers in ({1: 0.030, 2: 0.020},):
        for _ in range(6):
            workers = choice.next_workers(2)
            seen.append(workers)
            choice.record(workers, seconds_by_workers[workers])
    assert set(seen) == {1, 2}
    assert choice.next_workers(2) == 2          # two slices measured faster
    assert choice.describe() == ("Training on 2 cores (batch rows split); per batch: "
                                 "1 slice 30 ms, 2 slices 20 ms.")
    choice.PROBE_EVERY = 3
    picks = [choice.next_workers(2) for _ in range(6)]
    assert picks.count(1) == 2                  # the slower option is re-measured now and then
    for _ in range(10):                         # the other core got busy: one slice wins
        choice.record(2, 0.060)
    assert choice.next_workers(2) in (1, 2) and choice.seconds[2] > choice.seconds[1]
