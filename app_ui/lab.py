"""The Lab page's Streamlit helpers: the chapter's cells started side by side
in one run, same-start restarts, a session's runs (from the registry, so the
list survives a reload), and the views computed on demand from a run's
current weights (memory reach per cell, any cell's gates), kept in one store
every session shares, keyed by what they were computed from."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import streamlit as st

from gru_core import interpret
from gru_core.config import D2L, SETTINGS_BY_FIELD, TrainConfig
from gru_core.interpret import MemoryReach
from gru_core.models import CELL_NAMES, model_from_weights
from gru_core.runs import CELL_NETWORKS, Run, RunControl, RunError, RunState

from . import runs
from .budget import for_viewers, live_computation
from .lecture import may_control, owner
from .sources import fresh_model, live_snapshot, live_version

# The cells a lab run starts with: d2l's GRU, its two halves, the plain RNN, the LSTM.
DEFAULT_CELLS = ["scratch", "rnn", "reset-only", "update-only", "lstm"]
LAB_FIELDS = ("num_hiddens", "num_epochs", "lr", "clip_theta", "batch_size", "num_steps")
# What a same-start restart may change, in words (the seed and the cells stay).
RESTART_CHANGES = {"lr": "Learning rate", "num_hiddens": "Hidden units",
                   "clip_theta": "Gradient clip θ", "use_random_iter": "Sampling"}
REACH_CHARS, REACH_DISTANCE = 240, 40   # text and distance of a memory-reach curve
REACH_KEY = "lab_reach_batch"           # session_state: {run id: the batch its reach is of}
NOTICE_KEY = "lab_notice"               # session_state: a message for after a rerun


# ---------------------------------------------------------------- set-up

def number_setting(field: str, disabled: bool, key: str | None = None, value=None,
                   bind: bool = True):
    """A number input for one of ``SETTINGS`` (its label, range and help),
    under the Train page's URL key unless ``key`` is given, so a shared link
    sets up both pages alike."""
    setting = SETTINGS_BY_FIELD[field]
    cast = int if setting.whole else float
    options = {"format": "%g"} if not setting.whole else {}
    if setting.step is not None:
        options["step"] = cast(setting.step)
    if bind:
        options |= {"bind": "query-params", "persist_state": "session"}
    default = getattr(D2L, field) if value is None else value
    return cast(st.number_input(setting.label, cast(setting.low), cast(setting.high),
                                cast(default), key=key or setting.url_key, disabled=disabled,
                                help=setting.help or None, **options))


def cell_picker(disabled: bool) -> list[str]:
    return st.multiselect("Cells to train side by side", list(CELL_NETWORKS),
                          default=DEFAULT_CELLS, format_func=CELL_NAMES.get, key="cells",
                          disabled=disabled, bind="query-params", persist_state="session",
                          max_selections=len(CELL_NETWORKS),
                          help="Every cell reads the same batches in the same order, from "
                               "one seed; d2l's GRU runs on the fast engine (proven equal).")


def lab_settings(disabled: bool) -> dict:
    """TrainConfig keyword arguments from the Lab's inputs (d2l's defaults)."""
    columns = st.columns(3)
    values = {}
    for index, field in enumerate(LAB_FIELDS):
        with columns[index % 3]:
            values[field] = number_setting(field, disabled)
    with columns[0]:
        values["max_tokens"] = number_setting("max_tokens", disabled)
    with columns[1]:
        values["use_random_iter"] = st.toggle(
            "Random sampling", key="random_iter", disabled=disabled, bind="query-params",
            persist_state="session", help="d2l's default here is sequential partitioning.")
    return values


def start_cells(config: TrainConfig, corpus, cells: list[str]) -> None:
    """Create and start one run training ``cells`` in lockstep (the owner's)."""
    if not may_control("start a run"):
        return
    try:
        control = runs.registry().create(
            config.validate(), corpus, owner=owner(), networks=[CELL_NETWORKS[c] for c in cells],
            name=f"{', '.join(CELL_NAMES[c] for c in cells)} on {corpus.name}")
    except ValueError as exc:  # RunError and CorpusError are ValueErrors too
        st.error(f"Could not start: {exc}")
        return
    runs.launch(control)


def restart(run: Run, field: str, value) -> None:
    """A same-start restart of ``run`` with one setting changed; the run it
    restarts from is paused first (if this session owns it) so the two do
    not share the CPU and the new run's tokens/s stay comparable."""
    if not may_control("restart a run"):
        return
    try:
        control = runs.registry().restart(run.id, owner(), **{field: value})
    except ValueError as exc:
        st.error(f"Could not restart: {exc}")
        return
    if run.state is RunState.RUNNING and runs.is_owner(run):
        runs.send(run, RunControl.pause)
        st.session_state[NOTICE_KEY] = (f"Run `{run.id}` was paused so the restart has the "
                                        f"CPU to itself; resume it from the Train page.")
    runs.launch(control)


def notice() -> None:
    """A message left before a rerun (e.g. by ``restart``)."""
    message = st.session_state.pop(NOTICE_KEY, None)
    if message:
        st.info(message, icon=":material/info:")


# ---------------------------------------------------------------- a session's runs

def _root(run: Run, known: dict[str, Run]) -> str:
    """The id of the first run of ``run``'s same-start line."""
    while run.same_start is not None:
        parent = run.same_start.parent_id
        try:
            run = known.get(parent) or runs.registry().get(parent)
        except RunError:
            return parent
    return run.id


def ancestors(run: Run) -> list[Run]:
    """The runs ``run`` restarted from that are still open, nearest first."""
    found = []
    while run.same_start is not None:
        try:
            run = runs.registry().get(run.same_start.parent_id)
        except RunError:
            break
        found.append(run)
    return found


def session_runs() -> list[Run]:
    """This browser's open runs, oldest first (``registry.owned``: the owner
    key is the identity cookie, so a reload keeps the list)."""
    return [control.run for control in runs.registry().owned(owner())]


def show_run(run_id: str) -> None:
    """Follow one of this session's runs (a button's callback)."""
    runs.follow(runs.registry().control(run_id, owner()))


def families(candidates: list[Run]) -> list[list[Run]]:
    """The runs grouped by same-start line (a run and its restarts), each
    oldest first, the lines in the order they began."""
    known = {run.id: run for run in candidates}
    lines: dict[str, list[Run]] = {}
    for run in sorted(candidates, key=lambda r: r.created_at):
        lines.setdefault(_root(run, known), []).append(run)
    return list(lines.values())


def family_of(run: Run, candidates: list[Run]) -> list[Run]:
    """``run``'s line: the session's runs that share its start, and the runs
    it restarted from (a viewer owns none of them), oldest first."""
    pool = {r.id: r for r in candidates + ancestors(run) + [run]}
    for line in families(list(pool.values())):
        if run in line:
            return line
    return [run]


# ---------------------------------------------------------------- computed on demand

class Store:
    """Results computed from a run's weights, by what they were computed from;
    shared by every session, bounded (least recently used out), thread-safe."""

    def __init__(self, capacity: int = 64):
        self.capacity, self.lock, self.items = capacity, threading.Lock(), OrderedDict()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
            return self.items.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.capacity:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()


def computed(key, compute, budgeted: bool, what: str):
    """``compute()``, or its stored result; with ``budgeted`` a new
    computation goes through the viewers' budget (``live_computation``)."""
    found = store().get(key)
    if found is None:
        if budgeted:
            with live_computation(what):
                found = compute()
        else:
            found = compute()
        store().put(key, found)
    return found


@dataclass
class ReachView:
    """Each network's memory reach, from one snapshot of the run's weights."""
    epoch: int
    batch: int
    reaches: dict[str, MemoryReach]
    text: str


def reach_text(run: Run) -> tuple[list[int], str]:
    """Text the run did not train on, when it has enough; else its own."""
    held = list(run.corpus.heldout[:REACH_CHARS])
    if len(held) > 2 * REACH_DISTANCE:
        return held, f"the first {len(held)} held-out characters of {run.corpus.name}"
    own = list(run.corpus.indices[-REACH_CHARS:])
    return own, f"the last {len(own)} characters of {run.corpus.name} (trained on)"


def measure_reach(run: Run) -> ReachView:
    snapshot = run.snapshot()   # every network from the same batch
    indices, text = reach_text(run)
    reaches = {name: interpret.memory_reach(
        model_from_weights(weights, run.model_kinds[name]).eval(), indices, REACH_DISTANCE)
        for name, weights in snapshot["state_dicts"].items()}
    return ReachView(snapshot["epoch"], snapshot["batch"], reaches, text)


def reach_shown(run: Run) -> bool:
    """Whether this session sees a memory reach of ``run`` without asking."""
    return (run.id in st.session_state.get(REACH_KEY, {})
            or store().get(("reach", run.id, run.batch)) is not None)


def ask_for_reach(run_id: str) -> None:
    """The Measure / Recompute button's callback: this session now shows the
    reach of the run's weights as they are (before the page runs, so the
    button is drawn with its new label at once)."""
    st.session_state.setdefault(REACH_KEY, {})[run_id] = runs.registry().get(run_id).batch


def memory_reaches(run: Run) -> ReachView | None:
    """The reach this session shows for ``run`` (None until it asks, unless
    it was measured at the run's current batch), cached per (run, batch)."""
    shown = st.session_state.setdefault(REACH_KEY, {})
    if store().get(("reach", run.id, run.batch)) is not None:
        shown[run.id] = run.batch   # already measured (by anyone) as it is now
    if run.id not in shown:
        return None
    return computed(("reach", run.id, shown[run.id]), lambda: measure_reach(run),
                    for_viewers(run), "The memory reach")


def cell_model(run: Run | None, network: str, vocab) -> tuple[object, str, str]:
    """(model, cache key, what it is): the run's network as it is now, or a
    fresh model of that cell (d2l's size and seed) when there is no run."""
    if run is not None:
        version = live_version(run)
        return (live_snapshot(run.id, network, version), f"live:{run.id}:{network}:{version}",
                f"the {CELL_NAMES[network]} of run `{run.id}` at epoch {run.epoch}")
    tokens = tuple(vocab.idx_to_token)
    kind = CELL_NETWORKS[network]
    return (fresh_model(tokens, D2L.num_hiddens, D2L.seed, kind=kind),
            f"fresh:{kind}:{hash(tokens)}:{D2L.num_hiddens}",
            f"a fresh, untrained {CELL_NAMES[network]} ({D2L.num_hiddens} hiddens, seed "
            f"{D2L.seed})")


def cell_trace(model, key: str, indices, budgeted: bool):
    """Any cell's trace (a GateTrace or a CellTrace) of ``indices``."""
    indices = tuple(int(i) for i in indices)
    return computed(("trace", key, indices),
                    lambda: interpret.scratch_cell(model).trace(list(indices)), budgeted,
                    "The trace of your text")
