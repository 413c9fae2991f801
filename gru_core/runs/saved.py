"""A run to a file and back, exactly where it stood: the autosave that lets a
lecture survive a killed server and a reaped run come back to its owner; and
one network of a run as a checkpoint to download (``checkpoint_bytes``).

What is kept is everything needed to continue as if nothing happened: the
configuration and corpus, every network's parameters, the records and
snapshots, the counters, and the position inside the current epoch (the
loader's random state at the epoch's start, the batches already done, each
trainer's sums and carried state). A restored run continues with the very
batches it would have trained next. Written atomically; read with
``torch.load(weights_only=True)`` (tensors and plain data only).
"""
from __future__ import annotations

import io
import json
import pickle
import secrets
import threading
import time
from pathlib import Path

import torch

from ..checkpoint import checkpoint_bytes
from ..config import TrainConfig
from ..data import Corpus, Vocab
from ..storage import atomic_write_bytes
from ..training import History
from .params import float32_cpu_copy
from .records import RECORD_KINDS
from .states import RunError, RunState

SAVED_FORMAT = "gru-explainer-run"
SAVED_VERSION = 1


class SavedRunError(ValueError):
    """A file that cannot be restored as a run, with the reason."""


def _corpus_state(corpus: Corpus) -> dict:
    return {"name": corpus.name, "note": corpus.note, "keep_case": corpus.keep_case,
            "tokens": list(corpus.vocab.idx_to_token),
            "indices": torch.tensor(corpus.indices, dtype=torch.uint8),
            "heldout": torch.tensor(corpus.heldout, dtype=torch.uint8)}


def _corpus_from_state(state: dict) -> Corpus:
    return Corpus(name=state["name"], indices=state["indices"].tolist(),
                  vocab=Vocab.from_tokens(state["tokens"]), keep_case=state["keep_case"],
                  note=state["note"], heldout=state["heldout"].tolist())


