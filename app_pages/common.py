"""What the pages share (this module is not a page): the run registry and the
run this session follows, the model a page shows, the probe text, the corpus,
the presentation mode and chart conventions.

State rules (see /work/shared/notes/streamlit-live.md): training runs live in
a process-wide registry; ``st.session_state`` holds only ids, owner tokens and
UI choices; widgets that describe a view are bound to the URL so a link
reproduces it.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from torch import nn

from gru_core import interpret, live
from gru_core.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from gru_core.data import (Corpus, CorpusError, Vocab, load_corpus_time_machine,
                           load_generated_corpus, load_text)
from gru_core.live import RunError
from gru_core.models import GateTrace, make_model
from gru_core.storage import list_checkpoints

REPO = Path(__file__).resolve().parents[1]
PRETRAINED_PATH = REPO / "assets" / "pretrained_gru.pt"

DEFAULT_PROBE = ("the time traveller for so it will be convenient to speak of him was "
                 "expounding a recondite matter to us his grey eyes shone and twinkled and "
                 "his usually pale face was flushed and animated")
MAX_PROBE_CHARS = 400

# session_state keys (everything else in session_state is a widget key)
RUN_KEY = "run_id"
TOKENS_KEY = "owner_tokens"
CHECKPOINT_KEY = "checkpoint_digest"
SEEN_STATE_KEY = "seen_run_state"

TRAIN_REFRESH_S = 1.0    # curves while training
STATUS_REFRESH_S = 2.0   # the sidebar status, on every page
FOLLOW_REFRESH_S = 5.0   # gate views that follow a training model (a heatmap tick is ~1 MB)

NETWORK_NAMES = {"scratch": "from-scratch GRU", "concise": "nn.GRU"}
SHORT_NAMES = {"scratch": "scratch", "concise": "nn.GRU"}


# ---------------------------------------------------------------- runs

@st.cache_resource(show_spinner=False)
def registry():
    """The process-wide run registry (shared by every session)."""
    return live.get_registry()


def state_of(run) -> str:
    return run.state.value


def is_active(run) -> bool:
    """Idle, running or paused: the run can still change."""
    return run is not None and not run.state.is_terminal


def followed_run():
    """The run this session shows: ``?run=<id>`` wins (a shared link), else the
    one this session started. Keeps the id in the URL so any page can be shared."""
    wanted = st.query_params.get("run") or st.session_state.get(RUN_KEY)
    if not wanted:
        return None
    try:
        run = registry().get(wanted)
    except RunError as exc:
        unfollow()
        st.warning(f"Run `{wanted}` cannot be shown: {exc} Start a new one on the Train page.")
        return None
    st.session_state[RUN_KEY] = run.id
    if st.query_params.get("run") != run.id:
        st.query_params["run"] = run.id
    return run


def follow(run, owner_token: str | None = None) -> None:
    st.session_state[RUN_KEY] = run.id
    st.query_params["run"] = run.id
    if owner_token:
        st.session_state.setdefault(TOKENS_KEY, {})[run.id] = owner_token


def unfollow() -> None:
    st.session_state.pop(RUN_KEY, None)
    if "run" in st.query_params:
        del st.query_params["run"]


def owner_token(run) -> str | None:
    return st.session_state.get(TOKENS_KEY, {}).get(run.id) if run is not None else None


def is_owner(run) -> bool:
    return owner_token(run) is not None


def control(run, command: str, **kwargs) -> bool:
    """Send pause/resume/stop/step/set_lr; a refusal becomes a message."""
    try:
        registry().control(run.id, owner_token(run), command, **kwargs)
    except (RunError, ValueError) as exc:
        st.error(str(exc))
        return False
    return True


def share_link(run) -> str:
    base = (st.context.url or "").rstrip("/")
    return f"{base}?run={run.id}" if base else f"?run={run.id}"


def format_seconds(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def sidebar_run_status() -> None:
    """The followed run's state in the sidebar, ticking on every page; each tick
    is also the heartbeat that keeps the run alive while someone watches it."""
    run = followed_run()
    with st.sidebar:
        if run is None:
            st.caption("No live run. Start one on the **Train** page, or open a shared "
                       "`?run=` link.")
            return

        @st.fragment(run_every=refresh_interval(run, STATUS_REFRESH_S))
        def status():
            registry().heartbeat(run.id)
            progress = run.progress()
            role = "presenter" if is_owner(run) else "viewer (read-only)"
            st.markdown(f"**Run `{run.id}`** · {state_of(run)} · you are the {role}")
            done = progress["epoch"] / max(progress["num_epochs"], 1)
            st.progress(min(done, 1.0), text=f"epoch {progress['epoch']}/{progress['num_epochs']}"
                                              f" · ETA {format_seconds(progress.get('eta_s'))}")
            if run.message:
                st.caption(run.message)
            rerun_on_state_change(run)

        status()
        st.caption("Share this run (viewers follow it live, read-only):")
        st.code(share_link(run), language=None, wrap_lines=True)


def refresh_interval(run, seconds: float) -> float | None:
    """Poll while the run can still change; stop polling once it has ended."""
    return seconds if is_active(run) else None


def rerun_on_state_change(run) -> None:
    """From the sidebar's polling fragment: when the run starts, pauses, resumes,
    steps or ends, one full rerun lets every fragment on the page pick its new
    ``run_every`` and show the new model (an unguarded rerun would turn every
    tick into a full rerun)."""
    seen = st.session_state.setdefault(SEEN_STATE_KEY, {})
    state = state_of(run)
    # while paused the model moves only by steps: a finished step counts as a change
    signature = (state, run.batch) if state == "paused" else (state,)
    before, seen[run.id] = seen.get(run.id), signature
    if before is not None and before != signature:
        st.rerun()


class MetricsMirror:
    """A run's records, pulled with ``run.metrics(since=cursor)`` and shared by
    every viewer of the run, so a tick copies only what is new. Bounded like
    the run's own history."""

    def __init__(self, max_batches: int = 20_000):
        self.lock = threading.Lock()
        self.cursor = 0
        self.batches = deque(maxlen=max_batches)
        self.epochs, self.samples, self.lr_changes = [], [], []

    def update(self, run) -> "MetricsMirror":
        with self.lock:
            new = run.metrics(since=self.cursor)
            self.cursor = new["cursor"]
            self.batches.extend(new["batches"])
            self.epochs.extend(new["epochs"])
            self.samples.extend(new["samples"])
            self.lr_changes.extend(new["lr_changes"])
        return self

    def epochs_of(self, model: str) -> list[dict]:
        return [record for record in self.epochs if record["model"] == model]

    def latest_samples(self) -> dict[str, dict]:
        latest = {}
        for record in self.samples:
            latest[record["model"]] = record
        return latest


