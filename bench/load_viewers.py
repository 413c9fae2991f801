"""A lecture hall: one live run at d2l's config (256 hiddens, batch 32, 35
steps, lr 1, clip 1) watched by N viewers on the run's shared link.

The real app runs as a server (``streamlit run app.py`` with the repo's
.streamlit/config.toml). A presenter tab (the headless client of
tests/support/streamlit_client.py, which behaves like a browser tab: same
BackMsgs, same fragment timers) opens the Train page and presses *Start training*, so
the run lives in the server process exactly as in a lecture. Viewers open
the shared link ``/?run=<id>`` (Train is the default page); each is one such client, because in a lecture every
viewer's browser renders on its own laptop and the server only feels the
websocket. Optionally real Chromium pages join at the end to confirm what
people see (screenshots under screenshots/).

Phases alternate: baseline (presenter only), N viewers, baseline, ... so
drift in the machine's load hits both sides; each loaded phase is compared
with the mean of the baselines around it. Measured per phase:

- update gaps per viewer: seconds between completed runs of the Train page's
  live fragment (the one with the shortest run_every), including the wait
  from the last one to the end of the phase; target p95 <= 2 s for every viewer;
- training throughput: tokens trained per second, read by a probe inside the
  server (the run's batch counter x batch x steps over the probe's own clock),
  against the baselines; target >= 70 %;
- server CPU (from /proc), the load generator's own CPU, server RSS.

After the main phase the knee search tries larger rooms until a target breaks
(or, when the main room already breaks them, smaller rooms until both hold).

    python bench/load_viewers.py                      # 20 viewers 60 s, knee, 2 Chromium pages
    python bench/load_viewers.py --viewers 3 --seconds 10 --knee "" --knee-down "" --chromium 0
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.server import StreamlitServer  # noqa: E402
from tests.support.streamlit_client import BrowserTab, percentile, update_gaps  # noqa: E402

SHARED_TEXT = REPO.parent / "shared" / "data" / "timemachine.txt"
PROGRESS = re.compile(r"epoch (\d+)/(\d+) · batch (\d+)/(\d+)")


@dataclass
class PhaseResult:
    name: str
    viewers: int
    seconds: float
    join_p95: float            # seconds from opening the link to the first full render
    worst_p95_gap: float       # the worst viewer's p95 gap between updates
    median_p95_gap: float
    max_gap: float
    updates_per_viewer: float
    presenter_p95_gap: float
    preempted: float           # share of the viewers' runs cut short by a newer rerun request
    kb_per_viewer_s: float     # ForwardMsg bytes a viewer received per second (uncompressed)
    tokens_per_s: float
    server_cpu: float          # percent of one core
    client_cpu: float          # percent of one core (this process: all simulated tabs)
    rss_mb: float
    ratio: float = float("nan")   # tokens_per_s / mean of the neighbouring baselines


def machine_line() -> str:
    model = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                      if line.startswith("Model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model or platform.processor()}), {platform.platform()}"


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def run_batches(server: StreamlitServer, run_id: str) -> tuple[float, int, int]:
    """(probe time, batches trained, tokens per batch) of the run, read in the server."""
    report = server.probe()
    run = next(run for run in report["runs"] if run["id"] == run_id)
    return report["time"], run["batch"], run["tokens_per_batch"]


async def start_presenter(server: StreamlitServer, args) -> tuple[BrowserTab, str]:
    """The presenter's tab: Train page, d2l defaults, enough epochs to outlast the bench."""
    presenter = await BrowserTab(server.url, page=args.page, name="presenter").open(timeout=180)
    presenter.set_widget("number_input", "Epochs", int_value=args.epochs)
    await presenter.click("Start training")
    await presenter.wait_for_text(r"running · epoch", 120)
    run_id = dict(parse_qsl(presenter.query)).get("run")
    if not run_id:
        raise RuntimeError(f"the Train page did not put the run id in the URL: {presenter.query!r}")
    return presenter, run_id


