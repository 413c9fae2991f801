"""Process-wide engine policy, set in one explicit call: ``configure()``.

The CLI and the app call it once at start-up; nothing else in the library
changes process-wide settings as a side effect. What it sets, and why:

- torch's intra-op threads. The app trains each run on a thread of its own;
  with torch's default (one OpenMP thread per core) a model built on one
  thread and trained on another ran at 2-5 % of its speed on a 2-core server
  (bench/results/load.md), so the app asks for one thread per run.
- glibc's malloc thresholds (see ``keep_freed_memory_for_reuse``).
- the fast engine's kernel path (``gru_core.models.kernels``).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import torch

from .models import kernels

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


@dataclass(frozen=True)
class EngineSettings:
    """What ``configure`` set, for logs and the app's run details."""
    threads: int
    malloc_tuned: bool
    kernel_path: str

    def describe(self) -> str:
        return (f"{self.threads} torch thread{'s' if self.threads != 1 else ''}, kernel path "
                f"{self.kernel_path}, malloc {'tuned' if self.malloc_tuned else 'default'}")


def configure(threads: int | None = None, tune_malloc: bool = True,
              kernel_path: str | None = None) -> EngineSettings:
    """Apply the engine policy. ``threads`` None keeps torch's setting;
    ``kernel_path`` None keeps (or makes) the default choice."""
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a whole number >= 1 (got {threads!r})")
        torch.set_num_threads(threads)
    malloc_tuned = keep_freed_memory_for_reuse() if tune_malloc else _malloc_tuned
    if kernel_path is not None:
        kernels.use_path(kernel_path)
    return EngineSettings(torch.get_num_threads(), malloc_tuned, kernels.active_path())
