"""GRU Explainer — entry point: `streamlit run app.py`."""
import streamlit as st

st.set_page_config(page_title="GRU Explainer", page_icon="🔁", layout="wide")
st.title("GRU Explainer")
st.write("Train a gated recurrent unit live and watch its gates think.")
