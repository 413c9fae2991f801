"""A lecture hall: one lecture run at d2l's config (256 hiddens, batch 32, 35
steps, lr 1, clip 1) in a real ``streamlit run app.py`` server in lecture
mode, watched by hundreds of simulated viewers on this machine.

Each simulated viewer does what a browser tab does: it opens its Streamlit
session (the page load, the initial script run, the websocket kept open:
``tests/support/streamlit_client.BrowserTab``) *and* the live view's push
connection (``tests/support/push_client.PushViewer``, which applies frames by
the same rules as the browser component). The presenter is a tab holding the
presenter's cookie; it presses *Start training*. The server's probe
(``tests/support/server_probe``) reports the run's batch counter, so training
throughput is read inside the server.

Phases, in one run of this script:

1. baseline: the presenter alone (training tokens/s);
2. join storm: N viewers open within ``--join-seconds``; time from opening the
   page to the first live update;
3. steady: N viewers for ``--seconds``: each viewer's p95 gap between live
   updates, bytes per viewer per second, training against the baseline, the
   server's CPU beyond the baseline's;
4. reconnect storm: every push connection drops within 5 s and comes back by
   itself; nothing lost or repeated (checked by cursor against the server's
   own history), gaps in the 10 s after;
5. students exploring: ``--explorers`` viewers open the Gates page and submit a
   new probe every 10 s; training against the baseline;
6. real Chromium pages (one at 390x844) on the room with everyone connected:
   curves and heatmap update, no exception, screenshots;
7. baseline again, then the knee: larger rooms until a target breaks.

    python bench/load_viewers.py                                  # 300 viewers, knee 500,1000
    python bench/load_viewers.py --viewers 20 --seconds 15 --join-seconds 5 --knee "" --chromium 1
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app_server.lecture import KEY_ENV, PRESENTER_COOKIE, presenter_token  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.push_client import PushViewer  # noqa: E402
from tests.support.server import StreamlitServer  # noqa: E402
from tests.support.streamlit_client import BrowserTab, percentile  # noqa: E402

SHARED_TEXT = REPO.parent / "shared" / "data" / "timemachine.txt"
KEY = "bench-lecture-key"
PROBES = ["the time traveller smiled", "a gated recurrent unit keeps its state",
          "she read the book twice", "the machine was made of brass and ivory",
          "what time is it now", "we went to the door together"]


@dataclass
class Viewer:
    index: int
    tab: BrowserTab
    push: PushViewer
    opened_at: float = float("nan")
    errors: list[str] = field(default_factory=list)

    @property
    def first_update_s(self) -> float:
        if self.push.first_update_at is None:
            return float("inf")
        return self.push.first_update_at - self.opened_at


def machine_line() -> str:
    model, flags = "", ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("Flags"):
                flags = " ".join(f for f in line.split(":", 1)[1].split()
                                 if f.startswith(("avx", "fma", "sse4")))
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model or platform.processor()}; {flags}), {platform.platform()}"


def tokens_per_s(server: StreamlitServer, run_id: str, seconds: float) -> tuple[float, float]:
    """(training tokens/s over ``seconds``, server CPU % of one core meanwhile)."""
    def reading():
        report = server.probe()
        run = next(r for r in report["runs"] if r["id"] == run_id)
        return report["time"], run["batch"], run["tokens_per_batch"]
    cpu0, (t0, b0, per) = server.cpu_seconds(), reading()
    time.sleep(seconds)
    cpu1, (t1, b1, _) = server.cpu_seconds(), reading()
    return (b1 - b0) * per / (t1 - t0), 100 * (cpu1 - cpu0) / (t1 - t0)


async def async_tokens_per_s(server, run_id, seconds):
    return await asyncio.to_thread(tokens_per_s, server, run_id, seconds)


async def start_presenter(server: StreamlitServer, epochs: int) -> tuple[BrowserTab, str]:
    tab = BrowserTab(server.url, name="presenter",
                     cookies={PRESENTER_COOKIE: presenter_token(KEY)})
    await tab.open(timeout=180)
    tab.set_widget("number_input", "Epochs", int_value=epochs)
    await tab.click("Start training")
    await tab.wait_finished(120)
    for _ in range(100):
        runs = server.probe()["runs"]
        if runs and runs[0]["state"] == "running":
            return tab, runs[0]["id"]
        await asyncio.sleep(0.2)
    raise RuntimeError("the presenter's run did not start; see the server log")


async def open_viewer(server: StreamlitServer, viewer: Viewer, delay: float,
                      follow_until: float, drop_at: float | None) -> None:
    await asyncio.sleep(delay)
    viewer.opened_at = time.monotonic()
    try:
        await viewer.tab.open(timeout=300)
    except Exception as error:  # noqa: BLE001 - counted and reported, the room goes on
        viewer.errors.append(f"page: {type(error).__name__}: {error}")
    await viewer.push.follow(until=follow_until, drop_at=drop_at)


def gaps_in(viewer: Viewer, start: float, end: float) -> list[float]:
    """Seconds between updates in [start, end], the wait to ``end`` included."""
    times = [t for t in viewer.push.arrivals if start <= t <= end]
    if not times:
        return [end - start]
    return [b - a for a, b in zip([start] + times, times + [end])][1:] or [end - times[-1]]


def room_report(viewers: list[Viewer], start: float, end: float) -> dict:
    p95s = [percentile(gaps_in(v, start, end), 95) for v in viewers]
    return {"worst_p95_gap": max(p95s), "median_p95_gap": statistics.median(p95s),
            "errors": sum(len(v.errors) + len(v.push.errors) for v in viewers)}


@dataclass
class Exploring:
    """What the explorers' probes got: drawn (the page's figures came), told
    to wait for their turn, or lost; and how long a drawn one took."""
    sent: int = 0
    drawn: int = 0
    told_to_wait: int = 0
    seconds: list[float] = field(default_factory=list)

    def describe(self) -> str:
        p95 = f", p95 {percentile(self.seconds, 95):.1f} s to draw" if self.seconds else ""
        lost = self.sent - self.drawn - self.told_to_wait
        return (f"{self.drawn} drawn{p95}, {self.told_to_wait} told to try again"
                + (f", {lost} without an answer" if lost else ""))


async def explore(tabs: list[BrowserTab], until: float, every_s: float = 10.0) -> Exploring:
    """Each tab opens the Gates page, then submits a new probe every ``every_s``."""
    result = Exploring()

    async def one(tab: BrowserTab, offset: float):
        await tab.switch_page("gates")
        await tab.wait_finished(120)
        await asyncio.sleep(offset)
        turn = 0
        while time.monotonic() < until:
            tab.set_widget("text_input", "Probe text",
                           string_value=f"{PROBES[turn % len(PROBES)]} {tab.name} {turn}")
            started = time.monotonic()
            await tab.rerun()
            result.sent += 1
            turn += 1
            try:
                await tab.wait_finished(every_s)
            except asyncio.TimeoutError:
                continue
            if any("many viewers are looking" in text for text in tab.texts()):
                result.told_to_wait += 1
            elif "plotly_chart" in tab.kinds():
                result.drawn += 1
                result.seconds.append(time.monotonic() - started)
            await asyncio.sleep(max(0.0, every_s - (time.monotonic() - started)))
    await asyncio.gather(*(one(tab, random.uniform(0, every_s)) for tab in tabs),
                         return_exceptions=True)
    return result


async def chromium_check(url: str, shots: Path) -> list[str]:
    """Three real pages on the room (one a phone): the curve grows, the heatmap
    draws, no exception shows."""
    from playwright.async_api import async_playwright
    lines = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                   args=CHROMIUM_ARGS)
        sizes = [({"width": 1366, "height": 900}, False), ({"width": 1920, "height": 1080}, False),
                 ({"width": 390, "height": 844}, True)]
        for index, (viewport, phone) in enumerate(sizes):
            context = await browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            page = await context.new_page()
            await page.goto(url + ("/?present=true" if index == 1 else "/"), timeout=120_000)
            count = "document.querySelector('[data-plot=\"loss\"]')?._fullData?.[0]?.x?.length ?? -1"
            await page.wait_for_function(f"() => ({count}) > 0", timeout=120_000)
            before = await page.evaluate(f"() => {count}")
            await asyncio.sleep(6)
            after = await page.evaluate(f"() => {count}")
            await page.get_by_text("Gates, live").click()
            await page.wait_for_function("""() => {const p = document.querySelector('[data-plot="heat"]');
                return p && p.data && p.data[0] && p.data[0].type === 'heatmap'}""", timeout=60_000)
            errors = await page.locator('[data-testid="stException"]').count()
            shot = shots / f"load-{'phone' if phone else viewport['width']}.png"
            await page.screenshot(path=str(shot), full_page=False)
            lines.append(f"Chromium {viewport['width']}x{viewport['height']}: loss points "
                         f"{before} -> {after} in 6 s, heatmap drawn, {errors} exceptions; {shot}")
            await context.close()
        await browser.close()
    return lines


def checked_history(viewers: list[Viewer], truth: PushViewer) -> tuple[int, int, str]:
    """(viewers whose batch records are exact, viewers checked). Exact: each
    network's steps consecutive, none repeated, and equal to the records of
    ``truth`` (a viewer that has just joined) wherever the two overlap. A viewer that joined
    early holds older records than ``truth``, whose first frame carries only
    the server's bounded mirror; and each stopped following at ``--explore``'s
    end, so it holds the server's records up to there, not the newest ones."""
    def steps(push: PushViewer) -> dict[str, list[int]]:
        by_network: dict[str, list[int]] = {}
        for record in push.state.records.get("batches", []):
            by_network.setdefault(record["model"], []).append(record["step"])
        return by_network
    expected = steps(truth)
    exact, problems = 0, []
    for viewer in viewers:
        seen, problem = steps(viewer.push), "" if expected else "the check saw no records"
        for network, want in expected.items():
            have = seen.get(network, [])
            overlap = [step for step in have if step >= want[0]]
            if any(b != a + 1 for a, b in zip(have, have[1:])):
                problem = f"{network}'s steps are not consecutive"
            elif overlap != want[:len(overlap)]:
                problem = f"{network}'s steps differ from the server's"
            elif not overlap:
                problem = f"{network}: no step in common with the server's {want[0]}..{want[-1]}"
        exact += not problem
        problems += [f"viewer {viewer.index}: {problem}"] if problem else []
    return exact, len(viewers), "; ".join(problems[:3])


