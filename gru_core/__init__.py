"""GRU Explainer's library: d2l's GRU chapter as code (no Streamlit here).

data -> models -> training -> checkpoint -> interpret -> runs (live) -> figures
(live runs measure held-out perplexity with ``interpret.perplexity``).
``engine.configure()`` sets the process-wide engine policy (threads, malloc,
kernel path); the CLI and the app call it once.

Words used throughout (one meaning each):

- **model kind**: what ``models.make_model`` builds, one of ``MODEL_KINDS``:
  the GRUs ("scratch", "scratch-reset-after", "scratch-fast",
  "scratch-fast-reset-after", "concise") and the chapter's other cells ("rnn",
  "reset-only", "update-only", "lstm", "concise-lstm"). ``TrainConfig.model``
  is a model kind, or "both".
- **cell**: the recurrence a model computes (GRU, plain RNN, reset-only or
  update-only GRU, LSTM); each from-scratch cell is one module of
  ``gru_core.models`` and traces its own quantities (``GateTrace`` for the GRU,
  ``CellTrace`` for the others).
- **network**: one model of a run or a checkpoint, named by cell: "scratch"
  (d2l's from-scratch GRU, whichever engine computes it), "concise" (nn.GRU),
  and for the other cells their kind ("rnn", "reset-only", "update-only",
  "lstm", "concise-lstm"); ``models.network_name(kind)``. A run may train any
  number of networks in lockstep. Records, samples and snapshots are keyed by
  network.
- **source**: where a page's model comes from: a live run, a loaded checkpoint,
  the pretrained model shipped in ``assets/``, or a fresh untrained model.
- **reset-before / reset-after**: d2l's cell (R multiplies H_{t-1} before the
  recurrent matmul) and PyTorch's (R multiplies the matmul's result, which has
  its own bias b_hh).
- **training text / held-out text**: a corpus's ``indices`` (the first
  ``max_tokens`` characters, what the model trains on) and ``heldout`` (the rest of
  the same text, never trained on).
- **clean-up**: how raw text became tokens (``data.Cleanup``: d2l's letters-only
  or keep-case); probes go through the model's own (``Corpus.cleanup``).
- **shipped model**: a checkpoint in ``assets/``, described by ``assets.ShippedModel``
  (what it was trained on, perplexity on its training and held-out text).
- **seed**: only ever the random seed. The same kind, sizes and seed give the
  same initial weights; a *same-start restart* reuses a run's initial weights
  exactly (``runs.restarts``).
"""
from .config import TrainConfig
from .data import Corpus, CorpusError, Vocab, load_text, load_time_machine
from .models import (CellTrace, ConciseGRU, ConciseLSTM, GateTrace, ScratchGRU, ScratchLSTM,
                     ScratchRNN, make_model, resolve_device)
from .sampling import predict
from .training import Trainer, fit, train_epoch

__all__ = ["Corpus", "CorpusError", "Vocab", "load_text", "load_time_machine", "CellTrace",
           "ConciseGRU", "ConciseLSTM", "GateTrace", "ScratchGRU", "ScratchLSTM", "ScratchRNN",
           "make_model", "resolve_device", "TrainConfig", "Trainer", "fit", "predict",
           "train_epoch"]
