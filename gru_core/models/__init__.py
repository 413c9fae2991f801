"""The models: d2l's readable GRU (``scratch``), ``nn.GRU`` (``concise``),
the fast engine (``fast``), and the chapter's other cells (plain RNN, the GRU
without one gate, LSTM), built by kind with ``make_model``.

A *model kind* (``MODEL_KINDS``) names what ``make_model`` builds:

- ``scratch``: d2l's cell, reset before the matmul (``ScratchGRU``);
- ``scratch-reset-after``: the same code with PyTorch's reset-after cell;
- ``scratch-fast`` / ``scratch-fast-reset-after``: the fast engine, proven
  equal to the two above (``FastScratchGRU``);
- ``concise``: ``nn.GRU`` with a linear head (``ConciseGRU``);
- ``rnn``: d2l's from-scratch RNN, no gates (``ScratchRNN``);
- ``reset-only`` / ``update-only``: the GRU with the update (Z = 0) or the
  reset gate (R = 1) removed (``ResetOnlyGRU``, ``UpdateOnlyGRU``);
- ``lstm``: d2l's from-scratch LSTM (``ScratchLSTM``);
- ``concise-lstm``: ``nn.LSTM`` with a linear head (``ConciseLSTM``).

Every from-scratch model answers one protocol (``step``, ``output``,
``begin_state``, ``QUANTITIES``, ``GATES``, ``STATE``, ``trace``); the GRU's
trace is a ``GateTrace``, every other cell's a ``CellTrace``, and both hold
``quantities`` by name (``cell``).
"""
from __future__ import annotations

import torch
from torch import nn

from .cell import CellTrace, ScratchCell
from .concise import ConciseGRU, ConciseRNN, concise_from_scratch, scratch_from_concise
from .fast import FastScratchGRU
from .lstm import LSTM_PARAM_NAMES, ConciseLSTM, ScratchLSTM, scratch_lstm_from_concise
from .partial_gru import (RESET_ONLY_PARAM_NAMES, UPDATE_ONLY_PARAM_NAMES, ResetOnlyGRU,
                          UpdateOnlyGRU)
from .rnn import RNN_PARAM_NAMES, ScratchRNN
from .scratch import (NO_CLAMP, PARAM_NAMES, RESET_AFTER_BIAS, Clamp, GateClamp, GateTrace,
                      ScratchGRU, StepSchedule, refuse_missing_gates)

GRU_KINDS = ("scratch", "scratch-reset-after", "scratch-fast", "scratch-fast-reset-after",
             "concise")
# The chapter's other cells, each one class built as make_model(kind, ...).
CELL_CLASSES: dict[str, type[nn.Module]] = {
    "rnn": ScratchRNN, "reset-only": ResetOnlyGRU, "update-only": UpdateOnlyGRU,
    "lstm": ScratchLSTM, "concise-lstm": ConciseLSTM}
MODEL_KINDS = GRU_KINDS + tuple(CELL_CLASSES)

# What each readable kind's state_dict holds (the concise kinds hold nn.*'s ``rnn.*``).
WEIGHT_NAMES = {"scratch": PARAM_NAMES, "scratch-reset-after": PARAM_NAMES + (RESET_AFTER_BIAS,),
                "rnn": RNN_PARAM_NAMES, "reset-only": RESET_ONLY_PARAM_NAMES,
                "update-only": UPDATE_ONLY_PARAM_NAMES, "lstm": LSTM_PARAM_NAMES}

# Networks are named by cell: every engine of d2l's from-scratch GRU is
# "scratch"; every other kind is its own name. CELL_NAMES says each in words.
CELL_NAMES = {"scratch": "GRU", "concise": "nn.GRU", "rnn": "plain RNN",
              "reset-only": "reset-only GRU", "update-only": "update-only GRU",
              "lstm": "LSTM", "concise-lstm": "nn.LSTM"}


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


def network_name(kind: str) -> str:
    """The network a model of this kind is, in runs and records: "scratch"
    for any engine of d2l's from-scratch GRU, else the kind itself."""
    return "scratch" if check_model_kind(kind).startswith("scratch") else kind


# How nn.GRU's weights start: PyTorch's own U(−1/√n, 1/√n), or d2l's N(0, 0.01²)
# (the from-scratch GRU of the same seed, copied in): then two networks of a
# lockstep run differ only by their formulation (reset before or after the matmul).
CONCISE_INITS = {"pytorch": "PyTorch's U(−1/√n, 1/√n)",
                 "d2l": "d2l's N(0, 0.01²), the scratch GRU's own start"}


def check_concise_init(concise_init: str) -> str:
    if concise_init not in CONCISE_INITS:
        raise ValueError(f"concise_init must be one of {', '.join(CONCISE_INITS)} "
                         f"(got '{concise_init}')")
    return concise_init


