"""Inspection: what a trained GRU does, as numbers (numpy), from a model and text.

Every analysis runs the readable cell (``cells.readable_cell``), so what the
app shows is the chapter's four equations with the model's numbers. One module
per view, in the app's order: probes -> long traces and perplexity -> unit
order -> predictions -> step-through -> parity lab -> gate saturation ->
saliency -> unit search -> interventions -> gates over training, then the
labs: the best-gates exercise (``best_gates``) and the cells compared
(``comparison``). No Streamlit here; the figures live in ``gru_core.figures``.
"""
from .best_gates import (PRESETS, GateDependence, ScheduleCheck, check_schedule, d2l_answer,
                         explain_answer, gate_dependence, preset_schedule)
from .cells import readable_cell, scratch_cell
from .comparison import (cell_name, describe_perplexity, describe_reach, describe_speed,
                         far_share, half_reach, latest_by_network)
from .interventions import Intervention, ModelView, intervene, make_clamp
from .long_traces import SEGMENT_LENGTH, WARMUP, long_trace, next_char_log_probs, perplexity
from .over_training import SnapshotTrace, snapshot_traces
from .parity import PARITY_CELLS, ParityReport, parity_lab
from .predictions import TopK, sample_continuation, top_k
from .probes import MAX_PROBE_CHARS, Probe, decode, encode_probe, suggests_lowercase
from .quantities import (GATES, LSTM_QUANTITIES, QUANTITIES, QUANTITY_NAMES, QUANTITY_RANGES,
                         QUANTITY_SYMBOLS, quantity, quantity_range)
from .saliency import MemoryReach, Saliency, input_saliency, memory_reach, saliency
from .saturation import Saturation, gate_saturation, saturation_from_trace
from .step import CandidateTerms, GateTerms, StepDetails, step_details
from .unit_order import UNIT_ORDERS, order_units
from .unit_search import PatternMatch, UnitHit, find_units, match_in_corpus, pattern_runs

__all__ = [
    "GATES", "LSTM_QUANTITIES", "QUANTITIES", "QUANTITY_NAMES", "QUANTITY_RANGES",
    "QUANTITY_SYMBOLS", "quantity", "quantity_range", "readable_cell", "scratch_cell",
    "MAX_PROBE_CHARS", "Probe", "decode", "encode_probe", "suggests_lowercase",
    "SEGMENT_LENGTH", "WARMUP", "long_trace", "next_char_log_probs", "perplexity",
    "UNIT_ORDERS", "order_units",
    "TopK", "sample_continuation", "top_k",
    "CandidateTerms", "GateTerms", "StepDetails", "step_details",
    "PARITY_CELLS", "ParityReport", "parity_lab",
    "Saturation", "gate_saturation", "saturation_from_trace",
    "MemoryReach", "Saliency", "input_saliency", "memory_reach", "saliency",
    "PatternMatch", "UnitHit", "find_units", "match_in_corpus", "pattern_runs",
    "Intervention", "ModelView", "intervene", "make_clamp",
    "SnapshotTrace", "snapshot_traces",
    "PRESETS", "GateDependence", "ScheduleCheck", "check_schedule", "d2l_answer",
    "explain_answer", "gate_dependence", "preset_schedule",
    "cell_name", "describe_perplexity", "describe_reach", "describe_speed", "far_share",
    "half_reach", "latest_by_network",
]
