"""Every cell of the chapter, 20 epochs of d2l's config, in ONE live run.

All networks train in lockstep on identical batches through the live engine
(``gru_core.runs.Run``, one background thread), so machine load hits them
alike. Reported per network: training perplexity of the last epoch,
held-out perplexity (``gru_core.interpret.perplexity`` on the next
``--heldout-chars`` characters of the book, measured by the run after the
last epoch), tokens/s (training tokens over training time, d2l's measure)
and the greedy continuation of "time traveller".

    python bench/cells.py                          # d2l's config, 20 epochs
    python bench/cells.py --epochs 5 --hiddens 64  # a quick look
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core import engine  # noqa: E402
from gru_core.config import TrainConfig  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.models import MODEL_KINDS  # noqa: E402
from gru_core.runs import Run, RunState  # noqa: E402

# d2l's GRU through both engines (readable and fast), nn.GRU, and the other cells
NETWORKS = ["scratch", "scratch-fast", "concise", "rnn", "reset-only", "update-only", "lstm",
            "concise-lstm"]


def kinds(text: str) -> list[str]:
    chosen = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in chosen if kind not in MODEL_KINDS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"models must be from {', '.join(MODEL_KINDS)} "
                                         f"(got {text!r})")
    return chosen


def parse_args(argv=None):
    d = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=kinds, default=NETWORKS,
                        help="comma-separated model kinds, all in one lockstep run")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hiddens", type=int, default=d.num_hiddens)
    parser.add_argument("--heldout-chars", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's: 1)")
    parser.add_argument("--quiet-load", type=float, default=0.6,
                        help="wait until the 1-minute load average is below this")
    parser.add_argument("--wait-s", type=float, default=300, help="wait at most this long")
    parser.add_argument("--json-out", metavar="FILE")
    return parser.parse_args(argv)


def wait_for_quiet(threshold: float, wait_s: float) -> float:
    """The 1-minute load once it is below ``threshold`` (or when ``wait_s`` ran out)."""
    deadline = time.monotonic() + wait_s
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def busiest_processes() -> str:
    result = subprocess.run(["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True,
                            text=True, check=False)
    return "\n".join(result.stdout.splitlines()[:6])


def main(argv=None) -> int:
    args = parse_args(argv)
    engine.configure(threads=args.threads)
    config = TrainConfig(num_hiddens=args.hiddens, num_epochs=args.epochs, device="cpu").validate()
    corpus = load_corpus_time_machine(config.max_tokens)
    run = Run(config, corpus, networks=args.models, sample_every=args.epochs,
              snapshot_every=0, heldout_every=args.epochs, heldout_chars=args.heldout_chars)
    load_before = wait_for_quiet(args.quiet_load, args.wait_s)
    print(f"{corpus.name}: {len(corpus.indices):,} training tokens, next "
          f"{len(run.heldout_indices):,} held out, vocabulary {len(corpus.vocab)}; "
          f"{config.num_hiddens} hiddens, batch {config.batch_size}, {config.num_steps} steps, "
          f"lr {config.lr:g}, clip {config.clip_theta:g}, {config.num_epochs} epochs, seed "
          f"{config.seed}; torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"{platform.machine()}; networks {', '.join(run.models)}")
    print(f"load before: {os.getloadavg()} (waited for < {args.quiet_load}: "
          f"{load_before:.2f})\n{busiest_processes()}", flush=True)
    started = time.perf_counter()
    run.start()
    run.wait()
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    if run.state is not RunState.FINISHED:
        print(f"the run ended {run.state.value}: {run.message}")
        return 1
    metrics = run.metrics()
    results = {}
    for name in run.models:
        epochs = [r for r in metrics["epochs"] if r["model"] == name]
        sample = [r for r in metrics["samples"] if r["model"] == name]
        results[name] = {
            "kind": run.model_kinds[name], "perplexity": epochs[-1]["perplexity"],
            "first_epoch_perplexity": epochs[0]["perplexity"],
            "heldout_perplexity": epochs[-1]["heldout_perplexity"],
            "tokens_per_second": sum(r["num_tokens"] for r in epochs)
            / sum(r["seconds"] for r in epochs),
            "train_seconds": sum(r["seconds"] for r in epochs), "sample": sample[-1]["text"]}
    print(f"\nwall {wall:.1f} s for the whole run; load after: {load_after}\n")
    print("| network | kind | perplexity, epoch 1 | perplexity, epoch "
          f"{args.epochs} | held-out perplexity | tokens/s | train s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        print(f"| {name} | {result['kind']} | {result['first_epoch_perplexity']:.2f} | "
              f"{result['perplexity']:.2f} | {result['heldout_perplexity']:.2f} | "
              f"{result['tokens_per_second']:,.0f} | {result['train_seconds']:.1f} |")
    print()
    for name, result in results.items():
        print(f"{name:>14}: {result['sample']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "config": config.to_dict(), "networks": run.model_kinds, "wall_seconds": wall,
            "load_before": load_before, "load_after": list(load_after),
            "threads": torch.get_num_threads(), "heldout_chars": len(run.heldout_indices),
            "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
