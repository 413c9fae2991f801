"""gru_core.training: d2l's train_epoch_ch8 semantics, clipping, updates,
the 20-epoch anchor, reproducibility, the lockstep loop, divergence, snapshots."""
from __future__ import annotations

import math

import pytest
import torch

from gru_core import training
from gru_core.models import make_model
from gru_core.training import DivergedError, TrainConfig, Trainer, fit, train_epoch


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


@pytest.mark.parametrize("kind", ["concise", "concise-lstm"])
def test_concise_uses_torch_sgd_and_set_lr_reaches_it(kind):
    trainer = Trainer(make_model(kind, 28, 8, seed=0), lr=1.0)
    assert isinstance(trainer.optimizer, torch.optim.SGD)
    trainer.set_lr(0.25)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.25 and trainer.lr == 0.25


@pytest.mark.parametrize("kind,network", [("scratch-fast-reset-after", "scratch"),
                                          ("concise", "concise"), ("rnn", "rnn"),
                                          ("reset-only", "reset-only"),
                                          ("update-only", "update-only"), ("lstm", "lstm"),
                                          ("concise-lstm", "concise-lstm")])
def test_every_cell_trains_and_is_recorded_as_its_network(time_machine, kind, network):
    model = make_model(kind, 28, 8, seed=0)
    assert training.network_of(model) == network
    trainer = Trainer(model, lr=1.0)
    assert (trainer.optimizer is None) == (not kind.startswith("concise"))  # d2l's sgd
    before = params_of(model)
    record = train_epoch(trainer, time_machine.loader(8, 10, seed=0))
    assert record.model == network and 1 < record.perplexity < 29
    assert not any(torch.equal(p, q) for p, q in zip(params_of(model), before))  # all trained


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
    assert [r["perplexity"] for r in history_a.epochs] != [r["perplexity"] for r in history_c.epochs]


def test_fit_reports_epochs_and_samples_through_callbacks(time_machine):
    epochs, batches = [], []
    _, history, _ = fit(time_machine, TrainConfig(**(TINY | {"num_epochs": 3})), sample_every=2,
                        on_epoch=lambda record, sample: epochs.append((record["epoch"], sample)),
                        on_batch=batches.append)
    assert [epoch for epoch, _ in epochs] == [1, 2, 3]
    assert epochs[0][1] is None and epochs[1][1].startswith("time traveller")
    assert sorted(history.samples) == ["2", "3"] and len(epochs[2][1]) == len("time traveller") + 50
    assert len(batches) > 3 * 20 and all(b.loss > 0 for b in batches)


def test_batch_too_big_for_the_corpus_is_refused(time_machine):
    config = TrainConfig(**(TINY | {"batch_size": 500, "num_steps": 35}))
    with pytest.raises(ValueError, match="too short for one batch of 500 x 35"):
        fit(time_machine, config)


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


def test_lockstep_feeds_every_network_the_same_batches(time_machine):
    config = TrainConfig(**TINY)
    models = {name: make_model(kind, len(time_machine.vocab), 8, seed=0)
              for name, kind in (("a", "scratch"), ("b", "scratch-fast"), ("c", "concise"),
                                 ("d", "scratch-reset-after"))}
    seen = {name: [] for name in models}
    for name, model in models.items():
        model.register_forward_pre_hook(lambda module, args, name=name: seen[name].append(args[0]))
    loop = training.Lockstep(models, time_machine, config)
    for X, Y in loop.begin_epoch():
        records = loop.train_batch(X, Y)
        assert [r.model for r in records] == list(models) and {r.step for r in records} == {loop.batch}
    epochs = loop.end_epoch()
    assert [r.model for r in epochs] == list(models) and all(r.epoch == 1 for r in epochs)
    assert all(len(inputs) == loop.batch > 5 for inputs in seen.values())
    assert all(torch.equal(x, y) for inputs in zip(*seen.values()) for x, y in zip(inputs, inputs[1:]))
    # the fast engine and the readable cell got the same batches, so they agree
    assert epochs[1].perplexity == pytest.approx(epochs[0].perplexity, rel=1e-4)
    assert loop.set_lr(0.5) and not loop.set_lr(0.5) and loop.lr == 0.5


def test_epoch_records_read_older_files_and_keep_one_shape():
    old = {"epoch": 3, "perplexity": 9.5, "tokens_per_second": 1e4, "seconds": 0.2}
    record = training.EpochRecord.from_dict(old | {"unknown": 1})
    assert record.num_tokens == 0 and record.model == "" and record.perplexity == 9.5
    history = training.History.from_dict({"epochs": [old], "samples": {"3": "x"}})
    assert history.epochs == [record.to_dict()]
    assert set(record.to_dict()) == {"epoch", "perplexity", "tokens_per_second", "seconds",
                                     "num_tokens", "model", "elapsed_s", "wall_time",
                                     "heldout_perplexity"}
