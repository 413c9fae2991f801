"""The model a page inspects, and its source (gru_core's glossary): a live
run, a loaded checkpoint, the pretrained model shipped in ``assets/``, or a
fresh untrained model. The picker is shared by every page and bound to the
URL; ``resolve_source`` says in a banner which model is shown."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import streamlit as st
from torch import nn

from gru_core.checkpoint import Checkpoint
from gru_core.config import D2L
from gru_core.data import Corpus, Vocab
from gru_core.models import make_model
from gru_core.runs import Run, RunState
from gru_core.training import network_of

from .checkpoints import PRETRAINED_PATH, loaded_checkpoint, loaded_digest, pretrained_checkpoint
from .corpora import default_corpus
from .display import NETWORK_NAMES
from .runs import MODEL_REFRESH_S, is_owner, records, registry

SOURCE_TITLES = {"live": "Live run", "checkpoint": "Loaded checkpoint",
                 "pretrained": "Pretrained (shipped)", "fresh": "Fresh model"}
HELDOUT_CHARS = 2_000   # text for perplexities


@dataclass
class ModelSource:
    """The model a page inspects, and where it came from (shown to the user)."""
    origin: str                    # which source: a key of SOURCE_TITLES
    label: str                     # one line for the user: what this model is
    model: nn.Module
    vocab: Vocab
    keep_case: bool
    key: str                       # changes whenever the weights change (cache key)
    network: str = "scratch"       # scratch | concise
    identity: str = ""             # the same model across weight changes (a run's network)
    run: Run | None = None
    history: list[dict] = field(default_factory=list)     # per-epoch records
    snapshots: list[dict] = field(default_factory=list)   # [{'epoch', 'state_dict'}]
    corpus: Corpus | None = None   # what it trained on (indices) and did not (heldout), if known


@dataclass(frozen=True)
class SourceChoice:
    origin: str
    network: str = "scratch"


@st.cache_resource(show_spinner=False, max_entries=12)
def fresh_model(tokens: tuple[str, ...], num_hiddens: int, seed: int,
                kind: str = "scratch") -> nn.Module:
    """An untrained model of this model kind, shared while its settings are the same."""
    return make_model(kind, len(tokens), num_hiddens, "cpu", seed)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=120)
def live_snapshot(run_id: str, network: str, version: tuple) -> nn.Module:
    """One copy of the live weights per ``version`` (a few seconds wide while
    training), shared by every viewer of the run."""
    return registry().get(run_id).snapshot_model(network)


def live_version(run: Run) -> tuple:
    """Changes every few seconds while the run trains, else with its position."""
    if run.state is RunState.RUNNING:
        return ("t", int(time.time() // MODEL_REFRESH_S))
    return ("at", run.epoch, run.batch, run.state.value)


def _live_source(run: Run, network: str) -> ModelSource:
    model = live_snapshot(run.id, network, live_version(run))
    progress = run.progress()
    role = "you control it" if is_owner(run) else "read-only"
    label = (f"Live run `{run.id}` ({run.state.value}, {role}) — {NETWORK_NAMES[network]} at "
             f"epoch {progress['epoch']}/{progress['num_epochs']}, batch "
             f"{progress['batch_in_epoch']}")
    snapshots = [{"epoch": snapshot["epoch"], "state_dict": snapshot["state_dicts"][network]}
                 for snapshot in run.param_snapshots()]
    return ModelSource("live", label, model, run.corpus.vocab, run.corpus.keep_case,
                       f"live:{run.id}:{network}:{live_version(run)}", network,
                       f"live:{run.id}:{network}", run, history=records(run).epochs_of(network),
                       snapshots=snapshots, corpus=run.corpus)


def _checkpoint_source(origin: str, name: str, checkpoint: Checkpoint, key: str) -> ModelSource:
    model, network = checkpoint.model, network_of(checkpoint.model)
    epochs = checkpoint.history.epochs
    trained = (f"{len(epochs)} epochs, perplexity {epochs[-1]['perplexity']:.2f}" if epochs
               else "no training history")
    title = ("Pretrained model shipped with the app" if origin == "pretrained"
             else f"Checkpoint **{name}**")
    label = (f"{title} — {NETWORK_NAMES[network]}, {model.num_hiddens} hiddens, {trained}"
             f"{', on ' + checkpoint.corpus_name if checkpoint.corpus_name else ''}")
    # The default corpus, cut where the checkpoint's own training stopped, when it
    # has the same vocabulary; else the corpus is unknown (the probe stands in).
    corpus = default_corpus()
    corpus = (corpus.first(checkpoint.config.max_tokens)
              if checkpoint.vocab.idx_to_token == corpus.vocab.idx_to_token else None)
    return ModelSource(origin, label, model, checkpoint.vocab, checkpoint.keep_case, key, network,
                       key, history=epochs, snapshots=checkpoint.snapshots, corpus=corpus)


def _fresh(vocab: Vocab, keep_case: bool, corpus: Corpus | None, num_hiddens: int,
           label: str) -> ModelSource:
    tokens = tuple(vocab.idx_to_token)
    model = fresh_model(tokens, num_hiddens, D2L.seed)
    key = f"fresh:{hash(tokens)}:{num_hiddens}:{D2L.seed}"
    return ModelSource("fresh", label, model, vocab, keep_case, key, identity=key, corpus=corpus)


def _fresh_source() -> ModelSource:
    corpus = default_corpus()
    label = (f"Fresh, untrained model (random weights, seed {D2L.seed}, {D2L.num_hiddens} "
             f"hiddens, vocabulary of {corpus.name}) — its gates show no structure yet")
    return _fresh(corpus.vocab, corpus.keep_case, corpus, D2L.num_hiddens, label)


def fresh_source_like(source: ModelSource) -> ModelSource | None:
    """The untrained counterpart of a trained model (same size and vocabulary)."""
    if source.origin == "fresh":
        return None
    return _fresh(source.vocab, source.keep_case, source.corpus, source.model.num_hiddens,
                  "untrained")


def available_sources(run: Run | None) -> list[str]:
    origins = []
    if run is not None and run.models:
        origins.append("live")
    if loaded_checkpoint() is not None:
        origins.append("checkpoint")
    if pretrained_checkpoint()[0] is not None:
        origins.append("pretrained")
    return origins + ["fresh"]


def source_picker(run: Run | None) -> SourceChoice:
    """The source widgets (bound to the URL): live run, loaded checkpoint,
    pretrained asset or a fresh model; for a lockstep run, which network."""
    origins = available_sources(run)
    columns = st.columns([3, 2])
    origin = columns[0].segmented_control(
        "Model source", origins, default=origins[0], required=True, format_func=SOURCE_TITLES.get,
        key="source", bind="query-params", persist_state="session")
    network = "scratch"
    if origin == "live":
        names = list(run.models)
        network = names[0] if len(names) == 1 else columns[1].segmented_control(
            "Network", names, default=names[0], required=True, format_func=NETWORK_NAMES.get,
            key="net", bind="query-params", persist_state="session")
    return SourceChoice(origin, network)


def resolve_source(choice: SourceChoice, run: Run | None) -> ModelSource:
    """The chosen model, with a banner that says which one is shown (a live
    run's model as it is now)."""
    loaded = loaded_checkpoint()
    pretrained, problem = pretrained_checkpoint()
    if choice.origin == "live" and run is not None:
        source = _live_source(run, choice.network)
    elif choice.origin == "checkpoint" and loaded is not None:
        source = _checkpoint_source("checkpoint", *loaded, f"ckpt:{loaded_digest()}")
    elif choice.origin == "pretrained" and pretrained is not None:
        source = _checkpoint_source("pretrained", PRETRAINED_PATH.name, pretrained,
                                    f"pretrained:{PRETRAINED_PATH.stat().st_mtime}")
    else:
        source = _fresh_source()
    banner = st.warning if source.origin == "fresh" else st.info
    banner(source.label, icon=":material/memory:")
    if problem:
        st.caption(f"The shipped pretrained model could not be loaded: {problem}")
    return source


def corpus_stretch(source: ModelSource, num_chars: int, probe) -> tuple[list[int], str]:
    """A long stretch of the model's own training text for saturation and unit
    search (the probe itself when the corpus is unknown, e.g. an uploaded checkpoint)."""
    if source.corpus is not None:
        indices = source.corpus.indices[:num_chars]
        return indices, f"the first {len(indices):,} characters of {source.corpus.name}"
    return list(probe.indices), "the probe text (this model's corpus is not available)"


def heldout_text(source: ModelSource, probe) -> tuple[list[int], str]:
    """Text the model did not train on, for honest perplexities: the start of
    its corpus's held-out part (``Corpus.heldout``) when there is one."""
    corpus = source.corpus
    if corpus is not None and corpus.heldout:
        indices, start = corpus.heldout[:HELDOUT_CHARS], len(corpus.indices)
        return indices, (f"characters {start:,}-{start + len(indices):,} of {corpus.name} "
                         f"(not trained on)")
    if corpus is not None:
        indices = corpus.indices[-HELDOUT_CHARS:]
        return indices, f"the last {len(indices):,} characters of {corpus.name} (trained on)"
    return list(probe.indices), "the probe text"
