"""GRU Explainer's Streamlit script (``app.py`` serves it): page config, the
sidebar (presentation toggle, the followed run and how to share it), then the
page the user picked. Pages are registered explicitly."""
import streamlit as st

from app_ui.display import presentation_toggle
from app_ui.lecture import key_notice
from app_ui.sidebar import sidebar_run_status

st.set_page_config(page_title="GRU Explainer", page_icon="🔁", layout="wide")

TRAIN = st.Page("app_pages/train.py", title="Train", icon=":material/model_training:",
                url_path="train", default=True)
GATES = st.Page("app_pages/gates.py", title="Gates", icon=":material/grid_on:", url_path="gates")
LAB = st.Page("app_pages/lab.py", title="Lab: cells side by side", icon=":material/science:",
              url_path="lab")
PAGES = [
    st.Page("app_pages/start.py", title="Start here", icon=":material/school:",
            url_path="start"),
    TRAIN,
    GATES,
    st.Page("app_pages/compare.py", title="Compare with nn.GRU", icon=":material/compare:",
            url_path="compare"),
    st.Page("app_pages/step.py", title="Step through the math", icon=":material/functions:",
            url_path="step"),
    st.Page("app_pages/explore.py", title="Explore", icon=":material/explore:", url_path="explore"),
    LAB,
    st.Page("app_pages/exercise.py", title="Exercise: best gate values", icon=":material/quiz:",
            url_path="exercise"),
]
# Pages whose main view is the live component: the sidebar needs no live status there.
LIVE_PAGES = {TRAIN, GATES, LAB}

page = st.navigation(PAGES)
with st.sidebar:
    presentation_toggle()
key_notice()
sidebar_run_status(live_status=page not in LIVE_PAGES)
page.run()
