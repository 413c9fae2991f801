"""Live training charts: a run's metric records (``Run.metrics``) handed to
``gru_core.figures``, one line per network of the run."""
from __future__ import annotations

import plotly.graph_objects as go

from app_pages.common import NETWORK_NAMES
from gru_core import figures


def _by_network(records, networks) -> dict[str, list[dict]]:
    grouped = {NETWORK_NAMES[name]: [r for r in records if r["model"] == name]
               for name in networks}
    return {name: rows for name, rows in grouped.items() if rows}


def epoch_curves(epochs, networks, metric: str) -> go.Figure:
    """Perplexity or tokens/s per epoch (lockstep runs: both overlaid)."""
    return figures.epoch_curves(_by_network(epochs, networks), metric)


def loss_curve(batches, networks) -> go.Figure:
    losses = {name: [r["loss"] for r in rows]
              for name, rows in _by_network(batches, networks).items()}
    return figures.batch_loss_curve(losses)


def gradient_curve(batches, networks, clip_theta: float) -> go.Figure:
    return figures.gradient_norm_figure(_by_network(batches, networks), clip_theta)
