"""The fast engine's matrix products, each on one of several implementations ("paths").

Every product the engine needs is ``x @ W + other`` (``other`` a matrix, a
bias vector or nothing), written into a buffer the engine owns, with the
weight ``W`` kept in the scratch layout (in, out). A path says how the weight
is packed and which routine multiplies:

- ``torch``: ``torch.addmm`` with the weight packed transposed, (out, in), as
  ``F.linear`` stores it (BLAS's "NT" case; MKL or OpenBLAS on CPU, cuBLAS on
  CUDA).
- ``torch-nn``: the same ``addmm`` with the weight kept as it is, (in, out)
  (BLAS's "NN" case). Which of the two a BLAS runs faster depends on the shape
  and the CPU.
- ``onednn``: oneDNN's linear (``torch.ops.mkldnn._linear_pointwise``, the op
  ``torch.compile`` emits on CPU), with the addition fused in.

No path is fastest everywhere (measured: oneDNN on an AVX-512 Zen 5, MKL on a
Zen 3 and a Zen 4), so ``kernel_choice`` times them for the engine's shapes.
Tests and benchmarks force one path for every product with ``forced_path``.
oneDNN takes only CPU float32; other inputs on a forced oneDNN path run on ``torch``.
"""
from __future__ import annotations

import contextlib
import functools

import torch

PATHS = ("torch", "torch-nn", "onednn")
AUTO = "auto"   # no path forced: each product runs on the one measured fastest


@functools.lru_cache(maxsize=1)
def onednn_works() -> bool:
    """oneDNN's fused linear is an internal PyTorch op: use it only if it
    exists and agrees with ``torch.mm``."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        x, w, b = torch.randn(3, 5), torch.randn(4, 5), torch.randn(4)
        plain = torch.ops.mkldnn._linear_pointwise(x, w, b, "none", [], "")
        added = torch.ops.mkldnn._linear_pointwise.binary(x, b.expand(3, 4), w, None, "add")
        expected = x @ w.T + b
        return (torch.allclose(plain, expected, atol=1e-5)
                and torch.allclose(added, expected, atol=1e-5))
    except (AttributeError, RuntimeError):
        return False


def available_paths() -> tuple[str, ...]:
    return PATHS if onednn_works() else tuple(p for p in PATHS if p != "onednn")


def paths_for(device: torch.device | str, dtype: torch.dtype) -> tuple[str, ...]:
    """The paths that can run products of this device and dtype."""
    if torch.device(device).type == "cpu" and dtype == torch.float32:
        return available_paths()
    return tuple(p for p in PATHS if p != "onednn")


# ---------------------------------------------------------------- forcing a path

_forced: str | None = None   # None: every product on its measured-fastest path


def active_path() -> str:
    """The forced path, or ``AUTO`` when each product's path is measured."""
    return _forced or AUTO


def use_path(path: str) -> None:
    """Force every product of the fast engine onto ``path`` (``AUTO``: measure)."""
    global _forced
    if path != AUTO and path not in available_paths():
        raise ValueError(f"kernel path '{path}' is not available here "
                         f"(available: {', '.join((AUTO,) + available_paths())})")
    _forced = None if path == AUTO else path


@contextlib.contextmanager
def forced_path(path: str):
    """Within the block, use ``path`` (tests and benchmarks force each one)."""
    before = active_path()
    use_path(path)
    try:
        yield
    finally:
        use_path(before)


# ---------------------------------------------------------------- the products

def _dense(weight: torch.Tensor) -> torch.Tensor:
    """oneDNN's fast kernels need operands without gaps between rows (row- or
    column-major); a gapped one falls to a reference kernel ~1000x slower."""
    if weight.is_contiguous() or weight.T.is_contiguous():
        return weight
    return weight.T.contiguous().T if weight.stride(0) == 1 else weight.contiguous()


class Product:
    """``x @ W + other`` for one weight on one path. Built once per sequence
    (packing the weight), called once per step."""

    def __init__(self, path: str, weight: torch.Tensor):
        self.path = path if path in paths_for(weight.device, weight.dtype) else "torch"
        self.onednn = self.path == "onednn"
        if self.path == "torch-nn":
            self.packed = self.weight = weight.contiguous()
        else:   # (out, in) rows: F.linear's layout, and what oneDNN reads fastest
            self.packed = weight.T.contiguous()
            self.weight = self.packed.T   # the view addmm reads, made once, not per step

    def __call__(self, x: torch.Tensor, other: torch.Tensor | None = None,
                 out: torch.Tensor | None = None) -> torch.Tensor:
        if self.onednn:
            return self._on_onednn(x, other, out)
        if other is None:
            return torch.mm(x, self.weight, out=out)
        return torch.addmm(other, x, self.weight, out=out)

    def _on_onednn(self, x, other, out):
        if other is None or other.dim() == 1:
            result = torch.ops.mkldnn._linear_pointwise(_dense(x), self.packed, other, "none", [], "")
        else:
            result = torch.ops.mkldnn._linear_pointwise.binary(
                _dense(x), other.expand(x.shape[0], -1), self.packed, None, "add")
        return result if out is None else out.copy_(result)


def summed_outer(a: torch.Tensor, b: torch.Tensor, path: str = "torch") -> torch.Tensor:
    """a.T @ b over rows: sum_i a_i^T b_i, the shape of every weight gradient.
    a: (..., in) and b: (..., out) with the same leading dims -> (in, out)."""
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    if path == "onednn" and "onednn" in paths_for(a.device, a.dtype):
        return torch.ops.mkldnn._linear_pointwise(_dense(a.T), _dense(b.T), None, "none", [], "")
    return torch.mm(a.T, b)
