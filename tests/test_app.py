"""The Streamlit app, driven headless with AppTest: every page with no run,
a tiny live run through Start -> Pause -> Resume -> Stop, bad inputs, and a
run shared between a presenter's and a viewer's session.

AppTest never fires ``run_every`` timers: each ``at.run()`` is one refresh."""
from __future__ import annotations

import base64
import io
import json
import time

import numpy as np

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import TRAIN_REFRESH_S as SHARED_FIGURE_AGE_S
from conftest import REPO

APP = str(REPO / "app.py")
PAGES = ["app_pages/train.py", "app_pages/gates.py", "app_pages/compare.py", "app_pages/step.py",
         "app_pages/explore.py"]
# A run that trains an epoch in a fraction of a second on a shared core.
TINY_RUN = {"hiddens": "8", "batch": "4", "steps": "5", "epochs": "400", "max_tokens": "1000"}
WAIT_S = 20


@pytest.fixture
def registry(monkeypatch, data_cache):
    """A private run registry per test (the app reaches it through
    ``gru_core.live.get_registry``); every run is stopped afterwards."""
    from gru_core import live
    from app_pages import common
    registry = live.RunRegistry(idle_timeout_s=600)
    monkeypatch.setattr(live, "get_registry", lambda: registry)
    common.registry.clear()
    yield registry
    registry.shutdown()
    common.registry.clear()


def common_module():
    from app_pages import common
    return common


def new_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def plot_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


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


def the_run(registry):
    runs = registry.list_runs()
    assert len(runs) == 1, runs
    return runs[0]


# ---------------------------------------------------------------- no run

@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_a_run(registry, page):
    at = new_app().run()
    assert_clean(at)
    at.switch_page(page).run()
    assert_clean(at)
    assert at.title, f"{page} shows no title"
    assert not registry.list_runs()


def test_train_page_shows_the_corpus_and_d2l_defaults(registry):
    at = new_app().run()
    assert_clean(at)
    assert "The Time Machine" in texts(at.caption)
    assert "vocabulary of 28 tokens" in texts(at.caption)
    values = {widget.key: widget.value for widget in at.number_input}
    assert values["hiddens"] == 256 and values["batch"] == 32 and values["steps"] == 35
    assert values["lr"] == 1.0 and values["epochs"] == 500 and values["clip"] == 1.0
    assert at.radio(key="model").value == "scratch"
    assert at.toggle(key="random_iter").value is False  # sequential, as d2l


# ---------------------------------------------------------------- a live run

def test_tiny_run_start_pause_resume_stop(registry):
    at = new_app(**TINY_RUN).run()
    assert_clean(at)
    at.button(key="start").click().run()
    assert_clean(at)
    run = the_run(registry)
    assert run.config.num_hiddens == 8 and run.config.num_epochs == 400
    wait_until(lambda: run.epoch >= 2)
    # the live figures are built once per refresh interval and shared by all viewers
    time.sleep(SHARED_FIGURE_AGE_S)
    at.run()  # one refresh of the live panel
    assert_clean(at)
    perplexity = plotted(plot_specs(at)[0]["data"][0]["y"])
    assert len(perplexity) >= 2 and all(1 < y < 40 for y in perplexity)

    at.button(key="pause").click().run()
    assert_clean(at)
    assert run.state.value == "paused"
    frozen = run.batch
    time.sleep(0.3)
    assert run.batch == frozen
    assert at.button(key="resume")  # the Pause button became Resume

    at.button(key="resume").click().run()
    wait_until(lambda: run.batch > frozen)
    assert run.state.value == "running"

    at.button(key="stop").click().run()
    assert_clean(at)
    assert run.state.value == "stopped"
    assert run.wait(WAIT_S)
    at.run()
    assert "stopped" in at.get("progress")[0].proto.text


