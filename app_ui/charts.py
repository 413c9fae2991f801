"""The Train page's live figures: a run's records (``RecordsReader``) handed to
``gru_core.figures``, one line per network of the run, learning-rate changes
marked as dashed lines."""
from __future__ import annotations

import threading
import time

import plotly.graph_objects as go
import streamlit as st

from gru_core import figures
from gru_core.runs import RecordsReader, Run

from .display import NETWORK_NAMES


def _by_network(records, networks) -> dict[str, list[dict]]:
    grouped = {NETWORK_NAMES[name]: [r for r in records if r["model"] == name]
               for name in networks}
    return {name: rows for name, rows in grouped.items() if rows}


def lr_label(change: dict) -> str:
    return f"lr → {change['lr']:g}"


def epoch_curves(epochs, networks, metric: str, lr_changes=()) -> go.Figure:
    """Perplexity or tokens/s per epoch (lockstep runs: both overlaid). A
    learning-rate change is marked between the last epoch trained wholly at
    the old rate and the first that used the new one."""
    figure = figures.epoch_curves(_by_network(epochs, networks), metric)
    return figures.add_markers(figure, [(c["epoch"] - 0.5, lr_label(c)) for c in lr_changes])


def loss_curve(batches, networks, lr_changes=()) -> go.Figure:
    """Loss per batch; a learning-rate change is marked at the first batch that used it."""
    rows = _by_network(batches, networks)
    figure = figures.batch_loss_curve({name: [r["loss"] for r in kept]
                                       for name, kept in rows.items()})
    # the curve counts kept batches from 1: the oldest may have been dropped
    first = min((kept[0]["step"] for kept in rows.values()), default=1)
    return figures.add_markers(figure, [(c["step"] - first + 1, lr_label(c))
                                        for c in lr_changes if c["step"] >= first])


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
        self.builds = 0

    def figures_for(self, run: Run, reader: RecordsReader,
                    max_age_s: float) -> dict[str, go.Figure]:
        with self.lock:
            fresh = time.monotonic() - self.built_at < max_age_s
            if not self.figures or (reader.cursor != self.cursor and not fresh):
                self.figures = self.build(run, reader)
                self.cursor, self.built_at = reader.cursor, time.monotonic()
                self.builds += 1
            return self.figures

    @staticmethod
    def build(run: Run, reader: RecordsReader) -> dict[str, go.Figure]:
        epochs, batches, networks = list(reader.epochs), list(reader.batches), list(run.models)
        changes = list(reader.lr_changes)
        return {"ppl_chart": epoch_curves(epochs, networks, "perplexity", changes),
                "loss_chart": loss_curve(batches, networks, changes),
                "speed_chart": epoch_curves(epochs, networks, "tokens_per_second"),
                "grad_chart": gradient_curve(batches, networks, run.config.clip_theta)}


@st.cache_resource(show_spinner=False, max_entries=32)
def shared_live_charts(run_id: str) -> SharedLiveCharts:
    return SharedLiveCharts()
