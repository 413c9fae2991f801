"""The push channel's wire format: one frame, encoded once, sent to every viewer.

A frame is ``[4-byte big-endian header length][header: UTF-8 JSON][payload]``.
The header says what the frame is (``kind``) and where it sits in the run's
history; the payload, if any, is a zlib-compressed uint8 array (heatmaps).

- ``reset``: the whole history (what a new or lost viewer starts from).
- ``delta``: the records written since the previous frame (``after`` ->
  ``cursor``), and the run's status. A viewer applies a delta only if its own
  cursor equals ``after``; a gap means it asks to resume, a repeat is ignored.
- ``heatmap``: one quantity (Z, R, H~ or H; an LSTM's I, F, O, C~, C, H) of
  the live model over the probe text, quantised to 256 levels;
- ``notable``: the units worth a look now, in sentences with their numbers.

Records travel as rows (lists) in the order of ``FIELDS[kind]``, with the
network given by its index in the header's ``networks`` list: a batch record
is ~40 bytes instead of ~150. ``generation`` changes whenever the history is
rebuilt (a run restored from its autosave): a viewer that sees a new one
redraws from the next ``reset``.
"""
from __future__ import annotations

import json
import math
import struct
import zlib

import numpy as np

# Record fields in wire order; a field a record lacks travels as null.
FIELDS = {
    "batches": ("step", "epoch", "model", "loss", "grad_norm", "clipped", "lr"),
    "epochs": ("epoch", "model", "perplexity", "heldout_perplexity", "tokens_per_second",
               "seconds", "elapsed_s"),
    "samples": ("epoch", "model", "text"),
    "lr_changes": ("step", "epoch", "lr"),
}
SIGNIFICANT_DIGITS = 6
_HEADER_LENGTH = struct.Struct(">I")


def _compact(value):
    """Floats to 6 significant digits (the wire carries what a chart can show);
    non-finite floats as strings JSON can hold."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return value


def record_row(kind: str, record: dict, networks: list[str]) -> list:
    """One record as a row of ``FIELDS[kind]`` (the network as its index)."""
    row = []
    for name in FIELDS[kind]:
        value = record.get(name)
        if name == "model":
            value = networks.index(value) if value in networks else None
        row.append(_compact(value))
    return row


def row_record(kind: str, row: list, networks: list[str]) -> dict:
    """The inverse of ``record_row`` (floats as rounded on the wire)."""
    record = dict(zip(FIELDS[kind], row))
    if "model" in record and record["model"] is not None:
        record["model"] = networks[record["model"]]
    for name, value in record.items():
        if value in ("inf", "-inf", "nan"):
            record[name] = float(value)
    return record


def encode_frame(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return _HEADER_LENGTH.pack(len(text)) + text + payload


def decode_frame(frame: bytes) -> tuple[dict, bytes]:
    if len(frame) < _HEADER_LENGTH.size:
        raise ValueError(f"a frame has at least {_HEADER_LENGTH.size} bytes (got {len(frame)})")
    length, = _HEADER_LENGTH.unpack_from(frame)
    start = _HEADER_LENGTH.size
    if start + length > len(frame):
        raise ValueError(f"the header says {length} bytes but the frame has {len(frame) - start}")
    return json.loads(frame[start:start + length].decode("utf-8")), frame[start + length:]


def history_frame(kind: str, generation: str, after: int, cursor: int,
                  entries: list[tuple[int, str, dict]], networks: list[str],
                  status: dict, fields: bool = False, extra: dict | None = None) -> bytes:
    """A ``reset`` (``kind="reset"``, ``after`` 0) or ``delta`` frame holding
    ``entries`` (seq, record kind, record) in order; ``extra`` joins the header."""
    records = {name: [] for name in FIELDS}
    for _, record_kind, record in entries:
        records[record_kind].append(record_row(record_kind, record, networks))
    header = {"kind": kind, "generation": generation, "after": after, "cursor": cursor,
              "networks": networks, "status": {k: _compact(v) for k, v in status.items()},
              "records": records}
    if fields:
        header["fields"] = {name: list(columns) for name, columns in FIELDS.items()}
    return encode_frame(header | (extra or {}))


def quantise(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values in [low, high] to uint8 levels 0..255 (clipped outside)."""
    scaled = (np.asarray(values, np.float64) - low) / (high - low)
    return np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)


def dequantise(levels: np.ndarray, low: float, high: float) -> np.ndarray:
    return low + np.asarray(levels, np.float64) / 255 * (high - low)


def heatmap_frame(generation: str, quantity: str, values: np.ndarray, low: float,
                  high: float, chars: list[str], at: dict) -> bytes:
    """(characters, units) values of one quantity; ``at`` says which model
    (epoch, batch) computed them."""
    values = np.asarray(values)
    levels = quantise(values, low, high)
    header = {"kind": "heatmap", "generation": generation, "quantity": quantity,
              "shape": list(levels.shape), "low": low, "high": high, "chars": list(chars),
              "at": at}
    return encode_frame(header, zlib.compress(levels.tobytes(), 6))


def heatmap_values(header: dict, payload: bytes) -> np.ndarray:
    """Decode a heatmap frame's payload back to (characters, units) values."""
    levels = np.frombuffer(zlib.decompress(payload), np.uint8).reshape(header["shape"])
    return dequantise(levels, header["low"], header["high"])
