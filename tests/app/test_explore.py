"""The Explore page: each view, opened from the URL on a fresh and on the
shipped pretrained model, draws what it promises (figures read as the
browser receives them)."""
from __future__ import annotations

import pytest

from gru_core.interpret import GATES, QUANTITY_NAMES

from .common import assert_clean, figures_by_title, new_app, plotted, texts, trace_types

EXPLORE_VIEWS = {"Gate saturation": "saturation", "Gates over training": "training",
                 "Saliency": "saliency", "Unit search": "search", "Interventions": "intervene",
                 "Sample": "sample"}
TRAINED_ON = {"Fresh model": 10_000, "Chapter's model (shipped)": 10_000,
              "Book model (shipped)": 150_000}


def heldout(source: str) -> str:
    start = TRAINED_ON[source]
    return (f"characters {start:,}-{start + 2000:,} of The Time Machine (H. G. Wells, via d2l) "
            f"(not trained on)")


def drawn(at, prefix: str) -> dict:
    """The one figure whose title starts with ``prefix``."""
    found = [spec for title, spec in figures_by_title(at).items() if title.startswith(prefix)]
    assert len(found) == 1, (prefix, list(figures_by_title(at)))
    return found[0]


def check_saturation(at, source):
    scatter = drawn(at, "Gate saturation over 5,000 characters")
    assert trace_types(scatter) == {"scatter"}
    assert {trace.get("name") for trace in scatter["data"]} >= {QUANTITY_NAMES[gate]
                                                                for gate in GATES}
    assert "Over the first 5,000 characters of The Time Machine" in texts(at.caption)


def check_training(at, source):
    if source == "Fresh model":
        assert "no parameter snapshots" in texts(at.info)
        assert not at.get("plotly_chart")
        return
    epochs = at.select_slider(key="snap_epoch").options
    last = at.select_slider(key="snap_epoch").value
    curve = drawn(at, "Perplexity per epoch; circles: parameter snapshots")
    snapshots, = [trace for trace in curve["data"] if trace.get("name") == "snapshots"]
    assert [str(e) for e in plotted(snapshots["x"])] == [str(e) for e in epochs]  # the ticks
    shown, = [trace for trace in curve["data"] if trace.get("name", "").startswith("shown")]
    assert shown["name"] == f"shown: epoch {last}"
    assert trace_types(drawn(at, "Gate saturation over 2,000 characters")) == {"scatter"}
    assert trace_types(drawn(at, f"Gates and states at epoch {last}")) == {"heatmap"}


def check_saliency(at, source):
    assert trace_types(drawn(at, "What moves log p(")) == {"bar"}
    reach = drawn(at, "How far back does the model look?")
    names = [trace["name"] for trace in reach["data"]]
    assert len(names) == (1 if source == "Fresh model" else 2)
    assert any(name.startswith(source.split(" (")[0]) for name in names), names


def check_search(at, source):
    assert "<mark" in "".join(str(element.proto) for element in at.get("html"))  # the span
    if at.dataframe:  # units on over the span: where they switch on together in the corpus
        assert at.dataframe[0].value.columns[0] == "unit"
        assert "places** in the first 5,000 characters" in texts(at.markdown)
    else:
        assert "No unit is on over the span" in texts(at.info)


def check_intervene(at, source):
    assert trace_types(drawn(at, "How well each next character was predicted")) == {"scatter"}
    for side in ("unclamped", "clamped"):
        assert trace_types(drawn(at, f"Hidden state H, {side}")) == {"heatmap"}
    assert [m.label for m in at.metric] == [
        f"Perplexity on the {text}, {side}" for text in ("training text", "held-out text")
        for side in ("unclamped", "clamped")]
    assert f"Held-out text: {heldout(source)}" in texts(at.caption)
    assert "Training text: the first 2,000 characters of The Time Machine" in texts(at.caption)
    summary = texts(at.markdown)  # in words, from the numbers: which text is which
    assert "Clamping Z to 1" in summary and "perplexity on the training text" in summary
    assert "on held-out text" in summary
    assert "Z = 1 froze the state" in texts(at.caption)  # the constant H under the clamp, said


def check_sample(at, source):
    written, = [code.value for code in at.code if code.value.startswith("time traveller")]
    assert len(written) == len("time traveller") + 200
    assert not at.get("plotly_chart")


CHECKS = {"saturation": check_saturation, "training": check_training,
          "saliency": check_saliency, "search": check_search, "intervene": check_intervene,
          "sample": check_sample}


@pytest.mark.parametrize("label", EXPLORE_VIEWS)
@pytest.mark.parametrize("source", ["Fresh model", "Chapter's model (shipped)",
                                    "Book model (shipped)"])
def test_explore_views_render_from_the_url(registry, label, source):
    at = new_app(view=label, source=source).run()
    at.switch_page("app_pages/explore.py").run()
    assert_clean(at)
    assert at.segmented_control(key="view").value == EXPLORE_VIEWS[label]
    banner = texts(at.warning) if source == "Fresh model" else texts(at.info)
    assert ("Fresh, untrained model" if source == "Fresh model"
            else f"The {source.split(' (')[0].lower()}") in banner
    CHECKS[EXPLORE_VIEWS[label]](at, source)
