"""gunicorn settings for the service (``jiceng serve`` uses them too)::

    gunicorn -c python:jiceng.platform.serving.gunicorn_conf 'jiceng.platform.app:create_app()'

Why these settings:

* gunicorn's stock ``gthread`` workers keep connections alive; its ``sync``
  workers close every connection after one request, so each request would
  also pay a TCP handshake and teardown in Python. A worker's threads also
  wait on the database together, and their decision-log entries are committed
  in one transaction (see ``decisions/group_commit.py``).
* ``reuse_port``: each worker listens on a socket of its own (``SO_REUSEPORT``; gunicorn 24
  and later open it in the worker) and the kernel spreads new connections over them. With one
  shared socket, whichever worker woke first took the connections: a few long-lived keep-alive
  connections (a load balancer's pool, or the benchmark's 8) often all landed on one worker and
  left the other core idle. Because sockets with that flag share a port silently, the master
  first checks that nothing else listens on it (:func:`refuse_a_taken_port`): a second server
  started by mistake fails as before ("端口已被占用") instead of taking half the traffic.
* a few threads per worker: enough requests in flight to batch the log and to
  overlap database round trips, few enough that the GIL does not stretch the
  tail latency (measured in ``benchmarks/service_bench.py``).
* ``preload_app``: the app is built once, before the workers fork; each worker
  then drops any database connection it inherited (``post_fork``).
* ``pre_fork``: the master freezes what it built and warmed out of the garbage
  collector's generations (:func:`freeze_before_forking`), so a worker's full collection
  takes about a millisecond instead of stopping the worker for ~100 ms.
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

import errno
import gc
import logging
import os
import socket

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
        "reuse_port": True,
        "preload_app": True,
        "limit_request_line": GUNICORN_MAX_REQUEST_LINE,
        "limit_request_fields": 2 * limits.MAX_HEADER_FIELDS,
        "limit_request_field_size": 2 * limits.MAX_HEADER_BYTES,
        "on_starting": start_master,
        "pre_fork": freeze_before_forking,
        "post_fork": post_fork,
    }


def _runtime(app_holder):
    app = getattr(app_holder, "callable", None)
    return getattr(app, "extensions", {}).get("jiceng")


def start_master(server) -> None:
    """gunicorn's ``on_starting``: :func:`refuse_a_taken_port`, then :func:`warm_before_forking`."""
    refuse_a_taken_port(server.cfg.address)
    warm_before_forking(server)


def refuse_a_taken_port(addresses) -> None:
    """RuntimeError (gunicorn prints it and exits 1: ``port_in_use``, or ``port_unavailable`` for an
    address this host cannot listen on) when one of the TCP ``addresses`` is taken:
    a bind without ``SO_REUSEPORT`` fails there while any socket listens on it — another jiceng
    server's workers included, which the workers' own ``SO_REUSEPORT`` bind would join."""
    for address in addresses:
        if not isinstance(address, tuple):  # a Unix socket: its path is bound as before
            continue
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as gunicorn's own sockets: connections of a previous run still in TIME_WAIT do not count
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    raise RuntimeError(f"错误 port_in_use:{host}:{port} 端口已被占用,是否已有服务在运行?") from None
                raise RuntimeError(f"错误 port_unavailable:无法监听 {host}:{port}({e.strerror})") from None


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


def freeze_before_forking(server, worker) -> None:
    """gunicorn's ``pre_fork``, in the master just before each worker is forked: every object
    alive now (the app, its compiled packs and forms, the warmed caches) moves to the garbage
    collector's permanent generation (:func:`gc.freeze`, as Python's documentation advises
    before ``fork()``), so a worker's full collections skip them.

    Measured (``benchmarks/service_bench.py``, SQLite): without it each worker's full
    collection walked the whole warmed heap, 90–118 ms with every thread of the worker stopped,
    a few times in 8 seconds of checks — the check's p99 jumped to 90–100 ms in the rounds that
    held one. It also keeps the collector from writing to those objects' pages, which the
    workers then share with the master instead of copying.

    What this gives up: a cycle of frozen objects dropped later by a worker is never collected
    (the memory of what the master had warmed, once at most)."""
    gc.freeze()


def post_fork(server, worker) -> None:
    """Connections opened before the fork belong to the master: a worker opens its own."""
    runtime = _runtime(worker.app)
    if runtime is not None:
        runtime.db.engine.dispose(close=False)


globals().update(settings())
