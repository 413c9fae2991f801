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
    x, w, b = (torch.randn(shape, generator=generator) for shape in ((6, 5), (4, 5), (4,)))
    other = torch.randn(6, 4, generator=generator)
    with kernels.forced_path(path):
        assert kernels.active_path() == path
        for activation, expected in (("none", x @ w.T + b), ("sigmoid", torch.sigmoid(x @ w.T + b)),
                                     ("tanh", torch.tanh(x @ w.T + b))):
            assert torch.allclose(kernels.linear(x, w, b, activation), expected, atol=1e-5)
        assert torch.allclose(kernels.linear_add(x, w, other), x @ w.T + other, atol=1e-5)
        assert torch.allclose(kernels.summed_outer(x, other), x.T @ other, atol=1e-5)


def test_forcing_a_path_is_undone_and_unknown_paths_are_refused():
    before = kernels.active_path()
    with kernels.forced_path("torch"):
        assert kernels.active_path() == "torch"
    assert kernels.active_path() == before
    with pytest.raises(ValueError, match="kernel path 'blas9' is not available"):
        kernels.use_path("blas9")


@pytest.mark.skipif("onednn" not in kernels.available_paths(),
                    reason="oneDNN is not available in this PyTorch")
def test_gapped_weight_takes_a_fast_kernel():
    """A weight with gaps between its rows sends oneDNN to a reference kernel
    (30 s instead of 2 ms for a weight gradient); ``linear`` must repack it."""
    activations = torch.randn(1120, 284)
    gradients = torch.randn(1120, 1024)[:, 256:768]   # rows 1024 apart, 512 wide
    start = time.perf_counter()
    with kernels.forced_path("onednn"):
        result = kernels.summed_outer(activations, gradients)
    seconds = time.perf_counter() - start
    assert (result - activations.T @ gradients).abs().max() <= 1e-3
    assert seconds < 2.0, f"{seconds:.1f} s: the reference kernel was used"
