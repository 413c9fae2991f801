"""d2l's GRU arranged for speed: same parameters, same math, proven equal.

``FastScratchGRU`` is a ``ScratchGRU`` (same parameter names, order, shapes and
initialisation, so checkpoints, ``trace()`` and the pages work unchanged) whose
``forward`` computes the same numbers with fewer, larger operations and a
hand-written backward pass:

- The input is stacked beside the state. ``X_t W_xr + H W_hr`` is one matmul,
  ``[H | one_hot(X_t)] @ [W_hr; W_xr]``, and the R and Z gates share it:
  ``[H | x] @ [[W_hr, W_hz]; [W_xr, W_xz]]``, bias and sigmoid fused in.
- Hand-written backpropagation through time (a ``torch.autograd.Function``):
  the loop carries only dL/dH_t back through the steps; every weight gradient
  is one large matmul over all steps and batch rows after the loop, where the
  CPU runs near its peak.
- The output layer ``Y = H W_hq + b_q`` runs once for all steps.
- The matmuls go through ``kernels``, which picks the implementation (oneDNN's
  fused linear or PyTorch's own ``mm``) that suits this machine.

Two cells, as in ``ScratchGRU``: ``ResetBeforeSequence`` (d2l's) and
``ResetAfterSequence`` (PyTorch's). Autograd sees ordinary gradients on the
``nn.Parameter`` objects, so d2l's ``grad_clipping`` and ``sgd``
(``gru_core.training.Trainer``) apply unchanged. Nothing compiles.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .kernels import linear, linear_add, summed_outer
from .scratch import PARAM_NAMES, RESET_AFTER_BIAS, ScratchGRU


class FastScratchGRU(ScratchGRU):
    """``ScratchGRU`` with a fused forward and a hand-written BPTT backward.

    ``model(X, state)`` takes int ``X`` of shape (batch, steps) and returns
    ``(Y, (H,))`` with ``Y`` of shape (steps * batch, vocab_size), exactly as
    ``ScratchGRU`` does. ``trace()`` is the inherited readable path.
    """

    def forward(self, X, state):
        H0, = state
        inputs = self._checked_inputs(X, H0)
        sequence = ResetAfterSequence if self.reset_after else ResetBeforeSequence
        Y, H = sequence.apply(inputs, H0, *self.parameters())
        return Y, (H,)

    def _checked_inputs(self, X: torch.Tensor, H0: torch.Tensor) -> torch.Tensor:
        """(batch, steps) -> (steps, batch) int64, refusing what the readable
        model would also refuse, with a message that names the problem."""
        if X.dim() != 2 or X.shape[1] < 1:
            raise ValueError(f"X must have shape (batch, steps) with steps >= 1 "
                             f"(got shape {tuple(X.shape)})")
        if X.dtype.is_floating_point or X.dtype == torch.bool:
            raise ValueError(f"X must hold integer token indices (got dtype {X.dtype})")
        if H0.shape != (X.shape[0], self.num_hiddens):
            raise ValueError(f"the state must have shape (batch, num_hiddens) = "
                             f"({X.shape[0]}, {self.num_hiddens}) (got {tuple(H0.shape)})")
        inputs = X.T.long()
        low, high = int(inputs.min()), int(inputs.max())
        if low < 0 or high >= self.vocab_size:
            raise ValueError(f"token indices must be in [0, {self.vocab_size - 1}] "
                             f"(got {low}..{high})")
        return inputs


# ---------------------------------------------------------------- shared pieces
#
# Both cells keep ``state_and_input`` (T+1, B, n+V): row t is [H_t | one_hot(X_{t+1})]
# (the one-hot of the last row is unused), so step t reads its matmul input as
# one contiguous row block. Gates are stored as [R | Z]. Gradient buffers
# (T, B, 4n) are laid out so each per-step product writes adjacent blocks.


def _state_and_input(inputs, H0, vocab_size):
    steps, batch = inputs.shape
    n = H0.shape[-1]
    buffer = H0.new_zeros(steps + 1, batch, n + vocab_size)
    buffer[0, :, :n] = H0
    buffer[:steps, :, n:].scatter_(2, inputs.unsqueeze(-1), 1.0)
    return buffer


def _stacked_gate_weights(W_xz, W_hz, W_xr, W_hr):
    """(2n, n+V): rows are [R | Z] outputs, columns [H | one_hot] inputs."""
    return torch.cat((torch.cat((W_hr, W_hz), 1), torch.cat((W_xr, W_xz), 1)), 0).T.contiguous()


def _split_gate_grads(grad_stacked, n):
    """Inverse of ``_stacked_gate_weights`` for a gradient (n+V, 2n)."""
    grad_h, grad_x = grad_stacked[:n], grad_stacked[n:]
    return {"W_xz": grad_x[:, n:], "W_hz": grad_h[:, n:], "W_xr": grad_x[:, :n], "W_hr": grad_h[:, :n]}


def _output_layer(hiddens, W_hq, b_q):
    return linear(hiddens.reshape(-1, hiddens.shape[-1]), W_hq.T.contiguous(), b_q)


def _output_layer_backward(grad_Y, hiddens, W_hq):
    """-> dL/dH_t for every step (T, B, n), dL/dW_hq, dL/db_q."""
    grad_hiddens = linear(grad_Y, W_hq).view(hiddens.shape)
    return grad_hiddens, summed_outer(hiddens, grad_Y), grad_Y.sum(0)


def _finish_forward(ctx, state_and_input, W_hq, b_q, *cell_tensors, gates, candidates):
    """Save what the backward pass needs; return (Y for every step, H_T)."""
    n = W_hq.shape[0]
    hiddens = state_and_input[1:, :, :n]
    ctx.save_for_backward(W_hq, state_and_input, torch.stack(gates), torch.stack(candidates),
                          *cell_tensors)
    return _output_layer(hiddens, W_hq, b_q), hiddens[-1].clone()


class _BackwardStart(NamedTuple):
    """What both cells' backward passes start from."""
    state_and_input: torch.Tensor
    previous: torch.Tensor       # H_{t-1} for every step, (T, B, n)
    reset_gate: torch.Tensor     # (T, B, n)
    update_gate: torch.Tensor
    candidates: torch.Tensor
    cell_tensors: list           # the rest of what the cell saved
    grad_hiddens: torch.Tensor   # dL/dH_t from the outputs, (T, B, n)
    grad_H: torch.Tensor         # dL/dH_T, where the loop starts
    grads: dict                  # parameter gradients so far (W_hq, b_q)


