"""A headless Streamlit 1.67 client that behaves like one browser tab.

Load tests need many viewers without many browsers. This client speaks the
protocol of Streamlit's own frontend (read from the 1.67 bundle,
``streamlit/static/static/js/index.*.js``) so the server cannot tell it apart
from a tab, except that nothing is rendered:

* page load: ``GET /<page>?<query>`` then the frontend's init pings
  ``GET /_stcore/health`` and ``GET /_stcore/host-config``; health sets the
  ``_streamlit_xsrf`` cookie.
* ``ws://host/_stcore/stream`` with ``Origin``, the cookie, subprotocols
  ``["streamlit", <xsrf cookie>]`` and permessage-deflate, as Chromium sends.
* on connect one ``rerun_script`` BackMsg: the URL's query string, the page
  name from the path (no page hash yet), ``cached_message_hashes`` and
  ``context_info``; later reruns carry the page hash from ``new_session``.
* ForwardMsgs: ``new_session`` (a full run clears every auto-rerun timer),
  ``delta`` (kept in a path -> element map), ``script_finished``,
  ``auto_rerun`` (one ``setInterval`` per fragment id; re-registering the same
  interval keeps the running timer), ``stop_auto_rerun``, ``page_info_changed``
  (the URL's query string), ``navigation`` (pages), ``ref_hash`` (resolved
  from the tab's message cache, which expires entries exactly like
  ``ForwardMsgCache``).
* each auto-rerun tick sends ``rerun_script`` with the fragment id and
  ``is_auto_rerun = true``, whether or not the previous tick has finished,
  as the browser's ``setInterval`` does.

Every completed run is recorded as a :class:`RunRecord` so a benchmark can
measure the gaps between the updates a viewer actually received. The server
under test is ``server.StreamlitServer``. Check the client against a real
Chromium tab with ``python -m tests.support.streamlit_client``.
"""
from __future__ import annotations

import asyncio
import http.cookies
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from .browser import CHROMIUM, CHROMIUM_ARGS
from .server import StreamlitServer

XSRF_COOKIE = "_streamlit_xsrf"
Finished = ForwardMsg.ScriptFinishedStatus
# Elements whose text a test may want to read, and the field that holds it.
TEXT_FIELDS = {"markdown": "body", "text": "body", "heading": "body", "code": "code_text",
               "alert": "body", "exception": "message", "progress": "text"}


class ProtocolError(RuntimeError):
    """The server sent something a browser tab would have refused."""


@dataclass
class RunRecord:
    """One script or fragment run as the tab received it."""
    requested: float        # when the tab sent the rerun (nan if the server started it)
    started: float          # new_session received
    finished: float         # script_finished received
    fragment_ids: tuple     # the fragments this run ran; () for a full script run
    status: str             # ScriptFinishedStatus name
    deltas: int             # delta messages in this run
    bytes: int              # wire bytes of this run's messages (compressed size not known)
    changed: bool           # at least one element differs from what the tab showed


