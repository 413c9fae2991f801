"""Every page at three sizes in a real browser: a phone (390×844, mobile), a
laptop (1366×768) and a projector (1920×1080 in presentation mode). A page
fails when a chart's title, legend and toolbar (Plotly's modebar) overlap or a
title runs off its chart, when an equation runs out of its box, or when a
heatmap is too narrow to read (fewer than ``MIN_COLUMN_PX`` per character).
Then a click on a Gates heatmap cell opens that unit at that character.

One server, one browser, one context per size. Screenshots of every page
land in screenshots/ (git-ignored): look at them after a layout change."""
from __future__ import annotations

import os
import re

import pytest

from tests.support.browser import (browser_page, screenshot, served_or_skipped, wait_connected,
                                   wait_script_idle)

TIMEOUT_MS = 90_000
MIN_COLUMN_PX = 9     # a character column of a heatmap, at least
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                   "has_touch": True},
         "laptop": {"viewport": {"width": 1366, "height": 768}},
         "projector": {"viewport": {"width": 1920, "height": 1080}}}
PAGES = {"start": ("start", "Start here"), "train": ("", "Train a GRU"),
         "gates": ("gates", "Gates"), "compare": ("compare", "Compare with nn.GRU"),
         "step": ("step", "Step through the math"), "explore": ("explore", "Explore")}

# What overlaps or overflows on the page, one sentence each (run in the page).
LAYOUT_PROBLEMS = """() => {
    const problems = [];
    const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                        return r.width > 0 && r.height > 0 ? r : null; };
    const overlap = (a, b) => a && b && a.left < b.right - 1 && b.left < a.right - 1
                              && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
        const titleEl = plot.querySelector('.g-gtitle .gtitle');
        const name = `chart ${index} '${titleEl ? titleEl.textContent : ''}'`;
        const title = box(titleEl), chart = box(plot);
        const legend = box(plot.querySelector('.legend .bg')) || box(plot.querySelector('.legend'));
        const modebar = box(plot.querySelector('.modebar'));
        if (overlap(title, legend)) problems.push(`${name}: title under the legend`);
        if (overlap(title, modebar)) problems.push(`${name}: title under the toolbar`);
        if (overlap(legend, modebar)) problems.push(`${name}: legend under the toolbar`);
        if (title && chart && (title.left < chart.left - 1 || title.right > chart.right + 1))
            problems.push(`${name}: title runs off the chart`);
        const axisTitle = box(plot.querySelector('.g-xtitle text'));
        if (overlap(legend, axisTitle)) problems.push(`${name}: legend over the axis title`);
        if (legend && chart && legend.right > chart.right + 1)
            problems.push(`${name}: legend runs off the chart`);
        const scrolls = plot.closest('[class*="st-key-wide_"]');  // a box that scrolls sideways
        if (!scrolls && chart && chart.right > document.documentElement.clientWidth + 1)
            problems.push(`${name}: runs off the screen`);
        const layout = plot._fullLayout, data = plot.data || [];
        if (layout && data[0] && data[0].type === 'heatmap' && data[0].x && layout.xaxis) {
            const perColumn = layout.xaxis._length / data[0].x.length;
            if (perColumn < %(min_column)d)
                problems.push(`${name}: ${perColumn.toFixed(1)} px per character`);
        }
    });
    // KaTeX's display box shrinks to its content (and scrolls 2 px of struts):
    // the box an equation must fit is the element Streamlit gives it.
    document.querySelectorAll('.katex-display').forEach((display, index) => {
        const katex = display.querySelector('.katex-html') || display.querySelector('.katex');
        const element = display.closest('[data-testid="stElementContainer"]') || display.parentElement;
        if (!katex || !element) return;
        const inner = katex.getBoundingClientRect(), outer = element.getBoundingClientRect();
        const over = Math.max(inner.right - outer.right, outer.left - inner.left,
                              display.scrollWidth - display.clientWidth - 3);
        if (over > 1) problems.push(`equation ${index} overflows its box by ${Math.round(over)} px`);
    });
    return problems;
}""" % {"min_column": MIN_COLUMN_PX}


