"""The app's page scripts, registered explicitly in app.py with st.navigation;
each is layout over ``app_ui`` (the Streamlit helpers they share) and ``gru_core``.

Not named ``pages/``: Streamlit treats a ``pages/`` folder beside the entry
script as a legacy multipage app, and when a server's first request is a page
URL (e.g. a shared ``/gates?run=…`` link) it runs that file directly — no
entry script, no st.navigation, every helper module listed as a page.
"""
