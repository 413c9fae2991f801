"""Which kernel path each of the fast engine's products takes, chosen by measurement.

The first time a process trains a shape class (device, dtype, cell, batch
rows, hiddens, vocabulary, torch threads), every product the engine
repeats (the per-step products forward and backward, and the weight
gradients) is timed on every path that can run it, for a few milliseconds,
interleaved so that load from other processes slows every path alike, and
each path's best round counts; the fastest path per product is kept for the
rest of the process. A forced path
(``kernels.forced_path``, tests and benchmarks) wins over the measurement.

The choice is not written to disk: measuring takes ~0.1 s (``measure_ms`` in
the report), well under the 2 s the first step may take, and a stored choice
would keep whatever the load was on the day it was made.

``kernel_report()`` says what was chosen and the measured times;
``kernel_summary()`` says it in one line (the app's run details, the CLI's
``--engine-report``).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch

from .kernels import AUTO, Product, active_path, available_paths, paths_for, summed_outer

WEIGHT_GRADIENTS = "weight gradients"
ROUNDS, CALLS_PER_ROUND = 5, 8          # per path and product: ~40 calls, a few ms
BUDGET_S = 0.3      # at most this for all products (a loaded machine: fewer rounds)


@dataclass(frozen=True)
class ShapeClass:
    device: str
    dtype: str
    cell: str          # "reset-before" (d2l's) or "reset-after" (PyTorch's)
    batch: int
    hiddens: int
    vocab: int
    threads: int

    def describe(self) -> str:
        return (f"{self.cell} {self.hiddens} hiddens, batch {self.batch}, "
                f"{self.device} {self.dtype}, {self.threads} thread{'s' * (self.threads != 1)}")


@dataclass(frozen=True)
class ProductChoice:
    product: str                       # e.g. "gates" or "weight gradients"
    shape: str                         # "32x256 @ 256x512"
    path: str                          # the one chosen
    microseconds: dict                 # path -> time of one call, best round (empty: not measured)

    def describe(self) -> str:
        times = ", ".join(f"{p} {us:.0f}" for p, us in self.microseconds.items())
        return f"{self.product} ({self.shape}): {self.path}" + (f" [{times} us]" if times else "")


@dataclass(frozen=True)
class ShapeChoice:
    shape_class: ShapeClass
    products: tuple                    # ProductChoice, ...
    measure_ms: float                  # how long measuring took (0: not measured)

    def paths(self) -> dict:
        return {choice.product: choice.path for choice in self.products}


@dataclass(frozen=True)
class KernelReport:
    """What ``kernel_report`` returns: the forced path (None: measured) and,
    per shape class trained so far, each product's path and times."""
    forced: str | None
    available: tuple
    shapes: tuple                      # ShapeChoice, ...

    def summary(self) -> str:
        if self.forced:
            return f"Fast engine kernels: {self.forced} (forced)."
        if not self.shapes:
            return ("Fast engine kernels: chosen by measurement at first use (nothing trained "
                    f"yet; paths here: {', '.join(self.available)}).")
        latest = self.shapes[-1]
        parts = []
        for choice in latest.products:
            times = choice.microseconds
            if len(times) > 1:
                runner_up = min(us for p, us in times.items() if p != choice.path)
                parts.append(f"{choice.product} {choice.path} "
                             f"({times[choice.path]:.0f} vs {runner_up:.0f} us)")
            else:
                parts.append(f"{choice.product} {choice.path}")
        return (f"Fast engine kernels for {latest.shape_class.describe()}, measured in "
                f"{latest.measure_ms:.0f} ms: " + "; ".join(parts) + ".")

    def lines(self) -> list[str]:
        out = [f"paths available: {', '.join(self.available)}; forced: {self.forced or 'no'}"]
        for shape in self.shapes:
            out.append(f"{shape.shape_class.describe()} (measured in {shape.measure_ms:.0f} ms):")
            out += [f"  {choice.describe()}" for choice in shape.products]
        return out


# ---------------------------------------------------------------- the products measured

def step_products(cell: str, batch: int, hiddens: int) -> dict:
    """name -> (rows, inner, outer, with_other, into_buffer): the per-step
    products of ``cell`` as ``fast_cells`` calls them: x (rows, inner) @ W
    (inner, outer) [+ other], written into a buffer or into a new tensor."""
    n = hiddens
    if cell == "reset-after":
        return {"step": (batch, n, 3 * n, True, True), "step back": (batch, 3 * n, n, True, False)}
    return {"gates": (batch, n, 2 * n, True, True), "candidate": (batch, n, n, True, True),
            "candidate back": (batch, n, n, False, True), "gates back": (batch, 2 * n, n, True, False)}


