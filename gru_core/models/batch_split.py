"""Running the slices of one batch in threads of their own.

Batch rows are independent sequences: ``fast.FastSequence`` gives each slice
of rows to a thread and sums the weight gradients. PyTorch releases the GIL
inside its ops, so the slices' products run on different cores at once; the
Python between them is short. One pool for the process, created at first use,
with a thread per core beyond the caller's (idle between batches; not a
training thread: runs own those).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import torch

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def row_slices(batch: int, workers: int) -> list[slice]:
    """``workers`` contiguous slices of ``range(batch)``, sizes differing by at most one."""
    workers = max(1, min(workers, batch))
    bounds = [batch * k // workers for k in range(workers + 1)]
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1),
                                       thread_name_prefix="fast-engine-slice")
        return _pool


def _on_one_core(work):
    # Grad mode is per thread: a pool thread would otherwise record a graph.
    # And a thread that never called set_num_threads runs MKL's products with
    # an OpenMP team of one thread per core (torch.get_num_threads() says 1 all
    # the same): two slices then oversubscribe the cores, spin-waiting. Measured
    # on 2 cores, 16x256 @ 256x512 products on two threads at once: 7-31x
    # slower than one after another on one thread (bench/results/throughput.md).
    torch.set_num_threads(1)
    with torch.no_grad():
        return work()


def in_parallel(works: list) -> list:
    """Call each of ``works`` (no arguments) and return their results in order:
    the first on this thread, the others on the pool. Every call has ended
    before this returns or raises."""
    if len(works) == 1:
        return [works[0]()]
    threads = torch.get_num_threads()
    futures = [_executor().submit(_on_one_core, work) for work in works[1:]]
    try:
        torch.set_num_threads(1)     # the slices are the parallelism: one core each
        first = works[0]()
    finally:
        others = [future.exception() for future in futures]   # waits for each
        torch.set_num_threads(threads)
    for error in others:
        if error is not None:
            raise error
    return [first] + [future.result() for future in futures]
