"""The app in a real browser: ``streamlit run app.py`` headless on a free port,
Debian's chromium driven by Playwright. Start a small run from a URL that
carries its configuration, watch the perplexity curve grow, pause it and see
it stop, then open Gates, Compare and Step through the math.

Screenshots land in screenshots/ (git-ignored). Without chromium the test is
skipped locally and fails in CI (CI installs it: see .ci/run)."""
from __future__ import annotations

import re
import time

import pytest

from tests.support.browser import (browser_page, plot_points, screenshot, served_or_skipped,
                                   wait_connected)

SMALL_RUN = "hiddens=16&batch=8&steps=10&epochs=300&max_tokens=600"  # 6 batches an epoch
PERPLEXITY = "Perplexity per epoch"
TIMEOUT_MS = 60_000  # the machine may be shared with other work


@pytest.fixture(scope="module")
def app_url(data_cache, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with served_or_skipped(data_cache, log, "browser test") as url:
        yield url


def wait_for_points(page, at_least: int, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while (points := plot_points(page, PERPLEXITY)) < at_least:
        assert time.monotonic() < deadline, f"the perplexity curve has {points} points"
        time.sleep(0.25)
    return points


def assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).click()
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=TIMEOUT_MS)


def test_train_pause_and_inspect_in_a_browser(app_url):
    with browser_page(width=1500, height=2400) as page:  # tall: screenshots show whole pages
        page.goto(f"{app_url}/?{SMALL_RUN}")
        wait_connected(page)
        start = page.get_by_role("button", name="Start training")
        start.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_label("Hidden units").input_value() == "16"  # config from the URL
        start.click()

        wait_for_points(page, 2)
        assert "run=" in page.url  # the shareable link is in the address bar
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Resume").wait_for(timeout=TIMEOUT_MS)
        time.sleep(2)  # let any tick already in flight land
        paused_at = plot_points(page, PERPLEXITY)
        time.sleep(3)
        assert plot_points(page, PERPLEXITY) == paused_at, "the curve grew while paused"
        assert_no_exception(page)
        screenshot(page, "train-paused")

        again = page.context.new_page()  # another tab of the same browser: still the owner
        again.goto(page.url)
        wait_connected(again)
        again.get_by_role("button", name="Resume", exact=True).wait_for(timeout=TIMEOUT_MS)
        assert again.get_by_text("you are the owner").count() == 1
        again.close()
        # another browser opens the share link: read-only
        viewer = page.context.browser.new_context(viewport={"width": 1500, "height": 2400}).new_page()
        viewer.goto(page.url)
        wait_connected(viewer)
        viewer.get_by_text("read-only").first.wait_for(timeout=TIMEOUT_MS)
        wait_for_points(viewer, paused_at)
        assert viewer.get_by_role("button", name="Resume", exact=True).count() == 0
        assert viewer.get_by_role("button", name="Stop", exact=True).count() == 0
        screenshot(viewer, "viewer")
        viewer.context.close()

        open_page(page, "Gates")
        page.wait_for_function(
            """() => [...document.querySelectorAll('.js-plotly-plot')].some(p =>
                   p.data && p.data[0] && p.data[0].type === 'heatmap'
                   && p.querySelector('.hm, image'))""", timeout=TIMEOUT_MS)
        assert page.get_by_text("Live run").count() > 0
        assert_no_exception(page)
        screenshot(page, "gates")

        open_page(page, "Compare with nn.GRU")
        page.get_by_text("Reset-before (d2l's cell): max").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT_MS)
        assert_no_exception(page)
        screenshot(page, "compare")

        open_page(page, "Step through the math")
        page.get_by_text("Checked: these numbers reproduce").first.wait_for(timeout=TIMEOUT_MS)
        assert_no_exception(page)
        screenshot(page, "step")

        open_page(page, "Train")
        page.get_by_role("button", name="Stop", exact=True).click()
        page.locator(".gru-live-status:visible", has_text="stopped").first.wait_for(
            timeout=TIMEOUT_MS)  # the live view says so, pushed from the server
        assert_no_exception(page)


