"""What the live engine costs: the plain training loop (``training.fit``) against
a ``runs.Run`` with no readers and with N reader threads polling
``snapshot()`` + ``metrics(since=cursor)`` (as N browser viewers would), same
config, same process, interleaved A B C A B C so machine noise hits all alike.

Also, less noisy: the bookkeeping per batch, i.e. both loops with the model
step replaced by a stub, in microseconds per batch.

Two throughputs per run, both over whole runs and both sides sampling and
snapshotting equally often:
- wall: tokens per wall-clock second (counts the engine's bookkeeping and the
  readers' GIL and lock contention; noisy when other work shares the CPU);
- cpu: tokens per CPU-second of the whole process (every thread, readers
  included), which other processes on the machine barely disturb. It charges
  the readers' copying in full even where it overlaps training on another core,
  so it is the conservative figure.

    python bench/live_overhead.py --model scratch --epochs 10 --rounds 7
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.runs import Run  # noqa: E402
from gru_core.models import make_model  # noqa: E402
from gru_core.training import BatchStats, TrainConfig, Trainer, fit, train_epoch  # noqa: E402


def tokens_of(epoch_records) -> float:
    return sum(r["tokens_per_second"] * r["seconds"] for r in epoch_records)


class Clocks:
    """Wall and process-CPU time of one measured run."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def throughputs(self, tokens: float) -> dict:
        return {"wall": tokens / self.wall, "cpu": tokens / self.cpu}


def plain_loop(corpus, config, args) -> dict:
    with Clocks() as clocks:
        _, history, _ = fit(corpus, config, sample_every=args.sample_every,
                            snapshot_every=args.snapshot_every)
    return clocks.throughputs(tokens_of(history.epochs))


POLL_SECONDS: list[float] = []  # how long each reader poll took, over all runs


def poll_like_a_viewer(run: Run, interval: float, done: threading.Event) -> None:
    cursor = 0
    while not done.is_set():
        started = time.perf_counter()
        run.snapshot()
        cursor = run.metrics(since=cursor)["cursor"]
        POLL_SECONDS.append(time.perf_counter() - started)
        done.wait(interval)


def live_engine(corpus, config, args, num_readers: int) -> dict:
    # scratch_engine="scratch": plain 'scratch' stays the readable cell, as in fit()
    run = Run(config, corpus, scratch_engine="scratch", sample_every=args.sample_every,
              snapshot_every=args.snapshot_every)
    done, polls_before = threading.Event(), len(POLL_SECONDS)
    readers = [threading.Thread(target=poll_like_a_viewer, name=f"viewer-{i}",
                                args=(run, args.poll_interval, done))
               for i in range(num_readers)]
    with Clocks() as clocks:
        run.start()
        for reader in readers:
            reader.start()
        run.wait()
    done.set()
    for reader in readers:
        reader.join()
    if run.state.value != "finished":
        raise SystemExit(f"the run ended {run.state.value}: {run.message}")
    if num_readers and len(POLL_SECONDS) - polls_before < num_readers:
        raise SystemExit("the readers did not poll; lengthen the run")
    return clocks.throughputs(tokens_of(run.metrics()["epochs"]))


def bookkeeping_per_batch(corpus, config, epochs: int) -> dict:
    """Microseconds per batch spent outside the model step (loader, loop,
    engine controls and records): both loops with ``train_batch`` stubbed."""
    config = TrainConfig(**(config.to_dict() | {"num_epochs": epochs}))
    stats = BatchStats(loss=1.0, grad_norm=0.5, clipped=False,
                       num_tokens=config.batch_size * config.num_steps, seconds=0.0)
    timings = {}
    with mock.patch.object(Trainer, "train_batch", lambda self, X, Y: stats):
        model = make_model("scratch", len(corpus.vocab), config.num_hiddens, "cpu", config.seed)
        trainer = Trainer(model, config.lr, config.clip_theta)
        loader = corpus.loader(config.batch_size, config.num_steps, False, config.seed)
        batches = []
        started = time.perf_counter()
        for _ in range(epochs):
            train_epoch(trainer, loader, on_batch=batches.append)
        timings["plain loop"] = (time.perf_counter() - started) / len(batches)
        run = Run(config, corpus, scratch_engine="scratch", sample_every=0, snapshot_every=0)
        started = time.perf_counter()
        run.start()
        run.wait()
        timings["engine"] = (time.perf_counter() - started) / run.batch
    return {name: seconds * 1e6 for name, seconds in timings.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="scratch",
                        choices=["scratch", "scratch-fast", "concise"])
    parser.add_argument("--hiddens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-steps", type=int, default=35)
    parser.add_argument("--epochs", type=int, default=10, help="epochs per measured run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds per reader poll")
    parser.add_argument("--sample-every", type=int, default=5)
    parser.add_argument("--snapshot-every", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bookkeeping-epochs", type=int, default=300,
                        help="epochs of the stubbed-step loops (0: skip)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    corpus = load_corpus_time_machine()
    config = TrainConfig(model=args.model, num_hiddens=args.hiddens, batch_size=args.batch_size,
                         num_steps=args.num_steps, num_epochs=args.epochs, device=args.device)
    variants = {"plain fit()": lambda: plain_loop(corpus, config, args),
                "engine, no readers": lambda: live_engine(corpus, config, args, 0),
                f"engine, {args.readers} readers": lambda: live_engine(corpus, config, args,
                                                                       args.readers)}
    print(f"{args.model}, {args.hiddens} hiddens, batch {args.batch_size} x {args.num_steps} "
          f"steps, {args.epochs} epochs a run, {args.rounds} rounds, torch threads "
          f"{args.threads}, {platform.processor() or platform.machine()}")
    variants[next(iter(variants))]()  # warm-up, not measured
    results = {name: [] for name in variants}
    for round_index in range(args.rounds):
        for name, measure in variants.items():  # interleaved: A B C A B C
            results[name].append(measure())
        print(f"round {round_index + 1}: " + ", ".join(
            f"{name} {values[-1]['wall']:,.0f} tok/s wall, {values[-1]['cpu']:,.0f} tok/cpu-s"
            for name, values in results.items()), flush=True)
    plain = results["plain fit()"]
    for clock in ("wall", "cpu"):
        print(f"{clock} clock:")
        for name, values in results.items():
            ratios = [v[clock] / p[clock] for v, p in zip(values, plain)]
            print(f"  {name:>20}: median {statistics.median(v[clock] for v in values):>9,.0f} "
                  f"tokens/s; vs plain: median {statistics.median(ratios):.3f}, per round "
                  f"{', '.join(f'{r:.3f}' for r in ratios)}")
    if POLL_SECONDS:
        median_poll = statistics.median(POLL_SECONDS)
        print(f"reader polls (snapshot + metrics): {len(POLL_SECONDS)}, median "
              f"{median_poll * 1e3:.2f} ms, max {max(POLL_SECONDS) * 1e3:.1f} ms; "
              f"{args.readers} readers every {args.poll_interval:g} s are busy "
              f"{args.readers * median_poll / args.poll_interval:.2%} of the time (a bound on "
              f"what they can take from training)")
    if args.bookkeeping_epochs:
        per_batch = bookkeeping_per_batch(corpus, config, args.bookkeeping_epochs)
        print("bookkeeping per batch (model step stubbed): " + ", ".join(
            f"{name} {micros:.1f} us" for name, micros in per_batch.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
