"""Helpers for the real-browser tests: serve the app with ``streamlit run`` on
a free port and drive Debian's chromium through Playwright."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
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


@contextlib.contextmanager
def serve_app(data_dir: Path, log_path: Path, env: dict | None = None):
    """``streamlit run app.py`` headless on a free port; yields its base URL."""
    from .server import StreamlitServer
    # one torch thread, as conftest does: on a shared 2-core machine more threads only contend
    env = {"GRU_EXPLAINER_DATA": str(data_dir), "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1",
           **(env or {})}
    with StreamlitServer("app.py", str(REPO), options={"server.fileWatcherType": "none"},
                         env=env, log_path=str(log_path)) as server:
        yield server.url


@contextlib.contextmanager
def served_or_skipped(data_dir: Path, log_path: Path, what: str, env: dict | None = None):
    """``serve_app`` for a browser test: skipped here without chromium, failed
    in CI (which installs it)."""
    import pytest
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the {what} must run in CI: {reason}")
        pytest.skip(reason)
    with serve_app(data_dir, log_path, env) as url:
        yield url


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
    """How many points the first trace of the Plotly chart titled ``title``
    holds (-1: no such chart): a chart whose layout title contains it, or one
    of the live view's charts under a caption that does. Numpy arrays arrive as
    typed arrays, which Plotly keeps decoded in ``_fullData``."""
    return page.evaluate(
        """(title) => {
            const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(plot => {
                // a title wrapped for a narrow chart (app_ui.display.wrapped_title) reads as one line
                const text = plot.layout && plot.layout.title && plot.layout.title.text
                    && plot.layout.title.text.replaceAll('<br>', ' ');
                const caption = plot.closest('figure') && plot.closest('figure').querySelector('figcaption');
                return (text && text.includes(title))
                    || (caption && caption.textContent.includes(title));
            });
            for (const plot of plots) {
                if (plot._fullData && plot._fullData.length) {
                    const y = plot._fullData[0].y;
                    return y ? y.length : 0;
                }
            }
            return -1;
        }""", title)


def screenshot(page, name: str, folder: Path = SCREENSHOTS, timeout_ms: int = 90_000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, timeout=timeout_ms)
    return path
