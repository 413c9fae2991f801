"""gru_core.exports: the download bytes read back as what was exported."""
from __future__ import annotations

import csv
import io

import numpy as np

from gru_core import interpret
from gru_core.data import Vocab
from gru_core.exports import records_csv, trace_npz
from gru_core.models import ScratchGRU


def test_trace_npz_round_trips_every_array_and_the_text():
    vocab = Vocab(list("abc "))
    probe = interpret.encode_probe("abc ab", vocab)
    trace = ScratchGRU(len(vocab), 6, seed=1).trace(probe.indices.tolist())
    saved = np.load(io.BytesIO(trace_npz(trace, probe)))
    for name in ("update_gate", "reset_gate", "candidate", "hidden", "logits", "initial_hidden"):
        np.testing.assert_array_equal(saved[name], getattr(trace, name))
    assert saved["update_gate"].shape == (6, 6) and saved["logits"].shape == (6, len(vocab))
    np.testing.assert_array_equal(saved["indices"], probe.indices)
    assert "".join(saved["chars"]) == "abc ab"


def test_records_csv_keeps_the_columns_in_order_and_drops_the_rest():
    records = [{"perplexity": 17.5, "epoch": 1, "model": "scratch", "ignored": 0},
               {"epoch": 2, "model": "nn.GRU, 2 layers", "perplexity": 12.25}]
    text = records_csv(records, ["epoch", "model", "perplexity"]).decode("utf-8")
    assert text.splitlines() == ["epoch,model,perplexity", "1,scratch,17.5",
                                 '2,"nn.GRU, 2 layers",12.25']
    assert list(csv.DictReader(io.StringIO(text)))[1]["model"] == "nn.GRU, 2 layers"


def test_records_csv_of_no_records_is_the_header():
    assert records_csv([], ["epoch", "loss"]) == b"epoch,loss\r\n"
