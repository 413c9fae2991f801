"""Server-side render time of each app page and Explore view, as Streamlit runs
them: ``AppTest`` executes app.py (sidebar included) and the page, builds
every element and serialises every figure, for a 200-character probe at 256
hidden units (the app's fresh model, or the pretrained asset when present).

Three timings per page, interleaved (A B C ... A B C) over ``--repeats`` rounds:

- ``new probe``: a probe the app has not seen (a different 200-character
  window of the book each round), so every probe-dependent number is computed
  afresh; caches that do not depend on the probe (the corpus, the model, a
  saturation over the corpus) stay warm, as they do for a user who edits the
  probe.
- ``new model``: every ``st.cache_resource`` cleared, then the corpus reloaded
  by an untimed visit to the Train page: every number that depends on the
  model is computed afresh, as when a live run's weights move on.
- ``cold``: every cache cleared (corpus reload included): the first visit after
  the server started.

Targets: pages <= 300 ms (issue 4), Explore views <= 500 ms (issue 6).

    python bench/page_render.py --repeats 5 --out bench/results/pages.md
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAGES = {  # name -> (page script, extra query params, target ms)
    "Gates": ("app_pages/gates.py", {}, 300),
    "Step through the math": ("app_pages/step.py", {}, 300),
    "Compare (parity lab)": ("app_pages/compare.py", {}, 300),
    "Train (no run)": ("app_pages/train.py", {}, 300),
    "Explore: saturation": ("app_pages/explore.py", {"view": "Gate saturation"}, 500),
    "Explore: gates over training": ("app_pages/explore.py", {"view": "Gates over training"}, 500),
    "Explore: saliency": ("app_pages/explore.py", {"view": "Saliency"}, 500),
    "Explore: unit search": ("app_pages/explore.py", {"view": "Unit search"}, 500),
    "Explore: interventions": ("app_pages/explore.py", {"view": "Interventions"}, 500),
    "Explore: sample": ("app_pages/explore.py", {"view": "Sample"}, 500),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--probe-chars", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (the app shares its CPU with training threads)")
    parser.add_argument("--out", help="write a Markdown report here")
    return parser.parse_args(argv)


def book_windows(num_chars: int, count: int) -> list[str]:
    from gru_core.data import load_corpus_time_machine
    text = load_corpus_time_machine().text
    step = (len(text) - num_chars) // max(count, 1)
    return [text[i * step: i * step + num_chars] for i in range(count)]


MODES = ("new probe", "new model", "cold")


def render_ms(page: str, query: dict, probe: str, mode: str) -> tuple[float, list[str]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(query | {"probe": probe})
    if mode != "new probe":
        st.cache_resource.clear()
    if mode != "cold":
        at.run()  # the Train page: loads the corpus
    at.switch_page(page)
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1000
    problems = [e.message for e in at.exception] + [e.value for e in at.error]
    return elapsed, problems


def machine() -> str:
    model = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                           text=True).stdout.split(":")[-1].strip()
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    probes = book_windows(args.probe_chars, len(MODES) * args.repeats + 1)
    timings = {name: {mode: [] for mode in MODES} for name in PAGES}
    failures = {}
    for name, (page, query, _) in PAGES.items():  # warm-up: imports, first compiles
        render_ms(page, query, probes[-1], "new probe")
    for round_index in range(args.repeats):
        for mode_index, mode in enumerate(MODES):
            probe = probes[len(MODES) * round_index + mode_index]
            for name, (page, query, _) in PAGES.items():
                elapsed, problems = render_ms(page, query, probe, mode)
                timings[name][mode].append(elapsed)
                if problems:
                    failures[name] = problems
        print(f"round {round_index + 1}/{args.repeats} done", file=sys.stderr)
    lines = ["| page / view | target ms | " + " | ".join(f"{mode}: median (worst) ms"
                                                       for mode in MODES) + " |",
             "| --- | ---: |" + " ---: |" * len(MODES)]
    for name, (_, _, target) in PAGES.items():
        cells = [f"{statistics.median(v):.0f} ({max(v):.0f})" for v in timings[name].values()]
        lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if failures:
        print("PAGES WITH ERRORS:", failures, file=sys.stderr)
    if args.out:
        from app_ui.checkpoints import PRETRAINED_PATH
        model = ("the pretrained asset (assets/pretrained_gru.pt)" if PRETRAINED_PATH.is_file()
                 else "the app's fresh model (256 hiddens)")
        report = (f"# Page render times (server side)\n\n"
                  f"Command: `python bench/page_render.py --repeats {args.repeats}"
                  f" --out {args.out}`  \nDate: {datetime.date.today()}  \n"
                  f"Machine: {machine()}, torch threads {args.threads}  \n"
                  f"Model: {model}; probe: {args.probe_chars} characters of the book.\n\n"
                  f"What is timed: one `AppTest.run()` of app.py with the page — the script, "
                  f"every element and every figure serialised as `st.plotly_chart` does; the "
                  f"browser's drawing is not included. See the script's docstring for "
                  f"the three modes.\n\n{table}\n\n"
                  f"Noise: the machine is shared with other work (load average "
                  f"{os.getloadavg()[0]:.1f} at the end of this run on {os.cpu_count()} CPUs), "
                  f"so absolute numbers are inflated and noisy; pages were interleaved so the "
                  f"noise hits all alike.\n")
        if failures:
            report += f"\nErrors seen: {failures}\n"
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
