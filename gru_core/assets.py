"""The models shipped in ``assets/``, described honestly: what each was trained
on, and how well it predicts the text it saw and the text it never saw.

The chapter's model (d2l's 10,000 characters, 500 epochs) predicts its own
text almost perfectly and the rest of the book worse than a uniform guess: it
memorised. The book model trained on the first 150,000 characters, stopped at
the epoch with the best perplexity on the book's last 20,580 characters (held
out), generalises. Pages label each with both numbers (``ShippedModel.summary``)
and use the book model by default where gates should show language, not recall.

How the numbers were measured (``measure``): ``interpret.perplexity`` on the
training text and on the held-out tail, the same way for both. d2l's own
training perplexity (the mean over the last epoch's batches, each row starting
from a zero state where d2l's loader starts it) is kept beside it: for the
memorising model it is much lower, because it recalls its text best from the
starting points it was trained from. Commands, times and machine:
``assets/README.md``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from torch import nn

from .data import Corpus, load_corpus_time_machine
from .interpret import perplexity
from .models import model_from_weights

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"


@dataclass(frozen=True)
class ShippedModel:
    """One checkpoint in ``assets/`` and what it is."""
    key: str
    filename: str
    label: str                       # how pages name it
    trained_on: str
    train_chars: int                 # the corpus's max_tokens: load_corpus_time_machine(...)
    heldout_on: str
    epochs: int
    d2l_perplexity: float            # d2l's training perplexity, last epoch trained
    training_perplexity: float       # interpret.perplexity on the training text
    heldout_perplexity: float        # interpret.perplexity on the held-out tail
    sha256: str

    @property
    def path(self) -> Path:
        return ASSETS_DIR / self.filename

    @property
    def summary(self) -> str:
        """"<label>: perplexity 1.31 on its training text, 214 on held-out text (...)"."""
        return (f"{self.label}: perplexity {self.training_perplexity:.3g} on its training text "
                f"({self.trained_on}), {self.heldout_perplexity:.3g} on text it never saw "
                f"({self.heldout_on})")

    def corpus(self) -> Corpus:
        """The corpus it was trained on: ``indices`` its training text,
        ``heldout`` the text it never saw."""
        return load_corpus_time_machine(self.train_chars)

    def verify(self) -> bool:
        """Whether the file on disk is the one these numbers describe."""
        return self.path.is_file() and sha256_of(self.path) == self.sha256


CHAPTER = ShippedModel(
    key="chapter", filename="pretrained_gru.pt",
    label="the chapter's model (memorises its 10,000 characters)",
    trained_on="the first 10,000 characters of The Time Machine, 500 epochs",
    train_chars=10_000, heldout_on="the rest of the book, characters 10,000 to 170,580",
    epochs=500, d2l_perplexity=1.048, training_perplexity=1.312, heldout_perplexity=214.5,
    sha256="2eceb375cbc634c86f108d600b5575d50daf3bdafafbddbbd36d20f33a8a3f82")

BOOK = ShippedModel(
    key="book", filename="pretrained_book.pt",
    label="the book model (trained on most of the book, early-stopped)",
    trained_on="the first 150,000 characters of The Time Machine, 51 epochs",
    train_chars=150_000, heldout_on="the book's last 20,580 characters",
    epochs=51, d2l_perplexity=4.210, training_perplexity=4.118, heldout_perplexity=5.174,
    sha256="019d8a4fd9642bf502789c3968df79560a3c55b44bebd12c2de654b9ff58a51b")

SHIPPED_MODELS = {model.key: model for model in (CHAPTER, BOOK)}
# Which shipped model a page starts from: the book model generalises, so its
# gates respond to language; the chapter's model is d2l's, for the Step page's
# equations and for contrast.
DEFAULT_MODELS = {"gates": "book", "explore": "book", "step": "chapter", "compare": "chapter"}


def shipped_model(key: str) -> ShippedModel:
    if key not in SHIPPED_MODELS:
        raise ValueError(f"shipped model must be one of {', '.join(SHIPPED_MODELS)} (got '{key}')")
    return SHIPPED_MODELS[key]


def default_model(page: str) -> ShippedModel:
    """The shipped model a page uses unless the user picks another (the book's
    for pages not listed)."""
    return SHIPPED_MODELS[DEFAULT_MODELS.get(page, "book")]


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class Measured:
    """Perplexity of one model on its corpus's training text and held-out tail."""
    training_perplexity: float
    heldout_perplexity: float


def measure(model: nn.Module, corpus: Corpus, max_chars: int | None = None) -> Measured:
    """The two numbers of a ``ShippedModel``, measured the same way on both
    texts (``interpret.perplexity``); ``max_chars`` cuts each text."""
    if not corpus.heldout:
        raise ValueError(f"{corpus.name} holds nothing back: there is no held-out text")
    cut = slice(None, max_chars)
    return Measured(perplexity(model, corpus.indices[cut]), perplexity(model, corpus.heldout[cut]))


@dataclass
class SnapshotScore:
    epoch: int
    heldout_perplexity: float


def snapshot_heldout(snapshots: Sequence[dict], corpus: Corpus,
                     max_chars: int | None = None) -> list[SnapshotScore]:
    """Held-out perplexity after each snapshot epoch (``{"epoch", "state_dict"}``,
    float16 weights read as float32), for early stopping: the epoch to keep is
    ``best_epoch`` of these."""
    heldout = corpus.heldout[:max_chars]
    if len(heldout) < 2:
        raise ValueError(f"{corpus.name} holds back {len(heldout)} characters; early stopping "
                         f"needs a held-out text")
    return [SnapshotScore(int(s["epoch"]), perplexity(model_from_weights(s["state_dict"]), heldout))
            for s in sorted(snapshots, key=lambda s: s["epoch"])]


def best_epoch(scores: Sequence[SnapshotScore]) -> SnapshotScore:
    """The snapshot with the lowest held-out perplexity (the earliest on a tie)."""
    if not scores:
        raise ValueError("no snapshots to choose from")
    return min(scores, key=lambda s: (s.heldout_perplexity, s.epoch))