class Report(list):
    """The result lines, each printed as soon as it is known (a run takes minutes)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)

    def __iadd__(self, lines):
        for line in lines:
            self.append(line)
        return self


async def main_async(args) -> list[str]:
    lines = Report()
    for line in (f"machine: {machine_line()}", f"python {platform.python_version()}",
                 f"command: python bench/load_viewers.py {' '.join(sys.argv[1:])}",
                 f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"):
        lines.append(line)
    data = Path(tempfile.mkdtemp(prefix="gru-load-"))
    shutil.copy(SHARED_TEXT, data / "timemachine.txt")
    shots = REPO / "screenshots"
    shots.mkdir(exist_ok=True)
    env = {"GRU_EXPLAINER_DATA": str(data), KEY_ENV: KEY, "OMP_NUM_THREADS": "1"}
    registry = {"idle_timeout_s": 600, "max_running": os.cpu_count() or 1}
    with StreamlitServer("app.py", str(REPO), env=env, probe=True, registry=registry,
                         log_path=str(data / "server.log")) as server:
        presenter, run_id = await start_presenter(server, args.epochs)
        await asyncio.sleep(5)  # past the first batches' start-up
        base_before, base_cpu = await async_tokens_per_s(server, run_id, args.baseline_seconds)
        lines.append(f"baseline (presenter only): {base_before:,.0f} tokens/s, server CPU "
                     f"{base_cpu:.0f}% of a core")

        n = args.viewers
        t0 = time.monotonic()
        join_end = t0 + args.join_seconds
        steady_start = join_end + 5
        steady_end = steady_start + args.seconds
        storm_at = steady_end + 1
        explore_start = storm_at + 5 + 12
        explore_end = explore_start + args.explore_seconds
        follow_until = explore_end + 2
        viewers = [Viewer(i, BrowserTab(server.url, name=f"viewer{i}"),
                          PushViewer(server.url, "lecture", keep_heatmaps=False))
                   for i in range(n)]
        tasks = [asyncio.create_task(open_viewer(
            server, v, args.join_seconds * i / max(n, 1), follow_until,
            storm_at + random.uniform(0, 5))) for i, v in enumerate(viewers)]

        await asyncio.sleep(max(0.0, steady_start - time.monotonic()))
        bytes0 = sum(v.push.bytes_received for v in viewers)
        own_cpu = time.process_time()
        steady = await async_tokens_per_s(server, run_id, steady_end - time.monotonic())
        own_cpu = 100 * (time.process_time() - own_cpu) / args.seconds
        bytes1 = sum(v.push.bytes_received for v in viewers)
        joined = [v.first_update_s for v in viewers]
        lines.append(f"join storm: {n} tabs in {args.join_seconds:g} s; page open -> first live "
                     f"update p95 {percentile(joined, 95):.2f} s, max {max(joined):.2f} s; "
                     f"errors {sum(len(v.errors) for v in viewers)}")
        report = room_report(viewers, steady_start, steady_end)
        kb = (bytes1 - bytes0) / 1000 / n / args.seconds
        lines.append(
            f"steady {n} viewers, {args.seconds:g} s: worst viewer's p95 update gap "
            f"{report['worst_p95_gap']:.2f} s (median {report['median_p95_gap']:.2f} s); "
            f"{kb:.2f} kB per viewer per second; training {steady[0]:,.0f} tokens/s = "
            f"{steady[0] / base_before:.0%} of the baseline; server CPU {steady[1]:.0f}% "
            f"({steady[1] - base_cpu:+.0f}% of a core beyond the baseline); this load "
            f"generator {own_cpu:.0f}% of a core, on the same {os.cpu_count()} cores; errors {report['errors']}")

        await asyncio.sleep(max(0.0, storm_at + 5 - time.monotonic()))
        after_storm = time.monotonic()
        await asyncio.sleep(10)
        storm = room_report(viewers, after_storm, after_storm + 10)
        reconnected = sum(v.push.connects >= 2 for v in viewers)
        lines.append(f"reconnect storm: {reconnected}/{n} push connections dropped within 5 s "
                     f"and came back by themselves; next 10 s: worst p95 gap "
                     f"{storm['worst_p95_gap']:.2f} s")

        await asyncio.sleep(max(0.0, explore_start - time.monotonic()))
        explorers = [v.tab for v in viewers[:args.explorers] if not v.errors]
        explore_task = asyncio.create_task(explore(explorers, explore_end))
        own_cpu = time.process_time()
        exploring = await async_tokens_per_s(server, run_id, explore_end - time.monotonic())
        own_cpu = 100 * (time.process_time() - own_cpu) / args.explore_seconds
        explored = await explore_task
        sent = f"{explored.sent} ({explored.describe()})"
        lines.append(f"students exploring: {len(explorers)} viewers sent {sent} new Gates probes "
                     f"in {args.explore_seconds:g} s; training {exploring[0]:,.0f} tokens/s = "
                     f"{exploring[0] / base_before:.0%} of the baseline; server CPU "
                     f"{exploring[1]:.0f}% of a core, this load generator {own_cpu:.0f}%")
        if args.chromium:
            lines += await chromium_check(server.url, shots)
        await asyncio.gather(*tasks)
        truth = PushViewer(server.url, "lecture", keep_heatmaps=False)
        await presenter.click("Pause")
        await presenter.wait_finished(60)
        await truth.follow(until=time.monotonic() + 3)
        exact, checked, problems = checked_history(viewers, truth)
        lines.append(f"records checked by cursor after all of it: {exact}/{checked} viewers hold "
                     f"exactly the server's batches in order, none repeated"
                     + (f" (first problems: {problems})" if problems else ""))
        await presenter.click("Resume")
        await presenter.wait_finished(60)
        await asyncio.gather(*(v.tab.close() for v in viewers), return_exceptions=True)
        await asyncio.sleep(3)
        base_after, _ = await async_tokens_per_s(server, run_id, args.baseline_seconds)
        lines.append(f"baseline again: {base_after:,.0f} tokens/s")

        for size in [int(k) for k in args.knee.split(",") if k.strip()]:
            line, ok = await knee_phase(server, run_id, size, (base_before + base_after) / 2, args)
            lines.append(line)
            if not ok:
                break
        await presenter.close()
    return lines


async def knee_phase(server, run_id, size: int, baseline: float, args) -> tuple[str, bool]:
    """A larger room, joined over ``--knee-join``, held for ``--knee-seconds``."""
    start = time.monotonic()
    steady_start = start + args.knee_join + 5
    steady_end = steady_start + args.knee_seconds
    viewers = [Viewer(i, BrowserTab(server.url, name=f"knee{i}"),
                      PushViewer(server.url, "lecture", keep_heatmaps=False)) for i in range(size)]
    tasks = [asyncio.create_task(open_viewer(server, v, args.knee_join * i / size,
                                             steady_end + 1, None)) for i, v in enumerate(viewers)]
    await asyncio.sleep(max(0.0, steady_start - time.monotonic()))
    bytes0 = sum(v.push.bytes_received for v in viewers)
    tokens, cpu = await async_tokens_per_s(server, run_id, steady_end - time.monotonic())
    bytes1 = sum(v.push.bytes_received for v in viewers)
    await asyncio.gather(*tasks)
    report = room_report(viewers, steady_start, steady_end)
    await asyncio.gather(*(v.tab.close() for v in viewers), return_exceptions=True)
    ratio = tokens / baseline
    kb = (bytes1 - bytes0) / 1000 / size / args.knee_seconds
    broken = [name for name, bad in (("p95 gap", report["worst_p95_gap"] > 1.5),
                                     ("training", ratio < 0.85), ("bandwidth", kb > 10),
                                     ("errors", report["errors"] > 0)) if bad]
    line = (f"knee {size} viewers: worst p95 gap {report['worst_p95_gap']:.2f} s (median "
            f"{report['median_p95_gap']:.2f}), {kb:.2f} kB/viewer/s, training {ratio:.0%}, "
            f"server CPU {cpu:.0f}%, errors {report['errors']}"
            + (f" -> breaks: {', '.join(broken)}" if broken else " -> holds"))
    await asyncio.sleep(5)
    return line, not broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60, help="the steady phase")
    parser.add_argument("--join-seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=30)
    parser.add_argument("--explorers", type=int, default=50)
    parser.add_argument("--explore-seconds", type=float, default=40)
    parser.add_argument("--knee", default="500,1000", help="room sizes to try after, comma-separated")
    parser.add_argument("--knee-join", type=float, default=60)
    parser.add_argument("--knee-seconds", type=float, default=30)
    parser.add_argument("--chromium", type=int, default=1, help="1: check with 3 real pages")
    parser.add_argument("--epochs", type=int, default=100_000)
    args = parser.parse_args()
    if not SHARED_TEXT.is_file():
        sys.exit(f"the Time Machine text is needed at {SHARED_TEXT}")
    random.seed(0)
    asyncio.run(main_async(args))   # prints its lines as it goes
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
