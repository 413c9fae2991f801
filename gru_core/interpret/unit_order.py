"""Orders of the units (heatmap rows): as built, by mean, clustered, or grouped
(named groups first, e.g. the notable units, then the rest clustered)."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

UNIT_ORDERS = ("none", "mean", "cluster")


def order_units(values: np.ndarray, method: str = "mean") -> np.ndarray:
    """A permutation of the units (columns of a (T, U) array) for heatmap rows:
    "none", "mean" (highest mean activation first) or "cluster" (units that move
    together sit together: average-linkage clustering on 1 - correlation)."""
    values = np.asarray(values, np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be (characters, units) (got shape {values.shape})")
    if method == "none":
        return np.arange(values.shape[1])
    if method == "mean":
        return np.argsort(-values.mean(axis=0), kind="stable")
    if method == "cluster":
        return _average_linkage_order(1.0 - _unit_correlation(values))
    raise ValueError(f"unit order must be one of {', '.join(UNIT_ORDERS)} (got '{method}')")


def grouped_order(values: np.ndarray, groups: Iterable[Sequence[int]]) -> np.ndarray:
    """A permutation with the units of ``groups`` first (group by group, each
    unit once, where it first appears), then every other unit clustered
    (``order_units(..., "cluster")``): the default order of the gate heatmaps,
    with ``NotableUnits.groups.values()`` as the groups."""
    values = np.asarray(values, np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be (characters, units) (got shape {values.shape})")
    num_units = values.shape[1]
    first = list(dict.fromkeys(int(u) for group in groups for u in group))
    if any(not 0 <= u < num_units for u in first):
        raise ValueError(f"group units must be in [0, {num_units - 1}] (got {first})")
    rest = np.setdiff1d(np.arange(num_units), first)
    if len(rest) > 1:
        rest = rest[_average_linkage_order(1.0 - _unit_correlation(values[:, rest]))]
    return np.concatenate([np.array(first, np.int64), rest.astype(np.int64)])


def _unit_correlation(values: np.ndarray) -> np.ndarray:
    """Pearson correlation between units over time; a constant unit correlates
    with nothing (0) rather than NaN."""
    centred = values - values.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    scaled = centred / np.where(norms > 0, norms, 1.0)
    correlation = scaled.T @ scaled
    np.fill_diagonal(correlation, 1.0)
    return correlation


def _average_linkage_order(distance: np.ndarray) -> np.ndarray:
    """Leaf order of average-linkage agglomerative clustering (numpy only:
    scipy is not a dependency). Merges the closest pair of clusters each round;
    a merged cluster lists its first member's leaves, then its second's."""
    n = len(distance)
    distance = distance.astype(np.float64).copy()
    np.fill_diagonal(distance, np.inf)
    sizes = np.ones(n)
    leaves = [[unit] for unit in range(n)]
    root = 0
    for _ in range(n - 1):
        a, b = sorted(divmod(int(np.argmin(distance)), n))
        merged = (distance[a] * sizes[a] + distance[b] * sizes[b]) / (sizes[a] + sizes[b])
        distance[a], distance[:, a] = merged, merged
        distance[a, a] = np.inf
        distance[b], distance[:, b] = np.inf, np.inf
        leaves[a] += leaves[b]
        sizes[a] += sizes[b]
        root = a
    return np.array(leaves[root])
