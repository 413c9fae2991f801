"""The probe: the text a page runs through the model, its trace (cached and
shared while the weights are the same), the frame of a page that inspects
one probe, and the unit picker."""
from __future__ import annotations

import streamlit as st

from gru_core import interpret
from gru_core.data import Cleanup
from gru_core.figures import display_char
from gru_core.interpret import DEFAULT_PROBE, MAX_PROBE_CHARS
from gru_core.models import GateTrace

from .budget import Busy, viewers_turn
from .runs import followed_run
from .sources import ModelSource, resolve_source, source_picker


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


def encode(text: str, vocab, cleanup: Cleanup | None = None) -> interpret.Probe | None:
    """The text as the vocabulary reads it, cleaned as the model's training
    text was (``cleanup``), or None after an error message."""
    try:
        return interpret.encode_probe(text, vocab, lowercase=interpret.suggests_lowercase(vocab),
                                      cleanup=cleanup)
    except ValueError as exc:
        st.error(str(exc))
        return None


def _shown(text: str) -> str:
    return "".join(display_char(char) for char in text)


def replacements_note(probe: interpret.Probe, limit: int = 6) -> str | None:
    """What the clean-up changed in the typed text, in words: "'!' became a
    space, 'é' was removed — as in training"; None when nothing changed."""
    if not probe.cleaned or not probe.replacements:
        return None
    said = []
    for change in probe.replacements:
        became = ("was removed" if not change.replacement else "became a space"
                  if change.replacement == " " else f"became '{_shown(change.replacement)}'")
        sentence = f"'{_shown(change.original)}' {became}"
        if sentence not in said:
            said.append(sentence)
    more = f" (and {len(said) - limit} more)" if len(said) > limit else ""
    return (f"Cleaned as the training text was: {', '.join(said[:limit])}{more}. The model "
            f"reads “{probe.text}”.")


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_trace(source_key: str, indices: tuple[int, ...], _model) -> GateTrace:
    """Shared between sessions while the weights are the same (a viewer's new
    one is paid inside the page's ``viewers_turn``)."""
    return interpret.readable_cell(_model).trace(list(indices))


def probe_trace(source: ModelSource, text: str) -> tuple[interpret.Probe, GateTrace] | None:
    """(Probe, GateTrace) of the text through the source's model, or None after
    a message. Traces are shared between sessions while the weights are the same."""
    probe = encode(text, source.vocab, source.cleanup)
    if probe is None:
        return None
    note = replacements_note(probe)
    if note:
        st.caption(note)
    if probe.unknown_positions:
        missing = sorted({probe.text[t] for t in probe.unknown_positions})
        st.caption(f"Not in the model's vocabulary, read as `<unk>` (outlined in red): "
                   f"{' '.join(repr(c) for c in missing)}")
    return probe, _cached_trace(source.key, tuple(int(i) for i in probe.indices), source.model)


def probe_page(render, before=None, page: str = "gates") -> None:
    """The frame of a page that inspects one probe: the source picker and the
    probe box, then ``render(source, probe, trace)`` on the model as it is now
    (a live model is copied when the page runs; no timer reruns the page).
    ``before(source, text)``, if given, runs first (e.g. the live view);
    ``page`` picks the default shipped model."""
    run = followed_run()
    choice = source_picker(run, page)
    text = probe_text()
    source = resolve_source(choice, run)
    if before is not None:
        before(source, text)
    if text is None:
        return

    def draw():
        result = probe_trace(source, text)
        if result is not None:
            render(source, *result)
    in_viewers_turn(source, "Your text through the live model", draw)


def in_viewers_turn(source: ModelSource, what: str, draw) -> None:
    """``draw()``, the rest of a page, as the viewers' budget allows
    (``budget.viewers_turn`` for a live source); refused, the page says when to
    try again and draws nothing more."""
    try:
        with viewers_turn(source.run if source.origin == "live" else None, what):
            draw()
    except Busy as exc:
        st.info(str(exc), icon=":material/hourglass_top:")


def unit_picker(num_hiddens: int, key: str = "unit", label: str = "Unit") -> int:
    """A unit number that stays valid when the model (and its size) changes."""
    if st.session_state.get(key, 0) >= num_hiddens:
        st.session_state[key] = num_hiddens - 1
    return int(st.number_input(label, min_value=0, max_value=num_hiddens - 1, value=0, key=key,
                               bind="query-params", persist_state="session",
                               help=f"0 to {num_hiddens - 1}"))


def position_picker(length: int, key: str = "t", label: str = "Position t",
                    default: int = 10) -> int:
    """A character position that stays valid when the text changes; a text of
    one character has only t = 0 (a slider from 0 to 0 is refused)."""
    if length <= 1:
        st.caption(f"{label} = 0: the text has one character.")
        return 0
    if st.session_state.get(key, 0) >= length:
        st.session_state[key] = length - 1
    return int(st.slider(label, 0, length - 1, value=min(default, length - 1), key=key,
                         bind="query-params", persist_state="session"))
