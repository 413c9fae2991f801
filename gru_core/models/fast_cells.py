"""The fast engine's two cells over a whole sequence: forward, and a hand-written
backward pass through time. Plain functions (no autograd), so ``fast`` can run
them on slices of a batch in several threads; ``fast.FastSequence`` is the
autograd wrapper. The readable math is ``scratch.ScratchGRU``; this computes
the same numbers, arranged so that per step only the products that depend on
the state are left, each into a buffer allocated once per sequence:

- The one-hot input selects rows: ``X_t W_x + b`` is a row lookup for all steps
  at once (``F.embedding``), so per step the products read only ``H``.
- R and Z share one product ``H @ [W_hr | W_hz]`` (reset-after: also ``W_hh``).
- ``tanh(a) = 2 sigmoid(2a) - 1``: PyTorch's CPU tanh costs ~25 us for 32x256
  values, its sigmoid ~5 us, so the candidate's weights are doubled once and
  the step applies sigmoid. (Exact in real numbers; ~1e-7 apart in float32.)
- Backward, the loop carries only dL/dH_t; every weight gradient is one large
  product after the loop, and the input weights' gradients are row sums
  (``index_add_``), whose total over the vocabulary is the bias gradient.

Parameters come as a dict by ``ScratchGRU`` name; ``paths`` maps each product
to a kernel path (``kernel_choice``).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from .kernels import Product, summed_outer


class Forward(NamedTuple):
    Y: torch.Tensor          # (T * B, V), row t * B + b, as ScratchGRU returns it
    H: torch.Tensor          # H_T, (B, n)
    saved: tuple             # what this cell's backward reads


def _output_layer(hiddens, W_hq, b_q):
    rows = hiddens[1:].reshape(-1, hiddens.shape[-1])
    return torch.addmm(b_q, rows, W_hq)


def _output_layer_backward(grad_Y, hiddens, W_hq, paths):
    """-> dL/dH_t for every step (T, B, n) and the output layer's gradients."""
    grad_Y = grad_Y.contiguous()
    grad_hiddens = torch.mm(grad_Y, W_hq.T).view(hiddens[1:].shape)
    return grad_hiddens, {"W_hq": summed_outer(hiddens[1:], grad_Y, paths["weight gradients"]),
                          "b_q": grad_Y.sum(0)}


def _input_gradients(inputs, grad_pre, vocab_size):
    """dL/dW_x for a one-hot input: row v sums the pre-activation gradients of
    the steps that read token v. (V, width); its column sums are dL/db."""
    rows = grad_pre.reshape(-1, grad_pre.shape[-1])
    return rows.new_zeros(vocab_size, rows.shape[1]).index_add_(0, inputs.reshape(-1), rows)


def _update_coefficients(previous, Z, candidates):
    """dL/dH_t -> [d pre-Z, d pre-tanh] factors for every step:
    H_t = Z H_{t-1} + (1 - Z) H~ gives dL/dZ = g (H_{t-1} - H~), dL/dH~ = g (1 - Z),
    then through sigmoid (Z (1 - Z)) and tanh (1 - H~^2)."""
    one_minus_z = 1 - Z
    to_update = (previous - candidates).mul_(Z).mul_(one_minus_z)
    to_candidate = (1 - candidates * candidates).mul_(one_minus_z)
    return to_update, to_candidate


def _sigmoid_tanh_(doubled_pre: torch.Tensor) -> torch.Tensor:
    """tanh(a) in place, given 2a (see the module docstring)."""
    return doubled_pre.sigmoid_().mul_(2).sub_(1)


