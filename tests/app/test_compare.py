"""Compare with nn.GRU: the two formulations, lockstep curves (or how to get
them) and the equivalence lab's parity figure."""
from __future__ import annotations

from urllib.parse import parse_qsl

from app_ui import runs as runs_ui
from gru_core.config import D2L
from gru_core.interpret import RESET_AFTER_NOTE, RESET_BEFORE_NOTE, UPDATE_GATE_NOTE

from .common import (assert_clean, figures_by_title, live_views, new_app, open_page, pushed,
                     start_tiny_run, texts, wait_until)


def test_compare_page_without_a_lockstep_run_runs_the_parity_lab(registry):
    at = new_app().run()
    at.switch_page("app_pages/compare.py").run()
    assert_clean(at)
    assert "Both, in lockstep" in texts(at.info)
    assert f"a fresh nn.GRU ({D2L.num_hiddens} hiddens, seed {D2L.seed})" in texts(at.markdown)
    labels = [metric.label for metric in at.metric]
    assert labels == ["Reset-after (nn.GRU's convention): max |Δ|",
                      "Reset-before (d2l's cell): max |Δ|"]
    parity = figures_by_title(at)["Scratch cell with nn.GRU's weights vs nn.GRU"]
    names = " ".join(trace.get("name", "") for trace in parity["data"])
    assert "reset-after" in names and "reset-before" in names and "seed" not in names
    assert "seed" not in texts(at.markdown).replace(f"seed {D2L.seed}", "")


def test_compare_page_words_agree_with_the_measured_rounding_line(registry):
    at = open_page("app_pages/compare.py")
    said = texts(at.markdown)
    assert "reset-after: within float32 rounding at every step" in said
    assert "reset-before: up to" in said and "a different formula, not rounding" in said
    helps = [metric.proto.help for metric in at.metric]
    assert helps[0].startswith("Same formula") and helps[1].startswith("A different formula")
    conventions = texts(at.caption)
    for note in (RESET_BEFORE_NOTE, RESET_AFTER_NOTE, UPDATE_GATE_NOTE):
        assert note in conventions


def test_compare_page_says_why_nn_gru_learns_faster_with_the_measured_table(registry):
    at = open_page("app_pages/compare.py")
    said = texts(at.markdown)
    assert "**initialisation**" in said and "N(0, 0.01²)" in said and "U(−1/√n, 1/√n)" in said
    table = at.dataframe[0].value  # bench/results/compare_init.md, as measured
    last = table[table["epoch"] == "20"].iloc[0].tolist()
    assert last[:4] == ["20", "15.41 / 14.32", "12.58 / 11.12", "15.40 / 14.30"]
    assert "bench/compare_init.py" in texts(at.caption)


def test_compare_page_overlays_a_lockstep_runs_two_networks(registry):
    at, run = start_tiny_run(registry, model="Both, in lockstep")  # the URL holds labels
    assert set(run.models) == {"scratch", "concise"}
    wait_until(lambda: run.epoch >= 2)
    at.switch_page("app_pages/compare.py").run()
    assert_clean(at)
    view, = [v for v in live_views(at) if v["panels"] == ["curves"]]
    assert view["room"] == run.id  # the curves arrive by push, both networks overlaid
    assert pushed(run).networks == ["scratch", "concise"]
    assert "the live run's nn.GRU" in texts(at.markdown)
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()


def test_on_a_projector_the_measured_table_is_a_table_in_the_large_font(registry):
    at = open_page("app_pages/compare.py", present="true")
    assert not at.dataframe and at.table  # a data grid would keep its small font
    assert 'stTable' in "".join(e.proto.body for e in at.get("html"))


def test_the_compare_link_opens_train_set_for_both_from_d2ls_weights(registry):
    at = open_page("app_pages/compare.py")
    link, = [link for link in at.get("page_link") if "d2l's weights" in link.proto.label]
    query = dict(parse_qsl(link.proto.query_string))
    assert query == runs_ui.setup_query("both", "d2l")
    at, run = start_tiny_run(registry, **query)   # the Train page opened by that link
    assert run.config.model == "both" and run.config.concise_init == "d2l"
    wait_until(lambda: run.epoch >= 1)
    at.switch_page("app_pages/compare.py").run()
    assert_clean(at)
    assert "from the same initial weights (d2l's)" in texts(at.caption)
    assert pushed(run).labels["concise"] == "nn.GRU, d2l's init"
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()
