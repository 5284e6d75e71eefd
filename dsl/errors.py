"""Errors of deciding, shared by :mod:`.pack` (which raises them) and
:mod:`.testing` (which reports them as test failures)."""
from __future__ import annotations


class DecisionInputError(ValueError):
    """The input does not have the types the rules need (``E701``/``E702``)."""

    def __init__(self, code: str, message: str, path: str = ""):
        super().__init__(message)
        self.code, self.message, self.path = code, message, path

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "path": self.path}