@pytest.fixture(scope="module")
def app_url(data_cache, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "layouts.log"
    with served_or_skipped(data_cache, log, "layout test") as url:
        yield url


def settled(page, title: str) -> None:
    """Until the page's script is done and every chart and equation is drawn."""
    wait_connected(page, TIMEOUT_MS)
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=TIMEOUT_MS)
    wait_script_idle(page, TIMEOUT_MS)
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .every(plot => plot._fullLayout && plot.querySelector('.main-svg'))""",
                           timeout=TIMEOUT_MS)
    page.wait_for_timeout(800)  # Plotly's resize to the final column width
    assert page.locator('[data-testid="stException"]').count() == 0


def open_at(context, base: str, size: str, name: str):
    path, title = PAGES[name]
    query = "?present=true" if size == "projector" else ""
    page = context.new_page()
    page.goto(f"{base}/{path}{query}")
    settled(page, title)
    return page


def whole_page_screenshot(page, name: str) -> None:
    """Streamlit scrolls inside its own box, so a full-page screenshot shows
    one screen: make the window as tall as the page first (after the checks,
    which ran at the real size)."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll('*')]
        .filter(e => e.scrollHeight > e.clientHeight + 20 && getComputedStyle(e).overflowY !== 'visible')
        .map(e => e.scrollHeight), document.documentElement.scrollHeight)""")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 9000)})
    page.wait_for_timeout(600)
    screenshot(page, name)


def test_every_page_at_three_sizes_has_no_overlap_or_overflow(app_url):
    """``GRU_EXPLAINER_LAYOUTS=phone:step,laptop:gates`` checks only those."""
    only = {tuple(item.split(":")) for item in
            os.environ.get("GRU_EXPLAINER_LAYOUTS", "").split(",") if item}
    found = {}
    with browser_page() as first:
        browser = first.context.browser
        for size, options in SIZES.items():
            context = browser.new_context(**options)
            for name in PAGES:
                if only and (size, name) not in only:
                    continue
                page = open_at(context, app_url, size, name)
                problems = page.evaluate(LAYOUT_PROBLEMS)
                if problems:
                    found[f"{size} {name}"] = problems
                whole_page_screenshot(page, f"layout-{size}-{name}")
                page.close()
            context.close()
    assert found == {}


def test_clicking_a_heatmap_cell_opens_that_unit_at_that_character(app_url):
    with browser_page(width=1366, height=1600) as page:
        page.goto(f"{app_url}/gates")
        settled(page, "Gates")
        find = """() => [...document.querySelectorAll('.js-plotly-plot')].find(p =>
            p.data && p.data.length === 8 && p.data[0].type === 'heatmap' && p._fullLayout)"""
        page.wait_for_function(find, timeout=TIMEOUT_MS)
        # the H panel (4th heatmap), 5 characters in, a few rows up: where it is on screen
        where = page.evaluate("""() => {
            const plot = (""" + find + """)();
            plot.scrollIntoView();
            const layout = plot._fullLayout, x = layout.xaxis, y = layout.yaxis4;
            const svg = plot.querySelector('.main-svg').getBoundingClientRect();
            return {x: svg.left + x._offset + x.l2p(5), y: svg.top + y._offset + y.l2p(20)};
        }""")
        page.mouse.move(where["x"], where["y"])
        page.wait_for_timeout(500)
        hover = page.evaluate("() => document.querySelector('.hoverlayer').textContent")
        t, unit = (int(n) for n in re.search(r"position (\d+) · unit (\d+)", hover).groups())
        page.mouse.click(where["x"], where["y"])
        try:  # the page reruns with the unit under the pointer open at that character
            page.wait_for_function("""(unit) => [...document.querySelectorAll('input')].some(i =>
                i.getAttribute('aria-label') === 'Unit' && i.value === String(unit))""",
                arg=unit, timeout=TIMEOUT_MS)
        finally:
            screenshot(page, "gates-clicked")
        wait_script_idle(page, TIMEOUT_MS)
        assert page.get_by_label("Character t").count() == 1
        assert f"at t = {t} (" in page.locator('[data-testid="stCaptionContainer"]').filter(
            has_text=f"Unit {unit}:").first.inner_text()
        # the address bar keeps both: "this unit at this character" is a link to hand out
        assert f"unit={unit}" in page.url and f"t={t}" in page.url, page.url
        link = page.get_by_role("link", name=f"Step through the math at t = {t}, unit {unit}")
        link.wait_for(timeout=TIMEOUT_MS)
        link.click()  # the Step page at that character and unit, with the same model
        page.get_by_text(f"reproduce the model's trace at t = {t}, unit {unit}").first.wait_for(
            timeout=TIMEOUT_MS)
        assert "The book model" in page.locator('[data-testid="stAlert"]').first.inner_text()
