"""Training throughput of the GRU implementations on d2l's Time Machine config.

    seed        the seed notebook's code as written (``bench/seed_code.py``), the baseline
    readable    gru_core's ``ScratchGRU`` (the model the app explains)
    fast        gru_core's ``FastScratchGRU``, kernel paths measured per product (the default)
    fast[P]     the same with path P forced for every product (torch, torch-nn, onednn)
    fast/2 slices  the batch rows split across two threads of one torch thread each
    fast/2 threads torch's intra-op threads = 2 instead (one slice)
    concise     gru_core's ``ConciseGRU`` (``nn.GRU``)

Each repeat trains every variant for one epoch in turn, so load from other
processes slows all of them alike; the medians and ratios come from one run.
Every epoch is timed from outside, data iteration included. Every variant runs
under the engine's policy (malloc kept for reuse, denormals flushed). The
recurrent-matmul floor (``bench/matmul_floor.py``) is measured in the same run.

    python bench/throughput.py --hiddens 256 --threads 1       # the issue's table
    python bench/throughput.py --time-to-ppl                   # also: seconds to perplexity <= 1.5
    python bench/throughput.py --profile                       # where the fast engine spends its time
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import warnings

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matmul_floor import floor_ms, floor_parts, print_floor  # noqa: E402
from seed_code import BATCH_SIZE, LR, NUM_STEPS, SeedRun  # noqa: E402

from gru_core import engine  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.models import kernel_choice, kernels, make_model  # noqa: E402
from gru_core.training import Trainer  # noqa: E402

CLIP_THETA = 1.0
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")  # the seed, as written
# name -> (model kind, forced kernel path, batch slices, torch threads or None = the table's)
VARIANTS = {
    "seed": ("seed", None, 1, None), "readable": ("scratch", None, 1, None),
    "fast": ("scratch-fast", kernels.AUTO, 1, None),
    **{f"fast[{path}]": ("scratch-fast", path, 1, None) for path in kernels.available_paths()},
    "fast/2 slices": ("scratch-fast", kernels.AUTO, 2, 1),
    "fast/2 threads": ("scratch-fast", kernels.AUTO, 1, 2),
    "concise": ("concise", None, 1, None)}
BASELINES = ("readable", "concise", "seed")


class LibraryRun:
    """gru_core's Trainer, as the app and the CLI train."""

    def __init__(self, corpus, num_hiddens, seed, kind, path, slices, threads):
        self.model = make_model(kind, len(corpus.vocab), num_hiddens, "cpu", seed)
        if slices > 1:
            self.model.batch_workers = slices
        self.path, self.threads = path, threads
        self.trainer = Trainer(self.model, LR, CLIP_THETA)
        self.loader = corpus.loader(BATCH_SIZE, NUM_STEPS, seed=seed)

    def epoch(self):
        threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with kernels.forced_path(self.path or kernels.AUTO):
                self.trainer.begin_epoch()
                for X, Y in self.loader:
                    self.trainer.train_batch(X, Y)
                stats = self.trainer.end_epoch(1)
        finally:
            torch.set_num_threads(threads)
        return stats.perplexity, stats.num_tokens


def make_run(variant, corpus, num_hiddens, seed=0):
    kind, path, slices, threads = VARIANTS[variant]
    if kind == "seed":
        return SeedRun(corpus, num_hiddens, seed)
    return LibraryRun(corpus, num_hiddens, seed, kind, path, slices, threads)


