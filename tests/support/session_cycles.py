"""Sessions that come and go, driven in real Chromium: each cycle opens the
app, starts a small training run and closes the tab while the run still
trains; the report says what the server holds afterwards. Used by
tests/test_reliability.py (a few cycles) and bench/session_cycles.py (many)."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from .browser import CHROMIUM_ARGS, SCREENSHOTS
from .server import StreamlitServer

FAILURE_SHOT = SCREENSHOTS / "session_cycle_failure.png"


@dataclass
class CycleReport:
    cycles: int
    seconds_per_cycle: float
    runs_started: int
    rss_mb: list[float] = field(default_factory=list)      # after each cycle
    rss_before: float = 0.0                                 # after the warm-up cycle, reaped
    rss_after: float = 0.0                                  # after all cycles, reaped
    threads_before: int = 0                                 # OS threads, same moments
    threads_after: int = 0
    training_threads_at_end: list[str] = field(default_factory=list)
    runs_at_end: list[dict] = field(default_factory=list)
    idle_cpu_percent: float = 0.0                           # server CPU while nothing runs


def training_threads(server: StreamlitServer) -> list[str]:
    return [name for name in server.probe()["threads"] if name.startswith("gru-run-")]


def wait_reaped(server: StreamlitServer, timeout: float) -> list[str]:
    """Wait until no training thread is left (or the timeout); return those left."""
    deadline = time.monotonic() + timeout
    while True:
        left = training_threads(server)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def one_cycle(browser, server: StreamlitServer, hiddens: int, epochs: int) -> None:
    """Open the Train page, start a small run, see it running, close the tab."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        _start_small_run(page, server, hiddens, epochs)
    except Exception:
        FAILURE_SHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(FAILURE_SHOT), full_page=True)
        print(f"cycle failed; the page is in {FAILURE_SHOT}", file=sys.stderr)
        raise
    finally:
        context.close()  # the tab goes away while its run still trains


def _start_small_run(page, server: StreamlitServer, hiddens: int, epochs: int) -> None:
    from playwright.sync_api import expect
    page.goto(f"{server.url}/")
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           timeout=60_000)
    start = page.get_by_role("button", name="Start training")
    start.wait_for(timeout=60_000)
    for label, value in (("Hidden units", hiddens), ("Epochs", epochs)):
        field_ = page.get_by_label(label, exact=True)
        field_.fill(str(value))
        field_.press("Enter")
        expect(field_).to_have_value(str(value), timeout=30_000)
    start.click()
    expect(page.get_by_text("running · epoch").first).to_be_visible(timeout=60_000)


def run_cycles(server: StreamlitServer, args) -> CycleReport:
    from playwright.sync_api import sync_playwright
    report = CycleReport(args.cycles, 0.0, 0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        # Warm-up: the first cycle imports torch/plotly pages and caches the corpus.
        one_cycle(browser, server, args.hiddens, args.epochs)
        wait_reaped(server, args.reap_wait)
        report.rss_before, report.threads_before = server.rss_mb(), server.thread_count()
        started = time.perf_counter()
        for cycle in range(args.cycles):
            one_cycle(browser, server, args.hiddens, args.epochs)
            report.runs_started += 1
            report.rss_mb.append(server.rss_mb())
            if (cycle + 1) % 10 == 0:
                print(f"  cycle {cycle + 1}: RSS {report.rss_mb[-1]:.0f} MB, training threads "
                      f"{len(training_threads(server))}", flush=True)
        report.seconds_per_cycle = (time.perf_counter() - started) / args.cycles
        browser.close()
    report.training_threads_at_end = wait_reaped(server, args.reap_wait)
    time.sleep(args.session_ttl + 2)  # closed sessions expire too
    cpu_start = server.cpu_seconds()
    time.sleep(5)
    report.idle_cpu_percent = 100 * (server.cpu_seconds() - cpu_start) / 5
    report.rss_after, report.threads_after = server.rss_mb(), server.thread_count()
    report.runs_at_end = server.probe()["runs"]
    return report
