"""The push route: one live channel per watched run, one frame per tick sent to
every socket, and a frame of its own for each (re)connecting viewer.

``/api/live/<run id>`` follows one run; ``/api/live/lecture`` follows whichever
run is the lecture's (and says "waiting" until there is one). A viewer may
send ``{"view": "hidden"}`` to choose the heatmap it receives (Z, R, H~ or
H): switching views costs the server one frame, never a script rerun.

Sockets are served on the server's event loop; the training runs on its own
threads. Per tick the loop does one poll per run (a few records), one encode,
and N sends; heatmaps (a model copy and a trace) are built on a worker thread.
A viewer that cannot keep up is dropped: it reconnects by itself and resumes
from its cursor.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from gru_core import interpret
from gru_core.broadcast import LiveChannel
from gru_core.broadcast.channel import NOTABLE
from gru_core.broadcast.frames import encode_frame
from gru_core import runs
from gru_core.runs import RunError

from .lecture import hall

log = logging.getLogger(__name__)

TICK_S = 1.0            # one delta frame a second: what a curve needs
SEND_TIMEOUT_S = 5.0    # a socket that takes longer is dropped (it will resume)
LECTURE = "lecture"
DEFAULT_VIEW = "hidden"


@dataclass(eq=False)
class Viewer:
    socket: WebSocket
    view: str = DEFAULT_VIEW
    sent_bytes: int = 0


@dataclass(eq=False)
class Room:
    """The sockets following one run (or the lecture), and its channel."""
    channel: LiveChannel | None = None
    viewers: set = field(default_factory=set)
    building: bool = False  # a heatmap build is in flight


class PushHub:
    def __init__(self, default_probe: str, tick_s: float = TICK_S):
        self.default_probe, self.tick_s = default_probe, tick_s
        self.rooms: dict[str, Room] = {}
        self.frames_sent = 0
        self.bytes_sent = 0

    # ------------------------------------------------------------ rooms

    def _run_id_of(self, room_id: str) -> str | None:
        return hall().run_id if room_id == LECTURE else room_id

    def _channel_for(self, room: Room, room_id: str) -> LiveChannel | None:
        """The room's channel, rebuilt when it follows another run (the
        lecture moved on) or the run was restored (a new generation)."""
        run_id = self._run_id_of(room_id)
        if run_id is None:
            room.channel = None
            return None
        try:
            run = runs.get_registry().get(run_id)
        except RunError:
            room.channel = None
            return None
        if room.channel is None or room.channel.run is not run:
            probe = (hall().probe_text if room_id == LECTURE else None) or self.default_probe
            room.channel = LiveChannel(run, probe)
        return room.channel

    def set_probe(self, run_id: str, text: str) -> None:
        """The presenter's probe text: every room on that run shows its gates."""
        for room in self.rooms.values():
            if room.channel is not None and room.channel.run.id == run_id:
                room.channel.set_probe(text)

    # ------------------------------------------------------------ sockets

    async def serve(self, socket: WebSocket) -> None:
        """One viewer's connection, from accept to close."""
        room_id = socket.path_params["room"]
        await socket.accept()
        viewer = Viewer(socket, socket.query_params.get("view", DEFAULT_VIEW))
        room = self.rooms.setdefault(room_id, Room())
        channel = self._channel_for(room, room_id)
        try:
            if channel is None:
                await self._send(viewer, self._waiting(room_id))
            else:  # up to the channel's cursor; the room's next delta goes on from there
                runs.get_registry().heartbeat(channel.run.id)
                cursor = socket.query_params.get("cursor")
                await self._send(viewer, channel.catch_up(int(cursor) if cursor else None,
                                                          socket.query_params.get("generation")))
                await self._send_heatmap(viewer, channel)
            room.viewers.add(viewer)
            while True:
                message = json.loads(await socket.receive_text())
                if message.get("view") in interpret.QUANTITY_NAMES:
                    viewer.view = message["view"]
                    if room.channel is not None:
                        await self._send_heatmap(viewer, room.channel)
        except (WebSocketDisconnect, RuntimeError, ValueError, OSError):
            pass
        finally:
            room.viewers.discard(viewer)

    @staticmethod
    def _waiting(room_id: str) -> bytes:
        message = ("Waiting for the presenter to start the lecture's run…" if room_id == LECTURE
                   else "This run is not on the server any more (released, or the server "
                        "restarted without it).")
        return encode_frame({"kind": "waiting", "message": message})

    async def _send(self, viewer: Viewer, frame: bytes) -> None:
        await asyncio.wait_for(viewer.socket.send_bytes(frame), SEND_TIMEOUT_S)
        viewer.sent_bytes += len(frame)
        self.frames_sent += 1
        self.bytes_sent += len(frame)

    async def _send_heatmap(self, viewer: Viewer, channel: LiveChannel) -> None:
        """The latest heatmap of the viewer's view, and the units worth a look
        (for every viewer that shows gates)."""
        for frame in (channel.heatmap(viewer.view), self._notable_for(viewer, channel.notable())):
            if frame is not None:
                await self._send(viewer, frame)

    @staticmethod
    def _notable_for(viewer: Viewer, frame: bytes | None) -> bytes | None:
        return frame if viewer.view != "none" else None

    async def _broadcast(self, room: Room, frames) -> None:
        """Send each viewer its frame (same bytes for all who share a view);
        drop the ones that fail or stall."""
        async def send(viewer):
            frame = frames(viewer)
            if frame is None:
                return
            try:
                await self._send(viewer, frame)
            except (asyncio.TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
                room.viewers.discard(viewer)
                with contextlib.suppress(Exception):
                    await viewer.socket.close()
        await asyncio.gather(*(send(viewer) for viewer in list(room.viewers)))

    # ------------------------------------------------------------ the loop

    async def run_forever(self) -> None:
        """Tick: every room with viewers gets its delta (and new heatmaps)."""
        while True:
            started = time.monotonic()
            for room_id, room in list(self.rooms.items()):
                try:
                    await self._tick(room_id, room)
                except Exception:  # one room's trouble must not stop the others
                    log.exception("push tick failed for room %s", room_id)
            await asyncio.sleep(max(0.0, self.tick_s - (time.monotonic() - started)))

    async def _tick(self, room_id: str, room: Room) -> None:
        if not room.viewers:
            return
        before = room.channel
        channel = self._channel_for(room, room_id)
        if channel is None:
            waiting = self._waiting(room_id)
            await self._broadcast(room, lambda viewer: waiting)
            return
        if channel is not before:  # a new run (or a restored one): everyone starts over
            reset = channel.catch_up(None, None)
            await self._broadcast(room, lambda viewer: reset)
        runs.get_registry().heartbeat(channel.run.id)  # watched: keep it alive
        delta = channel.poll()
        await self._broadcast(room, lambda viewer: delta)
        if not room.building and channel.heatmaps_due():
            room.building = True
            try:
                built = await anyio.to_thread.run_sync(channel.build_heatmaps)
            finally:
                room.building = False
            await self._broadcast(room, lambda viewer: built.get(viewer.view))
            await self._broadcast(room, lambda viewer: self._notable_for(viewer,
                                                                          built.get(NOTABLE)))

    def stats(self) -> dict:
        """For benchmarks and the health of a lecture."""
        return {"rooms": {room_id: len(room.viewers) for room_id, room in self.rooms.items()},
                "frames_sent": self.frames_sent, "bytes_sent": self.bytes_sent}
