"""Checkpoints: config + vocabulary + state_dict + history (+ optional
parameter snapshots over training), written atomically and read with
``torch.load(..., weights_only=True)`` so a crafted pickle cannot run code."""
from __future__ import annotations

import io
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .config import TrainConfig
from .data import Cleanup, Vocab
from .models import model_from_weights, model_kind, resolve_device
from .storage import atomic_write_bytes
from .training import History

FORMAT = "gru-explainer-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that cannot be used as a checkpoint, with the reason."""


@dataclass
class Checkpoint:
    model: nn.Module
    vocab: Vocab
    config: TrainConfig
    history: History
    snapshots: list[dict] = field(default_factory=list)  # [{"epoch": int, "state_dict": {...}}]
    corpus_name: str = ""
    keep_case: bool = False
    fold_accents: bool = False
    sample_prefixes: tuple[str, ...] = ()   # the corpus's (empty in older checkpoints)

    @property
    def cleanup(self) -> Cleanup:
        """The training text's clean-up: give it to ``interpret.encode_probe``."""
        return Cleanup(self.keep_case, self.fold_accents)


def checkpoint_bytes(model: nn.Module, vocab: Vocab, config: TrainConfig,
                     history: History | None = None, snapshots: list[dict] | None = None,
                     corpus_name: str = "", keep_case: bool = False, fold_accents: bool = False,
                     sample_prefixes=()) -> bytes:
    config_dict = config.to_dict() | {"model": model_kind(model), "num_hiddens": model.num_hiddens}
    payload = {
        "format": FORMAT, "version": VERSION, "config": config_dict,
        "vocab": list(vocab.idx_to_token), "corpus_name": corpus_name, "keep_case": keep_case,
        "fold_accents": fold_accents, "sample_prefixes": [str(p) for p in sample_prefixes],
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "history": (history or History()).to_dict(), "snapshots": snapshots or [],
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save_checkpoint(path, model, vocab, config, history=None, snapshots=None,
                    corpus_name: str = "", keep_case: bool = False, fold_accents: bool = False,
                    sample_prefixes=()) -> Path:
    """Atomic: an interrupted save leaves the previous file at ``path`` intact."""
    path = Path(path)
    atomic_write_bytes(path, checkpoint_bytes(model, vocab, config, history, snapshots,
                                              corpus_name, keep_case, fold_accents,
                                              sample_prefixes))
    return path


def _read_payload(source) -> dict:
    name = getattr(source, "name", None) or str(source)
    try:
        with warnings.catch_warnings():  # torch warns about odd pickle protocols in junk
            warnings.simplefilter("ignore")
            payload = torch.load(source, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise CheckpointError(f"{name}: is a folder, not a checkpoint file.") from None
    except pickle.UnpicklingError as exc:
        if "global" in str(exc).lower():  # torch names the blocked class or function
            raise CheckpointError(f"{name}: refused — it holds objects other than tensors and "
                                  f"plain data (a pickle that could run code); nothing in it "
                                  f"was executed.") from exc
        raise CheckpointError(f"{name}: not a readable checkpoint (corrupted or another kind "
                              f"of file).") from exc
    except Exception as exc:  # noqa: BLE001 — junk bytes make the unpickler raise anything
        # (EOFError, KeyError, IndexError, RuntimeError from the zip reader, ...)
        raise CheckpointError(f"{name}: not a readable checkpoint (truncated, corrupted or "
                              f"another kind of file).") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name}: this is a PyTorch file but not a GRU Explainer "
                              f"checkpoint.")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{name}: checkpoint version {payload.get('version')} is not "
                              f"supported (this app reads version {VERSION}).")
    return payload


def load_checkpoint(source, expect_vocab: Vocab | None = None, device="cpu") -> Checkpoint:
    """``source`` is a path or a binary file object. ``expect_vocab`` refuses a
    checkpoint trained on another vocabulary."""
    device = resolve_device(device)
    payload = _read_payload(source)
    name = getattr(source, "name", None) or str(source)
    try:
        config = TrainConfig.from_dict(payload["config"])
        vocab = Vocab.from_tokens(payload["vocab"])
        if expect_vocab is not None and vocab.idx_to_token != expect_vocab.idx_to_token:
            raise CheckpointError(
                f"{name}: trained on another vocabulary ({len(vocab)} tokens) than the current "
                f"corpus ({len(expect_vocab)} tokens).")
        model = model_from_weights(payload["state_dict"], config.model, device)
        if len(vocab) != model.vocab_size:
            raise ValueError(f"the vocabulary has {len(vocab)} tokens but the weights expect "
                             f"{model.vocab_size}")
        if config.num_hiddens != model.num_hiddens:
            raise ValueError(f"size mismatch: the config says {config.num_hiddens} hidden "
                             f"units, the weights hold {model.num_hiddens}")
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        # load_state_dict puts the useful part ("size mismatch for W_xz ...") on later lines
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())[:300]
        raise CheckpointError(f"{name}: the checkpoint does not match its model "
                              f"({detail}).") from exc
    return Checkpoint(model, vocab, config, History.from_dict(payload.get("history")),
                      list(payload.get("snapshots") or []), payload.get("corpus_name", ""),
                      bool(payload.get("keep_case", False)), bool(payload.get("fold_accents", False)),
                      tuple(str(p) for p in payload.get("sample_prefixes") or ()))