async def phase(server: StreamlitServer, presenter: BrowserTab, run_id: str, name: str,
                viewers: int, seconds: float, page: str) -> PhaseResult:
    tabs = [BrowserTab(server.url, page=page, query=f"run={run_id}", name=f"viewer{i}")
            for i in range(viewers)]
    join_started = time.perf_counter()

    async def join(tab: BrowserTab) -> float:
        await tab.open(timeout=300)
        return time.perf_counter() - join_started

    join_times = await asyncio.gather(*(join(tab) for tab in tabs))
    cpu_start, client_start = server.cpu_seconds(), time.process_time()
    probe_start, batches_start, tokens_per_batch = run_batches(server, run_id)
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    end = time.perf_counter()
    probe_end, batches_end, _ = run_batches(server, run_id)
    cpu_end, client_end = server.cpu_seconds(), time.process_time()

    per_viewer = [update_gaps(tab.runs, tab.fastest_fragment(), start, end) for tab in tabs]
    in_window = [run for tab in tabs for run in tab.runs if start <= run.finished <= end]
    early = sum(run.status == "FINISHED_EARLY_FOR_RERUN" for run in in_window)
    p95s = [percentile(gaps, 95) for gaps in per_viewer]
    presenter_gaps = update_gaps(presenter.runs, presenter.fastest_fragment(), start, end)
    errors = [f"{tab.name}: {error}" for tab in tabs for error in tab.errors]
    await asyncio.gather(*(tab.close() for tab in tabs))
    if errors:
        print("viewer errors:", errors[:5], file=sys.stderr)
    return PhaseResult(
        name, viewers, end - start,
        join_p95=percentile(join_times, 95) if join_times else float("nan"),
        worst_p95_gap=max(p95s) if p95s else float("nan"),
        median_p95_gap=statistics.median(p95s) if p95s else float("nan"),
        max_gap=max((max(g) for g in per_viewer), default=float("nan")),
        updates_per_viewer=(statistics.mean(len(g) - 1 for g in per_viewer)
                            if per_viewer else float("nan")),
        presenter_p95_gap=percentile(presenter_gaps, 95),
        preempted=early / len(in_window) if in_window else float("nan"),
        kb_per_viewer_s=(sum(run.bytes for run in in_window) / 1000 / viewers / (end - start)
                         if viewers else float("nan")),
        tokens_per_s=(batches_end - batches_start) * tokens_per_batch / (probe_end - probe_start),
        server_cpu=100 * (cpu_end - cpu_start) / (end - start),
        client_cpu=100 * (client_end - client_start) / (end - start),
        rss_mb=server.rss_mb())


def compare_with_baselines(results: list[PhaseResult]) -> None:
    """Each loaded phase against the mean of the nearest baseline before and after it."""
    for index, result in enumerate(results):
        if result.viewers == 0:
            continue
        before = next((r for r in reversed(results[:index]) if r.viewers == 0), None)
        after = next((r for r in results[index + 1:] if r.viewers == 0), None)
        baselines = [r.tokens_per_s for r in (before, after) if r is not None]
        if baselines:
            result.ratio = result.tokens_per_s / statistics.mean(baselines)


def meets_targets(result: PhaseResult, args) -> bool:
    return result.worst_p95_gap <= args.gap_target and result.ratio >= args.throughput_target