@st.cache_resource(show_spinner=False, max_entries=32)
def metrics_mirror(run_id: str) -> MetricsMirror:
    return MetricsMirror()


def run_metrics(run) -> MetricsMirror:
    return metrics_mirror(run.id).update(run)


def records_csv(records, columns: list[str]) -> bytes:
    """Metric records (dicts) as CSV, for the download buttons."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8")


def trace_npz(trace: GateTrace, probe) -> bytes:
    """A probe's trace as .npz: Z, R, H~, H and logits (characters x units), the
    text and its token indices."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, update_gate=trace.update_gate, reset_gate=trace.reset_gate,
                        candidate=trace.candidate, hidden=trace.hidden, logits=trace.logits,
                        initial_hidden=trace.initial_hidden, indices=np.asarray(probe.indices),
                        chars=np.array(probe.chars))
    return buffer.getvalue()


# ---------------------------------------------------------------- presentation

PRESENTATION_CSS = """
<style>
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] button, [data-testid="stMain"] input { font-size: 1.3rem !important; }
[data-testid="stMain"] h1 { font-size: 3rem !important; }
[data-testid="stMain"] h2 { font-size: 2.2rem !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] * { font-size: 3rem !important; }
[data-testid="stMain"] .katex { font-size: 1.15em !important; }
</style>
"""
PRESENTATION_FONT_SIZE = 18  # Plotly figures in presentation mode (most sit in half-width columns)


def presenting() -> bool:
    return bool(st.session_state.get("present", False))


