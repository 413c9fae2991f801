"""A headless viewer of the push route: what the browser's live view does with
its socket (connect, apply frames by the viewer rules, resume from its cursor
after a drop), with a log of what arrived when. Used by the push tests and by
bench/load_viewers.py."""
from __future__ import annotations

import asyncio
import time
import urllib.parse
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gru_core.broadcast import ViewerState, decode_frame


@dataclass
class PushViewer:
    base_url: str                     # http://127.0.0.1:PORT
    room: str                         # a run id, or "lecture"
    view: str = "hidden"
    state: ViewerState = field(default_factory=ViewerState)
    arrivals: list[float] = field(default_factory=list)   # when each delta/reset came
    first_update_at: float | None = None                  # the first frame with records
    bytes_received: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    connects: int = 0
    keep_heatmaps: bool = True    # False: count heatmap frames without decoding their values
    heatmaps_received: int = 0

    def url(self) -> str:
        params = {"view": self.view}
        if self.state.generation:
            params |= {"cursor": self.state.cursor, "generation": self.state.generation}
        host = self.base_url.replace("http://", "ws://", 1)
        return f"{host}/api/live/{urllib.parse.quote(self.room)}?{urllib.parse.urlencode(params)}"

    def _take(self, frame: bytes) -> str:
        self.bytes_received += len(frame)
        if not self.keep_heatmaps and decode_frame(frame)[0]["kind"] == "heatmap":
            self.heatmaps_received += 1
            return "heatmap"
        outcome = self.state.apply(frame)
        self.heatmaps_received += outcome == "heatmap"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome in ("applied", "reset"):
            self.arrivals.append(time.monotonic())
            if self.first_update_at is None and self.state.cursor > 0:
                self.first_update_at = self.arrivals[-1]
        return outcome

    async def follow(self, until: float, drop_at: float | None = None) -> None:
        """Stay connected until ``until`` (monotonic), reconnecting after any
        drop; at ``drop_at`` close the socket once, as a sleeping laptop would."""
        while time.monotonic() < until:
            try:
                async with connect(self.url(), max_size=None, open_timeout=30,
                                   compression=None) as socket:
                    self.connects += 1
                    while time.monotonic() < until:
                        if drop_at is not None and time.monotonic() >= drop_at:
                            drop_at = None
                            break
                        timeout = until - time.monotonic()
                        if drop_at is not None:
                            timeout = min(timeout, drop_at - time.monotonic())
                        try:
                            frame = await asyncio.wait_for(socket.recv(), max(timeout, 0.01))
                        except asyncio.TimeoutError:
                            continue
                        if self._take(frame) == "gap":
                            break  # resume from the cursor on a new socket
            except (OSError, ConnectionClosed, asyncio.TimeoutError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.5)

    def gaps(self, since: float = 0.0) -> list[float]:
        """Seconds between consecutive updates that arrived after ``since``."""
        times = [t for t in self.arrivals if t >= since]
        return [b - a for a, b in zip(times, times[1:])]
