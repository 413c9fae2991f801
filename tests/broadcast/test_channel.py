"""gru_core.broadcast.channel and viewer: one frame per tick for everyone,
resuming from a cursor with nothing lost or repeated, and a redraw after a
rollback."""
from __future__ import annotations

import random
import threading
import time

from gru_core.broadcast import LiveChannel, ViewerState, decode_frame

WAIT_S = 20


def caught_up_after(run, step) -> tuple[LiveChannel, ViewerState]:
    """``step`` (the run's step_batch or step_epoch) trained, then a channel
    polled and a viewer brought up to date by it."""
    channel, viewer = LiveChannel(run, "abc"), ViewerState()
    step().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    channel.poll()  # the server polls, then serves catch-ups up to its cursor
    viewer.apply(channel.catch_up(None, None))
    return channel, viewer


def steps_of(viewer: ViewerState) -> list[int]:
    return [r["step"] for r in viewer.records.get("batches", [])]


def test_viewers_that_drop_and_resume_see_every_record_once(make_run):
    run = make_run(num_epochs=30, sample_every=2)
    channel = LiveChannel(run, "the time traveller")
    viewers = [ViewerState() for _ in range(6)]
    connected = [False] * len(viewers)
    rng = random.Random(0)
    run.start()
    deadline = time.monotonic() + 3 * WAIT_S
    while time.monotonic() < deadline:
        frame = channel.poll()
        for i, viewer in enumerate(viewers):
            if not connected[i] or rng.random() < 0.2:  # (re)connect: a frame of its own
                outcome = viewer.apply(channel.catch_up(viewer.cursor or None, viewer.generation))
                assert outcome in ("reset", "applied", "duplicate")
                connected[i] = rng.random() < 0.8   # some stay away a while
            elif connected[i]:
                assert viewer.apply(frame) in ("applied", "duplicate")
        if channel.finished:
            break
        time.sleep(0.01)
    assert run.wait(WAIT_S)
    channel.poll()
    assert channel.finished
    for viewer in viewers:
        viewer.apply(channel.catch_up(viewer.cursor, viewer.generation))
        assert steps_of(viewer) == list(range(1, run.batch + 1))  # none lost, none twice
        assert [r["epoch"] for r in viewer.records["epochs"]] == list(range(1, 31))
        assert [r["epoch"] for r in viewer.records["samples"]] == list(range(2, 31, 2))
        assert viewer.status["state"] == "finished"


def test_a_frame_after_a_gap_is_refused_and_a_repeat_is_ignored(make_run):
    run = make_run(num_epochs=5)
    channel = LiveChannel(run, "abc")
    viewer = ViewerState()
    assert viewer.apply(channel.catch_up(None, None)) == "reset"
    run.step_batch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    first = channel.poll()
    run.step_batch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    second = channel.poll()
    assert viewer.apply(second) == "gap"  # it missed `first`
    assert viewer.apply(first) == "applied" and viewer.apply(first) == "duplicate"
    assert viewer.apply(second) == "applied" and steps_of(viewer) == [1, 2]


def test_a_rebuilt_history_makes_every_viewer_redraw(make_run):
    run = make_run(num_epochs=5)
    channel, viewer = caught_up_after(run, run.step_epoch)
    seen = viewer.cursor
    assert seen > 0
    restored = LiveChannel(make_run(num_epochs=5), "abc")  # another history, e.g. a restore
    header, _ = decode_frame(restored.catch_up(seen, viewer.generation))
    assert header["kind"] == "reset" and header["generation"] != viewer.generation
    assert viewer.apply(restored.catch_up(seen, viewer.generation)) == "reset"
    assert viewer.cursor == 0 and steps_of(viewer) == []


def test_heatmaps_follow_the_model_and_are_rate_limited(make_run):
    clock = [0.0]
    run = make_run(num_hiddens=12, num_epochs=5)
    channel = LiveChannel(run, "the Time traveller!", heatmap_interval_s=4.0,
                          clock=lambda: clock[0])
    assert channel.heatmaps_due()
    frames = channel.build_heatmaps()
    assert set(frames) == {"update_gate", "reset_gate", "candidate", "hidden", "notable"}
    viewer = ViewerState()
    viewer.apply(channel.catch_up(None, None))
    assert viewer.apply(channel.heatmap("hidden")) == "heatmap"
    shown = viewer.heatmaps["hidden"]
    assert shown["shape"] == [19, 12] and shown["values"].min() >= -1
    assert "".join(shown["chars"]) == "the time traveller\ufffd"  # lowercased; '!' unknown
    assert not channel.heatmaps_due()  # the model did not move
    run.step_batch().wait(WAIT_S)
    run.wait_idle(WAIT_S)
    assert not channel.heatmaps_due()  # moved, but too soon
    clock[0] += 4.0
    assert channel.heatmaps_due()
    channel.set_probe("another text")
    assert channel.heatmaps_due()


def test_polling_while_training_never_tears_a_record(make_run):
    run = make_run(num_epochs=20, sample_every=0)
    channel = LiveChannel(run, "abc")
    viewer = ViewerState()
    viewer.apply(channel.catch_up(None, None))
    errors = []

    def poll_fast():
        try:
            while not channel.finished:
                assert viewer.apply(channel.poll()) in ("applied", "duplicate")
                time.sleep(0.002)  # a server polls about once a second; this is far faster
        except AssertionError as exc:
            errors.append(exc)
    poller = threading.Thread(target=poll_fast)
    run.start()
    poller.start()
    assert run.wait(WAIT_S)
    poller.join(WAIT_S)
    viewer.apply(channel.poll())
    assert not errors and steps_of(viewer) == list(range(1, run.batch + 1))


def test_a_change_of_state_without_new_records_still_reaches_the_viewer(make_run):
    run = make_run(num_epochs=5)
    channel, viewer = caught_up_after(run, run.step_batch)
    assert viewer.status["state"] == "paused"
    run.stop()  # no record is written, only the state moves on
    assert viewer.apply(channel.poll()) == "applied"
    assert viewer.status["state"] == "stopped" and "Stopped by its owner" in viewer.status["message"]


def test_a_lab_run_shows_its_first_cells_quantities_and_the_units_worth_a_look(make_run):
    run = make_run(networks=["lstm", "scratch"], num_epochs=3)
    channel = LiveChannel(run, "the time traveller")
    channel.poll()
    viewer = ViewerState()
    viewer.apply(channel.catch_up(None, None))
    assert viewer.quantities == ["input_gate", "forget_gate", "output_gate", "candidate_memory",
                                 "memory", "hidden"]
    frames = channel.build_heatmaps()
    assert set(frames) == set(viewer.quantities)  # an LSTM has no GRU gates to read units by
    assert viewer.apply(frames["memory"]) == "heatmap"
    gru = LiveChannel(make_run(num_hiddens=16, num_epochs=3), "the time traveller")
    gru.poll()
    gru_viewer = ViewerState()
    gru_viewer.apply(gru.catch_up(None, None))
    assert gru_viewer.apply(gru.build_heatmaps()["notable"]) == "notable"
    assert isinstance(gru_viewer.notable, list)  # an untrained model: few or no findings


def test_a_reset_frame_names_the_networks_as_the_run_labels_them(make_run):
    run = make_run(model="both", concise_init="d2l")
    viewer = ViewerState()
    viewer.apply(LiveChannel(run, "abc").catch_up(None, None))
    assert viewer.labels == {"scratch": "GRU", "concise": "nn.GRU, d2l's init"}
