"""The Lab page: the chapter's cells trained side by side in one run (live
view, the sentences under it computed from the records, memory reach per
cell), every cell's gates in the Gates page's heatmaps, same-start restarts
overlaid and the session's runs listed again after a reload."""
from __future__ import annotations

from app_ui import lab
from gru_core.models import CELL_NAMES
from gru_core.runs import RunState

from .common import (TINY_RUN, assert_clean, figures_by_title, live_views, new_app, texts,
                     the_run, wait_until)

LAB = "app_pages/lab.py"
CELLS = ["scratch", "rnn", "update-only", "lstm"]
LSTM_PANELS = ["I: units", "F: units", "O: units", "C̃: units", "C: units", "H: units"]


def open_lab(owner_key: str | None = None, **query):
    """The Lab page with the tiny run's settings in the URL (as Train's)."""
    at = new_app(**(TINY_RUN | query))
    if owner_key is not None:  # the same browser again: its identity (AppTest's stand-in)
        at.session_state["owner_key"] = owner_key
    at.run()
    at.switch_page(LAB).run()
    assert_clean(at)
    return at


def start_cells(registry, cells=CELLS):
    at = open_lab()
    at.multiselect(key="cells").set_value(cells).run()
    at.button(key="lab_start").click().run()
    assert_clean(at)
    return at, the_run(registry)


def panel_titles(spec: dict) -> list[str]:
    axes = sorted((key for key in spec["layout"] if key.startswith("yaxis")),
                  key=lambda key: int(key[5:] or 1))
    return [spec["layout"][key]["title"]["text"] for key in axes]


def stop(at) -> None:
    at.button(key="stop").click().run()
    assert_clean(at)


def test_without_a_run_the_lab_offers_the_cells_and_shows_a_fresh_lstms_gates(registry):
    at = open_lab()
    assert at.multiselect(key="cells").value == ["scratch", "rnn", "reset-only", "update-only",
                                                 "lstm"]
    assert at.number_input(key="hiddens").value == 8  # the URL sets up both pages alike
    gates = figures_by_title(at)["LSTM: gates and states"]
    assert panel_titles(gates) == LSTM_PANELS
    assert "A fresh, untrained LSTM (256 hiddens, seed 0)" in texts(at.caption)
    at.segmented_control(key="lab_gate_cell").set_value("rnn").run()
    assert "It has no gates: only its state." in texts(at.caption)
    assert not registry.list_runs()


def test_four_cells_train_side_by_side_and_the_page_says_what_the_numbers_show(registry):
    at, run = start_cells(registry)
    assert list(run.models) == CELLS and run.model_kinds["scratch"] == "scratch-fast"
    view, = [v for v in live_views(at) if v["panels"]]  # the sidebar's status line has none
    assert view["room"] == run.id and view["panels"] == ["curves"]
    wait_until(lambda: run.epoch >= 3)
    at.button(key="pause").click().run()
    at.button(key="lab_numbers").click().run()
    assert_clean(at)

    epochs = run.metrics()["epochs"]
    last = max(record["epoch"] for record in epochs)
    now = {r["model"]: r for r in epochs if r["epoch"] == last}
    best = min(now, key=lambda network: now[network]["perplexity"])
    shown = texts(at.markdown)
    assert (f"After epoch {last}, training perplexity is lowest for the {CELL_NAMES[best]} "
            f"({now[best]['perplexity']:.2f})") in shown
    assert "held-out perplexity is lowest" in shown and "trains fastest" in shown
    table = at.dataframe[0].value
    assert list(table["cell"]) == [CELL_NAMES[c] for c in CELLS]
    lstm = table[table["cell"] == "LSTM"].iloc[0]
    assert lstm["training perplexity"] == round(now["lstm"]["perplexity"], 2)

    at.button(key="lab_reach").click().run()
    assert_clean(at)
    reach = figures_by_title(at)["How far back does the model look?"]
    assert [trace["name"].split(" (")[0] for trace in reach["data"]] == [CELL_NAMES[c]
                                                                         for c in CELLS]
    sentence = [line for line in texts(at.markdown).splitlines() if line.startswith("Half")]
    assert sentence and all(CELL_NAMES[c] in sentence[0] for c in CELLS)
    assert f"after epoch {run.epoch} (batch {run.batch})" in texts(at.caption)
    assert at.button(key="lab_reach").label == "Recompute from the current weights"
    stored = lab.store().get(("reach", run.id, run.batch))
    at.button(key="lab_reach").click().run()  # paused: the same batch, nothing recomputed
    assert lab.store().get(("reach", run.id, run.batch)) is stored is not None

    gates = figures_by_title(at)["LSTM: gates and states"]
    assert panel_titles(gates) == LSTM_PANELS  # the run's own LSTM now
    assert f"The LSTM of run `{run.id}`" in texts(at.caption)
    stop(at)


