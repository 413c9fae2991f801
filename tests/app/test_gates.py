"""The Gates page: four heatmaps and one unit up close, over a probe the
user types (unknown characters marked, an empty probe explained)."""
from __future__ import annotations

from gru_core.interpret import MAX_PROBE_CHARS

from .common import assert_clean, figures_by_title, new_app, plot_specs, texts


def test_gates_page_draws_four_heatmaps_and_the_unit_view(registry):
    at = new_app(unit="7").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    panels = plot_specs(at)[0]["data"]
    assert [trace["type"] for trace in panels] == ["heatmap"] * 4
    assert [trace["colorbar"]["title"]["text"] for trace in panels] == ["Z", "R", "H̃", "H"]
    assert at.number_input(key="unit").value == 7
    assert "unit 7" in texts(at.caption).lower()
    assert [trace["type"] for trace in figures_by_title(at)["Top-5 next characters"]["data"]] \
        == ["heatmap"]


def test_probe_with_unknown_characters_and_empty_probe(registry):
    at = new_app(probe="Caf\u00e9 \u65e5\u672c 42!").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    assert "read as `<unk>`" in texts(at.caption)
    at.text_input(key="probe").set_value("   ").run()
    assert_clean(at)
    assert "probe text is empty" in texts(at.info)
    assert not at.get("plotly_chart")


def test_the_probe_box_takes_the_library_limit(registry):
    at = new_app().run()
    at.switch_page("app_pages/gates.py").run()
    assert at.text_input(key="probe").proto.max_chars == MAX_PROBE_CHARS
