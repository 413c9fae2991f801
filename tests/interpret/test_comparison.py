"""gru_core.interpret.comparison: each sentence follows the numbers it describes."""
from __future__ import annotations

import math

import numpy as np

from gru_core import interpret
from gru_core.interpret import MemoryReach


def reach(weights) -> MemoryReach:
    weights = np.asarray(weights, np.float64)
    return MemoryReach(np.arange(1, len(weights) + 1), weights, 4)


def test_perplexity_sentence_names_the_best_and_the_worst():
    records = [{"model": "lstm", "perplexity": 9.0}, {"model": "rnn", "perplexity": 8.0},
               {"model": "lstm", "perplexity": 5.9}, {"model": "scratch", "perplexity": 7.0}]
    latest = interpret.latest_by_network(records, "perplexity")
    assert latest == {"lstm": 5.9, "rnn": 8.0, "scratch": 7.0}
    assert interpret.describe_perplexity(latest, "held-out", epoch=20, vocab_size=28) == (
        "After epoch 20, held-out perplexity is lowest for the LSTM (5.90) and highest for "
        "the plain RNN (8.00). A uniform guess over 28 characters scores 28.")
    assert interpret.describe_perplexity({"rnn": 3.0, "lstm": math.inf}) == (
        "The plain RNN has a training perplexity of 3.00.")
    assert interpret.describe_perplexity({}) == "No training perplexity is available yet."


def test_speed_sentence_gives_the_ratio_of_fastest_to_slowest():
    text = interpret.describe_speed({"lstm": 18_000, "concise": 61_200, "rnn": 50_000})
    assert text == ("The nn.GRU trains fastest (61,200 tokens/s), 3.4 times the slowest, the "
                    "LSTM (18,000 tokens/s); all saw the same batches.")
    assert interpret.describe_speed({"rnn": 0.0}) == "No network has finished an epoch yet."


def test_reach_sentence_follows_the_curves():
    near = reach([0.6, 0.2, 0.1] + [0.01] * 12)        # most influence one step back
    far = reach([0.1] * 5 + [0.05] * 10)
    assert interpret.half_reach(near) == 1 and interpret.half_reach(far) == 5
    assert abs(interpret.far_share(near) - 0.05 / 1.02) < 1e-12
    text = interpret.describe_reach({"rnn": near, "lstm": far})
    assert text == ("Half of the influence on a prediction comes from the last 1 character for "
                    "the plain RNN, 5 characters for the LSTM; beyond 10 characters back the "
                    "LSTM keeps the most (25%), the plain RNN the least (5%).")
