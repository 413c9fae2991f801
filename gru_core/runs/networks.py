"""Which models a run trains: networks by name, each of a model kind, all
trained in lockstep on identical batches. Every model is built from the run's
seed (the same kind, sizes and seed give the same initial weights), or from
an earlier run's initial weights (a same-start restart, ``restarts``)."""
from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence

from torch import nn

from ..config import LOCKSTEP_BOTH, TrainConfig
from ..models import CELL_NAMES, MODEL_KINDS, check_model_kind, make_model, network_name

MAX_NETWORKS = 16   # one run's models share one thread: a bound, not a design limit
# The cells a side-by-side comparison offers, by network name (``CELL_NAMES``
# says each in words): d2l's GRU through the fast engine, proven equal to it.
CELL_NETWORKS = {"scratch": "scratch-fast", "concise": "concise", "rnn": "rnn",
                 "reset-only": "reset-only", "update-only": "update-only", "lstm": "lstm",
                 "concise-lstm": "concise-lstm"}


def check_scratch_engine(scratch_engine: str) -> str:
    scratch_kinds = [k for k in MODEL_KINDS if k.startswith("scratch")]
    if scratch_engine not in scratch_kinds:
        raise ValueError(f"scratch_engine must be one of {', '.join(scratch_kinds)} "
                         f"(got '{scratch_engine}')")
    return scratch_engine


def networks_for(config_model: str, scratch_engine: str) -> dict[str, str]:
    """The networks of a run named by ``TrainConfig.model``: "both" is d2l's
    scratch GRU and nn.GRU in lockstep; plain "scratch" is built with
    ``scratch_engine`` (the fast engine, proven equal); any other kind as
    named, its network named by cell (``models.network_name``)."""
    check_scratch_engine(scratch_engine)
    if config_model == LOCKSTEP_BOTH:
        return {"scratch": scratch_engine, "concise": "concise"}
    if config_model == "scratch":
        return {"scratch": scratch_engine}
    return {network_name(config_model): config_model}


def resolve_networks(networks: Sequence[str] | Mapping[str, str] | None, config_model: str,
                     scratch_engine: str) -> dict[str, str]:
    """Network name -> model kind for a run. ``networks`` is None (what
    ``config_model`` names, see ``networks_for``: only there does "scratch"
    mean ``scratch_engine``), a list of kinds, taken as they are and named by
    cell (``["scratch-fast", "lstm"]`` is ``{"scratch": "scratch-fast",
    "lstm": "lstm"}``; two GRU engines, which would both be "scratch", are
    named by kind), or a dict of names to kinds."""
    check_scratch_engine(scratch_engine)
    if networks is None:
        return networks_for(config_model, scratch_engine)
    if isinstance(networks, str):
        raise TypeError(f"networks must be a list of model kinds or a dict of names to kinds, "
                        f"not the string {networks!r} (use TrainConfig.model for one kind)")
    if not isinstance(networks, Mapping):
        kinds = [check_model_kind(kind) for kind in networks]
        repeated = sorted(kind for kind, count in Counter(kinds).items() if count > 1)
        if repeated:
            raise ValueError(f"each model kind may appear once in a list of networks (got "
                             f"{', '.join(repeated)} more than once); to train one kind twice, "
                             f"name the networks: {{'a': '{repeated[0]}', 'b': '{repeated[0]}'}}")
        names = Counter(network_name(kind) for kind in kinds)
        networks = {network_name(kind) if names[network_name(kind)] == 1 else kind: kind
                    for kind in kinds}
    resolved = {}
    for name, kind in networks.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"network names must be non-empty strings (got {name!r})")
        resolved[name] = check_model_kind(kind)
    if not 1 <= len(resolved) <= MAX_NETWORKS:
        raise ValueError(f"a run trains 1 to {MAX_NETWORKS} networks (got {len(resolved)})")
    return resolved


def build_models(networks: dict[str, str], vocab_size: int, config: TrainConfig, device,
                 initial_state_dicts: Mapping[str, dict] | None = None) -> dict[str, nn.Module]:
    """One model per network, from ``config.seed`` (nn.GRU as
    ``config.concise_init`` says); a network listed in
    ``initial_state_dicts`` then takes those weights (they must fit)."""
    models = {}
    for name, kind in networks.items():
        model = make_model(kind, vocab_size, config.num_hiddens, "cpu", config.seed,
                           config.concise_init)
        if initial_state_dicts and name in initial_state_dicts:
            model.load_state_dict(initial_state_dicts[name])
        models[name] = model.to(device)
    return models


def network_labels(networks: Mapping[str, str], config: TrainConfig) -> dict[str, str]:
    """Each network in words (``CELL_NAMES``), saying where nn.GRU started
    when it started from d2l's weights rather than PyTorch's."""
    labels = {}
    for name, kind in networks.items():
        label = CELL_NAMES.get(name, name)
        if kind == "concise" and config.concise_init == "d2l":
            label += ", d2l's init"
        labels[name] = label
    return labels
