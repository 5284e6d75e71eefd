"""Failed authentications are limited per client address (the ``limits`` library).

Only requests that present a token and have it refused count — unknown,
revoked or expired, in the ``Authorization`` header, a page's session or the
login form (:func:`note_failure`); a request without any token is not a
guess. A client that keeps failing — guessing tokens, or a script with a
revoked one — is answered 429 ``rate_limited`` for every request from its
address until the window has passed (``AUTH_FAILURE_LIMIT``, default 20 per
minute, a fixed window). Successful requests are never counted. Routes that
need no login (health check, documentation) are exempt.

A request costs one read of its address's counter (``test``); only a failure
writes it (``hit``). Flask-Limiter, which this module used before, resolved
its limits and their exemptions anew on every request and cost the admission
check about a tenth of its time for what is one counter read.

The counters live in ``RATELIMIT_STORAGE``: ``memory://`` by default, which
is per worker process (each gunicorn worker counts its own failures), or
shared, e.g. ``redis://host:6379`` (needs the ``redis`` package). When the
storage cannot be reached, requests are let through rather than refused: the
limit slows guessing down, it is not what keeps a tenant's data safe.

The address is ``request.remote_addr``: behind a reverse proxy, the proxy's,
unless the WSGI server is told to trust its ``X-Forwarded-For``.
"""
from __future__ import annotations

import logging
import math
import time
from typing import Callable, Optional

from flask import Flask, Response, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from jiceng.platform.api.errors import error_answer

_EXTENSION = "jiceng_auth_limit"
_NAMESPACE = "jiceng-auth"
log = logging.getLogger(__name__)


class FailureLimit:
    """The failed-authentication limit of one app: its limit, storage and exemption."""

    def __init__(self, limit: str, storage_uri: str, exempt: Callable[[], bool]):
        self.limit = parse(limit)
        self.exempt = exempt
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def refusal(self) -> Optional[Response]:
        """The ``before_request`` hook: 429 when this request's address is over the limit."""
        if self.exempt():
            return None
        address = _address()
        try:
            if self._limiter.test(self.limit, _NAMESPACE, address):
                return None
            reset_at = self._limiter.get_window_stats(self.limit, _NAMESPACE, address).reset_time
        except Exception:  # noqa: BLE001 - an unreachable storage lets requests through (module docstring)
            log.warning("rate-limit storage unreachable; request let through", exc_info=True)
            return None
        return _refusal(str(self.limit), reset_at)

    def count_failure(self) -> None:
        """Count one failed authentication against this request's address."""
        try:
            self._limiter.hit(self.limit, _NAMESPACE, _address())
        except Exception:  # noqa: BLE001 - as in :meth:`refusal`
            log.warning("rate-limit storage unreachable; failure not counted", exc_info=True)


def init_app(app: Flask, exempt: Callable[[], bool]) -> FailureLimit:
    """Install the limit on ``app``, for every request but those ``exempt`` says need no login.
    Call it before the authenticating request hook is added, so that an address over the limit
    is refused before its token is even looked up."""
    limit = FailureLimit(app.config["AUTH_FAILURE_LIMIT"], app.config["RATELIMIT_STORAGE"], exempt)
    app.extensions[_EXTENSION] = limit
    app.before_request(limit.refusal)
    return limit


def note_failure() -> None:
    """Count this request against its address: it presented a token that was refused."""
    current_app.extensions[_EXTENSION].count_failure()


def _address() -> str:
    return request.remote_addr or "127.0.0.1"


def _refusal(limit: str, reset_at: float) -> Response:
    """429 with the JSON error body (a page on a page's path: the login form) and ``Retry-After``."""
    retry = max(1, math.ceil(reset_at - time.time()))
    resp = error_answer(429, "rate_limited", f"身份验证失败次数过多,请 {retry} 秒后再试",
                          {"limit": limit, "retry_after": retry})
    resp.headers["Retry-After"] = str(retry)
    return resp
