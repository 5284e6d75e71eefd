"""A WSGI app for test_gunicorn_worker.py: answers its worker's pid after a pause."""
import os
import time


def app(environ, start_response):
    time.sleep(float(environ.get("QUERY_STRING") or 0))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
