"""Explore: gate saturation, gates over training time, saliency and memory
reach, unit search, gate interventions and sampling — one view at a time, on
the chosen model. Views compute on the model as it is when the page renders;
the heavy numbers are cached per model and settings, shared by all viewers."""
import html

import numpy as np
import streamlit as st

from app_ui.display import NETWORK_NAMES, show_chart
from app_ui.probe import encode, in_viewers_turn, probe_text, probe_trace
from app_ui.runs import followed_run
from app_ui.sources import (SOURCE_TITLES, comparison, corpus_stretch, fresh_source_like,
                            resolve_source, source_picker)
from gru_core import figures, interpret
from gru_core.models import NO_CLAMP, GateTrace, model_from_weights

VIEWS = {"saturation": "Gate saturation", "training": "Gates over training",
         "saliency": "Saliency", "search": "Unit search", "intervene": "Interventions",
         "sample": "Sample"}
SEARCH_QUANTITIES = {"hidden": "H (state)", "update_gate": "Z (update)",
                     "reset_gate": "R (reset)"}
GATE_CHOICES = {"update_gate": "Z (update gate)", "reset_gate": "R (reset gate)"}
REACH_CHARS = 200      # text for the memory-reach curve (each position needs 40 characters of past)
PLAY_INTERVAL_S = 1.5


def bound(widget, *args, **kwargs):
    """Every view setting is kept for the session and written into the URL."""
    return widget(*args, bind="query-params", persist_state="session", **kwargs)


# ---------------------------------------------------------------- cached numbers

@st.cache_resource(show_spinner="Measuring saturation…", max_entries=16)
def saturation(key: str, stretch: str, low: float, high: float, _model, _indices):
    return interpret.gate_saturation(_model, _indices, low, high)


@st.cache_resource(show_spinner=False, max_entries=64)
def snapshot_trace(identity: str, epoch: int, probe_text: str, _snapshot, _indices) -> GateTrace:
    """The probe through the model at one snapshot (``interpret.snapshot_traces``),
    cached per epoch so a live run's new snapshots cost one trace each."""
    return interpret.snapshot_traces([_snapshot], _indices)[0].trace


@st.cache_resource(show_spinner=False, max_entries=16)
def snapshot_model(identity: str, epoch: int, _state_dict):
    return model_from_weights(_state_dict)


@st.cache_resource(show_spinner="Following gradients back through time…", max_entries=16)
def memory_reach(key: str, stretch: str, _model, _indices):
    return interpret.memory_reach(_model, _indices)


@st.cache_resource(show_spinner="Searching the corpus…", max_entries=16)
def corpus_matches(key: str, stretch: str, units: tuple, threshold: float, quantity: str,
                   span_length: int, _model, _indices, _vocab):
    return interpret.match_in_corpus(_model, _indices, _vocab, list(units), threshold, quantity,
                                     span_length)


@st.cache_resource(show_spinner="Running the clamped model…", max_entries=16)
def intervention(key: str, probe_text: str, clamp_key: str, texts: str, _model, _probe,
                 _vocab, _clamp, _heldout, _training):
    return interpret.intervene(_model, _probe, _vocab, _clamp, _heldout,
                               training_indices=_training)


# ---------------------------------------------------------------- views

def saturation_view(source, probe) -> None:
    st.markdown("For every unit, how often each gate is nearly **shut** (below the left "
                "threshold) and nearly **open** (above the right one) over a long stretch of "
                "text — Karpathy, Johnson & Fei-Fei (2015). Units on the diagonal are always "
                "saturated: they act as switches.")
    left, middle, right = st.columns(3)
    num_chars = 5000
    if source.corpus is not None:  # without one the probe is the text: nothing to choose
        num_chars = bound(left.select_slider, "Characters of text", [1000, 2000, 5000, 10000],
                          value=5000, key="sat_chars")
    low = bound(middle.slider, "Shut below", 0.0, 0.5, 0.1, 0.01, key="sat_low")
    high = bound(right.slider, "Open above", 0.5, 1.0, 0.9, 0.01, key="sat_high")
    indices, where = corpus_stretch(source, num_chars, probe)
    result = saturation(source.key, where, low, high, source.model, indices)
    st.caption(f"Over {where}.")
    show_chart(figures.saturation_scatter(result), key="saturation")


