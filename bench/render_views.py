"""Server-side render time of each inspection view: the numbers (gru_core.interpret),
the Plotly figure (gru_core.figures) and its serialisation as ``st.plotly_chart``
does it (``plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)``
then ``plotly.io.to_json(..., validate=False)``).

Targets: heatmaps, step-through and parity <= 300 ms (issue 4); saturation,
saliency, unit search, interventions and gates-over-time <= 500 ms (issue 6),
at 256 hiddens for a 200-character probe. Views run interleaved (A B C ... A B C)
for ``--repeats`` rounds; the median and the worst round are reported.

    python bench/render_views.py                          # fresh d2l-initialised models
    python bench/render_views.py --checkpoint gru.pt      # a trained model and its snapshots
    python bench/render_views.py --out bench/results/views.md
"""
from __future__ import annotations

import argparse
import copy
import datetime
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio
import plotly.tools
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gru_core import figures, interpret  # noqa: E402
from gru_core.data import CorpusError, load_corpus_time_machine, load_generated_corpus  # noqa: E402
from gru_core.models import make_model  # noqa: E402
from gru_core.training import half_state_dict  # noqa: E402

PROBE = ("the time traveller for so it will be convenient to speak of him was expounding a "
         "recondite matter to us his grey eyes shone and twinkled and his usually pale face "
         "was flushed and animated the fire burned brightly and the soft radiance of the")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hiddens", type=int, default=256)
    parser.add_argument("--probe-chars", type=int, default=200)
    parser.add_argument("--corpus-chars", type=int, default=5000,
                        help="stretch for saturation and unit-search matches")
    parser.add_argument("--heldout-chars", type=int, default=2000,
                        help="held-out text for intervention perplexities")
    parser.add_argument("--snapshots", type=int, default=51, help="snapshots for gates over time")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: the app shares the CPU with a training thread)")
    parser.add_argument("--checkpoint", help="use this checkpoint's model and snapshots")
    parser.add_argument("--out", help="write a Markdown report here")
    return parser.parse_args(argv)


def serialise(figure) -> str:
    """What st.plotly_chart does with a figure before it reaches the browser."""
    return pio.to_json(plotly.tools.return_figure_from_figure_or_data(figure, True), validate=False)


def load_text(total: int):
    try:
        return load_corpus_time_machine(max_tokens=total)
    except CorpusError as exc:
        print(f"Time Machine unavailable ({exc}); using the generated corpus")
        return load_generated_corpus(max_tokens=total)


def setup(args):
    corpus = load_text(10_000 + args.heldout_chars)
    vocab = corpus.vocab
    if args.checkpoint:
        from gru_core.checkpoint import load_checkpoint
        checkpoint = load_checkpoint(args.checkpoint, expect_vocab=vocab)
        scratch, snapshots = checkpoint.model, checkpoint.snapshots
    else:
        scratch = make_model("scratch", len(vocab), args.hiddens, seed=0)
        snapshots = [{"epoch": 10 * i, "state_dict": half_state_dict(scratch)}
                     for i in range(args.snapshots)]
    probe = interpret.encode_probe(PROBE[:args.probe_chars], vocab)
    return {"vocab": vocab, "scratch": scratch, "snapshots": snapshots, "probe": probe,
            "concise": make_model("concise", len(vocab), scratch.num_hiddens, seed=0),
            "corpus": np.array(corpus.indices[:args.corpus_chars]),
            "heldout": np.array(corpus.indices[10_000:10_000 + args.heldout_chars]),
            "histories": {name: [{"epoch": e, "perplexity": 1 + 27 / e, "tokens_per_second": 2e4}
                                 for e in range(1, 501)] for name in ("scratch", "nn.GRU")}}


# ---------------------------------------------------------------- the views, as a page renders them

def view_gates(s):
    trace = s["scratch"].trace(s["probe"].indices.tolist())
    order = interpret.order_units(trace.hidden, "cluster")
    return [serialise(figures.gate_panels(trace, s["probe"].chars, order,
                                          s["probe"].unknown_positions))]


def view_unit_text_and_top_k(s):
    trace = s["scratch"].trace(s["probe"].indices.tolist())
    top = interpret.top_k(trace, s["vocab"], 5)
    return [figures.colored_text_html(s["probe"].chars, trace.hidden[:, 7], "hidden"),
            serialise(figures.top_k_strip(s["probe"].chars, top))]


def view_step(s):
    trace = s["scratch"].trace(s["probe"].indices.tolist())
    details = interpret.step_details(s["scratch"], trace, s["probe"].indices, s["vocab"], 120, 7)
    return [serialise(figures.gate_diagram(details))]


def view_parity(s):
    report = interpret.parity_lab(s["concise"], s["probe"].indices)
    return [serialise(figures.parity_figure(report))]


def view_curves(s):
    return [serialise(figures.epoch_curves(s["histories"], metric))
            for metric in ("perplexity", "tokens_per_second")]


def view_saturation(s):
    saturation = interpret.gate_saturation(s["scratch"], s["corpus"])
    return [serialise(figures.saturation_scatter(saturation))]


def view_saliency(s):
    probe = s["probe"]
    result = interpret.saliency(s["scratch"], probe.indices, 150)
    reach = interpret.memory_reach(s["scratch"], probe.indices)
    target = s["vocab"].idx_to_token[result.target]
    return [serialise(figures.saliency_bars(probe.chars, result, target)),
            figures.colored_text_html(probe.chars[:151], result.weights, "saliency", highlight=150),
            serialise(figures.memory_reach_figure({"scratch": reach}))]


