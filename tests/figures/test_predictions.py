"""gru_core.figures.predictions: the top-k strip and the log-prob comparison."""
from __future__ import annotations

from gru_core import figures, interpret


def test_top_k_strip_writes_predictions_ranked_top_down(setting, probe_text):
    vocab, _, probe, trace = setting
    predictions = interpret.top_k(trace, vocab, k=4)
    heatmap = figures.top_k_strip(probe.chars, predictions).data[0]
    assert heatmap.z.shape == (4, len(probe_text)) and (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert list(heatmap.text[0]) == [figures.display_char(row[0]) for row in predictions.chars]
    assert heatmap.y[:2] == ("1st", "2nd")


def test_log_prob_comparison_serialises(setting, probe_text, spec):
    _, _, probe, trace = setting
    log_probs = interpret.next_char_log_probs(trace, probe.indices)
    comparison = spec(figures.log_prob_comparison(probe.chars, {"unclamped": log_probs,
                                                                "clamped": log_probs - 1}))
    assert [len(line["x"]) for line in comparison["data"]] == [len(probe_text) - 1] * 2
