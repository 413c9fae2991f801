"""Inspection: what a trained model does, as numbers (numpy), from a model and text.

Every analysis runs a readable cell (``cells.readable_cell`` for the GRU views,
``cells.scratch_cell`` for any cell), so what the app shows is the chapter's
equations with the model's numbers. One module per view, in the app's order:
probes -> long traces and perplexity -> unit order -> predictions ->
step-through -> parity lab -> gate saturation -> saliency -> unit search ->
notable units -> interventions -> gates over training, then the labs: the
best-gates exercise (``best_gates``) and the cells compared (``comparison``);
``conventions`` holds the sentences on d2l's vs PyTorch's cell. No Streamlit
here; the figures live in ``gru_core.figures``.
"""
from .best_gates import (PRESETS, GateDependence, ScheduleCheck, check_schedule, d2l_answer,
                         explain_answer, gate_dependence, preset_schedule)
from .cells import readable_cell, scratch_cell
from .comparison import (cell_name, describe_perplexity, describe_reach, describe_speed,
                         far_share, half_reach, latest_by_network)
from .conventions import (CONVENTIONS, RESET_AFTER_NOTE, RESET_BEFORE_NOTE, UPDATE_GATE_NOTE,
                          reset_note)
from .interventions import (Intervention, ModelView, comparison_texts, describe_clamp, intervene,
                            make_clamp, summarise)
from .long_traces import SEGMENT_LENGTH, WARMUP, long_trace, next_char_log_probs, perplexity
from .notable_units import (KINDS as NOTABLE_KINDS, Finding, NotableUnits, notable_units,
                            notable_units_from_trace)
from .over_training import SnapshotTrace, snapshot_traces
from .parity import PARITY_CELLS, ParityReport, parity_lab
from .predictions import TopK, sample_continuation, top_k
from .probes import DEFAULT_PROBE, MAX_PROBE_CHARS, Probe, decode, encode_probe, suggests_lowercase
from .quantities import (GATES, LSTM_QUANTITIES, QUANTITIES, QUANTITY_NAMES, QUANTITY_RANGES,
                         QUANTITY_SYMBOLS, constant_note, quantity, quantity_range)
from .saliency import MemoryReach, Saliency, input_saliency, memory_reach, saliency
from .saturation import Saturation, gate_saturation, saturation_from_trace
from .step import CandidateTerms, GateTerms, StepDetails, step_details
from .unit_order import UNIT_ORDERS, grouped_order, order_units
from .unit_search import PatternMatch, UnitHit, find_units, match_in_corpus, pattern_runs

__all__ = [
    "GATES", "LSTM_QUANTITIES", "QUANTITIES", "QUANTITY_NAMES", "QUANTITY_RANGES",
    "QUANTITY_SYMBOLS", "constant_note", "quantity", "quantity_range",
    "CONVENTIONS", "RESET_AFTER_NOTE", "RESET_BEFORE_NOTE", "UPDATE_GATE_NOTE", "reset_note",
    "readable_cell", "scratch_cell",
    "DEFAULT_PROBE", "MAX_PROBE_CHARS", "Probe", "decode", "encode_probe", "suggests_lowercase",
    "SEGMENT_LENGTH", "WARMUP", "long_trace", "next_char_log_probs", "perplexity",
    "UNIT_ORDERS", "grouped_order", "order_units",
    "TopK", "sample_continuation", "top_k",
    "CandidateTerms", "GateTerms", "StepDetails", "step_details",
    "PARITY_CELLS", "ParityReport", "parity_lab",
    "Saturation", "gate_saturation", "saturation_from_trace",
    "MemoryReach", "Saliency", "input_saliency", "memory_reach", "saliency",
    "PatternMatch", "UnitHit", "find_units", "match_in_corpus", "pattern_runs",
    "NOTABLE_KINDS", "Finding", "NotableUnits", "notable_units", "notable_units_from_trace",
    "Intervention", "ModelView", "comparison_texts", "describe_clamp", "intervene", "make_clamp",
    "summarise",
    "SnapshotTrace", "snapshot_traces",
    "PRESETS", "GateDependence", "ScheduleCheck", "check_schedule", "d2l_answer",
    "explain_answer", "gate_dependence", "preset_schedule",
    "cell_name", "describe_perplexity", "describe_reach", "describe_speed", "far_share",
    "half_reach", "latest_by_network",
]
