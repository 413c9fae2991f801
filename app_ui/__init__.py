"""The Streamlit side of GRU Explainer: the helpers the page scripts share,
one job per module. Library logic lives in ``gru_core``; the server around the
app (push route, cookies) in ``app_server``; this package holds only what needs
Streamlit (widgets, caches, session state).

- ``display``: presentation mode, charts, shared wording;
- ``lecture``: who this browser is (presenter, owner, viewer) and what it may do;
- ``runs``: the run registry, which run a session follows, its owner's commands;
- ``live_view``: the live component (curves, progress, gates) fed by the push route;
- ``sidebar``: the followed run, its live status and how to share it;
- ``share``: a reachable address as large text and a QR code;
- ``budget``: how often viewers may ask a live model for new work;
- ``corpora``: the texts a run can train on;
- ``checkpoints``: checkpoints users load, and the pretrained one shipped in assets/;
- ``sources``: the model a page inspects, and where it comes from;
- ``probe``: the probe text, its cached trace and the frame of a probe page;
- ``units``: the Gates page's units worth a look, scrubber and clicked cell;
- ``lab``: the Lab page's side-by-side runs of the chapter's cells.

State rules: training runs live in a process-wide registry; ``st.session_state``
holds only ids and UI choices; control follows the browser's identity cookie
(or the presenter's); widgets that describe a view are bound to the URL, so a
link reproduces it. No page reruns on a timer: live data arrives by push.
"""
