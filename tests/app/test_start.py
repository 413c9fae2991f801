"""Start here: three screens on the model's real numbers, Next and Back in
the URL, each linking to the page that shows it in full."""
from __future__ import annotations

from gru_core import interpret
from gru_core.interpret import DEFAULT_PROBE

from .common import assert_clean, new_app, open_page, start_tiny_run, texts, wait_until


def open_start(**query):
    return open_page("app_pages/start.py", **query)


def links(at) -> dict[str, str]:
    return {p.proto.page: p.proto.query_string for p in at.get("page_link")}


def test_the_first_screen_shows_z_and_r_at_one_character_with_the_models_numbers(registry):
    at = open_start()
    assert "1 of 3 · One character, two gates" in texts(at.caption)
    assert "The book model" in texts(at.info)
    z, r = (float(metric.value) for metric in at.metric)
    assert [metric.label for metric in at.metric] == ["Update gate Z", "Reset gate R"]
    # the numbers are the model's: the book model's trace at t = 8 for the unit shown
    from app_ui.checkpoints import shipped_checkpoint
    checkpoint, _ = shipped_checkpoint("book")
    probe = interpret.encode_probe(DEFAULT_PROBE, checkpoint.vocab)
    trace = interpret.readable_cell(checkpoint.model).trace(list(probe.indices))
    unit = int(links(at)["step"].split("unit=")[1].split("&")[0])
    assert (z, r) == (round(float(trace.update_gate[8, unit]), 3),
                      round(float(trace.reset_gate[8, unit]), 3))
    assert "t=8" in links(at)["step"] and "source=Book+model" in links(at)["step"]
    assert at.button(key="tour_back").disabled


def test_next_and_back_walk_the_screens_in_the_url(registry):
    at = open_start()
    at.button(key="tour_next").click().run()
    assert_clean(at)
    assert at.query_params["tour"] == ["2"] or at.query_params["tour"] == "2"
    assert "Found in the data, not picked by hand: **unit" in texts(at.markdown)
    assert "gates" in links(at)
    at.button(key="tour_next").click().run()
    assert "3 of 3 · Watch it learn" in texts(at.caption)
    labels = [p.proto.label for p in at.get("page_link")]
    assert "Train a GRU" in labels and "compare" in links(at)
    assert at.button(key="tour_next").disabled
    at.button(key="tour_back").click().run()
    assert "2 of 3" in texts(at.caption)
    assert "3 of 3" in texts(open_start(tour="3").caption)  # a link opens its screen
    assert "1 of 3" in texts(open_start(tour="nonsense").caption)


def test_with_a_live_run_the_tour_uses_it_and_shows_its_curves(registry):
    at, run = start_tiny_run(registry)
    wait_until(lambda: run.epoch >= 1)
    at.switch_page("app_pages/start.py").run()
    assert_clean(at)
    assert f"Live run `{run.id}`" in texts(at.info)
    at.button(key="tour_next").click().run()
    at.button(key="tour_next").click().run()
    assert_clean(at)
    assert f"Run `{run.id}` is training" in texts(at.markdown)
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()


def test_the_train_page_points_newcomers_here(registry):
    at = new_app().run()
    assert "start" in links(at)
