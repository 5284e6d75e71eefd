"""The per-app :class:`~jiceng.platform.runtime.Runtime`, reachable from views."""
from __future__ import annotations

from flask import current_app

from jiceng.platform.runtime import Runtime

EXTENSION = "jiceng"


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]