def view_unit_search(s):
    trace = s["scratch"].trace(s["probe"].indices.tolist())
    hits = interpret.find_units(trace.hidden, 40, 60, threshold=0.0, margin=5)
    units = [hit.unit for hit in hits[:3]] or [0]
    matches = interpret.match_in_corpus(s["scratch"], s["corpus"], s["vocab"], units, 0.0,
                                        span_length=20)
    return [serialise(figures.quantity_heatmap(trace, s["probe"].chars, "hidden", units)),
            json.dumps([m.__dict__ for m in matches])]


def view_interventions(s):
    clamp = interpret.make_clamp(s["scratch"].num_hiddens, "update_gate", 1.0, range(0, 64))
    result = interpret.intervene(s["scratch"], s["probe"].indices, s["vocab"], clamp, s["heldout"])
    chars = s["probe"].chars
    sides = {"unclamped": result.baseline, "clamped": result.clamped}
    log_probs = {name: side.next_log_probs for name, side in sides.items()}
    return ([serialise(figures.quantity_heatmap(side.trace, chars, "hidden"))
             for side in sides.values()]
            + [serialise(figures.top_k_strip(chars, side.top_k)) for side in sides.values()]
            + [serialise(figures.log_prob_comparison(chars, log_probs))])


def view_over_time_one_epoch(s):
    snapshot = s["snapshots"][len(s["snapshots"]) // 2]
    trace = interpret.snapshot_traces([snapshot], s["probe"].indices)[0].trace
    return [serialise(figures.gate_panels(trace, s["probe"].chars)),
            serialise(figures.saturation_scatter(interpret.saturation_from_trace(trace)))]


def precompute_over_time(s):
    return interpret.snapshot_traces(s["snapshots"], s["probe"].indices)


VIEWS = {  # name -> (function, target ms or None)
    "gates: Z/R/H~/H heatmaps, clustered order": (view_gates, 300),
    "gates: one unit's coloured text + top-5 strip": (view_unit_text_and_top_k, 300),
    "step through the math: details + gate diagram": (view_step, 300),
    "compare: parity lab + per-step plot": (view_parity, 300),
    "compare: perplexity + tokens/s curves (2 x 500 epochs)": (view_curves, 300),
    "gate saturation (corpus stretch) + scatter": (view_saturation, 500),
    "saliency at one position + memory reach": (view_saliency, 500),
    "unit search: find units + corpus matches": (view_unit_search, 500),
    "interventions: clamped vs unclamped": (view_interventions, 500),
    "gates over time: one snapshot's panels + saturation": (view_over_time_one_epoch, 500),
    "gates over time: trace every snapshot (once per probe)": (precompute_over_time, None),
}


# ---------------------------------------------------------------- figure payloads: dict vs Figure

def with_lists(spec):
    """The same spec with every numpy array as a (nested) Python list."""
    if isinstance(spec, dict):
        return {key: with_lists(value) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [with_lists(value) for value in spec]
    return spec.tolist() if isinstance(spec, np.ndarray) else spec


def payload_variants(s):
    """The same 4-panel figure handed to st.plotly_chart three ways."""
    trace = s["scratch"].trace(s["probe"].indices.tolist())
    figure = figures.gate_panels(trace, s["probe"].chars)
    # the figure's own spec with the numpy arrays in it (to_plotly_json would
    # already base64-encode them)
    as_dict = {"data": copy.deepcopy(figure._data), "layout": copy.deepcopy(figure._layout)}
    as_lists = with_lists(as_dict)
    return {"go.Figure with numpy arrays": lambda: serialise(figure),
            "plain dict with numpy arrays": lambda: serialise(as_dict),
            "plain dict with Python lists": lambda: serialise(as_lists)}


def time_interleaved(functions: dict, repeats: int) -> dict[str, list[float]]:
    for function in functions.values():  # warm-up: imports, caches
        function()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def machine() -> str:
    try:
        model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in model.splitlines()
                     if line.startswith("Model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{model}, nproc {cores}"


def report(args, view_times, payload_times) -> str:
    lines = ["# Inspection views: server-side render time", "",
             f"Date: {datetime.date.today()}. Machine: {machine()}; torch {torch.__version__}, "
             f"{torch.get_num_threads()} torch thread(s). Other helpers were loading the same "
             f"2 cores, so absolute numbers are noisy; the views ran interleaved so noise hits "
             f"all alike.", "",
             "Command: `python bench/render_views.py " + " ".join(sys.argv[1:]) + "`", "",
             f"Setting: {args.hiddens} hiddens, {args.probe_chars}-character probe, "
             f"{args.corpus_chars}-character corpus stretch (saturation, unit-search matches), "
             f"{args.heldout_chars}-character held-out text (interventions), "
             f"{args.snapshots} snapshots, {args.repeats} rounds. Each view = numbers + figure "
             f"building + serialisation as st.plotly_chart does it.", "",
             "| view | median ms | worst ms | target ms | |", "|---|---:|---:|---:|---|"]
    for name, values in view_times.items():
        target = VIEWS[name][1]
        median = statistics.median(values)
        verdict = "" if target is None else ("ok" if median <= target else "OVER")
        lines.append(f"| {name} | {median:.0f} | {max(values):.0f} | "
                     f"{target or '-'} | {verdict} |")
    lines += ["", "Handing the same 4-panel heatmap figure (4 x 256 x 200 values) to "
              "st.plotly_chart:", "", "| payload | median ms |", "|---|---:|"]
    lines += [f"| {name} | {statistics.median(values):.1f} |"
              for name, values in payload_times.items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    state = setup(args)
    view_times = time_interleaved({name: (lambda f=f: f(state)) for name, (f, _) in VIEWS.items()},
                                  args.repeats)
    payload_times = time_interleaved(payload_variants(state), args.repeats)
    text = report(args, view_times, payload_times)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
