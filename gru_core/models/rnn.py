"""d2l's from-scratch RNN (chapter 8.5), the GRU chapter's baseline::

    H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)
    O_t = H_t W_hq + b_q

No gates: every step overwrites the state, so what the cell remembers fades
at the rate W_hh sets (the vanishing gradient the GRU's gates address).
"""
from __future__ import annotations

import torch

from .cell import ScratchCell
from .scratch import NO_CLAMP, Clamp


class ScratchRNN(ScratchCell):
    """d2l's ``RNNModelScratch`` with ``get_params`` / ``init_rnn_state`` /
    ``rnn``: ``params`` is ``[W_xh, W_hh, b_h, W_hq, b_q]``."""
    KIND = "rnn"
    GROUPS = ("h",)
    QUANTITIES = ("hidden",)

    def step(self, X, state, clamp: Clamp = NO_CLAMP):
        H, = state
        H = torch.tanh(X @ self.W_xh + H @ self.W_hh + self.b_h)
        return {"hidden": H}, (H,)


RNN_PARAM_NAMES = ScratchRNN.param_names()
