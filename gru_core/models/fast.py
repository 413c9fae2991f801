"""d2l's GRU arranged for speed: same parameters, same math, proven equal.

``FastScratchGRU`` is a ``ScratchGRU`` (same parameter names, order, shapes and
initialisation, so checkpoints, ``trace()`` and the pages work unchanged) whose
``forward`` computes the same numbers with fewer, larger operations and a
hand-written backward pass (``fast_cells``), each matrix product on the kernel
path measured fastest for its shape (``kernel_choice``).

Batch rows are independent sequences, so with ``batch_workers`` > 1 the rows
are split into that many slices, each slice's forward and backward run in a
thread of their own (``batch_split``), and the weight gradients are summed:
one run uses several cores. Autograd sees ordinary gradients on the
``nn.Parameter`` objects, so d2l's ``grad_clipping`` and ``sgd``
(``gru_core.training.Trainer``) apply unchanged. Nothing compiles.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .batch_split import in_parallel, row_slices
from .fast_cells import CELLS
from .kernel_choice import paths_for_shape, shape_class
from .scratch import PARAM_NAMES, RESET_AFTER_BIAS, ScratchGRU


class FastScratchGRU(ScratchGRU):
    """``ScratchGRU`` with a fused forward and a hand-written BPTT backward.

    ``model(X, state)`` takes int ``X`` of shape (batch, steps) and returns
    ``(Y, (H,))`` with ``Y`` of shape (steps * batch, vocab_size), exactly as
    ``ScratchGRU`` does. ``trace()`` is the inherited readable path.
    ``batch_workers``: threads one batch is split across (the live engine sets
    it from the cores free, ``gru_core.runs.cores``).
    """

    batch_workers = 1
    min_rows_per_worker = 4   # smaller slices' products are too small to pay for a thread

    def forward(self, X, state):
        H0, = state
        inputs = self._checked_inputs(X, H0)
        cell = CELLS[self.reset_after]
        steps, batch = inputs.shape
        workers = max(1, min(self.batch_workers, batch // self.min_rows_per_worker))
        slices = []
        for rows in row_slices(batch, workers):
            shape = shape_class(cell.name, rows.stop - rows.start, self.num_hiddens,
                                self.vocab_size, H0.device, H0.dtype)
            slices.append((rows, paths_for_shape(shape, steps)))
        names = PARAM_NAMES + ((RESET_AFTER_BIAS,) if self.reset_after else ())
        Y, H = FastSequence.apply(cell, names, tuple(slices), inputs, H0, *self.parameters())
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
        inputs = X.T.long().contiguous()
        low, high = int(inputs.min()), int(inputs.max())
        if low < 0 or high >= self.vocab_size:
            raise ValueError(f"token indices must be in [0, {self.vocab_size - 1}] "
                             f"(got {low}..{high})")
        return inputs


class FastSequence(torch.autograd.Function):
    """One cell (``fast_cells.ResetBefore`` or ``ResetAfter``) over a sequence,
    its batch rows in ``slices`` (rows, kernel paths per product), each slice
    in a thread: inputs (T, B) int64, H0 (B, n), the parameters in ``names``
    order -> (Y (T*B, V), H_T (B, n))."""

    @staticmethod
    def forward(ctx, cell, names, slices, inputs, H0, *params):
        p = dict(zip(names, params))
        results = in_parallel([
            (lambda rows=rows, paths=paths: cell.forward(inputs[:, rows], H0[rows], p, paths))
            for rows, paths in slices])
        ctx.cell, ctx.names, ctx.slices, ctx.p = cell, names, slices, p
        # saved through autograd, so the buffers are freed once backward has run
        ctx.save_for_backward(*(tensor for result in results for tensor in result.saved))
        ctx.saved_per_slice = len(results[0].saved)
        if len(results) == 1:
            return results[0].Y, results[0].H
        steps, vocab = inputs.shape[0], p["W_hq"].shape[1]
        Y = torch.cat([r.Y.view(steps, -1, vocab) for r in results], 1).view(-1, vocab)
        return Y, torch.cat([r.H for r in results])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_Y, grad_H_last):
        cell, slices, p, size = ctx.cell, ctx.slices, ctx.p, ctx.saved_per_slice
        flat = ctx.saved_tensors
        saved_slices = [flat[k:k + size] for k in range(0, len(flat), size)]
        steps = saved_slices[0][0].shape[0]
        by_step = grad_Y.view(steps, -1, grad_Y.shape[-1])
        results = in_parallel([
            (lambda saved=saved, rows=rows, paths=paths: cell.backward(
                saved, p, paths, by_step[:, rows].reshape(-1, by_step.shape[-1]),
                grad_H_last[rows]))
            for saved, (rows, paths) in zip(saved_slices, slices)])
        grad_H0 = torch.cat([grad_H for grad_H, _ in results]) if len(results) > 1 else results[0][0]
        first = results[0][1]
        grads = [first[name] for name in ctx.names]
        for _, more in results[1:]:
            grads = [total + more[name] for total, name in zip(grads, ctx.names)]
        return (None, None, None, None, grad_H0, *grads)
