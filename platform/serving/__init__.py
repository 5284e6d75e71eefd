"""Running the WSGI app under gunicorn (settings and worker)."""
