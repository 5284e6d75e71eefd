"""The HTML pages' login session and its CSRF token.

A browser logs in once (``/login``) with a token; the session cookie then
carries the token's SHA-256 — never the token itself, so a leaked cookie is
not a bearer token for the API — and a random CSRF token. The cookie is
Flask's signed session: HttpOnly, SameSite=Lax, ``Secure`` when
``SESSION_COOKIE_SECURE`` is set, and refused after :data:`LIFETIME`.

Every POST a page takes carries the CSRF token in the hidden field
:data:`CSRF_FIELD`; the request hook checks it in one place
(``jiceng.platform.api.auth.load_caller``).
"""
from __future__ import annotations

import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Optional

from flask import session

#: the form field every page POST carries (templates: ``{{ csrf_field() }}``)
CSRF_FIELD = "csrf_token"
#: a login lasts a working day; then the page asks for the token again
LIFETIME = timedelta(hours=12)
_TOKEN, _CSRF = "token_sha256", "csrf"


def csrf_token() -> str:
    """This session's CSRF token, made on first use (the login form needs one before any login)."""
    token = session.get(_CSRF)
    if not isinstance(token, str):
        token = session[_CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_valid(submitted: Optional[str]) -> bool:
    """Whether ``submitted`` is this session's CSRF token (compared in constant time)."""
    expected = session.get(_CSRF)
    return (isinstance(expected, str) and isinstance(submitted, str)
            and hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "surrogatepass")))


def log_in(token_sha256: str) -> None:
    """Start a session for the token whose hash is ``token_sha256``; a new CSRF token too, so
    that one planted before the login is worth nothing after it."""
    session.clear()
    session[_TOKEN] = token_sha256
    session[_CSRF] = secrets.token_urlsafe(32)
    session.permanent = True


def log_out() -> None:
    session.clear()


def logged_in_token() -> Optional[str]:
    """The hash of the session's token, None without a login."""
    digest = session.get(_TOKEN)
    return digest if isinstance(digest, str) else None


def secret_key(instance: Path) -> str:
    """The key that signs session cookies when ``JICENG_SECRET_KEY`` is not set: made once and
    kept in ``instance/secret_key`` (mode 0600), so that every worker process — and a restart —
    signs with the same key."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f"secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # atomic, and refused when another worker linked its key first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
