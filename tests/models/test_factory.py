"""gru_core.models: devices, the factory, model kinds and weights -> model."""
from __future__ import annotations

import pytest
import torch

from gru_core import models
from gru_core.models import ConciseGRU, DeviceError, ScratchGRU, resolve_device

from .common import VOCAB


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA GPU.*--device cpu"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(DeviceError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")


def test_make_model_checks_its_arguments():
    assert isinstance(models.make_model("scratch", VOCAB, 4), ScratchGRU)
    assert models.make_model("scratch-reset-after", VOCAB, 4).reset_after
    assert isinstance(models.make_model("concise", VOCAB, 4), ConciseGRU)
    with pytest.raises(ValueError, match="model must be one of .*lstm, concise-lstm "
                                         r"\(got 'transformer'\)"):
        models.make_model("transformer", VOCAB, 4)
    with pytest.raises(ValueError, match="num_hiddens must be >= 1"):
        models.make_model("scratch", VOCAB, 0)
    assert models.model_kind(models.make_model("scratch-reset-after", VOCAB, 4)) == "scratch-reset-after"
    assert models.model_kind(models.make_model("concise", VOCAB, 4)) == "concise"


@pytest.mark.parametrize("kind", models.MODEL_KINDS)
def test_model_kind_names_what_make_model_built(kind):
    assert models.model_kind(models.make_model(kind, VOCAB, 4)) == kind


def test_model_kind_refuses_foreign_modules():
    with pytest.raises(TypeError, match="not a GRU Explainer model: Linear"):
        models.model_kind(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("kind,readable", [("scratch", "scratch"),
                                           ("scratch-fast-reset-after", "scratch-reset-after"),
                                           ("concise", "concise"), ("rnn", "rnn"),
                                           ("reset-only", "reset-only"),
                                           ("update-only", "update-only"), ("lstm", "lstm"),
                                           ("concise-lstm", "concise-lstm")])
def test_weights_become_a_float32_model_of_the_kind_their_keys_fit(kind, readable):
    original = models.make_model(kind, VOCAB, 6, seed=3)
    half = {name: tensor.half() for name, tensor in original.state_dict().items()}
    rebuilt = models.model_from_weights(half)
    assert models.model_kind(rebuilt) == readable
    assert rebuilt.num_hiddens == 6 and rebuilt.vocab_size == VOCAB
    for name, tensor in rebuilt.state_dict().items():
        assert tensor.dtype == torch.float32
        assert torch.equal(tensor, half[name].float()), name
    assert models.model_kind(models.model_from_weights(original.state_dict(), kind)) == kind


def test_weights_that_fit_no_model_are_refused():
    with pytest.raises(ValueError,
                       match="neither nn.GRU's or nn.LSTM's nor a scratch cell's: missing W_xz"):
        models.model_from_weights({"weight": torch.zeros(2, 2)})
    weights = models.make_model("scratch", VOCAB, 6).state_dict()
    weights["W_hz"] = torch.zeros(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch for W_hz"):
        models.model_from_weights(weights)


@pytest.mark.parametrize("kind", models.MODEL_KINDS)
def test_networks_are_named_by_cell(kind):
    name = models.network_name(kind)
    assert name == ("scratch" if kind.startswith("scratch") else kind)
    assert name in models.CELL_NAMES


def test_the_same_kind_and_seed_give_the_same_start_for_every_cell():
    for kind in models.MODEL_KINDS:
        a, b = models.make_model(kind, VOCAB, 5, seed=3), models.make_model(kind, VOCAB, 5, seed=3)
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), kind
        c = models.make_model(kind, VOCAB, 5, seed=4)
        assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters())), kind


def test_weights_of_one_cell_are_refused_by_another_kind():
    lstm = models.make_model("lstm", VOCAB, 6).state_dict()
    with pytest.raises(RuntimeError, match="Missing key"):
        models.model_from_weights(lstm, "scratch")
    with pytest.raises(ValueError, match="no output layer"):
        models.model_from_weights(lstm, "concise-lstm")


def test_nn_gru_from_d2ls_init_holds_the_scratch_grus_initial_weights():
    scratch = models.make_model("scratch", VOCAB, 6, seed=4)
    concise = models.make_model("concise", VOCAB, 6, seed=4, concise_init="d2l")
    expected = models.concise_from_scratch(scratch).state_dict()
    assert all(torch.equal(value, expected[name]) for name, value in concise.state_dict().items())
    assert concise.rnn.weight_hh_l0.abs().max() < 0.06  # N(0, 0.01²), not U(±1/√6 = ±0.41)
    own = models.make_model("concise", VOCAB, 6, seed=4)
    assert own.rnn.weight_hh_l0.abs().max() > 0.1
    # the option concerns nn.GRU only: every other kind starts as it always does
    assert torch.equal(models.make_model("scratch", VOCAB, 6, seed=4, concise_init="d2l").W_hh,
                       scratch.W_hh)
    with pytest.raises(ValueError, match="concise_init must be one of pytorch, d2l "
                                         r"\(got 'xavier'\)"):
        models.make_model("concise", VOCAB, 6, concise_init="xavier")
