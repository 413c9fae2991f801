"""Helpers for the real-browser test: serve the app with ``streamlit run`` on a
free port and drive Debian's chromium through Playwright."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GRU_EXPLAINER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "screenshots"


def chromium_missing_reason() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        return f"Debian's chromium is not installed ({CHROMIUM}); apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        time.sleep(0.25)
    raise TimeoutError(f"the app at {url} did not become healthy in {timeout:.0f} s")


@contextlib.contextmanager
def serve_app(data_dir: Path, log_path: Path):
    """``streamlit run app.py`` headless on a free port; yields its base URL."""
    port = free_port()
    # one torch thread, as conftest does: on a shared 2-core machine more threads only contend
    env = os.environ | {"GRU_EXPLAINER_DATA": str(data_dir), "PYTHONUNBUFFERED": "1",
                        "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@contextlib.contextmanager
def browser_page(width: int = 1500, height: int = 1000):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            yield context.new_page()
        finally:
            browser.close()


def wait_connected(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           timeout=timeout_ms)


def wait_script_idle(page, timeout_ms: int = 30_000) -> None:
    """Until the app is not running a full script (fragment ticks may continue)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"] "
        "[data-testid=\"stStatusWidgetRunningIcon\"]')", timeout=timeout_ms)


def plot_points(page, title: str) -> int:
    """How many points the first trace of the Plotly chart whose title contains
    ``title`` holds (-1: no such chart). Numpy arrays arrive as typed arrays,
    which Plotly keeps decoded in ``_fullData``."""
    return page.evaluate(
        """(title) => {
            for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                const text = plot.layout && plot.layout.title && plot.layout.title.text;
                if (text && text.includes(title) && plot._fullData && plot._fullData.length) {
                    const y = plot._fullData[0].y;
                    return y ? y.length : 0;
                }
            }
            return -1;
        }""", title)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