def test_step_batch_and_epoch_while_paused_and_change_lr(registry):
    at = new_app(**TINY_RUN).run()
    at.button(key="start").click().run()
    run = the_run(registry)
    at.button(key="pause").click().run()
    before = run.batch
    at.button(key="step_batch").click().run()
    wait_until(lambda: run.batch == before + 1 and run.wait_idle(0))
    epoch = run.epoch
    at.run()
    at.button(key="step_epoch").click().run()
    wait_until(lambda: run.epoch == epoch + 1 and run.wait_idle(0))
    at.run()
    at.number_input(key=f"live_lr_{run.id}").set_value(0.5).run()
    at.button(key="apply_lr").click().run()
    assert_clean(at)
    assert run.lr == 0.5
    at.button(key="stop").click().run()


# ---------------------------------------------------------------- sharing

def test_viewer_follows_the_presenters_run_read_only(registry):
    owner = new_app(**TINY_RUN).run()
    owner.button(key="start").click().run()
    run = the_run(registry)
    viewer = new_app(run=run.id).run()
    assert_clean(viewer)
    assert "read-only" in texts(viewer.info)
    for command in ("pause", "stop", "step_batch", "apply_lr", "start"):
        assert not [b for b in viewer.button if b.key == command], command
    wait_until(lambda: run.epoch >= 1)
    time.sleep(SHARED_FIGURE_AGE_S)
    owner.run()
    viewer.run()
    seen_by = [plotted(plot_specs(session)[0]["data"][0]["y"]) for session in (owner, viewer)]
    assert seen_by[0] and seen_by[1][: len(seen_by[0])] == seen_by[0][: len(seen_by[1])]
    # the viewer's session holds no token: the registry refuses its commands
    from gru_core.live import PermissionDenied
    assert "owner_tokens" not in viewer.session_state
    assert owner.session_state["owner_tokens"] == {run.id: run.owner_token}
    with pytest.raises(PermissionDenied):
        registry.control(run.id, None, "pause")
    owner.button(key="stop").click().run()
    viewer.run()
    assert_clean(viewer)
    assert run.state.value == "stopped"


def test_divergence_is_reported_and_the_model_can_still_be_inspected(registry):
    at = new_app(**(TINY_RUN | {"lr": "1000000"})).run()
    at.button(key="start").click().run()
    run = the_run(registry)
    assert run.wait(WAIT_S)
    at.run()
    assert_clean(at)
    assert run.state.value == "diverged"
    assert "Diverged" in texts(at.error)
    assert at.get("download_button"), "the last good model can still be saved"
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    assert f"Live run `{run.id}` (diverged" in texts(at.info)


def test_unknown_shared_run_gets_a_message(registry):
    at = new_app(run="no-such-run").run()
    assert_clean(at)
    assert "no-such-run" in texts(at.warning)


# ---------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("name, payload, expected", [
    ("empty.txt", b"", "empty"),
    ("scan.txt", b"%PDF-1.7 binary", "PDF"),
    ("latin1.txt", "caf\u00e9 na\u00efve".encode("latin-1"), "UTF-8"),
    ("hanzi.txt", "".join(chr(0x4E00 + i) for i in range(400)).encode(), "letters only"),
], ids=["empty", "pdf", "latin1", "no-letters"])
def test_bad_corpus_uploads_get_messages(registry, name, payload, expected):
    at = new_app(corpus="Your own text file").run()
    at.file_uploader(key="corpus_upload").set_value((name, payload, "text/plain")).run()
    assert_clean(at)
    assert expected in texts(at.error)
    assert at.button(key="start").disabled


def test_huge_vocabulary_is_refused_with_the_cap(registry):
    at = new_app(corpus="Your own text file").run()
    at.checkbox(key="keep_case").check().run()
    hanzi = "".join(chr(0x4E00 + i) for i in range(400)) * 3
    at.file_uploader(key="corpus_upload").set_value(("hanzi.txt", hanzi.encode(), "text/plain"))
    at.run()
    assert_clean(at)
    assert "400 distinct characters; at most 255" in texts(at.error)


