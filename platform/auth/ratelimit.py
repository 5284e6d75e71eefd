"""Failed authentications are limited per client address (Flask-Limiter).

Only requests that present a token and have it refused count — unknown,
revoked or expired, in the ``Authorization`` header, a page's session or the
login form (:func:`note_failure`); a request without any token is not a
guess. A client that keeps failing — guessing tokens, or a script with a
revoked one — is answered 429 ``rate_limited`` for every request from its
address until the window has passed (``AUTH_FAILURE_LIMIT``, default 20 per
minute). Successful requests are never counted. Routes that need no login
(health check, documentation) are exempt.

The counters live in ``RATELIMIT_STORAGE``: ``memory://`` by default, which
is per worker process (each gunicorn worker counts its own failures), or
shared, e.g. ``redis://host:6379`` (needs the ``redis`` package). When the
storage cannot be reached, requests are let through rather than refused.

The address is ``request.remote_addr``: behind a reverse proxy, the proxy's,
unless the WSGI server is told to trust its ``X-Forwarded-For``.
"""
from __future__ import annotations

import math
import time

from typing import Callable

from flask import Flask, Response, g
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address

from jiceng.platform.api.errors import error_response

_FAILED = "jiceng_authentication_failed"


def init_app(app: Flask, exempt: Callable[[], bool]) -> Limiter:
    """Install the limit on ``app``, for every request but those ``exempt`` says need no login.
    Call it before the authenticating request hook is added, so that an address over the limit
    is refused before its token is even looked up."""
    # the refusal's own response (:func:`_refusal`), not the generic one of every HTTP error
    app.register_error_handler(RateLimitExceeded, lambda e: e.get_response())
    return Limiter(
        get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE"],
        application_limits=[app.config["AUTH_FAILURE_LIMIT"]],
        application_limits_deduct_when=lambda _response: g.get(_FAILED, False),
        application_limits_exempt_when=exempt, on_breach=_refusal,
        swallow_errors=True, key_prefix="jiceng-auth")


def note_failure() -> None:
    """Count this request against its address: it presented a token that was refused."""
    setattr(g, _FAILED, True)


def _refusal(limit: RequestLimit) -> Response:
    """429 with the JSON error body and ``Retry-After``."""
    retry = max(1, math.ceil(limit.reset_at - time.time()))
    resp = error_response(429, "rate_limited", f"身份验证失败次数过多,请 {retry} 秒后再试",
                          {"limit": str(limit.limit), "retry_after": retry})
    resp.headers["Retry-After"] = str(retry)
    return resp
