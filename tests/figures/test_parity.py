"""gru_core.figures.parity: log scale with clean ticks, exact zeros kept
visible, and the rounding line the same measured level the report judges by."""
from __future__ import annotations

import numpy as np

from gru_core import figures, interpret
from gru_core.models import make_model

INDICES = np.random.default_rng(0).integers(1, 28, 80)


def test_parity_figure_is_log_scaled_and_keeps_exact_zeros_visible():
    report = interpret.ParityReport({"reset-after": np.array([0.0, 1e-8]),
                                     "reset-before": np.array([0.01, 0.02])},
                                    {"reset-after": np.array([0.0, 2e-8]),
                                     "reset-before": np.array([0.03, 0.04])})
    figure = figures.parity_figure(report)
    assert figure.layout.yaxis.type == "log"
    hidden_after = figure.data[0]
    assert list(hidden_after.y) == [1e-10, 1e-8] and list(hidden_after.customdata) == [0.0, 1e-8]
    assert hidden_after.line.color != figure.data[2].line.color


def test_the_rounding_line_is_the_measured_level_per_step():
    report = interpret.parity_lab(make_model("concise", 28, 32, seed=0), INDICES)
    figure = figures.parity_figure(report)
    lines = {line.name: line for line in figure.data}
    hidden_level = lines[f"{figures.ROUNDING_NAME}: hidden state"]
    np.testing.assert_array_equal(hidden_level.customdata, report.hidden_rounding)
    after = lines[f"{figures.PARITY_NAMES['reset-after']}: hidden state"]
    assert np.all(after.customdata <= hidden_level.customdata)  # words and line agree
    assert len(set(np.round(np.log10(hidden_level.y), 3))) > 1   # not one constant


def test_parity_ticks_are_clean():
    report = interpret.parity_lab(make_model("concise", 28, 8, seed=0), INDICES)
    axis = figures.parity_figure(report).layout.yaxis
    assert all(text.startswith(("10<sup>", "1", "2·", "5·", "0.")) for text in axis.ticktext)
    assert all(np.log10(v) == round(np.log10(v)) for v in axis.tickvals) or len(axis.tickvals) <= 12
