"""gru_core.models.kernels: each path computes the same products, and the
path is a setting tests can force."""
from __future__ import annotations

import time

import pytest
import torch

from gru_core.models import kernels


@pytest.mark.parametrize("path", kernels.available_paths())
def test_every_path_computes_the_same_products(path):
    generator = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(shape, generator=generator) for shape in ((6, 5), (5, 4), (4,)))
    other, out = torch.randn(6, 4, generator=generator), torch.empty(6, 4)
    product = kernels.Product(path, w)
    assert product.path == path
    for addend, expected in ((None, x @ w), (b, x @ w + b), (other, x @ w + other)):
        assert torch.allclose(product(x, addend), expected, atol=1e-5)
        assert product(x, addend, out=out) is out and torch.allclose(out, expected, atol=1e-5)
    transposed = kernels.Product(path, w.T)     # a weight read transposed (the backward pass)
    assert torch.allclose(transposed(other), other @ w.T, atol=1e-5)
    assert torch.allclose(kernels.summed_outer(x, other, path), x.T @ other, atol=1e-5)


def test_onednn_falls_back_where_it_cannot_run():
    weight = torch.randn(5, 4, dtype=torch.float64)
    product = kernels.Product("onednn", weight)
    assert product.path == "torch"
    x = torch.randn(3, 5, dtype=torch.float64)
    assert torch.allclose(product(x), x @ weight)
    assert kernels.paths_for("cpu", torch.float64) == ("torch", "torch-nn")


def test_forcing_a_path_is_undone_and_unknown_paths_are_refused():
    assert kernels.active_path() == kernels.AUTO
    with kernels.forced_path("torch"):
        assert kernels.active_path() == "torch"
        with kernels.forced_path("torch-nn"):
            assert kernels.active_path() == "torch-nn"
        assert kernels.active_path() == "torch"
    assert kernels.active_path() == kernels.AUTO
    with pytest.raises(ValueError, match="kernel path 'blas9' is not available"):
        kernels.use_path("blas9")


@pytest.mark.skipif("onednn" not in kernels.available_paths(),
                    reason="oneDNN is not available in this PyTorch")
def test_gapped_operands_take_a_fast_kernel():
    """An operand with gaps between its rows sends oneDNN to a reference kernel
    (30 s instead of 2 ms for a weight gradient); the products must repack it."""
    activations = torch.randn(1120, 284)
    gradients = torch.randn(1120, 1024)[:, 256:768]   # rows 1024 apart, 512 wide
    start = time.perf_counter()
    result = kernels.summed_outer(activations, gradients, "onednn")
    seconds = time.perf_counter() - start
    assert (result - activations.T @ gradients).abs().max() <= 1e-3
    assert seconds < 2.0, f"{seconds:.1f} s: the reference kernel was used"
