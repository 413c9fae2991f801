"""Compare: initialisation vs formulation. d2l's scratch GRU and nn.GRU trained
in lockstep on identical batches, nn.GRU once from PyTorch's own start
(uniform ±1/√256) and once from d2l's (N(0, 0.01²), ``concise_from_scratch``),
with the reset-after scratch cell from d2l's start beside them.

    OMP_NUM_THREADS=1 python bench/compare_init.py --epochs 20 --out bench/results/compare_init.md

What remains between "scratch" and "nn.GRU, d2l's init" is the formulation
alone (reset before vs after the matmul); "nn.GRU, d2l's init" and
"scratch reset-after, d2l's init" compute the same function from the same
numbers, so they should agree to rounding.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core import interpret  # noqa: E402
from gru_core.config import TrainConfig  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.models import concise_from_scratch, make_model  # noqa: E402
from gru_core.training import Lockstep  # noqa: E402

NAMES = {"scratch": "scratch (d2l's cell, d2l's init)",
         "concise-pytorch": "nn.GRU, PyTorch's init",
         "concise-d2l": "nn.GRU, d2l's init",
         "after-d2l": "scratch reset-after, d2l's init"}


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                    if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--heldout-chars", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = TrainConfig(num_epochs=args.epochs, device="cpu")   # d2l's, 10,000 characters
    corpus = load_corpus_time_machine(config.max_tokens)
    heldout = corpus.heldout[:args.heldout_chars]
    vocab, hiddens = len(corpus.vocab), config.num_hiddens
    models = {"scratch": make_model("scratch", vocab, hiddens, seed=config.seed),
              "concise-pytorch": make_model("concise", vocab, hiddens, seed=config.seed),
              "concise-d2l": concise_from_scratch(make_model("scratch", vocab, hiddens,
                                                             seed=config.seed)),
              "after-d2l": make_model("scratch-reset-after", vocab, hiddens, seed=config.seed)}
    loop = Lockstep(models, corpus, config)
    rows, started = [], time.perf_counter()
    for _ in range(args.epochs):
        for X, Y in loop.begin_epoch():
            loop.train_batch(X, Y)
        records = {r.model: r for r in loop.end_epoch()}
        rows.append({name: (records[name].perplexity, interpret.perplexity(model, heldout))
                     for name, model in models.items()})
    seconds = time.perf_counter() - started
    shown = [e for e in (1, 2, 5, 10, 15, 20, args.epochs) if e <= args.epochs]
    lines = [f"`OMP_NUM_THREADS={args.threads} python bench/compare_init.py --epochs "
             f"{args.epochs}`: {cpu_model()}, torch {torch.__version__}, {seconds:.0f} s for "
             f"{len(models)} models; load average {os.getloadavg()[0]:.1f} at the end.",
             "", "Training perplexity (d2l's, mean over the epoch's batches) / held-out "
             f"perplexity (the first {len(heldout):,} characters after the training text):", "",
             "| epoch | " + " | ".join(NAMES[n] for n in models) + " |",
             "|---:|" + "---:|" * len(models)]
    for epoch in sorted(set(shown)):
        row = rows[epoch - 1]
        lines.append(f"| {epoch} | " + " | ".join(f"{row[n][0]:.2f} / {row[n][1]:.2f}"
                                                  for n in models) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text("# Compare: initialisation vs formulation\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