class ResetBefore:
    """d2l's cell: R, Z = sigmoid(H [W_hr | W_hz] + x [W_xr | W_xz] + [b_r | b_z]);
    H~ = tanh((R * H) W_hh + x W_xh + b_h); H = lerp(H~, H, Z)."""

    name = "reset-before"

    @staticmethod
    def forward(inputs, H0, p: dict, paths: dict) -> Forward:
        steps, batch = inputs.shape
        n = H0.shape[-1]
        gates_product = Product(paths["gates"], torch.cat((p["W_hr"], p["W_hz"]), 1))
        candidate_product = Product(paths["candidate"], 2 * p["W_hh"])
        input_gates = F.embedding(inputs, torch.cat((p["W_xr"] + p["b_r"], p["W_xz"] + p["b_z"]), 1))
        input_candidate = F.embedding(inputs, 2 * (p["W_xh"] + p["b_h"]))
        hiddens = H0.new_empty(steps + 1, batch, n)
        hiddens[0] = H0
        gates = H0.new_empty(steps, batch, 2 * n)                 # [R | Z]
        reset_hidden, candidates = H0.new_empty(steps, batch, n), H0.new_empty(steps, batch, n)
        H, RZ, R, Z = hiddens.unbind(0), gates.unbind(0), gates[..., :n].unbind(0), gates[..., n:].unbind(0)
        RH, C = reset_hidden.unbind(0), candidates.unbind(0)
        X_gates, X_candidate = input_gates.unbind(0), input_candidate.unbind(0)
        for t in range(steps):
            gates_product(H[t], X_gates[t], out=RZ[t]).sigmoid_()
            torch.mul(R[t], H[t], out=RH[t])
            _sigmoid_tanh_(candidate_product(RH[t], X_candidate[t], out=C[t]))
            torch.lerp(C[t], H[t], Z[t], out=H[t + 1])
        return Forward(_output_layer(hiddens, p["W_hq"], p["b_q"]), hiddens[-1].clone(),
                       (inputs, hiddens, gates, reset_hidden, candidates))

    @staticmethod
    def backward(saved, p: dict, paths: dict, grad_Y, grad_H_last):
        """-> (dL/dH0, gradients by parameter name)."""
        inputs, hiddens, gates, reset_hidden, candidates = saved
        steps, batch, n = candidates.shape
        grad_hiddens, grads = _output_layer_backward(grad_Y, hiddens, p["W_hq"], paths)
        previous, R_all, Z_all = hiddens[:steps], gates[..., :n], gates[..., n:]
        to_update, to_candidate = _update_coefficients(previous, Z_all, candidates)
        to_reset = (previous * R_all).mul_(1 - R_all)             # d(R*H)/d pre-R = H R (1 - R)
        back_candidate = Product(paths["candidate back"], p["W_hh"].T)
        back_gates = Product(paths["gates back"], torch.cat((p["W_hr"], p["W_hz"]), 1).T)
        # each product reads a contiguous block: [d pre-R | d pre-Z] and d pre-tanh apart
        grad_gates = candidates.new_empty(steps, batch, 2 * n)
        grad_tanh = candidates.new_empty(steps, batch, n)
        D, D_r, D_z = grad_gates.unbind(0), grad_gates[..., :n].unbind(0), grad_gates[..., n:].unbind(0)
        D_h = grad_tanh.unbind(0)
        R, Z, CZ, CH, CR = (x.unbind(0) for x in (R_all, Z_all, to_update, to_candidate, to_reset))
        from_outputs = grad_hiddens.unbind(0)
        grad_reset_hidden = candidates.new_empty(batch, n)
        grad_H = from_outputs[-1] + grad_H_last
        for t in reversed(range(steps)):
            torch.mul(grad_H, CZ[t], out=D_z[t])
            torch.mul(grad_H, CH[t], out=D_h[t])
            back_candidate(D_h[t], out=grad_reset_hidden)
            torch.mul(grad_reset_hidden, CR[t], out=D_r[t])
            direct = (torch.addcmul(from_outputs[t - 1], grad_H, Z[t]) if t
                      else torch.mul(grad_H, Z[t])).addcmul_(grad_reset_hidden, R[t])
            grad_H = back_gates(D[t], direct)
        path, vocab = paths["weight gradients"], p["W_xz"].shape[0]
        grad_recurrent = summed_outer(previous, grad_gates, path)
        grad_candidate = summed_outer(reset_hidden, grad_tanh, path)
        grad_gates_input = _input_gradients(inputs, grad_gates, vocab)
        grad_candidate_input = _input_gradients(inputs, grad_tanh, vocab)
        grad_gate_bias = grad_gates_input.sum(0)
        grads.update(W_hr=grad_recurrent[:, :n], W_hz=grad_recurrent[:, n:], W_hh=grad_candidate,
                     W_xr=grad_gates_input[:, :n], W_xz=grad_gates_input[:, n:],
                     W_xh=grad_candidate_input, b_r=grad_gate_bias[:n], b_z=grad_gate_bias[n:],
                     b_h=grad_candidate_input.sum(0))
        return grad_H, grads


