"""Training exactly as d2l's ``train_epoch_ch8`` / ``train_ch8``, split into a
per-batch step so live runs can pause between batches, and arranged as one
loop (``Lockstep``) that trains any number of models on identical batches:
``fit`` (the CLI) and live runs (``gru_core.runs``) both drive it."""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn

from .config import TrainConfig
from .data import Corpus
from .evaluation import HELDOUT_EVAL_CHARS, evaluate, perplexity_of
from .models import ConciseRNN, make_model, model_kind, network_name, resolve_device
from .sampling import predict

SAMPLE_PREFIXES = ("time traveller", "traveller")
SAMPLE_LENGTH = 50   # characters written after the prefix, as d2l does
SAMPLE_EVERY = 5     # epochs between samples, CLI and live runs alike


def network_of(model: nn.Module) -> str:
    """Which network a model is, in the words runs and records use: named by
    cell, d2l's from-scratch GRU (any engine) is "scratch", nn.GRU "concise",
    the others their kind ("rnn", "lstm", ...)."""
    return network_name(model_kind(model))


def grad_clipping(params: list[torch.Tensor], theta: float) -> tuple[float, bool]:
    """d2l's clipping by global norm; returns (norm before clipping, clipped?)."""
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    clipped = bool(norm > theta)
    if clipped:
        for p in params:
            p.grad[:] *= theta / norm
    return float(norm), clipped


def sgd(params: list[torch.Tensor], lr: float) -> None:
    """d2l's ``sgd`` with batch_size=1, as ``train_epoch_ch8`` calls it."""
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()


class DivergedError(RuntimeError):
    pass


# A uniform guess over 28 characters costs ln 28 = 3.3 nats. A batch loss above
# MAX_LOSS has diverged for any purpose, and exp() of it would overflow a float,
# so perplexity could no longer be reported. (A too-large learning rate drives
# the loss to millions of nats while it stays finite: clipping bounds each step,
# so waiting for inf or nan would never stop such a run.)
MAX_LOSS = 700.0


@dataclass
class BatchStats:
    loss: float
    grad_norm: float
    clipped: bool
    num_tokens: int
    seconds: float