class MessageCache:
    """The frontend's ForwardMsgCache: cacheable messages by hash, expired by
    the number of finished runs since they were last used."""

    def __init__(self):
        self.entries: dict[str, list] = {}      # hash -> [encoded bytes, run count, fragment id]
        self.run_count = 0

    def resolve(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg:
        if msg.WhichOneof("type") == "ref_hash":
            entry = self.entries.get(msg.ref_hash)
            if entry is None:
                raise ProtocolError(f"cached ForwardMsg miss for hash {msg.ref_hash}")
            entry[1] = self.run_count
            cached = ForwardMsg.FromString(entry[0])
            cached.metadata.CopyFrom(msg.metadata)
            return cached
        if msg.metadata.cacheable and msg.hash:
            if msg.hash in self.entries:
                self.entries[msg.hash][1] = self.run_count
            else:
                fragment_id = msg.delta.fragment_id if msg.HasField("delta") else ""
                self.entries[msg.hash] = [raw, self.run_count, fragment_id]
        return msg

    def finish_run(self, max_age: int, fragment_ids: list[str]) -> None:
        self.run_count += 1
        for key, (_, used_at, fragment_id) in list(self.entries.items()):
            if fragment_ids and fragment_id not in fragment_ids:
                continue  # a fragment run only ages that fragment's messages
            if self.run_count - used_at > max_age:
                del self.entries[key]

    def hashes(self) -> list[str]:
        return list(self.entries)


@dataclass
class _Run:
    requested: float
    started: float
    fragment_ids: list[str]
    deltas: int = 0
    bytes: int = 0
    changed: bool = False


@dataclass
class BrowserTab:
    """One tab on ``base_url/page?query``. Use ``await tab.open()``, then read
    ``tab.runs`` / ``tab.texts()``; ``await tab.close()`` as a tab close."""
    base_url: str                   # e.g. http://127.0.0.1:8501
    page: str = ""                  # url path of the page ("" = default page)
    query: str = ""                 # e.g. "run=abc123"
    name: str = "tab"
    runs: list[RunRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: list[tuple[float, bytes]] = field(default_factory=list)   # every BackMsg, timestamped
    cookies: dict[str, str] = field(default_factory=dict)   # this "browser's" cookie jar

    def __post_init__(self):
        self.page_script_hash = ""
        self.pages: dict[str, str] = {}            # url path -> page script hash
        self.elements: dict[tuple, tuple] = {}     # delta path -> (element msg, hash, run id, fragment id)
        self.widget_states: dict[str, object] = {}  # widget id -> WidgetState proto
        self.cache = MessageCache()
        self.max_cached_message_age = 2
        self.auto_reruns: dict[str, tuple[float, asyncio.Task]] = {}
        self._run: _Run | None = None
        self._last_request = float("nan")
        self._run_id = ""
        self._ws = None
        self._receiver: asyncio.Task | None = None
        self._finished = asyncio.Event()

    # ---- connection -------------------------------------------------------
    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _http_get(self, path: str) -> None:
        """GET as the browser does: sends the tab's cookies, keeps what it is set."""
        request = urllib.request.Request(self.base_url + path)
        request.add_header("Accept", "text/html" if "/_stcore/" not in path else "*/*")
        if self.cookies:
            request.add_header("Cookie", self._cookie_header())
        try:
            response = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:  # e.g. the page-path health ping: 404
            response = error
        with response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:  # a deleted cookie
                        self.cookies.pop(name, None)

    def _page_load(self) -> str:
        """The HTTP a tab does before its websocket; returns the XSRF cookie."""
        self._http_get("/" + self.page + ("?" + self.query if self.query else ""))
        # doInitPings tries the page's own path as a base first, then the root.
        for base in ([f"/{self.page}"] if self.page else []) + [""]:
            self._http_get(f"{base}/_stcore/health")
            self._http_get(f"{base}/_stcore/host-config")
        return self.cookies.get(XSRF_COOKIE, "")

    async def open(self, timeout: float = 60.0) -> "BrowserTab":
        cookie = await asyncio.to_thread(self._page_load)
        host = urllib.parse.urlsplit(self.base_url).netloc
        self._ws = await connect(
            f"ws://{host}/_stcore/stream",
            subprotocols=["streamlit", cookie or "PLACEHOLDER_AUTH_TOKEN"],
            origin=self.base_url,
            additional_headers={"Cookie": self._cookie_header()} if self.cookies else None,
            max_size=None, ping_interval=None, open_timeout=timeout)
        self._receiver = asyncio.create_task(self._receive_loop(), name=f"{self.name}-recv")
        await self.rerun()
        await self.wait_finished(timeout)
        return self

    async def close(self) -> None:
        for _, task in self.auto_reruns.values():
            task.cancel()
        self.auto_reruns.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._receiver is not None:
            self._receiver.cancel()
            await asyncio.gather(self._receiver, return_exceptions=True)

    # ---- what the frontend sends -------------------------------------------
    async def rerun(self, fragment_id: str = "", is_auto_rerun: bool = False,
                    page_script_hash: str = "") -> None:
        """``App.sendRerunBackMsg``: full rerun, fragment tick or page change."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if page_script_hash:
            state.page_script_hash = page_script_hash
        elif self.page_script_hash:
            state.page_script_hash = self.page_script_hash
        else:  # first run: the server learns the page from the URL path
            state.page_name = self.page
        if fragment_id:
            state.fragment_id = fragment_id
        state.is_auto_rerun = is_auto_rerun
        state.widget_states.SetInParent()  # the browser always sends the (maybe empty) map
        for widget in self.widget_states.values():
            state.widget_states.widgets.append(widget)
        state.cached_message_hashes.extend(self.cache.hashes())
        state.context_info.timezone = "UTC"
        state.context_info.timezone_offset = 0
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.base_url}/{self.page}"  # the browser drops the query
        state.context_info.is_embedded = False
        state.context_info.color_scheme = "light"
        self._last_request = time.perf_counter()
        self._finished.clear()
        payload = msg.SerializeToString()
        self.sent.append((self._last_request, payload))
        await self._ws.send(payload)
        # Triggers (buttons) are one-shot: the browser resets them after sending.
        for widget_id, widget in list(self.widget_states.items()):
            if widget.WhichOneof("value") == "trigger_value":
                del self.widget_states[widget_id]

    async def click(self, label: str) -> None:
        """Press the button with this label (a full rerun, or a fragment rerun
        when the button lives in a fragment)."""
        button, fragment_id = self.find("button", label)
        widget = BackMsg().rerun_script.widget_states.widgets.add()
        widget.id = button.id
        widget.trigger_value = True
        self.widget_states[button.id] = widget
        await self.rerun(fragment_id=fragment_id)

    def set_widget(self, kind: str, label: str, **value) -> None:
        """Remember a widget value for the next rerun, e.g.
        ``set_widget("number_input", "Hidden units", int_value=32)``."""
        element, _ = self.find(kind, label)
        widget = BackMsg().rerun_script.widget_states.widgets.add()
        widget.id = element.id
        for key, val in value.items():
            setattr(widget, key, val)
        self.widget_states[element.id] = widget

    async def switch_page(self, url_path: str, query: str = "") -> None:
        """A click on a sidebar link: timers stop, the new page runs."""
        if url_path not in self.pages:
            raise ValueError(f"no page '{url_path}'; pages: {sorted(self.pages)}")
        self._stop_all_auto_reruns()
        self.page, self.query = url_path, query
        await self.rerun(page_script_hash=self.pages[url_path])

    # ---- reading what the tab shows ----------------------------------------
    def find(self, kind: str, label: str):
        """(element proto of this kind whose label matches, its fragment id)."""
        for element, _, _, fragment_id in self._ordered_elements():
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind), fragment_id
        raise LookupError(f"{self.name}: no {kind} labelled '{label}' on the page")

    def texts(self) -> list[str]:
        """The page's text in order: markdown, headings, code, alerts, metrics."""
        out = []
        for element, _, _, _ in self._ordered_elements():
            kind = element.WhichOneof("type")
            if kind in TEXT_FIELDS:
                out.append(getattr(getattr(element, kind), TEXT_FIELDS[kind]))
            elif kind == "metric":
                out.append(f"{element.metric.label}: {element.metric.body}")
        return out

    def kinds(self) -> list[str]:
        return [element.WhichOneof("type") for element, *_ in self._ordered_elements()]

    def fastest_fragment(self) -> str:
        """The id of the fragment with the shortest auto-rerun interval ("" if none)."""
        if not self.auto_reruns:
            return ""
        return min(self.auto_reruns, key=lambda fragment_id: self.auto_reruns[fragment_id][0])

    def _ordered_elements(self):
        return [self.elements[path] for path in sorted(self.elements)]

    async def wait_finished(self, timeout: float) -> None:
        await asyncio.wait_for(self._finished.wait(), timeout)

    async def wait_for_text(self, pattern: str, timeout: float) -> re.Match:
        """Wait until some text on the page matches the regex; return the match."""
        deadline = time.perf_counter() + timeout
        while True:
            for text in self.texts():
                match = re.search(pattern, text)
                if match:
                    return match
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{self.name}: no text matching {pattern!r} in {timeout} s; "
                                   f"page shows {self.texts()[:12]}")
            await asyncio.sleep(0.1)

    # ---- what the frontend does with ForwardMsgs -----------------------------
    async def _receive_loop(self) -> None:
        try:
            async for raw in self._ws:
                msg = self.cache.resolve(ForwardMsg.FromString(raw), raw)
                self._handle(msg, len(raw))
        except Exception as error:  # noqa: BLE001 - keep the reason for the report
            if not isinstance(error, asyncio.CancelledError):
                self.errors.append(f"{type(error).__name__}: {error}")
            raise

    def _handle(self, msg: ForwardMsg, size: int) -> None:
        kind = msg.WhichOneof("type")
        now = time.perf_counter()
        if self._run is not None:
            self._run.bytes += size
        if kind == "new_session":
            self._on_new_session(msg, now, size)
        elif kind == "delta":
            self._on_delta(msg)
        elif kind == "script_finished":
            self._on_finished(msg, now)
        elif kind == "auto_rerun":
            self._on_auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self._stop_auto_rerun(fragment_id)
        elif kind == "page_not_found":  # the browser shows a "Page not found" dialog
            self.errors.append(f"page not found: '{msg.page_not_found.page_name or self.page}'")
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash
                          for page in msg.navigation.app_pages}
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash

    def _on_new_session(self, msg: ForwardMsg, now: float, size: int) -> None:
        fragment_ids = list(msg.metadata.run.fragment_ids)
        self._run_id = msg.metadata.run.script_run_id
        self._run = _Run(self._last_request, now, fragment_ids, bytes=size)
        if not fragment_ids:  # a full run: every timer is re-registered by the script
            self._stop_all_auto_reruns()
            self.page_script_hash = msg.new_session.page_script_hash
            self.max_cached_message_age = msg.new_session.config.max_cached_message_age

    def _on_delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        if self._run is not None:
            self._run.deltas += 1
        if delta.WhichOneof("type") != "new_element":
            return
        previous = self.elements.get(path)
        if self._run is not None and (previous is None or previous[1] != msg.hash):
            self._run.changed = True
        self.elements[path] = (delta.new_element, msg.hash, self._run_id, delta.fragment_id)
        self._register_widget_default(delta.new_element)

    def _register_widget_default(self, element) -> None:
        """A rendered widget puts its value in the tab's widget state, which every
        later rerun sends (checked against Chromium on this app's Train page:
        checkboxes/toggles and text inputs send their value, a file uploader an
        empty state, a selectbox without options an id only). Other widget
        kinds are sent only once ``set_widget`` sets them."""
        kind = element.WhichOneof("type")
        widget = getattr(element, kind)
        if not getattr(widget, "id", "") or widget.id in self.widget_states:
            return
        if kind == "checkbox":
            state = BackMsg().rerun_script.widget_states.widgets.add()
            state.id = widget.id
            state.bool_value = widget.value if widget.set_value else widget.default
        elif kind == "text_input":
            state = BackMsg().rerun_script.widget_states.widgets.add()
            state.id = widget.id
            state.string_value = widget.value if widget.set_value else widget.default
        elif kind == "file_uploader":
            state = BackMsg().rerun_script.widget_states.widgets.add()
            state.id = widget.id
            state.file_uploader_state_value.SetInParent()
        elif kind == "selectbox" and not widget.options:
            state = BackMsg().rerun_script.widget_states.widgets.add()
            state.id = widget.id
        else:
            return
        self.widget_states[widget.id] = state

    def _on_finished(self, msg: ForwardMsg, now: float) -> None:
        status = msg.script_finished
        run = self._run or _Run(float("nan"), now, [])
        if status in (Finished.FINISHED_SUCCESSFULLY, Finished.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self._clear_stale_elements(run.fragment_ids)
            self._forget_removed_widgets()
        if status != Finished.FINISHED_EARLY_FOR_RERUN:
            self.cache.finish_run(self.max_cached_message_age, run.fragment_ids)
        self.runs.append(RunRecord(run.requested, run.started, now, tuple(run.fragment_ids),
                                   Finished.Name(status), run.deltas, run.bytes, run.changed))
        self._run = None
        self._finished.set()

    def _clear_stale_elements(self, fragment_ids: list[str]) -> None:
        """Elements not re-sent by this run disappear (``clearStaleNodes``)."""
        for path, (_, _, run_id, fragment_id) in list(self.elements.items()):
            in_scope = not fragment_ids or fragment_id in fragment_ids
            if in_scope and run_id != self._run_id:
                del self.elements[path]

    def _forget_removed_widgets(self) -> None:
        """``removeInactive``: widgets no longer on the page lose their state."""
        shown = {getattr(getattr(element, element.WhichOneof("type")), "id", "")
                 for element, *_ in self.elements.values()}
        for widget_id in list(self.widget_states):
            if widget_id not in shown:
                del self.widget_states[widget_id]

    def _on_auto_rerun(self, fragment_id: str, interval: float) -> None:
        if not fragment_id:
            return  # 1.67 ignores auto-reruns without a fragment id
        current = self.auto_reruns.get(fragment_id)
        if current is not None and current[0] == interval:
            return  # same interval: the running timer keeps its phase
        self._stop_auto_rerun(fragment_id)
        task = asyncio.create_task(self._tick(fragment_id, interval), name=f"{self.name}-tick")
        self.auto_reruns[fragment_id] = (interval, task)

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """``setInterval``: fixed period, fires whether or not the last run finished."""
        next_tick = time.perf_counter() + interval
        while True:
            await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
            next_tick += interval
            try:
                await self.rerun(fragment_id=fragment_id, is_auto_rerun=True)
            except Exception as error:  # noqa: BLE001 - a closed socket ends the timer
                self.errors.append(f"tick: {type(error).__name__}: {error}")
                return

    def _stop_auto_rerun(self, fragment_id: str) -> None:
        entry = self.auto_reruns.pop(fragment_id, None)
        if entry is not None:
            entry[1].cancel()

    def _stop_all_auto_reruns(self) -> None:
        for fragment_id in list(self.auto_reruns):
            self._stop_auto_rerun(fragment_id)


def update_times(runs: list[RunRecord], fragment_id: str = "") -> list[float]:
    """When completed runs arrived: those of ``fragment_id``, or every fragment run."""
    return [run.finished for run in runs
            if run.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"
            and (fragment_id in run.fragment_ids if fragment_id else run.fragment_ids)]


def update_gaps(runs: list[RunRecord], fragment_id: str = "", start: float = float("-inf"),
                end: float | None = None) -> list[float]:
    """Seconds between consecutive updates inside [start, end]. With ``end``, the
    wait from the last update to ``end`` counts too, so a viewer that stops
    receiving shows a long gap instead of none."""
    times = [t for t in update_times(runs, fragment_id) if t >= start and (end is None or t <= end)]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    if end is not None:
        gaps.append(end - (times[-1] if times else start))
    return gaps


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


# ---- validation against a real Chromium tab ------------------------------------
TICKER_APP = '''import time
import streamlit as st

def live():
    @st.fragment(run_every=1)
    def ticker():
        st.write(f"time {time.time():.3f}")
    st.title("live")
    ticker()

def home():
    st.write("home")

st.navigation([st.Page(home, title="Home", default=True),
               st.Page(live, title="Live", url_path="live")]).run()
'''
LECTURE_CONFIG = '[runner]\npostScriptGC = false\n[server]\nfileWatcherType = "none"\n'


async def _chromium_backmsgs(url: str, seconds: float, chromium: str) -> list[tuple[float, bytes]]:
    """Open ``url`` in headless Chromium; return the BackMsgs it sent, timestamped."""
    from playwright.async_api import async_playwright
    sent: list[tuple[float, bytes]] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, headless=True,
                                                   args=CHROMIUM_ARGS)
        page = await browser.new_page()
        page.on("websocket", lambda ws: ws.on(
            "framesent", lambda payload: sent.append((time.perf_counter(), payload))))
        await page.goto(url)
        await page.wait_for_timeout(seconds * 1000)
        await browser.close()
    return sent


