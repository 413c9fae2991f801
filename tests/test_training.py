"""gru_core.training: d2l's train_epoch_ch8 semantics, clipping, updates,
the 20-epoch anchor, reproducibility, validation, prediction, divergence."""
from __future__ import annotations

import math

import pytest
import torch

from gru_core import training
from gru_core.models import DeviceError, make_model
from gru_core.training import DivergedError, TrainConfig, Trainer, fit, predict, train_epoch

TINY = dict(num_hiddens=8, batch_size=8, num_steps=10, num_epochs=2, device="cpu")


def hidden_of(state):
    """ScratchGRU's state is (H,), ConciseGRU's the tensor itself."""
    return state[0] if isinstance(state, tuple) else state


def params_of(model):
    return [p.detach().clone() for p in model.parameters()]


def same_params(a, b):
    return all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


class StateSpy:
    """Wraps a model's begin_state and forward to record what train_batch feeds it."""

    def __init__(self, model):
        self.begin_calls, self.inputs, self.outputs = 0, [], []
        real_begin, real_forward = model.begin_state, model.forward

        def begin_state(*args, **kwargs):
            self.begin_calls += 1
            return real_begin(*args, **kwargs)

        def forward(X, state):
            self.inputs.append(hidden_of(state))
            Y, new_state = real_forward(X, state)
            self.outputs.append(hidden_of(new_state))
            return Y, new_state

        model.begin_state, model.forward = begin_state, forward


@pytest.fixture(scope="module", params=["scratch", "concise"])
def lively(request):
    """A model with large random weights: its greedy text varies from step to
    step (an untrained d2l model would repeat one character)."""
    model = make_model(request.param, 28, 32, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.6, generator=torch.Generator().manual_seed(p.numel()))
    return model


# ---------------------------------------------------------------- epoch semantics

@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_sequential_state_is_fresh_first_then_detached(time_machine, kind):
    model = make_model(kind, len(time_machine.vocab), 8, seed=0)
    spy = StateSpy(model)
    trainer = Trainer(model, lr=1.0)
    train_epoch(trainer, time_machine.loader(8, 10, seed=0))
    assert spy.begin_calls == 1
    assert len(spy.inputs) > 20
    assert torch.count_nonzero(spy.inputs[0]) == 0
    for previous_output, state_in in zip(spy.outputs, spy.inputs[1:]):
        assert previous_output.requires_grad  # the output carries the graph...
        assert not state_in.requires_grad and state_in.grad_fn is None  # ...the next input does not
        assert torch.equal(state_in, previous_output.detach())  # same values: the state carries on
    train_epoch(trainer, time_machine.loader(8, 10, seed=1))
    assert spy.begin_calls == 2  # a new epoch starts from a fresh state


@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_random_iter_state_is_fresh_every_batch(time_machine, kind):
    model = make_model(kind, len(time_machine.vocab), 8, seed=0)
    spy = StateSpy(model)
    trainer = Trainer(model, lr=1.0, use_random_iter=True)
    train_epoch(trainer, time_machine.loader(8, 10, use_random_iter=True, seed=0))
    assert spy.begin_calls == len(spy.inputs) > 20
    assert all(torch.count_nonzero(state) == 0 for state in spy.inputs)


def test_epoch_perplexity_is_exp_of_token_mean_loss(time_machine):
    trainer = Trainer(make_model("scratch", 28, 8, seed=0), lr=1.0)
    batch_stats = []
    stats = train_epoch(trainer, time_machine.loader(8, 10, seed=0), on_batch=batch_stats.append)
    num_tokens = sum(b.num_tokens for b in batch_stats)
    assert num_tokens == stats.num_tokens == len(batch_stats) * 8 * 10
    mean_loss = sum(b.loss * b.num_tokens for b in batch_stats) / num_tokens
    assert stats.perplexity == pytest.approx(math.exp(mean_loss), rel=1e-9)
    assert stats.tokens_per_second == pytest.approx(num_tokens / sum(b.seconds for b in batch_stats))
    assert batch_stats[0].loss == pytest.approx(math.log(28), abs=0.02)  # untrained: uniform guess
    assert all(b.grad_norm > 0 and isinstance(b.clipped, bool) for b in batch_stats)


