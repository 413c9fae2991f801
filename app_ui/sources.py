"""The model a page inspects, and its source (gru_core's glossary): a live
run, a loaded checkpoint, one of the models shipped in ``assets/`` (the book
model, or the chapter's model that memorises its 10,000 characters), or a
fresh untrained model. The picker is shared by every page and bound to the
URL (key ``source``; the old value "pretrained" opens the chapter's model,
the file it named); ``resolve_source`` says in a banner which model is shown,
with both of a shipped model's perplexities."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import streamlit as st
from torch import nn

from gru_core.assets import SHIPPED_MODELS, default_model
from gru_core.checkpoint import Checkpoint
from gru_core.config import D2L
from gru_core.data import Cleanup, Corpus, Vocab
from gru_core.interpret import comparison_texts
from gru_core.models import make_model
from gru_core.runs import Run, RunState
from gru_core.training import network_of

from .checkpoints import loaded_checkpoint, loaded_digest, shipped_checkpoint
from .corpora import TIME_MACHINE, default_corpus, library_corpus
from .display import NETWORK_NAMES
from .runs import MODEL_REFRESH_S, is_owner, records, registry

SOURCE_TITLES = {"live": "Live run", "checkpoint": "Loaded checkpoint",
                 "book": "Book model (shipped)", "chapter": "Chapter's model (shipped)",
                 "fresh": "Fresh model"}
# Links from before the book model: "pretrained" was the chapter's model's file.
LEGACY_SOURCES = {"pretrained": "chapter", "Pretrained (shipped)": "chapter"}
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
    cleanup: Cleanup | None = None  # how its training text was cleaned: probes get the same


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
                       snapshots=snapshots, corpus=run.corpus, cleanup=run.corpus.cleanup)


def _checkpoint_source(origin: str, name: str, checkpoint: Checkpoint, key: str) -> ModelSource:
    model, network = checkpoint.model, network_of(checkpoint.model)
    epochs = checkpoint.history.epochs
    trained = (f"{len(epochs)} epochs, perplexity {epochs[-1]['perplexity']:.2f}" if epochs
               else "no training history")
    shipped = SHIPPED_MODELS.get(origin)
    if shipped is not None:  # both perplexities, measured the same way (gru_core.assets)
        summary = shipped.summary
        label = (f"{summary[0].upper()}{summary[1:]} — {NETWORK_NAMES[network]}, "
                 f"{model.num_hiddens} hiddens")
        corpus, _ = library_corpus(TIME_MACHINE, shipped.train_chars)
    else:
        label = (f"Checkpoint **{name}** — {NETWORK_NAMES[network]}, {model.num_hiddens} "
                 f"hiddens, {trained}"
                 f"{', on ' + checkpoint.corpus_name if checkpoint.corpus_name else ''}")
        # The default corpus, cut where the checkpoint's own training stopped.
        corpus = default_corpus().first(checkpoint.config.max_tokens)
    if corpus is not None and checkpoint.vocab.idx_to_token != corpus.vocab.idx_to_token:
        corpus = None  # another vocabulary: the corpus is unknown (the probe stands in)
    return ModelSource(origin, label, model, checkpoint.vocab, checkpoint.keep_case, key, network,
                       key, history=epochs, snapshots=checkpoint.snapshots, corpus=corpus,
                       cleanup=checkpoint.cleanup)


def _fresh(vocab: Vocab, keep_case: bool, corpus: Corpus | None, num_hiddens: int,
           label: str) -> ModelSource:
    tokens = tuple(vocab.idx_to_token)
    model = fresh_model(tokens, num_hiddens, D2L.seed)
    key = f"fresh:{hash(tokens)}:{num_hiddens}:{D2L.seed}"
    return ModelSource("fresh", label, model, vocab, keep_case, key, identity=key, corpus=corpus,
                       cleanup=corpus.cleanup if corpus is not None else Cleanup(keep_case))


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
    origins += [key for key in SHIPPED_MODELS if shipped_checkpoint(key)[0] is not None]
    return origins + ["fresh"]


def default_source(origins: list[str], page: str) -> str:
    """A live run, else a loaded checkpoint, else the page's shipped model
    (``gru_core.assets.default_model``), else any shipped one, else fresh."""
    preferred = ["live", "checkpoint", default_model(page).key, *SHIPPED_MODELS]
    return next((origin for origin in preferred if origin in origins), origins[0])


def _legacy_source() -> None:
    """An old link's ``source=pretrained``: the chapter's model, the file it named."""
    wanted = st.query_params.get("source")
    if wanted in LEGACY_SOURCES:
        st.session_state["source"] = LEGACY_SOURCES[wanted]


def source_picker(run: Run | None, page: str = "gates") -> SourceChoice:
    """The source widgets (bound to the URL): live run, loaded checkpoint,
    the shipped models or a fresh model; for a lockstep run, which network.
    ``page`` picks the default shipped model (the book model on Gates and
    Explore, the chapter's on Step and Compare)."""
    origins = available_sources(run)
    _legacy_source()
    if st.session_state.get("source") not in (None, *origins):
        del st.session_state["source"]  # e.g. a live run that is gone
    columns = st.columns([3, 2])
    origin = columns[0].segmented_control(
        "Model source", origins, default=default_source(origins, page), required=True,
        format_func=SOURCE_TITLES.get, key="source", bind="query-params",
        persist_state="session",
        help="The book model learnt from most of The Time Machine and predicts text it never "
             "saw; the chapter's model (d2l's 10,000 characters, 500 epochs) recites its "
             "training text and does worse than a uniform guess on the rest.")
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
    problem = None
    if choice.origin == "live" and run is not None:
        source = _live_source(run, choice.network)
    elif choice.origin == "checkpoint" and loaded is not None:
        source = _checkpoint_source("checkpoint", *loaded, f"ckpt:{loaded_digest()}")
    elif choice.origin in SHIPPED_MODELS and shipped_checkpoint(choice.origin)[0] is not None:
        shipped = SHIPPED_MODELS[choice.origin]
        source = _checkpoint_source(choice.origin, shipped.filename,
                                    shipped_checkpoint(choice.origin)[0],
                                    f"{choice.origin}:{shipped.path.stat().st_mtime}")
    else:
        source = _fresh_source()
        problem = next((why for key in SHIPPED_MODELS if (why := shipped_checkpoint(key)[1])),
                       None)
    banner = st.warning if source.origin == "fresh" else st.info
    banner(source.label, icon=":material/memory:")
    if problem:
        st.caption(f"A shipped model could not be loaded: {problem}")
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


def comparison(source: ModelSource, probe) -> tuple[list[int] | None, list[int], str]:
    """(training text, held-out text, which is which in words) to measure an
    intervention on: equal stretches of both (``interpret.comparison_texts``)
    when the corpus holds text back; else no training text."""
    corpus = source.corpus
    _, where = heldout_text(source, probe)
    if corpus is not None and corpus.heldout:
        training, heldout = comparison_texts(corpus, HELDOUT_CHARS)
        return (training.tolist(), heldout.tolist(),
                f"Training text: the first {len(training):,} characters of {corpus.name}, "
                f"which the model learnt from. Held-out text: {where}.")
    indices, _ = heldout_text(source, probe)
    return None, list(indices), f"Perplexity on {where}: there is no held-out text to compare."
