"""Hyper-parameters: ``TrainConfig`` (d2l's GRU chapter as defaults) and the
one table, ``SETTINGS``, that every interface derives from.

Each row of ``SETTINGS`` names a ``TrainConfig`` field, its CLI flag, its key in
the app's URL (also the widget key), its label, its allowed range and its step.
The CLI's flags (``gru_core.cli``), the Train page's widgets and the URL keys are
built from it, and ``check_limit`` enforces the same ranges everywhere, so adding
a hyper-parameter is one row here and one field below.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .models import MODEL_KINDS, check_concise_init, resolve_device

# Model kinds a run may name beyond those of gru_core.models: "both" is d2l's
# scratch GRU and nn.GRU trained in lockstep on identical batches.
LOCKSTEP_BOTH = "both"


@dataclass(frozen=True)
class Setting:
    """One numeric hyper-parameter as every interface sees it."""
    field: str          # TrainConfig field
    flag: str           # CLI flag
    url_key: str        # query-string key and widget key of the Train page
    label: str          # widget label
    low: float
    high: float
    whole: bool         # a whole number (int), else any float in range
    step: float | None = None
    help: str = ""

    def check(self, value):
        return check_limit(self.field, value)


SETTINGS = (
    Setting("num_hiddens", "--hiddens", "hiddens", "Hidden units", 1, 2048, True, 16),
    Setting("batch_size", "--batch-size", "batch", "Batch size", 1, 1024, True),
    Setting("num_steps", "--num-steps", "steps", "Time steps", 1, 1000, True),
    Setting("lr", "--lr", "lr", "Learning rate", 1e-6, 1e7, False, 0.1),
    Setting("num_epochs", "--epochs", "epochs", "Epochs", 1, 100_000, True, 50),
    Setting("clip_theta", "--clip", "clip", "Gradient clip θ", 1e-6, 1e6, False, 0.5,
            "clip theta"),
    Setting("max_tokens", "--max-tokens", "max_tokens", "Characters of the corpus to use",
            100, 2_000_000, True, 1000),
    Setting("seed", "--seed", "seed", "Seed", 0, 2**31 - 1, True),
)
SETTINGS_BY_FIELD = {setting.field: setting for setting in SETTINGS}
LIMITS = {setting.field: (setting.low, setting.high) for setting in SETTINGS}


def check_limit(name: str, value):
    """The one range check: ``value`` must be a finite number inside
    ``LIMITS[name]`` (a whole one for whole settings). Returns it as int or float."""
    setting = SETTINGS_BY_FIELD[name]
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or not setting.low <= value <= setting.high:
        raise ValueError(f"{name} must be between {setting.low:g} and {setting.high:g} "
                         f"(got {value!r})")
    if setting.whole:
        if value != int(value):
            raise ValueError(f"{name} must be a whole number (got {value!r})")
        return int(value)
    return float(value)


def check_count(name: str, value, minimum: int) -> int:
    """A whole number >= ``minimum`` (bounds of internal buffers and cursors)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    return value


@dataclass
class TrainConfig:
    """Hyper-parameters, with d2l's GRU chapter as defaults. ``model`` is a
    model kind (``gru_core.models.MODEL_KINDS``) or "both"; a live run of
    several cells names them in ``Run(networks=...)`` instead."""
    model: str = "scratch"
    num_hiddens: int = 256
    batch_size: int = 32
    num_steps: int = 35
    lr: float = 1.0
    num_epochs: int = 500
    clip_theta: float = 1.0
    use_random_iter: bool = False
    device: str = "auto"
    seed: int = 0
    max_tokens: int = 10000
    concise_init: str = "pytorch"   # nn.GRU's start: models.CONCISE_INITS

    def validate(self) -> "TrainConfig":
        choices = MODEL_KINDS + (LOCKSTEP_BOTH,)
        if self.model not in choices:
            raise ValueError(f"model must be one of {', '.join(choices)} (got '{self.model}')")
        for setting in SETTINGS:
            setting.check(getattr(self, setting.field))
        resolve_device(self.device)
        check_concise_init(self.concise_init)
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


D2L = TrainConfig()  # the chapter's configuration; its num_hiddens and seed build fresh models
