"""d2l's LSTM (chapter 10.1), from scratch and as ``nn.LSTM``::

    I_t  = sigma(X_t W_xi + H_{t-1} W_hi + b_i)        input gate
    F_t  = sigma(X_t W_xf + H_{t-1} W_hf + b_f)        forget gate
    O_t  = sigma(X_t W_xo + H_{t-1} W_ho + b_o)        output gate
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)         candidate memory
    C_t  = F_t * C_{t-1} + I_t * C~_t                  memory cell
    H_t  = O_t * tanh(C_t)

The state is the pair (H, C). Unlike the GRU, nn.LSTM computes exactly these
equations (its two biases only add up), so the scratch cell holding
nn.LSTM's weights reproduces it to float rounding: the parity lab has no
"reset after" twist here.
"""
from __future__ import annotations

import torch
from torch import nn

from .cell import CellTrace, ScratchCell
from .concise import ConciseRNN
from .scratch import NO_CLAMP, Clamp


class ScratchLSTM(ScratchCell):
    """d2l's ``get_lstm_params`` / ``init_lstm_state`` / ``lstm``: ``params`` is
    ``[W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q]``."""
    KIND = "lstm"
    GROUPS = ("i", "f", "o", "c")
    QUANTITIES = ("input_gate", "forget_gate", "output_gate", "candidate_memory", "memory",
                  "hidden")
    GATES = ("input_gate", "forget_gate", "output_gate")
    STATE = ("hidden", "memory")

    def step(self, X, state, clamp: Clamp = NO_CLAMP):
        H, C = state
        I = torch.sigmoid((X @ self.W_xi) + (H @ self.W_hi) + self.b_i)  # noqa: E741 (d2l's name)
        F = torch.sigmoid((X @ self.W_xf) + (H @ self.W_hf) + self.b_f)
        O = torch.sigmoid((X @ self.W_xo) + (H @ self.W_ho) + self.b_o)
        C_tilde = torch.tanh((X @ self.W_xc) + (H @ self.W_hc) + self.b_c)
        C = F * C + I * C_tilde
        H = O * torch.tanh(C)
        return {"input_gate": I, "forget_gate": F, "output_gate": O, "candidate_memory": C_tilde,
                "memory": C, "hidden": H}, (H, C)


LSTM_PARAM_NAMES = ScratchLSTM.param_names()


class ConciseLSTM(ConciseRNN):
    """d2l's ``RNNModel`` around ``nn.LSTM``; the state is the pair (h, c),
    each ``(1, batch, num_hiddens)``, as d2l's ``begin_state`` makes it."""
    LAYER = nn.LSTM

    def begin_state(self, batch_size: int = 1, device=None):
        return (self.zero_state(batch_size, device), self.zero_state(batch_size, device))

    def gate_weights(self) -> dict[str, torch.Tensor]:
        """nn.LSTM's stacked weights split into named gates (PyTorch order i,
        f, g, o; g is the candidate memory), transposed to the scratch layout."""
        names = ("i", "f", "c", "o")
        W_x = dict(zip(names, self.rnn.weight_ih_l0.chunk(4, 0)))
        W_h = dict(zip(names, self.rnn.weight_hh_l0.chunk(4, 0)))
        b = dict(zip(names, (self.rnn.bias_ih_l0 + self.rnn.bias_hh_l0).chunk(4, 0)))
        weights = {}
        for letter in ScratchLSTM.GROUPS:
            weights |= {f"W_x{letter}": W_x[letter].T, f"W_h{letter}": W_h[letter].T,
                        f"b_{letter}": b[letter]}
        return weights | {"W_hq": self.linear.weight.T, "b_q": self.linear.bias}

    @torch.no_grad()
    def trace(self, indices, initial_state=None, clamp: Clamp = NO_CLAMP) -> CellTrace:
        """Gates recomputed from nn.LSTM's own weights by the scratch cell."""
        return scratch_lstm_from_concise(self).trace(indices, initial_state, clamp)


@torch.no_grad()
def scratch_lstm_from_concise(concise: ConciseLSTM) -> ScratchLSTM:
    """A scratch LSTM holding nn.LSTM's weights (it then computes nn.LSTM's numbers)."""
    model = ScratchLSTM(concise.vocab_size, concise.num_hiddens, concise.device, seed=0)
    for name, tensor in concise.gate_weights().items():
        getattr(model, name).copy_(tensor)
    return model
