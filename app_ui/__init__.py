"""The Streamlit side of GRU Explainer: the helpers the page scripts share,
one job per module. Library logic lives in ``gru_core``; this package holds
only what needs Streamlit (widgets, caches, session state).

- ``display``: presentation mode, charts, shared wording;
- ``runs``: the run registry, which run a session follows, its owner's commands;
- ``sidebar``: the followed run's status on every page (and its heartbeat);
- ``charts``: the Train page's live figures, shared by every viewer of a run;
- ``corpora``: the texts a run can train on;
- ``checkpoints``: checkpoints users load, and the pretrained one shipped in assets/;
- ``sources``: the model a page inspects, and where it comes from;
- ``probe``: the probe text, its cached trace and the frame of a probe page.

State rules: training runs live in a process-wide registry; ``st.session_state``
holds only ids, owner tokens and UI choices; widgets that describe a view are
bound to the URL, so a link reproduces it.
"""
