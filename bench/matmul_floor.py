"""The recurrent-matmul floor of one training batch, and the fast engine against it.

The floor is the time of the matrix products the algorithm cannot avoid, each
measured alone on this machine at the current thread count, on the fastest
kernel path for its shape:

- per step, forward: the gate product ``H [W_hr | W_hz]`` (B x n @ n x 2n) and
  the candidate product ``(R * H) W_hh`` (B x n @ n x n);
- per step, backward: the two data-gradient products into H
  (B x n @ n x n and B x 2n @ 2n x n);
- once per batch: the recurrent weight gradients (n x TB @ TB x 2n and
  n x TB @ TB x n) and the output layer (forward, its data gradient and its
  weight gradient), each a single large product.

(The one-hot inputs are row lookups, not products: they are not in the floor,
and the fast engine does not multiply by them either.)

    python bench/matmul_floor.py --hiddens 256 --threads 1
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core.models import kernels  # noqa: E402


def _median_us(call, repeats: int = 7, calls: int = 10) -> float:
    call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def _best_product_us(rows, inner, outer, with_other=True) -> tuple[float, str]:
    x, weight = torch.randn(rows, inner), torch.randn(inner, outer) * 0.05
    other = torch.randn(rows, outer) if with_other else None
    times = {}
    for path in kernels.available_paths():
        product = kernels.Product(path, weight)
        times[path] = _median_us(lambda: product(x, other))   # the product alone, no buffer
    best = min(times, key=times.get)
    return times[best], best


def _best_outer_us(rows, left, right) -> tuple[float, str]:
    a, b = torch.randn(rows, left), torch.randn(rows, right)
    times = {path: _median_us(lambda p=path: kernels.summed_outer(a, b, p), repeats=5, calls=2)
             for path in kernels.available_paths() if path != "torch-nn"}
    best = min(times, key=times.get)
    return times[best], best


def floor_parts(num_hiddens: int, vocab_size: int, batch: int, steps: int) -> dict:
    """name -> (microseconds per batch, how many calls, path): the floor's parts."""
    n, v, rows = num_hiddens, vocab_size, batch * steps
    parts = {}
    for name, shape in (("forward: gates, per step", (batch, n, 2 * n)),
                        ("forward: candidate, per step", (batch, n, n)),
                        ("backward: into H via W_hh, per step", (batch, n, n, False)),
                        ("backward: into H via gate weights, per step", (batch, 2 * n, n))):
        us, path = _best_product_us(*shape)
        parts[name] = (us * steps, steps, path)
    for name, (left, right) in (("weight gradients: gate weights", (n, 2 * n)),
                                ("weight gradients: W_hh", (n, n)),
                                ("output layer: weight gradient", (n, v))):
        us, path = _best_outer_us(rows, left, right)
        parts[name] = (us, 1, path)
    for name, shape in (("output layer: forward", (rows, n, v)),
                        ("output layer: data gradient", (rows, v, n, False))):
        us, path = _best_product_us(*shape)
        parts[name] = (us, 1, path)
    return parts


def floor_ms(parts: dict) -> float:
    return sum(us for us, _, _ in parts.values()) / 1e3


def print_floor(parts: dict, batch_ms: dict | None = None) -> None:
    total = floor_ms(parts)
    print(f"\nrecurrent-matmul floor per batch: {total:.2f} ms")
    for name, (us, calls, path) in parts.items():
        print(f"  {name}: {us / 1e3:.2f} ms ({calls} x {us / calls:.0f} us, {path})")
    for variant, ms in (batch_ms or {}).items():
        print(f"  {variant}: {ms:.2f} ms per batch = {total / ms:.0%} of the floor")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hiddens", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=28)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-steps", type=int, default=35)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    print_floor(floor_parts(args.hiddens, args.vocab, args.batch_size, args.num_steps))


if __name__ == "__main__":
    main()
