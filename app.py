"""GRU Explainer — ``streamlit run app.py``.

This file is the server: Streamlit's own ASGI app (``st.App``) around the
Streamlit script ``navigation.py``, with the routes, cookies and start-up of
``app_server`` (the push route that streams live runs to every viewer, the
lecture hall's identity cookies, plotly.js served locally, a lecture's run
restored after a restart). Streamlit finds the ``st.App(...)`` call in this
file's source, so it stays written out here.
"""
import importlib
import os

import streamlit as st

import app_server
from gru_core import engine

# One intra-op thread per run: each run trains on its own thread (the registry
# caps training runs at the core count), and with torch's default (one OpenMP
# thread per core) a run whose model was built on a session's script thread but
# trained on its own thread crawled at 2-5 % of its speed (bench/results/load.md).
engine.configure(threads=1)

# Test and benchmark servers name a module here that observes the server (and
# may inject faults) through gru_core's public names; unset in normal use.
if os.environ.get("GRU_EXPLAINER_SERVER_HOOKS"):
    importlib.import_module(os.environ["GRU_EXPLAINER_SERVER_HOOKS"])

app = st.App("navigation.py", routes=app_server.routes(), middleware=app_server.middleware(),
             lifespan=app_server.lifespan)
