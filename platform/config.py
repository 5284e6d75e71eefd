"""Configuration from the environment (``JICENG_*``) with overrides from ``create_app(config)``."""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from jiceng.platform.db.engine import DEFAULT_URL

MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB: a pack draft or a task fits; anything larger is refused (413)


def load_config(overrides: Optional[Mapping[str, Any]] = None) -> dict:
    """``DATABASE_URL`` (``JICENG_DATABASE_URL``), ``DATABASE_SCHEMA``, ``MAX_CONTENT_LENGTH``;
    ``TOKEN_DAYS`` (``JICENG_TOKEN_DAYS``, default 90: how long a new token lives);
    ``RATELIMIT_STORAGE`` (``JICENG_RATELIMIT_STORAGE``, default ``memory://``, e.g. ``redis://host:6379``)
    and ``AUTH_FAILURE_LIMIT`` (``JICENG_AUTH_FAILURE_LIMIT``, default ``20 per minute``): failed
    authentications allowed per client address; ``SECRET_KEY`` (``JICENG_SECRET_KEY``: signs the
    pages' session cookie; without it one is kept in ``instance/secret_key``) and
    ``SESSION_COOKIE_SECURE`` (``JICENG_SESSION_COOKIE_SECURE=1`` behind HTTPS)."""
    config = {
        "DATABASE_URL": os.environ.get("JICENG_DATABASE_URL", DEFAULT_URL),
        "DATABASE_SCHEMA": os.environ.get("JICENG_DATABASE_SCHEMA") or None,
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        #: the Ed25519 private key that signs decision-log checkpoints: a file outside the database
        "CHECKPOINT_KEY": os.environ.get("JICENG_CHECKPOINT_KEY") or None,
        "TOKEN_DAYS": os.environ.get("JICENG_TOKEN_DAYS", "90"),
        "RATELIMIT_STORAGE": os.environ.get("JICENG_RATELIMIT_STORAGE") or "memory://",
        "AUTH_FAILURE_LIMIT": os.environ.get("JICENG_AUTH_FAILURE_LIMIT") or "20 per minute",
        "SECRET_KEY": os.environ.get("JICENG_SECRET_KEY") or None,
        "SESSION_COOKIE_SECURE": os.environ.get("JICENG_SESSION_COOKIE_SECURE", "") in ("1", "true", "yes"),
    }
    config.update(overrides or {})
    return config


def token_days(config: Mapping[str, Any]) -> int:
    """``TOKEN_DAYS`` as a number of days; ValueError when it is not a whole number."""
    value = str(config["TOKEN_DAYS"]).strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"JICENG_TOKEN_DAYS 应为天数(整数),而不是 {value!r}")
    return int(value)