def test_text_too_short_for_one_batch_is_refused_at_start(registry):
    at = new_app(corpus="Your own text file").run()
    at.file_uploader(key="corpus_upload").set_value(
        ("short.txt", b"a tiny text of a few words", "text/plain")).run()
    at.button(key="start").click().run()
    assert_clean(at)
    assert "too short for one batch" in texts(at.error)
    assert not registry.list_runs()


def test_bad_checkpoint_upload_gets_a_message(registry):
    at = new_app().run()
    at.file_uploader(key="train_ckpt_upload").set_value(
        ("model.pt", b"\x00\x01 definitely not a checkpoint", "application/octet-stream")).run()
    assert_clean(at)
    assert "not a readable checkpoint" in texts(at.error)


def test_out_of_range_values_in_the_url_are_ignored(registry):
    at = new_app(hiddens="0", lr="-3", epochs="many", model="rnn").run()
    assert_clean(at)
    values = {widget.key: widget.value for widget in at.number_input}
    assert values["hiddens"] == 256 and values["lr"] == 1.0 and values["epochs"] == 500
    assert at.radio(key="model").value == "scratch"


# ---------------------------------------------------------------- inspection pages

EXPLORE_VIEWS = {"Gate saturation": "saturation", "Gates over training": "training",
                 "Saliency": "saliency", "Unit search": "search", "Interventions": "intervene",
                 "Sample": "sample"}


@pytest.mark.parametrize("label", EXPLORE_VIEWS)
@pytest.mark.parametrize("source", ["Fresh model", "Pretrained (shipped)"])
def test_explore_views_render_from_the_url(registry, label, source):
    if source.startswith("Pretrained") and not common_module().PRETRAINED_PATH.is_file():
        pytest.skip("no pretrained asset in this checkout")
    at = new_app(view=label, source=source).run()
    at.switch_page("app_pages/explore.py").run()
    assert_clean(at)
    assert at.segmented_control(key="view").value == EXPLORE_VIEWS[label]
    banner = texts(at.warning) if source == "Fresh model" else texts(at.info)
    assert ("Fresh, untrained model" if source == "Fresh model"
            else "Pretrained model shipped with the app") in banner


def test_the_pretrained_model_is_the_default_source_when_shipped(registry):
    at = new_app().run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    if common_module().PRETRAINED_PATH.is_file():
        assert at.segmented_control(key="source").value == "pretrained"
        assert "Pretrained model shipped with the app" in texts(at.info)
    else:
        assert at.segmented_control(key="source").value == "fresh"
        assert "Fresh, untrained model" in texts(at.warning)


def test_gates_page_draws_four_heatmaps_and_the_unit_view(registry):
    at = new_app(unit="7").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    panels = plot_specs(at)[0]["data"]
    assert [trace["type"] for trace in panels] == ["heatmap"] * 4
    assert [trace["colorbar"]["title"]["text"] for trace in panels] == ["Z", "R", "H̃", "H"]
    assert at.number_input(key="unit").value == 7
    assert "unit 7" in texts(at.caption).lower()


def test_probe_with_unknown_characters_and_empty_probe(registry):
    at = new_app(probe="Caf\u00e9 \u65e5\u672c 42!").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    assert "read as `<unk>`" in texts(at.caption)
    at.text_input(key="probe").set_value("   ").run()
    assert_clean(at)
    assert "probe text is empty" in texts(at.info)
    assert not at.get("plotly_chart")


def test_gates_and_step_follow_a_live_run(registry):
    at = new_app(**TINY_RUN).run()
    at.button(key="start").click().run()
    run = the_run(registry)
    wait_until(lambda: run.epoch >= 1)
    for page in ("app_pages/gates.py", "app_pages/step.py", "app_pages/explore.py"):
        at.switch_page(page).run()
        assert_clean(at)
        assert f"Live run `{run.id}`" in texts(at.info), page
    at.switch_page("app_pages/step.py").run()
    assert "Checked: these numbers reproduce" in texts(at.success)
    at.switch_page("app_pages/train.py").run()
    at.button(key="stop").click().run()


