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
* the master warms the app's caches before it listens (``on_starting``,
  :func:`jiceng.platform.serving.warming.warm`: every tenant's pack chain and task
  form compiled, at most ``JICENG_WARM_SECONDS``, default 30), so the workers fork with
  them and the first checks do not each compile a pack.

* request limits above the app's own (:mod:`jiceng.platform.api.limits`), so a URL or a
  header over the app's bound gets the app's JSON error: ``limit_request_line`` at
  gunicorn's maximum (8190 bytes, against the app's 4096 for the URL), twice the app's
  header bytes per field, more fields than the app allows. Only beyond these does gunicorn
  answer itself, with a plain-text 414 or 431 (docs/api.md, "错误").

Only gunicorn's documented settings and server hooks are used, so a new
gunicorn release does not break serving.

``HOST``/``PORT`` (default 127.0.0.1:8000), ``JICENG_WORKERS`` (default 2),
``JICENG_THREADS`` (default 4) and ``JICENG_WARM_SECONDS`` (default 30; 0 warms nothing)
override them.
"""
from __future__ import annotations

import logging
import os

from jiceng.platform.api import limits
from jiceng.platform.serving import warming

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
        "on_starting": warm_before_forking,
        "post_fork": post_fork,
    }


def _runtime(app_holder):
    app = getattr(app_holder, "callable", None)
    return getattr(app, "extensions", {}).get("jiceng")


def warm_before_forking(server) -> None:
    """In the master, before it listens and forks: warm the preloaded app's caches (bounded in
    time), then close the master's database connections — the workers open their own."""
    runtime = _runtime(server.app)
    seconds = float(os.environ.get("JICENG_WARM_SECONDS", warming.DEFAULT_SECONDS))
    if runtime is None or seconds <= 0:
        return
    try:
        done = warming.warm(runtime, seconds)
        server.log.info("warmed caches: %s", done)
    except Exception:  # noqa: BLE001 - a cold start is slower, never a failed one
        logging.getLogger("jiceng.platform").exception("warming the caches failed; they fill on first use")
    finally:
        runtime.db.engine.dispose()


def post_fork(server, worker) -> None:
    """Connections opened before the fork belong to the master: a worker opens its own."""
    runtime = _runtime(worker.app)
    if runtime is not None:
        runtime.db.engine.dispose(close=False)


globals().update(settings())
