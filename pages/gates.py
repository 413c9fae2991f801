import streamlit as st
st.title('gates')
