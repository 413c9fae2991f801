"""GRU Explainer's library: d2l's GRU chapter as code (no Streamlit here).

data -> models -> training -> checkpoint -> live runs -> inspection.
"""
from .data import Corpus, CorpusError, Vocab, load_text, load_time_machine
from .models import ConciseGRU, GateTrace, ScratchGRU, make_model, resolve_device
from .training import TrainConfig, Trainer, fit, predict, train_epoch

__all__ = ["Corpus", "CorpusError", "Vocab", "load_text", "load_time_machine", "ConciseGRU",
           "GateTrace", "ScratchGRU", "make_model", "resolve_device", "TrainConfig", "Trainer",
           "fit", "predict", "train_epoch"]
