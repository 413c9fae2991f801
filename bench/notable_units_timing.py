"""How long ``interpret.notable_units`` takes (the live Gates page recomputes it
every few seconds): 2,000 held-out characters, the book model's 256 units.

    OMP_NUM_THREADS=1 python bench/notable_units_timing.py --repeats 15
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core import interpret  # noqa: E402
from gru_core.assets import BOOK  # noqa: E402
from gru_core.checkpoint import load_checkpoint  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402


def timed(function, repeats: int) -> tuple[float, float]:
    function()  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3, min(times) * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_checkpoint(BOOK.path).model
    corpus = load_corpus_time_machine(BOOK.train_chars)
    indices = corpus.heldout[:args.chars]
    chars = interpret.decode(indices, corpus.vocab)
    trace = interpret.long_trace(model, indices)
    rows = {"notable_units (long trace + analysis)":
            lambda: interpret.notable_units(model, indices, corpus.vocab),
            "long_trace alone": lambda: interpret.long_trace(model, indices),
            "notable_units_from_trace (analysis alone)":
            lambda: interpret.notable_units_from_trace(trace, chars)}
    print(f"{args.chars:,} characters, {model.num_hiddens} units, {args.threads} thread(s), "
          f"load average {os.getloadavg()[0]:.1f}\n\n| step | median ms | best ms |\n|---|---:|---:|")
    for name, function in rows.items():
        median, best = timed(function, args.repeats)
        print(f"| {name} | {median:.0f} | {best:.0f} |")
    found = interpret.notable_units(model, indices, corpus.vocab)
    print(f"\n{len(found.findings)} findings:")
    for finding in found.findings:
        print(f"- {finding.kind}: {finding.sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