def timed_epoch(run):
    """-> (perplexity, tokens, wall seconds, CPU seconds of this process)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    perplexity, tokens = run.epoch()
    return perplexity, tokens, time.perf_counter() - start, time.process_time() - start_cpu


# ---------------------------------------------------------------- measurements

def measure_throughput(corpus, num_hiddens, repeats, variants):
    """Interleaved repeats -> ({variant: [tokens per wall s]}, {variant: [per CPU s]})."""
    runs = {variant: make_run(variant, corpus, num_hiddens) for variant in variants}
    for run in runs.values():  # warm-up: allocator, kernel choice, oneDNN kernels, caches
        run.epoch()
    wall, cpu = ({variant: [] for variant in variants} for _ in range(2))
    for _ in range(repeats):
        for variant, run in runs.items():
            _, tokens, seconds, cpu_seconds = timed_epoch(run)
            wall[variant].append(tokens / seconds)
            cpu[variant].append(tokens / cpu_seconds)
    return wall, cpu


def memory_of(variant, num_hiddens, epochs=2):
    """Peak resident-memory growth while building and training one variant, in
    a fresh process (so no other variant's allocations hide it): MiB."""
    command = [sys.executable, __file__, "--memory-child", variant, "--hiddens", str(num_hiddens),
               "--threads", str(torch.get_num_threads()), "--epochs", str(epochs)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def memory_child(corpus, variant, num_hiddens, epochs):
    """The peak of RSS sampled every millisecond by a watcher thread, minus RSS
    before the model existed, and the ru_maxrss growth."""
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = resident_mib()
    peak, done = [before], threading.Event()

    def watch():
        while not done.wait(0.001):
            peak[0] = max(peak[0], resident_mib())
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run = make_run(variant, corpus, num_hiddens)
    for _ in range(epochs):
        run.epoch()
    done.set()
    watcher.join()
    peak[0] = max(peak[0], resident_mib())
    after_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"sampled_peak_growth_mib": peak[0] - before,
                      "maxrss_growth_mib": (after_max - before_max) / 1024}))  # Linux: KiB


def time_to_perplexity(corpus, target, max_epochs, variants, num_hiddens=256):
    """Train the variants from the same initial weights, one epoch each in turn,
    until each reaches the target perplexity; training seconds and epochs."""
    runs = {variant: make_run(variant, corpus, num_hiddens) for variant in variants}
    source = next(run.model for run in runs.values() if isinstance(run, LibraryRun))
    for run in runs.values():
        if isinstance(run, SeedRun):
            run.copy_weights_from(source)
    reached, seconds = {}, dict.fromkeys(variants, 0.0)
    for epoch in range(1, max_epochs + 1):
        for variant in variants:
            if variant in reached:
                continue
            perplexity, _, spent, _ = timed_epoch(runs[variant])
            seconds[variant] += spent
            if perplexity <= target:
                reached[variant] = {"epochs": epoch, "seconds": round(seconds[variant], 1),
                                    "perplexity": round(perplexity, 3)}
        if len(reached) == len(variants):
            break
    return {variant: reached.get(variant, {"epochs": None, "seconds": seconds[variant]})
            for variant in variants}


def profile_fast(corpus, num_hiddens):
    from torch.profiler import ProfilerActivity, profile
    run = make_run("fast", corpus, num_hiddens)
    run.epoch()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run.epoch()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


# ---------------------------------------------------------------- report

def machine_lines() -> list[str]:
    model, flags = "unknown CPU", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "unknown CPU":
                model = line.split(":", 1)[1].strip()
            if line.startswith(("flags", "Features")) and not flags:
                wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "neon", "asimd")
                flags = " ".join(f for f in line.split(":", 1)[1].split() if f in wanted)
    except OSError:
        pass
    return [f"{model}, {os.cpu_count()} CPUs, flags: {flags or 'n/a'}",
            f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]


