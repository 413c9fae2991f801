"""Live training charts: a run's metric records (``Run.metrics``) handed to
``gru_core.figures``, one line per network of the run."""
from __future__ import annotations

import threading
import time

import plotly.graph_objects as go
import streamlit as st

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


class SharedLiveCharts:
    """The Train page's four live figures for one run, rebuilt at most once per
    ``max_age_s`` and shared by every viewer of that run. In a lecture each of
    20 viewers ticks every second; building the figures per viewer (~50-100 ms of
    Python each, under the GIL the training thread needs) starved training and
    the event loop (bench/results/load.md), building them once per run does not."""

    def __init__(self):
        self.lock = threading.Lock()
        self.figures: dict[str, go.Figure] = {}
        self.cursor: int | None = None
        self.built_at = float("-inf")

    def figures_for(self, run, metrics, max_age_s: float) -> dict[str, go.Figure]:
        with self.lock:
            fresh = time.monotonic() - self.built_at < max_age_s
            if not self.figures or (metrics.cursor != self.cursor and not fresh):
                self.figures = self._build(run, metrics)
                self.cursor, self.built_at = metrics.cursor, time.monotonic()
            return self.figures

    @staticmethod
    def _build(run, metrics) -> dict[str, go.Figure]:
        epochs, batches, networks = list(metrics.epochs), list(metrics.batches), list(run.models)
        return {"ppl_chart": epoch_curves(epochs, networks, "perplexity"),
                "loss_chart": loss_curve(batches, networks),
                "speed_chart": epoch_curves(epochs, networks, "tokens_per_second"),
                "grad_chart": gradient_curve(batches, networks, run.config.clip_theta)}


@st.cache_resource(show_spinner=False, max_entries=32)
def shared_live_charts(run_id: str) -> SharedLiveCharts:
    return SharedLiveCharts()
