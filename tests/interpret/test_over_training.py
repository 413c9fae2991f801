"""gru_core.interpret.over_training: float16 snapshots replayed in epoch order."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gru_core import interpret
from gru_core.models import make_model, model_from_weights
from gru_core.training import half_state_dict


@pytest.mark.parametrize("kind", ["scratch-reset-after", "concise", "lstm", "concise-lstm",
                                  "update-only"])
def test_snapshot_traces_replay_float16_snapshots(kind, lively, text_indices):
    early = lively(make_model(kind, 28, 6, seed=0), seed=1)
    late = lively(make_model(kind, 28, 6, seed=0), seed=2)
    snapshots = [{"epoch": 20, "state_dict": half_state_dict(late)},
                 {"epoch": 0, "state_dict": half_state_dict(early)}]
    replayed = interpret.snapshot_traces(snapshots, text_indices)
    assert [s.epoch for s in replayed] == [0, 20]
    rounded = model_from_weights(half_state_dict(late))
    assert type(rounded) is type(late) and next(rounded.parameters()).dtype == torch.float32
    np.testing.assert_array_equal(replayed[1].trace.hidden,
                                  rounded.trace(text_indices.tolist()).hidden)
    assert not np.allclose(replayed[0].trace.hidden, replayed[1].trace.hidden)


def test_snapshots_must_exist_and_match_a_model(text_indices):
    with pytest.raises(ValueError, match="no parameter snapshots"):
        interpret.snapshot_traces([], text_indices)
    with pytest.raises(ValueError, match="missing W_xz"):
        model_from_weights({"weight": torch.zeros(2)})
    with pytest.raises(ValueError, match="missing W_xz"):
        interpret.snapshot_traces([{"epoch": 0, "state_dict": {"weight": torch.zeros(2)}}],
                                  text_indices)