def presentation_toggle() -> None:
    st.toggle("Presentation mode", key="present", bind="query-params", persist_state="session",
              help="Larger fonts for a projector, fewer controls.")
    if presenting():
        st.html(PRESENTATION_CSS)


PLOTLY_CONFIG = {"displaylogo": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "gru-explainer"}}


def show_chart(figure, key: str | None = None) -> None:
    """``st.plotly_chart`` with the app's conventions: full width, a PNG export
    button, larger fonts in presentation mode."""
    figure = go.Figure(figure) if isinstance(figure, dict) else figure
    if not figure.data or presenting():
        figure = go.Figure(figure)  # a copy: the figure may be shared by other viewers
    if not figure.data:
        figure.add_scatter(x=[], y=[], showlegend=False)  # plotly refuses a figure without traces
    if presenting():
        figure.update_layout(font_size=PRESENTATION_FONT_SIZE, margin_t=110)  # room: title + legend
    # theme=None: the figures carry their own projector-friendly template and fonts
    st.plotly_chart(figure, width="stretch", theme=None, config=PLOTLY_CONFIG, key=key)


# ---------------------------------------------------------------- corpora

@st.cache_resource(show_spinner="Loading The Time Machine…", ttl=600)
def whole_book() -> tuple[Corpus | None, str | None]:
    """(the whole book, None) or (None, why it cannot be had); the failure is
    cached too, so an offline server does not retry the download on every rerun."""
    try:
        return load_corpus_time_machine(max_tokens=0), None
    except CorpusError as exc:
        return None, str(exc)


def time_machine(max_tokens: int = 10000) -> tuple[Corpus | None, str | None]:
    """The book's first ``max_tokens`` characters, d2l-style (its vocabulary is
    the whole book's, as d2l builds it), cut from the one cached copy."""
    book, problem = whole_book()
    if book is None:
        return None, problem
    return dataclasses.replace(book, indices=book.indices[:max_tokens]), None


@st.cache_resource(show_spinner=False)
def generated_corpus(max_tokens: int = 10000) -> Corpus:
    return load_generated_corpus(max_tokens)


@st.cache_resource(show_spinner=False, max_entries=16)
def uploaded_corpus(digest: str, _payload: bytes, name: str, max_tokens: int,
                    keep_case: bool) -> tuple[Corpus | None, str | None]:
    try:
        return load_text(_payload, name=name, max_tokens=max_tokens, keep_case=keep_case), None
    except CorpusError as exc:
        return None, str(exc)


def default_corpus() -> Corpus:
    """The Time Machine when it can be had, else the generated corpus."""
    corpus, _ = time_machine()
    return corpus if corpus is not None else generated_corpus()


def describe_corpus(corpus: Corpus) -> str:
    shown = "".join(token if token != " " else "␣" for token in corpus.vocab.idx_to_token[1:])
    used = len(corpus.indices)
    total = f" of {corpus.total_tokens:,}" if corpus.total_tokens > used else ""
    note = f" — {corpus.note}" if corpus.note else ""
    return (f"**{corpus.name}**: {used:,}{total} characters used, vocabulary of "
            f"{len(corpus.vocab)} tokens (`<unk>` + `{shown}`){note}")


# ---------------------------------------------------------------- checkpoints

class CheckpointStore:
    """Checkpoints loaded by users, by SHA-256 of their bytes; the session keeps
    only the digest. Bounded (least recently used out), thread-safe."""

    def __init__(self, capacity: int = 16):
        self.capacity, self.lock, self.items = capacity, threading.Lock(), OrderedDict()

    def put(self, digest: str, name: str, checkpoint: Checkpoint) -> None:
        with self.lock:
            self.items[digest] = (name, checkpoint)
            self.items.move_to_end(digest)
            while len(self.items) > self.capacity:
                self.items.popitem(last=False)

    def get(self, digest: str | None):
        with self.lock:
            if digest in self.items:
                self.items.move_to_end(digest)
                return self.items[digest]
            return None