def make_model(kind: str, vocab_size: int, num_hiddens: int, device="cpu",
               seed: int | None = 0, concise_init: str = "pytorch") -> nn.Module:
    """The one factory every caller (CLI, live runs, app) uses. The same kind,
    sizes, seed and ``concise_init`` (``CONCISE_INITS``; it concerns nn.GRU
    only) give the same initial weights."""
    check_model_kind(kind)
    check_concise_init(concise_init)
    if num_hiddens < 1:
        raise ValueError(f"num_hiddens must be >= 1 (got {num_hiddens})")
    if kind in CELL_CLASSES:
        return CELL_CLASSES[kind](vocab_size, num_hiddens, device, seed=seed)
    if kind == "concise" and concise_init == "d2l":
        scratch = ScratchGRU(vocab_size, num_hiddens, "cpu", seed=seed)
        return concise_from_scratch(scratch).to(device)
    if kind == "concise":
        return ConciseGRU(vocab_size, num_hiddens, device, seed=seed)
    reset_after = kind.endswith("reset-after")
    cls = FastScratchGRU if kind.startswith("scratch-fast") else ScratchGRU
    return cls(vocab_size, num_hiddens, device, reset_after=reset_after, seed=seed)


def model_kind(model: nn.Module) -> str:
    """The kind ``make_model`` would need to build this model again."""
    for kind, cls in CELL_CLASSES.items():
        if isinstance(model, cls):
            return kind
    if isinstance(model, ConciseGRU):
        return "concise"
    if not isinstance(model, ScratchGRU):
        raise TypeError(f"not a GRU Explainer model: {type(model).__name__}")
    fast = isinstance(model, FastScratchGRU)
    return ("scratch-fast" if fast else "scratch") + ("-reset-after" if model.reset_after else "")


def kind_of_weights(state_dict: dict) -> str:
    """The readable kind a state_dict fits: nn.GRU's or nn.LSTM's ``rnn.*``
    keys (told apart by their stacked gates: 3 or 4 blocks), else the scratch
    kind whose names it holds, the most specific one (a GRU's weights also hold
    the plain RNN's names; ``b_hh`` marks the reset-after cell)."""
    if "rnn.weight_ih_l0" in state_dict:
        stacked, num_hiddens = (state_dict["rnn.weight_ih_l0"].shape[0],
                                state_dict["rnn.weight_hh_l0"].shape[1])
        return "concise-lstm" if stacked == 4 * num_hiddens else "concise"
    fitting = [kind for kind, names in WEIGHT_NAMES.items()
               if all(name in state_dict for name in names)]
    if not fitting:
        missing = [name for name in PARAM_NAMES if name not in state_dict]
        raise ValueError(f"state_dict is neither nn.GRU's or nn.LSTM's nor a scratch cell's: "
                         f"missing {', '.join(missing)} (for the GRU)")
    return max(fitting, key=lambda kind: len(WEIGHT_NAMES[kind]))


def model_from_weights(state_dict: dict, kind: str | None = None, device="cpu") -> nn.Module:
    """The one way from weights to a model: a ``kind`` model (None: the readable
    kind the keys fit) holding ``state_dict``, as float32 (snapshots are float16).
    Raises ValueError/RuntimeError when the weights do not fit the kind."""
    weights = {name: torch.as_tensor(value).detach().to("cpu", torch.float32)
               for name, value in state_dict.items()}
    kind = kind_of_weights(weights) if kind is None else check_model_kind(kind)
    head = weights.get("linear.weight" if kind.startswith("concise") else "W_hq")
    if head is None:
        raise ValueError(f"state_dict does not fit a {kind} model: it has no output layer "
                         f"({'linear.weight' if kind.startswith('concise') else 'W_hq'})")
    # the output layer is (num_hiddens, vocab) in the scratch layout, nn.Linear's transposed
    vocab_size, num_hiddens = head.shape if kind.startswith("concise") else head.T.shape
    model = make_model(kind, vocab_size, num_hiddens, "cpu", seed=0)
    model.load_state_dict(weights)
    return model.to(device)


__all__ = ["CELL_CLASSES", "CELL_NAMES", "CONCISE_INITS", "CellTrace", "Clamp", "ConciseGRU", "ConciseLSTM",
           "ConciseRNN", "DeviceError", "FastScratchGRU", "GRU_KINDS", "GateClamp", "GateTrace",
           "MODEL_KINDS", "NO_CLAMP", "PARAM_NAMES", "RESET_AFTER_BIAS", "ResetOnlyGRU",
           "ScratchCell", "ScratchGRU", "ScratchLSTM", "ScratchRNN", "StepSchedule",
           "UpdateOnlyGRU", "WEIGHT_NAMES", "check_concise_init", "check_model_kind", "kind_of_weights", "make_model",
           "model_from_weights", "model_kind", "network_name", "refuse_missing_gates",
           "resolve_device",
           "concise_from_scratch", "scratch_from_concise", "scratch_lstm_from_concise"]
