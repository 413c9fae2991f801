"""Early stopping for a shipped model: held-out perplexity after every snapshot
epoch of a checkpoint, and the best epoch to train to.

    python bench/heldout_scan.py --checkpoint /tmp/bookrun/scan.pt --max-tokens 150000

The checkpoint should hold a snapshot after every epoch (``--snapshot-every 1``);
training is deterministic on the CPU, so training again with ``--epochs BEST``
gives exactly the early-stopped model.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core.assets import best_epoch, snapshot_heldout  # noqa: E402
from gru_core.checkpoint import load_checkpoint  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--max-tokens", type=int, default=150_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    checkpoint = load_checkpoint(args.checkpoint)
    corpus = load_corpus_time_machine(args.max_tokens)
    started = time.perf_counter()
    scores = snapshot_heldout(checkpoint.snapshots, corpus)
    training = {r["epoch"]: r["perplexity"] for r in checkpoint.history.epochs}
    print(f"| epoch | d2l training perplexity | held-out perplexity ({len(corpus.heldout):,} "
          f"characters) |\n|---:|---:|---:|")
    for s in scores:
        print(f"| {s.epoch} | {training.get(s.epoch, float('nan')):.3f} | "
              f"{s.heldout_perplexity:.3f} |")
    best = best_epoch(scores)
    print(f"\nbest epoch {best.epoch}: held-out perplexity {best.heldout_perplexity:.3f} "
          f"({time.perf_counter() - started:.0f} s)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(
            {"best_epoch": best.epoch, "scores": [vars(s) for s in scores]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