def training_view(source, probe) -> None:
    snapshots = sorted(source.snapshots, key=lambda s: s["epoch"])
    if not snapshots:
        st.info("This model has no parameter snapshots over training. Start a run on the Train "
                "page (it keeps one every few epochs), or load a checkpoint saved with them.")
        return
    epochs = [int(s["epoch"]) for s in snapshots]
    playing = st.toggle("Play", key="snap_play", help="Step through the snapshots on a timer.")

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def over_time():
        if st.session_state.get("snap_epoch") not in epochs:
            st.session_state["snap_epoch"] = epochs[-1]
        elif playing:
            position = epochs.index(st.session_state["snap_epoch"])
            st.session_state["snap_epoch"] = epochs[(position + 1) % len(epochs)]
        epoch = st.select_slider("Epoch", epochs, key="snap_epoch")
        snapshot = snapshots[epochs.index(epoch)]
        trace = snapshot_trace(source.identity, epoch, probe.text, snapshot, probe.indices)
        model = snapshot_model(source.identity, epoch, snapshot["state_dict"])
        left, right = st.columns(2)
        with left:
            if source.history:  # the slider's epochs as ticks, the one shown highlighted
                show_chart(figures.snapshot_curve(source.history, epochs, epoch,
                                                  NETWORK_NAMES[source.network]),
                           key="snap_curve")
            else:
                st.caption("No per-epoch history for this model.")
        with right:
            indices, where = corpus_stretch(source, 2000, probe)
            show_chart(figures.saturation_scatter(
                saturation(f"{source.identity}:epoch{epoch}", where, 0.1, 0.9, model, indices)),
                key="snap_saturation")
        show_chart(figures.gate_panels(trace, probe.chars, None, probe.unknown_positions,
                                       title=f"Gates and states at epoch {epoch}"),
                   key="snap_panels", wide=True)

    over_time()


def saliency_view(source, probe) -> None:
    st.markdown("How much each earlier character moves the model's log-probability of the "
                "next character (the gradient with respect to each input, normalised).")
    length = len(probe.indices)
    if length < 2:
        st.info("The probe needs at least two characters.")
        return
    if st.session_state.get("sal_t", 0) >= length - 1:
        st.session_state["sal_t"] = length - 2
    t = bound(st.slider, "Predict the character after position", 0, length - 2,
              value=min(60, length - 2), key="sal_t")
    result = interpret.saliency(source.model, probe.indices, t)
    target = source.vocab.idx_to_token[result.target]
    st.markdown(f"After reading up to **'{figures.display_char(probe.chars[t])}'** (position "
                f"{t}) the model gives the true next character **'{figures.display_char(target)}'**"
                f" probability {np.exp(result.log_prob):.1%}.")
    st.html(figures.colored_text_html(probe.chars[:t + 1], result.weights, "saliency",
                                      label="share of influence"))
    show_chart(figures.saliency_bars(probe.chars, result, target), key="saliency")
    indices, where = corpus_stretch(source, REACH_CHARS, probe)
    models = {SOURCE_TITLES[source.origin]: source}
    untrained = fresh_source_like(source)
    if untrained is not None:  # the same architecture before training, for contrast
        models["Untrained (random weights)"] = untrained
    try:
        reaches = {name: memory_reach(model.key, where, model.model, indices)
                   for name, model in models.items()}
    except ValueError as exc:
        st.info(f"No memory-reach curve: {exc}")
        return
    show_chart(figures.memory_reach_figure(reaches), key="memory_reach")
    st.caption(f"Averaged over positions of {where}.")


def marked_text_html(chars, start: int, end: int) -> str:
    shown = [html.escape(c) for c in chars]
    return ('<div style="font-family:monospace;font-size:1.3rem;line-height:1.9;'
            'white-space:pre-wrap;word-break:break-all">' + "".join(shown[:start])
            + '<mark style="background:#fde725">' + "".join(shown[start:end]) + "</mark>"
            + "".join(shown[end:]) + "</div>")


