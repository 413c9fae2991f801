"""d2l's concise models: a PyTorch recurrent layer with one-hot inputs and a
linear head (``ConciseRNN``), here ``nn.GRU`` (``ConciseGRU``), and the bridges
between it and the readable cell, both ways: ``scratch_from_concise`` reads
nn.GRU's weights into the scratch cell; ``concise_from_scratch`` starts nn.GRU
from d2l's weights, so a comparison of the two from the same initialisation
differs only by the cell's formulation."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .scratch import NO_CLAMP, Clamp, GateTrace, ScratchGRU, seeded_generator


class ConciseRNN(nn.Module):
    """d2l's ``RNNModel``: ``LAYER`` (``nn.GRU``, ``nn.LSTM``) over one-hot
    inputs, then a linear head. The state is the layer's own (a
    ``(1, batch, num_hiddens)`` tensor, or a pair of them for nn.LSTM), as in d2l."""
    LAYER: type[nn.RNNBase] = nn.GRU

    def __init__(self, vocab_size: int, num_hiddens: int, device="cpu", seed: int | None = None):
        super().__init__()
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.rnn = self.LAYER(vocab_size, num_hiddens)
        self.linear = nn.Linear(num_hiddens, vocab_size)
        self._init_like_pytorch(seed)
        self.to(device)

    @torch.no_grad()
    def _init_like_pytorch(self, seed):
        """PyTorch's default init (uniform +-1/sqrt(fan)), drawn from a private
        generator so a seed reproduces the model without touching global RNG."""
        generator = seeded_generator(seed)
        bound = 1 / math.sqrt(self.num_hiddens)
        for p in self.rnn.parameters():
            p.uniform_(-bound, bound, generator=generator)
        for p in self.linear.parameters():
            p.uniform_(-bound, bound, generator=generator)

    @property
    def device(self) -> torch.device:
        return self.linear.weight.device

    def zero_state(self, batch_size: int, device=None) -> torch.Tensor:
        return torch.zeros((1, batch_size, self.num_hiddens), device=device or self.device)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        Y, state = self.rnn(X, state)
        return self.linear(Y.reshape((-1, Y.shape[-1]))), state


class ConciseGRU(ConciseRNN):
    """d2l's ``RNNModel`` around ``nn.GRU``: one-hot inputs, a linear head.
    The state is nn.GRU's ``(1, batch, num_hiddens)`` tensor, as in d2l."""
    LAYER = nn.GRU

    def begin_state(self, batch_size: int = 1, device=None):
        return self.zero_state(batch_size, device)

    def gate_weights(self) -> dict[str, torch.Tensor]:
        """nn.GRU's stacked weights split into named gates (PyTorch order r, z, n),
        transposed to the scratch layout (inputs @ W)."""
        W_ir, W_iz, W_in = self.rnn.weight_ih_l0.chunk(3, 0)
        W_hr, W_hz, W_hn = self.rnn.weight_hh_l0.chunk(3, 0)
        b_ir, b_iz, b_in = self.rnn.bias_ih_l0.chunk(3, 0)
        b_hr, b_hz, b_hn = self.rnn.bias_hh_l0.chunk(3, 0)
        return {"W_xz": W_iz.T, "W_hz": W_hz.T, "b_z": b_iz + b_hz,
                "W_xr": W_ir.T, "W_hr": W_hr.T, "b_r": b_ir + b_hr,
                "W_xh": W_in.T, "W_hh": W_hn.T, "b_h": b_in, "b_hh": b_hn,
                "W_hq": self.linear.weight.T, "b_q": self.linear.bias}

    @torch.no_grad()
    def trace(self, indices, initial_hidden=None, clamp: Clamp = NO_CLAMP) -> GateTrace:
        """Gates recomputed from nn.GRU's own weights by the reset-after cell."""
        return scratch_from_concise(self, reset_after=True).trace(indices, initial_hidden, clamp)


@torch.no_grad()
def scratch_from_concise(concise: ConciseGRU, reset_after: bool = True) -> ScratchGRU:
    """A scratch cell holding nn.GRU's weights. With ``reset_after=False`` the
    reset-before cell cannot use ``b_hh`` and differs from nn.GRU (the parity lab)."""
    model = ScratchGRU(concise.vocab_size, concise.num_hiddens, concise.device,
                       reset_after=reset_after, seed=0)
    weights = concise.gate_weights()
    if not reset_after:
        weights.pop("b_hh")
    for name, tensor in weights.items():
        getattr(model, name).copy_(tensor)
    return model


@torch.no_grad()
def concise_from_scratch(scratch: ScratchGRU) -> ConciseGRU:
    """nn.GRU holding the scratch cell's weights (e.g. d2l's N(0, 0.01²) start),
    stacked in PyTorch's order r, z, n. nn.GRU has two biases per gate where
    the scratch cell has one: b_ih takes it, b_hh is 0, except that the
    candidate's b_hn is the reset-after cell's b_hh (0 for d2l's cell). The
    copy computes the scratch cell's function exactly only for the reset-after
    cell; from d2l's reset-before cell it starts from the same numbers and
    computes nn.GRU's own formula with them."""
    concise = ConciseGRU(scratch.vocab_size, scratch.num_hiddens, scratch.device, seed=0)
    zeros = torch.zeros(scratch.num_hiddens, device=scratch.device, dtype=scratch.W_xz.dtype)
    b_hn = scratch.b_hh if scratch.reset_after else zeros
    rnn = concise.rnn
    rnn.weight_ih_l0.copy_(torch.cat([scratch.W_xr.T, scratch.W_xz.T, scratch.W_xh.T]))
    rnn.weight_hh_l0.copy_(torch.cat([scratch.W_hr.T, scratch.W_hz.T, scratch.W_hh.T]))
    rnn.bias_ih_l0.copy_(torch.cat([scratch.b_r, scratch.b_z, scratch.b_h]))
    rnn.bias_hh_l0.copy_(torch.cat([zeros, zeros, b_hn]))
    concise.linear.weight.copy_(scratch.W_hq.T)
    concise.linear.bias.copy_(scratch.b_q)
    return concise
