"""The probe: the text a page runs through the model, its trace (cached and
shared while the weights are the same), the frame of a page that inspects
one probe, and the unit picker."""
from __future__ import annotations

import streamlit as st

from gru_core import interpret
from gru_core.interpret import MAX_PROBE_CHARS
from gru_core.models import GateTrace

from .runs import followed_run
from .sources import ModelSource, following, resolve_source, source_picker

DEFAULT_PROBE = ("the time traveller for so it will be convenient to speak of him was "
                 "expounding a recondite matter to us his grey eyes shone and twinkled and "
                 "his usually pale face was flushed and animated")


def probe_text(key: str = "probe", default: str = DEFAULT_PROBE) -> str | None:
    """The probe text box (bound to the URL); None with a message when empty."""
    text = st.text_input("Probe text", value=default, key=key, max_chars=MAX_PROBE_CHARS,
                         bind="query-params", persist_state="session",
                         help="Any text: the model reads it one character at a time. "
                              "Characters outside the model's vocabulary are outlined in red "
                              "and read as <unk>.")
    if not text.strip():
        st.info("The probe text is empty: type a sentence for the model to read.")
        return None
    return text


def encode(text: str, vocab) -> interpret.Probe | None:
    """The text as the vocabulary reads it, or None after an error message."""
    try:
        return interpret.encode_probe(text, vocab, lowercase=interpret.suggests_lowercase(vocab))
    except ValueError as exc:
        st.error(str(exc))
        return None


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_trace(source_key: str, indices: tuple[int, ...], _model) -> GateTrace:
    return interpret.readable_cell(_model).trace(list(indices))


def probe_trace(source: ModelSource, text: str) -> tuple[interpret.Probe, GateTrace] | None:
    """(Probe, GateTrace) of the text through the source's model, or None after
    a message. Traces are shared between sessions while the weights are the same."""
    probe = encode(text, source.vocab)
    if probe is None:
        return None
    if probe.unknown_positions:
        missing = sorted({probe.text[t] for t in probe.unknown_positions})
        st.caption(f"Not in the model's vocabulary, read as `<unk>` (outlined in red): "
                   f"{' '.join(repr(c) for c in missing)}")
    trace = _cached_trace(source.key, tuple(int(i) for i in probe.indices), source.model)
    return probe, trace


def probe_page(render) -> None:
    """The frame of a page that inspects one probe: the source picker and the
    probe box, then ``render(source, probe, trace)`` inside a fragment that
    follows a live run's model every few seconds (and stops when the run ends)."""
    run = followed_run()
    choice = source_picker(run)
    text = probe_text()

    @st.fragment(run_every=following(choice, run))
    def view():
        source = resolve_source(choice, run)
        result = probe_trace(source, text) if text is not None else None
        if result is not None:
            render(source, *result)

    view()


def unit_picker(num_hiddens: int, key: str = "unit", label: str = "Unit") -> int:
    """A unit number that stays valid when the model (and its size) changes."""
    if st.session_state.get(key, 0) >= num_hiddens:
        st.session_state[key] = num_hiddens - 1
    return int(st.number_input(label, min_value=0, max_value=num_hiddens - 1, value=0, key=key,
                               bind="query-params", persist_state="session",
                               help=f"0 to {num_hiddens - 1}"))
