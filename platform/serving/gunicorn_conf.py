"""gunicorn settings for the service (``jiceng serve`` uses them too)::

    gunicorn -c python:jiceng.platform.serving.gunicorn_conf 'jiceng.platform.app:create_app()'

Why these settings:

* gunicorn's stock ``gthread`` workers keep connections alive; its ``sync``
  workers close every connection after one request, so each request would
  also pay a TCP handshake and teardown in Python. A worker's threads also
  wait on the database together, and their decision-log entries are committed
  in one transaction (see ``decisions/group_commit.py``).
* a few threads per worker: enough requests in flight to batch the log and to
  overlap database round trips, few enough that the GIL does not stretch the
  tail latency (measured in ``benchmarks/service_bench.py``).
* ``preload_app``: the app is built once, before the workers fork; each worker
  then drops any database connection it inherited (``post_fork``).

* request limits above the app's own (:mod:`jiceng.platform.api.limits`), so a URL or a
  header over the app's bound gets the app's JSON error: ``limit_request_line`` at
  gunicorn's maximum (8190 bytes, against the app's 4096 for the URL), twice the app's
  header bytes per field, more fields than the app allows. Only beyond these does gunicorn
  answer itself, with a plain-text 414 or 431 (docs/api.md, "错误").

Only gunicorn's documented settings and server hooks are used, so a new
gunicorn release does not break serving.

``HOST``/``PORT`` (default 127.0.0.1:8000), ``JICENG_WORKERS`` (default 2) and
``JICENG_THREADS`` (default 4) override them.
"""
from __future__ import annotations

import os

from jiceng.platform.api import limits

DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
GUNICORN_MAX_REQUEST_LINE = 8190  # gunicorn refuses to go higher (0 would mean unlimited)


def settings(host: str | None = None, port: int | None = None, workers: int | None = None,
             threads: int | None = None) -> dict:
    """gunicorn's settings by name; arguments left out come from the environment, then the defaults."""
    host = host or os.environ.get("HOST", "127.0.0.1")
    port = port or int(os.environ.get("PORT", "8000"))
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or int(os.environ.get("JICENG_WORKERS", DEFAULT_WORKERS)),
        "worker_class": "gthread",
        "threads": threads or int(os.environ.get("JICENG_THREADS", DEFAULT_THREADS)),
        "keepalive": 5,
        "preload_app": True,
        "limit_request_line": GUNICORN_MAX_REQUEST_LINE,
        "limit_request_fields": 2 * limits.MAX_HEADER_FIELDS,
        "limit_request_field_size": 2 * limits.MAX_HEADER_BYTES,
        "post_fork": post_fork,
    }


def post_fork(server, worker) -> None:
    """Connections opened before the fork belong to the master: a worker opens its own."""
    app = getattr(worker.app, "callable", None)
    runtime = getattr(app, "extensions", {}).get("jiceng")
    if runtime is not None:
        runtime.db.engine.dispose(close=False)


globals().update(settings())
