"""Training throughput of four GRU implementations on d2l's Time Machine config.

(a) seed      the seed notebook's code as written (d2l's ``gru``, ``get_params``,
              ``RNNModelScratch``, ``grad_clipping``, ``sgd``, ``train_epoch_ch8``),
              transcribed below as the baseline
(b) readable  gru_core's ``ScratchGRU`` (the model the app explains)
(c) fast      gru_core's ``FastScratchGRU``
(d) concise   gru_core's ``ConciseGRU`` (``nn.GRU``)

Each repeat trains every variant for one epoch in turn (a b c d a b c d ...), so
load from other processes slows all of them alike; the medians and ratios come
from one run. Every epoch is timed from outside, data iteration included.

    python bench/throughput.py                      # hiddens 128, 256, 512
    python bench/throughput.py --threads 1 2        # the whole table per thread count
    python bench/throughput.py --time-to-ppl        # also: seconds to perplexity <= 1.5
    python bench/throughput.py --profile            # where the fast engine spends its time
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core import engine  # noqa: E402
from gru_core.data import load_corpus_time_machine  # noqa: E402
from gru_core.models import ScratchGRU, kernels, make_model  # noqa: E402
from gru_core.training import Trainer  # noqa: E402

VARIANTS = ("seed", "readable", "fast", "concise")
BATCH_SIZE, NUM_STEPS, LR, CLIP_THETA = 32, 35, 1.0, 1.0


# ---------------------------------------------------------------- (a) the seed, as written

def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    def three():
        return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                torch.zeros(num_hiddens, device=device))

    W_xz, W_hz, b_z = three()  # update gate parameters
    W_xr, W_hr, b_r = three()  # reset gate parameters
    W_xh, W_hh, b_h = three()  # candidate hidden state parameters
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_gru_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    """d2l's RNN model implemented from scratch."""

    def __init__(self, vocab_size, num_hiddens, device, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, device):
        return self.init_state(batch_size, self.num_hiddens, device)


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter):
    """d2l's epoch; returns (perplexity, tokens). (d2l's Timer is replaced by
    the harness's outside timer, the same for every variant.)"""
    state = None
    loss_sum, num_tokens = 0.0, 0
    for X, Y in train_iter:
        if state is None or use_random_iter:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            for s in state:
                s.detach_()
        y = Y.T.reshape(-1)
        X, y = X.to(device), y.to(device)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        l.backward()
        grad_clipping(net, 1)
        updater(batch_size=1)
        loss_sum += float(l * y.numel())
        num_tokens += y.numel()
    return math.exp(loss_sum / num_tokens), num_tokens


# ---------------------------------------------------------------- variants

class SeedRun:
    """(a): the notebook's objects, one epoch per call."""

    def __init__(self, corpus, num_hiddens, seed):
        torch.manual_seed(seed)
        self.net = RNNModelScratch(len(corpus.vocab), num_hiddens, "cpu", get_params,
                                   init_gru_state, gru)
        self.loader = corpus.loader(BATCH_SIZE, NUM_STEPS, seed=seed)
        self.loss = nn.CrossEntropyLoss()

    def copy_weights_from(self, model: ScratchGRU) -> None:
        with torch.no_grad():
            for mine, theirs in zip(self.net.params, model.parameters()):
                mine.copy_(theirs)

    def epoch(self):
        def updater(batch_size):
            sgd(self.net.params, LR, batch_size)
        return train_epoch_ch8(self.net, self.loader, self.loss, updater, "cpu", False)


class LibraryRun:
    """(b), (c), (d): gru_core's Trainer, as the app and the CLI train."""

    KINDS = {"readable": "scratch", "fast": "scratch-fast", "concise": "concise"}

    def __init__(self, corpus, num_hiddens, seed, variant):
        self.model = make_model(self.KINDS[variant], len(corpus.vocab), num_hiddens, "cpu", seed)
        self.trainer = Trainer(self.model, LR, CLIP_THETA)
        self.loader = corpus.loader(BATCH_SIZE, NUM_STEPS, seed=seed)

    def epoch(self):
        self.trainer.begin_epoch()
        for X, Y in self.loader:
            self.trainer.train_batch(X, Y)
        stats = self.trainer.end_epoch()
        return stats.perplexity, stats.num_tokens


def make_run(variant, corpus, num_hiddens, seed=0):
    if variant == "seed":
        return SeedRun(corpus, num_hiddens, seed)
    return LibraryRun(corpus, num_hiddens, seed, variant)