def test_an_upload_over_the_limit_is_refused_with_the_limit_named(app_url):
    """Streamlit enforces server.maxUploadSize (.streamlit/config.toml) itself;
    check the user sees why, and that nothing else breaks."""
    limit_mb = 20
    with browser_page(width=1500, height=1600) as page:
        page.goto(app_url)
        wait_connected(page)
        page.get_by_text("Your own text file").click()
        page.get_by_text("Upload a plain-text file to train on it.").wait_for(timeout=TIMEOUT_MS)
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        dropzone.wait_for(state="attached", timeout=TIMEOUT_MS)
        dropzone.set_input_files({"name": "huge.txt", "mimeType": "text/plain",
                                  "buffer": b"a" * ((limit_mb + 1) * 1024 * 1024)})
        try:
            # Streamlit marks the file in red; the reason is its error tooltip
            page.get_by_role("alert").filter(has_text=f"File must be {limit_mb}.0MB or smaller") \
                .first.wait_for(state="attached", timeout=TIMEOUT_MS)
        finally:
            screenshot(page, "upload-too-large")
        assert_no_exception(page)
        assert page.get_by_role("button", name="Start training").count() == 1


LECTURE_KEY = "browser-lecture-key"


@pytest.fixture(scope="module")
def lecture_url(data_cache, tmp_path_factory):
    from app_server.lecture import KEY_ENV
    folder = tmp_path_factory.mktemp("lecture-data")
    (folder / "timemachine.txt").write_bytes((data_cache / "timemachine.txt").read_bytes())
    log = tmp_path_factory.mktemp("streamlit") / "lecture.log"
    with served_or_skipped(folder, log, "browser test", env={KEY_ENV: LECTURE_KEY}) as url:
        yield url


def loss_chart_lr_marks(page) -> list[str]:
    return page.evaluate("""() => {
        const plot = document.querySelector('[data-plot="loss"]');
        return plot && plot.layout ? (plot.layout.annotations || []).map(a => a.text) : [];
    }""")


def test_a_lecture_the_presenter_keeps_control_the_room_watches(lecture_url):
    with browser_page(width=1366, height=1600) as presenter:
        browser = presenter.context.browser
        presenter.goto(f"{lecture_url}/?key={LECTURE_KEY}&{SMALL_RUN}")
        wait_connected(presenter)
        assert "key=" not in presenter.url  # the key became a cookie, not a link to share
        presenter.get_by_text("you are the presenter").wait_for(timeout=TIMEOUT_MS)

        room = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True).new_page()
        room.goto(lecture_url)
        wait_connected(room)
        room.get_by_text("Waiting for the presenter").first.wait_for(timeout=TIMEOUT_MS)
        assert room.get_by_role("button", name="Start training").count() == 0

        presenter.get_by_role("button", name="Start training").click()
        presenter.get_by_role("button", name="Pause").wait_for(timeout=TIMEOUT_MS)
        # the waiting screen switches to the run by itself, and its curve grows
        wait_for_points(room, 2)
        presenter.reload()  # a reload keeps the presenter in control
        wait_connected(presenter)
        presenter.get_by_role("button", name="Pause").click()
        presenter.get_by_role("button", name="Resume").wait_for(timeout=TIMEOUT_MS)
        presenter.get_by_label("Learning rate (live)").fill("0.5")
        presenter.get_by_label("Learning rate (live)").press("Enter")
        presenter.get_by_role("button", name="Apply").click()
        # mid-epoch the button reads "Finish epoch" (it trains to the epoch's end)
        presenter.get_by_role("button", name=re.compile(r"^(Step|Finish) epoch$")).click()
        room.wait_for_function("""() => {
            const plot = document.querySelector('[data-plot="loss"]');
            return plot && plot.layout && (plot.layout.annotations || []).some(a => a.text === 'lr → 0.5');
        }""", timeout=TIMEOUT_MS)
        assert loss_chart_lr_marks(room) == ["lr → 0.5"]
        for name in ("Resume", "Pause", "Stop", "Step epoch", "Finish epoch", "Apply"):
            assert room.get_by_role("button", name=name, exact=True).count() == 0, name
        room.get_by_text("Gates, live").click()
        room.wait_for_function("""() => {
            const plot = document.querySelector('[data-plot="heat"]');
            return plot && plot.data && plot.data[0] && plot.data[0].type === 'heatmap';
        }""", timeout=TIMEOUT_MS)
        assert_no_exception(room)
        screenshot(room, "lecture-phone")

        stranger = browser.new_context().new_page()
        stranger.goto(f"{lecture_url}/?key=guess")
        wait_connected(stranger)
        stranger.get_by_text("That presenter key is not right").wait_for(timeout=TIMEOUT_MS)
        assert stranger.get_by_text("you are the presenter").count() == 0

        presenter.get_by_role("link", name="Sign out as presenter").click()
        wait_connected(presenter)
        presenter.get_by_text("following the lecture (read-only)").wait_for(timeout=TIMEOUT_MS)
        assert presenter.get_by_role("button", name="Resume", exact=True).count() == 0
        assert_no_exception(presenter)
