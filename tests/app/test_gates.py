"""The Gates page: four heatmaps and one unit up close, over a probe the
user types (unknown characters marked, an empty probe explained)."""
from __future__ import annotations

from gru_core.figures import CHAR_WINDOW, clickable_cells, clicked_cell, gate_panels
from gru_core.interpret import MAX_PROBE_CHARS

from .common import assert_clean, figures_by_title, new_app, open_page, plot_specs, texts


def test_gates_page_draws_four_heatmaps_and_the_unit_view(registry):
    at = new_app(unit="7").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    panels = plot_specs(at)[0]["data"]
    heatmaps, layers = panels[:4], panels[4:]
    assert [trace["type"] for trace in heatmaps] == ["heatmap"] * 4
    assert [trace["colorbar"]["title"]["text"] for trace in heatmaps] == ["Z", "R", "H̃", "H"]
    # every cell clickable: an invisible point per cell carrying (t, unit, value)
    assert [trace["type"] for trace in layers] == ["scatter"] * 4
    assert all(trace["hoverinfo"] == "skip" for trace in heatmaps)
    assert at.number_input(key="unit").value == 7
    assert "unit 7" in texts(at.caption).lower()
    assert [trace["type"] for trace in figures_by_title(at)["Top-5 next characters"]["data"]] \
        == ["heatmap"]


def test_units_worth_a_look_lead_the_default_order_and_open_with_a_click(registry):
    at = open_page("app_pages/gates.py")
    said = texts(at.markdown)
    assert "**Units worth a look**" in said
    first = at.session_state["source"]
    assert first == "book"
    found = [line for line in said.splitlines() if line.startswith("- *word boundary* — unit ")]
    assert found, said  # the book model's units found in its held-out text
    unit = int(found[0].split("unit ")[1].split(":")[0])
    rows = plot_specs(at)[0]["data"][3]["y"]  # H's rows: the units worth a look first
    assert rows[0] == f"unit {unit}" and at.segmented_control(key="order").value == "grouped"
    picker, = [group for group in at.get("button_group") if group.key == "worth"]
    picker.set_value(unit).run()
    assert_clean(at)
    assert at.number_input(key="unit").value == unit
    link, = [p.proto for p in at.get("page_link") if p.proto.page == "step"]
    assert link.label == f"Step through the math at t = 10, unit {unit}"
    assert f"unit={unit}" in link.query_string and "t=10" in link.query_string
    assert "source=Book+model+%28shipped%29" in link.query_string  # the same model on Step


def test_a_fresh_model_has_no_units_worth_a_look_and_says_why(registry):
    at = open_page("app_pages/gates.py", source="Fresh model")
    assert "No unit stands out" in texts(at.caption)


def test_a_long_probe_scrubs_a_sixty_character_window_the_strip_follows(registry):
    text = ("the time traveller smiled round at us then still smiling faintly " * 7)[:MAX_PROBE_CHARS]
    at = new_app(probe=text).run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    scrubber = at.slider(key="win")
    assert (scrubber.min, scrubber.max) == (0, MAX_PROBE_CHARS - CHAR_WINDOW)
    scrubber.set_value(100).run()
    assert_clean(at)
    panels, strip = plot_specs(at)[0], figures_by_title(at)["Top-5 next characters"]
    assert len(panels["data"][0]["x"]) == CHAR_WINDOW
    assert panels["data"][0]["x"][0].endswith("position 100") == strip["data"][0]["x"][0] \
        .endswith("position 100") is True
    assert panels["data"][0]["x"] == strip["data"][0]["x"]  # the same columns


def test_probe_with_unknown_characters_and_empty_probe(registry):
    at = new_app(probe="Caf\u00e9 \u65e5\u672c 42!").run()
    at.switch_page("app_pages/gates.py").run()
    assert_clean(at)
    # d2l's clean-up reads what its text never had as it read the book: no <unk>
    assert "'é␣日本␣42!' was removed" in texts(at.caption)
    assert "read as `<unk>`" not in texts(at.caption)
    at.text_input(key="probe").set_value("   ").run()
    assert_clean(at)
    assert "probe text is empty" in texts(at.info)
    assert not at.get("plotly_chart")


def test_the_probe_box_takes_the_library_limit(registry):
    at = new_app().run()
    at.switch_page("app_pages/gates.py").run()
    assert at.text_input(key="probe").proto.max_chars == MAX_PROBE_CHARS


def test_a_clicked_cell_is_read_from_the_selection_however_plotly_sends_its_row(time_machine):
    """The click layer's customdata rows reach Python as lists or, from typed
    arrays, as {"0": t, "1": unit, "2": value}; a point without one is no cell."""
    assert clicked_cell([{"customdata": [12, 7, 0.5]}]) == (12, 7)
    assert clicked_cell([{"customdata": {"0": 12.0, "1": 7.0, "2": -0.4}}]) == (12, 7)
    assert clicked_cell([{"x": 3, "y": 4}]) is None and clicked_cell([]) is None
    from gru_core.interpret import encode_probe, readable_cell
    from gru_core.models import make_model
    probe = encode_probe("the time traveller", time_machine.vocab)
    trace = readable_cell(make_model("scratch", len(time_machine.vocab), 8, "cpu", 0)).trace(
        list(probe.indices))
    figure = clickable_cells(gate_panels(trace, probe.chars, [3, 1, 2, 0, 4, 5, 6, 7]))
    layer = figure.data[7]   # over H: one point per cell, (t, unit, H) in its customdata
    assert layer.type == "scatter" and len(layer.x) == 8 * len(probe.chars)
    row = list(layer.customdata[8 * 0 + 5])  # row 0 of the panel (unit 3), character 5
    assert row[:2] == [5, 3] and abs(row[2] - trace.hidden[5, 3]) < 1e-6
    # past max_points cells every k-th row gets a point (a click in Streamlit selected
    # nothing with 61,440 of them): 4 panels × 8 units × 18 characters over 200 → k = 3
    thinned = clickable_cells(gate_panels(trace, probe.chars), max_points=200)
    assert [len(layer.x) for layer in thinned.data[4:]] == [3 * len(probe.chars)] * 4
