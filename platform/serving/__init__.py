"""Running the WSGI app under gunicorn (its settings and server hooks)."""