# ---------------------------------------------------------------- clipping and updates

def test_grad_clipping_scales_to_theta_by_global_norm():
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
    norm, clipped = training.grad_clipping([a, b], theta=1.0)
    assert (norm, clipped) == (5.0, True)
    assert torch.allclose(a.grad, torch.tensor([0.6, 0.0])) and torch.allclose(b.grad, torch.tensor([0.8]))
    norm, clipped = training.grad_clipping([a, b], theta=2.0)
    assert clipped is False and norm == pytest.approx(1.0)
    assert torch.allclose(b.grad, torch.tensor([0.8]))  # below theta: untouched


def test_trainer_step_is_lr_times_theta_when_clipping_fires(time_machine):
    model = make_model("scratch", 28, 8, seed=0)
    trainer = Trainer(model, lr=0.5, clip_theta=0.01)
    before = params_of(model)
    X, Y = next(iter(time_machine.loader(8, 10, seed=0)))
    stats = trainer.train_batch(X, Y)
    assert stats.clipped and stats.grad_norm > 0.01
    step = torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(params_of(model), before)))
    assert step.item() == pytest.approx(0.5 * 0.01, rel=1e-4)


def test_scratch_sgd_equals_torch_sgd(time_machine):
    ours, reference = make_model("scratch", 28, 16, seed=3), make_model("scratch", 28, 16, seed=3)
    ours_trainer, reference_trainer = Trainer(ours, lr=0.7), Trainer(reference, lr=0.7)
    assert ours_trainer.optimizer is None  # d2l's sgd
    reference_trainer.optimizer = torch.optim.SGD(reference.parameters(), lr=0.7)
    for trainer in (ours_trainer, reference_trainer):
        batches = iter(time_machine.loader(8, 10, seed=0))
        for _ in range(3):
            trainer.train_batch(*next(batches))
    initial = params_of(make_model("scratch", 28, 16, seed=3))
    assert max((p - q).abs().max().item() for p, q in zip(params_of(ours), initial)) > 1e-3
    for p, q in zip(ours.parameters(), reference.parameters()):
        assert torch.allclose(p, q, atol=1e-6, rtol=0)
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in ours.parameters())


def test_concise_uses_torch_sgd_and_set_lr_reaches_it():
    trainer = Trainer(make_model("concise", 28, 8, seed=0), lr=1.0)
    assert isinstance(trainer.optimizer, torch.optim.SGD)
    trainer.set_lr(0.25)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.25 and trainer.lr == 0.25


# ---------------------------------------------------------------- the d2l anchor

def test_twenty_epochs_of_d2l_config_lower_perplexity_below_18(time_machine):
    config = TrainConfig(num_epochs=20, device="cpu")  # 256 hiddens, batch 32, 35 steps, lr 1
    first_losses = []

    def on_batch(stats):
        if len(first_losses) < 1:
            first_losses.append(stats.loss)
    _, history, last = fit(time_machine, config, on_batch=on_batch, sample_every=0)
    perplexities = [record["perplexity"] for record in history.epochs]
    assert math.exp(first_losses[0]) == pytest.approx(28, rel=0.02)  # starts at a uniform guess
    assert perplexities[0] > 20
    assert perplexities[-1] < 18
    assert last.perplexity == perplexities[-1] and len(perplexities) == 20


@pytest.mark.parametrize("kind", ["scratch", "concise"])
def test_same_seed_gives_identical_runs(time_machine, kind):
    def run(seed):
        model, history, _ = fit(time_machine, TrainConfig(model=kind, seed=seed, **TINY), sample_every=1)
        return params_of(model), history

    (params_a, history_a), (params_b, history_b), (params_c, history_c) = run(0), run(0), run(1)
    assert same_params(params_a, params_b)
    assert [r["perplexity"] for r in history_a.epochs] == [r["perplexity"] for r in history_b.epochs]
    assert history_a.samples == history_b.samples
    assert not same_params(params_a, params_c)


