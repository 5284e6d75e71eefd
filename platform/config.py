"""Configuration from the environment (``JICENG_*``) with overrides from ``create_app(config)``."""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from jiceng.platform.db.engine import DEFAULT_URL

MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB: a pack draft or a task fits; anything larger is refused (413)


def load_config(overrides: Optional[Mapping[str, Any]] = None) -> dict:
    """``DATABASE_URL`` (``JICENG_DATABASE_URL``), ``DATABASE_SCHEMA``, ``MAX_CONTENT_LENGTH``."""
    config = {
        "DATABASE_URL": os.environ.get("JICENG_DATABASE_URL", DEFAULT_URL),
        "DATABASE_SCHEMA": os.environ.get("JICENG_DATABASE_SCHEMA") or None,
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
    }
    config.update(overrides or {})
    return config
