"""What a viewer does with the frames it receives: the rules the browser
component follows, in Python, for tests and for the load benchmark's
simulated viewers."""
from __future__ import annotations

from .frames import decode_frame, heatmap_values, row_record


class ViewerState:
    """A viewer's copy of a run: records by kind, its cursor and generation,
    and the latest heatmap of each quantity. ``apply`` returns what happened:
    "reset", "applied", "duplicate" (ignored), "gap" (the viewer must resume
    from its cursor) or "heatmap"."""

    def __init__(self):
        self.generation: str | None = None
        self.cursor = 0
        self.networks: list[str] = []
        self.records: dict[str, list[dict]] = {}
        self.heatmaps: dict[str, dict] = {}
        self.notable: list[dict] = []
        self.quantities: list[str] = []
        self.labels: dict[str, str] = {}   # each network in words
        self.status: dict = {}

    def apply(self, frame: bytes) -> str:
        header, payload = decode_frame(frame)
        if header["kind"] == "notable":
            if header["generation"] != self.generation:
                return "duplicate"
            self.notable = header["findings"]
            return "notable"
        if header["kind"] == "heatmap":
            if header["generation"] != self.generation:
                return "duplicate"  # a heatmap of an older history
            self.heatmaps[header["quantity"]] = header | {"values": heatmap_values(header, payload)}
            return "heatmap"
        if header["kind"] == "reset":
            self.generation, self.networks = header["generation"], header["networks"]
            self.quantities = header.get("quantities", [])
            self.labels = header.get("labels", {})
            self.records = {kind: [] for kind in header["records"]}
            self.heatmaps, self.notable = {}, []
            outcome = "reset"
        elif header["generation"] != self.generation or header["after"] > self.cursor:
            return "gap"
        elif header["after"] < self.cursor:
            # records this viewer already has (a repeat), or an overlap the server
            # never sends: refuse rather than double
            return "duplicate" if header["cursor"] <= self.cursor else "gap"
        else:
            outcome = "applied"   # possibly no new record: the status alone moved on
        for kind, rows in header["records"].items():
            self.records.setdefault(kind, []).extend(
                row_record(kind, row, self.networks) for row in rows)
        self.cursor, self.status = header["cursor"], header["status"]
        return outcome