def matches_html(matches) -> str:
    rows = [f'<div style="font-family:monospace;font-size:1.1rem;white-space:pre">'
            f'{m.start:>6}  …{html.escape(m.before)}<mark style="background:#fde725">'
            f'{html.escape(m.text)}</mark>{html.escape(m.after)}…</div>' for m in matches]
    return "".join(rows)


def search_view(source, probe, trace) -> None:
    st.markdown("Mark a span of the probe: the app finds units that are **on** over it and "
                "**off** around it, then looks for the same on/off pattern in the corpus "
                "(in the spirit of LSTMVis).")
    length = len(probe.indices)
    default_start = max(probe.text.find("traveller"), 0)
    default_span = (default_start, min(default_start + 9, length))
    span = st.session_state.get("span")
    if span is not None and not (0 <= span[0] < span[1] <= length):
        st.session_state["span"] = default_span
    start, end = bound(st.slider, "Marked span (characters)", 0, length, default_span,
                       key="span")
    st.html(marked_text_html(probe.chars, start, end))
    left, middle, right = st.columns(3)
    quantity = bound(left.segmented_control, "Search in", list(SEARCH_QUANTITIES),
                     default="hidden", required=True, format_func=SEARCH_QUANTITIES.get,
                     key="search_q")
    threshold = bound(middle.slider, "On above", -1.0 if quantity == "hidden" else 0.0, 1.0,
                      0.5, 0.05, key="search_threshold")
    margin = bound(right.number_input, "Off within (characters either side)", 1, 20, 3,
                   key="search_margin")
    try:
        hits = interpret.find_units(interpret.quantity(trace, quantity), start, end, threshold,
                                    int(margin))
    except ValueError as exc:
        st.warning(str(exc))
        return
    if not hits:
        st.info("No unit is on over the span and off around it at this threshold. Try a "
                "lower threshold or another span.")
        return
    st.dataframe([{"unit": h.unit, "match score": round(h.score, 3),
                   "mean inside": round(h.inside_mean, 3),
                   "mean around": round(h.outside_mean, 3)} for h in hits],
                 hide_index=True, width="stretch")
    units = st.multiselect("Units to look for in the corpus", [h.unit for h in hits],
                           default=[hits[0].unit], key="search_units")
    if not units:
        return
    values = interpret.quantity(trace, quantity)[:, units[0]]
    st.html(figures.colored_text_html(probe.chars, values, quantity, probe.unknown_positions,
                                      label=f"{interpret.QUANTITY_SYMBOLS[quantity]}[{units[0]}]"))
    st.caption(f"Unit {units[0]} over the probe: it should light up on the marked span.")
    indices, where = corpus_stretch(source, 5000, probe)
    matches = corpus_matches(source.key, where, tuple(sorted(units)), threshold, quantity,
                             end - start, source.model, indices, source.vocab)
    st.markdown(f"**{len(matches)} places** in {where} where unit"
                f"{'s' if len(units) > 1 else ''} {', '.join(map(str, units))} switch on "
                f"together (closest in length to the marked span first):")
    if matches:
        st.html(matches_html(matches))