def test_a_restart_with_lr_changed_is_listed_overlaid_and_still_there_after_a_reload(registry):
    at, first = start_cells(registry, ["scratch", "lstm"])
    wait_until(lambda: first.epoch >= 1)
    at.number_input(key="lab_restart_lr").set_value(0.5).run()
    at.button(key="lab_restart").click().run()
    assert_clean(at)
    second = [run for run in registry.list_runs() if run is not first][0]
    assert second.same_start.parent_id == first.id and second.difference == "lr 1 → 0.5"
    assert first.state is RunState.PAUSED and "was paused" in texts(at.info)
    assert [v["room"] for v in live_views(at) if v["panels"]] == [second.id]  # now followed
    assert "Restarted from run" in texts(at.info)
    listed = texts(at.markdown)
    assert "**first run (8 hiddens, lr 1)**" in listed
    assert "**lr 1 → 0.5 (same start)**" in listed
    wait_until(lambda: second.epoch >= 1)
    at.button(key="lab_overlay_refresh").click().run()
    overlay = figures_by_title(at)["GRU: perplexity, run by run"]
    names = [trace["name"] for trace in overlay["data"]]
    assert "first run (8 hiddens, lr 1)" in names and "lr 1 → 0.5 (same start)" in names

    # the same browser reloads (a new session, no run followed): its runs are still listed
    again = open_lab(owner_key=at.session_state["owner_key"])
    listed = texts(again.markdown)
    assert f"`{first.id}` · **first run (8 hiddens, lr 1)**" in listed
    assert f"`{second.id}` · **lr 1 → 0.5 (same start)**" in listed
    again.button(key=f"lab_show_{second.id}").click().run()
    assert_clean(again)
    assert {v["room"] for v in live_views(again)} == {second.id}
    stop(again)
    assert second.wait(20)


def test_a_restart_with_another_hidden_size_starts_from_the_same_seed_and_says_so(registry):
    at, first = start_cells(registry, ["rnn"])
    at.button(key="stop").click().run()
    at.segmented_control(key="lab_change").set_value("num_hiddens").run()
    assert at.number_input(key="lab_restart_num_hiddens").value == 4  # half, to start from
    at.button(key="lab_restart").click().run()
    assert_clean(at)
    note = texts(at.info)
    assert "hiddens 8 → 4" in note and "from the fresh weights of the same seed (0)" in note
    assert "hiddens 8 → 4 (same seed)" in texts(at.markdown)
    stop(at)


def test_sampling_is_flipped_by_a_restart(registry):
    at, first = start_cells(registry, ["rnn"])
    at.button(key="stop").click().run()
    at.segmented_control(key="lab_change").set_value("use_random_iter").run()
    assert "Sampling: sequential → **random**" in texts(at.markdown)
    at.button(key="lab_restart").click().run()
    assert "sampling sequential → random (same start)" in texts(at.markdown)
    stop(at)
