"""Same-start restarts: a new run from the very initial weights of an earlier
one, with hyper-parameters changed, and the words for what differs.

Every run keeps its models' initial weights (``Run.initial_state_dicts``,
float32). ``plan_restart`` turns a run and the changes into everything the new
run needs; the new run loads those weights wherever their shapes still fit.
A changed hidden size changes every shape, so then the models start from the
same *seed* instead, and ``SameStart.note`` says so. The seed itself cannot
change (it would be another start), nor the networks (the comparison is
between the same cells).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..config import TrainConfig
from ..data import Corpus
from ..models import make_model

# Short names for ``describe_difference``, in the order differences are listed.
SHORT_NAMES = {"lr": "lr", "num_hiddens": "hiddens", "clip_theta": "clip θ",
               "use_random_iter": "sampling", "batch_size": "batch", "num_steps": "steps",
               "num_epochs": "epochs", "max_tokens": "characters", "device": "device",
               "seed": "seed", "model": "model"}
FIXED_IN_RESTARTS = ("seed", "model")


def _shown(name: str, value) -> str:
    if name == "use_random_iter":
        return "random" if value else "sequential"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}"


def describe_difference(before: TrainConfig, after: TrainConfig) -> str:
    """What differs between two configs, e.g. "lr 1 → 0.5" or "hiddens 256 →
    128, clip θ 1 → 0.1"; "same settings" if nothing does."""
    a, b = before.to_dict(), after.to_dict()
    changed = [f"{SHORT_NAMES.get(name, name)} {_shown(name, a[name])} → {_shown(name, b[name])}"
               for name in list(SHORT_NAMES) + sorted(set(a) - set(SHORT_NAMES))
               if a.get(name) != b.get(name)]
    return ", ".join(changed) or "same settings"


@dataclass(frozen=True)
class SameStart:
    """Where a restarted run starts: the earlier run, what differs from it,
    and the initial weights it takes (network -> float32 state_dict; networks
    missing here start from the seed, as ``note`` explains)."""
    parent_id: str
    difference: str
    note: str = ""
    state_dicts: dict[str, dict] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class RestartPlan:
    """Everything ``Run(...)`` needs for a same-start restart:
    ``Run(plan.config, plan.corpus, networks=plan.networks,
    same_start=plan.same_start, **plan.run_options)``."""
    config: TrainConfig
    corpus: Corpus
    networks: dict[str, str]
    same_start: SameStart
    run_options: dict


def plan_restart(run, **changes) -> RestartPlan:
    """A restart of ``run`` (a ``Run``) from its initial weights, with
    ``changes`` to its config (``lr=0.5``, ``num_hiddens=128``,
    ``clip_theta=0.1``, ``use_random_iter=True``, ...)."""
    fixed = [name for name in changes if name in FIXED_IN_RESTARTS]
    if fixed:
        raise ValueError(f"a same-start restart keeps the {' and '.join(fixed)} (changing "
                         f"{'it' if len(fixed) == 1 else 'them'} would start elsewhere); create "
                         f"a new run instead")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"unknown settings {', '.join(unknown)}; a restart may change "
                         f"{', '.join(sorted(known - set(FIXED_IN_RESTARTS)))}")
    config = dataclasses.replace(run.config, **changes).validate()
    corpus = run.corpus
    if config.max_tokens != run.config.max_tokens:
        corpus = corpus.first(config.max_tokens)   # same text and vocabulary, cut elsewhere
    state_dicts, reseeded = {}, []
    for name, kind in run.model_kinds.items():
        initial = run.initial_state_dicts[name]
        fresh = make_model(kind, len(corpus.vocab), config.num_hiddens, "cpu", config.seed)
        fits = all(initial[key].shape == value.shape for key, value in fresh.state_dict().items())
        if fits:
            state_dicts[name] = initial
        else:
            reseeded.append(name)
    note = ""
    if reseeded:
        note = (f"{describe_difference(run.config, config)}: the initial weights of "
                f"{', '.join(reseeded)} cannot be reused (their shapes change), so "
                f"{'it starts' if len(reseeded) == 1 else 'they start'} from the fresh weights "
                f"of the same seed ({config.seed}) instead.")
    same_start = SameStart(run.id, describe_difference(run.config, config), note, state_dicts)
    return RestartPlan(config, corpus, dict(run.model_kinds), same_start, dict(run.run_options))


def run_labels(runs) -> dict[str, str]:
    """A label per run of a session (``Run``s, oldest first) for curves laid
    over each other: what differs from the first run, and how it started (the
    first run's weights, only its seed, or a start of its own)."""
    labels = {}
    for run in runs:
        if not labels:
            labels[run.id] = f"first run ({run.config.num_hiddens} hiddens, lr {run.config.lr:g})"
            continue
        start = ("same start" if run.same_start and run.same_start.state_dicts
                 else "same seed" if run.same_start else "new start")
        labels[run.id] = f"{describe_difference(runs[0].config, run.config)} ({start})"
    return labels