@dataclass
class BatchRecord:
    """One batch of one network in a loop (``Lockstep``): the trainer's stats
    with where it happened and the learning rate it used."""
    step: int
    epoch: int
    model: str
    loss: float
    grad_norm: float
    clipped: bool
    lr: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EpochRecord:
    """One epoch of one network: the one record shape of the CLI's JSON, live
    runs and checkpoints. ``elapsed_s`` is the run's training time when the
    epoch ended (0 where unknown), ``wall_time`` the clock time then;
    ``heldout_perplexity`` is measured after the epoch, outside its timing."""
    epoch: int
    perplexity: float
    tokens_per_second: float
    seconds: float
    num_tokens: int = 0
    model: str = ""
    elapsed_s: float = 0.0
    wall_time: float = 0.0
    heldout_perplexity: float | None = None   # on the corpus's held-out text, if it has one

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "EpochRecord":
        """Tolerant of older files, whose records lack the later fields."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


class Trainer:
    """One model's optimisation state. The scratch models use d2l's ``sgd``,
    the concise ones (nn.GRU, nn.LSTM) ``torch.optim.SGD`` (as d2l does); the
    two are the same update. ``param_lock`` (if given) is held only around the parameter update,
    so readers can copy a consistent model without stalling forward/backward."""

    def __init__(self, model: nn.Module, lr: float, clip_theta: float = 1.0,
                 use_random_iter: bool = False, param_lock=None):
        self.model, self.lr, self.clip_theta = model, lr, clip_theta
        self.use_random_iter = use_random_iter
        self.param_lock = param_lock or contextlib.nullcontext()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = (torch.optim.SGD(model.parameters(), lr=lr)
                          if isinstance(model, ConciseRNN) else None)
        self.loss_fn = nn.CrossEntropyLoss()
        self.begin_epoch()

    def set_lr(self, lr: float) -> None:
        self.lr = lr
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = lr

    def begin_epoch(self) -> None:
        self.state, self.loss_sum, self.num_tokens, self.seconds = None, 0.0, 0, 0.0

    def _fresh_or_detached_state(self, batch_size: int):
        if self.state is None or self.use_random_iter:
            return self.model.begin_state(batch_size=batch_size, device=self.model.device)
        if isinstance(self.state, tuple):
            return tuple(s.detach() for s in self.state)
        return self.state.detach()

    def train_batch(self, X: torch.Tensor, Y: torch.Tensor) -> BatchStats:
        start = time.perf_counter()
        device = self.model.device
        state = self._fresh_or_detached_state(X.shape[0])
        y = Y.T.reshape(-1).to(device)
        y_hat, self.state = self.model(X.to(device), state)
        loss = self.loss_fn(y_hat, y.long())
        loss_value = loss.item()
        if not loss_value <= MAX_LOSS:  # also true for nan
            raise DivergedError(f"the loss became {loss_value:.4g} (a uniform guess costs "
                                f"{math.log(y_hat.shape[-1]):.2f}); training has diverged "
                                f"and the last parameters were kept. Try a smaller learning "
                                f"rate (now {self.lr:g}).")
        if self.optimizer is not None:
            self.optimizer.zero_grad()
        loss.backward()
        grad_norm, clipped = grad_clipping(self.params, self.clip_theta)
        if not math.isfinite(grad_norm):
            for p in self.params:  # no stale gradient may leak into the next step
                p.grad = None
            raise DivergedError(f"the gradient norm became {grad_norm}; the update was skipped "
                                f"and the last finite parameters kept. Try a smaller learning "
                                f"rate (now {self.lr:g}).")
        with self.param_lock:
            if self.optimizer is not None:
                self.optimizer.step()
            else:
                sgd(self.params, self.lr)
        seconds = time.perf_counter() - start
        stats = BatchStats(loss_value, grad_norm, clipped, y.numel(), seconds)
        self.loss_sum += stats.loss * stats.num_tokens
        self.num_tokens += stats.num_tokens
        self.seconds += seconds
        return stats

    def epoch_progress(self) -> dict:
        """Where this epoch stands (sums so far, the carried state), to resume it."""
        state, as_tuple = self.state, isinstance(self.state, tuple)
        if state is not None:
            state = [s.detach().cpu().clone() for s in (state if as_tuple else (state,))]
        return {"loss_sum": self.loss_sum, "num_tokens": self.num_tokens,
                "seconds": self.seconds, "state": state, "state_is_tuple": as_tuple,
                "lr": self.lr}

    def resume_epoch(self, progress: dict) -> None:
        """Continue an epoch from ``epoch_progress()`` (same model, same loader)."""
        self.loss_sum, self.num_tokens = progress["loss_sum"], progress["num_tokens"]
        self.seconds = progress["seconds"]
        self.set_lr(progress["lr"])
        state = progress["state"]
        if state is not None:
            state = tuple(s.to(self.model.device) for s in state)
            self.state = state if progress["state_is_tuple"] else state[0]

    def end_epoch(self, epoch: int, network: str = "") -> EpochRecord:
        mean_loss = self.loss_sum / max(self.num_tokens, 1)
        return EpochRecord(epoch, perplexity_of(mean_loss),
                           self.num_tokens / max(self.seconds, 1e-9), self.seconds,
                           self.num_tokens, network)


def train_epoch(trainer: Trainer, data_iter, on_batch=None, epoch: int = 1) -> EpochRecord:
    """d2l's ``train_epoch_ch8``: fresh state first, detached after; mean CE;
    clip at theta; returns perplexity exp(mean loss) and tokens/s."""
    trainer.begin_epoch()
    for X, Y in data_iter:
        stats = trainer.train_batch(X, Y)
        if on_batch:
            on_batch(stats)
    return trainer.end_epoch(epoch, network_of(trainer.model))


class Lockstep:
    """Models trained on identical batches, in the same order, from one loader:
    the epoch loop of ``fit`` and of live runs. Between batches the caller may
    wait, change the learning rate or stop; ``param_locks`` (per network) are
    held around each update so readers copy consistent parameters."""

    def __init__(self, models: dict[str, nn.Module], corpus: Corpus, config: TrainConfig,
                 param_locks: dict | None = None):
        self.models, self.corpus = models, corpus
        self.loader = corpus.loader(config.batch_size, config.num_steps, config.use_random_iter,
                                    config.seed)
        self.trainers = {name: Trainer(model, config.lr, config.clip_theta,
                                       config.use_random_iter, (param_locks or {}).get(name))
                         for name, model in models.items()}
        self.epoch = self.batch = 0
        self.epoch_rng_state = self.loader.rng.getstate()
        self.training = ""   # the network inside train_batch now (for failure messages)

    @property
    def lr(self) -> float:
        return next(iter(self.trainers.values())).lr

    def set_lr(self, lr: float) -> bool:
        """The next batch uses ``lr``; returns whether it changed."""
        if lr == self.lr:
            return False
        for trainer in self.trainers.values():
            trainer.set_lr(lr)
        return True

    def begin_epoch(self):
        """Start an epoch; returns its batches (X, Y), each for every network."""
        for trainer in self.trainers.values():
            trainer.begin_epoch()
        # the loader draws this epoch's offset (and order) lazily from its rng:
        # this state replays the epoch exactly (``resume_epoch``)
        self.epoch_rng_state = self.loader.rng.getstate()
        return iter(self.loader)

    def epoch_progress(self) -> dict:
        """Where the current epoch stands, to continue it later exactly."""
        return {"rng_state": self.epoch_rng_state,
                "trainers": {name: t.epoch_progress() for name, t in self.trainers.items()}}

    def resume_epoch(self, progress: dict, batches_done: int):
        """``begin_epoch`` for an epoch interrupted after ``batches_done``
        batches (see ``epoch_progress``): the same batches follow, in order."""
        self.loader.rng.setstate(progress["rng_state"])
        batches = self.begin_epoch()
        for _ in range(batches_done):
            next(batches)
        for name, trainer in self.trainers.items():
            trainer.resume_epoch(progress["trainers"][name])
        return batches

    def train_batch(self, X: torch.Tensor, Y: torch.Tensor) -> list[BatchRecord]:
        """One batch for every network; returns one record per network."""
        step, epoch = self.batch + 1, self.epoch + 1
        records = []
        for name, trainer in self.trainers.items():
            self.training = name
            stats = trainer.train_batch(X, Y)
            records.append(BatchRecord(step, epoch, name, stats.loss, stats.grad_norm,
                                       stats.clipped, trainer.lr))
        self.training = ""
        self.batch = step
        return records

    def end_epoch(self) -> list[EpochRecord]:
        self.epoch += 1
        return [trainer.end_epoch(self.epoch, name) for name, trainer in self.trainers.items()]

    def evaluate(self, indices) -> dict[str, float]:
        """Every network's perplexity on ``indices`` (held-out text), as
        ``evaluate`` measures it with this loop's batch shape."""
        return {name: evaluate(model, indices, self.loader.batch_size, self.loader.num_steps)
                for name, model in self.models.items()}

    def samples(self, prefix: str = SAMPLE_PREFIXES[0]) -> dict[str, str]:
        """Every network's greedy continuation of ``prefix``."""
        return {name: predict(prefix, SAMPLE_LENGTH, model, self.corpus.vocab)
                for name, model in self.models.items()}


