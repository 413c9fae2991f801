"""Training exactly as d2l's ``train_epoch_ch8`` / ``train_ch8``, split into a
per-batch step so live runs can pause between batches and feed two models the
same batches (lockstep)."""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn

from .data import Corpus, Vocab
from .models import MODEL_KINDS, ScratchGRU, make_model, resolve_device

# Allowed ranges: the library enforces them, the app's widgets use them as bounds.
LIMITS = {
    "num_hiddens": (1, 2048),
    "batch_size": (1, 1024),
    "num_steps": (1, 1000),
    "num_epochs": (1, 100_000),
    "lr": (1e-6, 1e7),
    "clip_theta": (1e-6, 1e6),
    "max_tokens": (100, 2_000_000),
}


@dataclass
class TrainConfig:
    """Hyper-parameters, with d2l's GRU chapter as defaults."""
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

    def validate(self) -> "TrainConfig":
        if self.model not in MODEL_KINDS + ("both",):
            raise ValueError(f"model must be one of {', '.join(MODEL_KINDS + ('both',))} "
                             f"(got '{self.model}')")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not is_number or not math.isfinite(value) or not low <= value <= high:
                raise ValueError(f"{name} must be between {low:g} and {high:g} (got {value!r})")
            if name != "lr" and name != "clip_theta" and value != int(value):
                raise ValueError(f"{name} must be a whole number (got {value!r})")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0 (got {self.seed!r})")
        resolve_device(self.device)
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


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


def perplexity_of(mean_loss: float) -> float:
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf


@dataclass
class BatchStats:
    loss: float
    grad_norm: float
    clipped: bool
    num_tokens: int
    seconds: float


@dataclass
class EpochStats:
    perplexity: float
    tokens_per_second: float
    seconds: float
    num_tokens: int


class Trainer:
    """One model's optimisation state. The scratch models use d2l's ``sgd``,
    ``ConciseGRU`` uses ``torch.optim.SGD`` (as d2l does); the two are the same
    update. ``param_lock`` (if given) is held only around the parameter update,
    so readers can copy a consistent model without stalling forward/backward."""

    def __init__(self, model: nn.Module, lr: float, clip_theta: float = 1.0,
                 use_random_iter: bool = False, param_lock=None):
        self.model, self.lr, self.clip_theta = model, lr, clip_theta
        self.use_random_iter = use_random_iter
        self.param_lock = param_lock or contextlib.nullcontext()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = (None if isinstance(model, ScratchGRU)
                          else torch.optim.SGD(model.parameters(), lr=lr))
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

    def end_epoch(self) -> EpochStats:
        mean_loss = self.loss_sum / max(self.num_tokens, 1)
        return EpochStats(perplexity_of(mean_loss), self.num_tokens / max(self.seconds, 1e-9),
                          self.seconds, self.num_tokens)


def train_epoch(trainer: Trainer, data_iter, on_batch=None) -> EpochStats:
    """d2l's ``train_epoch_ch8``: fresh state first, detached after; mean CE;
    clip at theta; returns perplexity exp(mean loss) and tokens/s."""
    trainer.begin_epoch()
    for X, Y in data_iter:
        stats = trainer.train_batch(X, Y)
        if on_batch:
            on_batch(stats)
    return trainer.end_epoch()


@torch.no_grad()
def predict(prefix: str, num_preds: int, model: nn.Module, vocab: Vocab,
            temperature: float = 0.0, seed: int | None = None) -> str:
    """d2l's ``predict_ch8`` (greedy) when ``temperature`` is 0; otherwise
    samples from softmax(logits / temperature)."""
    if not prefix:
        raise ValueError("the prefix must contain at least one character")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (got {temperature})")
    device = model.device
    generator = torch.Generator(device="cpu")
    if seed is None:
        generator.seed()  # a fresh Generator has a fixed default seed: draw a random one
    else:
        generator.manual_seed(seed)
    state = model.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]

    def last_input():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))
    for token in prefix[1:]:  # warm-up: feed the prefix, ignore the outputs
        _, state = model(last_input(), state)
        outputs.append(vocab[token])
    for _ in range(num_preds):
        y, state = model(last_input(), state)
        if temperature == 0:
            outputs.append(int(y.argmax(dim=1).reshape(1)))
        else:
            probs = torch.softmax(y[0].float().cpu() / temperature, dim=0)
            outputs.append(int(torch.multinomial(probs, 1, generator=generator)))
    return "".join(vocab.idx_to_token[i] for i in outputs)


@dataclass
class History:
    """Per-epoch records and samples; small, JSON- and checkpoint-friendly."""
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
        return cls(list(values.get("epochs", [])), dict(values.get("samples", {})))


SAMPLE_PREFIXES = ("time traveller", "traveller")


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
        sample_every: int = 10, model: nn.Module | None = None, snapshot_every: int = 0,
        snapshot_epochs=None):
    """d2l's ``train_ch8``: returns (model, history, last EpochStats). Sampling
    happens outside the timed training steps. Snapshots (float16) are taken at
    the epochs ``snapshot_schedule`` gives."""
    config.validate()
    snapshot_at = snapshot_schedule(config.num_epochs, snapshot_every, snapshot_epochs)
    device = resolve_device(config.device)
    if model is None:
        model = make_model(config.model, len(corpus.vocab), config.num_hiddens, device, config.seed)
    loader = corpus.loader(config.batch_size, config.num_steps, config.use_random_iter, config.seed)
    trainer = Trainer(model, config.lr, config.clip_theta, config.use_random_iter)
    history, stats = History(), None
    if 0 in snapshot_at:
        history.snapshots.append({"epoch": 0, "state_dict": half_state_dict(model)})
    for epoch in range(1, config.num_epochs + 1):
        stats = train_epoch(trainer, loader, on_batch)
        record = {"epoch": epoch, "perplexity": stats.perplexity,
                  "tokens_per_second": stats.tokens_per_second, "seconds": stats.seconds,
                  "num_tokens": stats.num_tokens}
        history.epochs.append(record)
        sample = None
        if sample_every and (epoch % sample_every == 0 or epoch == config.num_epochs):
            sample = predict(SAMPLE_PREFIXES[0], 50, model, corpus.vocab)
            history.samples[str(epoch)] = sample
        if epoch in snapshot_at:
            history.snapshots.append({"epoch": epoch, "state_dict": half_state_dict(model)})
        if on_epoch:
            on_epoch(record, sample)
    return model, history, stats
