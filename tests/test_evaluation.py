"""gru_core.evaluation: held-out text scored the way training scores it."""
from __future__ import annotations

import pytest

from gru_core import evaluation
from gru_core.models import make_model
from gru_core.training import TrainConfig, fit

TINY = dict(num_hiddens=8, batch_size=8, num_steps=10, num_epochs=2, device="cpu")


def test_held_out_text_is_scored_after_every_epoch_like_training_text(time_machine):
    model = make_model("scratch", len(time_machine.vocab), 16, seed=0)
    # on the training text itself, evaluate() equals the epoch's own perplexity before the update
    _, history, _ = fit(time_machine, TrainConfig(**(TINY | {"num_epochs": 2})), sample_every=0)
    scores = [r["heldout_perplexity"] for r in history.epochs]
    assert all(1 < score < 40 for score in scores)
    heldout = time_machine.heldout[:evaluation.HELDOUT_EVAL_CHARS]
    untrained = evaluation.evaluate(model, heldout, 8, 10)
    assert untrained == pytest.approx(len(time_machine.vocab), rel=0.05)  # a uniform guess
    with pytest.raises(ValueError, match="too short to score"):
        evaluation.evaluate(model, [1], 8, 10)