def _describe(payload: bytes) -> str:
    msg = BackMsg.FromString(payload)
    msg.rerun_script.ClearField("cached_message_hashes")  # depends on what each tab cached
    return str(msg).replace("\n", " ")


async def _validate(server: StreamlitServer, seconds: float, chromium: str) -> bool:
    tab = BrowserTab(server.url, page="live", query="run=demo", name="client")
    browser_task = asyncio.create_task(
        _chromium_backmsgs(f"{server.url}/live?run=demo", seconds, chromium))
    try:
        await tab.open()
        await asyncio.sleep(seconds)
        await tab.close()
    finally:
        browser_sent = await browser_task

    def ticks(sent):
        times = [t for t, payload in sent if BackMsg.FromString(payload).rerun_script.is_auto_rerun]
        return [round(b - a, 3) for a, b in zip(times, times[1:])]

    same_first = _describe(tab.sent[0][1]) == _describe(browser_sent[0][1])
    same_tick = (len(tab.sent) > 1 and len(browser_sent) > 1
                 and _describe(tab.sent[1][1]) == _describe(browser_sent[1][1]))
    gaps = update_gaps(tab.runs)
    print(f"chromium sent {len(browser_sent)} BackMsgs, client sent {len(tab.sent)}")
    print("first BackMsg  chromium:", _describe(browser_sent[0][1]))
    print("first BackMsg  client:  ", _describe(tab.sent[0][1]))
    print("tick BackMsg   chromium:", _describe(browser_sent[1][1]))
    print("tick BackMsg   client:  ", _describe(tab.sent[1][1]))
    print(f"identical first rerun: {same_first}; identical tick rerun: {same_tick}")
    print("tick periods   chromium:", ticks(browser_sent))
    print("tick periods   client:  ", ticks(tab.sent))
    print(f"client updates received: {len([r for r in tab.runs if r.fragment_ids])} fragment runs, "
          f"gaps {[round(g, 3) for g in gaps]}, p95 {percentile(gaps, 95):.3f} s; "
          f"page text {tab.texts()}; errors {tab.errors}")
    return same_first and same_tick and bool(gaps) and percentile(gaps, 95) < 1.5


def main() -> None:
    import argparse
    import tempfile
    from pathlib import Path
    parser = argparse.ArgumentParser(description="Check this client against a real Chromium tab "
                                     "on a 10-line app with a run_every=1 fragment.")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / ".streamlit").mkdir()
        (Path(folder) / ".streamlit" / "config.toml").write_text(LECTURE_CONFIG)
        (Path(folder) / "app.py").write_text(TICKER_APP)
        with StreamlitServer("app.py", folder) as server:
            ok = asyncio.run(_validate(server, args.seconds, args.chromium))
    print("VALID" if ok else "MISMATCH")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
