"""The fast engine's matmuls, on one of two implementations ("paths").

- ``onednn``: oneDNN's fused linear (``torch.ops.mkldnn._linear_pointwise``,
  the op ``torch.compile`` emits on CPU). It fuses the bias and a sigmoid,
  tanh or an addition into the matmul.
- ``torch``: PyTorch's own ``F.linear`` / ``addmm`` (MKL or OpenBLAS on CPU,
  cuBLAS on CUDA), with the activation as a separate in-place op.

Which is faster depends on the CPU (its vector units, the BLAS PyTorch was
built with), so the path is a process-wide setting: ``gru_core.engine``
chooses it, tests force each one with ``forced_path``. Inputs that oneDNN
does not take (CUDA, float64) always run on the ``torch`` path.

``linear(x, w)`` is ``F.linear``: x @ w.T. Weights in the scratch layout are
(in, out), so the forward pass uses ``W.T`` and the backward pass ``W``.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

PATHS = ("onednn", "torch")


def onednn_works() -> bool:
    """oneDNN's fused linear is an internal PyTorch op: use it only if it
    exists and agrees with ``torch.mm``."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        x, w, b = torch.randn(3, 5), torch.randn(4, 5), torch.randn(4)
        fused = torch.ops.mkldnn._linear_pointwise(x, w, b, "sigmoid", [], "")
        added = torch.ops.mkldnn._linear_pointwise.binary(x, b.expand(3, 4), w, None, "add")
        expected = x @ w.T + b
        return (torch.allclose(fused, torch.sigmoid(expected), atol=1e-5)
                and torch.allclose(added, expected, atol=1e-5))
    except (AttributeError, RuntimeError):
        return False


def available_paths() -> tuple[str, ...]:
    return PATHS if onednn_works() else ("torch",)


_path: str | None = None   # None: not chosen yet (the first matmul chooses)


def default_path() -> str:
    """The path used when nobody chose one."""
    return "onednn" if onednn_works() else "torch"


def active_path() -> str:
    global _path
    if _path is None:
        _path = default_path()
    return _path


def use_path(path: str) -> None:
    """Route CPU float32 matmuls of the fast engine through ``path``."""
    global _path
    if path not in available_paths():
        raise ValueError(f"kernel path '{path}' is not available here "
                         f"(available: {', '.join(available_paths())})")
    _path = path


@contextlib.contextmanager
def forced_path(path: str):
    """Within the block, use ``path`` (tests and benchmarks force each one)."""
    before = active_path()
    use_path(path)
    try:
        yield
    finally:
        use_path(before)


_ACTIVATIONS = {"none": lambda y: y, "sigmoid": torch.sigmoid_, "tanh": torch.tanh_}


def _on_onednn(x: torch.Tensor) -> bool:
    return ((_path or active_path()) == "onednn" and x.device.type == "cpu"
            and x.dtype == torch.float32)


def _dense(weight):
    """oneDNN's fast kernels need the weight packed without gaps between rows
    (row- or column-major); a gapped one falls to a reference kernel ~1000x slower."""
    if weight.is_contiguous() or weight.T.is_contiguous():
        return weight
    return weight.T.contiguous().T if weight.stride(0) == 1 else weight.contiguous()


def linear(x, weight, bias=None, activation: str = "none"):
    """activation(x @ weight.T + bias), one fused call on the oneDNN path."""
    if _on_onednn(x):
        return torch.ops.mkldnn._linear_pointwise(x, _dense(weight), bias, activation, [], "")
    return _ACTIVATIONS[activation](F.linear(x, weight, bias))


def linear_add(x, weight, other):
    """x @ weight.T + other."""
    if _on_onednn(x):
        return torch.ops.mkldnn._linear_pointwise.binary(x, other, _dense(weight), None, "add")
    return torch.addmm(other, x, weight.T)


def summed_outer(a, b):
    """a.T @ b over rows: sum_i a_i^T b_i, the shape of every weight gradient.
    a: (..., in) and b: (..., out) with the same leading dims -> (in, out)."""
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return linear(a.T, b.T)
