"""gru_core.interpret.unit_order: heatmap row orders are permutations that mean something."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import interpret


@pytest.mark.parametrize("method", interpret.UNIT_ORDERS)
def test_every_ordering_is_a_permutation(method):
    values = np.random.default_rng(0).normal(size=(50, 17))
    values[:, 3] = 0.25  # a constant unit must not break the correlation
    order = interpret.order_units(values, method)
    assert sorted(order.tolist()) == list(range(17))


def test_mean_ordering_puts_the_most_active_unit_first():
    values = np.array([[0.1, 0.9, 0.5], [0.3, 0.7, 0.5]])
    assert interpret.order_units(values, "mean").tolist() == [1, 2, 0]


def test_clustering_keeps_units_that_move_together_side_by_side():
    rng = np.random.default_rng(1)
    signals = rng.normal(size=(200, 2))
    group_of_unit = np.arange(12) % 2  # the two groups interleaved
    values = signals[:, group_of_unit] + 0.1 * rng.normal(size=(200, 12))
    order = interpret.order_units(values, "cluster")
    assert len(set(group_of_unit[order[:6]])) == 1 and len(set(group_of_unit[order[6:]])) == 1


def test_unknown_ordering_is_refused():
    with pytest.raises(ValueError, match="unit order must be one of"):
        interpret.order_units(np.zeros((3, 2)), "alphabetical")
