"""gru_core.figures.parity: log scale, with exact zeros kept visible."""
from __future__ import annotations

import numpy as np

from gru_core import figures, interpret


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