async def chromium_pages(server: StreamlitServer, run_id: str, args, shots: Path) -> list[str]:
    """Real Chromium tabs on the shared link: what they show, how often it changes."""
    from playwright.async_api import async_playwright
    lines = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=args.chromium_path,
                                                   headless=True, args=CHROMIUM_ARGS)
        pages = []
        seconds = args.chromium_seconds
        for index in range(args.chromium):
            tab = await browser.new_page(viewport={"width": 1400, "height": 1000})
            pages.append(tab)
            try:
                await tab.goto(f"{server.url}/{args.page}?run={run_id}", timeout=90_000)
                await tab.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=90_000)
            except Exception as error:  # noqa: BLE001 - say what the person would have seen
                lines.append(f"Chromium page {index}: no chart within 90 s of opening the link "
                             f"({type(error).__name__}: {str(error).splitlines()[0]})")
        seen: list[list[tuple[float, str]]] = [[] for _ in pages]
        points_before = [await curve_points(tab) for tab in pages]
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for index, tab in enumerate(pages):
                match = PROGRESS.search(await tab.inner_text("body"))
                if match and (not seen[index] or seen[index][-1][1] != match.group(0)):
                    seen[index].append((time.perf_counter(), match.group(0)))
            await asyncio.sleep(0.2)
        shots.mkdir(exist_ok=True)
        for index, tab in enumerate(pages):
            changes = [b[0] - a[0] for a, b in zip(seen[index], seen[index][1:])]
            points_after = await curve_points(tab)
            path = shots / f"load_viewer_chromium{index}.png"
            await tab.screenshot(path=str(path), full_page=False)
            exceptions = await tab.locator('[data-testid="stException"]').count()
            lines.append(f"Chromium page {index}: progress text changed {len(changes)} times in "
                         f"{seconds:.0f} s (p95 gap {percentile(changes, 95):.2f} s, max "
                         f"{max(changes, default=float('nan')):.2f} s); perplexity curve "
                         f"{points_before[index]} -> {points_after} points; last shown "
                         f"'{seen[index][-1][1] if seen[index] else 'nothing'}'; "
                         f"{exceptions} exceptions on screen; screenshot {path.relative_to(REPO)}")
        await browser.close()
    return lines


async def curve_points(tab) -> int:
    """Points of the first trace of the first Plotly chart (the perplexity curve);
    numpy arrays arrive as typed arrays, which Plotly keeps decoded in _fullData."""
    return await tab.evaluate("""() => {
        const plot = document.querySelector('.js-plotly-plot');
        if (!plot || !plot._fullData || !plot._fullData.length) return 0;
        const y = plot._fullData[0].y;
        return y ? y.length : 0;
    }""")


async def bench(server: StreamlitServer, args) -> tuple[list[PhaseResult], list[str], str]:
    presenter, run_id = await start_presenter(server, args)
    await asyncio.sleep(args.warmup)
    results: list[PhaseResult] = []

    async def measure(name: str, viewers: int, seconds: float) -> PhaseResult:
        result = await phase(server, presenter, run_id, name, viewers, seconds, args.page)
        results.append(result)
        print(f"  {name}: {viewers} viewers, worst p95 gap {result.worst_p95_gap:.2f} s, "
              f"{result.tokens_per_s:,.0f} tokens/s, server CPU {result.server_cpu:.0f} %",
              flush=True)
        return result

    await measure("baseline", 0, args.baseline_seconds)
    main_result = await measure("main", args.viewers, args.seconds)
    await measure("baseline", 0, args.baseline_seconds)
    compare_with_baselines(results)
    holds = meets_targets(main_result, args)
    held, broke = (args.viewers, None) if holds else (None, args.viewers)
    # The knee: up from the main count while the targets hold, down while they break.
    if holds:
        counts = sorted(n for n in args.knee if n > args.viewers)
    else:
        counts = sorted((n for n in args.knee_down if n < args.viewers), reverse=True)
    for count in counts:
        loaded = await measure("knee", count, args.knee_seconds)
        await measure("baseline", 0, args.baseline_seconds)
        compare_with_baselines(results)
        if meets_targets(loaded, args):
            held = count
            if not holds:
                break  # going down: the first count that holds
        else:
            broke = count
            if holds:
                break  # going up: the first count that breaks
    browser_lines = []
    if args.chromium:  # what people see in the main room: N clients + real Chromium tabs
        tabs = [BrowserTab(server.url, page=args.page, query=f"run={run_id}", name=f"room{i}")
                for i in range(args.viewers)]
        await asyncio.gather(*(tab.open(timeout=300) for tab in tabs))
        try:
            browser_lines = await chromium_pages(server, run_id, args, REPO / "screenshots")
        except Exception as error:  # noqa: BLE001 - the table above is still worth printing
            browser_lines = [f"Chromium check failed: {type(error).__name__}: {error}"]
        await asyncio.gather(*(tab.close() for tab in tabs))
    try:
        await presenter.click("Stop")
    except LookupError as error:  # the server stops the run on exit anyway
        print(f"could not press Stop: {error}", file=sys.stderr)
    await presenter.close()
    targets = (f"targets: every viewer's p95 gap <= {args.gap_target:g} s and throughput >= "
               f"{args.throughput_target:.0%} of the presenter-only baseline")
    knee_line = (f"both targets held up to {held if held is not None else 'no tested count'} "
                 f"viewers; {f'broken at {broke}' if broke is not None else 'no break found'} "
                 f"among the counts tried ({targets})")
    return results, browser_lines, knee_line


