"""Live runs pushed to a room: the wire format (``frames``) and one run's
channel of frames (``channel``), and what a viewer does with them (``viewer``). The server that holds the sockets lives in
``app_server``; viewers draw with the ``app_ui`` live component."""
from .channel import LIVE_PROBE_CHARS, LiveChannel
from .frames import FIELDS, decode_frame, encode_frame, heatmap_values, row_record
from .viewer import ViewerState

__all__ = ["FIELDS", "LIVE_PROBE_CHARS", "LiveChannel", "decode_frame", "encode_frame",
           "heatmap_values", "row_record", "ViewerState"]