@st.cache_resource(show_spinner=False)
def checkpoint_store() -> CheckpointStore:
    return CheckpointStore()


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def read_checkpoint(payload: bytes, name: str) -> str:
    """Load checkpoint bytes into the store and select it; returns the digest.
    Raises CheckpointError with a message for the user."""
    digest = sha256(payload)
    if checkpoint_store().get(digest) is None:
        buffer = io.BytesIO(payload)
        buffer.name = name
        checkpoint_store().put(digest, name, load_checkpoint(buffer))
    st.session_state[CHECKPOINT_KEY] = digest
    return digest


def loaded_checkpoint():
    """(name, Checkpoint) of this session's loaded checkpoint, or None."""
    return checkpoint_store().get(st.session_state.get(CHECKPOINT_KEY))


@st.cache_resource(show_spinner="Loading the pretrained model…")
def pretrained(mtime: float) -> tuple[Checkpoint | None, str | None]:
    try:
        return load_checkpoint(PRETRAINED_PATH), None
    except CheckpointError as exc:
        return None, str(exc)


def pretrained_checkpoint() -> tuple[Checkpoint | None, str | None]:
    if not PRETRAINED_PATH.is_file():
        return None, None
    return pretrained(PRETRAINED_PATH.stat().st_mtime)


def checkpoint_loader(key: str) -> None:
    """Upload a checkpoint, or load one saved in the app's data folder; a bad
    file gets the reason, never a traceback."""
    upload = st.file_uploader("Load a checkpoint (.pt)", type=["pt"], key=key,
                              help="A file saved by this app or by `python -m gru_core train "
                                   "--save`. Only tensors and plain data are read.")
    saved = {path.name: path for path in list_checkpoints()}
    left, right = st.columns([3, 1])
    chosen = left.selectbox("…or one saved on this server", list(saved), index=None,
                            key=f"{key}_saved", placeholder="none saved yet" if not saved else
                            "choose a checkpoint")
    if upload is not None:
        name, payload = upload.name, upload.getvalue()
    elif chosen is not None and right.button("Load", key=f"{key}_load"):
        name, payload = chosen, saved[chosen].read_bytes()
    else:
        return
    try:
        read_checkpoint(payload, name)
    except CheckpointError as exc:
        st.error(str(exc))
        return
    st.success(f"Loaded **{name}**. Choose *Loaded checkpoint* as the model source on the "
               f"Gates, Step and Explore pages.")


# ---------------------------------------------------------------- model sources

@dataclass
class ModelSource:
    """The model a page inspects, and where it came from (shown to the user)."""
    kind: str                      # live | checkpoint | pretrained | fresh
    label: str                     # one line for the user: what this model is
    model: nn.Module
    vocab: Vocab
    keep_case: bool
    key: str                       # changes whenever the weights change (cache key)
    network: str = "scratch"       # scratch | concise
    identity: str = ""             # the same model across weight changes (a run's network)
    run: object = None
    history: list[dict] = field(default_factory=list)     # per-epoch records
    snapshots: list[dict] = field(default_factory=list)   # [{'epoch', 'state_dict'}]
    corpus: Corpus | None = None


SOURCE_TITLES = {"live": "Live run", "checkpoint": "Loaded checkpoint",
                 "pretrained": "Pretrained (shipped)", "fresh": "Fresh model"}


@st.cache_resource(show_spinner=False, max_entries=12)
def fresh_model(tokens: tuple[str, ...], num_hiddens: int, seed: int,
                kind: str = "scratch") -> nn.Module:
    return make_model(kind, len(tokens), num_hiddens, "cpu", seed)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=120)
def live_snapshot(run_id: str, network: str, version: tuple):
    """One copy of the live weights per ``version`` (a few seconds wide while
    training), shared by every viewer of the run."""
    return registry().get(run_id).snapshot_model(network)