def _timed(calls: dict, rounds: int, per_round: int, deadline: float) -> dict:
    """path -> microseconds per call, the best round's (load from other
    processes only ever adds time), the paths interleaved round by round;
    after ``deadline`` (perf_counter) no new round starts."""
    samples = {path: [] for path in calls}
    for call in calls.values():
        call()   # warm-up: oneDNN builds its kernel, BLAS its buffers
    for round_index in range(rounds):
        if round_index and time.perf_counter() > deadline:
            break
        for path, call in calls.items():
            start = time.perf_counter()
            for _ in range(per_round):
                call()
            samples[path].append((time.perf_counter() - start) / per_round * 1e6)
    return {path: min(values) for path, values in samples.items()}


def _measure(shape: ShapeClass, steps: int) -> ShapeChoice:
    started = time.perf_counter()
    device, dtype = torch.device(shape.device), getattr(torch, shape.dtype)
    paths = paths_for(device, dtype)
    generator = torch.Generator().manual_seed(0)

    def random(*size):
        return torch.randn(size, generator=generator, dtype=dtype).to(device)
    choices = []
    products = step_products(shape.cell, shape.batch, shape.hiddens)
    share = BUDGET_S / (len(products) + 1)
    for index, (name, (rows, inner, outer, with_other, into_buffer)) in enumerate(products.items()):
        x, weight = random(rows, inner), random(inner, outer) * 0.05
        out = random(rows, outer) if into_buffer else None
        other = random(rows, outer) if with_other else None
        products = {path: Product(path, weight) for path in paths}
        calls = {path: (lambda p=product: p(x, other, out)) for path, product in products.items()}
        times = _timed(calls, ROUNDS, CALLS_PER_ROUND, started + share * (index + 1))
        choices.append(ProductChoice(name, f"{rows}x{inner} @ {inner}x{outer}",
                                     min(times, key=times.get), times))
    rows = shape.batch * steps      # the first sequence's length stands for later ones
    a, b = random(rows, shape.hiddens), random(rows, 3 * shape.hiddens)
    gradient_paths = tuple(p for p in paths if p != "torch-nn")   # same routine as torch here
    times = _timed({path: (lambda p=path: summed_outer(a, b, p)) for path in gradient_paths},
                   rounds=3, per_round=1, deadline=started + BUDGET_S)
    choices.append(ProductChoice(WEIGHT_GRADIENTS, f"{shape.hiddens}x{rows} @ {rows}x{3 * shape.hiddens}",
                                 min(times, key=times.get), times))
    return ShapeChoice(shape, tuple(choices), (time.perf_counter() - started) * 1e3)


# ---------------------------------------------------------------- the process's choices

_chosen: dict = {}                  # ShapeClass -> ShapeChoice
_lock = threading.Lock()


def shape_class(cell: str, batch: int, hiddens: int, vocab: int,
                device: torch.device, dtype: torch.dtype) -> ShapeClass:
    """The key of a choice. The sequence length is not in it: the per-step
    products do not depend on it, and a key per length would measure again for
    every prompt length the pages run."""
    return ShapeClass(torch.device(device).type, str(dtype).removeprefix("torch."), cell,
                      batch, hiddens, vocab, torch.get_num_threads())


def paths_for_shape(shape: ShapeClass, steps: int = 35) -> dict:
    """product -> path for this shape class: the forced path for every product,
    else the measured choice (measured now if this is the first time).
    Devices other than the CPU run on ``torch`` unmeasured (timing them needs
    synchronisation that the step itself does not)."""
    forced = active_path()
    names = tuple(step_products(shape.cell, shape.batch, shape.hiddens)) + (WEIGHT_GRADIENTS,)
    if forced != AUTO:
        return dict.fromkeys(names, forced)
    if shape.device != "cpu":
        return dict.fromkeys(names, "torch")
    with _lock:   # two runs starting at once measure once, not against each other
        if shape not in _chosen:
            _chosen[shape] = _measure(shape, steps)
        return _chosen[shape].paths()


def kernel_report() -> KernelReport:
    forced = active_path()
    with _lock:
        shapes = tuple(_chosen.values())
    return KernelReport(None if forced == AUTO else forced, available_paths(),
                        shapes)


def kernel_summary() -> str:
    """One line for people: the paths chosen for the latest shape class and why."""
    return kernel_report().summary()


def forget_choices() -> None:
    """Measure again at next use (tests; a benchmark that changed the thread count)."""
    with _lock:
        _chosen.clear()
