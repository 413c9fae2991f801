"""(a) of ``bench/throughput.py``: the seed notebook's code as written (d2l's
``gru``, ``get_params``, ``RNNModelScratch``, ``grad_clipping``, ``sgd``,
``train_epoch_ch8``), transcribed as the baseline, and its one-epoch runner."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gru_core.models import ScratchGRU

BATCH_SIZE, NUM_STEPS, LR = 32, 35, 1.0


def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    def three():
        return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                torch.zeros(num_hiddens, device=device))

    W_xz, W_hz, b_z = three()  # update gate parameters
    W_xr, W_hr, b_r = three()  # reset gate parameters
    W_xh, W_hh, b_h = three()  # candidate hidden state parameters
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_gru_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    """d2l's RNN model implemented from scratch."""

    def __init__(self, vocab_size, num_hiddens, device, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, device):
        return self.init_state(batch_size, self.num_hiddens, device)


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter):
    """d2l's epoch; returns (perplexity, tokens). (d2l's Timer is replaced by
    the harness's outside timer, the same for every variant.)"""
    state = None
    loss_sum, num_tokens = 0.0, 0
    for X, Y in train_iter:
        if state is None or use_random_iter:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            for s in state:
                s.detach_()
        y = Y.T.reshape(-1)
        X, y = X.to(device), y.to(device)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        l.backward()
        grad_clipping(net, 1)
        updater(batch_size=1)
        loss_sum += float(l * y.numel())
        num_tokens += y.numel()
    return math.exp(loss_sum / num_tokens), num_tokens


class SeedRun:
    """(a): the notebook's objects, one epoch per call."""

    def __init__(self, corpus, num_hiddens, seed):
        torch.manual_seed(seed)
        self.net = RNNModelScratch(len(corpus.vocab), num_hiddens, "cpu", get_params,
                                   init_gru_state, gru)
        self.loader = corpus.loader(BATCH_SIZE, NUM_STEPS, seed=seed)
        self.loss = nn.CrossEntropyLoss()

    def copy_weights_from(self, model: ScratchGRU) -> None:
        with torch.no_grad():
            for mine, theirs in zip(self.net.params, model.parameters()):
                mine.copy_(theirs)

    def epoch(self):
        def updater(batch_size):
            sgd(self.net.params, LR, batch_size)
        return train_epoch_ch8(self.net, self.loader, self.loss, updater, "cpu", False)
