"""Editing a pack in the browser: the context the web editor's text is checked and completed in."""
