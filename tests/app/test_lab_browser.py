"""The Lab and the exercise in Chromium: a tiny five-cell run from a URL that
carries its settings, its live curves, the memory reach measured on demand,
then both pages on a phone (390×844), a laptop (1366×768) and a projector
(1920×1080, presentation mode). Screenshots land in screenshots/ (git-ignored):
look at them. Skipped without chromium (as tests/test_browser.py is)."""
from __future__ import annotations

from tests.support.browser import browser_page, screenshot, wait_connected
from tests.test_browser import app_url  # noqa: F401  (the app served, or the test skipped)
from tests.test_browser import assert_no_exception as no_exception

TINY = "hiddens=8&batch=4&steps=5&epochs=400&max_tokens=1000"
TIMEOUT_MS = 90_000
VIEWPORTS = {"phone": ({"width": 390, "height": 844}, True, ""),
             "laptop": ({"width": 1366, "height": 768}, False, ""),
             "projector": ({"width": 1920, "height": 1080}, False, "&present=true")}


def chart_drawn(page, title: str) -> None:
    """Until a chart whose title (wrapped or not) contains ``title`` is drawn."""
    page.wait_for_function(
        """(title) => [...document.querySelectorAll('.js-plotly-plot')].some(p =>
               p.layout && p.layout.title
               && (p.layout.title.text || '').replaceAll('<br>', ' ').includes(title))""",
        arg=title, timeout=TIMEOUT_MS)


def screenshots(page, name: str, viewport: dict, chunk: int = 1500) -> int:
    """The first screen as the user sees it, then one ``chunk`` pixels tall
    from each section heading down (Streamlit scrolls inside its main block,
    so a full-page screenshot would hold only the first screen)."""
    screenshot(page, name)
    page.set_viewport_size({"width": viewport["width"], "height": chunk})
    page.wait_for_timeout(1500)  # charts redraw at the new size
    headings = page.locator('[data-testid="stMain"] h3')
    for index in range(headings.count()):
        headings.nth(index).evaluate("(h) => h.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(700)
        screenshot(page, f"{name}-{index + 1}")
    page.set_viewport_size(viewport)
    return headings.count()


def test_the_lab_and_the_exercise_on_a_phone_a_laptop_and_a_projector(app_url):
    with browser_page(width=1366, height=768) as page:
        page.goto(f"{app_url}/lab?{TINY}")
        wait_connected(page)
        page.get_by_role("button", name="Train these cells side by side").click()
        page.get_by_role("button", name="Pause").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => location.search.includes('run=')", timeout=TIMEOUT_MS)
        page.wait_for_function(  # the live curves: five cells, each training and held-out
            """() => [...document.querySelectorAll('.js-plotly-plot')].some(p =>
                   p._fullData && p._fullData.length >= 10 && p._fullData[0].y
                   && p._fullData[0].y.length >= 3)""", timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Resume").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Update the numbers").click()
        page.get_by_text("training perplexity is lowest for the").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Measure the memory reach").click()
        chart_drawn(page, "How far back does the model look?")
        page.get_by_role("button", name="Restart from the same initial weights").click()
        page.get_by_text("Restarted from run").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Resume").wait_for(timeout=TIMEOUT_MS)
        chart_drawn(page, "perplexity, run by run")
        no_exception(page)
        run_url = page.url
        cookies = page.context.cookies()  # the same browser: still the runs' owner
        browser = page.context.browser
        for name, (viewport, mobile, present) in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
            context.add_cookies(cookies)
            view = context.new_page()
            view.goto(run_url + present)
            wait_connected(view)
            view.get_by_text("What the numbers show").wait_for(timeout=TIMEOUT_MS)
            chart_drawn(view, "gates and states")
            measure = view.get_by_role("button", name="Measure the memory reach")
            if measure.count():  # else measured already, at this batch: shown to all
                measure.click()
            chart_drawn(view, "How far back does the model look?")
            view.wait_for_timeout(2000)  # the live view's charts draw after the page
            no_exception(view)
            screenshots(view, f"lab-{name}", viewport)
            view.goto(f"{app_url}/exercise?{present.lstrip('&')}")
            wait_connected(view)
            chart_drawn(view, "What the output O_7 depends on")
            view.get_by_role("button", name="Reveal the answer").click()
            chart_drawn(view, "Answer: what O_7 depends on")
            no_exception(view)
            screenshots(view, f"exercise-{name}", viewport)
            context.close()
