"""Process-wide engine policy, set in one explicit call: ``configure()``.

The CLI and the app call it once at start-up; nothing else in the library
changes process-wide settings as a side effect. What it sets, and why:

- torch's intra-op threads. The app trains each run on a thread of its own;
  with torch's default (one OpenMP thread per core) a model built on one
  thread and trained on another ran at 2-5 % of its speed on a 2-core server
  (bench/results/load.md), so the app asks for one thread per run.
- glibc's malloc thresholds (see ``keep_freed_memory_for_reuse``).
- denormal floats flushed to zero (``flush_denormals``).
- the fast engine's kernel path (``gru_core.models.kernels``): measured per
  product by default (``kernel_choice``), or forced.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import torch

from .models import kernels
from .models.kernel_choice import KernelReport, kernel_report, kernel_summary  # noqa: F401 (the app's run details)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameter numbers
_malloc_tuned = False


def keep_freed_memory_for_reuse() -> bool:
    """Stop glibc's malloc from giving large freed blocks back to the OS.

    By default every tensor over ~128 KiB-32 MiB is a fresh ``mmap`` and is
    returned on free, so each batch faults its buffers back in page by page:
    ~2,500 page faults, ~4 ms of a ~20 ms batch at 256 hiddens. With a fixed
    32 MiB mmap threshold and a 128 MiB trim threshold the blocks are reused;
    the cost is that the process keeps its peak working set (tens of MiB).
    Process-wide, applied once; a no-op (False) where malloc is not glibc's."""
    global _malloc_tuned
    if _malloc_tuned:
        return True
    try:
        libc = ctypes.CDLL(None)
        _malloc_tuned = bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
                             and libc.mallopt(_M_TRIM_THRESHOLD, 128 << 20))
    except (OSError, AttributeError):
        _malloc_tuned = False
    return _malloc_tuned


_flush_denormals = False


def flush_denormals(enabled: bool = True) -> bool:
    """Treat float32 values below ~1e-38 as zero, on this thread and on the
    threads it starts from now on (they inherit the FPU mode).

    d2l's tiny initial weights and gradients that fade over 35 steps produce
    denormal numbers, which x86 CPUs compute with microcode, ~100x slower:
    measured on an AMD EPYC (Zen 4), one epoch at 256 hiddens took 45 ms per
    batch for ScratchGRU and 32 ms for FastScratchGRU, 38 and 25 ms flushed.
    The change to the numbers is below 1e-38. False where the CPU has no such
    mode."""
    global _flush_denormals
    _flush_denormals = bool(torch.set_flush_denormal(enabled)) and enabled
    return _flush_denormals


def apply_to_this_thread() -> None:
    """Apply the per-thread parts of the policy on a thread of its own (a run's
    training thread): the FPU mode, and torch's thread count said again here.
    ``torch.get_num_threads()`` reports the process's count on every thread,
    but MKL's products on a thread that never called ``set_num_threads`` run
    with an OpenMP team of one thread per core; two threads running products at
    once on 2 cores then measured 7-31x slower than one (``models.batch_split``)."""
    torch.set_num_threads(torch.get_num_threads())
    if _flush_denormals:
        torch.set_flush_denormal(True)


@dataclass(frozen=True)
class EngineSettings:
    """What ``configure`` set, for logs and the app's run details."""
    threads: int
    malloc_tuned: bool
    kernel_path: str
    denormals_flushed: bool = False

    def describe(self) -> str:
        return (f"{self.threads} torch thread{'s' if self.threads != 1 else ''}, kernel path "
                f"{self.kernel_path}, malloc {'tuned' if self.malloc_tuned else 'default'}, "
                f"denormals {'flushed' if self.denormals_flushed else 'kept'}")


def configure(threads: int | None = None, tune_malloc: bool = True,
              kernel_path: str | None = None, flush_denormal: bool = True) -> EngineSettings:
    """Apply the engine policy. ``threads`` None keeps torch's setting;
    ``kernel_path`` None keeps the current choice (``auto``: measured per
    product; a path name forces it)."""
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a whole number >= 1 (got {threads!r})")
        torch.set_num_threads(threads)
    malloc_tuned = keep_freed_memory_for_reuse() if tune_malloc else _malloc_tuned
    if kernel_path is not None:
        kernels.use_path(kernel_path)
    flushed = flush_denormals(flush_denormal)
    return EngineSettings(torch.get_num_threads(), malloc_tuned, kernels.active_path(), flushed)