def table(results: list[PhaseResult]) -> str:
    header = ("| phase | viewers | s | join p95 s | worst viewer p95 gap s | median viewer p95 s "
              "| max gap s | updates/viewer | runs preempted | kB/viewer/s | presenter p95 s "
              "| tokens/s | vs baseline | server CPU % | load-gen CPU % | server RSS MB |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    def cell(value: float, spec: str) -> str:
        return "" if value != value else format(value, spec)  # blank for nan
    for r in results:
        lines.append(
            f"| {r.name} | {r.viewers} | {r.seconds:.0f} | {cell(r.join_p95, '.2f')} | "
            f"{cell(r.worst_p95_gap, '.2f')} | {cell(r.median_p95_gap, '.2f')} | "
            f"{cell(r.max_gap, '.2f')} | {cell(r.updates_per_viewer, '.1f')} | "
            f"{cell(r.preempted, '.0%')} | {cell(r.kb_per_viewer_s, '.0f')} | "
            f"{cell(r.presenter_p95_gap, '.2f')} | {r.tokens_per_s:,.0f} | "
            f"{cell(r.ratio, '.0%')} | {r.server_cpu:.0f} | {r.client_cpu:.0f} | "
            f"{r.rss_mb:.0f} |")
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="length of the main phase")
    parser.add_argument("--baseline-seconds", type=float, default=25)
    parser.add_argument("--knee", type=lambda s: [int(x) for x in s.split(",") if x.strip()],
                        default=[30, 40, 60, 80],
                        help="larger counts to try when the main count holds, comma-separated")
    parser.add_argument("--knee-down", type=lambda s: [int(x) for x in s.split(",") if x.strip()],
                        default=[15, 10, 5, 2],
                        help="smaller counts to try when the main count breaks")
    parser.add_argument("--knee-seconds", type=float, default=30)
    parser.add_argument("--chromium", type=int, default=2, help="real Chromium pages at the end")
    parser.add_argument("--chromium-seconds", type=float, default=20)
    parser.add_argument("--chromium-path", default=CHROMIUM)
    parser.add_argument("--epochs", type=int, default=20000,
                        help="epochs of the run (d2l uses 500; more so it outlasts the bench)")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--page", default="", help="url path of the Train page (the default page)")
    parser.add_argument("--gap-target", type=float, default=2.0)
    parser.add_argument("--throughput-target", type=float, default=0.7)
    parser.add_argument("--app-dir", type=Path, default=REPO,
                        help="folder with app.py and .streamlit/ (default: this repo)")
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "load_viewers.log",
                        help="the server's log")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    data_dir = tempfile.mkdtemp(prefix="gru-data-")
    if SHARED_TEXT.is_file():  # offline: serve The Time Machine from the shared copy
        shutil.copy(SHARED_TEXT, Path(data_dir) / "timemachine.txt")
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = load_line()
    print(f"{started}; {machine_line()}; {load_before}", flush=True)
    with StreamlitServer("app.py", str(args.app_dir), log_path=str(args.log), probe=True,
                         env={"GRU_EXPLAINER_DATA": data_dir}) as server:
        rss_start = server.rss_mb()
        results, browser_lines, knee_line = asyncio.run(bench(server, args))
        rss_end = server.rss_mb()
    shutil.rmtree(data_dir, ignore_errors=True)
    load_after = load_line()
    report = "\n".join([
        f"Run {started}; machine: {machine_line()}",
        f"Before: {load_before}; after: {load_after} (other work shares these cores).",
        f"Command: python bench/load_viewers.py {' '.join(sys.argv[1:])}",
        "",
        table(results),
        "",
        f"Server RSS: {rss_start:.0f} MB at start (no session), {rss_end:.0f} MB at the end.",
        f"Knee: {knee_line}.",
        *browser_lines,
    ])
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n")


if __name__ == "__main__":
    main()
