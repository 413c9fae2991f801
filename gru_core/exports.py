"""Downloads as bytes: metric records as CSV, a probe's trace as NPZ (no Streamlit)."""
from __future__ import annotations

import csv
import io
from typing import Iterable

import numpy as np

from .interpret import Probe
from .models import GateTrace


def records_csv(records: Iterable[dict], columns: list[str]) -> bytes:
    """Metric records (dicts) as UTF-8 CSV with ``columns`` in that order; keys
    outside ``columns`` are left out."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8")


def trace_npz(trace: GateTrace, probe: Probe) -> bytes:
    """A probe's trace as compressed .npz: Z, R, H~, H (characters x units), the
    logits, the initial state, the text's characters and its token indices."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, update_gate=trace.update_gate, reset_gate=trace.reset_gate,
                        candidate=trace.candidate, hidden=trace.hidden, logits=trace.logits,
                        initial_hidden=trace.initial_hidden, indices=np.asarray(probe.indices),
                        chars=np.array(probe.chars))
    return buffer.getvalue()
