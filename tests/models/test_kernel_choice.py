"""gru_core.models.kernel_choice: the fast engine's products are timed on every
path at first use of a shape class, the fastest kept, and reported."""
from __future__ import annotations

import pytest
import torch

from gru_core.models import kernel_choice, kernels
from gru_core.models.fast import FastScratchGRU


@pytest.fixture
def fresh_choices():
    kernel_choice.forget_choices()
    yield
    kernel_choice.forget_choices()


def train_one_batch(reset_after=False, batch=4, steps=5, hiddens=16):
    model = FastScratchGRU(28, hiddens, reset_after=reset_after, seed=0)
    X = torch.randint(0, 28, (batch, steps), generator=torch.Generator().manual_seed(0))
    Y, _ = model(X, model.begin_state(batch))
    Y.sum().backward()


@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
def test_first_use_measures_every_path_for_every_product(fresh_choices, reset_after):
    assert kernel_choice.kernel_report().shapes == ()
    assert "nothing trained yet" in kernel_choice.kernel_summary()
    train_one_batch(reset_after)
    report = kernel_choice.kernel_report()
    assert report.forced is None and len(report.shapes) == 1
    shape = report.shapes[0]
    assert shape.shape_class.cell == ("reset-after" if reset_after else "reset-before")
    assert (shape.shape_class.batch, shape.shape_class.hiddens) == (4, 16)
    expected = tuple(kernel_choice.step_products(shape.shape_class.cell, 4, 16))
    assert tuple(c.product for c in shape.products) == expected + (kernel_choice.WEIGHT_GRADIENTS,)
    for choice in shape.products:
        assert choice.path in kernels.available_paths()
        assert choice.microseconds[choice.path] == min(choice.microseconds.values())
        if choice.product != kernel_choice.WEIGHT_GRADIENTS:
            assert set(choice.microseconds) == set(kernels.available_paths())
    assert 0 < shape.measure_ms < 2000   # the first step still starts within ~2 s
    summary = kernel_choice.kernel_summary()
    assert "\n" not in summary and "measured in" in summary and "16 hiddens" in summary
    assert any("us" in line for line in report.lines())


def test_a_shape_class_is_measured_once(fresh_choices, monkeypatch):
    measured = []
    real = kernel_choice._measure
    monkeypatch.setattr(kernel_choice, "_measure",
                        lambda shape, steps: measured.append(shape) or real(shape, steps))
    train_one_batch()
    train_one_batch()
    train_one_batch(steps=9)      # another sequence length: the same products
    assert len(measured) == 1
    train_one_batch(batch=6)      # another batch size is another shape class
    assert len(measured) == 2 and len(kernel_choice.kernel_report().shapes) == 2


@pytest.mark.parametrize("path", kernels.available_paths())
def test_a_forced_path_wins_and_is_reported(fresh_choices, path):
    shape = kernel_choice.shape_class("reset-before", 4, 16, 28, torch.device("cpu"), torch.float32)
    with kernels.forced_path(path):
        assert set(kernel_choice.paths_for_shape(shape).values()) == {path}
        assert kernel_choice.kernel_summary() == f"Fast engine kernels: {path} (forced)."
    assert kernel_choice.kernel_report().shapes == ()     # forcing measured nothing


def test_a_loaded_machine_cuts_the_measurement_short(fresh_choices, monkeypatch):
    monkeypatch.setattr(kernel_choice, "BUDGET_S", 0.0)
    train_one_batch()
    shape, = kernel_choice.kernel_report().shapes
    assert all(choice.path for choice in shape.products)   # one round per path still ran
