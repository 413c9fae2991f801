"""The GRU with one gate removed, the chapter's ablations.

Reset-only (no update gate: Z = 0, so H_t = H~_t)::

    R_t  = sigma(X_t W_xr + H_{t-1} W_hr + b_r)
    H_t  = H~_t = tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h)

Update-only (no reset gate: R = 1)::

    Z_t  = sigma(X_t W_xz + H_{t-1} W_hz + b_z)
    H~_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)
    H_t  = Z_t * H_{t-1} + (1 - Z_t) * H~_t

Each cell has only the parameters its equations use (the removed gate's
weights would never receive a gradient), in d2l's GRU order with the removed
gate's three left out. The same numbers come from ``ScratchGRU`` with the
missing gate clamped to 0 (update) or 1 (reset) and the shared weights
copied; the tests check that.
"""
from __future__ import annotations

import torch

from .cell import ScratchCell
from .scratch import NO_CLAMP, Clamp


class ResetOnlyGRU(ScratchCell):
    """The GRU without its update gate: ``params`` is
    ``[W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]``."""
    KIND = "reset-only"
    GROUPS = ("r", "h")
    QUANTITIES = ("reset_gate", "candidate", "hidden")
    GATES = ("reset_gate",)

    def step(self, X, state, clamp: Clamp = NO_CLAMP):
        H, = state
        R = clamp.apply("reset_gate", torch.sigmoid(X @ self.W_xr + H @ self.W_hr + self.b_r))
        H_tilde = torch.tanh(X @ self.W_xh + (R * H) @ self.W_hh + self.b_h)
        return {"reset_gate": R, "candidate": H_tilde, "hidden": H_tilde}, (H_tilde,)


class UpdateOnlyGRU(ScratchCell):
    """The GRU without its reset gate: ``params`` is
    ``[W_xz, W_hz, b_z, W_xh, W_hh, b_h, W_hq, b_q]``."""
    KIND = "update-only"
    GROUPS = ("z", "h")
    QUANTITIES = ("update_gate", "candidate", "hidden")
    GATES = ("update_gate",)

    def step(self, X, state, clamp: Clamp = NO_CLAMP):
        H, = state
        Z = clamp.apply("update_gate", torch.sigmoid(X @ self.W_xz + H @ self.W_hz + self.b_z))
        H_tilde = torch.tanh(X @ self.W_xh + H @ self.W_hh + self.b_h)
        H = Z * H + (1 - Z) * H_tilde
        return {"update_gate": Z, "candidate": H_tilde, "hidden": H}, (H,)


RESET_ONLY_PARAM_NAMES = ResetOnlyGRU.param_names()
UPDATE_ONLY_PARAM_NAMES = UpdateOnlyGRU.param_names()