def timed_epoch(run):
    """-> (perplexity, tokens, wall seconds, CPU seconds of this process)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    perplexity, tokens = run.epoch()
    return perplexity, tokens, time.perf_counter() - start, time.process_time() - start_cpu


def gru_gflop_per_token(num_hiddens, vocab_size):
    """Matmul work of one training token, the same for every variant (multiply-
    adds x 2): the gate and candidate matmuls over [H | one_hot] forward
    (3 (n+V) n), their gradients into H backward (3 n^2), their weight
    gradients (3 (n+V) n), and the output layer forward and backward (3 n V)."""
    n, v = num_hiddens, vocab_size
    return 2 * (6 * (n + v) * n + 3 * n * n + 3 * n * v) / 1e9


# ---------------------------------------------------------------- measurements

def measure_throughput(corpus, hiddens, repeats, variants):
    """Interleaved repeats -> {"wall" | "cpu": {num_hiddens: {variant: [tokens/s, ...]}}}:
    tokens per wall second, and per CPU second of this process (the work
    itself, less sensitive to how much of the CPU other processes take)."""
    results = {"wall": {}, "cpu": {}}
    for num_hiddens in hiddens:
        runs = {variant: make_run(variant, corpus, num_hiddens) for variant in variants}
        for run in runs.values():  # warm-up: allocator, oneDNN kernels, caches
            run.epoch()
        wall, cpu = ({variant: [] for variant in variants} for _ in range(2))
        for _ in range(repeats):
            for variant, run in runs.items():
                _, tokens, seconds, cpu_seconds = timed_epoch(run)
                wall[variant].append(tokens / seconds)
                cpu[variant].append(tokens / cpu_seconds)
        results["wall"][num_hiddens], results["cpu"][num_hiddens] = wall, cpu
    return results


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
    """Two measures: ru_maxrss growth (the kernel's high-water mark; reads 0
    when the import of torch already peaked higher) and the peak of RSS sampled
    every millisecond by a watcher thread, minus RSS before the model existed."""
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


def time_to_perplexity(corpus, target, max_epochs, num_hiddens=256, variants=("seed", "fast")):
    """Train (a) and (c) from the same initial weights, one epoch each in turn,
    until each reaches the target perplexity; training seconds and epochs."""
    runs = {variant: make_run(variant, corpus, num_hiddens) for variant in variants}
    runs["seed"].copy_weights_from(runs["fast"].model)
    reached = {}
    seconds = dict.fromkeys(variants, 0.0)
    for epoch in range(1, max_epochs + 1):
        for variant in variants:
            if variant in reached:
                continue
            perplexity, _, spent, _ = timed_epoch(runs[variant])
            seconds[variant] += spent
            if perplexity <= target:
                reached[variant] = {"epochs": epoch, "seconds": seconds[variant],
                                    "perplexity": perplexity}
        if len(reached) == len(variants):
            break
    return {variant: reached.get(variant, {"epochs": None, "seconds": seconds[variant]})
            for variant in variants}


def onednn_peak_gflops(num_hiddens, vocab_size):
    """What the CPU's matmul units give for this engine's shapes at the current
    thread count: the per-step gate matmul and the weight-gradient matmul."""
    step_input = torch.randn(BATCH_SIZE, num_hiddens + vocab_size)
    step_weight = torch.randn(2 * num_hiddens, num_hiddens + vocab_size)
    rows = torch.randn(BATCH_SIZE * NUM_STEPS, num_hiddens + vocab_size)
    grads = torch.randn(BATCH_SIZE * NUM_STEPS, 2 * num_hiddens)
    shapes = {"step (32 x %d x %d)" % (num_hiddens + vocab_size, 2 * num_hiddens):
              (lambda: kernels.linear(step_input, step_weight), 2 * step_input.numel() * 2 * num_hiddens),
              "weight grad (%d x 1120 x %d)" % (num_hiddens + vocab_size, 2 * num_hiddens):
              (lambda: kernels.summed_outer(rows, grads), 2 * rows.numel() * 2 * num_hiddens),
              "torch.mm step (MKL)":
              (lambda: step_input @ step_weight.T, 2 * step_input.numel() * 2 * num_hiddens)}
    peaks = {}
    for name, (call, flop) in shapes.items():
        timings = []
        for _ in range(7):
            start = time.perf_counter()
            for _ in range(20):
                call()
            timings.append((time.perf_counter() - start) / 20)
        peaks[name] = flop / min(timings) / 1e9
    return peaks


def profile_fast(corpus, num_hiddens):
    from torch.profiler import ProfilerActivity, profile
    run = make_run("fast", corpus, num_hiddens)
    run.epoch()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run.epoch()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


# ---------------------------------------------------------------- report

def machine_line():
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os
    return f"{model}, {os.cpu_count()} CPUs, torch {torch.__version__}, kernel path {kernels.active_path()}"


def print_table(results, title, vocab_size):
    print(f"\n## {title}  (median over the repeats; min-max in brackets)")
    header = "| hiddens | " + " | ".join(VARIANTS) + " | c/a | c/b | c/d | fast GFLOP/s |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for num_hiddens, samples in results.items():
        medians = {v: statistics.median(s) for v, s in samples.items()}
        cells = [f"{medians[v]:,.0f} ({min(samples[v]) / 1e3:.0f}k-{max(samples[v]) / 1e3:.0f}k)"
                 for v in VARIANTS]
        gflops = medians["fast"] * gru_gflop_per_token(num_hiddens, vocab_size)
        ratios = [medians["fast"] / medians[v] for v in ("seed", "readable", "concise")]
        print(f"| {num_hiddens} | " + " | ".join(cells) + " | "
              + " | ".join(f"{r:.2f}" for r in ratios) + f" | {gflops:.0f} |")


def print_memory(memory):
    if memory:
        print("\npeak resident-memory growth while building + training 2 epochs, MiB, fresh process "
              "per variant (sampled RSS peak every 1 ms / ru_maxrss delta):")
        for num_hiddens, per_variant in memory.items():
            print(f"  hiddens {num_hiddens}: " + ", ".join(
                f"{v} {m['sampled_peak_growth_mib']:.1f} / {m['maxrss_growth_mib']:.1f}"
                for v, m in per_variant.items()))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hiddens", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--repeats", type=int, default=7, help="epochs per variant, interleaved")
    parser.add_argument("--threads", type=int, nargs="+", default=[0],
                        help="torch intra-op threads; 0 = torch's default; several = one table each")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--time-to-ppl", action="store_true",
                        help="also time (a) and (c) to perplexity <= --target on the d2l config")
    parser.add_argument("--target", type=float, default=1.5)
    parser.add_argument("--max-epochs", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="torch.profiler table of (c)")
    parser.add_argument("--json-out", metavar="FILE")
    parser.add_argument("--memory-child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("repeats", "max_epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if any(h < 1 for h in args.hiddens) or any(t < 0 for t in args.threads):
        parser.error("--hiddens must be >= 1 and --threads >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    # the app's engine policy (malloc kept for reuse); every variant runs under it alike
    engine.keep_freed_memory_for_reuse()
    corpus = load_corpus_time_machine()
    vocab_size = len(corpus.vocab)
    default_threads = torch.get_num_threads()
    if args.memory_child:
        torch.set_num_threads(args.threads[0] or default_threads)
        return memory_child(corpus, args.memory_child, args.hiddens[0], args.epochs)
    print(f"# {machine_line()}\n# batch {BATCH_SIZE}, steps {NUM_STEPS}, lr {LR}, "
          f"{len(corpus.indices)} tokens, vocab {vocab_size}; {time.strftime('%Y-%m-%d %H:%M')}")
    report = {"machine": machine_line(), "tables": {}}
    for threads in args.threads:
        torch.set_num_threads(threads or default_threads)
        threads = torch.get_num_threads()
        results = measure_throughput(corpus, args.hiddens, args.repeats, VARIANTS)
        memory = {} if args.no_memory else {
            h: {v: memory_of(v, h) for v in VARIANTS} for h in args.hiddens}
        print_table(results["wall"], f"tokens per wall second, torch threads = {threads}", vocab_size)
        print_table(results["cpu"], f"tokens per CPU second of the process, torch threads = {threads}"
                    + (" (includes OpenMP spin-waiting)" if threads > 1 else ""), vocab_size)
        print_memory(memory)
        peaks = onednn_peak_gflops(256, vocab_size)
        print("matmul GFLOP/s measured now for the fast engine's shapes (hiddens 256): "
              + ", ".join(f"{name} {value:.0f}" for name, value in peaks.items()))
        report["tables"][threads] = {"tokens_per_second": results, "memory_mib": memory,
                                     "peak_gflops": peaks}
    if args.profile:
        profile_fast(corpus, 256)
    if args.time_to_ppl:
        reached = time_to_perplexity(corpus, args.target, args.max_epochs)
        print(f"\ntime to perplexity <= {args.target} (hiddens 256, threads "
              f"{torch.get_num_threads()}, same initial weights, epochs interleaved):")
        for variant, record in reached.items():
            print(f"  {variant}: {record}")
        if all(r["epochs"] for r in reached.values()):
            print(f"  seed / fast seconds: {reached['seed']['seconds'] / reached['fast']['seconds']:.2f}")
        report["time_to_ppl"] = reached
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
