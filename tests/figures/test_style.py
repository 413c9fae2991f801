"""gru_core.figures.style: colour scales, visible whitespace, position labels."""
from __future__ import annotations

from gru_core import figures


def test_scale_colour_interpolates_between_stops():
    scale = ["#000000", "#ffffff"]
    assert figures.scale_colour(scale, 0.0) == "#000000"
    assert figures.scale_colour(scale, 0.5) == "#808080"
    assert figures.scale_colour(scale, 7.0) == "#ffffff"  # clipped


def test_whitespace_is_shown_and_each_position_gets_its_own_label():
    assert [figures.display_char(c) for c in " \n\ta"] == ["␣", "⏎", "⇥", "a"]
    labels = figures.position_labels(list("aa "), unknown_positions=[1])
    assert len(set(labels)) == 3 and labels[2] == "char '␣' · position 2"
    assert "not in vocabulary" in labels[1] and "not in vocabulary" not in labels[0]