def print_table(wall, cpu, threads, batch_floor_ms, tokens_per_batch):
    """One row per variant: tokens/s (wall, CPU), ms per batch, ratios, % of floor."""
    medians = {v: statistics.median(s) for v, s in wall.items()}
    print(f"\n## torch threads = {threads}: tokens per wall second, median over the repeats "
          f"(min-max); ms per batch from the median; floor {batch_floor_ms:.2f} ms per batch")
    present = [b for b in BASELINES if b in medians]
    header = ("| variant | tokens/s | tokens per CPU-s | ms/batch | "
              + " | ".join(f"x {b}" for b in present) + " | % of floor |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for variant, samples in wall.items():
        ms = tokens_per_batch / medians[variant] * 1e3
        ratios = " | ".join(f"{medians[variant] / medians[b]:.2f}" for b in present)
        print(f"| {variant} | {medians[variant]:,.0f} ({min(samples) / 1e3:.0f}k-"
              f"{max(samples) / 1e3:.0f}k) | {statistics.median(cpu[variant]):,.0f} | {ms:.1f} | "
              f"{ratios} | {batch_floor_ms / ms:.0%} |")
    if "fast/2 slices" in medians and "fast" in medians:
        print(f"two cores for one run: fast/2 slices {medians['fast/2 slices'] / medians['fast']:.2f}x, "
              f"fast/2 threads {medians.get('fast/2 threads', 0) / medians['fast']:.2f}x "
              f"the one-core tokens/s")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hiddens", type=int, nargs="+", default=[256])
    parser.add_argument("--repeats", type=int, default=7, help="epochs per variant, interleaved")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="torch intra-op threads of the table; several = one table each")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--memory", action="store_true", help="also peak memory (subprocesses)")
    parser.add_argument("--time-to-ppl", action="store_true",
                        help="also time seed and fast to perplexity <= --target on the d2l config")
    parser.add_argument("--ppl-variants", nargs="+", choices=list(VARIANTS), default=["seed", "fast"])
    parser.add_argument("--target", type=float, default=1.5)
    parser.add_argument("--max-epochs", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="torch.profiler table of fast")
    parser.add_argument("--json-out", metavar="FILE")
    parser.add_argument("--memory-child", choices=list(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("repeats", "max_epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if any(h < 1 for h in args.hiddens) or any(t < 1 for t in args.threads):
        parser.error("--hiddens and --threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    engine.keep_freed_memory_for_reuse()   # the app's policy, every variant alike
    engine.flush_denormals(True)
    corpus = load_corpus_time_machine()
    vocab_size = len(corpus.vocab)
    if args.memory_child:
        torch.set_num_threads(args.threads[0])
        return memory_child(corpus, args.memory_child, args.hiddens[0], args.epochs)
    machine = machine_lines()
    print("\n".join(f"# {line}" for line in machine)
          + f"\n# batch {BATCH_SIZE}, steps {NUM_STEPS}, lr {LR}, {len(corpus.indices)} tokens, "
          f"vocab {vocab_size}; {time.strftime('%Y-%m-%d %H:%M')}")
    report = {"machine": machine, "tables": {}}
    tokens_per_batch = BATCH_SIZE * NUM_STEPS
    for threads in args.threads:
        torch.set_num_threads(threads)
        kernel_choice.forget_choices()
        for num_hiddens in args.hiddens:
            parts = floor_parts(num_hiddens, vocab_size, BATCH_SIZE, NUM_STEPS)
            wall, cpu = measure_throughput(corpus, num_hiddens, args.repeats, args.variants)
            parts_after = floor_parts(num_hiddens, vocab_size, BATCH_SIZE, NUM_STEPS)
            floor = min(floor_ms(parts), floor_ms(parts_after))   # the quieter of before/after
            print(f"\n# hiddens {num_hiddens}; load average now "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print_table(wall, cpu, threads, floor, tokens_per_batch)
            print_floor(parts if floor_ms(parts) <= floor_ms(parts_after) else parts_after)
            print("kernel choice (every shape class trained in this table):")
            print("\n".join(f"  {line}" for line in kernel_choice.kernel_report().lines()))
            memory = {v: memory_of(v, num_hiddens) for v in args.variants} if args.memory else {}
            if memory:
                print("peak RSS growth, MiB (sampled / ru_maxrss): " + ", ".join(
                    f"{v} {m['sampled_peak_growth_mib']:.1f} / {m['maxrss_growth_mib']:.1f}"
                    for v, m in memory.items()))
            report["tables"][f"{threads} threads, {num_hiddens} hiddens"] = {
                "tokens_per_wall_second": wall, "tokens_per_cpu_second": cpu,
                "floor_ms": floor, "memory_mib": memory,
                "kernels": kernel_choice.kernel_report().lines()}
    if args.profile:
        profile_fast(corpus, 256)
    if args.time_to_ppl:
        torch.set_num_threads(args.threads[0])
        reached = time_to_perplexity(corpus, args.target, args.max_epochs, args.ppl_variants)
        print(f"\ntime to perplexity <= {args.target} (hiddens 256, threads "
              f"{torch.get_num_threads()}, same initial weights, epochs interleaved):")
        for variant, record in reached.items():
            print(f"  {variant}: {record}")
        if all(r["epochs"] for r in reached.values()) and "seed" in reached:
            for variant in reached:
                if variant != "seed":
                    print(f"  seed / {variant} seconds: "
                          f"{reached['seed']['seconds'] / reached[variant]['seconds']:.2f}")
        report["time_to_ppl"] = reached
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