def intervene_view(source, probe) -> None:
    st.markdown("Clamp a gate to a fixed value and compare the model with and without the "
                "clamp: Z = 1 freezes the state, Z = 0 leaves only the candidate, R = 0 makes "
                "the candidate ignore the past.")
    left, middle, right = st.columns(3)
    gate = bound(left.segmented_control, "Gate", list(GATE_CHOICES), default="update_gate",
                 required=True, format_func=GATE_CHOICES.get, key="clamp_gate")
    value = bound(middle.slider, "Clamp to", 0.0, 1.0, 1.0, 0.05, key="clamp_value")
    everyone = bound(right.toggle, "All units", value=True, key="clamp_all")
    units = None
    if not everyone:
        units = st.multiselect("Units to clamp", list(range(source.model.num_hiddens)),
                               default=[0], key="clamp_units")
        if not units:
            st.info("Choose at least one unit to clamp.")
            return
    clamp = interpret.make_clamp(source.model.num_hiddens, gate, value, units)
    training, heldout, texts = comparison(source, probe)
    result = intervention(source.key, probe.text, repr(clamp), texts, source.model,
                          probe.indices, source.vocab, clamp, heldout, training)
    base, clamped = result.baseline, result.clamped
    rows = [("held-out text", base.perplexity, clamped.perplexity)]
    if training is not None:
        rows.insert(0, ("training text", base.training_perplexity, clamped.training_perplexity))
    for name, before, after in rows:
        columns = st.columns(2)
        columns[0].metric(f"Perplexity on the {name}, unclamped", f"{before:.2f}")
        columns[1].metric(f"Perplexity on the {name}, clamped", f"{after:.2f}",
                          delta=f"{after - before:+.2f}", delta_color="inverse")
    st.markdown(result.summary)
    st.caption(texts)
    show_chart(figures.log_prob_comparison(
        probe.chars, {"unclamped": base.next_log_probs, "clamped": clamped.next_log_probs}),
        key="clamp_log_probs")
    for column, title, side in zip(st.columns(2), ("Unclamped", "Clamped"), (base, clamped)):
        with column:
            st.markdown(f"**{title}** — greedy continuation of the probe:")
            st.code(side.sample if side.sample.strip() else side.sample.replace(" ", "␣"),
                    language=None, wrap_lines=True)
            side_clamp = clamp if side is clamped else NO_CLAMP
            show_chart(figures.quantity_heatmap(side.trace, probe.chars, "hidden", None,
                                                probe.unknown_positions, window=50,
                                                title=f"Hidden state H, {title.lower()}",
                                                clamp=side_clamp),
                       key=f"clamp_heatmap_{title}")
            note = interpret.constant_note(side.trace, "hidden", side_clamp)
            if note:
                st.caption(f"{note}.")


def sample_view(source) -> None:
    left, middle, right = st.columns(3)
    temperature = bound(left.slider, "Temperature", 0.0, 2.0, 0.8, 0.05, key="temperature",
                        help="0: always the likeliest character (d2l's greedy prediction).")
    length = bound(middle.slider, "Characters to write", 10, 500, 200, 10, key="sample_chars")
    seed = bound(right.number_input, "Seed", 0, 2**31 - 1, 0, key="sample_seed")
    start = source.corpus.sample_prefix if source.corpus is not None else "time traveller"
    prefix_text = bound(st.text_input, "Prefix", value=start, key="prefix", max_chars=200,
                        help="What the model continues: by default how its training text "
                             "starts (d2l's 'time traveller' for the book).")
    if not prefix_text.strip():
        st.info("Type a prefix for the model to continue.")
        return
    prefix = encode(prefix_text, source.vocab, source.cleanup)
    if prefix is None:
        return
    text = interpret.sample_continuation(source.model, prefix.indices, source.vocab,
                                         int(length), float(temperature), seed=int(seed))
    st.code(prefix.text + text, language=None, wrap_lines=True)


# ---------------------------------------------------------------- page

st.title("Explore")
run = followed_run()
choice = source_picker(run, "explore")
view = bound(st.segmented_control, "View", list(VIEWS), default="saturation", required=True,
             format_func=VIEWS.get, key="view")
source = resolve_source(choice, run)


# Saturation measured over the corpus needs no probe; every other view but Sample does.
over_corpus = view == "saturation" and source.corpus is not None
probe_box = probe_text() if view != "sample" and not over_corpus else None


def draw_view() -> None:
    if view == "sample":
        sample_view(source)
    elif over_corpus:
        saturation_view(source, None)
    else:
        result = probe_trace(source, probe_box) if probe_box else None
        if result is None:
            return
        probe, trace = result
        if view == "saturation":
            saturation_view(source, probe)
        elif view == "training":
            training_view(source, probe)
        elif view == "saliency":
            saliency_view(source, probe)
        elif view == "search":
            search_view(source, probe, trace)
        else:
            intervene_view(source, probe)


in_viewers_turn(source, f"The {VIEWS[view].lower()} view of the live model", draw_view)