def _begin_backward(ctx, grad_Y, grad_last_state) -> _BackwardStart:
    W_hq, state_and_input, gates, candidates, *cell_tensors = ctx.saved_tensors
    steps, n = candidates.shape[0], W_hq.shape[0]
    grad_hiddens, grad_W_hq, grad_b_q = _output_layer_backward(
        grad_Y, state_and_input[1:, :, :n], W_hq)
    return _BackwardStart(state_and_input, state_and_input[:steps, :, :n], gates[..., :n],
                          gates[..., n:], candidates, cell_tensors, grad_hiddens,
                          grad_hiddens[-1] + grad_last_state, {"W_hq": grad_W_hq, "b_q": grad_b_q})


def _update_coefficients(previous, update_gate, candidate):
    """(T, B, 2, n) factors that turn dL/dH_t into [d pre-Z, d pre-tanh].
    H_t = Z H_{t-1} + (1 - Z) H~ gives dL/dZ = g (H_{t-1} - H~) and
    dL/dH~ = g (1 - Z); then through sigmoid (Z (1 - Z)) and tanh (1 - H~^2)."""
    one_minus_z = 1 - update_gate
    to_update = (previous - candidate) * update_gate * one_minus_z
    to_candidate = one_minus_z * (1 - candidate * candidate)
    return torch.stack((to_update, to_candidate), dim=2)


