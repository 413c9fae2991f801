"""gru_core.broadcast.frames: the wire format round-trips, compactly."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gru_core.broadcast import frames


def test_a_frame_round_trips_header_and_payload():
    frame = frames.encode_frame({"kind": "delta", "x": [1, 2.5]}, b"\x00\x01payload")
    header, payload = frames.decode_frame(frame)
    assert header == {"kind": "delta", "x": [1, 2.5]} and payload == b"\x00\x01payload"
    with pytest.raises(ValueError, match="at least 4 bytes"):
        frames.decode_frame(b"\x00")
    with pytest.raises(ValueError, match="the header says"):
        frames.decode_frame(frame[:10])


def test_records_travel_as_short_rows_by_network_index():
    networks = ["scratch", "concise"]
    record = {"step": 7, "epoch": 1, "model": "concise", "loss": 2.718281828459045,
              "grad_norm": math.inf, "clipped": True, "lr": 1.0}
    row = frames.record_row("batches", record, networks)
    assert row == [7, 1, 1, 2.71828, "inf", True, 1.0]
    back = frames.row_record("batches", row, networks)
    assert back == record | {"loss": 2.71828}
    epoch = frames.row_record("epochs", frames.record_row(
        "epochs", {"epoch": 2, "model": "scratch", "perplexity": 9.0}, networks), networks)
    assert epoch["heldout_perplexity"] is None and epoch["perplexity"] == 9.0


def test_heatmaps_are_quantised_to_256_levels_and_compressed():
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, size=(160, 256))
    frame = frames.heatmap_frame("g1", "hidden", values, -1.0, 1.0, list("x" * 160),
                                 {"epoch": 3, "batch": 24})
    header, payload = frames.decode_frame(frame)
    assert header["shape"] == [160, 256] and header["quantity"] == "hidden"
    back = frames.heatmap_values(header, payload)
    assert np.abs(back - values).max() <= 1 / 255 + 1e-12  # half a level of 2/255
    assert len(frame) < 160 * 256 * 1.05  # uniform noise barely compresses: one byte a value
    smooth = np.tile(np.linspace(0, 1, 256), (160, 1))  # gates are far from noise
    assert len(frames.heatmap_frame("g1", "update_gate", smooth, 0.0, 1.0, ["x"] * 160, {})) < 4000
    assert frames.quantise(np.array([-5.0, 0.5, 5.0]), 0.0, 1.0).tolist() == [0, 128, 255]
