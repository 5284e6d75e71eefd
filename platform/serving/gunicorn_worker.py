"""A gthread worker that leaves new connections to idler workers.

gunicorn's workers all wait on one listening socket, and a ``gthread`` worker
accepts whenever its event loop is free, however busy its threads are. Kept-alive
connections then stay where they landed: a client (a benchmark, or a proxy
keeping a few upstream connections open) whose connections all went to one
worker gets one worker's CPU, however many workers there are.

:class:`BalancedThreadWorker` stops listening while every one of its threads has
a request in hand, and listens again when one is free: a new connection waits
in the shared backlog for a worker able to serve it at once. Connections it
already holds are served as before, whatever the count.
"""
from __future__ import annotations

import time

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """``gthread`` with an accept policy: listen only while a thread is free."""

    def init_process(self):
        self.in_flight = 0  # requests handed to the thread pool and not finished (main thread only)
        self.notified_at = 0.0
        super().init_process()

    def notify(self):
        # gunicorn's heartbeat touches a file on every turn of the event loop — an fchmod per
        # request under load (2% of a check's CPU); the arbiter needs it within `timeout` (30 s)
        now = time.monotonic()
        if now - self.notified_at >= 1.0:
            self.notified_at = now
            super().notify()

    def set_accept_enabled(self, enabled):
        # gthread's loop asks to listen whenever it holds fewer connections than its limit
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)

    def enqueue_req(self, conn):
        self.in_flight += 1
        if self.in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        super().finish_request(conn, fs)