def live_version(run) -> tuple:
    """Changes every few seconds while the run trains, else with its position."""
    if state_of(run) == "running":
        return ("t", int(time.time() // FOLLOW_REFRESH_S))
    return ("at", run.epoch, run.batch, state_of(run))


def _live_source(run, network: str) -> ModelSource:
    model = live_snapshot(run.id, network, live_version(run))
    progress = run.progress()
    role = "you control it" if is_owner(run) else "read-only"
    label = (f"Live run `{run.id}` ({state_of(run)}, {role}) — {NETWORK_NAMES[network]} at epoch "
             f"{progress['epoch']}/{progress['num_epochs']}, batch {progress['batch_in_epoch']}")
    snapshots = [{"epoch": snapshot["epoch"], "state_dict": snapshot["state_dicts"][network]}
                 for snapshot in run.param_snapshots()]
    return ModelSource("live", label, model, run.corpus.vocab, run.corpus.keep_case,
                       f"live:{run.id}:{network}:{live_version(run)}", network,
                       f"live:{run.id}:{network}", run,
                       history=run_metrics(run).epochs_of(network), snapshots=snapshots,
                       corpus=run.corpus)


def _checkpoint_source(kind: str, name: str, checkpoint: Checkpoint, key: str) -> ModelSource:
    model = checkpoint.model
    network = "concise" if checkpoint.config.model == "concise" else "scratch"
    epochs = checkpoint.history.epochs
    trained = (f"{len(epochs)} epochs, perplexity {epochs[-1]['perplexity']:.2f}" if epochs
               else "no training history")
    title = ("Pretrained model shipped with the app" if kind == "pretrained"
             else f"Checkpoint **{name}**")
    label = (f"{title} — {NETWORK_NAMES[network]}, {model.num_hiddens} hiddens, {trained}"
             f"{', on ' + checkpoint.corpus_name if checkpoint.corpus_name else ''}")
    corpus = default_corpus()
    corpus = corpus if checkpoint.vocab.idx_to_token == corpus.vocab.idx_to_token else None
    return ModelSource(kind, label, model, checkpoint.vocab, checkpoint.keep_case, key, network,
                       key, history=epochs, snapshots=checkpoint.snapshots, corpus=corpus)


def _fresh_source() -> ModelSource:
    corpus = default_corpus()
    hiddens, seed = 256, 0
    model = fresh_model(tuple(corpus.vocab.idx_to_token), hiddens, seed)
    label = (f"Fresh, untrained model (random weights, seed {seed}, {hiddens} hiddens, vocabulary "
             f"of {corpus.name}) — its gates show no structure yet")
    key = f"fresh:{len(corpus.vocab)}:{hiddens}:{seed}"
    return ModelSource("fresh", label, model, corpus.vocab, corpus.keep_case, key, identity=key,
                       corpus=corpus)


def fresh_source_like(source: ModelSource) -> ModelSource | None:
    """The untrained counterpart of a trained model (same size and vocabulary)."""
    if source.kind == "fresh":
        return None
    tokens = tuple(source.vocab.idx_to_token)
    hiddens = source.model.num_hiddens
    model = fresh_model(tokens, hiddens, 0)
    key = f"fresh:{hash(tokens)}:{hiddens}:0"
    return ModelSource("fresh", "untrained", model, source.vocab, source.keep_case, key,
                       identity=key, corpus=source.corpus)


def available_sources(run) -> list[str]:
    kinds = []
    if run is not None and run.models:
        kinds.append("live")
    if loaded_checkpoint() is not None:
        kinds.append("checkpoint")
    if pretrained_checkpoint()[0] is not None:
        kinds.append("pretrained")
    return kinds + ["fresh"]


@dataclass(frozen=True)
class SourceChoice:
    kind: str
    network: str = "scratch"


def source_picker(run) -> SourceChoice:
    """The model-source widgets (shared by every page, bound to the URL): live
    run, loaded checkpoint, pretrained asset or a fresh model; for a lockstep
    run, which of its two networks."""
    kinds = available_sources(run)
    columns = st.columns([3, 2])
    kind = columns[0].segmented_control(
        "Model source", kinds, default=kinds[0], required=True, format_func=SOURCE_TITLES.get,
        key="source", bind="query-params", persist_state="session")
    network = "scratch"
    if kind == "live":
        names = list(run.models)
        network = names[0] if len(names) == 1 else columns[1].segmented_control(
            "Network", names, default=names[0], required=True, format_func=NETWORK_NAMES.get,
            key="net", bind="query-params", persist_state="session")
    return SourceChoice(kind, network)


def resolve_source(choice: SourceChoice, run) -> ModelSource:
    """The chosen model, with a banner that says which one is shown. Call it
    inside a live fragment to follow the training run."""
    if choice.kind == "live" and run is not None:
        source = _live_source(run, choice.network)
    elif choice.kind == "checkpoint" and loaded_checkpoint() is not None:
        name, checkpoint = loaded_checkpoint()
        source = _checkpoint_source("checkpoint", name, checkpoint,
                                    f"ckpt:{st.session_state[CHECKPOINT_KEY]}")
    elif choice.kind == "pretrained" and pretrained_checkpoint()[0] is not None:
        checkpoint, _ = pretrained_checkpoint()
        source = _checkpoint_source("pretrained", PRETRAINED_PATH.name, checkpoint,
                                    f"pretrained:{PRETRAINED_PATH.stat().st_mtime}")
    else:
        source = _fresh_source()
    banner = st.warning if source.kind == "fresh" else st.info
    banner(source.label, icon=":material/memory:")
    _, problem = pretrained_checkpoint()
    if problem:
        st.caption(f"The shipped pretrained model could not be loaded: {problem}")
    return source


def following(choice: SourceChoice, run) -> float | None:
    """How often a view that shows the live model refreshes: only while it
    trains (a paused or finished model does not change)."""
    training = choice.kind == "live" and run is not None and state_of(run) == "running"
    return FOLLOW_REFRESH_S if training else None


# ---------------------------------------------------------------- probe text

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


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_trace(source_key: str, indices: tuple[int, ...], _model) -> GateTrace:
    return interpret.readable_cell(_model).trace(list(indices))


def probe_trace(source: ModelSource, text: str):
    """(Probe, GateTrace) of the text through the source's model, or None after
    a message. Traces are shared between sessions while the weights are the same."""
    try:
        probe = interpret.encode_probe(text, source.vocab,
                                       lowercase=interpret.suggests_lowercase(source.vocab))
    except ValueError as exc:
        st.error(str(exc))
        return None
    if probe.unknown_positions:
        missing = sorted({probe.text[t] for t in probe.unknown_positions})
        st.caption(f"Not in the model's vocabulary, read as `<unk>` (outlined in red): "
                   f"{' '.join(repr(c) for c in missing)}")
    trace = _cached_trace(source.key, tuple(int(i) for i in probe.indices), source.model)
    return probe, trace


TIME_MACHINE_TRAIN_CHARS = 10_000   # d2l trains on the book's first 10,000 characters
HELDOUT_CHARS = 2_000


def is_time_machine(corpus: Corpus | None) -> bool:
    return corpus is not None and corpus.name.startswith("The Time Machine")


def corpus_stretch(source: ModelSource, num_chars: int, probe) -> tuple[list[int], str]:
    """A long stretch of the model's own corpus for saturation and unit search
    (the probe itself when the corpus is unknown, e.g. an uploaded checkpoint)."""
    if source.corpus is not None:
        indices = source.corpus.indices[:num_chars]
        return indices, f"the first {len(indices):,} characters of {source.corpus.name}"
    return list(probe.indices), "the probe text (this model's corpus is not available)"


def heldout_text(source: ModelSource, probe) -> tuple[list[int], str]:
    """Text the model did not train on, for honest perplexities: characters
    10,000-12,000 of The Time Machine when that is the model's corpus."""
    if is_time_machine(source.corpus) and source.corpus.vocab.idx_to_token == source.vocab.idx_to_token:
        book, _ = time_machine(TIME_MACHINE_TRAIN_CHARS + HELDOUT_CHARS)
        if book is not None and len(book.indices) > TIME_MACHINE_TRAIN_CHARS:
            return (book.indices[TIME_MACHINE_TRAIN_CHARS:],
                    "characters 10,000-12,000 of The Time Machine (not trained on)")
    if source.corpus is not None:
        indices = source.corpus.indices[-HELDOUT_CHARS:]
        return indices, f"the last {len(indices):,} characters of {source.corpus.name} (trained on)"
    return list(probe.indices), "the probe text"


def probe_page(render) -> None:
    """The frame of a page that inspects one probe: the model-source picker and
    the probe box, then ``render(source, probe, trace)`` inside a fragment that
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
