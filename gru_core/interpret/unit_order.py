"""Orders of the units (heatmap rows): as built, by mean, or clustered."""
from __future__ import annotations

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