def test_fit_reports_epochs_and_samples_through_callbacks(time_machine):
    epochs, batches = [], []
    _, history, _ = fit(time_machine, TrainConfig(**(TINY | {"num_epochs": 3})), sample_every=2,
                        on_epoch=lambda record, sample: epochs.append((record["epoch"], sample)),
                        on_batch=batches.append)
    assert [epoch for epoch, _ in epochs] == [1, 2, 3]
    assert epochs[0][1] is None and epochs[1][1].startswith("time traveller")
    assert sorted(history.samples) == ["2", "3"] and len(epochs[2][1]) == len("time traveller") + 50
    assert len(batches) > 3 * 20 and all(b.loss > 0 for b in batches)


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("field,value", [
    ("lr", 0.0), ("lr", -1.0), ("lr", float("nan")), ("num_hiddens", 0), ("num_hiddens", 2.5),
    ("num_hiddens", True), ("num_steps", 0), ("batch_size", 0), ("batch_size", 5000),
    ("num_epochs", 0), ("clip_theta", 0.0), ("max_tokens", 10), ("model", "lstm"), ("seed", -1),
])
def test_validate_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        TrainConfig(**{field: value}).validate()


def test_validate_accepts_d2l_defaults_and_refuses_cuda_without_gpu(monkeypatch):
    assert TrainConfig(device="cpu").validate().num_hiddens == 256
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        TrainConfig(device="cuda").validate()


def test_batch_too_big_for_the_corpus_is_refused(time_machine):
    config = TrainConfig(**(TINY | {"batch_size": 500, "num_steps": 35}))
    with pytest.raises(ValueError, match="too short for one batch of 500 x 35"):
        fit(time_machine, config)


def test_config_round_trips_through_dict():
    config = TrainConfig(model="concise", lr=0.5, num_hiddens=64)
    assert TrainConfig.from_dict(config.to_dict() | {"unknown": 1}) == config


# ---------------------------------------------------------------- prediction

def d2l_predict_ch8(prefix, num_preds, net, vocab, device):
    """d2l's predict_ch8, line by line."""
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]

    def get_input():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))
    for y in prefix[1:]:  # Warm-up period
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):  # Predict num_preds steps
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])


@pytest.mark.parametrize("prefix", ["time traveller", "traveller", "x"])
def test_greedy_predict_equals_d2l(lively, time_machine, prefix):
    vocab = time_machine.vocab
    ours = predict(prefix, 40, lively, vocab)
    with torch.no_grad():
        assert ours == d2l_predict_ch8(prefix, 40, lively, vocab, torch.device("cpu"))
    assert len(ours) == len(prefix) + 40 and len(set(ours[len(prefix):])) > 3


def test_temperature_sampling_is_reproducible_with_a_seed(lively, time_machine):
    vocab = time_machine.vocab
    first = predict("time traveller", 60, lively, vocab, temperature=1.0, seed=3)
    assert first == predict("time traveller", 60, lively, vocab, temperature=1.0, seed=3)
    assert first != predict("time traveller", 60, lively, vocab, temperature=1.0, seed=4)
    unseeded = {predict("time traveller", 60, lively, vocab, temperature=1.0) for _ in range(3)}
    assert len(unseeded) == 3  # no seed: fresh randomness each call
    assert predict("the", 30, lively, vocab, temperature=0.0, seed=9) == predict("the", 30, lively, vocab)


