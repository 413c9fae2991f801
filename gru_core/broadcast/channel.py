"""One run's live channel: a mirror of its records and the frames built from it.

The server asks the channel, once per tick, for the frame that brings every
up-to-date viewer from the previous cursor to the new one (``poll``), and
sends those same bytes to all of them. A viewer that (re)connects gets one
frame of its own (``catch_up``): the records after its cursor, or the whole
history when its cursor is of another generation or too old. Heatmaps of the
live model over the presenter's probe text are rebuilt at most every
``heatmap_interval_s`` while the model changes (``heatmaps_due`` /
``build_heatmaps``, which the server runs off its event loop).

No Streamlit, no asyncio here: the caller owns the sockets and the clock.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from .. import interpret
from ..runs import Run
from ..runs.networks import network_labels
from ..models import GateTrace
from .frames import encode_frame, heatmap_frame, history_frame

MAX_MIRRORED = 60_000          # records kept for resuming viewers (the run keeps <= ~42,000)
LIVE_PROBE_CHARS = 160         # heatmap columns pushed to the room
HEATMAP_INTERVAL_S = 6.0
NOTABLE = "notable"            # the frame of units worth a look, beside the heatmaps
NOTABLE_CHARS = 2_000          # of the training text, where the findings are measured
MAX_NOTABLE = 8


class LiveChannel:
    def __init__(self, run: Run, probe_text: str, heatmap_interval_s: float = HEATMAP_INTERVAL_S,
                 clock=time.monotonic):
        self.run = run
        self.networks = list(run.models)
        self.generation = run.generation
        self.cursor = 0
        self._mirror: deque = deque(maxlen=MAX_MIRRORED)
        self._complete_from = 0     # the mirror holds every record with seq > this
        self._lock = threading.Lock()
        self._clock, self.heatmap_interval_s = clock, heatmap_interval_s
        self._heatmaps: dict[str, bytes] = {}
        self._heatmap_version = None
        self._heatmap_built_at = float("-inf")
        self.set_probe(probe_text)

    # ------------------------------------------------------------ history

    def poll(self) -> bytes:
        """The delta frame from the last cursor to now (records and status),
        for every viewer that is up to date. Always a frame: its status is the
        room's heartbeat, even when no record is new."""
        with self._lock:
            cursor, entries = self.run.records_since(self.cursor)
            after = self.cursor
            self._remember(after, entries)
            self.cursor = cursor
            return history_frame("delta", self.generation, after, cursor, entries,
                                 self.networks, self.status())

    def catch_up(self, cursor: int | None, generation: str | None) -> bytes:
        """The one frame a (re)connecting viewer needs to be up to date with
        this channel's cursor: a delta after its cursor if that is possible
        without a gap, else the whole history (``reset``)."""
        with self._lock:
            if (generation == self.generation and cursor is not None
                    and self._complete_from <= cursor <= self.cursor):
                entries = [entry for entry in self._mirror if entry[0] > cursor]
                return history_frame("delta", self.generation, cursor, self.cursor, entries,
                                     self.networks, self.status())
            return history_frame("reset", self.generation, 0, self.cursor, list(self._mirror),
                                 self.networks, self.status(), fields=True,
                                 extra={"quantities": list(self.quantities),
                                        "labels": network_labels(self.run.model_kinds,
                                                                 self.run.config)})

    def _remember(self, after: int, entries) -> None:
        """Append to the mirror. Sequence numbers are consecutive over all
        record kinds, so a jump means the run had dropped records before this
        channel saw them: cursors before the jump can no longer resume."""
        previous = after
        for entry in entries:
            if entry[0] != previous + 1:
                self._complete_from = entry[0] - 1
            if len(self._mirror) == self._mirror.maxlen:
                self._complete_from = max(self._complete_from, self._mirror[0][0])
            self._mirror.append(entry)
            previous = entry[0]

    @property
    def quantities(self) -> tuple[str, ...]:
        """The quantities of the first network's cell, which the heatmaps show."""
        return interpret.scratch_cell(self.run.models[self.networks[0]]).QUANTITIES

    def status(self) -> dict:
        progress = self.run.progress()
        return progress | {"lr": self.run.lr, "message": self.run.message,
                           "batch": self.run.batch, "clip_theta": self.run.config.clip_theta}

    @property
    def finished(self) -> bool:
        """The run has ended and every viewer has had its last records."""
        return self.run.state.is_terminal and self.run.records_since(self.cursor)[0] == self.cursor

    # ------------------------------------------------------------ heatmaps

    def set_probe(self, text: str) -> None:
        """The text whose gates the room watches (cut to ``LIVE_PROBE_CHARS``)."""
        if getattr(self, "probe", None) is not None and self.probe.text == text[:LIVE_PROBE_CHARS]:
            return
        vocab = self.run.corpus.vocab
        probe = interpret.encode_probe(text[:LIVE_PROBE_CHARS], vocab,
                                       lowercase=interpret.suggests_lowercase(vocab))
        with self._lock:
            self.probe = probe
            self._heatmap_version = None   # rebuild at the next chance

    def heatmaps_due(self) -> bool:
        """The model moved since the last heatmaps, and they are old enough."""
        version = (self.run.epoch, self.run.batch, self.probe.text)
        return (version != self._heatmap_version
                and self._clock() - self._heatmap_built_at >= self.heatmap_interval_s)

    def build_heatmaps(self) -> dict[str, bytes]:
        """Trace the live model over the probe: one frame per quantity of its
        cell (the GRU's Z, R, H~, H; the LSTM's I, F, O, C~, C, H ...), and for
        a GRU the units worth a look over the start of its training text.
        Costs a parameter copy and a trace or two (~10-80 ms at 256 units):
        run it off the server's event loop."""
        probe = self.probe
        network = self.networks[0]
        model = self.run.snapshot_model(network)
        at = {"epoch": self.run.epoch, "batch": self.run.batch, "network": network}
        trace = interpret.scratch_cell(model).trace(probe.indices.tolist())
        vocab = self.run.corpus.vocab
        chars = [interpret.decode([i], vocab)[0] if t in probe.unknown_positions else char
                 for t, (i, char) in enumerate(zip(probe.indices, probe.chars))]
        frames = {}
        for quantity, values in trace.quantities.items():
            low, high = interpret.quantity_range(quantity, values)
            frames[quantity] = heatmap_frame(self.generation, quantity, values, low, high,
                                             chars, at)
        if isinstance(trace, GateTrace):
            frames[NOTABLE] = self._notable_frame(model, at)
        with self._lock:
            self._heatmaps = frames
            self._heatmap_version = (at["epoch"], at["batch"], probe.text)
            self._heatmap_built_at = self._clock()
        return frames

    def _notable_frame(self, model, at: dict) -> bytes:
        """The units worth a look now, in sentences (they appear as it trains)."""
        text = self.run.corpus.indices[:NOTABLE_CHARS]
        found = interpret.notable_units(model, text, self.run.corpus.vocab)
        findings = [{"unit": f.unit, "kind": f.kind, "sentence": f.sentence}
                    for f in found.findings[:MAX_NOTABLE]]
        return encode_frame({"kind": "notable", "generation": self.generation, "at": at,
                             "chars": len(text), "findings": findings})

    def notable(self) -> bytes | None:
        """The latest units-worth-a-look frame (None before the first, or for
        a cell without gates to read)."""
        with self._lock:
            return self._heatmaps.get(NOTABLE)

    def heatmap(self, quantity: str) -> bytes | None:
        """The latest heatmap frame of ``quantity`` (None before the first)."""
        with self._lock:
            return self._heatmaps.get(quantity)
