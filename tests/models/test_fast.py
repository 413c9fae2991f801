"""FastScratchGRU is proven equal to the readable ScratchGRU: forward outputs,
returned state, every parameter gradient, five epochs of training, the trace."""
from __future__ import annotations

import pytest
import torch

from gru_core.models import PARAM_NAMES, ScratchGRU, kernels, make_model, model_kind
from gru_core.models.batch_split import row_slices
from gru_core.models.fast import FastScratchGRU, FastSequence
from gru_core.models.fast_cells import ResetAfter, ResetBefore
from gru_core.training import Trainer, train_epoch


@pytest.fixture(params=kernels.PATHS + (kernels.AUTO,))
def backend(request):
    """Run a test on each kernel path forced for every product (oneDNN, and
    PyTorch's addmm with either weight layout), and on the measured choice."""
    if request.param != kernels.AUTO and request.param not in kernels.available_paths():
        pytest.skip(f"kernel path {request.param} is not available in this PyTorch")
    with kernels.forced_path(request.param):
        yield request.param


def twin_models(vocab_size, num_hiddens, reset_after, scale, seed=0):
    """A readable and a fast model holding the same random weights (biases too,
    so every parameter matters)."""
    readable = ScratchGRU(vocab_size, num_hiddens, reset_after=reset_after, seed=seed)
    quick = FastScratchGRU(vocab_size, num_hiddens, reset_after=reset_after, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for mine, theirs in zip(readable.parameters(), quick.parameters()):
            mine.copy_(torch.randn(mine.shape, generator=generator) * scale)
            theirs.copy_(mine)
    return readable, quick


def run_with_gradients(model, X, H0, output_weights, state_weights):
    """Forward, then backward of a loss that reaches every output and the
    returned state; returns (Y, H_T, gradients by name, dL/dH0)."""
    H0 = H0.clone().requires_grad_(True)
    Y, (H,) = model(X, (H0,))
    ((Y * output_weights).sum() + (H * state_weights).sum()).backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    return Y.detach(), H.detach(), grads, H0.grad


def relative_error(actual, expected):
    return float((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-12))


SHAPES = [  # (vocab, hiddens, batch, steps)
    (28, 32, 4, 7),
    (28, 16, 1, 1),   # batch 1, one step
    (5, 3, 1, 6),
    (28, 64, 8, 35),  # d2l's steps
]


@pytest.mark.parametrize("workers", [1, 2, 3], ids=["1-worker", "2-workers", "3-workers"])
@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
@pytest.mark.parametrize("vocab_size,num_hiddens,batch_size,num_steps", SHAPES)
def test_outputs_state_and_gradients_match_readable(backend, reset_after, vocab_size,
                                                    num_hiddens, batch_size, num_steps, workers):
    """Every kernel path, and the batch split across threads (gradients summed)."""
    readable, quick = twin_models(vocab_size, num_hiddens, reset_after, scale=0.3)
    quick.batch_workers, quick.min_rows_per_worker = workers, 1
    generator = torch.Generator().manual_seed(7)
    X = torch.randint(0, vocab_size, (batch_size, num_steps), generator=generator)
    H0 = torch.randn(batch_size, num_hiddens, generator=generator)  # non-zero initial state
    output_weights = torch.randn(num_steps * batch_size, vocab_size, generator=generator)
    state_weights = torch.randn(batch_size, num_hiddens, generator=generator)

    Y_ref, H_ref, grads_ref, grad_H0_ref = run_with_gradients(readable, X, H0, output_weights,
                                                              state_weights)
    Y, H, grads, grad_H0 = run_with_gradients(quick, X, H0, output_weights, state_weights)

    assert Y.shape == Y_ref.shape == (num_steps * batch_size, vocab_size)
    assert (Y - Y_ref).abs().max() <= 1e-5
    assert (H - H_ref).abs().max() <= 1e-5
    expected_names = PARAM_NAMES + (("b_hh",) if reset_after else ())
    assert tuple(grads) == expected_names
    for name in expected_names:
        assert grads_ref[name].abs().max() > 0, f"{name}: the test loss must reach it"
        assert relative_error(grads[name], grads_ref[name]) <= 1e-4, name
    assert relative_error(grad_H0, grad_H0_ref) <= 1e-4


@pytest.mark.parametrize("cell,extra", [(ResetBefore, 0), (ResetAfter, 1)],
                         ids=["reset-before", "reset-after"])
@pytest.mark.parametrize("workers", [1, 2])
def test_hand_written_backward_is_the_derivative(cell, extra, workers):
    """torch.autograd.gradcheck in float64 (the torch-ops path): the BPTT
    backward equals finite differences of the forward for every input."""
    vocab_size, num_hiddens, batch_size, num_steps = 5, 3, 2, 4
    generator = torch.Generator().manual_seed(3)
    inputs = torch.randint(0, vocab_size, (num_steps, batch_size), generator=generator)
    shapes = [(vocab_size, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,)] * 3
    shapes += [(num_hiddens, vocab_size), (vocab_size,)] + [(num_hiddens,)] * extra
    tensors = [torch.randn(batch_size, num_hiddens, generator=generator, dtype=torch.float64)]
    tensors += [torch.randn(shape, generator=generator, dtype=torch.float64) * 0.5
                for shape in shapes]
    for tensor in tensors:
        tensor.requires_grad_(True)
    names = PARAM_NAMES + (("b_hh",) if extra else ())
    paths = dict.fromkeys(("gates", "candidate", "candidate back", "gates back", "step",
                           "step back", "weight gradients"), "torch")
    slices = tuple((rows, paths) for rows in row_slices(batch_size, workers))
    assert torch.autograd.gradcheck(
        lambda *args: FastSequence.apply(cell, names, slices, inputs, *args), tensors)


@pytest.mark.parametrize("workers", [1, 2], ids=["1-worker", "2-workers"])
@pytest.mark.parametrize("kind", ["scratch-fast", "scratch-fast-reset-after"])
def test_five_epochs_of_training_agree(time_machine, kind, workers):
    """Same seed, same batches, d2l's sgd and clipping: after 5 epochs every
    parameter agrees with the readable model's to 1e-3 relative (the batch
    split across two threads too)."""
    readable_kind = kind.replace("-fast", "")
    vocab_size = len(time_machine.vocab)
    histories, models = {}, {}
    for name in (readable_kind, kind):
        model = make_model(name, vocab_size, 48, "cpu", seed=0)
        if name == kind:
            model.batch_workers = workers
        trainer = Trainer(model, lr=1.0, clip_theta=1.0)
        loader = time_machine.loader(batch_size=32, num_steps=35, seed=0)
        histories[name] = [train_epoch(trainer, loader).perplexity for _ in range(5)]
        models[name] = model
    assert histories[kind][-1] < histories[kind][0]  # it learned something
    assert histories[kind] == pytest.approx(histories[readable_kind], rel=1e-4)
    readable_params = dict(models[readable_kind].named_parameters())
    for name, param in models[kind].named_parameters():
        expected = readable_params[name].detach()
        error = float((param.detach() - expected).norm() / expected.norm())
        assert error <= 1e-3, f"{name}: relative difference {error:.2e}"


@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
def test_trace_equals_readable_and_matches_fast_forward(reset_after):
    readable, quick = twin_models(28, 16, reset_after, scale=0.3)
    indices = [3, 1, 4, 1, 5, 9, 2, 6]
    initial = torch.linspace(-0.5, 0.5, 16)
    expected, got = readable.trace(indices, initial), quick.trace(indices, initial)
    for field in ("update_gate", "reset_gate", "candidate", "hidden", "logits", "initial_hidden"):
        assert (getattr(got, field) == getattr(expected, field)).all(), field
    with torch.no_grad():  # the trace's logits are the fast forward's outputs
        Y, (H,) = quick(torch.tensor([indices]), (initial[None, :],))
    assert abs(Y.numpy() - got.logits).max() <= 1e-5
    assert abs(H[0].numpy() - got.hidden[-1]).max() <= 1e-5


def test_same_parameters_and_checkpoints_as_readable():
    readable = make_model("scratch", 28, 24, seed=5)
    quick = make_model("scratch-fast", 28, 24, seed=5)
    assert isinstance(quick, ScratchGRU) and model_kind(quick) == "scratch-fast"
    assert model_kind(make_model("scratch-fast-reset-after", 28, 24)) == "scratch-fast-reset-after"
    assert list(quick.state_dict()) == list(readable.state_dict())
    for name, tensor in readable.state_dict().items():
        assert torch.equal(quick.state_dict()[name], tensor), name  # same init from the seed
    other = FastScratchGRU(28, 24, seed=99)
    other.load_state_dict(readable.state_dict())
    X = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        assert (other(X, other.begin_state(1))[0] - readable(X, readable.begin_state(1))[0]).abs().max() <= 1e-6


@pytest.mark.parametrize("X,state_shape,message", [
    (torch.zeros(2, 0, dtype=torch.long), (2, 8), "steps >= 1"),
    (torch.zeros(5, dtype=torch.long), (5, 8), r"shape \(batch, steps\)"),
    (torch.zeros(2, 3), (2, 8), "integer token indices"),
    (torch.full((2, 3), 28), (2, 8), r"\[0, 27\]"),
    (torch.full((2, 3), -1), (2, 8), r"\[0, 27\]"),
    (torch.zeros(2, 3, dtype=torch.long), (3, 8), r"state must have shape .*\(2, 8\)"),
])
def test_bad_inputs_are_refused_clearly(X, state_shape, message):
    model = FastScratchGRU(28, 8, seed=0)
    with pytest.raises(ValueError, match=message):
        model(X, (torch.zeros(state_shape),))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
def test_matches_readable_on_cuda(reset_after):
    readable, quick = (model.cuda() for model in twin_models(28, 32, reset_after, scale=0.3))
    X = torch.randint(0, 28, (4, 9), device="cuda")
    H0 = torch.randn(4, 32, device="cuda")
    with torch.no_grad():
        assert (quick(X, (H0,))[0] - readable(X, (H0,))[0]).abs().max() <= 1e-5