def _steps_backward(grad_hiddens, grad_last_state):
    """Yield (t, the outputs' gradient at H_{t-1}) from the last step back;
    H0 has no output of its own, so step 0 gets zeros."""
    steps = grad_hiddens.shape[0]
    for t in reversed(range(steps)):
        yield t, (grad_hiddens[t - 1] if t else torch.zeros_like(grad_last_state))


def _in_param_order(grads: dict, names):
    return tuple(grads[name] for name in names)




# ---------------------------------------------------------------- the two cells

class ResetBeforeSequence(torch.autograd.Function):
    """d2l's cell over a whole sequence: inputs (T, B) int64, H0 (B, n), then
    the parameters in ``ScratchGRU`` order -> (Y (T*B, V), H_T (B, n)).

    R, Z = sigmoid([H | x] @ W_gates + [b_r | b_z])
    H~   = tanh([R * H | x] @ [W_hh; W_xh] + b_h)
    H    = lerp(H~, H, Z) = Z H + (1 - Z) H~
    """

    @staticmethod
    def forward(ctx, inputs, H0, W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q):
        steps, n = inputs.shape[0], H0.shape[-1]
        W_gates = _stacked_gate_weights(W_xz, W_hz, W_xr, W_hr)
        b_gates = torch.cat((b_r, b_z))
        W_candidate = torch.cat((W_hh, W_xh), 0).T.contiguous()      # (n, n+V)
        state_and_input = _state_and_input(inputs, H0, W_xz.shape[0])
        reset_and_input = state_and_input[:steps].clone()            # [R * H_{t-1} | x_t]
        gates, candidates = [], []
        for t in range(steps):
            H = state_and_input[t, :, :n]
            RZ = linear(state_and_input[t], W_gates, b_gates, "sigmoid")
            R, Z = RZ[:, :n], RZ[:, n:]
            torch.mul(R, H, out=reset_and_input[t, :, :n])
            candidate = linear(reset_and_input[t], W_candidate, b_h, "tanh")
            torch.lerp(candidate, H, Z, out=state_and_input[t + 1, :, :n])
            gates.append(RZ)
            candidates.append(candidate)
        return _finish_forward(ctx, state_and_input, W_hq, b_q, W_hh, W_hr, W_hz, reset_and_input,
                               gates=gates, candidates=candidates)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_Y, grad_last_state):
        start = _begin_backward(ctx, grad_Y, grad_last_state)
        state_and_input, previous, R, Z, candidates, _, grad_hiddens, grad_H, grads = start
        W_hh, W_hr, W_hz, reset_and_input = start.cell_tensors
        steps, batch, n = candidates.shape
        to_update_candidate = _update_coefficients(previous, Z, candidates)
        # d(R * H)/dH = R; d(R * H)/d pre-R = H R (1 - R)
        from_reset_hidden = torch.stack((R, previous * R * (1 - R)), dim=2)
        W_recurrent = torch.cat((W_hr, W_hz), 1)                         # [R | Z] -> H, (n, 2n)
        # per step: [dL/d(R*H) * R | d pre-R | d pre-Z | d pre-tanh]
        grad = candidates.new_empty(steps, batch, 4 * n)
        for t, grad_from_output in _steps_backward(grad_hiddens, grad_last_state):
            g = grad[t]
            torch.mul(grad_H[:, None], to_update_candidate[t], out=g[:, 2 * n:].unflatten(1, (2, n)))
            grad_reset_hidden = linear(g[:, 3 * n:], W_hh)
            torch.mul(grad_reset_hidden[:, None], from_reset_hidden[t], out=g[:, :2 * n].unflatten(1, (2, n)))
            direct = torch.addcmul(grad_from_output, grad_H, Z[t]).add_(g[:, :n])
            grad_H = linear_add(g[:, n:3 * n], W_recurrent, direct)
        grads.update(_split_gate_grads(summed_outer(state_and_input[:steps], grad[..., n:3 * n]), n))
        grad_candidate = summed_outer(reset_and_input, grad[..., 3 * n:])
        grad_b = grad[..., n:].sum(dim=(0, 1))
        grads.update(W_hh=grad_candidate[:n], W_xh=grad_candidate[n:],
                     b_r=grad_b[:n], b_z=grad_b[n:2 * n], b_h=grad_b[2 * n:])
        return (None, grad_H) + _in_param_order(grads, PARAM_NAMES)


