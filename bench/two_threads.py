"""Does a second thread add a core's worth of matrix work on this machine, now?

Plain ``torch.mm`` products of a few sizes, half on this thread and half on a
second one at once, against all of them one after another on one thread (each
thread says ``torch.set_num_threads(1)`` first, see ``gru_core.models.batch_split``).
A speedup near 2 means two free cores; near 1, a shared one. Tiny products
show the cost of two threads taking turns at the GIL.

    python bench/two_threads.py
"""
from __future__ import annotations

import os
import threading
import time

import torch

SHAPES = {"512x512 @ 512x512": ((512, 512), (512, 512), 100),
          "16x256 @ 256x512 (a slice's gate product)": ((16, 256), (256, 512), 3000),
          "64x64 @ 64x64": ((64, 64), (64, 64), 20000),
          "16x16 @ 16x16 (launch-bound)": ((16, 16), (16, 16), 50000)}


def speedup(left, right, calls) -> float:
    a, b = torch.randn(left), torch.randn(right)

    def work():
        torch.set_num_threads(1)
        for _ in range(calls):
            torch.mm(a, b)
    work()
    start = time.perf_counter()
    work()
    work()
    one_thread = time.perf_counter() - start
    start = time.perf_counter()
    other = threading.Thread(target=work)
    other.start()
    work()
    other.join()
    return one_thread / (time.perf_counter() - start)


def main() -> None:
    torch.set_num_threads(1)
    print(f"# {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, (left, right, calls) in SHAPES.items():
        print(f"{name}: two threads {speedup(left, right, calls):.2f}x one")


if __name__ == "__main__":
    main()