class ResetAfter:
    """PyTorch's cell: R, Z as in ``ResetBefore``; H~ = tanh(x W_xh + b_h + R * (H W_hh + b_hh));
    H = lerp(H~, H, Z). All three products with H are one: H [W_hr | W_hz | W_hh]."""

    name = "reset-after"

    @staticmethod
    def forward(inputs, H0, p: dict, paths: dict) -> Forward:
        steps, batch = inputs.shape
        n, vocab = H0.shape[-1], p["W_xz"].shape[0]
        step_product = Product(paths["step"], torch.cat((p["W_hr"], p["W_hz"], p["W_hh"]), 1))
        input_part = F.embedding(inputs, torch.cat(
            (p["W_xr"] + p["b_r"], p["W_xz"] + p["b_z"], p["b_hh"].expand(vocab, n)), 1))
        input_candidate = F.embedding(inputs, 2 * (p["W_xh"] + p["b_h"]))
        hiddens = H0.new_empty(steps + 1, batch, n)
        hiddens[0] = H0
        pre = H0.new_empty(steps, batch, 3 * n)          # [R | Z | H W_hh + b_hh]
        candidates = H0.new_empty(steps, batch, n)
        H, P, C = hiddens.unbind(0), pre.unbind(0), candidates.unbind(0)
        RZ, R, Z = (pre[..., s].unbind(0) for s in (slice(0, 2 * n), slice(0, n), slice(n, 2 * n)))
        recurrent, X_part, X_candidate = pre[..., 2 * n:].unbind(0), input_part.unbind(0), input_candidate.unbind(0)
        for t in range(steps):
            step_product(H[t], X_part[t], out=P[t])
            RZ[t].sigmoid_()
            _sigmoid_tanh_(torch.addcmul(X_candidate[t], R[t], recurrent[t], value=2, out=C[t]))
            torch.lerp(C[t], H[t], Z[t], out=H[t + 1])
        return Forward(_output_layer(hiddens, p["W_hq"], p["b_q"]), hiddens[-1].clone(),
                       (inputs, hiddens, pre, candidates))

    @staticmethod
    def backward(saved, p: dict, paths: dict, grad_Y, grad_H_last):
        inputs, hiddens, pre, candidates = saved
        steps, batch, n = candidates.shape
        grad_hiddens, grads = _output_layer_backward(grad_Y, hiddens, p["W_hq"], paths)
        previous, R_all, Z_all, recurrent = hiddens[:steps], pre[..., :n], pre[..., n:2 * n], pre[..., 2 * n:]
        to_update, to_candidate = _update_coefficients(previous, Z_all, candidates)
        to_reset = (recurrent * R_all).mul_(1 - R_all)     # d(R*rec)/d pre-R = rec R (1 - R)
        back_step = Product(paths["step back"], torch.cat((p["W_hr"], p["W_hz"], p["W_hh"]), 1).T)
        grad_pre = candidates.new_empty(steps, batch, 3 * n)   # [d pre-R | d pre-Z | d recurrent]
        grad_tanh = candidates.new_empty(steps, batch, n)       # d pre-tanh
        D, D_r, D_z, D_rec = (grad_pre[..., s].unbind(0) for s in (
            slice(0, 3 * n), slice(0, n), slice(n, 2 * n), slice(2 * n, 3 * n)))
        D_tanh = grad_tanh.unbind(0)
        R, Z, CZ, CH, CR = (x.unbind(0) for x in (R_all, Z_all, to_update, to_candidate, to_reset))
        from_outputs = grad_hiddens.unbind(0)
        grad_H = from_outputs[-1] + grad_H_last
        for t in reversed(range(steps)):
            torch.mul(grad_H, CZ[t], out=D_z[t])
            torch.mul(grad_H, CH[t], out=D_tanh[t])
            torch.mul(D_tanh[t], R[t], out=D_rec[t])
            torch.mul(D_tanh[t], CR[t], out=D_r[t])
            direct = (torch.addcmul(from_outputs[t - 1], grad_H, Z[t]) if t
                      else torch.mul(grad_H, Z[t]))
            grad_H = back_step(D[t], direct)
        grad_recurrent = summed_outer(previous, grad_pre, paths["weight gradients"])
        grad_gates_input = _input_gradients(inputs, grad_pre[..., :2 * n], p["W_xz"].shape[0])
        grad_candidate_input = _input_gradients(inputs, grad_tanh, p["W_xz"].shape[0])
        grad_gate_bias, grad_b_h = grad_gates_input.sum(0), grad_candidate_input.sum(0)
        grads.update(W_hr=grad_recurrent[:, :n], W_hz=grad_recurrent[:, n:2 * n],
                     W_hh=grad_recurrent[:, 2 * n:], W_xr=grad_gates_input[:, :n],
                     W_xz=grad_gates_input[:, n:], W_xh=grad_candidate_input,
                     b_r=grad_gate_bias[:n], b_z=grad_gate_bias[n:], b_h=grad_b_h,
                     b_hh=grad_pre[..., 2 * n:].sum(dim=(0, 1)))
        return grad_H, grads


CELLS = {False: ResetBefore, True: ResetAfter}     # by ``reset_after``
