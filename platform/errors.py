"""Errors a user can cause, each with a stable code and a zh-CN message.

The HTTP layer maps the class to a status (``NotFound`` 404, ``Invalid`` 422,
``Conflict`` 409, ``Forbidden`` 403); the CLI prints the message.
"""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base: ``code`` is stable, ``message`` is zh-CN, ``details`` is JSON."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


class NotFound(ServiceError):
    """The resource does not exist or is outside the caller's reach (indistinguishable on purpose)."""


class Invalid(ServiceError):
    """The input is well-formed but cannot be used (form violations, unknown units, pack errors)."""


class Conflict(ServiceError):
    """The resource's state forbids the request (stale version, already assigned, not pending)."""


class Forbidden(ServiceError):
    """The caller's role may not do this."""
