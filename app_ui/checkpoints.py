"""Checkpoints in the app: those users load (upload, or saved on this server),
kept once per content in a store every session shares, and the models
shipped in ``assets/`` (``gru_core.assets.SHIPPED_MODELS``: the chapter's and
the book model). A bad file gets its reason, never a traceback."""
from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from gru_core.assets import SHIPPED_MODELS
from gru_core.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from gru_core.storage import list_checkpoints

from .lecture import may_control

PRETRAINED_PATH = SHIPPED_MODELS["chapter"].path   # the chapter's model (the old "pretrained")
CHECKPOINT_KEY = "checkpoint_digest"   # session_state: the digest of this session's checkpoint


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

    def get(self, digest: str | None) -> tuple[str, Checkpoint] | None:
        with self.lock:
            if digest in self.items:
                self.items.move_to_end(digest)
                return self.items[digest]
            return None


@st.cache_resource(show_spinner=False)
def checkpoint_store() -> CheckpointStore:
    return CheckpointStore()


def read_checkpoint(payload: bytes, name: str) -> str:
    """Load checkpoint bytes into the store and select it for this session;
    returns the digest. Raises CheckpointError with a message for the user."""
    digest = hashlib.sha256(payload).hexdigest()
    if checkpoint_store().get(digest) is None:
        buffer = io.BytesIO(payload)
        buffer.name = name
        checkpoint_store().put(digest, name, load_checkpoint(buffer))
    st.session_state[CHECKPOINT_KEY] = digest
    return digest


def loaded_checkpoint() -> tuple[str, Checkpoint] | None:
    """(name, Checkpoint) of this session's loaded checkpoint, or None."""
    return checkpoint_store().get(st.session_state.get(CHECKPOINT_KEY))


def loaded_digest() -> str | None:
    return st.session_state.get(CHECKPOINT_KEY)


@st.cache_resource(show_spinner="Loading a shipped model…")
def _shipped(path: str, mtime: float) -> tuple[Checkpoint | None, str | None]:
    try:
        return load_checkpoint(Path(path)), None
    except CheckpointError as exc:
        return None, str(exc)


def shipped_checkpoint(key: str) -> tuple[Checkpoint | None, str | None]:
    """A shipped model (a key of ``SHIPPED_MODELS``), or (None, why it could
    not be loaded); (None, None) when this checkout lacks its file."""
    path = SHIPPED_MODELS[key].path
    if not path.is_file():
        return None, None
    return _shipped(str(path), path.stat().st_mtime)


def pretrained_checkpoint() -> tuple[Checkpoint | None, str | None]:
    """The chapter's model (what "pretrained" meant before the book model)."""
    return shipped_checkpoint("chapter")


def checkpoint_loader(key: str) -> None:
    """Upload a checkpoint, or load one saved in the app's data folder."""
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
    if not may_control("load a checkpoint"):
        return
    try:
        read_checkpoint(payload, name)
    except CheckpointError as exc:
        st.error(str(exc))
        return
    st.success(f"Loaded **{name}**. Choose *Loaded checkpoint* as the model source on the "
               f"Gates, Step and Explore pages.")
