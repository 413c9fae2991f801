"""gru_core.interpret's ``__init__``: the public names the app pages use stay importable."""
from __future__ import annotations

from gru_core import interpret


def test_every_exported_name_is_there_and_the_apps_names_are_exported():
    assert all(hasattr(interpret, name) for name in interpret.__all__)
    app_names = {"readable_cell", "encode_probe", "suggests_lowercase", "order_units",
                 "QUANTITY_SYMBOLS", "QUANTITY_NAMES", "top_k", "parity_lab", "step_details",
                 "gate_saturation", "memory_reach", "match_in_corpus", "intervene", "saliency",
                 "find_units", "quantity", "make_clamp", "sample_continuation",
                 "MAX_PROBE_CHARS", "snapshot_traces", "saturation_from_trace"}
    assert app_names <= set(interpret.__all__)