def test_checkpoint_saved_from_a_run_loads_as_a_model_source(registry):
    at = new_app(**TINY_RUN).run()
    at.button(key="start").click().run()
    run = the_run(registry)
    wait_until(lambda: run.epoch >= 1)
    at.button(key="stop").click().run()
    payload = run.checkpoint_bytes()
    viewer = new_app().run()
    viewer.file_uploader(key="train_ckpt_upload").set_value(
        ("tiny.pt", payload, "application/octet-stream")).run()
    assert_clean(viewer)
    assert "Loaded **tiny.pt**" in texts(viewer.success)
    viewer.switch_page("app_pages/gates.py").run()
    viewer.segmented_control(key="source").set_value("checkpoint").run()
    assert_clean(viewer)
    assert "Checkpoint **tiny.pt**" in texts(viewer.info) and "8 hiddens" in texts(viewer.info)


def test_presentation_mode_from_the_url(registry):
    at = new_app(present="true").run()
    assert_clean(at)
    assert at.toggle(key="present").value is True
    assert "stMetricValue" in "".join(str(e.proto) for e in at.get("html"))  # the larger-font CSS


# ---------------------------------------------------------------- downloads

def test_trace_download_round_trips(registry):
    from app_pages import common
    from gru_core import interpret
    from gru_core.data import Vocab
    from gru_core.models import ScratchGRU
    vocab = Vocab(list("abc "))
    model = ScratchGRU(len(vocab), 6, seed=1)
    probe = interpret.encode_probe("abc ab", vocab)
    trace = model.trace(probe.indices.tolist())
    saved = np.load(io.BytesIO(common.trace_npz(trace, probe)))
    np.testing.assert_array_equal(saved["hidden"], trace.hidden)
    assert saved["update_gate"].shape == (6, 6)
    assert "".join(saved["chars"]) == "abc ab"


def test_metrics_csv_has_the_records():
    from app_pages import common
    records = [{"epoch": 1, "model": "scratch", "perplexity": 17.5, "ignored": 0},
               {"epoch": 2, "model": "scratch", "perplexity": 12.25}]
    lines = common.records_csv(records, ["epoch", "model", "perplexity"]).decode().splitlines()
    assert lines == ["epoch,model,perplexity", "1,scratch,17.5", "2,scratch,12.25"]


def test_live_figures_are_built_once_per_interval_and_shared_by_viewers(monkeypatch):
    from types import SimpleNamespace

    from app_pages import charts
    builds = []
    real_build = charts.SharedLiveCharts._build
    monkeypatch.setattr(charts.SharedLiveCharts, "_build",
                        staticmethod(lambda run, m: builds.append(1) or real_build(run, m)))
    run = SimpleNamespace(models={"scratch": None}, config=SimpleNamespace(clip_theta=1.0))
    epoch = {"epoch": 1, "model": "scratch", "perplexity": 20.0, "tokens_per_second": 1e4}
    metrics = SimpleNamespace(cursor=1, epochs=[epoch], batches=[])
    shared = charts.SharedLiveCharts()
    first = shared.figures_for(run, metrics, max_age_s=60)
    metrics.cursor = 2  # new records, but the figures are younger than max_age_s
    assert shared.figures_for(run, metrics, max_age_s=60) is first and len(builds) == 1
    rebuilt = shared.figures_for(run, metrics, max_age_s=0)
    assert rebuilt is not first and len(builds) == 2
    assert shared.figures_for(run, metrics, max_age_s=0) is rebuilt  # nothing new: no rebuild
    assert list(rebuilt["ppl_chart"].data[0].y) == [20.0]
