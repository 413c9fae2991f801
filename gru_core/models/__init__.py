"""The models: d2l's readable GRU (``scratch``), ``nn.GRU`` (``concise``) and
the fast engine (``fast``), built by kind with ``make_model``.

A *model kind* (``MODEL_KINDS``) names what ``make_model`` builds:

- ``scratch``: d2l's cell, reset before the matmul (``ScratchGRU``);
- ``scratch-reset-after``: the same code with PyTorch's reset-after cell;
- ``scratch-fast`` / ``scratch-fast-reset-after``: the fast engine, proven
  equal to the two above (``FastScratchGRU``);
- ``concise``: ``nn.GRU`` with a linear head (``ConciseGRU``).
"""
from __future__ import annotations

import torch
from torch import nn

from .concise import ConciseGRU, concise_from_scratch, scratch_from_concise
from .fast import FastScratchGRU
from .scratch import (NO_CLAMP, PARAM_NAMES, RESET_AFTER_BIAS, Clamp, GateClamp, GateTrace,
                      ScratchGRU)

MODEL_KINDS = ("scratch", "scratch-reset-after", "scratch-fast", "scratch-fast-reset-after",
               "concise")


class DeviceError(ValueError):
    """A device that cannot be used here, with what to use instead."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Like d2l's ``try_gpu``: "auto" takes cuda when present, else cpu; an
    explicit "cuda" without a GPU is an error, not a silent fallback."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"device '{name}' was asked for, but PyTorch sees no CUDA GPU on this "
                          f"machine. Use --device cpu, or --device auto to fall back to the CPU.")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise DeviceError(f"unknown device '{name}': use auto, cpu or cuda.") from exc


def check_model_kind(kind: str) -> str:
    if kind not in MODEL_KINDS:
        raise ValueError(f"model must be one of {', '.join(MODEL_KINDS)} (got '{kind}')")
    return kind


def make_model(kind: str, vocab_size: int, num_hiddens: int, device="cpu",
               seed: int | None = 0) -> nn.Module:
    """The one factory every caller (CLI, live runs, app) uses."""
    check_model_kind(kind)
    if num_hiddens < 1:
        raise ValueError(f"num_hiddens must be >= 1 (got {num_hiddens})")
    if kind == "concise":
        return ConciseGRU(vocab_size, num_hiddens, device, seed=seed)
    reset_after = kind.endswith("reset-after")
    cls = FastScratchGRU if kind.startswith("scratch-fast") else ScratchGRU
    return cls(vocab_size, num_hiddens, device, reset_after=reset_after, seed=seed)


def model_kind(model: nn.Module) -> str:
    """The kind ``make_model`` would need to build this model again."""
    if isinstance(model, ConciseGRU):
        return "concise"
    if not isinstance(model, ScratchGRU):
        raise TypeError(f"not a GRU Explainer model: {type(model).__name__}")
    fast = isinstance(model, FastScratchGRU)
    return ("scratch-fast" if fast else "scratch") + ("-reset-after" if model.reset_after else "")


def kind_of_weights(state_dict: dict) -> str:
    """The readable kind a state_dict fits: nn.GRU's ``rnn.*`` keys, else the
    scratch names (``b_hh`` marks the reset-after cell)."""
    if "rnn.weight_ih_l0" in state_dict:
        return "concise"
    missing = [name for name in PARAM_NAMES if name not in state_dict]
    if missing:
        raise ValueError(f"state_dict is neither nn.GRU's nor the scratch cell's: missing "
                         f"{', '.join(missing)}")
    return "scratch-reset-after" if RESET_AFTER_BIAS in state_dict else "scratch"


def model_from_weights(state_dict: dict, kind: str | None = None, device="cpu") -> nn.Module:
    """The one way from weights to a model: a ``kind`` model (None: the readable
    kind the keys fit) holding ``state_dict``, as float32 (snapshots are float16).
    Raises ValueError/RuntimeError when the weights do not fit the kind."""
    weights = {name: torch.as_tensor(value).detach().to("cpu", torch.float32)
               for name, value in state_dict.items()}
    kind = kind_of_weights(weights) if kind is None else check_model_kind(kind)
    if kind == "concise":
        three_hiddens, vocab_size = weights["rnn.weight_ih_l0"].shape  # r, z, n stacked
        num_hiddens = three_hiddens // 3
    else:
        vocab_size, num_hiddens = weights["W_xz"].shape
    model = make_model(kind, vocab_size, num_hiddens, "cpu", seed=0)
    model.load_state_dict(weights)
    return model.to(device)


__all__ = ["MODEL_KINDS", "ConciseGRU", "Clamp", "DeviceError", "FastScratchGRU", "GateClamp",
           "GateTrace", "NO_CLAMP", "PARAM_NAMES", "RESET_AFTER_BIAS", "ScratchGRU",
           "check_model_kind", "kind_of_weights", "make_model", "model_from_weights",
           "model_kind", "resolve_device", "scratch_from_concise", "concise_from_scratch"]
