"""GRU Explainer — entry point: ``streamlit run app.py``.

This script runs around every page: page config, the sidebar (presentation
toggle and the status of the run this session follows, which keeps ticking on
every page), then the page the user picked. Pages are registered explicitly.
"""
import importlib
import os

import streamlit as st

from app_ui.display import presentation_toggle
from app_ui.sidebar import sidebar_run_status
from gru_core import engine

# One intra-op thread per process: each run trains on its own thread (the
# registry caps running runs at the core count), and with torch's default
# (one OpenMP thread per core) a run whose model was built on a session's
# script thread but trained on its own thread crawled at 2-5 % of its speed
# (bench/results/load.md).
engine.configure(threads=1)

# Test and benchmark servers name a module here that observes the server (and
# may inject faults) through gru_core's public names; unset in normal use.
if os.environ.get("GRU_EXPLAINER_SERVER_HOOKS"):
    importlib.import_module(os.environ["GRU_EXPLAINER_SERVER_HOOKS"])

st.set_page_config(page_title="GRU Explainer", page_icon="🔁", layout="wide")

PAGES = [
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:",
            url_path="train", default=True),
    st.Page("app_pages/gates.py", title="Gates", icon=":material/grid_on:", url_path="gates"),
    st.Page("app_pages/compare.py", title="Compare with nn.GRU", icon=":material/compare:",
            url_path="compare"),
    st.Page("app_pages/step.py", title="Step through the math", icon=":material/functions:",
            url_path="step"),
    st.Page("app_pages/explore.py", title="Explore", icon=":material/explore:", url_path="explore"),
]

page = st.navigation(PAGES)
with st.sidebar:
    presentation_toggle()
sidebar_run_status()
page.run()