class ResetAfterSequence(torch.autograd.Function):
    """PyTorch's cell over a whole sequence; parameters as ``ResetBeforeSequence`` plus b_hh.

    R, Z = sigmoid([H | x] @ W_gates + [b_r | b_z])
    H~   = tanh(x W_xh + b_h + R * (H W_hh + b_hh))
    H    = lerp(H~, H, Z)
    """

    @staticmethod
    def forward(ctx, inputs, H0, W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q, b_hh):
        steps, n = inputs.shape[0], H0.shape[-1]
        W_gates = _stacked_gate_weights(W_xz, W_hz, W_xr, W_hr)
        b_gates = torch.cat((b_r, b_z))
        W_hh_t = W_hh.T.contiguous()
        input_part = F.embedding(inputs, W_xh + b_h)                  # x W_xh + b_h, all steps
        state_and_input = _state_and_input(inputs, H0, W_xz.shape[0])
        gates, recurrents, candidates = [], [], []
        for t in range(steps):
            H = state_and_input[t, :, :n]
            RZ = linear(state_and_input[t], W_gates, b_gates, "sigmoid")
            R, Z = RZ[:, :n], RZ[:, n:]
            recurrent = linear(H, W_hh_t, b_hh)                         # H W_hh + b_hh
            candidate = torch.addcmul(input_part[t], R, recurrent).tanh_()
            torch.lerp(candidate, H, Z, out=state_and_input[t + 1, :, :n])
            gates.append(RZ)
            recurrents.append(recurrent)
            candidates.append(candidate)
        return _finish_forward(ctx, state_and_input, W_hq, b_q, W_hh, W_hr, W_hz,
                               torch.stack(recurrents), gates=gates, candidates=candidates)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_Y, grad_last_state):
        start = _begin_backward(ctx, grad_Y, grad_last_state)
        state_and_input, previous, R, Z, candidates, _, grad_hiddens, grad_H, grads = start
        W_hh, W_hr, W_hz, recurrents = start.cell_tensors
        steps, batch, n = candidates.shape
        to_update_candidate = _update_coefficients(previous, Z, candidates)
        # d pre-tanh -> [d(H W_hh + b_hh) = . * R | d pre-R = . * (H W_hh + b_hh) R (1 - R)]
        from_candidate = torch.stack((R, recurrents * R * (1 - R)), dim=2)
        W_recurrent = torch.cat((W_hh, W_hr, W_hz), 1)                    # (n, 3n)
        # per step: [d(H W_hh + b_hh) | d pre-R | d pre-Z | d pre-tanh]
        grad = candidates.new_empty(steps, batch, 4 * n)
        for t, grad_from_output in _steps_backward(grad_hiddens, grad_last_state):
            g = grad[t]
            torch.mul(grad_H[:, None], to_update_candidate[t], out=g[:, 2 * n:].unflatten(1, (2, n)))
            torch.mul(g[:, None, 3 * n:], from_candidate[t],
                      out=g[:, :2 * n].unflatten(1, (2, n)))
            grad_H = linear_add(g[:, :3 * n], W_recurrent,
                                torch.addcmul(grad_from_output, grad_H, Z[t]))
        grads.update(_split_gate_grads(summed_outer(state_and_input[:steps], grad[..., n:3 * n]), n))
        one_hot = state_and_input[:steps, :, n:]
        grad_b = grad.sum(dim=(0, 1))
        grads.update(W_hh=summed_outer(previous, grad[..., :n]),
                     W_xh=summed_outer(one_hot, grad[..., 3 * n:]),
                     b_hh=grad_b[:n], b_r=grad_b[n:2 * n], b_z=grad_b[2 * n:3 * n], b_h=grad_b[3 * n:])
        return (None, grad_H) + _in_param_order(grads, PARAM_NAMES + (RESET_AFTER_BIAS,))
