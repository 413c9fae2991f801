"""The app's page scripts (registered explicitly in app.py) and ``common``,
the helpers they share."""
