"""Reproduce d2l's GRU chapter: 500 epochs of the Time Machine config for each
model, with final perplexity, tokens/s and greedy continuations.

The models train epoch by epoch in turn (A B A B ...), each on its own loader
with the same seed (so the same batches), so load from other processes on the
machine slows all of them alike and the tokens/s ratios are comparable.

    python bench/d2l_reproduction.py                       # scratch and concise, 500 epochs
    python bench/d2l_reproduction.py --models scratch,scratch-fast --epochs 100
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.models import MODEL_KINDS, make_model, resolve_device  # noqa: E402
from gru_core.training import SAMPLE_PREFIXES, TrainConfig, Trainer, predict, train_epoch  # noqa: E402


def model_list(text: str) -> list[str]:
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in MODEL_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"models must be from {', '.join(MODEL_KINDS)} (got {text!r})")
    return kinds


def parse_args(argv=None):
    d = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=model_list, default=["scratch", "concise"],
                        help="comma-separated model kinds, trained in turn each epoch")
    parser.add_argument("--epochs", type=int, default=d.num_epochs)
    parser.add_argument("--hiddens", type=int, default=d.num_hiddens)
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--num-steps", type=int, default=d.num_steps)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--log-every", type=int, default=50, help="print perplexities every N epochs")
    parser.add_argument("--json-out", metavar="FILE", help="also write the results as JSON")
    return parser.parse_args(argv)


class Run:
    """One model's training state and its running totals."""

    def __init__(self, kind: str, config: TrainConfig, corpus, device):
        self.kind = kind
        self.model = make_model(kind, len(corpus.vocab), config.num_hiddens, device, config.seed)
        self.trainer = Trainer(self.model, config.lr, config.clip_theta, config.use_random_iter)
        self.loader = corpus.loader(config.batch_size, config.num_steps, config.use_random_iter,
                                    config.seed)
        self.perplexity, self.tokens, self.train_seconds, self.wall_seconds = None, 0, 0.0, 0.0

    def train_one_epoch(self) -> None:
        started = time.perf_counter()
        stats = train_epoch(self.trainer, self.loader)
        self.wall_seconds += time.perf_counter() - started
        self.perplexity = stats.perplexity
        self.tokens += stats.num_tokens
        self.train_seconds += stats.seconds

    @property
    def tokens_per_second(self) -> float:
        """d2l's measure: training tokens over training time (sampling excluded)."""
        return self.tokens / max(self.train_seconds, 1e-9)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = TrainConfig(num_hiddens=args.hiddens, batch_size=args.batch_size,
                         num_steps=args.num_steps, lr=args.lr, num_epochs=args.epochs,
                         device=args.device, seed=args.seed).validate()
    device = resolve_device(config.device)
    corpus = load_corpus_time_machine(config.max_tokens)
    runs = [Run(kind, config, corpus, device) for kind in args.models]
    print(f"{corpus.name}: {len(corpus.indices):,} tokens, vocabulary {len(corpus.vocab)}; "
          f"{config.num_hiddens} hiddens, batch {config.batch_size}, {config.num_steps} steps, "
          f"lr {config.lr:g}, {config.num_epochs} epochs, seed {config.seed}; device {device}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    started = time.perf_counter()
    for epoch in range(1, config.num_epochs + 1):
        for run in runs:  # interleaved: A B A B ...
            run.train_one_epoch()
        if epoch % args.log_every == 0 or epoch in (1, config.num_epochs):
            print(f"epoch {epoch:4d}  " + "  ".join(f"{run.kind} {run.perplexity:7.3f}" for run in runs),
                  flush=True)
    total_wall = time.perf_counter() - started

    baseline = runs[0].tokens_per_second
    print(f"\n| model | perplexity | tokens/s | x {runs[0].kind} | train s | wall s |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        print(f"| {run.kind} | {run.perplexity:.3f} | {run.tokens_per_second:,.0f} | "
              f"{run.tokens_per_second / baseline:.2f} | {run.train_seconds:.1f} | {run.wall_seconds:.1f} |")
    print(f"\ntotal wall time {total_wall:.1f} s\n")
    samples = {}
    for run in runs:
        samples[run.kind] = {prefix: predict(prefix, 50, run.model, corpus.vocab) for prefix in SAMPLE_PREFIXES}
        for text in samples[run.kind].values():
            print(f"{run.kind:>10}: {text}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "config": config.to_dict(), "device": str(device), "threads": torch.get_num_threads(),
            "total_wall_seconds": total_wall,
            "models": {run.kind: {"perplexity": run.perplexity, "tokens_per_second": run.tokens_per_second,
                                  "train_seconds": run.train_seconds, "wall_seconds": run.wall_seconds,
                                  "samples": samples[run.kind]} for run in runs},
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