def wants_sample(epoch: int, num_epochs: int, sample_every: int) -> bool:
    """Sample every ``sample_every`` epochs (0: never) and after the last."""
    return bool(sample_every) and (epoch % sample_every == 0 or epoch == num_epochs)


@dataclass
class History:
    """Per-epoch records (``EpochRecord.to_dict()``) and samples; small, JSON-
    and checkpoint-friendly."""
    epochs: list[dict] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)
    # parameter snapshots over training, [{"epoch", "state_dict"}]; saved beside
    # the history in checkpoints, never in JSON
    snapshots: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"epochs": self.epochs, "samples": self.samples}

    @classmethod
    def from_dict(cls, values: dict | None) -> "History":
        values = values or {}
        epochs = [EpochRecord.from_dict(r).to_dict() for r in values.get("epochs", [])]
        return cls(epochs, dict(values.get("samples", {})))


def half_state_dict(model: nn.Module) -> dict:
    """A compact copy of the parameters (float16) for snapshots over training."""
    return {k: v.detach().cpu().half().clone() for k, v in model.state_dict().items()}


def snapshot_schedule(num_epochs: int, snapshot_every: int = 0,
                      snapshot_epochs=None) -> set[int]:
    """Epochs after which parameters are kept (0 = before training): every
    ``snapshot_every`` epochs (0 = off) plus 0 and the last, and/or exactly the
    listed ``snapshot_epochs`` (gates organise early, so log-spaced lists such
    as 0, 1, 2, 5, 10, 20, 50, ... show more than evenly spaced ones)."""
    if not isinstance(snapshot_every, int) or snapshot_every < 0:
        raise ValueError(f"snapshot_every must be a whole number >= 0 (got {snapshot_every!r})")
    epochs = set()
    if snapshot_every:
        epochs |= {0, num_epochs} | set(range(snapshot_every, num_epochs + 1, snapshot_every))
    for epoch in snapshot_epochs or ():
        if not isinstance(epoch, int) or not 0 <= epoch <= num_epochs:
            raise ValueError(f"snapshot_epochs must be whole numbers between 0 and num_epochs "
                             f"({num_epochs}) (got {epoch!r})")
        epochs.add(epoch)
    return epochs