def test_temperature_samples_follow_softmax_of_logits_over_temperature(lively, time_machine):
    vocab, temperature, draws = time_machine.vocab, 2.0, 400
    with torch.no_grad():
        logits, _ = lively(torch.tensor([[vocab["t"]]]), lively.begin_state(1))
    probs = torch.softmax(logits[0] / temperature, dim=0)
    counts = torch.zeros(len(vocab))
    for seed in range(draws):
        counts[vocab[predict("t", 1, lively, vocab, temperature=temperature, seed=seed)[1]]] += 1
    tolerance = 4 * torch.sqrt(probs * (1 - probs) / draws) + 0.01
    assert torch.all((counts / draws - probs).abs() <= tolerance)


def test_predict_refuses_bad_arguments(lively, time_machine):
    with pytest.raises(ValueError, match="prefix"):
        predict("", 5, lively, time_machine.vocab)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        predict("a", 5, lively, time_machine.vocab, temperature=-1)


# ---------------------------------------------------------------- divergence

def test_huge_learning_rate_diverges_and_keeps_finite_params(time_machine):
    model = make_model("scratch", 28, 32, seed=0)
    trainer = Trainer(model, lr=1e6)
    batches = list(time_machine.loader(32, 35, seed=0))
    for X, Y in batches:
        before = params_of(model)
        try:
            trainer.train_batch(X, Y)
        except DivergedError as error:
            assert "smaller learning rate (now 1e+06)" in str(error)
            break
    else:
        pytest.fail("lr=1e6 did not raise DivergedError within an epoch")
    assert same_params(params_of(model), before)  # the diverging batch changed nothing
    assert all(torch.isfinite(p).all() for p in model.parameters())
    with pytest.raises(DivergedError):
        fit(time_machine, TrainConfig(lr=1e6, **TINY))


def test_infinite_gradient_skips_the_update_and_clears_gradients(time_machine, monkeypatch):
    model = make_model("scratch", 28, 8, seed=0)
    trainer = Trainer(model, lr=1.0)
    batches = iter(time_machine.loader(8, 10, seed=0))
    before = params_of(model)
    monkeypatch.setattr(training, "grad_clipping", lambda params, theta: (math.inf, True))
    with pytest.raises(DivergedError, match="gradient norm became inf"):
        trainer.train_batch(*next(batches))
    assert same_params(params_of(model), before)
    assert all(p.grad is None for p in model.parameters())  # nothing stale for the next step
    monkeypatch.undo()
    assert trainer.train_batch(*next(batches)).loss < 4


def test_perplexity_overflow_is_infinite_not_an_exception():
    assert training.perplexity_of(1e4) == math.inf
    assert training.perplexity_of(math.log(28)) == pytest.approx(28)


# ---------------------------------------------------------------- snapshots

def test_snapshot_schedule():
    assert training.snapshot_schedule(5, snapshot_every=2) == {0, 2, 4, 5}
    assert training.snapshot_schedule(500, snapshot_epochs=[0, 1, 2, 5, 500]) == {0, 1, 2, 5, 500}
    assert training.snapshot_schedule(5) == set()
    with pytest.raises(ValueError, match=r"snapshot_epochs must be .* between 0 and num_epochs \(5\) \(got 6\)"):
        training.snapshot_schedule(5, snapshot_epochs=[1, 6])
    with pytest.raises(ValueError, match="snapshot_every must be"):
        training.snapshot_schedule(5, snapshot_every=-1)


def test_fit_keeps_float16_snapshots_at_the_listed_epochs(time_machine):
    config = TrainConfig(**(TINY | {"num_epochs": 3}))
    initial = make_model(config.model, 28, config.num_hiddens, seed=config.seed)
    model, history, _ = fit(time_machine, config, sample_every=0, snapshot_epochs=[0, 1, 3])
    assert [s["epoch"] for s in history.snapshots] == [0, 1, 3]
    first, last = history.snapshots[0]["state_dict"], history.snapshots[-1]["state_dict"]
    assert all(t.dtype == torch.float16 for t in first.values())
    assert torch.equal(first["W_hh"], initial.W_hh.detach().half())
    assert torch.equal(last["W_hh"], model.W_hh.detach().half())
    assert not torch.equal(first["W_hh"], last["W_hh"])