class SavedRun:
    """The file half of ``Run``: ``export_state`` / ``from_state``, the
    autosave policy (a file, how often while training, whose run it is) and
    ``checkpoint_bytes``."""

    autosave_path: Path | None = None
    autosave_every_s: float | None = None
    autosave_owner: str = ""
    _last_autosave = float("-inf")

    def keep_autosaved(self, path, every_s: float | None = None, owner: str = "") -> None:
        """Save to ``path`` at every pause and stop, on ``autosave()``, and (if
        ``every_s``) every ``every_s`` seconds while training, between batches."""
        self.autosave_path, self.autosave_every_s = Path(path), every_s
        self.autosave_owner = owner

    def autosave(self) -> Path | None:
        """Save now if this run keeps an autosave (between batches only)."""
        if self.autosave_path is None:
            return None
        self._last_autosave = time.monotonic()
        return self.save(self.autosave_path, self.autosave_owner)

    def _autosave_if_due(self) -> None:
        """From the training thread between batches: the periodic autosave."""
        if (self.autosave_every_s is not None
                and time.monotonic() - self._last_autosave >= self.autosave_every_s):
            self.autosave()

    def export_state(self, owner: str = "") -> dict:
        """Everything to continue this run later. Only between batches: while
        the thread is parked, or from the thread itself between two batches.
        A running run is saved as paused (it resumes when its owner says so)."""
        with self._cond:
            if not (self._parked or threading.current_thread() is self._thread):
                raise RunError(f"run {self.id} is inside a batch; it can be saved only "
                               f"between batches (pause it first).")
            with self._guard.lock:
                weights = {name: float32_cpu_copy(model) for name, model in self.models.items()}
            state = RunState.PAUSED if self._state is RunState.RUNNING else self._state
            return {
                "format": SAVED_FORMAT, "version": SAVED_VERSION, "saved_at": time.time(),
                "owner": owner, "id": self.id, "name": self.name, "created_at": self.created_at,
                "config": self.config.to_dict(), "model_kinds": dict(self.model_kinds),
                "sample_every": self.sample_every, "run_options": dict(self.run_options),
                "corpus": _corpus_state(self.corpus),
                "weights": weights, "state": state.value, "message": self._message,
                "lr": self._lr, "epoch": self._epoch, "batch": self._batch,
                "batch_in_epoch": self._batch_in_epoch,
                "batches_last_epoch": self._batches_last_epoch,
                "active_seconds": self._elapsed_locked(),
                "epoch_progress": self._loop.epoch_progress(),
                "records": {kind: list(self._records.queues[kind]) for kind in RECORD_KINDS},
                "seq": self._records.seq, "dropped": dict(self._records.dropped),
                "snapshot_interval": self._snapshots.interval,
                "snapshots": list(self._snapshots.snapshots)}

    def save(self, path, owner: str = "") -> Path:
        """``export_state`` written atomically to ``path``, with a small JSON
        summary beside it (``summary_path``) for listing saved runs cheaply."""
        state = self.export_state(owner)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(Path(path), buffer.getvalue())
        epochs = [record for _, record in state["records"]["epochs"]]
        summary = {key: state[key] for key in ("owner", "id", "name", "saved_at", "state",
                                                "epoch", "batch")}
        summary |= {"num_epochs": self.config.num_epochs,
                    "perplexity": epochs[-1]["perplexity"] if epochs else None}
        atomic_write_bytes(summary_path(path), json.dumps(summary).encode("utf-8"))
        return Path(path)

    def checkpoint_bytes(self, name: str | None = None) -> bytes:
        """A checkpoint (gru_core.checkpoint format) of one model's snapshot, its
        per-epoch records and parameter snapshots, for downloading."""
        name = self._network(name)
        model = self.snapshot_model(name)
        with self._cond:
            epochs = [r for r in self._records.all("epochs") if r["model"] == name]
            samples = {str(r["epoch"]): r["text"] for r in self._records.all("samples")
                       if r["model"] == name}
            snapshots = [{"epoch": s["epoch"], "state_dict": s["state_dicts"][name]}
                         for s in self._snapshots.snapshots]
        return checkpoint_bytes(model, self.corpus.vocab, self.config,
                                History(epochs=epochs, samples=samples), snapshots,
                                self.corpus.name, self.corpus.keep_case)

    @classmethod
    def from_state(cls, state: dict, **run_kwargs):
        """The run ``export_state`` described, same id, ready to continue (a
        new ``generation``: viewers of the old history redraw)."""
        config = TrainConfig.from_dict(state["config"])
        options = state.get("run_options", {"sample_every": state["sample_every"]})
        run = cls(config, _corpus_from_state(state["corpus"]), name=state["name"],
                  networks=dict(state["model_kinds"]), **(options | run_kwargs))
        with run._cond, run._guard.lock:
            for name, model in run.models.items():
                model.load_state_dict(state["weights"][name])
            run.id, run.created_at = state["id"], state["created_at"]
            run.generation = secrets.token_urlsafe(6)
            run._state, run._message, run._lr = RunState(state["state"]), state["message"], state["lr"]
            run._epoch, run._batch = state["epoch"], state["batch"]
            run._loop.epoch, run._loop.batch = state["epoch"], state["batch"]
            run._batch_in_epoch = state["batch_in_epoch"]
            run._batches_last_epoch = state["batches_last_epoch"]
            run._active_seconds = state["active_seconds"]
            run._resume = (state["epoch_progress"], state["batch_in_epoch"])
            for kind in RECORD_KINDS:
                run._records.queues[kind].clear()
                run._records.queues[kind].extend(state["records"][kind])
            run._records.seq, run._records.dropped = state["seq"], dict(state["dropped"])
            run._snapshots.interval = state["snapshot_interval"]
            run._snapshots.snapshots = list(state["snapshots"])
        return run

    @classmethod
    def restore(cls, path, **run_kwargs):
        """The run saved at ``path``; SavedRunError if it cannot be restored."""
        return cls.from_state(read_saved_run(path), **run_kwargs)


def summary_path(path) -> Path:
    return Path(path).with_suffix(".json")


def saved_summaries(folder) -> list[dict]:
    """The summaries of the runs saved in ``folder``, newest first (unreadable
    ones are skipped: a half-deleted file is no reason to fail a listing)."""
    summaries = []
    for path in Path(folder).glob("*.json"):
        try:
            summary = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(summary, dict) and path.with_suffix(".pt").is_file():
            summaries.append(summary | {"path": str(path.with_suffix(".pt"))})
    return sorted(summaries, key=lambda s: s.get("saved_at", 0), reverse=True)


def read_saved_run(path) -> dict:
    """The saved state at ``path``, checked to be a saved run of this version."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise SavedRunError(f"{path}: no such file.") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        raise SavedRunError(f"{path}: not a readable saved run ({exc}).") from exc
    if not isinstance(state, dict) or state.get("format") != SAVED_FORMAT:
        raise SavedRunError(f"{path}: not a saved GRU Explainer run.")
    if state.get("version") != SAVED_VERSION:
        raise SavedRunError(f"{path}: saved-run version {state.get('version')} is not "
                            f"supported (this app reads version {SAVED_VERSION}).")
    return state