def fit(corpus: Corpus, config: TrainConfig, on_epoch=None, on_batch=None,
        sample_every: int = SAMPLE_EVERY, model: nn.Module | None = None,
        snapshot_every: int = 0, snapshot_epochs=None):
    """d2l's ``train_ch8``: returns (model, history, last EpochRecord). Sampling
    happens outside the timed training steps. Snapshots (float16) are taken at
    the epochs ``snapshot_schedule`` gives."""
    config.validate()
    snapshot_at = snapshot_schedule(config.num_epochs, snapshot_every, snapshot_epochs)
    if model is None:
        model = make_model(config.model, len(corpus.vocab), config.num_hiddens,
                           resolve_device(config.device), config.seed, config.concise_init)
    network = network_of(model)
    loop = Lockstep({network: model}, corpus, config)
    history, record = History(), None
    if 0 in snapshot_at:
        history.snapshots.append({"epoch": 0, "state_dict": half_state_dict(model)})
    trained = 0.0
    for epoch in range(1, config.num_epochs + 1):
        for X, Y in loop.begin_epoch():
            batch, = loop.train_batch(X, Y)
            if on_batch:
                on_batch(batch)
        record, = loop.end_epoch()
        trained += record.seconds
        record.elapsed_s, record.wall_time = trained, time.time()
        if corpus.heldout:
            record.heldout_perplexity = loop.evaluate(corpus.heldout[:HELDOUT_EVAL_CHARS])[network]
        history.epochs.append(record.to_dict())
        sample = None
        if wants_sample(epoch, config.num_epochs, sample_every):
            sample = loop.samples()[network]
            history.samples[str(epoch)] = sample
        if epoch in snapshot_at:
            history.snapshots.append({"epoch": epoch, "state_dict": half_state_dict(model)})
        if on_epoch:
            on_epoch(record.to_dict(), sample)
    return model, history, record
