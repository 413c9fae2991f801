"""Cells compared: the sentence under each chart of the Lab, computed from the
numbers the chart shows (never canned), one function per chart.

Inputs are plain dicts keyed by network ("scratch", "lstm", ...), as a run's
records are; networks are named in words by ``models.CELL_NAMES``.
"""
from __future__ import annotations

import math

import numpy as np

from ..models import CELL_NAMES
from .saliency import MemoryReach


def cell_name(network: str) -> str:
    return CELL_NAMES.get(network, network)


def latest_by_network(records: list[dict], key: str) -> dict[str, float]:
    """The newest ``key`` of each network in epoch records (``{"model", key}``)."""
    latest = {}
    for record in records:
        latest[record["model"]] = float(record[key])
    return latest


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _extremes(values: dict[str, float]) -> tuple[str, str]:
    ranked = sorted(values, key=values.get)
    return ranked[0], ranked[-1]


def describe_perplexity(perplexities: dict[str, float], split: str = "training",
                        epoch: int | None = None, vocab_size: int | None = None) -> str:
    """E.g. 'After epoch 20, training perplexity is lowest for the LSTM (5.91)
    and highest for the plain RNN (8.70).' ``split``: "training" or "held-out"."""
    finite = {n: v for n, v in perplexities.items() if math.isfinite(v)}
    when = f"After epoch {epoch}, " if epoch is not None else ""
    guess = (f" A uniform guess over {vocab_size} characters scores {vocab_size}."
             if vocab_size else "")
    if not finite:
        return _sentence(f"{when}no {split} perplexity is available yet.")
    if len(finite) == 1:
        (name, value), = finite.items()
        return _sentence(f"{when}the {cell_name(name)} has a {split} perplexity of "
                         f"{value:.2f}.{guess}")
    best, worst = _extremes(finite)
    return _sentence(f"{when}{split} perplexity is lowest for the {cell_name(best)} "
                     f"({finite[best]:.2f}) and highest for the {cell_name(worst)} "
                     f"({finite[worst]:.2f}).{guess}")


def describe_speed(tokens_per_second: dict[str, float]) -> str:
    """E.g. 'nn.GRU trains fastest (61,000 tokens/s), 3.4 times the LSTM (18,000).'"""
    speeds = {n: v for n, v in tokens_per_second.items() if v > 0}
    if not speeds:
        return "No network has finished an epoch yet."
    fastest, slowest = _extremes({n: -v for n, v in speeds.items()})
    if len(speeds) == 1:
        return f"The {cell_name(fastest)} trains at {speeds[fastest]:,.0f} tokens/s."
    return (f"The {cell_name(fastest)} trains fastest ({speeds[fastest]:,.0f} tokens/s), "
            f"{speeds[fastest] / speeds[slowest]:.1f} times the slowest, the "
            f"{cell_name(slowest)} ({speeds[slowest]:,.0f} tokens/s); all saw the same batches.")


def half_reach(reach: MemoryReach) -> int:
    """How many characters back hold half of the influence shown."""
    cumulative = np.cumsum(reach.mean_saliency)
    if cumulative[-1] <= 0:
        return 0
    half = cumulative[-1] / 2 * (1 - 1e-9)   # a float sum that lands on the half counts
    return int(reach.distances[np.searchsorted(cumulative, half)])


def far_share(reach: MemoryReach, beyond: int = 10) -> float:
    """The share of the influence shown that lies more than ``beyond`` characters back."""
    total = reach.mean_saliency.sum()
    return float(reach.mean_saliency[reach.distances > beyond].sum() / total) if total > 0 else 0.0


def describe_reach(reaches: dict[str, MemoryReach], beyond: int = 10) -> str:
    """E.g. 'Half of the influence on a prediction comes from the last 2
    characters for the plain RNN, 4 characters for the LSTM; beyond 10
    characters back the LSTM keeps the most (12%), the plain RNN the least (1%).'"""
    if not reaches:
        return "No memory reach has been measured yet."
    halves = {name: half_reach(reach) for name, reach in reaches.items()}
    within = ", ".join(f"{_characters(halves[n])} for the {cell_name(n)}"
                       for n in sorted(halves, key=halves.get))
    text = f"Half of the influence on a prediction comes from the last {within}"
    if len(reaches) == 1:
        (name, reach), = reaches.items()
        return f"{text}; {far_share(reach, beyond):.0%} lies beyond {beyond} characters back."
    far = {name: far_share(reach, beyond) for name, reach in reaches.items()}
    least, most = _extremes(far)
    return (f"{text}; beyond {beyond} characters back the {cell_name(most)} keeps the most "
            f"({far[most]:.0%}), the {cell_name(least)} the least ({far[least]:.0%}).")
